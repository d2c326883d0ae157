// Evaluator peak memory: one GSM8K cell of N samples through runCell (request building, the endpoint backend with
// a fresh request cache, scoring, samples.jsonl/metrics.json/run.json) in a process of its own. Prints one JSON line:
// { samples, heap_growing_percent (what the executors' heap tuning set; null with --default-heap), baseline_rss_mb
// (after loading the code and the dataset), peak_rss_mb (process maxRSS), seconds, at_end: V8 heap and external
// memory when the cell is done, before any forced GC }.
//
//   node -r @swc-node/register bench/workers/rss-cell.ts --root WORKSPACE --url http://127.0.0.1:PORT --samples N [--default-heap]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ModelConfig } from '@evalgraph/core';
import { EndpointBackend, RequestCache, type ServerSpec } from '@evalgraph/inference';
import { runCell } from '@evalgraph/scoring';
import { benchCellInput } from '../lib/cell-input';
import { tuneHeapForEvaluation } from '../../tools/evalgraph-plugin/src/shared/heap-tuning';

function arg(name: string): string {
  const i = process.argv.indexOf(name);
  if (i < 0) throw new Error(`missing ${name}`);
  return process.argv[i + 1];
}

async function main() {
  // As the evaluate executors do before their cells; --default-heap measures V8's default growth instead.
  const heapGrowingPercent = process.argv.includes('--default-heap') ? null : tuneHeapForEvaluation();
  const root = arg('--root');
  const url = arg('--url');
  const n = Number(arg('--samples'));
  const input = benchCellInput(root, { model: 'qwen3-8b', preset: 'balanced', dataset: 'gsm8k', sampleLimit: n, backend: 'endpoint' });
  // Past the split's 1,319 records, copies with new ids (their requests repeat, so the server answers them again).
  const base = input.records;
  const records = Array.from({ length: n }, (_, i) => (i < base.length ? base[i] : { ...base[i % base.length], id: `${base[i % base.length].id}#${Math.floor(i / base.length)}` }));
  const work = mkdtempSync(path.join(tmpdir(), 'evalgraph-bench-rss-'));
  try {
    const model = ModelConfig.parse({ ...input.model, endpoint: `${url}/v1` });
    const spec: ServerSpec = { key: `endpoint|rss|${n}`, modelName: 'qwen3-8b', model, preset: input.preset, presetName: 'balanced', gpu: input.gpu, gpuName: 'h100-80gb', backend: 'endpoint', englishOnly: false, workspaceRoot: work, logFile: path.join(work, 'server.log') };
    const cache = RequestCache.open(path.join(work, 'request-cache.sqlite'));
    const backend = new EndpointBackend(spec, { cache });
    global.gc?.();
    const baseline = process.memoryUsage().rss / 1048576;
    const t0 = performance.now();
    const summary = await runCell({ ...input, model, root: work, records, sampleLimit: n, resultsDir: 'results/rss', backend, maxErrorRate: 1 });
    const seconds = (performance.now() - t0) / 1000;
    const m = process.memoryUsage();
    global.gc?.();
    const end = { heap_total_mb: m.heapTotal / 1048576, heap_used_mb: m.heapUsed / 1048576, external_mb: m.external / 1048576, heap_used_after_gc_mb: process.memoryUsage().heapUsed / 1048576 };
    cache.close();
    if (summary.n !== n) throw new Error(`scored ${summary.n} of ${n} samples`);
    process.stdout.write(JSON.stringify({ samples: n, heap_growing_percent: heapGrowingPercent, baseline_rss_mb: baseline, peak_rss_mb: process.resourceUsage().maxRSS / 1024, seconds, at_end: end }) + '\n');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exitCode = 1;
});
