import { RINGS, type AssetClass, type AssetRole, type OperatingSystem, type RingName } from '../../config/policy-schema';
import { stableHash } from '../stable-hash';

export interface PlannableAsset {
  hostname: string;
  os: OperatingSystem;
  role: AssetRole;
  assetClass: AssetClass;
  location: string;
}

export interface RingSizing {
  canarySize: number;
  /** Share of the planned fleet for pilot, 0.10–0.20 by policy. */
  pilotShare: number;
}

export interface RingAssignment<A extends PlannableAsset> {
  canary: A[];
  pilot: A[];
  production: A[];
}

/** Canary only takes assets whose failure would not hurt the client. */
export function isCanaryEligible(asset: PlannableAsset): boolean {
  return asset.assetClass === 'workstation';
}

function byStableOrder<A extends PlannableAsset>(salt: string) {
  return (a: A, b: A) => {
    const diff = stableHash(salt + a.hostname) - stableHash(salt + b.hostname);
    return diff !== 0 ? diff : a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0;
  };
}

/**
 * Round-robin over strata so a sample spreads across every kind of asset instead of
 * filling up with the most common one. Strata and members are in stable order.
 */
function spreadPick<A extends PlannableAsset>(pool: A[], count: number, stratumOf: (a: A) => string, salt: string): A[] {
  const strata = new Map<string, A[]>();
  for (const asset of [...pool].sort(byStableOrder<A>(salt))) {
    const key = stratumOf(asset);
    const members = strata.get(key);
    if (members) members.push(asset);
    else strata.set(key, [asset]);
  }
  const queues = [...strata.keys()].sort().map((key) => strata.get(key) as A[]);
  const picked: A[] = [];
  for (let round = 0; picked.length < count; round++) {
    let tookAny = false;
    for (const queue of queues) {
      if (picked.length >= count) break;
      const asset = queue[round];
      if (asset) {
        picked.push(asset);
        tookAny = true;
      }
    }
    if (!tookAny) break;
  }
  return picked;
}

/**
 * Deterministic ring membership: the same assets (in any order) and sizing always give the same rings.
 * Canary is a small non-critical sample covering every OS present among eligible assets; pilot is
 * `pilotShare` of the fleet spread across OS, role and location; production is the rest.
 */
export function assignRings<A extends PlannableAsset>(assets: readonly A[], sizing: RingSizing): RingAssignment<A> {
  const eligible = assets.filter(isCanaryEligible);
  const osPresent = new Set(eligible.map((a) => a.os)).size;
  const canarySize = Math.min(eligible.length, Math.max(sizing.canarySize, osPresent));
  const canary = spreadPick(eligible, canarySize, (a) => `${a.os}`, 'canary:');
  const inCanary = new Set(canary.map((a) => a.hostname));

  const rest = assets.filter((a) => !inCanary.has(a.hostname));
  const pilotSize = Math.min(rest.length, Math.max(rest.length > 1 ? 1 : 0, Math.round(assets.length * sizing.pilotShare)));
  const pilot = spreadPick(rest, pilotSize, (a) => `${a.os}|${a.role}|${a.location}`, 'pilot:');
  const inPilot = new Set(pilot.map((a) => a.hostname));

  const production = rest.filter((a) => !inPilot.has(a.hostname)).sort(byStableOrder<A>('production:'));
  return { canary, pilot, production };
}

export interface BatchedMember<A> {
  asset: A;
  ring: RingName;
  batchIndex: number;
}

/** Splits each ring into batches of `batchSize` in the ring's stable order. */
export function batchRings<A extends PlannableAsset>(rings: RingAssignment<A>, batchSize: number): BatchedMember<A>[] {
  const members: BatchedMember<A>[] = [];
  for (const ring of RINGS) {
    rings[ring].forEach((asset, i) => members.push({ asset, ring, batchIndex: Math.floor(i / batchSize) }));
  }
  return members;
}

export function batchCount(size: number, batchSize: number): number {
  return Math.ceil(size / batchSize);
}
