import { existsSync, mkdirSync, readdirSync, rmSync, renameSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  CellError,
  MetricsFile,
  RunFile,
  SampleResult,
  fileDigest,
  hashValue,
  percentile,
  writeFileAtomic,
  type DatasetConfig,
  type DatasetRecord,
  type FileDigest,
  type GpuProfile,
  type ModelConfig,
  type Outcome,
  type Preset,
} from '@evalgraph/core';
import type { Backend, RunStats } from '@evalgraph/inference';
import { resolveStripThinking } from '../exact-match';
import { scorerFor } from '../registry';
import type { ScoringContext, ScoringServices } from '../types';
import { generateInRounds, generateStreaming } from './generate-and-score';
import { ResultsSink } from './results-sink';

/** Everything a cell needs, already loaded and validated. */
export interface CellInput {
  root: string;
  pipeline: string;
  cell: string;
  variant: string;
  modelName: string;
  model: ModelConfig;
  modeName: string;
  presetName: string;
  preset: Preset;
  gpuName: string;
  gpu: GpuProfile;
  datasetName: string;
  dataset: DatasetConfig;
  datasetSha256: string;
  records: DatasetRecord[];
  aux: Record<string, unknown[]>;
  fewshotPool?: DatasetRecord[];
  englishOnly: boolean;
  sampleLimit: number;
  maxTokens?: number;
  samplesPerTask?: number;
  seed?: number;
  maxErrorRate: number;
  resultsDir: string;
  backend: Backend;
  services?: ScoringServices;
  /** Aborts in-flight requests (Ctrl-C, SIGTERM); finished ones are already in the request cache. */
  signal?: AbortSignal;
  configHashes: Record<string, string>;
  versions: Record<string, string>;
  log?: (line: string) => void;
}

export interface CellSummary {
  cell: string;
  n: number;
  primary: { name: string; value: number };
  errorRate: number;
  stats: RunStats;
}

const ALL_OUTCOMES: Outcome[] = ['correct', 'wrong', 'no_answer', 'truncated', 'sandbox_timeout', 'sandbox_error', 'server_error', 'judge_error'];

/**
 * Runs one cell end to end: build requests, send them (through the request cache), score, aggregate, and write
 * samples.jsonl, run.json and metrics.json — the last only when every sample finished, so a partial run never
 * looks complete.
 */
