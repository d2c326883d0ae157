import type { SlurmAccounting } from '@evalgraph/core';
import type { StopReport } from './server';

/**
 * What the pool and the vLLM backend need of a running model server, wherever it runs: a local process group
 * (ManagedServer) or a Slurm job (SlurmServer).
 */
export interface ModelServer {
  readonly baseUrl: string;
  /** The `vllm serve` command line the server runs. */
  readonly command: string[];
  /** Local process group id; -1 when the server is not a local process (a Slurm job). */
  readonly pgid: number;
  readonly hasExited: boolean;
  readonly exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  /** How a server that is not a local process ended, in words (a Slurm job's final state); absent otherwise. */
  readonly exitDetail?: string | null;
  /** Local pids for GPU sampling (none for a remote server). */
  allPids(): number[];
  /** The GPUs a local server was placed on (CUDA_VISIBLE_DEVICES); null when not known (a remote server). */
  readonly devices: number[] | null;
  logTail(n?: number): string[];
  version(): Promise<string | null>;
  stop(): Promise<StopReport>;
  /** The Slurm job that runs the server, for run.json (absent for local servers). */
  readonly slurm?: SlurmAccounting;
}
