import type { AssetClass, OperatingSystem, Severity, SlaTable } from '../../config/policy-schema';
import { ASSET_CLASSES, SEVERITIES } from '../../config/policy-schema';
import type { AssetStatusGroup, TierStatus } from '../../domain/reporting/compliance';
import { TIER_STATUSES } from '../../domain/reporting/compliance';
import type { ActiveException } from '../../domain/reporting/deferral-aging';
import type { RolledBackCycle, RiskReduced, UnclassifiedAsset } from '../../domain/reporting/monthly-report';
import type { DeploymentCounts, RemediationAggregate } from '../../domain/reporting/remediation';
import type { Queryable } from './pool';

// Every figure is read AS OF a period's end: assets imported before it, each (asset, patch) pair in the
// state of its last change before it (the current row when nothing changed since, else the event
// trail), exceptions that were in force at that moment. A report for October run in December
// therefore shows October's truth.

/** The SLA windows as SQL rows (asset class, severity, window in ms) so deadlines are computed in the query. */
function slaRows(sla: SlaTable): string {
  return JSON.stringify(ASSET_CLASSES.flatMap((c) => SEVERITIES.map((s) => ({ asset_class: c, severity: s, window_ms: sla[c][s].deploymentWindow }))));
}

/** Exceptions in force at $2 for client $1: approved before, not yet expired, not revoked before. */
const EXCEPTIONS_IN_FORCE = `
  SELECT * FROM exceptions x
   WHERE x.client_id = $1 AND x.approved_at IS NOT NULL AND x.approved_at < $2
     AND NOT (x.status IN ('revoked', 'rejected') AND x.updated_at <= $2)
     AND CASE WHEN x.kind = 'deferral' THEN x.expires_at > $2
              ELSE x.review_at IS NULL OR x.review_at > $2 OR x.status IN ('active', 'renewal-pending') END`;

const RANK_SQL = TIER_STATUSES.map((s, i) => `WHEN ${i} THEN '${s}'`).join(' ');

/**
 * Assets of the client at `asOf`, grouped by class, OS, ePHI answer and their status per severity
 * (see TierStatus). A pair counts as verified only when its state at `asOf` is `verified`: a deployed
 * patch is not a verified one.
 */
export async function assetStatusGroups(db: Queryable, clientId: string, asOf: Date, sla: SlaTable): Promise<AssetStatusGroup[]> {
  const { rows } = await db.query<{ asset_class: AssetClass | null; os: OperatingSystem; ephi: boolean | null; critical: TierStatus; high: TierStatus; routine: TierStatus; assets: number }>(
    `WITH sla AS (SELECT * FROM jsonb_to_recordset($3::jsonb) AS s(asset_class text, severity text, window_ms bigint)),
          in_force AS (${EXCEPTIONS_IN_FORCE}),
          excepted AS (
            SELECT f.id AS asset_id, x.patch_ids FROM in_force x JOIN assets f ON f.client_id = $1 AND f.imported_at < $2 AND f.hostname = ANY (x.hostnames)),
          whole AS (SELECT DISTINCT asset_id FROM excepted WHERE cardinality(patch_ids) = 0),
          pair AS (
            SELECT s.asset_id, s.patch_id, p.severity, f.asset_class,
                   s.detected_at + make_interval(secs => sla.window_ms / 1000.0) AS deadline,
                   CASE WHEN s.updated_at < $2 THEN s.state
                        ELSE coalesce((SELECT e.to_state FROM patch_state_events e
                                        WHERE e.asset_id = s.asset_id AND e.patch_id = s.patch_id AND e.at < $2
                                        ORDER BY e.at DESC, e.id DESC LIMIT 1), 'missing') END AS state
              FROM asset_patch_state s
              JOIN assets f ON f.id = s.asset_id
              JOIN patches p ON p.id = s.patch_id
              LEFT JOIN sla ON sla.asset_class = f.asset_class AND sla.severity = p.severity
             WHERE f.client_id = $1 AND f.imported_at < $2 AND s.detected_at < $2),
          ranked AS (
            SELECT pair.asset_id, pair.severity,
                   CASE WHEN pair.state = 'verified' THEN 1
                        WHEN pair.state = 'excepted' OR EXISTS (
                               SELECT 1 FROM excepted x WHERE x.asset_id = pair.asset_id
                                  AND (cardinality(x.patch_ids) = 0 OR pair.patch_id = ANY (x.patch_ids))) THEN 3
                        WHEN pair.deadline > $2 THEN 2
                        ELSE 4 END AS rank
              FROM pair),
          per_asset AS (
            SELECT asset_id,
                   max(rank) FILTER (WHERE severity = 'critical') AS critical,
                   max(rank) FILTER (WHERE severity = 'high') AS high,
                   max(rank) FILTER (WHERE severity = 'routine') AS routine
              FROM ranked GROUP BY asset_id),
          statuses AS (
            SELECT f.asset_class, f.os, f.ephi,
                   CASE WHEN w.asset_id IS NOT NULL THEN greatest(coalesce(pa.critical, 0), 3) ELSE coalesce(pa.critical, 0) END AS critical,
                   CASE WHEN w.asset_id IS NOT NULL THEN greatest(coalesce(pa.high, 0), 3) ELSE coalesce(pa.high, 0) END AS high,
                   CASE WHEN w.asset_id IS NOT NULL THEN greatest(coalesce(pa.routine, 0), 3) ELSE coalesce(pa.routine, 0) END AS routine
              FROM assets f LEFT JOIN per_asset pa ON pa.asset_id = f.id LEFT JOIN whole w ON w.asset_id = f.id
             WHERE f.client_id = $1 AND f.imported_at < $2)
     SELECT asset_class, os, ephi,
            CASE critical ${RANK_SQL} END AS critical, CASE high ${RANK_SQL} END AS high, CASE routine ${RANK_SQL} END AS routine,
            count(*)::int AS assets
       FROM statuses GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6`,
    [clientId, asOf, slaRows(sla)],
  );
  return rows.map((r) => ({ assetClass: r.asset_class, os: r.os, ephi: r.ephi, statuses: { critical: r.critical, high: r.high, routine: r.routine }, assets: r.assets }));
}

