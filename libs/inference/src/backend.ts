import { DummyBackend } from './dummy';
import { EndpointBackend, type EndpointBackendOptions } from './endpoint-backend';
import type { RequestCache } from './request-cache';
import type { ServerPool } from './server-pool';
import type { Backend, ServerSpec } from './types';
import { VllmBackend, type VllmBackendOptions } from './vllm-backend';

/** What backends share within one run. */
export interface BackendDeps {
  /** Required for vllm specs: the run's server pool. */
  pool?: ServerPool;
  cache?: RequestCache | null;
  vllm?: Omit<VllmBackendOptions, 'pool' | 'cache'>;
  endpoint?: Omit<EndpointBackendOptions, 'cache'>;
}

/** The backend for a spec: dummy (in-process), endpoint (never started), or vLLM (from the pool). */
export function createBackend(spec: ServerSpec, deps: BackendDeps = {}): Backend {
  switch (spec.backend) {
    case 'dummy':
      return new DummyBackend(spec.modelName);
    case 'endpoint':
      return new EndpointBackend(spec, { ...deps.endpoint, cache: deps.cache });
    case 'vllm':
      if (!deps.pool) throw new Error(`internal: ${spec.key} needs a ServerPool`);
      return new VllmBackend(spec, { ...deps.vllm, pool: deps.pool, cache: deps.cache });
    case 'plugin':
      throw new Error(`internal: ${spec.key} is a backend plugin (${spec.plugin}); its factory makes the backend`);
  }
}
