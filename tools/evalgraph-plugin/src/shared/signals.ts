const installed: [NodeJS.Signals, (sig: NodeJS.Signals) => void][] = [];

/**
 * Turns SIGINT/SIGTERM into an AbortSignal so servers are stopped before the process exits; a second signal exits
 * at once (the server watchdog still reaps the server group).
 */
export function installSignalHandlers(): AbortSignal {
  const controller = new AbortController();
  let count = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    count++;
    if (count > 1) process.exit(sig === 'SIGINT' ? 130 : 143);
    controller.abort(new Error(`interrupted by ${sig}`));
    // Give cleanup a bounded time, then exit with the conventional code.
    setTimeout(() => process.exit(sig === 'SIGINT' ? 130 : 143), 60_000).unref();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  installed.push(['SIGINT', onSignal], ['SIGTERM', onSignal]);
  return controller.signal;
}

/**
 * Restores the default SIGINT/SIGTERM behaviour once the work that needed cleanup is over: Nx sends SIGTERM to a
 * finished batch worker and waits 5 s before SIGKILL, so a handler left installed added 5 s to every run.
 */
export function releaseSignalHandlers(): void {
  for (const [sig, fn] of installed.splice(0)) process.off(sig, fn);
}
