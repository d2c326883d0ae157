import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalRequest, EvalResponse } from '@evalgraph/core';
import { RequestCache, outputAffectingArgs } from '../src/request-cache';
import { ServerPool } from '../src/server-pool';
import type { ServerSpec } from '../src/types';
import { VllmBackend } from '../src/vllm-backend';
import { buildVllmServeArgs, mergedVllmFlags, vllmMaxLoraRank } from '../src/vllm-args';
import { NON_THINKING, gpu, preset, processesMatching, qwen3Model, readJsonLines, spec, tempRoot, useStandin, type StandinRequest } from './helpers';

let root: string;
let cleanup: () => void;
beforeAll(() => {
  useStandin();
  ({ root, cleanup } = tempRoot('evalgraph-lora-'));
});
afterAll(() => cleanup());

function adapterDir(name: string, r: number): string {
  const dir = join(root, 'adapters', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ peft_type: 'LORA', r }));
  writeFileSync(join(dir, 'adapter_model.safetensors'), 'x');
  return dir;
}

describe('LoRA flags', () => {
  it('serves base and adapters from one vllm serve command line', () => {
    const lora = { modules: [{ name: 'run-a', path: '/w/a' }, { name: 'run-b', path: '/w/b' }], maxRank: 12 };
    const argv = buildVllmServeArgs({ modelName: 'm', model: qwen3Model(), preset: preset(), gpu: gpu(), workspaceRoot: '/w', port: 1, lora }).join(' ');
    expect(argv).toContain('--enable-lora --max-loras 2 --max-lora-rank 16 --lora-modules run-a=/w/a run-b=/w/b');
    expect(buildVllmServeArgs({ modelName: 'm', model: qwen3Model(), preset: preset(), gpu: gpu(), workspaceRoot: '/w', port: 1 }).join(' ')).not.toContain('lora');
  });

  it('rounds the rank up to a --max-lora-rank vLLM accepts', () => {
    expect([1, 8, 9, 64, 300, 512].map(vllmMaxLoraRank)).toEqual([8, 8, 16, 64, 320, 512]);
    expect(() => vllmMaxLoraRank(513)).toThrow(/above vLLM's largest --max-lora-rank \(512\)/);
  });

  it('which adapters a server loads is not part of a base request’s cache key', () => {
    const input = { modelName: 'm', model: qwen3Model(), preset: preset(), gpu: gpu(), workspaceRoot: '/w', port: 1 };
    const withLora = outputAffectingArgs(mergedVllmFlags({ ...input, lora: { modules: [{ name: 'a', path: '/a' }], maxRank: 8 } }));
    expect(withLora).toEqual(outputAffectingArgs(mergedVllmFlags(input)));
  });
});

describe('base and adapter on one stand-in server', () => {
  const chat = (i: number): EvalRequest => ({ kind: 'chat', messages: [{ role: 'user', content: `Question ${i}?` }], sample_index: 0 });
  const opts = { mode: NON_THINKING, modeName: 'non-thinking', englishOnly: false, maxTokens: 32 };
  const texts = (rs: EvalResponse[]) => rs.map((r) => (r.kind === 'generate' ? r.text : r.kind));

  it('answers each under its own name, keeps the base answers, and asks again after the adapter changes', async () => {
    const reqLog = join(root, 'requests.jsonl');
    const mk = () => new ServerPool({ workspaceRoot: root, startOptions: { pollIntervalMs: 50, graceMs: 2000, gpuReleaseTimeoutMs: 200, env: { STANDIN_REQUEST_LOG: reqLog } } });
    const cache = RequestCache.open(join(root, 'cache.sqlite'));
    const lora = { modules: [{ name: 'run-a', path: adapterDir('a', 8) }], maxRank: 8 };
    const server: ServerSpec = { ...spec(root, 'loraserve'), preset: preset({ gpu_memory_utilization: 0.1 }), lora };
    const adapterSpec: ServerSpec = { ...server, requestModel: 'run-a', adapterDigest: 'd1' };
    const reqs = [chat(1), chat(2)];

    const pool = mk();
    pool.register(server, 2);
    const base = new VllmBackend(server, { pool, cache });
    const adapted = new VllmBackend(adapterSpec, { pool, cache });
    const b = await base.run(reqs, opts);
    const a = await adapted.run(reqs, opts);
    await base.close();
    await adapted.close();
    await pool.closeAll();
    expect(texts(a.responses)).not.toEqual(texts(b.responses));
    expect(readJsonLines<StandinRequest>(reqLog).filter((r) => !r.probe).map((r) => r.body.model)).toEqual(['loraserve', 'loraserve', 'run-a', 'run-a']);

    // The same base requests to a server without adapters: same answers (from the cache: the key is the same).
    const plain = mk();
    const alone = new VllmBackend({ ...server, lora: undefined }, { pool: plain, cache });
    const again = await alone.run(reqs, opts);
    expect(again.stats.fromCache).toBe(2);
    expect(texts(again.responses)).toEqual(texts(b.responses));
    await alone.close();
    // A retrained adapter (new digest) is asked again, not answered from the cache.
    const retrained = new VllmBackend({ ...adapterSpec, adapterDigest: 'd2' }, { pool: plain, cache });
    const r = await retrained.run(reqs, opts);
    expect(r.stats.fromCache).toBe(0);
    await retrained.close();
    await plain.closeAll();
    cache.close();
    expect(processesMatching('loraserve')).toEqual([]);
  });

  it('refuses an adapter whose rank is above --max-lora-rank, as vLLM does', async () => {
    const pool = new ServerPool({ workspaceRoot: root, restartLimit: 0, startOptions: { pollIntervalMs: 50, graceMs: 2000, gpuReleaseTimeoutMs: 200 } });
    const s: ServerSpec = { ...spec(root, 'lorabig'), preset: preset({ gpu_memory_utilization: 0.1 }), lora: { modules: [{ name: 'big', path: adapterDir('big', 32) }], maxRank: 8 } };
    const be = new VllmBackend({ ...s, requestModel: 'big', adapterDigest: 'x' }, { pool });
    await expect(be.run([chat(3)], opts)).rejects.toThrow(/LoRA rank 32 is greater than max_lora_rank 8/);
    await be.close();
    await pool.closeAll();
  });
});
