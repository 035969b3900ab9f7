import type { Pool } from 'pg';
import type { AssetClass, AssetRole, OperatingSystem, RebootPolicy, RingName, Severity } from '../../config/policy-schema';
import type { CycleOutcome } from '../../domain/cycle/cycle-status';
import type { ExceptionKind } from '../../domain/exception/exception';
import { withTransaction, type Queryable } from './pool';

// Planning's statements. Many clients plan at once (a Patch Tuesday): they share only the patch
// catalogue, so that is written outside the plan's transaction, in key order, and only rows that
// change are locked; everything else a plan writes belongs to its own client and cycle.

export interface PlanningAsset {
  assetId: string;
  hostname: string;
  os: OperatingSystem;
  role: AssetRole;
  assetClass: AssetClass;
  location: string;
}

/** Unclassified assets (no asset class yet) have no SLA tier to plan by; the monthly report lists them. */
export async function loadPlanningAssets(db: Queryable, clientId: string): Promise<PlanningAsset[]> {
  const { rows } = await db.query<PlanningAsset>(
    `SELECT id::text AS "assetId", hostname, os, role, asset_class AS "assetClass", location
       FROM assets WHERE client_id = $1 AND asset_class IS NOT NULL ORDER BY hostname`,
    [clientId],
  );
  return rows;
}

export interface ActiveExclusion {
  exceptionId: string;
  kind: ExceptionKind;
  hostnames: string[];
  patchIds: string[];
}

export async function loadActiveExclusions(db: Queryable, clientId: string, at: Date): Promise<ActiveExclusion[]> {
  const { rows } = await db.query<ActiveExclusion>(
    `SELECT id AS "exceptionId", kind, hostnames, patch_ids AS "patchIds" FROM exceptions
      WHERE client_id = $1 AND status IN ('active', 'renewal-pending')
        AND (kind = 'isolated-lane' OR expires_at IS NULL OR expires_at > $2)`,
    [clientId, at],
  );
  return rows;
}

export interface CataloguePatch {
  id: string;
  title: string;
  product: string;
  severity: Severity;
}

