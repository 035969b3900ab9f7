import { describe, expect, it } from 'vitest';
import type { AssetClass, AssetRole, OperatingSystem } from '../../config/policy-schema';
import { assignRings, batchRings, isCanaryEligible, type PlannableAsset, type RingAssignment } from '../../domain/cycle/ring-assignment';

function asset(hostname: string, os: OperatingSystem, role: AssetRole, assetClass: AssetClass, location = 'main'): PlannableAsset {
  return { hostname, os, role, assetClass, location };
}

/** A clinic-like fleet: mostly Windows workstations, a few Macs and kiosks, servers and imaging PCs, over three sites. */
function clinicFleet(): PlannableAsset[] {
  const sites = ['main', 'north', 'lab'];
  const fleet: PlannableAsset[] = [];
  for (let i = 0; i < 60; i++) fleet.push(asset(`ws-${i}`, 'windows', 'workstation', 'workstation', sites[i % 3]));
  for (let i = 0; i < 12; i++) fleet.push(asset(`mac-${i}`, 'macos', 'workstation', 'workstation', sites[i % 3]));
  for (let i = 0; i < 9; i++) fleet.push(asset(`kiosk-${i}`, 'windows', 'kiosk', 'workstation', sites[i % 3]));
  for (let i = 0; i < 8; i++) fleet.push(asset(`srv-${i}`, 'windows', 'server', 'core-server', sites[i % 2]));
  for (let i = 0; i < 6; i++) fleet.push(asset(`lnx-${i}`, 'linux', 'server', 'core-server', 'main'));
  for (let i = 0; i < 5; i++) fleet.push(asset(`imaging-${i}`, 'windows', 'workstation', 'do-not-disrupt', 'lab'));
  return fleet;
}

/** Deterministic shuffle (no Math.random, so a failure reproduces). */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const names = (assets: readonly PlannableAsset[]) => assets.map((a) => a.hostname);
const allNames = (rings: RingAssignment<PlannableAsset>) => [...names(rings.canary), ...names(rings.pilot), ...names(rings.production)];
const stratum = (a: PlannableAsset) => `${a.os}|${a.role}|${a.location}`;

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

describe('isCanaryEligible', () => {
  it('admits workstation-class assets only: core servers and do-not-disrupt machines never go first', () => {
    expect(isCanaryEligible(asset('a', 'windows', 'workstation', 'workstation'))).toBe(true);
    expect(isCanaryEligible(asset('b', 'windows', 'kiosk', 'workstation'))).toBe(true);
    expect(isCanaryEligible(asset('c', 'windows', 'server', 'core-server'))).toBe(false);
    expect(isCanaryEligible(asset('d', 'windows', 'workstation', 'do-not-disrupt'))).toBe(false);
  });
});

