import type { AssetClass, AssetRole, OperatingSystem, RingName, Severity } from '../../config/policy-schema';
import type { PatchState } from '../../domain/asset';
import type { CompensatingControl, ExceptionKind, ExceptionState } from '../../domain/exception/exception';
import type { CycleRecordStatus } from './cycle-store';
import type { Queryable } from './pool';

// What the evidence bundles read: a cycle's plan and exclusions, and a client's HIPAA period.

/** The plan of a cycle, one row per (asset, patch), with when the patch was first detected missing. */
export interface PlanRow {
  assetId: string;
  hostname: string;
  ring: RingName;
  batchIndex: number;
  assetClass: AssetClass;
  slaDeadline: Date;
  snapshotRequired: boolean;
  patchId: string;
  detectedAt: Date | null;
}

const RING_ORDER = `ARRAY['canary','pilot','production']`;
const SEVERITY_ORDER = `ARRAY['critical','high','routine']`;
const CLASS_ORDER = `ARRAY['core-server','do-not-disrupt','workstation']`;

export async function loadPlanRows(db: Queryable, cycleId: string): Promise<PlanRow[]> {
  const { rows } = await db.query<PlanRow>(
    `SELECT ca.asset_id::text AS "assetId", ca.hostname, ca.ring, ca.batch_index AS "batchIndex", ca.asset_class AS "assetClass",
            ca.sla_deadline AS "slaDeadline", ca.snapshot_required AS "snapshotRequired", p.patch_id AS "patchId", s.detected_at AS "detectedAt"
       FROM cycle_assets ca
       CROSS JOIN LATERAL unnest(ca.patch_ids) AS p(patch_id)
       LEFT JOIN asset_patch_state s ON s.asset_id = ca.asset_id AND s.patch_id = p.patch_id
      WHERE ca.cycle_id = $1
      ORDER BY array_position(${RING_ORDER}, ca.ring), ca.batch_index, ca.hostname, p.patch_id`,
    [cycleId],
  );
  return rows;
}

export interface CycleExclusionRow {
  hostname: string;
  reason: string;
  /** planCycle joins several exceptions covering one host with commas. */
  exceptionId: string | null;
}

export async function loadCycleExclusions(db: Queryable, cycleId: string): Promise<CycleExclusionRow[]> {
  const { rows } = await db.query<CycleExclusionRow>(
    `SELECT hostname, reason, exception_id AS "exceptionId" FROM cycle_exclusions WHERE cycle_id = $1 ORDER BY hostname`,
    [cycleId],
  );
  return rows;
}

export interface CycleRecord {
  clientId: string;
  requestedBy: string;
  status: CycleRecordStatus;
  statusReason: string | null;
  plannedAt: Date;
  endedAt: Date | null;
}

export async function loadCycleRecord(db: Queryable, cycleId: string): Promise<CycleRecord | undefined> {
  const { rows } = await db.query<CycleRecord>(
    `SELECT client_id AS "clientId", requested_by AS "requestedBy", status, status_reason AS "statusReason", planned_at AS "plannedAt", ended_at AS "endedAt"
       FROM cycles WHERE id = $1`,
    [cycleId],
  );
  return rows[0];
}

/** A client and a period of whole UTC days: [start, end). */
export interface ClientPeriod {
  clientId: string;
  start: Date;
  end: Date;
}

const periodParams = (p: ClientPeriod) => [p.clientId, p.start, p.end];

export interface PeriodCycle {
  id: string;
  status: CycleRecordStatus;
  statusReason: string | null;
  requestedBy: string;
  plannedAt: Date;
  endedAt: Date | null;
}

export async function loadPeriodCycles(db: Queryable, period: ClientPeriod): Promise<PeriodCycle[]> {
  const { rows } = await db.query<PeriodCycle>(
    `SELECT id, status, status_reason AS "statusReason", requested_by AS "requestedBy", planned_at AS "plannedAt", ended_at AS "endedAt"
       FROM cycles WHERE client_id = $1 AND planned_at >= $2 AND planned_at < $3 ORDER BY planned_at, id`,
    periodParams(period),
  );
  return rows;
}

export interface EphiAsset {
  hostname: string;
  os: OperatingSystem;
  role: AssetRole;
  assetClass: AssetClass;
  owner: string;
  location: string;
  /** `;`-separated, for a CSV cell. */
  tags: string;
  applications: string;
  openPatches: number;
  importedAt: Date;
  updatedAt: Date;
}

/** The client's ePHI assets with how many of their patches are still open (missing, failed, rolled back). */
export async function loadEphiInventory(db: Queryable, clientId: string): Promise<EphiAsset[]> {
  const { rows } = await db.query<EphiAsset>(
    `SELECT a.hostname, a.os, a.role, a.asset_class AS "assetClass", a.owner, a.location, array_to_string(a.tags, ';') AS tags,
            coalesce(string_agg(app.name, ';' ORDER BY app.name), '') AS applications,
            (SELECT count(*)::int FROM asset_patch_state s WHERE s.asset_id = a.id AND s.state IN ('missing', 'failed', 'rolled-back')) AS "openPatches",
            a.imported_at AS "importedAt", a.updated_at AS "updatedAt"
       FROM assets a LEFT JOIN asset_applications app ON app.asset_id = a.id
      WHERE a.client_id = $1 AND a.ephi
      GROUP BY a.id ORDER BY a.hostname`,
    [clientId],
  );
  return rows;
}

