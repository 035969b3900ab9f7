import type { AssetClass, Severity } from '../../config/policy-schema';
import type { DeadlineGroup, ExcludedAsset } from './cycle-status';
import type { ExceptionKind } from '../exception/exception';

// The planning rules of a cycle that are not ring assignment: which assets and patches an active
// exception takes out of the plan, and how the SLA deadlines are summarised for the status.

/** An active exception as the planner sees it. Empty `patchIds`: every patch on those hosts. */
export interface PlanExclusion {
  exceptionId: string;
  kind: ExceptionKind;
  hostnames: readonly string[];
  patchIds: readonly string[];
}

export interface MergedExclusions<P extends { patchId: string }> {
  /** What each host still gets patched with; hosts with nothing left are absent. */
  remaining: Map<string, P[]>;
  /** One entry per host that an exception touched, in hostname order. */
  excluded: ExcludedAsset[];
}

interface HostCover {
  lane: boolean;
  /** Every pending patch is covered (an isolated lane, or an exception without patch ids). */
  all: boolean;
  deferred: Set<string>;
  exceptionIds: string[];
}

/**
 * Applies the active exceptions to what is missing per host. A host covered by several exceptions
 * is listed once with all their ids. An isolated lane takes the whole host out; a deferral of some
 * patches keeps the host in its ring for the others and says which ones were deferred. An
 * exception for a patch the host does not miss changes nothing.
 */
export function mergeExclusions<P extends { patchId: string }>(
  pendingByHost: ReadonlyMap<string, readonly P[]>,
  exclusions: readonly PlanExclusion[],
): MergedExclusions<P> {
  const covers = new Map<string, HostCover>();
  for (const exclusion of exclusions) {
    const lane = exclusion.kind === 'isolated-lane';
    const coversAll = lane || exclusion.patchIds.length === 0;
    for (const hostname of exclusion.hostnames) {
      const pending = pendingByHost.get(hostname);
      if (!pending) continue;
      const covered = pending.map((p) => p.patchId).filter((id) => coversAll || exclusion.patchIds.includes(id));
      if (covered.length === 0) continue;
      const cover = covers.get(hostname) ?? { lane: false, all: false, deferred: new Set<string>(), exceptionIds: [] };
      cover.lane ||= lane;
      cover.all ||= coversAll;
      covered.forEach((id) => cover.deferred.add(id));
      cover.exceptionIds.push(exclusion.exceptionId);
      covers.set(hostname, cover);
    }
  }

  const remaining = new Map<string, P[]>();
  for (const [hostname, pending] of pendingByHost) remaining.set(hostname, [...pending]);
  const excluded: ExcludedAsset[] = [];
  for (const [hostname, cover] of [...covers.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const keep = cover.all ? [] : (pendingByHost.get(hostname) ?? []).filter((p) => !cover.deferred.has(p.patchId));
    excluded.push({ hostname, reason: exclusionReason(cover, keep.length), exceptionId: cover.exceptionIds.sort().join(',') });
    if (keep.length === 0) remaining.delete(hostname);
    else remaining.set(hostname, keep);
  }
  return { remaining, excluded };
}

function exclusionReason(cover: HostCover, kept: number): string {
  if (cover.lane) return 'isolated lane (cannot be patched; compensating controls apply)';
  if (kept === 0) return 'active exception (deferral)';
  return `active exception defers ${[...cover.deferred].sort().join(', ')}; other patches proceed`;
}

export interface DeadlineMember {
  assetClass: AssetClass;
  /** The most urgent severity among the asset's patches. */
  severity: Severity;
  deadline: Date;
}

/**
 * One group per asset class × severity with its number of assets and its earliest deadline, soonest
 * first: what `cycle status` shows and what the escalation before a missed deadline is timed by.
 */
export function groupDeadlines(members: readonly DeadlineMember[]): DeadlineGroup[] {
  const groups = new Map<string, DeadlineGroup>();
  for (const member of members) {
    const key = `${member.assetClass}|${member.severity}`;
    const deadline = member.deadline.toISOString();
    const group = groups.get(key);
    if (!group) {
      groups.set(key, { assetClass: member.assetClass, severity: member.severity, assets: 1, deadline, atRisk: false });
      continue;
    }
    group.assets++;
    if (deadline < group.deadline) group.deadline = deadline;
  }
  return [...groups.values()].sort((a, b) => a.deadline.localeCompare(b.deadline));
}

/** The earliest deadline of all groups, or undefined when nothing is planned. */
export function earliestDeadline(groups: readonly DeadlineGroup[]): string | undefined {
  return groups.reduce<string | undefined>((min, g) => (!min || g.deadline < min ? g.deadline : min), undefined);
}