export async function fleetCounts(db: Queryable, clientId: string, asOf: Date): Promise<{ assets: number; ephiAssets: number }> {
  const { rows } = await db.query<{ assets: number; ephi: number }>(
    `SELECT count(*)::int AS assets, count(*) FILTER (WHERE ephi)::int AS ephi FROM assets WHERE client_id = $1 AND imported_at < $2`,
    [clientId, asOf],
  );
  return { assets: rows[0]?.assets ?? 0, ephiAssets: rows[0]?.ephi ?? 0 };
}

/** Assets without an asset class or an ePHI answer at `asOf`; they block the compliance claim. */
export async function unclassifiedAssets(db: Queryable, clientId: string, asOf: Date): Promise<UnclassifiedAsset[]> {
  const { rows } = await db.query<{ hostname: string; os: OperatingSystem; no_class: boolean; no_ephi: boolean }>(
    `SELECT hostname, os, asset_class IS NULL AS no_class, ephi IS NULL AS no_ephi
       FROM assets WHERE client_id = $1 AND imported_at < $2 AND (asset_class IS NULL OR ephi IS NULL) ORDER BY hostname`,
    [clientId, asOf],
  );
  return rows.map((r) => ({ hostname: r.hostname, os: r.os, missing: [...(r.no_class ? (['asset class'] as const) : []), ...(r.no_ephi ? (['ePHI answer'] as const) : [])] }));
}

export async function exceptionsInForce(db: Queryable, clientId: string, asOf: Date): Promise<ActiveException[]> {
  const { rows } = await db.query(
    `SELECT id, kind, hostnames, patch_ids AS "patchIds", reason, ticket_id AS "ticketId", requested_at AS "requestedAt",
            approved_at AS "approvedAt", expires_at AS "expiresAt", review_at AS "reviewAt"
       FROM (${EXCEPTIONS_IN_FORCE}) x ORDER BY requested_at, id`,
    [clientId, asOf],
  );
  return rows as ActiveException[];
}

