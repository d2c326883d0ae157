import { spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APIConnectionError, APIConnectionTimeoutError, APIUserAbortError, BadRequestError, InternalServerError } from 'openai';
import { InferenceClient, isRetryableError } from '../src/client';
import { directPost } from '../src/direct-post';
import { EndpointBackend } from '../src/endpoint-backend';
import { keepAliveFetch } from '../src/keep-alive-fetch';
import { RequestCache, requestCacheKey } from '../src/request-cache';
import { hashValue } from '@evalgraph/core';
import { buildRequestBody } from '../src/modes';
import { NON_THINKING, preset, qwen3Model, spec, tempRoot } from './helpers';

const CHAT = { choices: [{ message: { content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 1 } };

/** A local server: /ok answers after ?delay= ms, /status/N answers N; counts connections and POSTs in flight. */
function testServer() {
  const stats = { connections: 0, inflight: 0, maxInflight: 0, bodies: [] as string[], auth: [] as (string | undefined)[] };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      stats.bodies.push(body);
      stats.auth.push(req.headers.authorization);
      const u = new URL(req.url ?? '/', 'http://x');
      // Only generation requests count as in flight (the backend also polls /metrics and asks /version).
      const counted = req.method === 'POST';
      if (counted) stats.inflight++;
      stats.maxInflight = Math.max(stats.maxInflight, stats.inflight);
      const status = /\/status\/(\d+)/.exec(u.pathname);
      setTimeout(() => {
        if (counted) stats.inflight--;
        if (status) {
          res.writeHead(Number(status[1]), { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: `status ${status[1]}`, type: 'x' } }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'r1' });
        res.end(JSON.stringify(CHAT));
      }, Number(u.searchParams.get('delay') ?? (u.pathname.endsWith('/chat/completions') ? 20 : 0)));
    });
  });
  server.on('connection', () => stats.connections++);
  return { server, stats };
}

let t: ReturnType<typeof testServer>;
let base: string;
const tmp = tempRoot('evalgraph-transport-');

