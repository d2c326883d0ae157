import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GpuLeaseManager, RequestCache, type Lease, artifactsDir, leaseDbFile, requestCacheFile } from '@evalgraph/inference';
import { scratchWorkspace, type Scratch } from '../../../test/helpers/scratch-workspace';
import type { CacheReport } from '../src/cli/cache-inventory';

const BIN = resolve(__dirname, '../bin/evalgraph.js');
const cli = (cwd: string, args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
};

describe('evalgraph CLI', () => {
  it('doctor reports each check as ok / warning / error with a fix, and never prints the HF token', () => {
    const secret = `hf_${Math.random().toString(36).slice(2)}`;
    const r = cli(resolve(__dirname, '../../..'), ['doctor'], { HF_TOKEN: secret, PATH: '/usr/bin:/bin' });
    expect(r.out).toMatch(/^(ok|warning|error)\s+node\b/m);
    expect(r.out).toMatch(/vllm/i);
    expect(r.out).toMatch(/fix: /);
    expect(r.out).not.toContain(secret);
    expect(r.out).toMatch(/^ok\s+hf-token\s.*set/m);
    expect(r.out).toMatch(/^warning\s+vllm\s+`vllm` not on PATH/m);
    expect(r.out).toMatch(/^ok\s+sandbox\s+bubblewrap ran a Python program/m);
    expect(r.out).toMatch(/^(ok|warning)\s+chromium\s.*only needed by npm test/m);
    expect(r.status).toBe(0); // warnings only: the dummy backend still runs here
  });

  it('cache stats and prune work on a request cache alone, and prune needs a choice', () => {
    const root = mkdtempSync(join(tmpdir(), 'evalgraph-cli-'));
    try {
      writeFileSync(join(root, 'nx.json'), '{}');
      expect(cli(root, ['cache', 'stats']).out).toMatch(/request cache\s+0 B\s+0 responses\s+\.evalgraph\/request-cache\.sqlite\n\s+none yet/);
      const c = RequestCache.open(requestCacheFile(root));
      c.put('k1', 'qwen3-8b', response('a'));
      c.put('k2', 'qwen2.5-7b-instruct', response('b'));
      c.close();
      const stats = cli(root, ['cache', 'stats']);
      expect(stats.status).toBe(0);
      expect(stats.out).toMatch(/request cache .* 2 responses/);
      const pruned = cli(root, ['cache', 'prune', '--model', 'qwen3-8b']);
      expect(pruned.out).toMatch(/^requests\s+removed 1 responses/m);
      expect(cli(root, ['cache', 'stats']).out).toMatch(/request cache .* 1 responses/);
      expect(cli(root, ['cache', 'prune', '--older-than-days', 'soon']).status).toBe(2);
      const bare = cli(root, ['cache', 'prune']);
      expect(bare.status).toBe(2);
      expect(bare.out).toMatch(/removes nothing without a choice: give --older-than-days N, --only NAME, --model NAME, --damaged or --all/);
      expect(cli(root, ['cache', 'prune', '--only', 'nx', '--older-than-days', '3']).out).toMatch(/Nx has no command to drop task results by age/);
      expect(cli(root, ['cache', 'prune', '--only', 'gpu']).out).toMatch(/unknown cache "gpu"; caches: nx, datasets, downloads, requests, leases, artifacts/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

const response = (text: string) => ({ kind: 'generate' as const, text, finish_reason: 'stop', prompt_tokens: 1, completion_tokens: 1, latency_ms: 1, cached: false });

/** Bytes of every file under a path (what `du -b` adds up), counted here independently of the CLI. */
function bytesUnder(p: string): number {
  if (!existsSync(p)) return 0;
  const st = lstatSync(p);
  if (!st.isDirectory()) return st.size;
  return readdirSync(p).reduce((s, n) => s + bytesUnder(join(p, n)), 0);
}

const PIPELINE = `backend: dummy
settings:
  sample_limit: 3
models:
  - model: qwen3-8b
datasets:
  - gsm8k
`;

describe('evalgraph cache on a workspace with every cache present', () => {
  let ws: Scratch;
  let lease: GpuLeaseManager;
  let held: Lease | null = null;
  const cacheCli = (...args: string[]) => cli(ws.root, ['cache', ...args]);
  const stats = () => {
    const r = cacheCli('stats', '--json');
    expect(r.status, r.out).toBe(0);
    return Object.fromEntries((JSON.parse(r.out) as CacheReport[]).map((c) => [c.name, c]));
  };
  const nxEntries = () => readdirSync(join(ws.root, '.nx/cache')).filter((n) => /^\d+$/.test(n));

  beforeAll(() => {
    ws = scratchWorkspace({ pipelines: { t: PIPELINE } });
    const r = ws.nx(['run', 'pipeline-t:evaluate', '--outputStyle=static']);
    expect(r.status, r.out).toBe(0);
    expect(ws.executed()).toEqual(['t:qwen3-8b/gsm8k']);
    const days = (n: number) => (Date.now() - n * 86_400_000) / 1000;
    // The request cache: two responses, one of them 40 days old; and a corrupted copy moved aside long ago.
    const c = RequestCache.open(requestCacheFile(ws.root));
    c.put('new', 'qwen3-8b', response('new'));
    c.put('old', 'qwen3-8b', response('old'));
    c.close();
    const db = new Database(requestCacheFile(ws.root));
    db.prepare('UPDATE responses SET created_at = ? WHERE key = ?').run(Date.now() - 40 * 86_400_000, 'old');
    db.close();
    const aside = `${requestCacheFile(ws.root)}.corrupt-2026-01-01T00-00-00-000Z`;
    writeFileSync(aside, 'x'.repeat(1000));
    utimesSync(aside, days(40), days(40));
    // GPU leases: one live (held by this test process), one whose holder is gone.
    lease = new GpuLeaseManager(leaseDbFile(ws.root));
    held = lease.tryAcquire({ key: 'qwen3-8b live', gib: 40, deviceMemoryGiB: 80, deviceCount: 1 });
    expect(held).not.toBeNull();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const ldb = new Database(leaseDbFile(ws.root));
    ldb.prepare("INSERT INTO leases (id, key, gib, devices, pid, pid_start, pgid, host, started) VALUES ('stale', 'gone', 40, '[0]', ?, NULL, NULL, ?, '2026-01-01T00:00:00Z')").run(dead, hostname());
    ldb.close();
    // English-filter artifacts: one written today, one 40 days ago.
    mkdirSync(artifactsDir(ws.root), { recursive: true });
    writeFileSync(join(artifactsDir(ws.root), 'qwen3-english-allowed-new.json'), '[1,2,3]');
    writeFileSync(join(artifactsDir(ws.root), 'qwen3-english-allowed-old.json'), '[4,5,6,7]');
    utimesSync(join(artifactsDir(ws.root), 'qwen3-english-allowed-old.json'), days(40), days(40));
  });
  afterAll(() => {
    lease?.close();
    ws?.dispose();
  });

  it('stats reports each cache with its size, entries and location', () => {
    const s = stats();
    expect(Object.keys(s)).toEqual(['nx', 'datasets', 'downloads', 'requests', 'leases', 'artifacts']);
    expect(s.nx.location).toBe(join(ws.root, '.nx/cache'));
    expect(s.nx.entries).toBe(nxEntries().length);
    expect(s.nx.entries).toBeGreaterThanOrEqual(3); // check, prepare and the cell at least
    expect(s.nx.bytes).toBe(bytesUnder(join(ws.root, '.nx/cache')));
    expect(s.datasets).toMatchObject({ location: join(ws.root, '.evalgraph/prepared'), entries: 1, bytes: bytesUnder(join(ws.root, '.evalgraph/prepared')) });
    expect(s.datasets.bytes).toBeGreaterThan(1000);
    expect(s.requests).toMatchObject({ location: requestCacheFile(ws.root), entries: 2 });
    expect(s.requests.notes).toEqual([expect.stringMatching(/^qwen3-8b: 2 responses/), '1 corrupted copies moved aside (1000 B), never read again']);
    expect(s.leases).toMatchObject({ location: leaseDbFile(ws.root), entries: 1 });
    expect(s.leases.notes).toEqual([expect.stringMatching(new RegExp(`^qwen3-8b live: 40 GiB on GPU 0, pid ${process.pid} on `)), expect.stringMatching(/^1 stale \(holder gone\)/)]);
    expect(s.artifacts).toMatchObject({ location: artifactsDir(ws.root), entries: 2, bytes: 16 });
    const text = cacheCli('stats');
    expect(text.out).toMatch(/Nx task cache\s+\S+ \S+\s+\d+ task results\s+\.nx\/cache/);
    expect(text.out).toMatch(/prepared datasets\s+\S+ \S+\s+1 datasets\s+\.evalgraph\/prepared/);
  });

  it('prune --older-than-days removes only what is older, never a live lease, and leaves the Nx cache to Nx', () => {
    const dry = cacheCli('prune', '--older-than-days', '30', '--dry-run');
    expect(dry.status, dry.out).toBe(0);
    expect(dry.out).toMatch(/^requests\s+would remove 1 responses/m);
    expect(stats().requests.entries).toBe(2);
    const r = cacheCli('prune', '--older-than-days', '30');
    expect(r.status, r.out).toBe(1); // the artifacts stay while a lease is live: exit 1 says something was kept
    expect(r.out).toMatch(/^nx\s+removed 0 task results; not by age: Nx drops entries unused for 7 days/m);
    expect(r.out).toMatch(/^datasets\s+removed 0 prepared datasets/m);
    expect(r.out).toMatch(/^requests\s+removed 1 responses .*; and 1 corrupted copies moved aside earlier/m);
    expect(r.out).toMatch(/^leases\s+removed 1 stale leases; 1 live lease kept/m);
    expect(r.out).toMatch(/^artifacts\s+kept 1 files \(9 B\): 1 GPU lease is live \(a vLLM server may be reading them\)/m);
    const s = stats();
    expect(s.requests.entries).toBe(1);
    expect(s.requests.notes).toHaveLength(1);
    expect(s.leases.entries).toBe(1);
    expect(s.leases.notes).toHaveLength(1);
    expect(s.artifacts.entries).toBe(2);
    expect(s.datasets.entries).toBe(1);
    expect(s.nx.entries).toBe(nxEntries().length);
    expect(s.nx.entries).toBeGreaterThan(0);
  });

  it('keeps prepared data, artifacts and the Nx cache while nx runs in the workspace', async () => {
    // Stands in for a long nx command: a process in the workspace whose command line is Nx's bin.
    const fake = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', join(ws.root, 'node_modules/nx/dist/bin/nx.js'), 'run-many'], { cwd: ws.root, stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 200));
      const r = cacheCli('prune', '--only', 'datasets,artifacts,nx');
      expect(r.status).toBe(1);
      expect(r.out).toMatch(new RegExp(`^datasets\\s+kept 1 prepared datasets \\(.*\\): nx is running in this workspace \\(pid ${fake.pid}: `, 'm'));
      expect(r.out).toMatch(/^artifacts\s+kept 2 files/m);
      expect(r.out).toMatch(/^nx\s+kept \d+ task results/m);
      expect(stats().datasets.entries).toBe(1);
    } finally {
      fake.kill('SIGKILL');
    }
  });

  it('prune --damaged removes only the Nx cache entries whose cell files fail their own run.json digests', () => {
    const samples = 'results/t/qwen3-8b/balanced/gsm8k/samples.jsonl';
    const holding = nxEntries().filter((e) => existsSync(join(ws.root, '.nx/cache', e, samples)));
    expect(holding).toHaveLength(1);
    const others = nxEntries().filter((e) => !holding.includes(e));
    expect(cacheCli('prune', '--damaged').out).toMatch(/^nx\s+removed 0 damaged task results/m);
    const f = join(ws.root, '.nx/cache', holding[0], samples);
    writeFileSync(f, readFileSync(f, 'utf8').split('\n').slice(0, 1).join('\n') + '\n');
    expect(cacheCli('prune', '--damaged', '--dry-run').out).toMatch(new RegExp(`^nx\\s+would remove 1 damaged task results \\(.*\\); ${holding[0]} \\(results/t/qwen3-8b/balanced/gsm8k: samples\\.jsonl is not the file written with the cell \\(cut short`, 'm'));
    expect(nxEntries()).toContain(holding[0]);
    const r = cacheCli('prune', '--damaged');
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(/^nx\s+removed 1 damaged task results/m);
    expect(nxEntries().sort()).toEqual(others.sort());
  });

  it('prune --only nx empties the Nx cache with Nx\'s own reset, and the next run recomputes instead of restoring nothing', () => {
    const r = cacheCli('prune', '--only', 'nx,datasets');
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(/^nx\s+removed \d+ task results \(.*\); with: npx nx reset --only-cache --only-workspace-data/m);
    expect(r.out).toMatch(/^datasets\s+removed 1 prepared datasets/m);
    const s = stats();
    expect(s.nx.entries).toBe(0);
    expect(s.datasets.entries).toBe(0);
    expect(s.leases.entries).toBe(1); // the live lease was never a candidate
    rmSync(join(ws.root, 'results'), { recursive: true, force: true });
    const again = ws.nx(['run', 'pipeline-t:evaluate', '--outputStyle=static']);
    expect(again.status, again.out).toBe(0);
    expect(ws.executed()).toEqual(['t:qwen3-8b/gsm8k']);
    expect(existsSync(join(ws.root, 'results/t/qwen3-8b/balanced/gsm8k/samples.jsonl'))).toBe(true);
  });

  it('once no lease is live, prune --older-than-days removes the old artifact and keeps the new one', () => {
    held?.release();
    const r = cacheCli('prune', '--only', 'artifacts', '--older-than-days', '30');
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(/^artifacts\s+removed 1 files \(9 B\)/m);
    expect(readdirSync(artifactsDir(ws.root))).toEqual(['qwen3-english-allowed-new.json']);
  });
});