/** The first verification of each pair inside [start, end), with its tier and its SLA deadline. */
const VERIFIED_IN_PERIOD = `
  WITH sla AS (SELECT * FROM jsonb_to_recordset($4::jsonb) AS s(asset_class text, severity text, window_ms bigint)),
       verified AS (
         SELECT DISTINCT ON (e.asset_id, e.patch_id) e.asset_id, e.patch_id, e.at
           FROM patch_state_events e JOIN assets a ON a.id = e.asset_id
          WHERE a.client_id = $1 AND e.to_state = 'verified' AND e.at >= $2 AND e.at < $3
          ORDER BY e.asset_id, e.patch_id, e.at),
       remediated AS (
         SELECT v.asset_id, v.patch_id, a.asset_class, a.ephi, p.severity, p.title,
                extract(epoch FROM v.at - s.detected_at) / 3600.0 AS hours,
                v.at <= s.detected_at + make_interval(secs => sla.window_ms / 1000.0) AS within_sla
           FROM verified v
           JOIN asset_patch_state s ON s.asset_id = v.asset_id AND s.patch_id = v.patch_id
           JOIN assets a ON a.id = v.asset_id
           JOIN patches p ON p.id = v.patch_id
           LEFT JOIN sla ON sla.asset_class = a.asset_class AND sla.severity = p.severity)`;

export interface PeriodOutcomes {
  remediation: RemediationAggregate[];
  risks: RiskReduced[];
}

/** Time-to-remediate per tier and the patches that closed the most exposure, both from one pass. */
export async function remediationInPeriod(db: Queryable, clientId: string, start: Date, end: Date, sla: SlaTable): Promise<PeriodOutcomes> {
  const { rows } = await db.query(
    `${VERIFIED_IN_PERIOD},
       tiers AS (
         SELECT 'tier' AS kind, asset_class, severity, NULL::text AS patch_id, NULL::text AS title,
                count(*)::int AS remediated, count(*) FILTER (WHERE within_sla)::int AS within_sla, 0 AS ephi,
                round(percentile_cont(0.5) WITHIN GROUP (ORDER BY hours)::numeric, 1)::float8 AS median_hours,
                round(percentile_cont(0.9) WITHIN GROUP (ORDER BY hours)::numeric, 1)::float8 AS p90_hours,
                round(max(hours)::numeric, 1)::float8 AS max_hours
           FROM remediated WHERE asset_class IS NOT NULL GROUP BY asset_class, severity),
       risks AS (
         SELECT 'risk' AS kind, NULL::text, severity, patch_id, min(title), count(*)::int, 0, count(*) FILTER (WHERE ephi)::int, 0::float8, 0::float8, 0::float8
           FROM remediated GROUP BY patch_id, severity)
     SELECT * FROM tiers UNION ALL SELECT * FROM risks`,
    [clientId, start, end, slaRows(sla)],
  );
  const remediation: RemediationAggregate[] = [];
  const risks: RiskReduced[] = [];
  for (const r of rows as Record<string, unknown>[]) {
    if (r.kind === 'tier') {
      remediation.push({
        assetClass: r.asset_class as AssetClass,
        severity: r.severity as Severity,
        remediated: r.remediated as number,
        withinSla: r.within_sla as number,
        medianHours: r.median_hours as number,
        p90Hours: r.p90_hours as number,
        maxHours: r.max_hours as number,
      });
    } else {
      risks.push({ patchId: r.patch_id as string, title: r.title as string, severity: r.severity as Severity, assets: r.remediated as number, ephiAssets: r.ephi as number });
    }
  }
  return { remediation, risks };
}

/**
 * Deployments of the cycles planned in [start, end): every planned asset that got past pending is an
 * attempt; it failed when the trail shows a failure for it in that cycle (also when a retry fixed it).
 */
export async function deploymentCounts(db: Queryable, clientId: string, start: Date, end: Date): Promise<DeploymentCounts> {
  const { rows } = await db.query<{ attempted: number; failed: number; rolled_back: number }>(
    `SELECT count(*) FILTER (WHERE ca.outcome <> 'pending')::int AS attempted,
            count(*) FILTER (WHERE EXISTS (SELECT 1 FROM patch_state_events e WHERE e.cycle_id = ca.cycle_id AND e.asset_id = ca.asset_id AND e.to_state = 'failed'))::int AS failed,
            count(*) FILTER (WHERE ca.outcome IN ('rolled-back', 'rollback-failed'))::int AS rolled_back
       FROM cycle_assets ca JOIN cycles c ON c.id = ca.cycle_id
      WHERE c.client_id = $1 AND c.planned_at >= $2 AND c.planned_at < $3`,
    [clientId, start, end],
  );
  return { attempted: rows[0]?.attempted ?? 0, failed: rows[0]?.failed ?? 0, rolledBack: rows[0]?.rolled_back ?? 0 };
}