describe('assignRings', () => {
  const sizing = { canarySize: 5, pilotShare: 0.15 };

  it('gives identical rings, in identical order, for the same assets in any input order', () => {
    const fleet = clinicFleet();
    const reference = assignRings(fleet, sizing);
    for (const seed of [1, 2, 3, 42]) {
      const again = assignRings(shuffled(fleet, seed), sizing);
      expect(names(again.canary)).toEqual(names(reference.canary));
      expect(names(again.pilot)).toEqual(names(reference.pilot));
      expect(names(again.production)).toEqual(names(reference.production));
    }
    expect(names(assignRings([...fleet].reverse(), sizing).pilot)).toEqual(names(reference.pilot));
  });

  it('puts every asset in exactly one ring', () => {
    const fleet = clinicFleet();
    const rings = assignRings(fleet, sizing);
    const placed = allNames(rings);
    expect(new Set(placed).size).toBe(placed.length);
    expect([...placed].sort()).toEqual(names(fleet).sort());
  });

  it('fills canary with the configured number of workstation-class assets only', () => {
    const rings = assignRings(clinicFleet(), sizing);
    expect(rings.canary).toHaveLength(5);
    for (const a of rings.canary) expect(a.assetClass).toBe('workstation');
  });

  it('covers every OS present among eligible assets in canary, even when the configured size is smaller', () => {
    const fleet = [
      ...Array.from({ length: 20 }, (_, i) => asset(`ws-${i}`, 'windows', 'workstation', 'workstation')),
      asset('mac-1', 'macos', 'workstation', 'workstation'),
      asset('tux-1', 'linux', 'workstation', 'workstation'),
      // A Linux core server must not be how Linux gets "covered".
      asset('lnx-srv', 'linux', 'server', 'core-server'),
    ];
    const rings = assignRings(fleet, { canarySize: 1, pilotShare: 0.1 });
    expect(new Set(rings.canary.map((a) => a.os))).toEqual(new Set(['windows', 'macos', 'linux']));
    expect(rings.canary).toHaveLength(3);
    expect(names(rings.canary)).toEqual(expect.arrayContaining(['mac-1', 'tux-1']));
    expect(names(rings.canary)).not.toContain('lnx-srv');
  });

  it('spreads a larger canary across operating systems instead of filling it with the most common one', () => {
    const fleet = [
      ...Array.from({ length: 50 }, (_, i) => asset(`ws-${i}`, 'windows', 'workstation', 'workstation')),
      ...Array.from({ length: 5 }, (_, i) => asset(`mac-${i}`, 'macos', 'workstation', 'workstation')),
    ];
    const rings = assignRings(fleet, { canarySize: 4, pilotShare: 0.1 });
    expect(countBy(rings.canary, (a) => a.os)).toEqual(new Map([['macos', 2], ['windows', 2]]));
  });

  it('sizes pilot at round(share × fleet) and production takes the rest', () => {
    const fleet = clinicFleet(); // 100 assets
    for (const pilotShare of [0.1, 0.15, 0.2]) {
      const rings = assignRings(fleet, { canarySize: 5, pilotShare });
      expect(rings.pilot).toHaveLength(Math.round(fleet.length * pilotShare));
      expect(rings.production).toHaveLength(fleet.length - 5 - rings.pilot.length);
    }
    const odd = clinicFleet().slice(0, 87);
    expect(assignRings(odd, { canarySize: 3, pilotShare: 0.15 }).pilot).toHaveLength(13); // 13.05 → 13
    expect(assignRings(odd, { canarySize: 3, pilotShare: 0.17 }).pilot).toHaveLength(15); // 14.79 → 15
  });

  it('gives every OS|role|location stratum a pilot member before any stratum gets a second one', () => {
    const fleet = clinicFleet();
    const rings = assignRings(fleet, sizing);
    const canary = new Set(names(rings.canary));
    const available = countBy(fleet.filter((a) => !canary.has(a.hostname)), stratum);
    expect(available.size).toBeLessThan(rings.pilot.length); // the test only means something if pilot can cover all
    const inPilot = countBy(rings.pilot, stratum);
    expect([...inPilot.keys()].sort()).toEqual([...available.keys()].sort());
    // Round-robin: no stratum is two members ahead of one that still had assets to give.
    const most = Math.max(...inPilot.values());
    for (const [key, count] of inPilot) expect(count).toBeGreaterThanOrEqual(Math.min(most - 1, available.get(key) ?? 0));
  });

  it('when pilot is smaller than the number of strata, takes at most one member per stratum', () => {
    const sites = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const fleet = sites.flatMap((site) =>
      Array.from({ length: 5 }, (_, i) => asset(`${site}-${i}`, 'windows', 'workstation', 'workstation', site)),
    ); // 40 assets, 8 strata
    const rings = assignRings(fleet, { canarySize: 1, pilotShare: 0.1 });
    expect(rings.pilot).toHaveLength(4);
    expect(new Set(rings.pilot.map(stratum)).size).toBe(4);
  });

  it('returns three empty rings for an empty fleet', () => {
    expect(assignRings([], sizing)).toEqual({ canary: [], pilot: [], production: [] });
  });

  it('leaves canary empty for a fleet of servers only, and still fills pilot and production', () => {
    const fleet = [
      ...Array.from({ length: 14 }, (_, i) => asset(`srv-${i}`, 'windows', 'server', 'core-server', i % 2 ? 'main' : 'dr')),
      ...Array.from({ length: 6 }, (_, i) => asset(`lnx-${i}`, 'linux', 'server', 'core-server')),
    ];
    const rings = assignRings(fleet, { canarySize: 5, pilotShare: 0.2 });
    expect(rings.canary).toEqual([]);
    expect(rings.pilot).toHaveLength(4);
    expect(rings.production).toHaveLength(16);
    expect(new Set(rings.pilot.map(stratum)).size).toBe(3);
  });

  it('puts a whole fleet smaller than the canary size into canary when all of it is eligible', () => {
    const fleet = [asset('ws-1', 'windows', 'workstation', 'workstation'), asset('ws-2', 'windows', 'workstation', 'workstation')];
    const rings = assignRings(fleet, { canarySize: 5, pilotShare: 0.15 });
    expect(names(rings.canary).sort()).toEqual(['ws-1', 'ws-2']);
    expect(rings.pilot).toEqual([]);
    expect(rings.production).toEqual([]);
  });

  it('keeps the caller’s asset objects (extra fields survive)', () => {
    const fleet = clinicFleet().map((a, i) => ({ ...a, assetId: String(i + 1) }));
    const rings = assignRings(fleet, sizing);
    for (const member of [...rings.canary, ...rings.pilot, ...rings.production]) {
      expect(fleet).toContain(member);
      expect(member.assetId).toMatch(/^\d+$/);
    }
  });
});

