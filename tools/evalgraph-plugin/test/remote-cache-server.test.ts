import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseServeArgs } from '../src/cli/remote-cache';
import { startRemoteCacheServer, type RunningRemoteCache } from '../src/remote-cache/server';

const WRITE = 'w-0123456789abcdef0123';
const READ = 'r-0123456789abcdef0123';

let dir: string;
let server: RunningRemoteCache;

/** One HTTP request; resolves with status and body (never throws on an HTTP error status). */
function call(method: string, path: string, opts: { token?: string; body?: Buffer; headers?: Record<string, string> } = {}): Promise<{ status: number; body: Buffer; type?: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.body) headers['content-length'] = opts.body.length;
    const req = request(`${server.url}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), type: res.headers['content-type'] }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const entry = (text: string) => gzipSync(Buffer.from(text.repeat(200)));
const entryFiles = () => readdirSync(join(dir, 'entries'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());

describe('evalgraph remote-cache server', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'evalgraph-rc-'));
    server = await startRemoteCacheServer({ dir, host: '127.0.0.1', port: 0, maxEntryBytes: 1 << 20, writeTokens: [WRITE], readTokens: [READ] });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores with the write token and serves the same bytes; a missing hash is 404', async () => {
    const body = entry('cell result ');
    expect((await call('PUT', '/v1/cache/1111', { token: WRITE, body })).status).toBe(200);
    const got = await call('GET', '/v1/cache/1111', { token: READ });
    expect(got.status).toBe(200);
    expect(got.body.equals(body)).toBe(true);
    expect((await call('GET', '/v1/cache/1111', { token: WRITE })).body.equals(body)).toBe(true);
    const missing = await call('GET', '/v1/cache/9999', { token: READ });
    expect(missing.status).toBe(404);
  });

  it('refuses writes without the write token, and reads without a token when a read token is configured', async () => {
    const body = entry('x');
    const none = await call('PUT', '/v1/cache/2222', { body });
    expect(none.status).toBe(401);
    expect(none.body.toString()).toMatch(/NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN/);
    // Nx shows a 401's text only when the content type is exactly text/plain (else: "misconfigured endpoint").
    expect(none.type).toBe('text/plain');
    expect((await call('PUT', '/v1/cache/2222', { token: 'not-a-token-of-this-server', body })).status).toBe(401);
    // A read-only token writing is 403: Nx's client then skips the upload instead of failing the run.
    expect((await call('PUT', '/v1/cache/2222', { token: READ, body })).status).toBe(403);
    expect((await call('GET', '/v1/cache/1111')).status).toBe(401);
    expect((await call('GET', '/v1/cache/2222', { token: WRITE })).status).toBe(404);
    expect(entryFiles().map((e) => e.name)).toEqual(['1111']);
  });

  it('never stores a truncated upload: a connection cut mid-body or a cut-off gzip stream leaves no entry', async () => {
    const body = entry('truncated ');
    // The client promises the whole entry, sends half and dies.
    await new Promise<void>((resolve, reject) => {
      const { port } = new URL(server.url);
      const sock = connect(Number(port), '127.0.0.1', () => {
        sock.write(`PUT /v1/cache/3333 HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${WRITE}\r\ncontent-length: ${body.length}\r\n\r\n`);
        sock.write(body.subarray(0, body.length >> 1), () => setTimeout(() => (sock.destroy(), resolve()), 200));
      });
      sock.on('error', reject);
    });
    // A body whose length matches its header but whose gzip stream stops early (a truncated artifact).
    const cut = await call('PUT', '/v1/cache/3334', { token: WRITE, body: body.subarray(0, body.length - 9) });
    expect(cut.status).toBe(400);
    expect(cut.body.toString()).toMatch(/not a complete gzip stream/);
    await new Promise((r) => setTimeout(r, 200));
    expect((await call('GET', '/v1/cache/3333', { token: READ })).status).toBe(404);
    expect((await call('GET', '/v1/cache/3334', { token: READ })).status).toBe(404);
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
    // The same hash uploads fine afterwards.
    expect((await call('PUT', '/v1/cache/3333', { token: WRITE, body })).status).toBe(200);
  });

  it('concurrent writers of one hash: exactly one upload is stored, the rest get 409, the entry is one whole upload', async () => {
    const bodies = Array.from({ length: 12 }, (_, i) => entry(`writer ${i} `));
    const results = await Promise.all(bodies.map((body) => call('PUT', '/v1/cache/4444', { token: WRITE, body })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(11);
    const got = await call('GET', '/v1/cache/4444', { token: READ });
    expect(bodies.some((b) => b.equals(got.body))).toBe(true);
    expect(bodies[results.findIndex((r) => r.status === 200)].equals(got.body)).toBe(true);
  });

  it('a stored entry damaged on disk is not served (404, moved aside) so Nx recomputes it', async () => {
    const body = entry('damaged ');
    expect((await call('PUT', '/v1/cache/5555', { token: WRITE, body })).status).toBe(200);
    const file = entryFiles().find((e) => e.name === '5555')!;
    writeFileSync(join(file.parentPath, file.name), Buffer.concat([Buffer.from('0'.repeat(64) + '\n'), body]));
    expect((await call('GET', '/v1/cache/5555', { token: READ })).status).toBe(404);
    expect(readdirSync(join(dir, 'corrupt')).some((n) => n.startsWith('5555.'))).toBe(true);
  });

  it('refuses hashes that could leave the store, uploads without Content-Length or over the size limit, and other methods', async () => {
    expect((await call('GET', '/v1/cache/..%2F..%2Fetc%2Fpasswd', { token: READ })).status).toBe(400);
    expect((await call('PUT', '/v1/cache/6666', { token: WRITE, headers: { 'transfer-encoding': 'chunked' } })).status).toBe(411);
    // Over the size limit is 403, which Nx takes as "not stored" and carries on (any other refusal stops its run).
    expect((await call('PUT', '/v1/cache/6667', { token: WRITE, body: Buffer.alloc((1 << 20) + 1) })).status).toBe(403);
    expect((await call('DELETE', '/v1/cache/1111', { token: WRITE })).status).toBe(405);
    expect((await call('GET', '/v2/other', { token: READ })).status).toBe(404);
  });
});

describe('remote-cache serve flags', () => {
  it('names the flag and the fix for each mistake, and needs a token off loopback', () => {
    const d = mkdtempSync(join(tmpdir(), 'evalgraph-rc-flags-'));
    try {
      expect(() => parseServeArgs(['--port', '1'], d)).toThrow(/--dir is required/);
      expect(() => parseServeArgs(['--dir', 'c', '--port', 'http'], d)).toThrow(/--port: expected a port number .* found "http"/);
      expect(() => parseServeArgs(['--dir', 'c', '--port', '1', '--token-file', 'nope'], d)).toThrow(/--token-file .*nope: cannot read the token file .*openssl rand -hex 32/);
      writeFileSync(join(d, 'short'), 'abc\n');
      expect(() => parseServeArgs(['--dir', 'c', '--port', '1', '--token-file', 'short'], d)).toThrow(/at least 16 characters/);
      expect(() => parseServeArgs(['--dir', 'c', '--port', '1', '--host', '0.0.0.0'], d)).toThrow(/--host 0\.0\.0\.0: a server reachable from other machines needs --token-file/);
      writeFileSync(join(d, 'tok'), `# CI\n${WRITE}\n`);
      const o = parseServeArgs(['--dir', 'c', '--port', '0', '--host', '0.0.0.0', '--token-file', 'tok'], d);
      expect(o).toMatchObject({ dir: join(d, 'c'), host: '0.0.0.0', port: 0, writeTokens: [WRITE], readTokens: [] });
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