export async function rolledBackCycles(db: Queryable, clientId: string, start: Date, end: Date): Promise<RolledBackCycle[]> {
  const { rows } = await db.query<{ id: string; status: string; status_reason: string | null; ended_at: Date | null }>(
    `SELECT id, status, status_reason, ended_at FROM cycles
      WHERE client_id = $1 AND status IN ('rolled-back', 'rollback-incomplete') AND coalesce(ended_at, planned_at) >= $2 AND coalesce(ended_at, planned_at) < $3
      ORDER BY coalesce(ended_at, planned_at), id`,
    [clientId, start, end],
  );
  return rows.map((r) => ({ cycleId: r.id, status: r.status, reason: r.status_reason, endedAt: r.ended_at ? r.ended_at.toISOString() : null }));
}

export async function patchTicketsOpened(db: Queryable, clientId: string, start: Date, end: Date): Promise<Date[]> {
  const { rows } = await db.query<{ opened_at: Date }>(
    'SELECT opened_at FROM patch_tickets WHERE client_id = $1 AND opened_at >= $2 AND opened_at < $3 ORDER BY opened_at',
    [clientId, start, end],
  );
  return rows.map((r) => r.opened_at);
}

/** Records a ticket the first time it is opened; a retried open with the same key keeps the first time. */
export async function recordPatchTicket(db: Queryable, ticket: { key: string; ticketId: string; clientId: string; summary: string }): Promise<void> {
  await db.query(
    'INSERT INTO patch_tickets (key, ticket_id, client_id, summary) VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO NOTHING',
    [ticket.key, ticket.ticketId, ticket.clientId, ticket.summary],
  );
}

/** Hours from each failure in the period to the first later verification of the same pair (before `end`). */
export async function timesToFix(db: Queryable, clientId: string, start: Date, end: Date): Promise<number[]> {
  const { rows } = await db.query<{ hours: number }>(
    `SELECT extract(epoch FROM fixed.at - f.at)::float8 / 3600 AS hours
       FROM patch_state_events f JOIN assets a ON a.id = f.asset_id
       CROSS JOIN LATERAL (SELECT min(v.at) AS at FROM patch_state_events v
                            WHERE v.asset_id = f.asset_id AND v.patch_id = f.patch_id AND v.to_state = 'verified' AND v.at > f.at AND v.at < $3) fixed
      WHERE a.client_id = $1 AND f.to_state = 'failed' AND f.at >= $2 AND f.at < $3 AND fixed.at IS NOT NULL`,
    [clientId, start, end],
  );
  return rows.map((r) => r.hours);
}

export interface InventoryExportRow {
  hostname: string;
  os: OperatingSystem;
  role: string;
  assetClass: AssetClass | null;
  owner: string;
  location: string;
  ephi: boolean | null;
  tags: string[];
  applications: string[];
  firstImported: Date;
  lastUpdated: Date;
}

/** The client's inventory as it stood before `asOf` (assets imported later are left out). */
export async function inventoryAsOf(db: Queryable, clientId: string, asOf: Date): Promise<InventoryExportRow[]> {
  const { rows } = await db.query(
    `SELECT a.hostname, a.os, a.role, a.asset_class AS "assetClass", a.owner, a.location, a.ephi, a.tags,
            COALESCE((SELECT array_agg(app.name ORDER BY app.name) FROM asset_applications app WHERE app.asset_id = a.id), '{}') AS applications,
            a.imported_at AS "firstImported", a.updated_at AS "lastUpdated"
       FROM assets a WHERE a.client_id = $1 AND a.imported_at < $2 ORDER BY a.hostname`,
    [clientId, asOf],
  );
  return rows as InventoryExportRow[];
}

// Report runs: the idempotency record of the scheduled monthly report.

export interface ReportRun {
  clientId: string;
  period: string;
  dir: string | null;
  manifestSha256: string | null;
  builtAt: Date | null;
  mailedAt: Date | null;
  mailedTo: string[] | null;
  messageId: string | null;
}

export async function getReportRun(db: Queryable, clientId: string, period: string): Promise<ReportRun | undefined> {
  const { rows } = await db.query(
    `SELECT client_id AS "clientId", period, dir, manifest_sha256 AS "manifestSha256", built_at AS "builtAt", mailed_at AS "mailedAt",
            mailed_to AS "mailedTo", message_id AS "messageId"
       FROM report_runs WHERE client_id = $1 AND kind = 'monthly' AND period = $2`,
    [clientId, period],
  );
  return rows[0] as ReportRun | undefined;
}

