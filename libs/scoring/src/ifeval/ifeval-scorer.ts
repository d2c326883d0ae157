import { z } from 'zod';
import { binomialMetric, meanMetric, type MetricValue, type Outcome, type SampleResult } from '@evalgraph/core';
import { failedSampleResult } from '../exact-match';
import { buildGenerationRequests } from '../prompts';
import type { Scorer } from '../types';
import { bindInstructions, followInstructions } from './evaluate';

/** Metric names as lm-evaluation-harness reports them; prompt_level_strict_acc is primary. */
export const IFEVAL_METRICS = ['prompt_level_strict_acc', 'inst_level_strict_acc', 'prompt_level_loose_acc', 'inst_level_loose_acc'] as const;

/** What a scored IFEval sample keeps in `detail` (and what aggregate reads back). */
export const IfevalDetail = z.object({
  instruction_id_list: z.array(z.string()),
  follow_instruction_list_strict: z.array(z.boolean()),
  follow_instruction_list_loose: z.array(z.boolean()),
});
export type IfevalDetail = z.infer<typeof IfevalDetail>;

const all = (xs: readonly boolean[]) => xs.every(Boolean);
const fraction = (xs: readonly boolean[]) => (xs.length === 0 ? 0 : xs.filter(Boolean).length / xs.length);

function outcome(followsAll: boolean, text: string, finishReason: string): Outcome {
  if (followsAll) return 'correct';
  if (finishReason === 'length') return 'truncated';
  return text.trim() === '' ? 'no_answer' : 'wrong';
}

/**
 * Instruction-level values of every sample, flattened, with the prompt each came from; samples
 * without IFEval detail (server errors) contribute their record's instructions as not followed.
 */
function instructionLevel(results: readonly SampleResult[], key: 'follow_instruction_list_strict' | 'follow_instruction_list_loose') {
  const values: number[] = [];
  const clusters: string[] = [];
  for (const r of results) {
    const detail = IfevalDetail.safeParse(r.detail);
    const verdicts = detail.success ? detail.data[key] : new Array<boolean>(Number(r.detail?.instruction_count ?? 0)).fill(false);
    for (const v of verdicts) {
      values.push(v ? 1 : 0);
      clusters.push(r.id);
    }
  }
  return { values, clusters };
}

/** Google IFEval: strict and loose accuracy at prompt and instruction level. */
export const ifevalScorer: Scorer = {
  name: 'ifeval',

  buildRequests(record, ctx) {
    // Validates the record's instructions before any request is sent.
    bindInstructions(record);
    const gen = buildGenerationRequests({ turns: [{ role: 'user', content: record.input, delimiter: '' }] }, ctx);
    return { record, ...gen };
  },

  score(sample, responses) {
    const bound = bindInstructions(sample.record);
    return sample.requests.map((req, i) => {
      const res = responses[i];
      if (res === undefined || res.kind !== 'generate') {
        const failed = failedSampleResult(sample, req.sample_index ?? i, IFEVAL_METRICS, res);
        return { ...failed, detail: { ...failed.detail, instruction_count: bound.ids.length } };
      }
      const verdict = followInstructions(bound, res.text);
      const scores = {
        prompt_level_strict_acc: all(verdict.strict) ? 1 : 0,
        inst_level_strict_acc: fraction(verdict.strict),
        prompt_level_loose_acc: all(verdict.loose) ? 1 : 0,
        inst_level_loose_acc: fraction(verdict.loose),
      };
      const detail: IfevalDetail = {
        instruction_id_list: bound.ids,
        follow_instruction_list_strict: verdict.strict,
        follow_instruction_list_loose: verdict.loose,
      };
      return {
        id: sample.record.id,
        sample_index: req.sample_index ?? i,
        prompt: sample.renderedPrompt,
        response: res.text,
        ...(res.reasoning !== undefined ? { reasoning: res.reasoning } : {}),
        // IFEval checks the whole response; nothing is extracted from it.
        extracted: res.text,
        score: scores.prompt_level_strict_acc,
        scores,
        outcome: outcome(scores.prompt_level_strict_acc === 1, res.text, res.finish_reason),
        prompt_tokens: res.prompt_tokens,
        completion_tokens: res.completion_tokens,
        latency_ms: res.latency_ms,
        detail,
      } satisfies SampleResult;
    });
  },

  aggregate(results) {
    const ids = results.map((r) => r.id);
    const clustered = new Set(ids).size < ids.length;
    const promptLevel = (name: string): MetricValue => {
      const values = results.map((r) => r.scores[name] ?? 0);
      return clustered ? meanMetric(name, values, ids) : binomialMetric(name, values);
    };
    const instLevel = (name: string, key: 'follow_instruction_list_strict' | 'follow_instruction_list_loose'): MetricValue => {
      const { values, clusters } = instructionLevel(results, key);
      return meanMetric(name, values, clusters);
    };
    return [
      promptLevel('prompt_level_strict_acc'),
      instLevel('inst_level_strict_acc', 'follow_instruction_list_strict'),
      promptLevel('prompt_level_loose_acc'),
      instLevel('inst_level_loose_acc', 'follow_instruction_list_loose'),
    ];
  },
};
