import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildRequestBody } from '@evalgraph/inference';
import type { ChatRequest } from '@evalgraph/core';
import type { Scratch } from '../../test/helpers/scratch-workspace';
import { benchCellInput, gsm8kRequests } from '../lib/cell-input';
import { runTimed, type LocalServer } from '../lib/proc';
import { writeRequestsFile } from '../lib/requests-file';
import { row, type Row } from '../lib/results';
import { pairedRatio, spread, type Spread } from '../lib/stats';
import { runPromptfoo, writePromptfooConfig } from '../peers/promptfoo';
import { toolBin } from '../peers/tools';
import type { ItemOutput } from './cached-rerun';

interface LoadResult {
  mode: string;
  concurrency: number;
  requests: number;
  seconds: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  failed: number;
}

const REGISTER = ['-r', '@swc-node/register'];

async function worker(repoRoot: string, mode: 'evalgraph' | 'sdk', url: string, plan: [number, number][], requestsFile: string): Promise<LoadResult[]> {
  const r = await runTimed(process.execPath, [...REGISTER, path.join(repoRoot, 'bench/workers/client-load.ts'), '--mode', mode, '--url', url, '--plan', plan.map((p) => p.join(':')).join(','), '--requests', requestsFile], { cwd: repoRoot, timeoutMs: 300_000 });
  if (r.status !== 0) throw new Error(`client-load ${mode} failed:\n${r.out.slice(-3000)}`);
  const out = r.out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LoadResult);
  for (const x of out) if (x.failed) throw new Error(`client-load ${mode} at concurrency ${x.concurrency}: ${x.failed} requests failed`);
  return out;
}

async function autocannon(url: string, concurrency: number, bodyFile: string, seconds: number): Promise<LoadResult> {
  const r = await runTimed(process.execPath, [toolBin('autocannon'), '-c', String(concurrency), '-d', String(seconds), '-m', 'POST', '-H', 'content-type=application/json', '-i', bodyFile, '-j', `${url}/v1/chat/completions`], { timeoutMs: 120_000 });
  const j = JSON.parse(r.out.slice(r.out.indexOf('{'))) as { requests: { average: number; total: number }; latency: { p50: number; p99: number }; errors: number; non2xx: number; duration: number };
  if (j.errors || j.non2xx) throw new Error(`autocannon at ${concurrency}: ${j.errors} errors, ${j.non2xx} non-2xx`);
  return { mode: 'autocannon', concurrency, requests: j.requests.total, seconds: j.duration, rps: j.requests.total / j.duration, p50_ms: j.latency.p50, p99_ms: j.latency.p99, failed: 0 };
}

async function rssRun(repoRoot: string, wsRoot: string, url: string, samples: number, defaultHeap = false): Promise<{ samples: number; heap_growing_percent: number | null; baseline_rss_mb: number; peak_rss_mb: number; seconds: number; at_end: { heap_used_after_gc_mb: number } }> {
  const args = ['--expose-gc', ...REGISTER, path.join(repoRoot, 'bench/workers/rss-cell.ts'), '--root', wsRoot, '--url', url, '--samples', String(samples), ...(defaultHeap ? ['--default-heap'] : [])];
  const r = await runTimed(process.execPath, args, { cwd: repoRoot, timeoutMs: 300_000 });
  if (r.status !== 0) throw new Error(`rss-cell ${samples} failed:\n${r.out.slice(-3000)}`);
  return JSON.parse(r.out.split('\n').filter((l) => l.startsWith('{')).pop() as string);
}

/**
 * Item 2: requests/s and p50/p99 at concurrency 1, 16, 64, 256 through evalgraph's client path, a plain `openai`
 * SDK loop, autocannon (the floor) and promptfoo, all against the same zero-latency server; and the evaluator's
 * peak RSS for 1k, 10k and 40k samples (and the heap it really retains).
 */
