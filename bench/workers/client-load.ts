// Client-throughput measurements in a process of their own (so the orchestrator and the server do not share its
// event loop). After an untimed warm-up, one measurement per plan entry; prints one JSON line each:
// { mode, concurrency, requests, seconds, rps, p50_ms, p99_ms, failed }.
//
//   node -r @swc-node/register bench/workers/client-load.ts --mode evalgraph|sdk --url http://127.0.0.1:PORT
//        --plan 1:600,16:2000,64:3000,256:3000 --requests requests.json
//
// evalgraph: EndpointBackend.run over N GSM8K requests: request-cache lookups on a fresh SQLite db, body building,
//            InferenceClient (bounded concurrency, retry policy, response validation) and a cache write per answer.
// sdk:       the plain `openai` SDK loop users would write: C workers awaiting chat.completions.create in turn.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { EndpointBackend, RequestCache, buildRequestBody, type ServerSpec } from '@evalgraph/inference';
import { ModelConfig, Preset, type EvalRequest, type ModelMode, type GpuProfile } from '@evalgraph/core';
import { pct } from '../lib/stats';

interface RequestsFile {
  model: unknown;
  preset: unknown;
  gpu: unknown;
  modeName: string;
  maxTokens: number;
  requests: EvalRequest[];
}

/** Request i: the split's requests in turn, sample_index raised on each pass so every request (and seed) is new. */
function nth(file: RequestsFile, n: number): EvalRequest[] {
  const base = file.requests;
  return Array.from({ length: n }, (_, i) => ({ ...base[i % base.length], sample_index: Math.floor(i / base.length) }));
}

function arg(name: string, dflt?: string): string {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? process.argv[i + 1] : dflt;
  if (v === undefined) throw new Error(`missing ${name}`);
  return v;
}

async function evalgraphLoad(file: RequestsFile, url: string, concurrency: number, n: number, cacheDir: string) {
  const model = ModelConfig.parse({ ...(file.model as object), endpoint: `${url}/v1` });
  const preset = Preset.parse({ ...(file.preset as object), concurrency });
  const spec: ServerSpec = {
    key: `endpoint|bench|c${concurrency}`,
    modelName: 'qwen3-8b',
    model,
    preset,
    presetName: 'bench',
    gpu: file.gpu as GpuProfile,
    gpuName: 'h100-80gb',
    backend: 'endpoint',
    englishOnly: false,
    workspaceRoot: cacheDir,
    logFile: path.join(cacheDir, 'server.log'),
  };
  const cache = RequestCache.open(path.join(cacheDir, 'request-cache.sqlite'));
  const backend = new EndpointBackend(spec, { cache });
  const mode = model.modes[file.modeName] as ModelMode;
  const requests = nth(file, n);
  const t0 = performance.now();
  const out = await backend.run(requests, { mode, modeName: file.modeName, englishOnly: false, maxTokens: file.maxTokens });
  const seconds = (performance.now() - t0) / 1000;
  cache.close();
  const lat = out.responses.map((r) => r.latency_ms);
  return { seconds, lat, failed: out.stats.failed, sent: out.stats.sent };
}

async function sdkLoad(file: RequestsFile, url: string, concurrency: number, n: number) {
  const model = ModelConfig.parse({ ...(file.model as object), endpoint: `${url}/v1` });
  const mode = model.modes[file.modeName] as ModelMode;
  const bodies = nth(file, n).map((r) => buildRequestBody(r, { servedModel: 'qwen3-8b', mode, maxTokens: file.maxTokens }).body);
  const sdk = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'EMPTY', maxRetries: 0 });
  const lat = new Float64Array(n);
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const t = performance.now();
      try {
        await sdk.chat.completions.create(bodies[i] as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming);
      } catch {
        failed++;
      }
      lat[i] = performance.now() - t;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { seconds: (performance.now() - t0) / 1000, lat: Array.from(lat), failed, sent: n };
}

async function measure(mode: string, file: RequestsFile, url: string, concurrency: number, n: number) {
  // A fresh request-cache database for every measurement: every request is a miss and gets written.
  const cacheDir = mkdtempSync(path.join(tmpdir(), 'evalgraph-bench-cache-'));
  try {
    return mode === 'evalgraph' ? await evalgraphLoad(file, url, concurrency, n, cacheDir) : await sdkLoad(file, url, concurrency, n);
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

async function main() {
  const mode = arg('--mode');
  const url = arg('--url');
  const plan = arg('--plan').split(',').map((p) => p.split(':').map(Number) as [number, number]);
  const file = JSON.parse(readFileSync(arg('--requests'), 'utf8')) as RequestsFile;
  await measure(mode, file, url, 16, 500); // warm-up: JIT, connections; not reported
  for (const [concurrency, n] of plan) {
    const r = await measure(mode, file, url, concurrency, n);
    const out = { mode, concurrency, requests: n, seconds: r.seconds, rps: n / r.seconds, p50_ms: pct(r.lat, 50), p99_ms: pct(r.lat, 99), failed: r.failed, sent: r.sent };
    process.stdout.write(JSON.stringify(out) + '\n');
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exitCode = 1;
});
