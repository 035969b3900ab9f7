import type { WorkloadCheckOutcome } from '../checks/check-outcome';
import type { Queryable } from './pool';

// Outcomes of the workload checks of each verified batch: the evidence of "the client's services
// still work", beside the per-asset outcomes they changed.

export async function recordWorkloadChecks(db: Queryable, ref: { cycleId: string; ring: string; batchIndex: number; attempt: number }, outcomes: readonly WorkloadCheckOutcome[]): Promise<void> {
  for (const o of outcomes) {
    await db.query(
      `INSERT INTO workload_check_runs (cycle_id, ring, batch_index, attempt, name, kind, target, ok, detail, duration_ms)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)
       ON CONFLICT (cycle_id, ring, batch_index, attempt, name) DO UPDATE SET
         kind = EXCLUDED.kind, target = EXCLUDED.target, ok = EXCLUDED.ok, detail = EXCLUDED.detail, duration_ms = EXCLUDED.duration_ms, checked_at = now()`,
      [ref.cycleId, ref.ring, ref.batchIndex, ref.attempt, o.name, o.kind, o.target, o.ok, o.detail, o.durationMs],
    );
  }
}

export async function workloadChecksOf(db: Queryable, cycleId: string): Promise<(WorkloadCheckOutcome & { ring: string; batchIndex: number; attempt: number })[]> {
  const { rows } = await db.query<{ ring: string; batch_index: number; attempt: number; name: string; kind: WorkloadCheckOutcome['kind']; target: string; ok: boolean; detail: string; duration_ms: number }>(
    `SELECT ring, batch_index, attempt, name, kind, target, ok, detail, duration_ms FROM workload_check_runs WHERE cycle_id = $1 ORDER BY ring, batch_index, attempt, name`,
    [cycleId],
  );
  return rows.map((r) => ({ ring: r.ring, batchIndex: r.batch_index, attempt: r.attempt, name: r.name, kind: r.kind, target: r.target, ok: r.ok, detail: r.detail, durationMs: r.duration_ms }));
}
