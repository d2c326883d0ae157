import type { EvalRequest, MetricsFile, RunFile } from '@evalgraph/core';
import { serverSessions, type TimedCell } from './throughput';

/**
 * Published vLLM throughput on one H100 80GB (total = prompt + generated tokens per second, `vllm bench serve`
 * on ShareGPT, vLLM without tuning): the projection's defaults where no run has measured a model yet. Sources
 * are cited in bench/RESULTS.md; the 7–9B figure is used for every model up to 10B parameters, the 14B figure
 * above that.
 */
export const PUBLISHED = {
  large: { tokS: 6595.66, model: 'Qwen3-14B (BF16)', source: 'https://docs.gpustack.ai/latest/performance-lab/qwen3-14b/h100', what: 'GPUStack Performance Lab, "Optimizing Qwen3-14B Throughput on NVIDIA H100 GPUs", baseline (vLLM without optimizations), ShareGPT: Total TPS 6595.66' },
  small: { tokS: 11527.14, model: 'Qwen3.5-9B (BF16)', source: 'https://docs.gpustack.ai/latest/performance-lab/qwen3.5-9b/h100', what: 'GPUStack Performance Lab, "Optimizing Qwen3.5-9B Throughput", H100 80GB HBM3, baseline vLLM, ShareGPT profile: Total TPS 11527.14' },
};

/** The published throughput the projection assumes for a model of `paramsB` billion parameters. */
export function publishedTokS(paramsB: number): { tokS: number; basis: string } {
  const p = paramsB <= 10 ? PUBLISHED.small : PUBLISHED.large;
  return { tokS: p.tokS, basis: `published ${p.model} throughput on one H100 (${p.tokS} tok/s)` };
}

/** The projection's token estimate: 4 characters a token. */
export const approxTokens = (s: string) => Math.ceil(s.length / 4);

/** The text a request sends as its prompt. */
export function promptText(r: EvalRequest): string {
  if (r.kind === 'loglikelihood') return r.context + r.continuation;
  if (r.kind === 'chat') return r.messages.map((m) => m.content).join('\n');
  return r.prompt;
}

/** The projection's assumed answer length: half of max_tokens for generation (at least 64), 1 token for log-likelihood. */
export function assumedOutputTokens(r: EvalRequest, maxTokens: number): number {
  return r.kind === 'loglikelihood' ? 1 : Math.max(64, Math.round((r.max_tokens ?? maxTokens) / 2));
}

/** Requests and tokens of a list of requests, by the projection's assumptions (`turns`: MT-Bench sends each twice and has each judged). */
export function requestVolume(requests: readonly EvalRequest[], maxTokens: number, turns = 1): { requests: number; promptTokens: number; outputTokens: number } {
  let prompt = 0;
  let output = 0;
  for (const r of requests) {
    prompt += turns * approxTokens(promptText(r));
    output += turns * assumedOutputTokens(r, maxTokens);
  }
  return { requests: requests.length * turns, promptTokens: prompt, outputTokens: output };
}

/** A measured cell as the GPU-time accounting reads it: its key (results folder), run.json and metrics.json. */
export interface CostCell extends TimedCell {
  run: Pick<RunFile, 'model' | 'backend' | 'server' | 'started_at' | 'finished_at' | 'served' | 'dataset' | 'settings'>;
  metrics: Pick<MetricsFile, 'tokens' | 'throughput_tok_s' | 'requests' | 'n'>;
}

/** What one measured cell cost its server: its share of the server's busy window, and what it sent. */
export interface MeasuredCost {
  /** Seconds of the server's busy window attributed to this cell (all of it when it was served alone). */
  gpuS: number;
  /** Requests the server answered for it (the rest came from the request cache). */
  sent: number;
  requests: number;
  records: number;
  samplesPerTask: number;
  model: string;
  backend: RunFile['backend'];
  finishedAt: string;
}

/**
 * GPU seconds per measured cell. A cell's own wall time also holds its wait for the GPU lease and for its server
 * to start, and cells of one model share one server at the same time, so neither its wall time nor the sum of them
 * is what the GPU spent: the server's busy window is. Cells whose `served` windows (first request sent to last
 * answer) overlap on one server form a session; the session's span is split between its cells in proportion to
 * their own served windows, measured rather than modelled: a cell of long generations keeps the server longer
 * than one of log-likelihood requests, and sharing the server slows every cell in it alike. Cells with nothing
 * served (dummy backend, results written before run.json recorded `served`, every answer from the request cache)
 * measure nothing and are left out.
 */
export function measuredCosts(cells: readonly CostCell[]): Map<string, MeasuredCost> {
  const out = new Map<string, MeasuredCost>();
  const served = cells
    .filter((c) => c.run.backend !== 'dummy' && c.run.served && c.metrics.requests.sent > 0)
    .map((c) => ({ ...c, run: { ...c.run, started_at: c.run.served!.from, finished_at: c.run.served!.to } }));
  for (const session of serverSessions(served)) {
    const members = session.cells;
    const own = (c: CostCell) => Math.max(0, Date.parse(c.run.finished_at) - Date.parse(c.run.started_at));
    // Windows too short to time (all zero) share the span by requests sent.
    const timed = members.some((c) => own(c) > 0);
    const weight = timed ? own : (c: CostCell) => c.metrics.requests.sent;
    const total = members.reduce((a, c) => a + weight(c), 0);
    for (const c of members) {
      const spt = Number(c.run.settings.samples_per_task ?? 1);
      out.set(c.cell.key, {
        gpuS: total > 0 ? (session.windowS * weight(c)) / total : 0,
        sent: c.metrics.requests.sent,
        requests: c.metrics.requests.total,
        records: c.run.dataset.records,
        samplesPerTask: Number.isFinite(spt) && spt > 0 ? spt : 1,
        model: c.run.model.name,
        backend: c.run.backend,
        finishedAt: c.run.finished_at,
      });
    }
  }
  return out;
}

/**
 * GPU seconds a re-run of a measured cell is predicted to take: its measured seconds per request sent, times the
 * requests a run of `records` records × `samplesPerTask` sends. Null when the measurement sent nothing (every
 * answer came from the request cache), so it says nothing about the GPU.
 */
export function predictFromMeasured(m: MeasuredCost, records: number, samplesPerTask: number): number | null {
  if (m.sent <= 0 || m.records <= 0) return null;
  const perRequest = m.gpuS / m.sent;
  const requests = m.requests * (records / m.records) * (samplesPerTask / m.samplesPerTask);
  return perRequest * requests;
}

/**
 * Wall time of jobs (one per model server, in GPU seconds) on `gpus` GPUs when every server that fits runs at once:
 * longest first, each on the GPU that frees up first (LPT scheduling; within 4/3 of the optimum).
 */
export function makespan(jobs: readonly number[], gpus: number): number {
  const load = new Array<number>(Math.max(1, Math.floor(gpus))).fill(0);
  for (const j of [...jobs].sort((a, b) => b - a)) {
    let i = 0;
    for (let k = 1; k < load.length; k++) if (load[k] < load[i]) i = k;
    load[i] += j;
  }
  return Math.max(...load);
}
