import { setMaxListeners } from 'node:events';

type Stop = (why: string, code: number) => void;

const installed: (() => void)[] = [];

/**
 * Turns SIGINT/SIGTERM, and the loss of the IPC channel to nx, into an AbortSignal so servers are stopped before the
 * process exits; a second signal exits at once (the server watchdog still reaps the server group).
 */
export function installSignalHandlers(): AbortSignal {
  const controller = new AbortController();
  // Every request in flight listens on it (64 at a time per server by default), each removing its listener when done:
  // Node's default limit of 10 only printed a false "possible memory leak" warning.
  setMaxListeners(0, controller.signal);
  let count = 0;
  const stop: Stop = (why, code) => {
    count++;
    if (count > 1) process.exit(code);
    controller.abort(new Error(`interrupted by ${why}`));
    // Give cleanup a bounded time, then exit with the conventional code.
    setTimeout(() => process.exit(code), 60_000).unref();
  };
  const onSigint = () => stop('SIGINT', 130);
  const onSigterm = () => stop('SIGTERM', 143);
  // A batch worker is forked by nx with an IPC channel; when nx is SIGKILLed no signal arrives, only the channel
  // closes. Without this the worker ran its current cell to the end with its server up.
  const onDisconnect = () => stop('nx exiting (IPC channel closed)', 143);
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigterm);
  const watchesChannel = typeof process.send === 'function' && process.connected;
  if (watchesChannel) {
    process.once('disconnect', onDisconnect);
    ignoreClosedChannelErrors();
  }
  installed.push(
    () => process.off('SIGINT', onSigint),
    () => process.off('SIGTERM', onSigterm),
    () => process.off('disconnect', onDisconnect),
  );
  return controller.signal;
}

/**
 * Restores the default SIGINT/SIGTERM behaviour once the work that needed cleanup is over: Nx sends SIGTERM to a
 * finished batch worker and waits 5 s before SIGKILL, so a handler left installed added 5 s to every run.
 */
export function releaseSignalHandlers(): void {
  for (const off of installed.splice(0)) off();
}

let ignoringChannelErrors = false;

/**
 * Once nx is gone, Nx's worker still reports each finished cell with `process.send`, which emits ERR_IPC_CHANNEL_CLOSED
 * (or EPIPE) as an 'error' event on `process`. Unhandled, that ended the worker at once, while other cells of its batch
 * were still removing their staging folders. The listener stays for the life of the process: the last send comes
 * after the batch, when the other handlers are already released.
 */
function ignoreClosedChannelErrors(): void {
  if (ignoringChannelErrors) return;
  ignoringChannelErrors = true;
  process.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'ERR_IPC_CHANNEL_CLOSED' || e.code === 'EPIPE') return;
    throw e;
  });
}
