import { describe, expect, it } from 'vitest';
import { mapLimit } from '../../activities/map-limit';

/** A task the test finishes by hand, so "in flight" is a fact, not a timing guess. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('mapLimit', () => {
  it('keeps the order of results and never runs more than the limit', async () => {
    let inFlight = 0;
    let peak = 0;
    const results = await mapLimit([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await tick();
      inFlight--;
      return n * 10;
    });
    expect(results).toEqual([10, 20, 30, 40, 50, 60, 70]);
    expect(peak).toBe(3);
  });

  it('submits nothing new after the first failure and waits for the calls already in flight', async () => {
    const started: number[] = [];
    const gates = Array.from({ length: 20 }, () => deferred<number>());
    const run = mapLimit(
      gates.map((_, i) => i),
      2,
      (i) => {
        started.push(i);
        return gates[i]!.promise;
      },
    );
    let settled = false;
    run.catch(() => undefined).finally(() => (settled = true));
    await tick();
    expect(started).toEqual([0, 1]);
    gates[0]!.reject(new Error('vendor said 500'));
    await tick();
    await tick();
    // Item 1 is still running: the batch must not report failure (and let a retry start) before it ends.
    expect(settled).toBe(false);
    expect(started).toEqual([0, 1]);
    gates[1]!.resolve(1);
    await expect(run).rejects.toThrow('vendor said 500');
    expect(started).toEqual([0, 1]);
  });

  it('stops submitting when the activity is cancelled', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    const run = mapLimit(
      [0, 1, 2, 3, 4],
      1,
      async (i) => {
        started.push(i);
        if (i === 1) controller.abort(new Error('activity cancelled'));
        await tick();
        return i;
      },
      { signal: controller.signal },
    );
    await expect(run).rejects.toThrow('activity cancelled');
    expect(started).toEqual([0, 1]);
  });
});
