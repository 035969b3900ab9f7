import { describe, expect, it } from 'vitest';
import { simulationSchema } from '../../config/policy-schema';
import {
  hashUnit,
  initiallyMissing,
  PATCH_CATALOGUE,
  simulatedDeploymentFailure,
  simulatedHostFailure,
  stableId,
} from '../../activities/adapters/simulated-fleet';

const simulation = (overrides: Record<string, unknown> = {}) => simulationSchema.parse(overrides);

describe('simulated fleet', () => {
  it('gives the same missing patches for the same seed and hostname, every time', () => {
    const first = initiallyMissing(7, 'ws-001', 'windows', []).map((p) => p.id);
    const again = initiallyMissing(7, 'ws-001', 'windows', []).map((p) => p.id);
    expect(again).toEqual(first);
    expect(first.length).toBeGreaterThan(0);
  });

  it('gives a different fleet for a different seed', () => {
    const hosts = Array.from({ length: 50 }, (_, i) => `ws-${i}`);
    const bySeed = (seed: number) => hosts.map((h) => initiallyMissing(seed, h, 'windows', []).map((p) => p.id).join(','));
    expect(bySeed(1)).not.toEqual(bySeed(2));
  });

  it('only offers patches for the asset OS, and third-party ones only for installed applications', () => {
    const hosts = Array.from({ length: 200 }, (_, i) => `mac-${i}`);
    const patches = hosts.flatMap((h) => initiallyMissing(3, h, 'macos', ['Google Chrome']));
    const ids = new Set(patches.map((p) => p.id));
    expect(patches.every((p) => p.os.includes('macos'))).toBe(true);
    expect(ids.has('chrome-124.0.6367.60')).toBe(true);
    expect(ids.has('zoom-6.0.2')).toBe(false);
    expect([...ids].some((id) => id.startsWith('KB'))).toBe(false);
  });

  it('uses realistic severities across the catalogue', () => {
    expect(new Set(PATCH_CATALOGUE.map((p) => p.severity))).toEqual(new Set(['critical', 'high', 'routine']));
  });

  it('decides each deployment outcome from the seed and key alone', () => {
    const policy = simulation({ seed: 11, failureRate: 0.3 });
    const keys = Array.from({ length: 1000 }, (_, i) => `cycle/acme/x|pilot|ws-${i}|KB5036893`);
    const outcomes = keys.map((key) => simulatedDeploymentFailure(policy, { key, hostname: 'ws', ring: 'pilot' }) === undefined);
    const again = keys.map((key) => simulatedDeploymentFailure(policy, { key, hostname: 'ws', ring: 'pilot' }) === undefined);
    expect(again).toEqual(outcomes);
    // Exactly the keys whose hash falls under the rate fail: the rule itself, not a statistical guess.
    expect(outcomes).toEqual(keys.map((key) => hashUnit(11, 'deploy', key) >= 0.3));
  });

  it('always fails failing hosts and failing rings, and never fails with rate 0 otherwise', () => {
    const policy = simulation({ seed: 5, failingHosts: ['ws-bad'], failingRings: ['canary'] });
    for (let i = 0; i < 200; i++) {
      const key = `k${i}`;
      expect(simulatedDeploymentFailure(policy, { key, hostname: 'ws-bad', ring: 'production' })).toMatch(/ws-bad.*failingHosts/);
      expect(simulatedDeploymentFailure(policy, { key, hostname: 'ws-ok', ring: 'canary' })).toMatch(/canary.*failingRings/);
      expect(simulatedDeploymentFailure(policy, { key, hostname: 'ws-ok', ring: 'pilot' })).toBeUndefined();
    }
    expect(simulatedHostFailure(policy, 'ws-bad')).toBeDefined();
    expect(simulatedHostFailure(policy, 'ws-ok')).toBeUndefined();
  });

  it('fails every deployment at rate 1', () => {
    const policy = simulation({ failureRate: 1 });
    expect(simulatedDeploymentFailure(policy, { key: 'any', hostname: 'h', ring: 'pilot' })).toMatch(/failureRate/);
  });

  it('makes stable ids that differ per input', () => {
    expect(stableId('j-', 'deploy', 'a')).toBe(stableId('j-', 'deploy', 'a'));
    expect(stableId('j-', 'deploy', 'a')).not.toBe(stableId('j-', 'uninstall', 'a'));
    expect(stableId('j-', 'x')).toMatch(/^j-[0-9a-f]{16}$/);
  });
});
