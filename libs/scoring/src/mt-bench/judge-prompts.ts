import { MissingDependencyError } from '@evalgraph/core';
import { z } from 'zod';
import type { ScoringContext } from '../types';

/** One object of FastChat's fastchat/llm_judge/data/judge_prompts.jsonl. */
export const JudgePrompt = z
  .object({
    name: z.string(),
    type: z.string(),
    system_prompt: z.string(),
    prompt_template: z.string(),
    output_format: z.string(),
    description: z.string().optional(),
    category: z.string().optional(),
  })
  .passthrough();
export type JudgePrompt = z.infer<typeof JudgePrompt>;

/** The four single-answer grading prompts FastChat's gen_judgment.py `make_judge_single` uses. */
export interface SingleJudges {
  default: JudgePrompt;
  math: JudgePrompt;
  defaultMultiTurn: JudgePrompt;
  mathMultiTurn: JudgePrompt;
}

/** FastChat common.py NEED_REF_CATS: categories graded against a reference answer. */
export const NEED_REF_CATS: readonly string[] = ['math', 'reasoning', 'coding', 'arena-hard-200'];

/** Picks single-v1, single-math-v1 and their multi-turn versions out of ctx.aux.judge_prompts. */
export function singleJudges(ctx: ScoringContext): SingleJudges {
  const raw = ctx.aux?.judge_prompts;
  const fix = `list fastchat/llm_judge/data/judge_prompts.jsonl in configs/datasets/${ctx.dataset}/dataset.yaml with role: judge_prompts`;
  if (!raw || raw.length === 0) throw new MissingDependencyError('MT-Bench judge prompts were not loaded', fix);
  const byName = new Map(raw.map((p) => JudgePrompt.parse(p)).map((p) => [p.name, p]));
  const pick = (name: string): JudgePrompt => {
    const p = byName.get(name);
    if (!p) throw new MissingDependencyError(`judge prompt "${name}" is missing from judge_prompts (found ${[...byName.keys()].join(', ')})`, fix);
    if (p.output_format !== '[[rating]]') throw new MissingDependencyError(`judge prompt "${name}" has output format ${p.output_format}, not [[rating]]`, fix);
    return p;
  };
  return { default: pick('single-v1'), math: pick('single-math-v1'), defaultMultiTurn: pick('single-v1-multi-turn'), mathMultiTurn: pick('single-math-v1-multi-turn') };
}

/** Python str.format with keyword fields: one pass, so values are never re-expanded; `{{`/`}}` are literal braces. */
export function pyFormat(template: string, fields: Record<string, string>): string {
  return template.replace(/\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (m, name: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const v = fields[name as string];
    // Python raises KeyError for a missing field; a prompt that needs a reference we lack is a data bug.
    if (v === undefined) throw new Error(`judge prompt field {${name}} has no value`);
    return v;
  });
}
