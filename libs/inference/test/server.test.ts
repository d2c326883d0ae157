import { createServer, type Server } from 'node:net';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MissingDependencyError } from '@evalgraph/core';
import { ServerStartError } from '../src/errors';
import { diagnoseLog } from '../src/log-diagnosis';
import { freePort, isPortOpen, resolveVllmExecutable } from '../src/proc';
import { ManagedServer } from '../src/server';
import { startVllmServer } from '../src/vllm-launch';
import { WATCHDOG_MARKER } from '../src/watchdog';
import { processesMatching, qwen3Model, spec, STANDIN, tempRoot, useStandin, waitFor } from './helpers';

const fast = { pollIntervalMs: 50, gpuReleaseTimeoutMs: 1000 };
let root: string;
let cleanup: () => void;
const uid = () => `m${Math.random().toString(36).slice(2, 10)}`;
/** This test process's watchdog in ps (one guards all of a process's servers). */
const ownWatchdog = `${WATCHDOG_MARKER} ${process.cwd()} (pid ${process.pid})`;

beforeAll(() => {
  useStandin();
  ({ root, cleanup } = tempRoot());
});
afterAll(() => cleanup());

async function startError(p: Promise<unknown>): Promise<ServerStartError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ServerStartError);
    return e as ServerStartError;
  }
  throw new Error('expected the start to fail');
}

