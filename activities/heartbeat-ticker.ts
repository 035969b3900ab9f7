import { Context } from '@temporalio/activity';

export interface TickerOptions {
  /** Well below the activity's heartbeat timeout, so one slow vendor call never looks like a dead worker. */
  everyMs?: number;
  /** What the last heartbeat says, e.g. how far the batch got (visible in `temporal workflow describe`). */
  details?: () => unknown;
}

const DEFAULT_EVERY_MS = 10_000;

/** A quarter of the heartbeat timeout (capped): three beats may be lost before Temporal gives up on us. */
function tickFor(heartbeatTimeoutMs: number | undefined): number {
  return heartbeatTimeoutMs ? Math.max(5, Math.min(DEFAULT_EVERY_MS, Math.floor(heartbeatTimeoutMs / 4))) : DEFAULT_EVERY_MS;
}

function currentActivity(): Context | undefined {
  try {
    return Context.current();
  } catch {
    // Outside an activity (the CLI, a script): nothing to keep alive, nobody cancels.
    return undefined;
  }
}

/**
 * Runs one long piece of vendor work while heartbeating on a ticker, and hands it the activity's
 * cancellation signal. Heartbeats only between items would let a 90 s vendor call outlive a 60 s
 * heartbeat timeout: Temporal then starts a second attempt while the first still runs.
 */
export async function whileHeartbeating<T>(work: (signal: AbortSignal | undefined) => Promise<T>, options: TickerOptions = {}): Promise<T> {
  const activity = currentActivity();
  if (!activity) return work(undefined);
  const beat = () => activity.heartbeat(options.details?.());
  beat();
  const ticker = setInterval(beat, options.everyMs ?? tickFor(activity.info.heartbeatTimeoutMs));
  try {
    return await work(activity.cancellationSignal);
  } finally {
    clearInterval(ticker);
  }
}

/** The running activity's cancellation signal (undefined outside an activity): vendor requests end with it. */
export function activityCancellation(): AbortSignal | undefined {
  return currentActivity()?.cancellationSignal;
}
