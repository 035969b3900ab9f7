import { describe, expect, it } from 'vitest';
import { inputFuzz } from '../../scripts/campaigns/input-fuzz';
import { campaignLine } from '../../scripts/campaigns/support/campaign';
import { testServerUrl } from '../support/database';

describe('input-fuzz campaign (a smaller sample of what `npm run campaign -- input-fuzz` tries)', () => {
  it('every malformed policy and inventory exits 2 naming its file and the problem path, and writes no row', async () => {
    const figures = await inputFuzz({ sample: 20, serverUrl: testServerUrl() });
    expect(figures.failures).toEqual([]);
    expect(figures).toMatchObject({ tried: 20, held: 20, broken: 0, rowsWritten: 0, exitCodes: { 2: 20 } });
    expect(figures.families).toBeGreaterThanOrEqual(15);
  }, 600_000);

  it('prints one JSON line per campaign and counts an inconsistent one as broken', () => {
    expect(campaignLine('x', { tried: 2, held: 2, broken: 0 })).toEqual({ line: '{"campaign":"x","tried":2,"held":2,"broken":0}', broken: false });
    expect(campaignLine('x', { tried: 2, held: 1, broken: 1 }).broken).toBe(true);
    expect(campaignLine('x', { tried: 3, held: 2, broken: 0 }).broken).toBe(true);
  });
});
