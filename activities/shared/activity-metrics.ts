import { Context } from '@temporalio/activity';

/**
 * Adds to a patchctl counter through the running activity's metric meter, so it is exported with the
 * SDK's metrics wherever the worker's runtime sends them (Prometheus when enabled; nowhere otherwise).
 * Outside an activity (a direct call in a script) there is no meter and nothing is counted.
 */
export function countMetric(name: string, description: string, value: number, tags: Record<string, string>): void {
  if (value <= 0) return;
  let context: Context;
  try {
    context = Context.current();
  } catch {
    return;
  }
  context.metricMeter.createCounter(name, 'events', description).add(value, tags);
}