const byKey = <T>(key: (item: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

/**
 * Adds new patches to the catalogue and refreshes changed ones. Every cycle of every client writes
 * the same rows, so: a new id is inserted without locking existing rows (DO NOTHING), only rows whose
 * title, product or severity really changed are updated, and both go in id order, so two planners
 * never take the same rows in opposite orders (the deadlock of issue 11). Call it outside a long
 * transaction: an uncommitted new row makes every other planner inserting it wait for that commit.
 */
export async function upsertPatches(db: Queryable, patches: readonly CataloguePatch[]): Promise<void> {
  if (patches.length === 0) return;
  const sorted = [...new Map(patches.map((p) => [p.id, p])).values()].sort(byKey((p) => p.id));
  const params = [sorted.map((p) => p.id), sorted.map((p) => p.title), sorted.map((p) => p.product), sorted.map((p) => p.severity)];
  await db.query(
    `INSERT INTO patches (id, title, product, severity)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS t(id, title, product, severity) ORDER BY id
     ON CONFLICT (id) DO NOTHING`,
    params,
  );
  await db.query(
    `WITH changed AS (
       SELECT p.id, t.title, t.product, t.severity
         FROM patches p JOIN unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS t(id, title, product, severity) ON p.id = t.id
        WHERE (p.title, p.product, p.severity) IS DISTINCT FROM (t.title, t.product, t.severity)
        ORDER BY p.id
          FOR UPDATE OF p)
     UPDATE patches p SET title = c.title, product = c.product, severity = c.severity FROM changed c WHERE p.id = c.id`,
    params,
  );
}

/** Records what the RMM says is missing; a pair already known keeps its state and first detection. */
export async function recordMissing(db: Queryable, pairs: readonly { assetId: string; patchId: string }[], detectedAt: Date): Promise<void> {
  if (pairs.length === 0) return;
  const sorted = [...pairs].sort(byKey((p) => `${p.assetId.padStart(20, '0')}|${p.patchId}`));
  await db.query(
    `INSERT INTO asset_patch_state (asset_id, patch_id, state, detected_at)
     SELECT a::bigint, p, 'missing', $3 FROM unnest($1::text[], $2::text[]) AS t(a, p)
     ON CONFLICT (asset_id, patch_id) DO NOTHING`,
    [sorted.map((p) => p.assetId), sorted.map((p) => p.patchId), detectedAt],
  );
}

/** Earliest recorded detection per asset among these pairs (assets never seen are absent). */
export async function firstDetected(db: Queryable, pairs: readonly { assetId: string; patchId: string }[]): Promise<Map<string, Date>> {
  if (pairs.length === 0) return new Map();
  const { rows } = await db.query<{ assetId: string; detectedAt: Date }>(
    `SELECT s.asset_id::text AS "assetId", min(s.detected_at) AS "detectedAt"
       FROM asset_patch_state s JOIN unnest($1::text[], $2::text[]) AS t(a, p) ON s.asset_id = t.a::bigint AND s.patch_id = t.p
      GROUP BY s.asset_id`,
    [pairs.map((p) => p.assetId), pairs.map((p) => p.patchId)],
  );
  return new Map(rows.map((r) => [r.assetId, r.detectedAt]));
}

export interface PlannedMember {
  assetId: string;
  hostname: string;
  ring: RingName;
  batchIndex: number;
  assetClass: AssetClass;
  patchIds: string[];
  slaDeadline: Date;
  rebootMode: RebootPolicy['mode'];
  snapshotRequired: boolean;
}

export interface CycleRow {
  id: string;
  clientId: string;
  name: string;
  severity?: Severity;
  patchIds: string[];
  requestedBy: string;
}

/** Replaces the stored plan of a cycle; run it in a transaction so a retried plan never leaves half of one. */
export async function savePlan(
  db: Queryable,
  cycle: CycleRow,
  members: PlannedMember[],
  exclusions: { hostname: string; reason: string; exceptionId?: string }[],
): Promise<void> {
  await db.query(
    `INSERT INTO cycles (id, client_id, name, severity, patch_ids, requested_by, status)
     VALUES ($1, $2, $3, $4, $5, $6, 'running')
     ON CONFLICT (id) DO UPDATE SET patch_ids = EXCLUDED.patch_ids, status = 'running', planned_at = now()`,
    [cycle.id, cycle.clientId, cycle.name, cycle.severity ?? null, cycle.patchIds, cycle.requestedBy],
  );
  await db.query('DELETE FROM cycle_assets WHERE cycle_id = $1', [cycle.id]);
  await db.query('DELETE FROM cycle_exclusions WHERE cycle_id = $1', [cycle.id]);
  const chunk = 5000;
  const ordered = [...members].sort(byKey((m) => m.assetId.padStart(20, '0')));
  for (let i = 0; i < ordered.length; i += chunk) {
    const part = ordered.slice(i, i + chunk);
    await db.query(
      `INSERT INTO cycle_assets (cycle_id, asset_id, hostname, ring, batch_index, asset_class, patch_ids, sla_deadline, reboot_mode, snapshot_required)
       SELECT $1, a::bigint, h, r, b, c, string_to_array(p, ','), d, m, s
         FROM unnest($2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::timestamptz[], $9::text[], $10::bool[])
           AS t(a, h, r, b, c, p, d, m, s)`,
      [
        cycle.id,
        part.map((m) => m.assetId),
        part.map((m) => m.hostname),
        part.map((m) => m.ring),
        part.map((m) => m.batchIndex),
        part.map((m) => m.assetClass),
        part.map((m) => m.patchIds.join(',')),
        part.map((m) => m.slaDeadline),
        part.map((m) => m.rebootMode),
        part.map((m) => m.snapshotRequired),
      ],
    );
  }
  if (exclusions.length > 0) {
    await db.query(
      `INSERT INTO cycle_exclusions (cycle_id, hostname, reason, exception_id)
       SELECT $1, h, r, NULLIF(e, '') FROM unnest($2::text[], $3::text[], $4::text[]) AS t(h, r, e)`,
      [cycle.id, exclusions.map((e) => e.hostname), exclusions.map((e) => e.reason), exclusions.map((e) => e.exceptionId ?? '')],
    );
  }
}

export interface PlannedCycle {
  cycle: CycleRow;
  members: PlannedMember[];
  exclusions: { hostname: string; reason: string; exceptionId?: string }[];
  patches: CataloguePatch[];
  missing: { assetId: string; patchId: string }[];
  detectedAt: Date;
}

/**
 * Stores a planned cycle: the shared patch catalogue first, in its own short statements, then the
 * client's own rows (detections, cycle, members, exclusions) in one transaction.
 */
export async function savePlannedCycle(pool: Pool, planned: PlannedCycle): Promise<void> {
  await upsertPatches(pool, planned.patches);
  await withTransaction(pool, async (tx) => {
    await recordMissing(tx, planned.missing, planned.detectedAt);
    await savePlan(tx, planned.cycle, planned.members, planned.exclusions);
  });
}

/** What a cycle's row says: running from its plan on, then how it ended. */
export type CycleRecordStatus = 'running' | CycleOutcome;

export async function setCycleStatus(db: Queryable, cycleId: string, status: CycleRecordStatus, reason: string | null, ended: boolean): Promise<void> {
  await db.query(
    `UPDATE cycles SET status = $2, status_reason = $3, ended_at = CASE WHEN $4 THEN now() ELSE ended_at END WHERE id = $1`,
    [cycleId, status, reason, ended],
  );
}
