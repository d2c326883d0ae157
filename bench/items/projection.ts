import { readFileSync } from 'node:fs';
import path from 'node:path';
import { getScorer } from '@evalgraph/scoring';
import { PUBLISHED, approxTokens, assumedOutputTokens, promptText } from '@evalgraph/analysis';
import { benchCellInput } from '../lib/cell-input';
import { row, type Row } from '../lib/results';
import type { ItemOutput } from './cached-rerun';

// The projection's defaults live in @evalgraph/analysis, where `evalgraph plan` reads them too.
export { PUBLISHED };

export const MODELS = [
  { name: 'qwen3-8b', size: 'small' },
  { name: 'qwen3-14b', size: 'large' },
  { name: 'qwen2.5-7b-instruct', size: 'small' },
  { name: 'qwen2.5-14b-instruct', size: 'large' },
  { name: 'qwen-7b-chat', size: 'small' },
  { name: 'qwen-14b-chat', size: 'large' },
] as const;

/** Requests and tokens of one full dataset split (every record), from the prompts the scorer really builds. */
function datasetVolume(root: string, dataset: string) {
  const input = benchCellInput(root, { model: 'qwen3-8b', preset: 'balanced', dataset, sampleLimit: 1e6, backend: 'endpoint' });
  const scorer = getScorer(input.dataset.scorer);
  const mode = input.model.modes[input.modeName];
  const maxTokens = input.dataset.max_tokens ?? mode.max_tokens;
  const ctx = { dataset, datasetConfig: input.dataset, model: input.model, fewshotPool: input.fewshotPool, maxTokens, samplesPerTask: input.dataset.samples_per_task ?? 1, workspaceRoot: root, services: {}, aux: input.aux };
  let requests = 0;
  let prompt = 0;
  let output = 0;
  // Multi-turn (MT-Bench): two turns and a judge call per turn, each about as long as the first.
  const turns = dataset === 'mt-bench' ? 4 : 1;
  for (const rec of input.records) {
    for (const r of scorer.buildRequests(rec, ctx).requests) {
      requests += turns;
      prompt += turns * approxTokens(promptText(r));
      // Assumed answer length: half of max_tokens for generation (non-thinking), 1 token for log-likelihood.
      output += turns * assumedOutputTokens(r, maxTokens);
    }
  }
  return { dataset, records: input.records.length, requests, prompt, output, code: /^code-/.test(input.dataset.scorer) };
}

/**
 * Item 5: the share of a real large-scale run (6 models × 19 datasets, full splits, one H100) spent outside the GPU,
 * from the overheads measured in items 1–4 and published vLLM throughput.
 */
