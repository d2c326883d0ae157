import { ConfigError, type DatasetRecord, type MetricValue } from '@evalgraph/core';
import { buildGenerationRequests } from '../prompts';
import type { Scorer, ScoringContext } from '../types';
import { definesFunction, extractCode } from './extract';
import { codeOptions, type CodeScorerOptions } from './options';
import { evalplusVerdict } from './outcome';
import { passAtKMetrics } from './pass-at-k';
import { evalplusChatPrompt, EVALPLUS_STOP, fenced, wrongFunction } from './prompts';
import { evalplusInputs, metaNumber, metaString } from './record-fields';
import { type CodeScorerSpec, scoreCode } from './score-code';

const NAME = 'code-evalplus';
const MiB = 1024 * 1024;
// Backstop for one sample: canonical outputs + two phases of at most min(60, sum of limits) + 2 s each.
const DEFAULT_WALL_S = 240;

export type EvalplusVariant = 'humaneval' | 'mbpp';

/** HumanEval+ or MBPP+: scorer_options.variant, else the dataset name, else the task id prefix. */
export function evalplusVariant(record: DatasetRecord, ctx: ScoringContext, opts: CodeScorerOptions): EvalplusVariant {
  if (opts.variant) return opts.variant;
  const name = ctx.dataset.toLowerCase();
  if (name.includes('mbpp')) return 'mbpp';
  if (name.includes('humaneval')) return 'humaneval';
  if (record.id.startsWith('Mbpp/')) return 'mbpp';
  if (record.id.startsWith('HumanEval/')) return 'humaneval';
  throw new ConfigError([
    { file: `configs/datasets/${ctx.dataset}/dataset.yaml`, field: 'scorer_options.variant', expected: '"humaneval" or "mbpp" (cannot tell from the dataset name or task ids)', found: 'nothing' },
  ]);
}

function isChat(ctx: ScoringContext): boolean {
  return ctx.datasetConfig.prompt.style !== 'completion';
}

/**
 * The solution evalplus would evaluate. Completion style: prompt.strip() + "\n" + completion
 * (evalplus codegen, direct completion). Chat: the extracted code; for HumanEval+ a response
 * without the entry point's definition continues the prompt. evalplus sanitize() runs in the sandbox.
 */
export function evalplusSolution(text: string, record: DatasetRecord, variant: EvalplusVariant, chat: boolean): { solution: string; source: string } | null {
  const prompt = record.input.trim() + '\n';
  if (!chat) return text.trim() ? { solution: prompt + text, source: 'completion' } : null;
  const entry = metaString(NAME, record, 'entry_point');
  const ex = extractCode(text, entry);
  if (!ex) return null;
  if (variant === 'humaneval' && !definesFunction(ex.code, entry)) return { solution: prompt + ex.code, source: `${ex.source}+body` };
  return { solution: ex.code, source: ex.source };
}

const spec = (variant: EvalplusVariant, chat: boolean): CodeScorerSpec => ({
  metrics: ['pass_plus', 'pass_base'],
  plan(text, record, opts) {
    const s = evalplusSolution(text, record, variant, chat);
    if (!s) return null;
    const base = evalplusInputs(NAME, record, 'base_input');
    const plus = evalplusInputs(NAME, record, 'plus_input');
    const wall = opts.wall_timeout_s ?? DEFAULT_WALL_S;
    return {
      extracted: s.solution,
      job: {
        mode: 'evalplus',
        dataset: variant,
        task_id: record.id,
        entry_point: metaString(NAME, record, 'entry_point'),
        solution: s.solution,
        canonical: record.input + metaString(NAME, record, 'canonical_solution'),
        base_input: base.json,
        plus_input: plus.json,
        atol: metaNumber(NAME, record, 'atol', 0),
        min_time_limit: opts.min_time_limit_s,
        gt_time_limit_factor: opts.gt_time_limit_factor,
        sanitize: opts.sanitize,
      },
      limits: { timeoutMs: Math.ceil(wall * 1000), cpuSeconds: Math.ceil(wall), memoryBytes: opts.memory_mb * MiB },
      detail: { code_source: s.source, variant, ...(base.lossy || plus.lossy ? { inputs_lossy: true } : {}) },
    };
  },
  verdict: evalplusVerdict,
});

/** pass@k of the plus tests (base and plus both pass: evalplus's "+" number) and of the base tests, k by k, plus first. */
export function evalplusMetrics(results: Parameters<Scorer['aggregate']>[0], ks: readonly number[]): MetricValue[] {
  const plus = passAtKMetrics(results, 'pass_plus', ks, (k) => `pass@${k}_plus`);
  const base = passAtKMetrics(results, 'pass_base', ks, (k) => `pass@${k}_base`);
  return plus.flatMap((p, i) => (base[i] ? [p, base[i]] : [p]));
}

/** EvalPlus (HumanEval+ / MBPP+): differential testing against the canonical solution on base and plus inputs; pass@k for each. */
export const evalplusScorer: Scorer = {
  name: NAME,
  buildRequests(record, ctx) {
    const opts = codeOptions(ctx);
    const variant = evalplusVariant(record, ctx, opts);
    const entry = metaString(NAME, record, 'entry_point');
    const canonical = metaString(NAME, record, 'canonical_solution');
    evalplusInputs(NAME, record, 'base_input');
    const chat = isChat(ctx);
    const content = chat ? evalplusChatPrompt(record.input) : record.input.trim() + '\n';
    const answerCode = variant === 'humaneval' ? record.input + canonical : canonical;
    const oracle = chat
      ? { answer: fenced(answerCode), wrong: fenced(wrongFunction(entry)) }
      : variant === 'humaneval'
        ? { answer: canonical, wrong: '    raise NotImplementedError("known wrong answer")\n    return None\n' }
        : { answer: canonical, wrong: wrongFunction(entry) };
    const gen = buildGenerationRequests({ turns: [{ role: 'user', content, delimiter: '' }], stop: chat ? undefined : [...EVALPLUS_STOP[variant]], oracle }, ctx);
    return { record, ...gen };
  },
  score(sample, responses, ctx) {
    const opts = codeOptions(ctx);
    return scoreCode(sample, responses, ctx, opts, spec(evalplusVariant(sample.record, ctx, opts), isChat(ctx)));
  },
  aggregate(results, ctx) {
    return evalplusMetrics(results, codeOptions(ctx).k);
  },
};
