import { UserFacingError } from '@evalgraph/core';

/** Why a server did not become ready, as far as its log tells. */
export type ServerFailureCause =
  | 'out-of-memory'
  | 'unknown-argument'
  | 'port-in-use'
  | 'missing-weights'
  | 'exited'
  | 'timeout'
  | 'not-responding';

/** A model server that could not be started; the message carries the likely cause, the fix and the log tail. */
export class ServerStartError extends UserFacingError {
  constructor(
    message: string,
    readonly reason: ServerFailureCause,
    readonly logFile: string,
    readonly logTail: string[],
    readonly exitCode: number | null = null,
  ) {
    super(message);
    this.name = 'ServerStartError';
  }
}

/** A server that died (or stopped answering) while requests were in flight. */
export class ServerCrashedError extends UserFacingError {
  constructor(message: string, readonly logFile: string | null, readonly logTail: string[]) {
    super(message);
    this.name = 'ServerCrashedError';
  }
}

/** A server group that would not go away even after SIGKILL (should never happen; reported loudly). */
export class ServerStopError extends UserFacingError {
  constructor(message: string, readonly pids: number[]) {
    super(message);
    this.name = 'ServerStopError';
  }
}

/** A server that can never get its GPUs on this profile (more GPUs or more memory per GPU than there are). */
export class GpuLeaseImpossibleError extends UserFacingError {
  constructor(message: string) {
    super(message);
    this.name = 'GpuLeaseImpossibleError';
  }
}

/** $CUDA_VISIBLE_DEVICES names GPUs the local lease cannot map onto what nvidia-smi lists. */
export class GpuVisibilityError extends UserFacingError {
  constructor(readonly problem: string, readonly fix: string) {
    super(`${problem} — fix: ${fix}`);
    this.name = 'GpuVisibilityError';
  }
}
