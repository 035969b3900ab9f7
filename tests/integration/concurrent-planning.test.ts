import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planCycle } from '../../activities/cycle/plan-cycle';
import type { ActivityDeps } from '../../activities/deps';
import { createPool } from '../../activities/store/pool';
import type { PatchPolicy } from '../../config/policy-schema';
import { cycleWorkflowId } from '../../domain/ids';
import { createCycleHarness, loadTestPolicy, type CycleHarness } from '../support/cycle-harness';

// Issue 11, point 0: a Patch Tuesday plans every client at once. Their plans share the patch
// catalogue (the same KBs everywhere) and nothing else, so one client's planning must never wait
// for, or deadlock with, another's.

const CLIENTS = 16;
const FLEET = 30;
const PLANNED_AT = '2026-12-08T18:00:00.000Z';

function policyWithClients(count: number): PatchPolicy {
  const policy = loadTestPolicy();
  const template = policy.clients.find((c) => c.id === 'clinic')!;
  policy.clients = Array.from({ length: count }, (_, i) => ({ ...template, id: `clinic-${String(i).padStart(2, '0')}`, name: `Clinic ${i}` }));
  return policy;
}

const clientIds = (policy: PatchPolicy) => policy.clients.map((c) => c.id);

/** Sessions of this database waiting for a lock, with the statement each one waits in. */
async function lockWaits(db: pg.Pool): Promise<string[]> {
  const { rows } = await db.query<{ query: string }>(
    `SELECT query FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
  );
  return rows.map((r) => r.query.trim());
}

describe('planning many clients at once', () => {
  let policy: PatchPolicy;
  let h: CycleHarness;
  let pool: pg.Pool;
  let deps: ActivityDeps;

  beforeEach(async () => {
    policy = policyWithClients(CLIENTS);
    // Each client lists what it misses in another order (vendors do): odd clients in reverse.
    h = await createCycleHarness(policy, Object.fromEntries(clientIds(policy).map((id) => [id, FLEET])), (adapters, clientId) => ({
      ...adapters,
      // The real simulated RMM underneath; only the order of its answer changes.
      rmm: Object.assign(Object.create(adapters.rmm) as typeof adapters.rmm, {
        listMissingPatches: async (id: string, hosts: readonly string[]) => {
          const missing = await adapters.rmm.listMissingPatches(id, hosts);
          return Number(clientId.slice(-2)) % 2 === 1 ? missing.reverse() : missing;
        },
      }),
    }));
    // A pool as large as the number of clients, so every plan really runs at the same time.
    pool = createPool(h.db.url, CLIENTS + 4);
    deps = { ...h.deps, db: pool };
  });
  afterEach(async () => {
    await pool.end();
    await h.cleanup();
  });

  const input = (clientId: string, name = 'patch-tuesday') => ({
    cycleId: cycleWorkflowId(clientId, name),
    clientId,
    requestedBy: 'campaign@msp.test',
    plannedAt: PLANNED_AT,
  });

  it('plans every client at once without a deadlock, every plan stored', async () => {
    const before = await pool.query<{ deadlocks: string }>('SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()');
    const results = await Promise.allSettled(clientIds(policy).map((id) => planCycle(deps, input(id))));
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error).message)] : []));
    expect(failures).toEqual([]);
    const after = await pool.query<{ deadlocks: string }>('SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()');
    expect(Number(after.rows[0]!.deadlocks) - Number(before.rows[0]!.deadlocks)).toBe(0);
    const { rows } = await pool.query<{ n: number }>('SELECT count(DISTINCT cycle_id)::int AS n FROM cycle_assets');
    expect(rows[0]!.n).toBe(CLIENTS);
  });

  it("never makes one client's plan wait for another client's open plan transaction", async () => {
    const [first, second] = clientIds(policy) as [string, string];
    // Hold the first client's plan inside its transaction: a session that inserted the same cycle
    // row and has not committed makes that plan wait at its cycles insert, after its patches.
    const holder = new pg.Client({ connectionString: h.db.url });
    await holder.connect();
    let held = true;
    try {
      await holder.query('BEGIN');
      await holder.query(`INSERT INTO cycles (id, client_id, name, requested_by, status) VALUES ($1, $2, 'patch-tuesday', 'x', 'running')`, [
        input(first).cycleId,
        first,
      ]);
      const firstPlan = planCycle(deps, input(first));
      firstPlan.catch(() => undefined);
      while (!(await lockWaits(pool)).some((q) => q.startsWith('INSERT INTO cycles'))) await sleep(20);

      // The second client plans the same KBs meanwhile: it must finish, never queue behind the first.
      let settled = false;
      const secondPlan = planCycle(deps, input(second)).finally(() => (settled = true));
      secondPlan.catch(() => undefined);
      let blockedIn: string | undefined;
      while (!settled && blockedIn === undefined) {
        blockedIn = (await lockWaits(pool)).find((q) => !q.startsWith('INSERT INTO cycles'));
        if (blockedIn === undefined) await sleep(20);
      }
      await holder.query('ROLLBACK');
      held = false;
      expect(blockedIn, 'the second plan waited for a lock the first plan holds').toBeUndefined();
      await expect(secondPlan).resolves.toMatchObject({ clientId: second });
      await expect(firstPlan).resolves.toMatchObject({ clientId: first });
    } finally {
      if (held) await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
  });
});
