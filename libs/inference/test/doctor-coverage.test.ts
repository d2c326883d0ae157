import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCoverage } from '../src/coverage';
import { checkNode, runDoctor, vllmVersion } from '../src/doctor';
import { FIXTURES, preset, processesMatching, spec, STANDIN, STANDIN_DIR, tempRoot, useStandin } from './helpers';

const FAKE_SMI = join(FIXTURES, 'fake-nvidia-smi', 'nvidia-smi');
let root: string;
let cleanup: () => void;
beforeAll(() => {
  useStandin();
  ({ root, cleanup } = tempRoot());
});
afterAll(() => cleanup());

describe('doctor', () => {
  it('reports each check with a status and a fix, and never prints the HF token', async () => {
    const secret = 'hf_SECRETtokenVALUE123';
    const checks = await runDoctor({ ...process.env, HF_TOKEN: secret, EVALGRAPH_NVIDIA_SMI: FAKE_SMI, HF_HOME: join(root, 'hf') });
    expect(checks.map((c) => c.name)).toEqual(['node', 'python', 'vllm', 'vllm-version', 'gpu', 'disk', 'hf-token', 'ports']);
    const by = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(by.node.status).toBe('ok');
    expect(by.vllm).toMatchObject({ status: 'warning' });
    expect(by.vllm.detail).toContain('standin-vllm 1.0.0');
    expect(by.vllm.detail).toContain('not vLLM');
    expect(by['vllm-version']).toMatchObject({ status: 'warning', detail: 'standin-vllm 1.0.0 (evalgraph test fixture, not vLLM) is the test stand-in (it answers like vLLM 0.11), not vLLM' });
    expect(by.gpu.detail).toMatch(/GPU 0 NVIDIA H100 80GB HBM3: [\d.]+ of 79\.6 GiB free; driver 580\.159\.04/);
    expect(by['hf-token']).toMatchObject({ status: 'ok', detail: 'a Hugging Face token is set (value not shown)' });
    expect(by.disk.detail).toContain(join(root, 'hf', 'hub'));
    expect(by.ports.status).toBe('ok');
    for (const c of checks) expect(['ok', 'warning', 'error']).toContain(c.status);
    for (const c of checks.filter((c) => c.status !== 'ok')) expect(c.fix.length).toBeGreaterThan(0);
    expect(JSON.stringify(checks)).not.toContain(secret);
  });

  it('says which GPUs CUDA_VISIBLE_DEVICES leaves to evalgraph, and fails on one naming no GPU', async () => {
    const gpuCheck = async (visible: string) => (await runDoctor({ ...process.env, EVALGRAPH_NVIDIA_SMI: FAKE_SMI, CUDA_VISIBLE_DEVICES: visible })).find((c) => c.name === 'gpu')!;
    process.env.FAKE_SMI_GPUS = '4'; // nvidia-smi runs with this process's environment
    try {
      expect((await gpuCheck('1,3')).detail).toMatch(/GPU 3 NVIDIA H100 80GB HBM3: .*; evalgraph uses GPU 1, 3 \(CUDA_VISIBLE_DEVICES\)$/);
      expect(await gpuCheck('4')).toMatchObject({ status: 'error', fix: "use nvidia-smi's indices or GPU UUIDs, or unset it" });
    } finally {
      delete process.env.FAKE_SMI_GPUS;
    }
  });

  it('says what is missing, and how to fix it, on a bare machine', async () => {
    const checks = await runDoctor({ PATH: '/nonexistent', HOME: root });
    const by = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(by.vllm).toMatchObject({ status: 'warning', detail: '`vllm` not on PATH' });
    expect(by.vllm.fix).toContain('pip install vllm');
    expect(by.gpu.status).toBe('warning');
    expect(by['hf-token'].status).toBe('warning');
    expect(checkNode('18.19.0').status).toBe('error');
  });

  it('asks a Python vllm script for its version through importlib.metadata', async () => {
    const site = join(root, 'site');
    mkdirSync(join(site, 'vllm-0.11.0.dist-info'), { recursive: true });
    writeFileSync(join(site, 'vllm-0.11.0.dist-info', 'METADATA'), 'Metadata-Version: 2.1\nName: vllm\nVersion: 0.11.0\n');
    const script = join(root, 'vllm-py');
    writeFileSync(script, '#!/usr/bin/env python3\nraise SystemExit("should not be run")\n');
    chmodSync(script, 0o755);
    expect(await vllmVersion(script, { ...process.env, PYTHONPATH: site })).toBe('0.11.0');
    expect(await vllmVersion(STANDIN)).toBe('standin-vllm 1.0.0 (evalgraph test fixture, not vLLM)');
  });
});

