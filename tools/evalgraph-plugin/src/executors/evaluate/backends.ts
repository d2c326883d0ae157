import { join } from 'node:path';
import { isBackendPlugin, loadNamed, ModelConfig, resolveSlurm, type EvalRequest, type GpuProfile, type SlurmSettings } from '@evalgraph/core';
import { openPluginBackend, type CellInput, type ScoringServices } from '@evalgraph/scoring';
import { createBackend, requestCacheFile, RequestCache, ServerPool, DummyBackend, startSlurmServer, type Backend, type CellRequestOptions, type ServerSpec } from '@evalgraph/inference';
import type { CellOptions } from '../../nodes/pipeline-project';

type Loaded = Omit<CellInput, 'backend'>;

/**
 * The Slurm settings of a pipeline's vLLM servers (null: local GPU lease). Read from the pipeline file here, not from
 * the cell's options: where a server runs does not change its answers, so it stays out of the cells' hashes.
 */
export function slurmFor(root: string, o: CellOptions, gpu: GpuProfile): SlurmSettings | null {
  if (o.backend !== 'vllm') return null;
  return resolveSlurm(loadNamed(root, 'pipeline', o.pipeline), gpu);
}

/** The server spec of a cell: cells with equal keys share one server. */
export function serverSpec(root: string, input: Loaded, o: CellOptions, slurm: SlurmSettings | null = null): ServerSpec {
  return {
    key: [o.backend, o.model, o.preset, o.gpu, o.englishOnly ? 'en' : '', ...(slurm ? ['slurm'] : [])].join('|'),
    modelName: o.model,
    model: input.model,
    preset: input.preset,
    presetName: o.preset,
    gpu: input.gpu,
    gpuName: o.gpu,
    ...(isBackendPlugin(o.backend) ? { backend: 'plugin' as const, plugin: o.backend } : { backend: o.backend as Exclude<ServerSpec['backend'], 'plugin'> }),
    englishOnly: o.englishOnly,
    workspaceRoot: root,
    logFile: join(root, 'results', o.pipeline, 'logs', `${o.model}-${o.preset}${o.englishOnly ? '-en' : ''}.server.log`),
    slurm,
  };
}

/** Judge requests are graded greedily, as FastChat does (temperature 0). */
function judgeOptions(maxTokens: number, seed?: number): CellRequestOptions {
  return {
    mode: { sampling: { temperature: 0, top_p: 1, top_k: -1, min_p: 0, presence_penalty: 0, repetition_penalty: 1 }, max_tokens: maxTokens, chat_template_kwargs: {}, reasoning: false },
    modeName: 'judge',
    englishOnly: false,
    maxTokens,
    seed,
  };
}

/**
 * Backends for one batch: a shared ServerPool (one vLLM server per spec key, GPU-leased, stopped after its last
 * cell), one for Slurm jobs (Slurm places them: no local lease), one request cache, the dummy in-process, and
 * MT-Bench judges on their endpoints.
 */
export function createBackends(root: string, signal: AbortSignal) {
  const log = (l: string) => console.log(l);
  const localPool = new ServerPool({ workspaceRoot: root, log });
  const slurmPool = new ServerPool({ workspaceRoot: root, leases: null, log, start: (spec) => startSlurmServer(spec, { log, signal }) });
  const poolOf = (spec: ServerSpec) => (spec.slurm ? slurmPool : localPool);
  const closePools = async () => {
    const r = await Promise.allSettled([localPool.closeAll(), slurmPool.closeAll()]);
    const failed = r.find((x): x is PromiseRejectedResult => x.status === 'rejected');
    if (failed) throw failed.reason;
  };
  let cache: RequestCache | null = null;
  const requestCache = () => (cache ??= RequestCache.open(requestCacheFile(root), { onWarning: (m) => console.warn(`warning: ${m}`) }));
  const onAbort = () => void closePools();
  signal.addEventListener('abort', onAbort, { once: true });

  const judgeFor = (input: Loaded, o: CellOptions): ScoringServices['judge'] => {
    if (o.backend === 'dummy') {
      const dummyJudge = new DummyBackend('judge');
      return async (reqs: EvalRequest[]) => (await dummyJudge.run(reqs, judgeOptions(2048, o.seed))).responses;
    }
    if (!o.judge) return undefined;
    const j = o.judge;
    const model = ModelConfig.parse({
      ...input.model,
      description: `judge ${j.model} at ${j.endpoint}`,
      endpoint: j.endpoint,
      api_key_env: j.api_key_env,
    });
    const spec: ServerSpec = { ...serverSpec(root, input, o), key: `judge|${j.endpoint}|${j.model}`, modelName: j.model, model, backend: 'endpoint', englishOnly: false };
    const backend = createBackend(spec, { cache: requestCache() });
    return async (reqs: EvalRequest[]) => (await backend.run(reqs, judgeOptions(j.max_tokens, o.seed))).responses;
  };

  return {
    /** Declares how many cells will share a spec's server, so the pool stops it after the last one. */
    register(spec: ServerSpec, cells: number): void {
      if (spec.backend === 'vllm') poolOf(spec).register(spec, cells);
    },
    /** A backend for one cell (closing it releases the cell's claim on the shared server). */
    open(spec: ServerSpec, input: Loaded, o: CellOptions): { backend: Backend; services: ScoringServices } {
      // The dummy answers an adapter under its own name, so an adapter variant scores unlike its base.
      const backend =
        spec.backend === 'dummy'
          ? new DummyBackend(spec.requestModel ?? spec.modelName)
          : spec.backend === 'plugin'
            ? openPluginBackend(root, spec)
            : createBackend(spec, { pool: poolOf(spec), cache: requestCache() });
      return { backend, services: { judge: judgeFor(input, o) } };
    },
    async closeAll(): Promise<void> {
      signal.removeEventListener('abort', onAbort);
      await closePools();
      cache?.close();
      cache = null;
    },
  };
}