describe('server lifecycle (stand-in vLLM first on PATH)', () => {
  it('starts in its own process group, answers, and stops the whole group (EngineCore child included)', async () => {
    const name = uid();
    const s = spec(root, name);
    const server = await startVllmServer(s, { graceMs: 5000, ...fast });
    try {
      // the API server and its EngineCore child, both in the server's group, and this process's watchdog outside it
      expect(processesMatching(name)).toHaveLength(2);
      expect(processesMatching(ownWatchdog)).toHaveLength(1);
      expect(server.pids()).toHaveLength(2);
      const models = (await (await fetch(`${server.baseUrl}/v1/models`)).json()) as { data: { id: string; owned_by: string }[] };
      expect(models.data[0]).toMatchObject({ id: name, owned_by: 'standin' });
      expect(await server.version()).toBe('standin-vllm 1.0.0');
    } finally {
      const report = await server.stop();
      expect(report).toMatchObject({ graceful: true, killed: false, portClosed: true });
      expect(report.gpu.released).toBeNull(); // no nvidia-smi here: not checked, and says so
    }
    expect(processesMatching(name)).toEqual([]);
    expect(processesMatching(ownWatchdog)).toEqual([]); // the last server released it
    expect(await isPortOpen(Number(new URL(server.baseUrl).port))).toBe(false);
    const log = readFileSync(s.logFile, 'utf8');
    expect(log).toContain('# evalgraph: starting');
    expect(log).toContain('standin-vllm');
    expect(log).toContain('# evalgraph: server exited on SIGTERM; port closed');
  });

  it('a watchdog killed while it guards a server is replaced, and the server log says so', async () => {
    const name = uid();
    const s = spec(root, name);
    const server = await startVllmServer(s, { graceMs: 5000, ...fast });
    const pidOf = (line: string) => Number(line.trim().split(/\s+/)[0]);
    try {
      const [first] = processesMatching(ownWatchdog).map(pidOf);
      process.kill(first, 'SIGKILL');
      expect(await waitFor(() => processesMatching(ownWatchdog).map(pidOf).some((p) => p !== first), 5000)).toBe(true);
      const [second] = processesMatching(ownWatchdog).map(pidOf);
      expect(readFileSync(s.logFile, 'utf8')).toContain(`watchdog pid ${first} exited on SIGKILL while guarding group`);
      expect(readFileSync(s.logFile, 'utf8')).toContain(`pid ${second} guards it now`);
    } finally {
      await server.stop();
    }
    // released as usual: the replacement exits with the last server
    expect(await waitFor(() => processesMatching(ownWatchdog).length === 0, 3000)).toBe(true);
  });

  it('a server that ignores SIGTERM is SIGKILLed after the grace period, children too', async () => {
    const name = uid();
    const server = await startVllmServer(spec(root, name), { graceMs: 300, env: { STANDIN_IGNORE_SIGTERM: '1' }, ...fast });
    expect(server.pids()).toHaveLength(2);
    const report = await server.stop();
    expect(report.graceful).toBe(false);
    expect(report.killed).toBe(true);
    expect(report.portClosed).toBe(true);
    expect(processesMatching(name)).toEqual([]);
  });

  it('an unknown flag fails with the cause and the log tail, leaving nothing behind', async () => {
    const name = uid();
    const port = await freePort();
    const err = await startError(
      ManagedServer.start({ executable: STANDIN, args: ['serve', 'Qwen/Qwen3-8B', '--served-model-name', name, '--port', String(port), '--max-modle-len', '4096'], port, servedModelName: name, logFile: `${root}/logs/${name}.log`, ...fast }),
    );
    expect(err.reason).toBe('unknown-argument');
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('vLLM rejected a command-line argument');
    expect(err.message).toContain('unrecognized arguments: --max-modle-len 4096');
    expect(err.message).toContain('fix:');
    expect(err.logTail.some((l) => l.includes('usage: vllm serve'))).toBe(true);
    expect(processesMatching(name)).toEqual([]);
  });

  it('a server that never becomes ready times out with a clear error and is stopped', async () => {
    const name = uid();
    const err = await startError(startVllmServer(spec(root, name), { startTimeoutMs: 700, graceMs: 1000, env: { STANDIN_NEVER_READY: '1' }, ...fast }));
    expect(err.reason).toBe('timeout');
    expect(err.message).toMatch(/not ready after 1 s \(waiting for \/health\)/);
    expect(err.message).toContain('STANDIN_NEVER_READY');
    expect(processesMatching(name)).toEqual([]);
  });

  it('CUDA out of memory at start-up is reported as such', async () => {
    const name = uid();
    const err = await startError(startVllmServer(spec(root, name), { graceMs: 1000, env: { STANDIN_LOG_OOM: '1' }, ...fast }));
    expect(err.reason).toBe('out-of-memory');
    expect(err.message).toContain('the GPU ran out of memory');
    expect(err.message).toContain('CUDA out of memory');
    expect(processesMatching(name)).toEqual([]);
  });

  it('missing weights (offline) are reported as such', async () => {
    const name = uid();
    const s = { ...spec(root, name), model: qwen3Model({ hf_id: 'missing/Qwen3-404B' }) };
    const err = await startError(startVllmServer(s, { graceMs: 1000, ...fast }));
    expect(err.reason).toBe('missing-weights');
    expect(err.message).toContain('huggingface-cli download');
  });

  it('a taken port is diagnosed as such', async () => {
    const blocker: Server = createServer();
    const port = await new Promise<number>((r) => blocker.listen(0, '127.0.0.1', () => r((blocker.address() as { port: number }).port)));
    try {
      const name = uid();
      const err = await startError(ManagedServer.start({ executable: STANDIN, args: ['serve', 'x/y', '--served-model-name', name, '--port', String(port)], port, servedModelName: name, logFile: `${root}/logs/${name}.log`, ...fast }));
      expect(err.reason).toBe('port-in-use');
    } finally {
      blocker.close();
    }
  });

  it('no vLLM executable → MissingDependencyError that says how to get one', () => {
    expect(() => resolveVllmExecutable({ PATH: '/nonexistent' })).toThrow(MissingDependencyError);
    expect(() => resolveVllmExecutable({ PATH: '/nonexistent' })).toThrow(/vLLM is not installed \(`vllm` not on PATH\)[\s\S]*pip install vllm, or set EVALGRAPH_VLLM=\/path\/to\/vllm, or give the model an endpoint:/);
    expect(() => resolveVllmExecutable({ PATH: '', EVALGRAPH_VLLM: '/nonexistent/vllm' })).toThrow(/EVALGRAPH_VLLM=\/nonexistent\/vllm is not an executable file/);
    expect(resolveVllmExecutable({ PATH: '/nonexistent', EVALGRAPH_VLLM: STANDIN })).toBe(STANDIN);
  });

  it('an executable that cannot be run fails cleanly', async () => {
    const err = await startError(ManagedServer.start({ executable: `${root}/no-such-vllm`, args: ['serve', 'x'], port: 1, servedModelName: 'x', logFile: `${root}/logs/enoent.log`, ...fast }));
    expect(err.message).toMatch(/could not run .*no-such-vllm: spawn .* ENOENT/);
  });

  it('diagnoses vLLM log patterns', () => {
    expect(diagnoseLog(['ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization`'])?.cause).toBe('out-of-memory');
    expect(diagnoseLog(["ValueError: The model's max seq len (40960) is larger than the maximum number of tokens that can be stored in KV cache (20000)."])?.cause).toBe('out-of-memory');
    expect(diagnoseLog(['huggingface_hub.errors.HFValidationError: Repo id must be in the form'])?.cause).toBe('missing-weights');
    expect(diagnoseLog(["OSError: Qwen/Qwen3-8B does not appear to have a file named config.json"])?.cause).toBe('missing-weights');
    expect(diagnoseLog(['all good', 'INFO: Started server process'])).toBeNull();
  });
});