describe('coverage', () => {
  it('without a GPU says "not measured: no GPU" (never passed), even though the stand-in loads and generates', async () => {
    const name = `cov-nogpu-${Math.random().toString(36).slice(2, 6)}`;
    const s = { ...spec(root, name), preset: preset({ gpu_memory_utilization: 0.1 }) };
    const r = await runCoverage({ spec: s, requests: 4, maxTokens: 32, env: { ...process.env, PATH: `${STANDIN_DIR}${delimiter}/usr/bin:/bin` } });
    expect(r.status).toBe('not measured: no GPU');
    expect(r.checks.load.status).toBe('passed');
    expect(r.checks.warmup.status).toBe('passed');
    expect(r.checks.generate).toMatchObject({ status: 'not measured', completionTokens: 4 * 32 });
    expect(r.checks.memory.status).toBe('not measured');
    expect(r.server.kind).toContain('stand-in');
    expect(r.reason).toContain('no GPU');
    expect(r.checks.load.cache).toBe('unknown');
    expect(processesMatching(name)).toEqual([]);
  });

  it('with a storage path, labels the first start cold and the next warm (VLLM_CACHE_ROOT filled by the first)', async () => {
    const ws = tempRoot('evalgraph-cov-storage-');
    try {
      mkdirSync(join(ws.root, 'configs'));
      writeFileSync(join(ws.root, 'configs/storage.yaml'), `kind: path\npath: ${join(ws.root, 'volume')}\n`);
      const name = `cov-store-${Math.random().toString(36).slice(2, 6)}`;
      const s = { ...spec(ws.root, name), preset: preset({ gpu_memory_utilization: 0.1 }) };
      const env = { ...process.env, PATH: `${STANDIN_DIR}${delimiter}/usr/bin:/bin` };
      const first = await runCoverage({ spec: s, requests: 2, maxTokens: 8, env });
      const second = await runCoverage({ spec: s, requests: 2, maxTokens: 8, env });
      expect([first.checks.load.cache, second.checks.load.cache]).toEqual(['cold', 'warm']);
      for (const r of [first, second]) expect(r.checks.load.seconds).toBeGreaterThan(0);
      expect(existsSync(join(ws.root, 'volume/vllm-cache', `${name}--balanced`, 'torch_compile_cache'))).toBe(true);
      expect(processesMatching(name)).toEqual([]);
    } finally {
      ws.cleanup();
    }
  });

  it('with a GPU (fake nvidia-smi) checks throughput, peak memory against 80% and the release after shutdown', async () => {
    const name = `cov-gpu-${Math.random().toString(36).slice(2, 6)}`;
    process.env.FAKE_SMI_FILTER = name; // the fake counts only this test's EngineCore
    process.env.EVALGRAPH_NVIDIA_SMI = FAKE_SMI;
    try {
      const s = { ...spec(root, name), preset: preset({ gpu_memory_utilization: 0.1 }) };
      const ok = await runCoverage({ spec: s, requests: 4, maxTokens: 64, gpuSampleIntervalMs: 50 });
      expect(ok.checks.memory.peakGiB).toBeCloseTo(30000 / 1024, 5);
      expect(ok.checks.memory.status).toBe('passed');
      expect(ok.checks.shutdown).toMatchObject({ status: 'passed', graceful: true, portClosed: true, gpuReleased: true });
      expect(ok.checks.generate.status).toBe('passed'); // the stand-in generates instantly
      expect(ok.status).toBe('passed');

      process.env.FAKE_SMI_APP_MIB = '70000';
      const big = await runCoverage({ spec: s, requests: 4, maxTokens: 16, gpuSampleIntervalMs: 50 });
      expect(big.checks.memory.status).toBe('failed');
      expect(big.checks.memory.fraction).toBeGreaterThan(0.8);
      expect(big.status).toBe('failed');
      expect(big.reason).toMatch(/peak GPU memory .* is not below 80%/);
    } finally {
      delete process.env.FAKE_SMI_FILTER;
      delete process.env.FAKE_SMI_APP_MIB;
      delete process.env.EVALGRAPH_NVIDIA_SMI;
    }
    expect(processesMatching(name)).toEqual([]);
  });
});