/** A closed month's stored figures (JSON as written by storeMonthFigures), or undefined before the month is closed. */
export async function readMonthFigures(db: Queryable, clientId: string, period: string): Promise<{ figures: unknown; computedAt: Date } | undefined> {
  const { rows } = await db.query<{ figures: unknown; computed_at: Date }>('SELECT figures, computed_at FROM report_month_figures WHERE client_id = $1 AND period = $2', [clientId, period]);
  const row = rows[0];
  return row ? { figures: row.figures, computedAt: row.computed_at } : undefined;
}

/** Stores a closed month's figures once: a second writer (a race, a re-run) keeps the first. */
export async function storeMonthFigures(db: Queryable, clientId: string, period: string, figures: unknown): Promise<void> {
  await db.query('INSERT INTO report_month_figures (client_id, period, figures) VALUES ($1, $2, $3::jsonb) ON CONFLICT (client_id, period) DO NOTHING', [clientId, period, JSON.stringify(figures)]);
}

export async function recordReportBuilt(db: Queryable, run: { clientId: string; period: string; dir: string; manifestSha256: string }): Promise<void> {
  await db.query(
    `INSERT INTO report_runs (client_id, kind, period, dir, manifest_sha256, built_at) VALUES ($1, 'monthly', $2, $3, $4, now())
     ON CONFLICT (client_id, kind, period) DO UPDATE SET dir = EXCLUDED.dir, manifest_sha256 = EXCLUDED.manifest_sha256, built_at = now()`,
    [run.clientId, run.period, run.dir, run.manifestSha256],
  );
}

/**
 * Claims the right to mail this report: true for exactly one caller per (client, month), ever. The
 * claim is taken before sending, so a crash after the claim and before the send is retried by the same
 * activity attempt chain (same message id), never by a second run.
 */
export async function claimReportMail(db: Queryable, run: { clientId: string; period: string; to: string[]; messageId: string }): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE report_runs SET mailed_at = now(), mailed_to = $3, message_id = $4
      WHERE client_id = $1 AND kind = 'monthly' AND period = $2 AND (mailed_at IS NULL OR message_id = $4)`,
    [run.clientId, run.period, run.to, run.messageId],
  );
  return (rowCount ?? 0) > 0;
}

export interface SlaBreach {
  hostname: string;
  patchId: string;
  severity: Severity;
  assetClass: AssetClass;
  state: string;
  deadline: Date;
}

/**
 * Pairs whose SLA deadline passed at `at` without verification, outside any exception in force:
 * what the daily SLA alert lists and escalates. Read from the current state, newest deadlines last.
 */
export async function slaBreaches(db: Queryable, clientId: string, at: Date, sla: SlaTable, limit = 500): Promise<{ total: number; breaches: SlaBreach[] }> {
  const { rows } = await db.query<{ hostname: string; patch_id: string; severity: Severity; asset_class: AssetClass; state: string; deadline: Date; total: number }>(
    `WITH sla AS (SELECT * FROM jsonb_to_recordset($3::jsonb) AS s(asset_class text, severity text, window_ms bigint)),
          in_force AS (${EXCEPTIONS_IN_FORCE}),
          breach AS (
            SELECT a.hostname, s.patch_id, p.severity, a.asset_class, s.state,
                   s.detected_at + make_interval(secs => sla.window_ms / 1000.0) AS deadline
              FROM asset_patch_state s
              JOIN assets a ON a.id = s.asset_id
              JOIN patches p ON p.id = s.patch_id
              JOIN sla ON sla.asset_class = a.asset_class AND sla.severity = p.severity
             WHERE a.client_id = $1 AND s.state NOT IN ('verified', 'excepted')
               AND s.detected_at + make_interval(secs => sla.window_ms / 1000.0) <= $2
               AND NOT EXISTS (SELECT 1 FROM in_force x WHERE a.hostname = ANY (x.hostnames) AND (cardinality(x.patch_ids) = 0 OR s.patch_id = ANY (x.patch_ids))))
     SELECT *, count(*) OVER ()::int AS total FROM breach ORDER BY deadline, hostname, patch_id LIMIT $4`,
    [clientId, at, slaRows(sla), limit],
  );
  return {
    total: rows[0]?.total ?? 0,
    breaches: rows.map((r) => ({ hostname: r.hostname, patchId: r.patch_id, severity: r.severity, assetClass: r.asset_class, state: r.state, deadline: r.deadline })),
  };
}
