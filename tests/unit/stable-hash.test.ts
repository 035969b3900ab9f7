import { describe, expect, it } from 'vitest';
import { mixedStableHash, stableHash } from '../../domain/stable-hash';

describe('stable hashes', () => {
  it('gives the FNV-1a values ring order and ids were built on', () => {
    expect(stableHash('')).toBe(0x811c9dc5);
    expect(stableHash('a')).toBe(0xe40c292c);
    expect(stableHash('foobar')).toBe(0xbf9cf968);
  });

  it('mixes FNV-1a with the murmur3 finaliser, as the simulated fleet always has', () => {
    // Frozen outputs: the simulated fleet's failures and jobs are derived from these, so a change
    // here would change every demo and benchmark run.
    expect(mixedStableHash('a')).toBe(0x1a80b1b3);
  });
});
