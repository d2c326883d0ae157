import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EvalResponse } from '@evalgraph/core';
import { EndpointBackend, endpointUrls } from '../src/endpoint-backend';
import { freePort } from '../src/proc';
import { formatRequestCacheStats, outputAffectingArgs, RequestCache, requestCacheKey } from '../src/request-cache';
import { ManagedServer } from '../src/server';
import { mergedVllmFlags } from '../src/vllm-args';
import { NON_THINKING, gpu, preset, processesMatching, qwen3Model, readJsonLines, spec, STANDIN, tempRoot, useStandin, type StandinRequest } from './helpers';

let root: string;
let cleanup: () => void;
beforeAll(() => {
  useStandin();
  ({ root, cleanup } = tempRoot());
});
afterAll(() => cleanup());

const gen = (text: string): EvalResponse => ({ kind: 'generate', text, finish_reason: 'stop', prompt_tokens: 1, completion_tokens: 1, latency_ms: 5, cached: false });
const keyOf = (p: ReturnType<typeof preset>, model = qwen3Model(), body: Record<string, unknown> = { model: 'q', messages: [] }) =>
  requestCacheKey({
    model: { hf_id: model.hf_id, revision: model.revision },
    runtime: 'vllm',
    serverArgs: outputAffectingArgs(mergedVllmFlags({ modelName: 'q', model, preset: p, gpu: gpu(), workspaceRoot: root, port: 1234 })),
    body,
    sampleIndex: 0,
  });

describe('request cache keys', () => {
  it('ignore memory/scheduling knobs but change with output-affecting server args, the model revision and the body', () => {
    const base = keyOf(preset());
    expect(keyOf(preset({ gpu_memory_utilization: 0.9, max_num_seqs: 8, concurrency: 99, enable_prefix_caching: false }))).toBe(base);
    expect(keyOf(preset({ dtype: 'float16' }))).not.toBe(base);
    expect(keyOf(preset({ kv_cache_dtype: 'fp8' }))).not.toBe(base);
    expect(keyOf(preset({ max_model_len: 4096 }))).not.toBe(base);
    expect(keyOf(preset(), qwen3Model({ revision: '1'.repeat(40) }))).not.toBe(base);
    expect(keyOf(preset(), qwen3Model({ vllm_args: { quantization: 'fp8' } }))).not.toBe(base);
    expect(keyOf(preset(), undefined, { model: 'q', messages: [], temperature: 0.1 })).not.toBe(base);
  });

  it('hash the chat template by content, not path', () => {
    const tpl = join(root, 'chat.jinja');
    writeFileSync(tpl, '{{ messages }}');
    const m = qwen3Model({ chat_template: tpl });
    const k1 = keyOf(preset(), m);
    writeFileSync(tpl, '{{ messages }} changed');
    expect(keyOf(preset(), m)).not.toBe(k1);
  });
});