export interface RiskRow {
  cycleId: string;
  plannedAt: Date;
  patchId: string;
  title: string;
  product: string;
  severity: Severity;
  assetClass: AssetClass;
  ring: RingName;
  assets: number;
  ephiAssets: number;
  slaDeadline: Date;
  verified: number;
  failed: number;
  rolledBack: number;
}

/**
 * Per cycle, patch, asset class and ring of the period, riskiest first: the most severe patch, then
 * the most business-critical asset class, then ePHI exposure, then the nearest deadline.
 */
export async function loadRiskRows(db: Queryable, period: ClientPeriod): Promise<RiskRow[]> {
  const { rows } = await db.query<RiskRow>(
    `SELECT c.id AS "cycleId", c.planned_at AS "plannedAt", p.id AS "patchId", p.title, p.product, p.severity, ca.asset_class AS "assetClass", ca.ring,
            count(*)::int AS assets, (count(*) FILTER (WHERE a.ephi))::int AS "ephiAssets", min(ca.sla_deadline) AS "slaDeadline",
            (count(*) FILTER (WHERE ca.outcome = 'verified'))::int AS verified, (count(*) FILTER (WHERE ca.outcome = 'failed'))::int AS failed,
            (count(*) FILTER (WHERE ca.outcome IN ('rolled-back', 'rollback-failed')))::int AS "rolledBack"
       FROM cycles c
       JOIN cycle_assets ca ON ca.cycle_id = c.id
       CROSS JOIN LATERAL unnest(ca.patch_ids) AS pid(id)
       JOIN patches p ON p.id = pid.id
       JOIN assets a ON a.id = ca.asset_id
      WHERE c.client_id = $1 AND c.planned_at >= $2 AND c.planned_at < $3
      GROUP BY c.id, c.planned_at, p.id, p.title, p.product, p.severity, ca.asset_class, ca.ring
      ORDER BY array_position(${SEVERITY_ORDER}, p.severity), array_position(${CLASS_ORDER}, ca.asset_class), count(*) FILTER (WHERE a.ephi) DESC, min(ca.sla_deadline),
               c.id, p.id, array_position(${RING_ORDER}, ca.ring)`,
    periodParams(period),
  );
  return rows;
}

export interface EvidenceChainEvent {
  at: Date;
  cycleId: string | null;
  ring: RingName | null;
  hostname: string;
  ephi: boolean;
  patchId: string;
  severity: Severity;
  fromState: PatchState | null;
  toState: PatchState | 'detected';
  detail: string | null;
}

/** Detection is the asset_patch_state row's first write; every later move is a patch_state_events row. */
export async function loadEvidenceChain(db: Queryable, period: ClientPeriod): Promise<EvidenceChainEvent[]> {
  const { rows } = await db.query<EvidenceChainEvent>(
    `SELECT at, cycle_id AS "cycleId", ring, hostname, ephi, patch_id AS "patchId", severity, from_state AS "fromState", to_state AS "toState", detail FROM (
       SELECT s.detected_at AS at, NULL::text AS cycle_id, NULL::text AS ring, a.hostname, a.ephi, s.patch_id, p.severity,
              NULL::text AS from_state, 'detected' AS to_state, NULL::text AS detail, 0::bigint AS seq
         FROM asset_patch_state s JOIN assets a ON a.id = s.asset_id JOIN patches p ON p.id = s.patch_id
        WHERE a.client_id = $1 AND s.detected_at >= $2 AND s.detected_at < $3
       UNION ALL
       SELECT e.at, e.cycle_id, e.ring, a.hostname, a.ephi, e.patch_id, p.severity, e.from_state, e.to_state, e.detail, e.id
         FROM patch_state_events e JOIN assets a ON a.id = e.asset_id JOIN patches p ON p.id = e.patch_id
        WHERE a.client_id = $1 AND e.at >= $2 AND e.at < $3
     ) chain ORDER BY at, seq, hostname, patch_id`,
    periodParams(period),
  );
  return rows;
}

export interface ControlsRegisterRow {
  id: string;
  kind: ExceptionKind;
  status: ExceptionState;
  /** `;`-separated, for a CSV cell. */
  hostnames: string;
  patchIds: string;
  reason: string;
  controls: CompensatingControl[];
  clientApprovalRef: string | null;
  ticketId: string | null;
  requestedBy: string;
  requestedAt: Date;
  signedOffBy: string | null;
  signedOffAt: Date | null;
  approvedBy: string | null;
  approvedAt: Date | null;
  expiresAt: Date | null;
  reviewAt: Date | null;
  statusReason: string | null;
}

/** Exceptions requested before the period ended that were active in it or ended within it. */
export async function loadControlsRegister(db: Queryable, period: ClientPeriod): Promise<ControlsRegisterRow[]> {
  const { rows } = await db.query<ControlsRegisterRow>(
    `SELECT id, kind, status, array_to_string(hostnames, ';') AS hostnames, array_to_string(patch_ids, ';') AS "patchIds", reason, controls,
            client_approval_ref AS "clientApprovalRef", ticket_id AS "ticketId", requested_by AS "requestedBy", requested_at AS "requestedAt",
            signed_off_by AS "signedOffBy", signed_off_at AS "signedOffAt", approved_by AS "approvedBy", approved_at AS "approvedAt",
            expires_at AS "expiresAt", review_at AS "reviewAt", status_reason AS "statusReason"
       FROM exceptions
      WHERE client_id = $1 AND requested_at < $3 AND (status = 'active' OR coalesce(expires_at, review_at) IS NULL OR coalesce(expires_at, review_at) >= $2)
      ORDER BY kind DESC, id`,
    periodParams(period),
  );
  return rows;
}
