import type { AssetClass, OperatingSystem, Severity } from '../../config/policy-schema';
import { ASSET_CLASSES, OPERATING_SYSTEMS, SEVERITIES } from '../../config/policy-schema';

/**
 * Where one asset stands for one severity at the period's end:
 * `none` nothing of that severity was detected; `verified` everything detected is verified;
 * `within-sla` something is not verified yet but its deadline has not passed; `overdue` a deadline
 * passed without verification; `excepted` a patch is deferred under an active exception (never compliant).
 */
export const TIER_STATUSES = ['none', 'verified', 'within-sla', 'excepted', 'overdue'] as const;
export type TierStatus = (typeof TIER_STATUSES)[number];

/** The worst status wins: an overdue patch is not hidden by an exception on another one. */
export function worstStatus(statuses: readonly TierStatus[]): TierStatus {
  let worst: TierStatus = 'none';
  for (const status of statuses) if (TIER_STATUSES.indexOf(status) > TIER_STATUSES.indexOf(worst)) worst = status;
  return worst;
}

/** Assets that share class, OS and per-severity statuses, counted (the store groups them in SQL). */
export interface AssetStatusGroup {
  assetClass: AssetClass | null;
  os: OperatingSystem;
  ephi: boolean | null;
  statuses: Record<Severity, TierStatus>;
  assets: number;
}

export interface ComplianceCell {
  /** Assets in scope: every classified asset of the tier that is not excepted. */
  inScope: number;
  verified: number;
  withinSla: number;
  overdue: number;
  /** Counted separately, outside inScope: an excepted asset is never compliant. */
  excepted: number;
  /** (verified + within SLA) / inScope; undefined when nothing is in scope. */
  percent?: number;
}

export interface TierCompliance extends ComplianceCell {
  assetClass: AssetClass;
  severity: Severity;
}

export interface OsCompliance extends ComplianceCell {
  os: OperatingSystem;
}

export type ComplianceClaim =
  | { status: 'claimed'; byTier: TierCompliance[]; byOs: OsCompliance[] }
  | { status: 'blocked'; reason: string; unclassified: number };

function emptyCell(): ComplianceCell {
  return { inScope: 0, verified: 0, withinSla: 0, overdue: 0, excepted: 0 };
}

function add(cell: ComplianceCell, status: TierStatus, assets: number): void {
  if (status === 'excepted') cell.excepted += assets;
  else {
    cell.inScope += assets;
    if (status === 'overdue') cell.overdue += assets;
    else if (status === 'within-sla') cell.withinSla += assets;
    else cell.verified += assets;
  }
}

function withPercent<T extends ComplianceCell>(cell: T): T {
  return cell.inScope === 0 ? cell : { ...cell, percent: Math.round((10_000 * (cell.verified + cell.withinSla)) / cell.inScope) / 100 };
}

/** What the report shows instead of a compliance figure while assets are unclassified. */
export function blockedClaimReason(unclassified: number): string {
  return `compliance claim blocked until ${unclassified} asset${unclassified === 1 ? ' is' : 's are'} classified`;
}

/**
 * Compliance by tier (asset class × severity) and by OS, never one blended number. An asset with no
 * class or no ePHI answer makes the claim unprovable, so the whole claim is withheld until it is classified;
 * so does a device discovery saw that is not in the inventory at all (`discoveredUnclassified`).
 */
export function complianceClaim(groups: readonly AssetStatusGroup[], discoveredUnclassified = 0): ComplianceClaim {
  const unclassified = groups.filter((g) => g.assetClass === null || g.ephi === null).reduce((n, g) => n + g.assets, 0) + discoveredUnclassified;
  if (unclassified > 0) {
    return {
      status: 'blocked',
      unclassified,
      reason: blockedClaimReason(unclassified),
    };
  }
  const tiers = new Map<string, ComplianceCell>();
  const oses = new Map<OperatingSystem, ComplianceCell>();
  for (const group of groups) {
    const assetClass = group.assetClass as AssetClass;
    for (const severity of SEVERITIES) {
      const key = `${assetClass}/${severity}`;
      const cell = tiers.get(key) ?? emptyCell();
      add(cell, group.statuses[severity], group.assets);
      tiers.set(key, cell);
    }
    const cell = oses.get(group.os) ?? emptyCell();
    add(cell, worstStatus(SEVERITIES.map((s) => group.statuses[s])), group.assets);
    oses.set(group.os, cell);
  }
  const byTier: TierCompliance[] = [];
  for (const assetClass of ASSET_CLASSES) {
    for (const severity of SEVERITIES) {
      const cell = tiers.get(`${assetClass}/${severity}`);
      if (cell) byTier.push(withPercent({ assetClass, severity, ...cell }));
    }
  }
  const byOs: OsCompliance[] = [];
  for (const os of OPERATING_SYSTEMS) {
    const cell = oses.get(os);
    if (cell) byOs.push(withPercent({ os, ...cell }));
  }
  return { status: 'claimed', byTier, byOs };
}

/** The weakest tier: what the internal scorecard shows per client instead of a blended figure. */
export function weakestTier(claim: ComplianceClaim): TierCompliance | undefined {
  if (claim.status !== 'claimed') return undefined;
  return claim.byTier.filter((t) => t.percent !== undefined).sort((a, b) => (a.percent ?? 0) - (b.percent ?? 0))[0];
}