describe('RequestCache', () => {
  it('stores finished responses (not errors), reports stats and prunes by model and age', () => {
    const file = join(root, 'c1.sqlite');
    const c = RequestCache.open(file);
    c.put('k1', 'qwen3-8b', gen('a'));
    c.put('k2', 'qwen3-8b', gen('b'));
    c.put('k3', 'qwen3-14b', gen('c'));
    c.put('k4', 'qwen3-14b', { kind: 'error', error: 'HTTP 500', latency_ms: 1 });
    expect(c.get('k1')).toEqual({ ...gen('a'), cached: true });
    expect(c.get('k4')).toBeNull();
    const st = c.stats();
    expect(st.entries).toBe(3);
    expect(st.models.map((m) => [m.model, m.entries])).toEqual([
      ['qwen3-14b', 1],
      ['qwen3-8b', 2],
    ]);
    expect(st.fileBytes).toBeGreaterThan(0);
    expect(formatRequestCacheStats(st)).toMatch(/^request cache .*c1\.sqlite: 3 responses, [\d.]+ MiB on disk\n  qwen3-14b: 1 responses/);
    expect(c.countMatching({ model: 'qwen3-14b' })).toEqual({ entries: 1, bytes: st.models[0].bytes });
    expect(c.prune({ model: 'qwen3-14b' })).toBe(1);
    const now = Date.now();
    vi.spyOn(Date, 'now').mockReturnValue(now + 10 * 86_400_000);
    try {
      c.put('k5', 'qwen3-8b', gen('new'));
      expect(c.countMatching({ olderThanDays: 7 }).entries).toBe(2);
      expect(c.countMatching({ olderThanDays: 7, model: 'nobody' }).entries).toBe(0);
      expect(c.prune({ olderThanDays: 7 })).toBe(2);
    } finally {
      vi.restoreAllMocks();
    }
    expect(c.stats().entries).toBe(1);
    expect(c.get('k5')).not.toBeNull();
    c.close();
  });

  it('a corrupted cache file is moved aside with a warning and a fresh cache starts', () => {
    const file = join(root, 'c2.sqlite');
    writeFileSync(file, Buffer.from('this is not a sqlite database, it is garbage'.repeat(200)));
    const warnings: string[] = [];
    const c = RequestCache.open(file, { onWarning: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/corrupted .* moved it to .*c2\.sqlite\.corrupt-/);
    expect(readdirSync(root).some((f) => f.startsWith('c2.sqlite.corrupt-'))).toBe(true);
    c.put('k', 'm', gen('x'));
    expect(c.get('k')?.kind).toBe('generate');
    c.close();
  });

  it('a database with a damaged page fails quick_check and is replaced', () => {
    const file = join(root, 'c3.sqlite');
    const c = RequestCache.open(file);
    for (let i = 0; i < 300; i++) c.put(`k${i}`, 'm', gen('x'.repeat(200)));
    c.prune({ vacuum: false, model: 'nobody' }); // checkpoint the WAL into the main file
    c.close();
    const bytes = readFileSync(file);
    bytes.fill(0x5a, 4096 * 2, 4096 * 4); // scribble over pages 3-4
    writeFileSync(file, bytes);
    const warnings: string[] = [];
    const fresh = RequestCache.open(file, { onWarning: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(fresh.stats().entries).toBe(0);
    fresh.close();
  });
});

describe('EndpointBackend (an existing server: never started or stopped by evalgraph)', () => {
  it('sends the key only as a header: it is in neither the request cache nor the bodies', async () => {
    const name = `ep-${Math.random().toString(36).slice(2, 7)}`;
    const reqLog = join(root, `${name}.jsonl`);
    const port = await freePort();
    const server = await ManagedServer.start({ executable: STANDIN, args: ['serve', 'Qwen/Qwen3-8B', '--served-model-name', name, '--port', String(port)], port, servedModelName: name, logFile: join(root, `${name}.log`), pollIntervalMs: 50, env: { STANDIN_REQUEST_LOG: reqLog } });
    const secret = 'sk-test-SECRET-1234567890';
    const cacheFile = join(root, 'ep-cache.sqlite');
    const cache = RequestCache.open(cacheFile);
    try {
      const s = { ...spec(root, name), backend: 'endpoint' as const, model: qwen3Model({ endpoint: `${server.baseUrl}/v1`, api_key_env: 'EVALGRAPH_TEST_KEY' }) };
      const be = new EndpointBackend(s, { cache, env: { EVALGRAPH_TEST_KEY: secret } });
      const r = await be.run([{ kind: 'chat', messages: [{ role: 'user', content: 'hi' }], sample_index: 0 }], { mode: NON_THINKING, modeName: 'non-thinking', englishOnly: false, maxTokens: 8 });
      expect(r.responses[0].kind).toBe('generate');
      await be.close();
      expect(server.hasExited).toBe(false); // close() left it running
      expect(be.describe()).toEqual({ kind: `endpoint ${new URL(server.baseUrl).origin}`, version: 'standin-vllm 1.0.0', command: null });
      const again = await be.run([{ kind: 'chat', messages: [{ role: 'user', content: 'hi' }], sample_index: 0 }], { mode: NON_THINKING, modeName: 'non-thinking', englishOnly: false, maxTokens: 8 });
      expect(again.stats.fromCache).toBe(1);
      const missingKey = new EndpointBackend(s, { cache, env: {} });
      await expect(missingKey.run([{ kind: 'chat', messages: [{ role: 'user', content: 'other' }], sample_index: 0 }], { mode: NON_THINKING, modeName: 'x', englishOnly: false, maxTokens: 8 })).rejects.toThrow(/EVALGRAPH_TEST_KEY is not set/);
    } finally {
      cache.close();
      await server.stop();
    }
    for (const f of [cacheFile, `${cacheFile}-wal`]) if (existsSync(f)) expect(readFileSync(f).includes(secret)).toBe(false);
    expect(JSON.stringify(readJsonLines<StandinRequest>(reqLog))).not.toContain(secret);
    expect(processesMatching(name)).toEqual([]);
  });

  it('normalizes endpoint URLs and drops credentials from the cache identity', () => {
    expect(endpointUrls('http://user:pw@gpu-box:8000')).toEqual({ baseURL: 'http://gpu-box:8000/v1', root: 'http://gpu-box:8000', origin: 'http://gpu-box:8000' });
    expect(endpointUrls('https://host/proxy/v1/')).toEqual({ baseURL: 'https://host/proxy/v1', root: 'https://host/proxy', origin: 'https://host' });
  });
});
