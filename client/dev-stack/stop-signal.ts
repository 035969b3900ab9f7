const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

export type StopReason = { kind: 'signal'; signal: NodeJS.Signals } | { kind: 'stopped'; reason: string };

/**
 * Waits for Ctrl-C / SIGTERM, or for `stoppedByItself` (a crashed worker). While waiting, the signals
 * no longer kill the process, so the caller can stop its parts in order; a second Ctrl-C still does.
 */
export function waitForStop(stoppedByItself: Promise<string>): Promise<StopReason> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      cleanup();
      for (const s of STOP_SIGNALS) process.once(s, () => process.exit(130));
      resolve({ kind: 'signal', signal });
    };
    const cleanup = (): void => {
      for (const s of STOP_SIGNALS) process.off(s, onSignal);
    };
    for (const s of STOP_SIGNALS) process.on(s, onSignal);
    void stoppedByItself.then((reason) => {
      cleanup();
      resolve({ kind: 'stopped', reason });
    });
  });
}

/** An AbortSignal that fires on Ctrl-C / SIGTERM during a long start-up; `dispose` restores defaults. */
export function abortOnStopSignal(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => controller.abort(new Error(`interrupted by ${signal}`));
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      for (const s of STOP_SIGNALS) process.off(s, onSignal);
    },
  };
}
