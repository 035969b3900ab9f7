import type { DrillCandidate, DrillStep } from '../../domain/discovery/restore-drill';
import type { Queryable } from './pool';

export interface RestoreDrillRecord {
  drillKey: string;
  clientId: string;
  hostname: string;
  snapshotId: string;
  mode: 'isolated-copy' | 'restore-plan';
  ok: boolean;
  detail: string;
  steps: DrillStep[];
  drilledAt: string;
}

/** The client's critical assets (or the named hosts) with the time each was last drilled. */
export async function drillCandidates(db: Queryable, clientId: string, assetClasses: readonly string[], hosts: readonly string[]): Promise<DrillCandidate[]> {
  const { rows } = await db.query<{ hostname: string; last: Date | null }>(
    `SELECT a.hostname, (SELECT max(r.drilled_at) FROM restore_drills r WHERE r.client_id = a.client_id AND r.hostname = a.hostname) AS last
       FROM assets a
      WHERE a.client_id = $1 AND (CASE WHEN cardinality($3::text[]) > 0 THEN a.hostname = ANY($3::text[]) ELSE a.asset_class = ANY($2::text[]) END)
      ORDER BY a.hostname`,
    [clientId, assetClasses, hosts],
  );
  return rows.map((r) => ({ hostname: r.hostname, ...(r.last ? { lastDrilledAt: r.last.toISOString() } : {}) }));
}

/** Records a drill once per key: a retried activity keeps the first result. */
export async function recordRestoreDrill(db: Queryable, drill: RestoreDrillRecord): Promise<RestoreDrillRecord> {
  await db.query(
    `INSERT INTO restore_drills (drill_key, client_id, hostname, snapshot_id, mode, ok, detail, steps, drilled_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (drill_key) DO NOTHING`,
    [drill.drillKey, drill.clientId, drill.hostname, drill.snapshotId, drill.mode, drill.ok, drill.detail, JSON.stringify(drill.steps), drill.drilledAt],
  );
  return (await getRestoreDrill(db, drill.drillKey))!;
}

interface Row {
  drill_key: string;
  client_id: string;
  hostname: string;
  snapshot_id: string;
  mode: 'isolated-copy' | 'restore-plan';
  ok: boolean;
  detail: string;
  steps: DrillStep[];
  drilled_at: Date;
}

const toRecord = (r: Row): RestoreDrillRecord => ({
  drillKey: r.drill_key,
  clientId: r.client_id,
  hostname: r.hostname,
  snapshotId: r.snapshot_id,
  mode: r.mode,
  ok: r.ok,
  detail: r.detail,
  steps: r.steps,
  drilledAt: r.drilled_at.toISOString(),
});

export async function getRestoreDrill(db: Queryable, drillKey: string): Promise<RestoreDrillRecord | undefined> {
  const { rows } = await db.query<Row>('SELECT * FROM restore_drills WHERE drill_key = $1', [drillKey]);
  return rows[0] && toRecord(rows[0]);
}

/** The client's drills, newest first; the evidence of "test a restore". */
export async function listRestoreDrills(db: Queryable, clientId: string): Promise<RestoreDrillRecord[]> {
  const { rows } = await db.query<Row>('SELECT * FROM restore_drills WHERE client_id = $1 ORDER BY drilled_at DESC, hostname', [clientId]);
  return rows.map(toRecord);
}
