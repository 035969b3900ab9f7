import { describe, expect, it } from 'vitest';
import { evidenceTamper } from '../../scripts/campaigns/evidence-tamper';

describe('evidence-tamper campaign (two histories instead of all of tests/replay/histories)', () => {
  it('detects every tampering and names the changed file each time', async () => {
    const figures = await evidenceTamper({ histories: 2 });
    expect(figures.undetected).toEqual([]);
    // A byte flipped in each of 5 files, the manifest and the signature, and 11 other tamperings.
    expect(figures).toMatchObject({ tried: 18, held: 18, broken: 0, detected: 18, files: 7 });
  });
});