beforeAll(async () => {
  t = testServer();
  await new Promise<void>((r) => t.server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(t.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  t.server.closeAllConnections();
  await new Promise((r) => t.server.close(r));
  tmp.cleanup();
});

describe('directPost on a keep-alive agent', () => {
  it('returns the JSON, sends the key as a bearer header, and reuses one connection for sequential calls', async () => {
    const f = keepAliveFetch();
    const before = t.stats.connections;
    for (let i = 0; i < 5; i++) {
      const data = await directPost(`${base}/ok`, { i }, { fetch: f, apiKey: 'k-1', timeoutMs: 5000 });
      expect(data).toEqual(CHAT);
    }
    expect(t.stats.connections - before).toBe(1);
    expect(t.stats.auth.at(-1)).toBe('Bearer k-1');
    expect(JSON.parse(t.stats.bodies.at(-1) as string)).toEqual({ i: 4 });
  });

  it('raises the SDK error classes: 5xx retryable, 4xx not, timeout, user abort, refused connection', async () => {
    const f = keepAliveFetch();
    const e503 = await directPost(`${base}/status/503`, {}, { fetch: f, timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(e503).toBeInstanceOf(InternalServerError);
    expect((e503 as InternalServerError).status).toBe(503);
    expect(isRetryableError(e503)).toBe(true);
    const e400 = await directPost(`${base}/status/400`, {}, { fetch: f, timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(e400).toBeInstanceOf(BadRequestError);
    expect(isRetryableError(e400)).toBe(false);
    const slow = await directPost(`${base}/ok?delay=500`, {}, { fetch: f, timeoutMs: 50 }).catch((e: unknown) => e);
    expect(slow).toBeInstanceOf(APIConnectionTimeoutError);
    expect(isRetryableError(slow)).toBe(true);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    const aborted = await directPost(`${base}/ok?delay=500`, {}, { fetch: f, timeoutMs: 5000, signal: ac.signal }).catch((e: unknown) => e);
    expect(aborted).toBeInstanceOf(APIUserAbortError);
    expect(isRetryableError(aborted)).toBe(false);
    const refused = await directPost('http://127.0.0.1:1/ok', {}, { fetch: f, timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(APIConnectionError);
    expect(refused).not.toBeInstanceOf(APIConnectionTimeoutError);
  });

  it('a request that outlasts the idle timeout of pooled sockets still completes', async () => {
    const f = keepAliveFetch({ idleTimeoutMs: 50 });
    expect(await directPost(`${base}/ok?delay=300`, {}, { fetch: f, timeoutMs: 5000 })).toEqual(CHAT);
    // the pooled socket is closed after 50 ms idle; the next call opens a new one and succeeds
    await new Promise((r) => setTimeout(r, 150));
    const before = t.stats.connections;
    expect(await directPost(`${base}/ok`, {}, { fetch: f, timeoutMs: 5000 })).toEqual(CHAT);
    expect(t.stats.connections - before).toBe(1);
  });
});

describe('InferenceClient', () => {
  it("answers the same through the direct path and the SDK's pipeline", async () => {
    for (const httpMode of ['direct', 'sdk'] as const) {
      const c = new InferenceClient({ baseURL: `${base}/v1`, concurrency: 2, timeoutMs: 5000, maxRetries: 0, http: httpMode });
      const r = await c.chat({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
      expect(r.data.choices[0].message.content).toBe('ok');
      expect(c.counters.promptTokens).toBe(3);
    }
  });
});

describe('EndpointBackend', () => {
  it('cells of one server key share one limiter: preset.concurrency bounds the requests in flight across backends', async () => {
    const s = { ...spec(tmp.root, 'shared'), backend: 'endpoint' as const, key: `endpoint|shared-${Date.now()}`, model: qwen3Model({ endpoint: `${base}/v1` }), preset: preset({ concurrency: 3 }) };
    t.stats.maxInflight = 0;
    const reqs = (tag: string) => Array.from({ length: 12 }, (_, i) => ({ kind: 'chat' as const, messages: [{ role: 'user' as const, content: `${tag} ${i}` }], sample_index: 0 }));
    const opts = { mode: NON_THINKING, modeName: 'non-thinking', englishOnly: false, maxTokens: 8 };
    const [a, b] = await Promise.all([new EndpointBackend(s).run(reqs('a'), opts), new EndpointBackend(s).run(reqs('b'), opts)]);
    expect(a.stats.sent + b.stats.sent).toBe(24);
    expect(a.stats.failed + b.stats.failed).toBe(0);
    expect(t.stats.maxInflight).toBeLessThanOrEqual(3);
    expect(t.stats.maxInflight).toBeGreaterThan(1);
  });
});

describe('RequestCache write batching', () => {
  const gen = (text: string) => ({ kind: 'generate' as const, text, finish_reason: 'stop', prompt_tokens: 1, completion_tokens: 1, latency_ms: 1, cached: false });

  it('a put is readable at once, visible to another connection after the tick, and close() writes what is pending', async () => {
    const file = join(tmp.root, 'batch.sqlite');
    const a = RequestCache.open(file);
    const b = RequestCache.open(file);
    a.put('k1', 'm', gen('one'));
    expect(a.get('k1')?.kind).toBe('generate');
    a.put('k2', 'm', gen('two'));
    await new Promise((r) => setImmediate(r));
    expect(b.get('k2')).toEqual({ ...gen('two'), cached: true });
    a.put('k3', 'm', gen('three'));
    a.close();
    expect(b.get('k3')?.kind).toBe('generate');
    expect(b.stats().entries).toBe(3);
    b.close();
  });

  it('rows still pending when the process exits are written by the exit hook', () => {
    const file = join(tmp.root, 'exit.sqlite');
    const script = `const { RequestCache } = require(${JSON.stringify(join(__dirname, '../src/request-cache'))});
      const c = RequestCache.open(${JSON.stringify(file)});
      for (let i = 0; i < 5; i++) c.put('k' + i, 'm', { kind: 'generate', text: 't', finish_reason: 'stop', prompt_tokens: 1, completion_tokens: 1, latency_ms: 1, cached: false });
      process.exit(0);`;
    const r = spawnSync(process.execPath, ['-r', '@swc-node/register', '-e', script], { encoding: 'utf8', cwd: join(__dirname, '..') });
    expect(r.status, r.stderr).toBe(0);
    const c = RequestCache.open(file);
    expect(c.stats().entries).toBe(5);
    c.close();
  });
});

describe('request cache keys', () => {
  it('a request-cache key is the hash of its parts, as every earlier cache was keyed', () => {
    const mode = NON_THINKING;
    const body = buildRequestBody({ kind: 'chat', messages: [{ role: 'system', content: 'You are 助手.' }, { role: 'user', content: 'Q: 2+2?' }], sample_index: 3, stop: ['Q:'] }, { servedModel: 'm', mode, maxTokens: 16, seed: 7 }).body;
    const parts = { model: { hf_id: 'Qwen/Qwen3-8B', revision: 'r' }, runtime: 'vllm', serverArgs: { 'max-model-len': 4096, dtype: 'auto' }, body, sampleIndex: 3 };
    expect(requestCacheKey(parts)).toBe(hashValue({ v: 1, model: parts.model, runtime: parts.runtime, server: parts.serverArgs, body, sample_index: 3 }));
  });
});