describe('batchRings', () => {
  it('numbers batches per ring from 0, batchSize members each, in ring order canary → pilot → production', () => {
    const rings = assignRings(clinicFleet(), { canarySize: 5, pilotShare: 0.15 });
    const members = batchRings(rings, 4);
    expect(members).toHaveLength(100);
    expect(members.map((m) => m.ring)).toEqual([
      ...Array<string>(5).fill('canary'),
      ...Array<string>(15).fill('pilot'),
      ...Array<string>(80).fill('production'),
    ]);
    const canary = members.filter((m) => m.ring === 'canary');
    expect(canary.map((m) => m.batchIndex)).toEqual([0, 0, 0, 0, 1]);
    expect(canary.map((m) => m.asset.hostname)).toEqual(names(rings.canary));
    const pilot = members.filter((m) => m.ring === 'pilot');
    expect(pilot.map((m) => m.batchIndex)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3]);
    const production = members.filter((m) => m.ring === 'production');
    expect(countBy(production, (m) => String(m.batchIndex))).toEqual(new Map(Array.from({ length: 20 }, (_, i) => [String(i), 4])));
  });

  it('puts a whole ring in batch 0 when the batch size is larger than the ring', () => {
    const rings = assignRings(clinicFleet(), { canarySize: 5, pilotShare: 0.15 });
    expect(new Set(batchRings(rings, 1000).map((m) => m.batchIndex))).toEqual(new Set([0]));
  });

  it('gives one batch per asset with a batch size of 1, and nothing for empty rings', () => {
    expect(batchRings({ canary: [], pilot: [], production: [] }, 10)).toEqual([]);
    const [one, two, three] = ['ws-1', 'ws-2', 'ws-3'].map((h) => asset(h, 'windows', 'workstation', 'workstation')) as [PlannableAsset, PlannableAsset, PlannableAsset];
    expect(batchRings({ canary: [], pilot: [one], production: [two, three] }, 1).map((m) => [m.ring, m.batchIndex])).toEqual([
      ['pilot', 0],
      ['production', 0],
      ['production', 1],
    ]);
  });
});
