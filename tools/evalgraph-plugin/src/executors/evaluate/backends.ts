import { join } from 'node:path';
import type { CellInput, ScoringServices } from '@evalgraph/scoring';
import { createDummyBackend, ServerPool, type Backend } from '@evalgraph/inference';
import type { CellOptions } from '../../nodes/pipeline-project';

/** A backend held for a group of cells; `release` lets the pool stop the server when its last user is done. */
export interface BackendLease {
  backend: Backend;
  services(input: Omit<CellInput, 'backend'>): ScoringServices;
  release(): Promise<void>;
}

/** Creates backends for cells: in-process dummy, a started vLLM server (shared, GPU-leased), or an endpoint. */
export function createBackends(root: string, signal: AbortSignal) {
  const pool = new ServerPool({ root });
  const onAbort = () => void pool.closeAll();
  signal.addEventListener('abort', onAbort, { once: true });
  return {
    async acquire(input: Omit<CellInput, 'backend'>, o: CellOptions): Promise<BackendLease> {
      if (o.backend === 'dummy') {
        const backend = createDummyBackend({ root, modelName: o.model, model: input.model });
        return { backend, services: () => ({ judge: (reqs) => backend.run(reqs, judgeOptions(input)).then((r) => r.responses) }), release: async () => undefined };
      }
      const lease = await pool.acquire({
        key: [o.backend, o.model, o.preset, o.gpu].join('|'),
        modelName: o.model,
        model: input.model,
        preset: input.preset,
        presetName: o.preset,
        gpu: input.gpu,
        gpuName: o.gpu,
        backend: o.backend,
        englishOnly: o.englishOnly,
        workspaceRoot: root,
        logFile: join(root, 'results', o.pipeline, 'logs', `${o.model}-${o.preset}.server.log`),
      });
      return { backend: lease.backend, services: () => ({}), release: () => lease.release() };
    },
    async closeAll() {
      signal.removeEventListener('abort', onAbort);
      await pool.closeAll();
    },
  };
}

/** Judge requests are deterministic: temperature 0, as FastChat grades. */
function judgeOptions(input: Omit<CellInput, 'backend'>) {
  return {
    mode: { sampling: { temperature: 0, top_p: 1, top_k: -1, min_p: 0, presence_penalty: 0, repetition_penalty: 1 }, max_tokens: 2048, chat_template_kwargs: {}, reasoning: false },
    modeName: 'judge',
    englishOnly: false,
    maxTokens: 2048,
    seed: input.seed,
  };
}
