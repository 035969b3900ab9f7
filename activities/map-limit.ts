export interface MapLimitOptions {
  /** The activity's cancellation signal: once aborted, nothing new is started. */
  signal?: AbortSignal;
}

/**
 * Runs `fn` over items with at most `limit` in flight: vendor APIs rate-limit, and a batch must not
 * stampede them. The first failure (or a cancellation) stops new submissions, and the returned promise
 * settles only after every call already in flight has ended: an activity that reported failure while
 * its calls kept running would race the retry Temporal starts for it, deploying the same thing twice.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>, options: MapLimitOptions = {}): Promise<R[]> {
  const { signal } = options;
  const results = new Array<R>(items.length);
  let next = 0;
  let firstError: { error: unknown } | undefined;
  const stopped = () => firstError !== undefined || signal?.aborted === true;
  const lanes = Array.from({ length: Math.min(Math.max(1, limit), items.length) }, async () => {
    while (next < items.length && !stopped()) {
      const i = next++;
      try {
        results[i] = await fn(items[i] as T);
      } catch (error) {
        firstError ??= { error };
      }
    }
  });
  await Promise.all(lanes);
  if (firstError) throw firstError.error;
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('cancelled');
  return results;
}