export function projection(root: string, datasets: string[], unmirrored: { name: string; records: number; like: string; requestsPerRecord: number }[], m: { startS: number; tailS: number; marginalMs: number; perServerS: number; clientRps: number; scorerSamplesPerS: number; cachedRerunS: number; scorerParallel: number }): ItemOutput {
  const vols = datasets.map((d) => datasetVolume(root, d));
  for (const u of unmirrored) {
    const like = vols.find((v) => v.dataset === u.like);
    if (!like) continue;
    const perReq = like.prompt / like.requests;
    const req = u.records * u.requestsPerRecord;
    vols.push({ dataset: `${u.name} (estimated like ${u.like})`, records: u.records, requests: req, prompt: Math.round(req * perReq), output: req, code: false });
  }
  const perModel = vols.reduce((a, v) => ({ requests: a.requests + v.requests, tokens: a.tokens + v.prompt + v.output, code: a.code + (v.code ? v.records : 0) }), { requests: 0, tokens: 0, code: 0 });
  const cells = MODELS.length * vols.length;
  const gpuS = MODELS.reduce((s, mdl) => s + perModel.tokens / PUBLISHED[mdl.size].tokS, 0);
  const orchestration = m.startS + m.tailS + (m.marginalMs / 1000) * cells;
  const serverStart = MODELS.length * m.perServerS;
  const client = (MODELS.length * perModel.requests) / m.clientRps;
  const scoring = (MODELS.length * perModel.code) / m.scorerSamplesPerS;
  const outside = orchestration + serverStart + client + scoring;
  const serialShare = outside / (outside + gpuS);
  // As evalgraph runs it: the cells of a model run concurrently on its server and each sample is scored the
  // moment its answer arrives, so client work and sandbox scoring happen while the GPU generates. What stays
  // outside is start-up, per-cell orchestration, server starts, and per model the scoring still queued after its
  // last answer: one sandbox round if scoring keeps up with the code answers, else the backlog.
  const tailPerModel = MODELS.map((mdl) => {
    const genS = perModel.tokens / PUBLISHED[mdl.size].tokS;
    const scoreS = perModel.code / m.scorerSamplesPerS;
    return Math.max(scoreS - genS, m.scorerParallel / m.scorerSamplesPerS);
  });
  const tail = tailPerModel.reduce((a, b) => a + b, 0);
  const overlappedOutside = orchestration + serverStart + tail;
  const overlapped = overlappedOutside / (overlappedOutside + gpuS);
  const rows: Row[] = [
    row({ item: '5', name: `share of a real large-scale run outside the GPU, as evalgraph runs it (${cells} cells, ${(MODELS.length * perModel.requests).toLocaleString('en')} requests; client work and sandbox scoring overlap generation)`, unit: '%', values: [overlapped * 100], target: { op: '<=', bound: 2, on: 'value', text: '≤ 2%' }, note: `outside ${overlappedOutside.toFixed(0)} s (orchestration ${orchestration.toFixed(0)}, server spawn to first request ${serverStart.toFixed(0)}, scoring left after each model's last answer ${tail.toFixed(1)}) vs GPU ${(gpuS / 3600).toFixed(2)} h` }),
    row({ item: '5', name: 'same with nothing overlapped (upper bound: every client and scoring second counted outside)', unit: '%', values: [serialShare * 100], note: `outside ${outside.toFixed(0)} s (orchestration ${orchestration.toFixed(0)}, server spawn ${serverStart.toFixed(0)}, client CPU ${client.toFixed(0)}, sandbox scoring ${scoring.toFixed(0)})` }),
    row({ item: '5', name: 'a fully cached re-run of the real plan vs its GPU time', unit: '%', values: [(m.cachedRerunS / gpuS) * 100], note: 'measured cached re-run of the 306-cell grid (an upper bound for 114 cells)' }),
  ];
  return {
    rows,
    raw: { volumes: vols, perModel, gpu_s: gpuS, outside_s: { orchestration, serverStart, client, scoring, scoringTailPerModel: tailPerModel }, inputs: m, published: PUBLISHED },
    commands: [],
    notes: [
      `Item 5 assumptions: the real plan is pipelines/large-scale (6 models × 19 datasets = ${cells} cells, full splits, one preset, one H100). Prompt tokens are the scorers' real prompts at 4 characters a token; answers average half of max_tokens (non-thinking), log-likelihood requests generate 1 token; MT-Bench counts two turns plus a judge call per turn; hellaswag and mmlu (no local mirror) are estimated from their record counts with arc-challenge's prompt length. GPU time = tokens / published total tokens/s: ${PUBLISHED.small.tokS} for the 7–8B models (${PUBLISHED.small.what}, ${PUBLISHED.small.source}) and ${PUBLISHED.large.tokS} for the 14B models (${PUBLISHED.large.what}, ${PUBLISHED.large.source}). Outside the GPU (item 3): nx start → first server spawn and last cell → nx exit once, the marginal orchestration cost per cell, and spawn → first generation request per model server (stand-in with no load delay: vLLM's own weight loading and CUDA-graph capture are GPU-side and not counted); client CPU at evalgraph's c=256 rate (item 2); every code sample through the sandbox scorer at item 4's rate (this 2-core machine; the H100 host has 16). The first row counts client and scoring time as overlapped with generation, which is how the batch executor runs (concurrent cells per server, streaming scoring: libs/scoring/test/run-cell.test.ts checks that samples are scored before the last answer arrives); it keeps per model the larger of one sandbox round (parallel ÷ rate) and the scoring backlog left when generation ends. The second row is the bound with nothing overlapped.`,
    ],
  };
}

/** Per-dataset volumes as a Markdown table, for RESULTS.md. */
export function volumesTable(raw: { volumes: { dataset: string; records: number; requests: number; prompt: number; output: number }[] }): string {
  const lines = ['| dataset | records | requests / model | prompt tokens | output tokens |', '|---|---|---|---|---|'];
  for (const v of raw.volumes) lines.push(`| ${v.dataset} | ${v.records} | ${v.requests} | ${v.prompt.toLocaleString('en')} | ${v.output.toLocaleString('en')} |`);
  return lines.join('\n');
}

/** Reads the sandbox benchmark's JSON (bench/sandbox/humaneval.ts). */
export function readSandboxJson(file: string): { samples_per_s: Record<'bare' | 'sandbox' | 'scorer', { min: number; median: number; max: number }>; wall_s: Record<string, number[]>; isolation: string; parallel: number; repeats: number; samples: number } {
  return JSON.parse(readFileSync(path.resolve(file), 'utf8'));
}