export async function runCell(input: CellInput): Promise<CellSummary> {
  const log = input.log ?? (() => undefined);
  const scorer = scorerFor(input.root, input.dataset.scorer);
  const mode = input.model.modes[input.modeName];
  const maxTokens = input.maxTokens ?? input.dataset.max_tokens ?? mode.max_tokens;
  const ctx: ScoringContext & { aux?: Record<string, unknown[]> } = {
    dataset: input.datasetName,
    datasetConfig: input.dataset,
    model: input.model,
    fewshotPool: input.fewshotPool,
    maxTokens,
    samplesPerTask: input.samplesPerTask ?? input.dataset.samples_per_task,
    workspaceRoot: input.root,
    services: input.services ?? {},
    aux: input.aux,
    stripThinking: resolveStripThinking(input.dataset, mode),
  };
  const records = input.records.slice(0, input.sampleLimit);
  const started = new Date();
  // Results stream into a sibling staging folder that is swapped in at the end, so the results folder is always
  // either the old one or the new one, and a failed cell leaves nothing behind.
  const dir = join(input.root, input.resultsDir);
  const staging = `${dir}.staging-${process.pid}`;
  let sink: ResultsSink | null = null;
  try {
    removeAbandonedStaging(dir);
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    sink = new ResultsSink(staging, records.length);
    const args = {
      scorer,
      ctx,
      records,
      backend: input.backend,
      request: { mode, modeName: input.modeName, englishOnly: input.englishOnly, maxTokens, seed: input.seed, signal: input.signal },
      sink,
      log,
      cell: input.cell,
    };
    const stats = scorer.followUp ? await generateInRounds(args) : await generateStreaming(args);
    const results = sink.finish();
    const metrics = scorer.aggregate(results, ctx);
    const outcomes = Object.fromEntries(ALL_OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
    for (const r of results) outcomes[r.outcome]++;
    const errorRate = results.length ? outcomes.server_error / results.length : 0;
    const latencies = results.map((r) => r.latency_ms).filter((l) => l > 0);
    const wallS = stats.wallMs / 1000;
    const metricsFile = MetricsFile.parse({
      cell: input.cell,
      primary: metrics[0]?.name ?? 'none',
      metrics,
      n: results.length,
      outcomes,
      error_rate: errorRate,
      requests: { total: stats.total, sent: stats.sent, from_cache: stats.fromCache, failed: stats.failed, retried: stats.retried },
      tokens: { prompt: stats.promptTokens, completion: stats.completionTokens },
      latency_ms: latencies.length
        ? { mean: latencies.reduce((a, b) => a + b, 0) / latencies.length, p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99), max: Math.max(...latencies) }
        : null,
      // The dummy backend answers in-process in microseconds: its tokens per second measure nothing.
      throughput_tok_s: input.backend.kind !== 'dummy' && stats.completionTokens > 0 && wallS > 0 ? stats.completionTokens / wallS : null,
      wall_s: wallS,
      peak_gpu_memory_gib: stats.peakGpuMemoryGiB,
      kv_cache_usage_max: stats.kvCacheUsageMax,
      complete: true,
    });
    if (errorRate > input.maxErrorRate) {
      throw new CellError(
        `${outcomes.server_error} of ${results.length} samples (${(errorRate * 100).toFixed(1)}%) failed with server errors, above the pipeline's max_error_rate ${(input.maxErrorRate * 100).toFixed(1)}%; finished requests are kept in the request cache, so a re-run resends only the failed ones`,
        input.cell,
      );
    }
    writeFileAtomic(join(staging, 'metrics.json'), JSON.stringify(metricsFile, null, 2) + '\n');
    const server = input.backend.describe();
    const run = RunFile.parse({
      pipeline: input.pipeline,
      cell: input.cell,
      variant: input.variant,
      model: { name: input.modelName, hf_id: input.model.hf_id, revision: input.model.revision, mode: input.modeName, english_only: input.englishOnly },
      preset: input.presetName,
      dataset: { name: input.datasetName, split: input.dataset.split, sha256: input.datasetSha256, records: records.length },
      gpu: input.gpuName,
      backend: input.backend.kind,
      server,
      settings: { sample_limit: input.sampleLimit, max_tokens: maxTokens, samples_per_task: ctx.samplesPerTask, seed: input.seed ?? null, max_error_rate: input.maxErrorRate, strip_thinking: ctx.stripThinking },
      config_hashes: { ...input.configHashes, settings: hashValue({ sampleLimit: input.sampleLimit, maxTokens, samplesPerTask: ctx.samplesPerTask, seed: input.seed }) },
      versions: input.versions,
      sampling: { ...mode.sampling, chat_template_kwargs: mode.chat_template_kwargs },
      started_at: started.toISOString(),
      finished_at: new Date().toISOString(),
      ...(stats.served && { served: { from: new Date(stats.served.from).toISOString(), to: new Date(stats.served.to).toISOString() } }),
      files: digestResultFiles(staging),
    });
    // The staging folder is swapped in whole, so writing run.json last (after the files it vouches for) is safe.
    writeFileAtomic(join(staging, 'run.json'), JSON.stringify(run, null, 2) + '\n');
    swapIn(staging, dir);
    const primary = metrics[0] ?? { name: 'none', value: 0 };
    log(`${input.cell}: ${primary.name} = ${primary.value.toFixed(4)} (n=${results.length}, errors ${outcomes.server_error})`);
    return { cell: input.cell, n: results.length, primary: { name: primary.name, value: primary.value }, errorRate, stats };
  } catch (e) {
    sink?.close();
    // A failed cell, a full or read-only disk: neither half a staging folder beside the results nor a stack trace.
    rmSync(staging, { recursive: true, force: true });
    throw resultsWriteError(e, input);
  }
}

/** sha256 and size of every file of a finished staging folder but run.json, which records them. */
function digestResultFiles(staging: string): Record<string, FileDigest> {
  const out: Record<string, FileDigest> = {};
  for (const name of readdirSync(staging).sort()) {
    if (name !== 'run.json') out[name] = fileDigest(join(staging, name));
  }
  return out;
}

/**
 * Removes staging folders of this cell left by runs that were SIGKILLed (their pid is gone); a staging folder of
 * a live process belongs to a concurrent run of the same cell and stays.
 */
function removeAbandonedStaging(dir: string): void {
  const parent = dirname(dir);
  const prefix = `${basename(dir)}.staging-`;
  if (!existsSync(parent)) return;
  for (const name of readdirSync(parent)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) continue;
    rmSync(join(parent, name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Replaces `dir` with `staging`. Two runs finishing the same cell at once can each remove `dir` and then race to
 * rename: the loser sees ENOTEMPTY/EEXIST and simply tries again (both hold identical results).
 */
function swapIn(staging: string, dir: string): void {
  for (let attempt = 0; ; attempt++) {
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(staging, dir);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || attempt >= 5) throw e;
    }
  }
}

const WRITE_FAILURES: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EIO: 'I/O error',
};

/** A failed results write as the user should see it: what, where, and that nothing computed was lost. */
function resultsWriteError(e: unknown, input: CellInput): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code ? WRITE_FAILURES[code] : undefined;
  if (!why) return e;
  return new CellError(
    `could not write results to ${input.resultsDir}: ${why} (${code}); the previous results there are untouched, and every finished request is in the request cache, so a re-run once this is fixed sends nothing again`,
    input.cell,
  );
}
