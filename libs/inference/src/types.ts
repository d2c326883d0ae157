import type { EvalRequest, EvalResponse, ModelConfig, Preset, GpuProfile, ModelMode, ServerGpus, SlurmAccounting, SlurmSettings } from '@evalgraph/core';

/** Everything needed to start (or reach) one model server. */
export interface ServerSpec {
  /** Stable identity: model name + mode-independent server args (cells of one model share it). */
  key: string;
  modelName: string;
  model: ModelConfig;
  preset: Preset;
  presetName: string;
  gpu: GpuProfile;
  gpuName: string;
  /** The GPUs (nvidia-smi indices) a local server may be placed on, from machineCapacity; absent: 0 … gpu.count-1. */
  gpuDevices?: number[];
  /** plugin: a backend plugin's factory makes the Backend (the evaluate executor loads it; see `plugin`). */
  backend: 'vllm' | 'endpoint' | 'dummy' | 'plugin';
  /** The backend plugin reference, when backend is plugin. */
  plugin?: string;
  /** English-only filter needs server-side support (logits processor) when chosen. */
  englishOnly: boolean;
  workspaceRoot: string;
  /** Where the server log is streamed. */
  logFile: string;
  /** Set when the server is a Slurm job (scheduler: slurm); absent or null: a local process under the GPU lease. */
  slurm?: SlurmSettings | null;
  /** LoRA adapters the server loads beside the base model (`--enable-lora --lora-modules name=path`). */
  lora?: ServerLora;
  /** The model name this cell's requests name: an adapter's, else modelName. */
  requestModel?: string;
  /** sha256 of the requested adapter's weights: part of the request-cache key, so a retrained adapter is asked again. */
  adapterDigest?: string;
}

/** The adapters one server loads, and the largest LoRA rank among them. */
export interface ServerLora {
  modules: { name: string; path: string }[];
  maxRank: number;
}

/** Per-cell request settings layered on the server. */
export interface CellRequestOptions {
  mode: ModelMode;
  modeName: string;
  englishOnly: boolean;
  maxTokens: number;
  seed?: number;
  /** Called after each request finishes (for progress and resumable writes). */
  onResult?: (index: number, response: EvalResponse) => void;
  /**
   * false: responses reach the caller only through onResult and run() returns an empty array, so a caller that
   * consumes them as they come holds none of them (memory flat in the cell's size). Default true.
   */
  keepResponses?: boolean;
  signal?: AbortSignal;
}

/**
 * The requests of a run, read by index: an array, or a view that builds each request when it is read (a cell's
 * prompts then never have to be in memory all at once). Backends read each index a bounded number of times.
 */
export type RequestSource = readonly EvalRequest[] | RequestView;

/** A read-only view of requests by index (see RequestSource). */
export interface RequestView {
  readonly length: number;
  at(index: number): EvalRequest | undefined;
}

/** Counters a backend reports for one batch of requests. */
export interface RunStats {
  total: number;
  sent: number;
  fromCache: number;
  failed: number;
  retried: number;
  promptTokens: number;
  completionTokens: number;
  wallMs: number;
  peakGpuMemoryGiB: number | null;
  kvCacheUsageMax: number | null;
  /** English-only filter as applied: how it reached the server and which artifact (null when off). */
  englishFilter?: { delivery: 'logits-processor' | 'allowed-token-ids' | 'dummy'; hash: string; allowedTokens: number } | null;
  /** Server-side token counters from /metrics over the run (null when not scraped): the whole server's, so they include every cell that ran on it at the same time. */
  serverTokens?: { prompt: number | null; generation: number | null } | null;
  /** Server restarts after a crash during this run. */
  restarts?: number;
  /**
   * When the server was working for this run (epoch ms): from its first request sent, once the server was up, to
   * its last answer. Excludes waiting for the GPU lease and the server's start; null when nothing was sent.
   */
  served?: { from: number; to: number } | null;
}

/** A running (or reachable) model server that answers evaluation requests. */
export interface Backend {
  readonly kind: 'vllm' | 'endpoint' | 'dummy' | 'plugin';
  /** Which server produced the numbers, for run.json ("dummy (in-process)", "vllm 0.11.0", "standin-vllm 1.0"). */
  describe(): { kind: string; version: string | null; command: string[] | null; flags?: string; english_filter?: string; slurm?: SlurmAccounting; gpus?: ServerGpus; replicas?: number };
  /** Send requests (through the request cache); responses in request order, errors as ErrorResponse. */
  run(requests: RequestSource, opts: CellRequestOptions): Promise<{ responses: EvalResponse[]; stats: RunStats }>;
  /** Stop what this backend started (no-op for dummy and endpoint). */
  close(): Promise<void>;
}
