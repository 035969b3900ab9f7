// A client-side limiter for vendors that publish a per-account request budget (Datto RMM: 600 reads
// and 100 writes per rolling 60 s, answering 429 beyond it). Waiting here keeps a busy worker inside
// the budget instead of discovering it through 429s that also slow down every other integration of
// the same account. Time and sleep are injected so tests run without real waiting.

export interface RequestBudgetOptions {
  reads: number;
  writes: number;
  windowMs: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface RequestBudget {
  /** Resolves when one more request of this method fits in the window, and counts it. */
  take(method: string): Promise<void>;
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function createRequestBudget(options: RequestBudgetOptions): RequestBudget {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const reads: number[] = [];
  const writes: number[] = [];
  let queue: Promise<void> = Promise.resolve();

  const prune = (log: number[], at: number) => {
    while (log.length && log[0]! <= at - options.windowMs) log.shift();
  };

  const takeOne = async (method: string) => {
    const write = !READ_METHODS.has(method.toUpperCase());
    // Writes are counted against the read budget too: the published figures do not say they are
    // separate, and counting them twice can only make us slower, never over the limit.
    const logs: [number[], number][] = write ? [[writes, options.writes], [reads, options.reads]] : [[reads, options.reads]];
    for (;;) {
      const at = now();
      let waitMs = 0;
      for (const [log, limit] of logs) {
        prune(log, at);
        if (log.length >= limit) waitMs = Math.max(waitMs, log[log.length - limit]! + options.windowMs - at);
      }
      if (waitMs <= 0) {
        for (const [log] of logs) log.push(at);
        return;
      }
      await sleep(waitMs);
    }
  };

  return {
    take(method) {
      // One at a time, so concurrent callers cannot all see the same free slot.
      const next = queue.then(() => takeOne(method));
      queue = next.catch(() => undefined);
      return next;
    },
  };
}
