/**
 * Runs `stop` on the first SIGINT or SIGTERM and ignores the ones after it. A Ctrl-C reaches the runner
 * twice — from the terminal, and relayed by tsx's parent process — and Node's default action for the
 * second, once a one-shot handler is gone, ends the process mid-cleanup with its simulators orphaned.
 */
export function onStopSignal(stop: (signal: NodeJS.Signals) => void): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      stop(signal);
    });
  }
}
