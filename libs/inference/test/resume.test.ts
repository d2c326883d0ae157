import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestCache } from '../src/request-cache';
import { ServerPool } from '../src/server-pool';
import { VllmBackend } from '../src/vllm-backend';
import { WATCHDOG_MARKER } from '../src/watchdog';
import { cellRequests } from './fixtures/cell-requests';
import { NON_THINKING, preset, processesMatching, readJsonLines, spec, tempRoot, useStandin, waitFor, type StandinEvent, type StandinRequest } from './helpers';

let root: string;
let cleanup: () => void;
beforeAll(() => {
  useStandin();
  ({ root, cleanup } = tempRoot());
});
afterAll(() => cleanup());

const N = 12;
const opts = { mode: NON_THINKING, modeName: 'non-thinking', englishOnly: false, maxTokens: 32 };

describe('Ctrl-C / SIGTERM of the process that owns servers', () => {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`${sig}: stopPoolOnSignals stops the servers gracefully, then the process exits 128+n`, async () => {
      const name = `sig-${sig.toLowerCase()}-${Math.random().toString(36).slice(2, 6)}`;
      const evLog = join(root, `${name}.events.jsonl`);
      const child = spawn(process.execPath, ['-r', '@swc-node/register', join(__dirname, 'fixtures', 'pool-child.ts'), root, name], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, STANDIN_EVENT_LOG: evLog } });
      let out = '';
      let err = '';
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.on('data', (d) => (err += d));
      expect(await waitFor(() => out.includes('ready'), 30_000)).toBe(true);
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill(sig);
      expect(await exited).toBe(sig === 'SIGINT' ? 130 : 143);
      expect(err).toContain(`${sig} received; stopping model servers`);
      expect(readJsonLines<StandinEvent>(evLog).map((e) => e.event)).toEqual(['start', 'ready', 'stop']);
      expect(processesMatching(name)).toEqual([]);
    });
  }
});

describe('SIGKILL of the process that owns a server', () => {
  it('leaves no server behind (watchdog, replaced once after it was killed), and a re-run resends only the requests that had not finished', async () => {
    const name = `resume-${Math.random().toString(36).slice(2, 8)}`;
    const reqLog = join(root, 'requests.jsonl');
    const evLog = join(root, 'events.jsonl');
    const cacheFile = join(root, 'cache.sqlite');
    const child = spawn(process.execPath, ['-r', '@swc-node/register', join(__dirname, 'fixtures', 'cell-child.ts'), root, name, cacheFile, String(N), '1000'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, STANDIN_LATENCY_MS: '200', STANDIN_REQUEST_LOG: reqLog, STANDIN_EVENT_LOG: evLog },
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    const results = () => out.split('\n').filter((l) => l.startsWith('result')).length;
    expect(await waitFor(() => results() >= 4, 30_000)).toBe(true);
    expect(out).not.toContain('finished');
    // Its watchdog dies first: the owner replaces it, and the replacement does the job below.
    const watchdogOf = () => processesMatching(`${WATCHDOG_MARKER} `).filter((l) => l.includes(`(pid ${child.pid})`)).map((l) => Number(l.trim().split(/\s+/)[0]));
    const [first] = watchdogOf();
    process.kill(first, 'SIGKILL');
    expect(await waitFor(() => watchdogOf().some((p) => p !== first), 5000)).toBe(true);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    // The watchdog saw the pipe close and stopped the server group (SIGTERM: the stand-in logs "stop").
    expect(await waitFor(() => processesMatching(name).length === 0, 8000)).toBe(true);
    expect(readJsonLines<StandinEvent>(evLog).map((e) => e.event)).toEqual(['start', 'ready', 'stop']);
    expect(await waitFor(() => processesMatching(`${WATCHDOG_MARKER} `).some((l) => l.includes(`(pid ${child.pid})`)) === false, 3000)).toBe(true);

    const cache = RequestCache.open(cacheFile);
    const finished = cache.stats().entries;
    expect(finished).toBeGreaterThanOrEqual(4);
    expect(finished).toBeLessThan(N);

    const s = { ...spec(root, name), preset: preset({ gpu_memory_utilization: 0.1, concurrency: 2 }) };
    const pool = new ServerPool({ workspaceRoot: root, startOptions: { pollIntervalMs: 50, graceMs: 2000, env: { STANDIN_REQUEST_LOG: reqLog, STANDIN_EVENT_LOG: evLog } } });
    const backend = new VllmBackend(s, { pool, cache });
    const rerun = await backend.run(cellRequests(N), opts);
    await backend.close();
    await pool.closeAll();
    expect(rerun.stats.fromCache).toBe(finished);
    expect(rerun.stats.sent).toBe(N - finished);
    const secondPid = readJsonLines<StandinEvent>(evLog).filter((e) => e.event === 'start')[1].pid;
    expect(readJsonLines<StandinRequest>(reqLog).filter((r) => !r.probe && r.pid === secondPid)).toHaveLength(N - finished);

    // the resumed results equal an uninterrupted run's
    const fresh = new ServerPool({ workspaceRoot: root, startOptions: { pollIntervalMs: 50, graceMs: 2000 } });
    const b2 = new VllmBackend({ ...s, modelName: name, key: `${name}-fresh` }, { pool: fresh, cache: null });
    const clean = await b2.run(cellRequests(N), opts);
    await b2.close();
    await fresh.closeAll();
    const strip = (rs: typeof clean.responses) => rs.map((r) => (r.kind === 'generate' ? [r.text, r.finish_reason, r.completion_tokens] : r.kind));
    expect(strip(rerun.responses)).toEqual(strip(clean.responses));
    cache.close();
    expect(processesMatching(name)).toEqual([]);
  });
});
