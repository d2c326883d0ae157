import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, scratchWorkspace, type Scratch } from '../helpers/scratch-workspace';

/** Each step runs nx in a scratch workspace; on a busy 2-core machine one can take minutes. */
const NX_TIMEOUT = 300_000;

// Smaller than pipeline-smoke (one model, two datasets) to keep the test short; the mechanism is the same.
const PIPELINE = `backend: dummy
settings:
  sample_limit: 3
models:
  - model: qwen3-8b
datasets:
  - gsm8k
  - arc-easy
`;
const CELLS = ['t:qwen3-8b/arc-easy', 't:qwen3-8b/gsm8k'];

const TOKEN = `evalgraph-ci-token-${Math.random().toString(36).slice(2)}`;
/** What PR jobs and colleagues get: reads only (Nx skips its uploads on the server's 403). */
const READ_TOKEN = `evalgraph-read-token-${Math.random().toString(36).slice(2)}`;
/** Fake secrets a real run has in its environment: none may reach an uploaded artifact. */
const SECRETS = { OPENAI_API_KEY: `sk-fake-${Math.random().toString(36).slice(2)}xyz`, HF_TOKEN: `hf_fake${Math.random().toString(36).slice(2)}` };

function files(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

/** Starts `evalgraph remote-cache serve` as its own process (nx runs through spawnSync, which blocks this one). */
async function serve(dir: string, tokenFile: string, readTokenFile: string): Promise<{ proc: ChildProcess; url: string; log: () => string }> {
  const proc = spawn(process.execPath, [resolve(REPO_ROOT, 'tools/evalgraph-plugin/bin/evalgraph.js'), 'remote-cache', 'serve', '--dir', dir, '--port', '0', '--token-file', tokenFile, '--read-token-file', readTokenFile], { cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (c) => (out += c));
  proc.stderr!.on('data', (c) => (out += c));
  const url = await new Promise<string>((res, rej) => {
    const t = setInterval(() => {
      const m = /NX_SELF_HOSTED_REMOTE_CACHE_SERVER=(\S+)/.exec(out);
      if (m) (clearInterval(t), res(m[1]));
      else if (proc.exitCode !== null) (clearInterval(t), rej(new Error(`remote cache server exited: ${out}`)));
    }, 50);
  });
  return { proc, url, log: () => out };
}

let a: Scratch;
let b: Scratch;
let store: string;
let server: Awaited<ReturnType<typeof serve>>;

describe('results shared through the Nx remote cache (two clones, one server)', () => {
  beforeAll(async () => {
    store = mkdtempSync(join(tmpdir(), 'evalgraph-remote-store-'));
    writeFileSync(join(store, 'token'), `${TOKEN}\n`);
    writeFileSync(join(store, 'read-token'), `${READ_TOKEN}\n`);
    server = await serve(join(store, 'cache'), join(store, 'token'), join(store, 'read-token'));
    a = scratchWorkspace({ pipelines: { t: PIPELINE } });
    b = scratchWorkspace({ pipelines: { t: PIPELINE } });
  }, NX_TIMEOUT);
  afterAll(() => {
    server?.proc.kill('SIGTERM');
    a?.dispose();
    b?.dispose();
    if (store) rmSync(store, { recursive: true, force: true });
  });

  const remote = (token: string) => ({ NX_SELF_HOSTED_REMOTE_CACHE_SERVER: server.url, NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN: token, ...SECRETS });

  it('clone A evaluates and uploads; clone B (read-only token, empty local cache) executes zero cells and gets byte-identical results', () => {
    const ra = a.nx(['run-many', '-t', 'evaluate', '-p', 'pipeline-t', '--outputStyle=static'], remote(TOKEN));
    expect(ra.status, ra.out).toBe(0);
    expect(a.executed()).toEqual(CELLS);
    expect(existsSync(join(b.root, '.nx'))).toBe(false);
    const rb = b.nx(['run-many', '-t', 'evaluate', '-p', 'pipeline-t', '--outputStyle=static'], remote(READ_TOKEN));
    expect(rb.status, rb.out).toBe(0);
    expect(b.executed()).toEqual([]);
    expect(rb.out).toMatch(/remote cache/);
    const ra2 = files(join(a.root, 'results'));
    const rb2 = files(join(b.root, 'results'));
    expect(Object.keys(ra2).sort()).toEqual(Object.keys(rb2).sort());
    expect(Object.keys(ra2)).toContain('t/qwen3-8b/balanced/gsm8k/samples.jsonl');
    for (const [k, v] of Object.entries(ra2)) expect(rb2[k].equals(v), k).toBe(true);
  }, NX_TIMEOUT);

  it('no secret and no token reaches an uploaded artifact, and the server log never shows the token', async () => {
    // The server's output arrives on this process's event loop, which spawnSync held up.
    await new Promise((r) => setTimeout(r, 300));
    const entries = Object.values(files(join(store, 'cache', 'entries')));
    expect(entries.length).toBeGreaterThanOrEqual(CELLS.length);
    for (const e of entries) {
      const tar = gunzipSync(e.subarray(65)).toString('latin1');
      for (const s of [...Object.values(SECRETS), TOKEN, READ_TOKEN]) expect(tar).not.toContain(s);
    }
    expect(server.log()).toMatch(/PUT \d+ 200/);
    expect(server.log()).not.toContain(TOKEN);
    expect(server.log()).not.toContain(READ_TOKEN);
    expect(server.log()).toMatch(/GET \d+ 200/);
  });
});
