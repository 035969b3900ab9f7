import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { whileHeartbeating } from '../../activities/heartbeat-ticker';

describe('whileHeartbeating', () => {
  it('heartbeats during one long call, not only between calls', async () => {
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => beats.push(details));
    let progress = 0;
    const result = await env.run(() =>
      whileHeartbeating(
        async () => {
          // One slow vendor call: the ticker must fire while it runs.
          await new Promise((resolve) => setTimeout(resolve, 60));
          progress = 7;
          await new Promise((resolve) => setTimeout(resolve, 60));
          return 'done';
        },
        { everyMs: 10, details: () => ({ progress }) },
      ),
    );
    expect(result).toBe('done');
    expect(beats.length).toBeGreaterThan(2);
    expect(beats).toContainEqual({ progress: 7 });
  });

  it('hands the work the activity cancellation signal', async () => {
    const env = new MockActivityEnvironment();
    const run = env.run(() =>
      whileHeartbeating(
        (signal) =>
          new Promise((_resolve, reject) => {
            signal?.addEventListener('abort', () => reject(new Error('vendor request aborted')));
          }),
        { everyMs: 5 },
      ),
    );
    env.cancel();
    await expect(run).rejects.toThrow('vendor request aborted');
  });

  it('runs plainly outside an activity', async () => {
    await expect(whileHeartbeating(async (signal) => (signal === undefined ? 'no activity' : 'activity'))).resolves.toBe('no activity');
  });
});
