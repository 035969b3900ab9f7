import { OPERATING_SYSTEMS, type OperatingSystem, type SlaTable } from '../../config/policy-schema';
import { complianceClaim, type AssetStatusGroup, type ComplianceClaim } from '../../domain/reporting/compliance';
import type { ActiveException } from '../../domain/reporting/deferral-aging';
import type { FiguresSource, RolledBackCycle, UnclassifiedAsset } from '../../domain/reporting/monthly-report';
import { isClosedPeriod, type ReportPeriod } from '../../domain/reporting/period';
import type { DeploymentCounts } from '../../domain/reporting/remediation';
import { unclassifiedDevices, type UnclassifiedDevice } from '../store/discovery-store';
import type { Queryable } from '../store/pool';
import {
  assetStatusGroups,
  deploymentCounts,
  exceptionsInForce,
  fleetCounts,
  readMonthFigures,
  remediationInPeriod,
  rolledBackCycles,
  storeMonthFigures,
  unclassifiedAssets,
  type PeriodOutcomes,
} from '../store/report-store';

/** Every store figure a monthly report is made of, as of the period's end. */
export interface MonthFigures {
  groups: AssetStatusGroup[];
  fleet: { assets: number; ephiAssets: number };
  unclassified: UnclassifiedAsset[];
  exceptions: ActiveException[];
  outcomes: PeriodOutcomes;
  deployments: DeploymentCounts;
  rollbacks: RolledBackCycle[];
}

export async function computeFigures(db: Queryable, clientId: string, period: ReportPeriod, sla: SlaTable): Promise<MonthFigures> {
  const [groups, fleet, unclassifiedImported, discovered, exceptions, outcomes, deployments, rollbacks] = await Promise.all([
    assetStatusGroups(db, clientId, period.end, sla),
    fleetCounts(db, clientId, period.end),
    unclassifiedAssets(db, clientId, period.end),
    // Its as-of is inclusive; a period's end is not.
    unclassifiedDevices(db, clientId, new Date(period.end.getTime() - 1)),
    exceptionsInForce(db, clientId, period.end),
    remediationInPeriod(db, clientId, period.start, period.end, sla),
    deploymentCounts(db, clientId, period.start, period.end),
    rolledBackCycles(db, clientId, period.start, period.end),
  ]);
  const unclassified = [...unclassifiedImported, ...discovered.map((d) => discoveredAsUnclassified(d))].sort((a, b) => a.hostname.localeCompare(b.hostname));
  return { groups, fleet, unclassified, exceptions, outcomes, deployments, rollbacks };
}

/** A device discovery saw that the inventory lacks: unclassified, with whatever OS its sources reported. */
function discoveredAsUnclassified(device: UnclassifiedDevice): UnclassifiedAsset {
  const os = device.os !== null && (OPERATING_SYSTEMS as readonly string[]).includes(device.os) ? (device.os as OperatingSystem) : null;
  return { hostname: device.hostname, os, missing: device.missing, source: 'discovery' };
}

/** The compliance claim of a month's figures: withheld while any asset or discovered device is unclassified. */
export function claimOf(figures: Pick<MonthFigures, 'groups' | 'unclassified'>): ComplianceClaim {
  return complianceClaim(figures.groups, figures.unclassified.filter((u) => u.source === 'discovery').length);
}

const date = (value: unknown): Date | null => (value === null || value === undefined ? null : new Date(value as string));

/** JSON gives dates back as strings; the domain rules compute with Dates. */
function revive(stored: MonthFigures): MonthFigures {
  return {
    ...stored,
    exceptions: stored.exceptions.map((e) => ({
      ...e,
      requestedAt: date(e.requestedAt) as Date,
      approvedAt: date(e.approvedAt) as Date,
      expiresAt: date(e.expiresAt),
      reviewAt: date(e.reviewAt),
    })),
  };
}

/**
 * The figures of a month: for a closed month the stored month-end figures, computed and stored on the
 * first request after the close (whoever stores first wins, so every report of that month agrees);
 * for an open month (or a week) computed live and not stored.
 */
export async function monthFigures(db: Queryable, clientId: string, period: ReportPeriod, sla: SlaTable, now: Date): Promise<{ figures: MonthFigures; source: FiguresSource }> {
  if (period.kind !== 'month' || !isClosedPeriod(period, now)) {
    // A month under way stands as of now: a deadline later this month has not passed yet.
    const soFar = now < period.end ? { ...period, end: now } : period;
    return { figures: await computeFigures(db, clientId, soFar, sla), source: { kind: 'live', computedAt: now.toISOString() } };
  }
  let stored = await readMonthFigures(db, clientId, period.label);
  if (!stored) {
    await storeMonthFigures(db, clientId, period.label, await computeFigures(db, clientId, period, sla));
    stored = await readMonthFigures(db, clientId, period.label);
    if (!stored) throw new Error(`month-end figures of ${clientId} ${period.label} were stored but cannot be read back`);
  }
  return { figures: revive(stored.figures as MonthFigures), source: { kind: 'month-end', computedAt: stored.computedAt.toISOString() } };
}
