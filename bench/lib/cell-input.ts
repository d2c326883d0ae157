import { getScorer, type CellInput } from '@evalgraph/scoring';
import type { EvalRequest } from '@evalgraph/core';
import { loadCell } from '../../tools/evalgraph-plugin/src/executors/evaluate/load-cell';
import type { CellOptions } from '../../tools/evalgraph-plugin/src/nodes/pipeline-project';

/** A cell's loaded input (configs, prepared records) exactly as the evaluate executor loads it. */
export function benchCellInput(root: string, o: { model: string; preset: string; dataset: string; sampleLimit: number; backend: CellOptions['backend'] }): Omit<CellInput, 'backend'> {
  const options: CellOptions = {
    pipeline: 'bench',
    cell: `${o.model}--${o.preset}/${o.dataset}`,
    variant: `${o.model}--${o.preset}`,
    model: o.model,
    mode: 'non-thinking',
    preset: o.preset,
    dataset: o.dataset,
    gpu: 'h100-80gb',
    backend: o.backend,
    englishOnly: false,
    sampleLimit: o.sampleLimit,
    maxErrorRate: 0.05,
    resultsDir: `results/bench-worker/${o.model}--${o.preset}/${o.dataset}`,
  };
  const input = loadCell(root, options);
  // Models without a `modes:` entry for non-thinking use their default mode.
  if (!input.model.modes[input.modeName]) input.modeName = input.model.default_mode;
  return input;
}

/**
 * The first `n` GSM8K requests a cell would send (8-shot chat, as the scorer builds them), cycling through the
 * test split with a growing sample_index past its 1,319 records so every request is distinct (request-cache misses).
 */
export function gsm8kRequests(input: Omit<CellInput, 'backend'>, n: number): EvalRequest[] {
  const scorer = getScorer(input.dataset.scorer);
  const mode = input.model.modes[input.modeName];
  const ctx = {
    dataset: input.datasetName,
    datasetConfig: input.dataset,
    model: input.model,
    fewshotPool: input.fewshotPool,
    maxTokens: input.dataset.max_tokens ?? mode.max_tokens,
    samplesPerTask: 1,
    workspaceRoot: input.root,
    services: {},
    aux: input.aux,
  };
  const base = input.records.map((r) => scorer.buildRequests(r, ctx).requests[0]);
  return Array.from({ length: n }, (_, i) => ({ ...base[i % base.length], sample_index: Math.floor(i / base.length) }));
}