export async function throughput(repoRoot: string, ws: Scratch, server: LocalServer, o: { repeats: number; quick: boolean; workDir: string; log: (s: string) => void }): Promise<ItemOutput> {
  const requestsFile = path.join(o.workDir, 'gsm8k-requests.json');
  const { bytesPerBody } = writeRequestsFile(ws.root, requestsFile);
  const input = benchCellInput(ws.root, { model: 'qwen3-8b', preset: 'balanced', dataset: 'gsm8k', sampleLimit: 1, backend: 'endpoint' });
  const mode = input.model.modes[input.modeName];
  const body = buildRequestBody(gsm8kRequests(input, 1)[0] as ChatRequest, { servedModel: 'qwen3-8b', mode, maxTokens: input.dataset.max_tokens ?? mode.max_tokens }).body;
  const bodyFile = path.join(o.workDir, 'gsm8k-body.json');
  writeFileSync(bodyFile, JSON.stringify(body));
  const levels = [1, 16, 64, 256];
  const n = (c: number) => (o.quick ? (c === 1 ? 200 : 800) : c === 1 ? 1000 : c === 16 ? 3000 : 6000);
  const plan = levels.map((c) => [c, n(c)] as [number, number]);
  const res: Record<string, LoadResult[][]> = { evalgraph: [], sdk: [], autocannon: [] };
  for (let i = 0; i < o.repeats; i++) {
    // Interleaved per repeat so a change in machine load hits every client alike.
    res.evalgraph.push(await worker(repoRoot, 'evalgraph', server.url, plan, requestsFile));
    res.sdk.push(await worker(repoRoot, 'sdk', server.url, plan, requestsFile));
    const ac: LoadResult[] = [];
    for (const c of levels) ac.push(await autocannon(server.url, c, bodyFile, o.quick ? 1 : 2));
    res.autocannon.push(ac);
    o.log(`  repeat ${i + 1}: ${levels.map((c, k) => `c=${c} evalgraph ${res.evalgraph[i][k].rps.toFixed(0)} / sdk ${res.sdk[i][k].rps.toFixed(0)} / autocannon ${ac[k].rps.toFixed(0)} req/s`).join('; ')}`);
  }
  // promptfoo's request rate, measured at the server (first to last request) with its cache off; one provider.
  const pfRps: Record<number, number[]> = { 1: [], 16: [], 64: [], 256: [] };
  const pfSizes: Record<number, number> = o.quick ? { 1: 20, 16: 100, 64: 200, 256: 300 } : { 1: 50, 16: 300, 64: 500, 256: 600 };
  for (const c of levels) {
    const setup = writePromptfooConfig(ws.root, path.join(o.workDir, `promptfoo-rps-${c}`), [{ model: 'qwen3-8b', preset: 'balanced' }], pfSizes[c], server.url);
    await server.stats(true);
    await runPromptfoo(setup, { concurrency: c, cold: true, cache: false });
    const st = await server.stats(true);
    if (st.first_ms && st.last_ms && st.requests > 1) pfRps[c].push((st.requests - 1) / ((st.last_ms - st.first_ms) / 1000));
    o.log(`  promptfoo -j ${c}: ${pfRps[c].map((x) => x.toFixed(0)).join(', ')} req/s`);
  }

  // 10,000 is the target's size; 40,000 shows whether the peak keeps rising past it (flat) or levels off.
  // The target size runs once per repeat: its peak moves by tens of MB with when V8's full GCs land.
  const rssSizes = o.quick ? [200, 1000, 2000] : [1000, 10000, 40000];
  const targetSize = rssSizes[1];
  const measure = async (s: number, defaultHeap = false) => {
    const r = await rssRun(repoRoot, ws.root, server.url, s, defaultHeap);
    o.log(`  evaluator ${s} samples${defaultHeap ? ", V8's default heap growth" : ''}: peak RSS ${r.peak_rss_mb.toFixed(0)} MB`);
    return r;
  };
  // Each target-size run is paired with one under V8's default heap growth (what the executors' tuning replaces).
  const rss = [];
  const targetRuns = [];
  const defaultHeapRuns = [];
  for (const s of rssSizes) {
    if (s !== targetSize) {
      rss.push(await measure(s));
      continue;
    }
    for (let i = 0; i < o.repeats; i++) {
      targetRuns.push(await measure(s));
      defaultHeapRuns.push(await measure(s, true));
    }
    rss.push(targetRuns[0]);
  }

  const at = (mode: string, k: number, f: keyof LoadResult) => res[mode].map((rep) => rep[k][f] as number);
  const rows: Row[] = [];
  levels.forEach((c, k) => {
    const eg = at('evalgraph', k, 'rps');
    const sdk = at('sdk', k, 'rps');
    const ac = at('autocannon', k, 'rps');
    const lat = (mode: string) => `p50 ${spread(at(mode, k, 'p50_ms')).median.toFixed(2)} ms, p99 ${spread(at(mode, k, 'p99_ms')).median.toFixed(2)} ms`;
    rows.push(row({ item: '2', name: `c=${c}: evalgraph client path vs plain openai SDK loop`, unit: 'req/s', values: eg, baseline: { name: 'plain `openai` SDK loop', values: sdk }, target: c === 256 ? { op: '>=', bound: 2, text: '≥ 2× the plain SDK loop' } : undefined, note: `evalgraph ${lat('evalgraph')}; SDK ${lat('sdk')}` }));
    rows.push(row({ item: '2', name: `c=${c}: evalgraph client path vs autocannon (floor)`, unit: 'req/s', values: eg, baseline: { name: 'autocannon', values: ac }, note: `autocannon ${lat('autocannon')}` }));
    const pf = pfRps[c];
    if (pf.length) {
      const ratio: Spread = pf.length === eg.length ? pairedRatio(eg, pf) : spread(eg.map((x) => x / spread(pf).median));
      rows.push(row({ item: '2', name: `c=${c}: evalgraph client path vs promptfoo`, unit: 'req/s', values: eg, baseline: { name: 'promptfoo (server-side rate, cache off)', values: pf }, ratio, target: c === 256 ? { op: '>=', bound: 10, text: '≥ 10× promptfoo' } : undefined }));
    }
  });
  const targetPeaks = targetRuns.map((r) => r.peak_rss_mb);
  const targetPeak = spread(targetPeaks).median;
  const peak = rss.map((r) => (r.samples === targetSize ? targetPeak : r.peak_rss_mb));
  const target = rss[rss.length - 2];
  const last = rss[rss.length - 1];
  const perK = (a: number, b: number, na: number, nb: number) => (b - a) / ((nb - na) / 1000);
  const slope = perK(targetPeak, last.peak_rss_mb, target.samples, last.samples);
  const retained = rss.map((r) => r.at_end.heap_used_after_gc_mb);
  const defaultPeaks = defaultHeapRuns.map((r) => r.peak_rss_mb);
  const growth = target.heap_growing_percent === null ? 'default heap growth' : `heap growth ${target.heap_growing_percent}% as the executors set it`;
  rows.push(row({ item: '2', name: `evaluator peak RSS, ${target.samples} samples`, unit: 'MB', values: targetPeaks, baseline: { name: 'same cell, V8’s default heap growth', values: defaultPeaks }, target: { op: '<=', bound: 300, on: 'value', text: '≤ 300 MB' }, note: `${growth}; ${targetPeaks.length} runs (${targetPeaks.map((x) => x.toFixed(0)).join(', ')} MB), default growth ${defaultPeaks.map((x) => x.toFixed(0)).join(', ')} MB; 1 run of each other size; baseline after loading code + dataset ${target.baseline_rss_mb.toFixed(0)} MB` }));
  rows.push(row({ item: '2', name: `evaluator peak RSS growth per 1,000 samples (${target.samples} → ${last.samples})`, unit: 'MB/1k', values: [slope], target: { op: '<=', bound: 5, on: 'value', text: 'flat: ≤ 5 MB per 1k samples' }, note: `peak RSS ${rssSizes.map((n, i) => `${n}: ${peak[i].toFixed(0)}`).join(', ')} MB; the peak is garbage V8 lets build up before a full GC` }));
  rows.push(row({ item: '2', name: `evaluator heap retained after the cell, per 1,000 samples (${rssSizes[0]} → ${last.samples})`, unit: 'MB/1k', values: [perK(retained[0], retained[retained.length - 1], rssSizes[0], last.samples)], note: `V8 heap used after a forced GC: ${retained.map((r) => r.toFixed(1)).join(' / ')} MB (what the evaluator really holds)` }));
  return {
    rows,
    raw: { requests_per_level: Object.fromEntries(plan), body_bytes: Buffer.byteLength(JSON.stringify(body)), messages_bytes: bytesPerBody, results: res, promptfoo_rps: pfRps, promptfoo_sizes: pfSizes, rss, rss_target_runs: targetRuns, rss_default_heap_runs: defaultHeapRuns },
    commands: [
      { what: 'evalgraph client path (EndpointBackend + fresh request cache)', command: `node -r @swc-node/register bench/workers/client-load.ts --mode evalgraph --url <server> --plan ${plan.map((p) => p.join(':')).join(',')} --requests gsm8k-requests.json` },
      { what: 'plain openai SDK loop', command: `node -r @swc-node/register bench/workers/client-load.ts --mode sdk --url <server> --plan ${plan.map((p) => p.join(':')).join(',')} --requests gsm8k-requests.json` },
      { what: 'autocannon (floor)', command: `autocannon -c <C> -d ${o.quick ? 1 : 2} -m POST -H content-type=application/json -i gsm8k-body.json -j <server>/v1/chat/completions` },
      { what: 'promptfoo request rate', command: 'promptfoo eval -c promptfooconfig.json -j <C> --no-cache --no-progress-bar --no-table (rate = requests / (last − first arrival) at the server)' },
      { what: 'evaluator RSS', command: `node --expose-gc -r @swc-node/register bench/workers/rss-cell.ts --root <workspace> --url <server> --samples <${rssSizes.join('|')}> [--default-heap]` },
    ],
    notes: [
      `Item 2: every request is a GSM8K 8-shot chat body (${Buffer.byteLength(JSON.stringify(body))} bytes); evalgraph's path is EndpointBackend.run (request-cache lookups and writes on a fresh SQLite file, body building, shared limiter, InferenceClient with retries and response validation); the SDK loop is C workers awaiting \`chat.completions.create\` with the SDK's default fetch. Each client runs in its own process after an untimed warm-up; the server is one Node process on the same 2 cores.`,
      `promptfoo: one run per level (${levels.map((c) => `${pfSizes[c]} GSM8K tests at -j ${c}`).join(', ')}), one provider, cache off; its rate is measured at the server from the first to the last request, so its start-up (seconds) is not counted against it.`,
    ],
  };
}
