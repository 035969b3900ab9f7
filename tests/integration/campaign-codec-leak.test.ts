import { describe, expect, it } from 'vitest';
import { codecLeak } from '../../scripts/campaigns/codec-leak';
import { testServerUrl } from '../support/database';

describe('codec-leak campaign (a smaller fleet than `npm run campaign -- codec-leak`)', () => {
  it('a cycle with keys on leaves no hostname in histories, failures or workflow ids, and the codec server refuses every probe', async () => {
    const figures = await codecLeak({ assets: 12, serverUrl: testServerUrl() });
    expect(figures.examples).toEqual([]);
    expect(figures).toMatchObject({ tried: 17, held: 17, broken: 0, cycle: 'completed', hostnames: 12, histories: 5, failureMessageDecrypted: true, leaks: 0, refused: 5, answered: [], controlStatus: 200 });
  }, 600_000);
});
