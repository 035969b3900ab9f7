import { ApplicationFailure } from '@temporalio/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planCycle, previewCycle } from '../../activities/cycle/plan-cycle';
import type { MissingPatch } from '../../activities/ports';
import type { PatchPolicy, Severity } from '../../config/policy-schema';
import type { CyclePlan, PlanCycleInput } from '../../domain/cycle/cycle-plan';
import { FailureType } from '../../domain/failure-catalog';
import { cycleWorkflowId } from '../../domain/ids';
import { createCycleHarness, loadTestPolicy, type CycleHarness } from '../support/cycle-harness';

// Policy: tests/fixtures/policy-cycle.yaml (client "clinic": canary 3, pilot share 0.2, batch size 4;
// client "night-clinic" is in the policy but gets no assets).
const CLIENT = 'clinic';
const FLEET = 60;
const PLANNED_AT = '2026-11-29T03:00:00.000Z';
const HOUR = 3_600_000;

interface CycleAssetRow {
  hostname: string;
  ring: string;
  batch_index: number;
  patch_ids: string[];
  sla_deadline: Date;
  reboot_mode: string;
  asset_class: string;
  outcome: string;
}

function input(name: string, extra: Partial<PlanCycleInput> = {}): PlanCycleInput {
  return { cycleId: cycleWorkflowId(CLIENT, name), clientId: CLIENT, requestedBy: 'tech@msp.test', plannedAt: PLANNED_AT, ...extra };
}

async function allHostnames(h: CycleHarness): Promise<string[]> {
  const { rows } = await h.db.pool.query<{ hostname: string }>('SELECT hostname FROM assets WHERE client_id = $1 ORDER BY hostname', [CLIENT]);
  return rows.map((r) => r.hostname);
}

/** What the (simulated) RMM says each host misses, independently of the planner. */
async function missingByHost(h: CycleHarness): Promise<Map<string, MissingPatch[]>> {
  const missing = await h.deps.adaptersFor(CLIENT).rmm.listMissingPatches(CLIENT, await allHostnames(h));
  const byHost = new Map<string, MissingPatch[]>();
  for (const m of missing) byHost.set(m.hostname, [...(byHost.get(m.hostname) ?? []), m]);
  return byHost;
}

async function cycleAssets(h: CycleHarness, cycleId: string): Promise<CycleAssetRow[]> {
  const { rows } = await h.db.pool.query<CycleAssetRow>(
    `SELECT hostname, ring, batch_index, patch_ids, sla_deadline, reboot_mode, asset_class, outcome
       FROM cycle_assets WHERE cycle_id = $1 ORDER BY hostname`,
    [cycleId],
  );
  return rows;
}

async function count(h: CycleHarness, table: 'cycles' | 'cycle_assets' | 'asset_patch_state' | 'cycle_exclusions' | 'patches'): Promise<number> {
  const { rows } = await h.db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0]?.n ?? -1;
}

async function addException(
  h: CycleHarness,
  row: { id: string; kind: 'deferral' | 'isolated-lane'; hostnames: string[]; patchIds?: string[]; status?: string; expiresAt?: string | null },
): Promise<void> {
  await h.db.pool.query(
    `INSERT INTO exceptions (id, client_id, kind, hostnames, patch_ids, status, reason, requested_by, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [row.id, CLIENT, row.kind, row.hostnames, row.patchIds ?? [], row.status ?? 'active', 'vendor-certified imaging software', 'tech@msp.test', row.expiresAt ?? null],
  );
}

function ringSizes(plan: CyclePlan): Record<string, number> {
  return Object.fromEntries(plan.rings.map((r) => [r.ring, r.size]));
}

/** The ApplicationFailure a promise rejected with (fails the test when it resolved). */
async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApplicationFailure);
    return error as ApplicationFailure;
  }
  throw new Error('expected the plan to be refused');
}

describe('planCycle against PostgreSQL', () => {
  let policy: PatchPolicy;
  let h: CycleHarness;

  beforeEach(async () => {
    policy = loadTestPolicy();
    h = await createCycleHarness(policy, { [CLIENT]: FLEET });
  });
  afterEach(async () => {
    await h.cleanup();
  });

  it('stores every asset that misses a patch in cycle_assets, with its ring, batch, patches and SLA terms', async () => {
    const expected = await missingByHost(h);
    expect(expected.size).toBeGreaterThan(20); // the test only means something on a real fleet
    const cycleId = input('20261129-0300-all').cycleId;
    const plan = await planCycle(h.deps, input('20261129-0300-all'));
    const rows = await cycleAssets(h, cycleId);

    expect(rows.map((r) => r.hostname)).toEqual([...expected.keys()].sort());
    for (const row of rows) {
      expect(row.patch_ids).toEqual((expected.get(row.hostname) ?? []).map((m) => m.patchId).sort());
      expect(row.outcome).toBe('pending');
    }

    // Ring sizes in the returned plan are what is stored, and batches hold at most batchSize (4).
    const batchSize = policy.rollout.batchSize;
    for (const ringPlan of plan.rings) {
      const inRing = rows.filter((r) => r.ring === ringPlan.ring);
      expect(inRing).toHaveLength(ringPlan.size);
      expect(ringPlan.batches).toBe(Math.ceil(ringPlan.size / batchSize));
      const perBatch = new Map<number, number>();
      for (const r of inRing) perBatch.set(r.batch_index, (perBatch.get(r.batch_index) ?? 0) + 1);
      expect([...perBatch.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: ringPlan.batches }, (_, i) => i));
      for (const n of perBatch.values()) expect(n).toBeLessThanOrEqual(batchSize);
    }
    expect(plan.rings.map((r) => r.ring)).toEqual(['canary', 'pilot', 'production']);
    expect(ringSizes(plan).canary).toBe(3);
    expect(ringSizes(plan).pilot).toBe(Math.round(rows.length * policy.rings.pilot.share));
    for (const r of rows.filter((row) => row.ring === 'canary')) expect(r.asset_class).toBe('workstation');

    // SLA: counted from detection (first seen now), window and reboot mode from the table.
    for (const row of rows) {
      const severities = (expected.get(row.hostname) ?? []).map((m) => m.severity);
      const worst: Severity = severities.includes('critical') ? 'critical' : severities.includes('high') ? 'high' : 'routine';
      const rule = policy.sla[row.asset_class as 'workstation'][worst];
      expect(row.sla_deadline.getTime()).toBe(Date.parse(PLANNED_AT) + rule.deploymentWindow);
      expect(row.reboot_mode).toBe(rule.reboot.mode);
    }

    const { rows: cycles } = await h.db.pool.query('SELECT client_id, name, status, requested_by FROM cycles WHERE id = $1', [cycleId]);
    expect(cycles).toEqual([{ client_id: CLIENT, name: '20261129-0300-all', status: 'running', requested_by: 'tech@msp.test' }]);
    const pairs = [...expected.values()].flat().length;
    const { rows: state } = await h.db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM asset_patch_state WHERE state = 'missing'`);
    expect(state[0]?.n).toBe(pairs);
  });

  it('leaves an unclassified asset (no asset class yet) out of the plan: it has no SLA tier', async () => {
    const expected = await missingByHost(h);
    const [unclassified] = [...expected.keys()].sort();
    await h.db.pool.query('UPDATE assets SET asset_class = NULL WHERE client_id = $1 AND hostname = $2', [CLIENT, unclassified]);
    await planCycle(h.deps, input('20261129-0300-unclassified'));
    const rows = await cycleAssets(h, input('20261129-0300-unclassified').cycleId);
    expect(rows.map((r) => r.hostname)).toEqual([...expected.keys()].sort().filter((host) => host !== unclassified));
  });

  it('keeps the SLA clock running from first detection when a later cycle plans the same patches', async () => {
    await planCycle(h.deps, input('first'));
    const later = new Date(Date.parse(PLANNED_AT) + 5 * HOUR).toISOString();
    await planCycle(h.deps, input('second', { plannedAt: later }));
    const first = await cycleAssets(h, input('first').cycleId);
    const second = await cycleAssets(h, input('second').cycleId);
    expect(second.map((r) => [r.hostname, r.sla_deadline.toISOString()])).toEqual(first.map((r) => [r.hostname, r.sla_deadline.toISOString()]));
  });

  it('gives the same rings when the same cycle is planned again (a retried activity)', async () => {
    await planCycle(h.deps, input('retry'));
    const once = await cycleAssets(h, input('retry').cycleId);
    await planCycle(h.deps, input('retry'));
    const twice = await cycleAssets(h, input('retry').cycleId);
    expect(twice.map((r) => [r.hostname, r.ring, r.batch_index])).toEqual(once.map((r) => [r.hostname, r.ring, r.batch_index]));
  });

  it('excludes assets under an active deferral or in the isolated lane and lists them with their exception id; an expired or inactive deferral excludes nothing', async () => {
    const hosts = [...(await missingByHost(h)).keys()].sort();
    const [deferred, isolated, expired, requested] = hosts as [string, string, string, string];
    await addException(h, { id: 'exc-deferral-1', kind: 'deferral', hostnames: [deferred], expiresAt: '2026-12-31T00:00:00Z' });
    await addException(h, { id: 'exc-lane-1', kind: 'isolated-lane', hostnames: [isolated] });
    await addException(h, { id: 'exc-expired-1', kind: 'deferral', hostnames: [expired], expiresAt: '2026-11-28T00:00:00Z' });
    await addException(h, { id: 'exc-requested-1', kind: 'deferral', hostnames: [requested], status: 'requested', expiresAt: '2026-12-31T00:00:00Z' });

    const cycleId = input('exceptions').cycleId;
    const plan = await planCycle(h.deps, input('exceptions'));
    const planned = (await cycleAssets(h, cycleId)).map((r) => r.hostname);

    expect(planned).not.toContain(deferred);
    expect(planned).not.toContain(isolated);
    expect(planned).toContain(expired);
    expect(planned).toContain(requested);
    expect(planned).toHaveLength(hosts.length - 2);
    expect(plan.rings.reduce((sum, r) => sum + r.size, 0)).toBe(hosts.length - 2);

    expect(plan.excludedCount).toBe(2);
    expect(plan.excluded).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ hostname: deferred, exceptionId: 'exc-deferral-1', reason: expect.stringMatching(/deferral/) }),
        expect.objectContaining({ hostname: isolated, exceptionId: 'exc-lane-1', reason: expect.stringMatching(/isolated lane/) }),
      ]),
    );
    const { rows } = await h.db.pool.query('SELECT hostname, exception_id FROM cycle_exclusions WHERE cycle_id = $1 ORDER BY exception_id', [cycleId]);
    expect(rows).toEqual([
      { hostname: deferred, exception_id: 'exc-deferral-1' },
      { hostname: isolated, exception_id: 'exc-lane-1' },
    ]);
  });

  it('lists a host covered by two partial deferrals once, naming both exceptions and the deferred patches', async () => {
    const byHost = await missingByHost(h);
    const [hostname, patches] = [...byHost.entries()].find(([, list]) => list.length >= 2) ?? [];
    if (!hostname || !patches) throw new Error('the generated fleet has no host missing two patches');
    const [first, second] = patches.map((p) => p.patchId).sort() as [string, string];
    await addException(h, { id: 'exc-part-a', kind: 'deferral', hostnames: [hostname], patchIds: [first], expiresAt: '2026-12-31T00:00:00Z' });
    await addException(h, { id: 'exc-part-b', kind: 'deferral', hostnames: [hostname], patchIds: [second], expiresAt: '2026-12-31T00:00:00Z' });

    const plan = await planCycle(h.deps, input('two-partials'));
    const entries = plan.excluded.filter((e) => e.hostname === hostname);
    expect(entries).toHaveLength(1);
    expect(entries[0]?.exceptionId).toBe('exc-part-a,exc-part-b');
    expect(entries[0]?.reason).toContain(first);
    expect(entries[0]?.reason).toContain(second);
  });

  it('a deferral of named patches only removes those patches from the asset', async () => {
    const byHost = await missingByHost(h);
    const [hostname, patches] = [...byHost.entries()].find(([, list]) => list.length >= 2) ?? [];
    if (!hostname || !patches) throw new Error('the generated fleet has no host missing two patches');
    const [deferredPatch, ...others] = patches.map((p) => p.patchId).sort() as [string, ...string[]];
    await addException(h, { id: 'exc-one-patch', kind: 'deferral', hostnames: [hostname], patchIds: [deferredPatch], expiresAt: '2026-12-31T00:00:00Z' });

    await planCycle(h.deps, input('partial'));
    const row = (await cycleAssets(h, input('partial').cycleId)).find((r) => r.hostname === hostname);
    expect(row?.patch_ids).toEqual(others);
  });

  it('with a severity filter, plans only that severity’s patches and only the assets missing one', async () => {
    const byHost = await missingByHost(h);
    const critical = new Map<string, MissingPatch[]>();
    for (const [host, list] of byHost) {
      const criticalOnly = list.filter((m) => m.severity === 'critical');
      if (criticalOnly.length > 0) critical.set(host, criticalOnly);
    }
    expect(critical.size).toBeGreaterThan(0);
    expect(critical.size).toBeLessThan(byHost.size); // otherwise the filter would not show

    const cycleId = input('crit', { severity: 'critical' }).cycleId;
    const plan = await planCycle(h.deps, input('crit', { severity: 'critical' }));
    const rows = await cycleAssets(h, cycleId);
    expect(rows.map((r) => r.hostname)).toEqual([...critical.keys()].sort());
    for (const row of rows) expect(row.patch_ids).toEqual((critical.get(row.hostname) ?? []).map((m) => m.patchId).sort());
    expect(plan.patches.length).toBeGreaterThan(0);
    for (const p of plan.patches) expect(p.severity).toBe('critical');
    for (const d of plan.deadlines) expect(d.severity).toBe('critical');
    const { rows: cycles } = await h.db.pool.query<{ severity: string; patch_ids: string[] }>('SELECT severity, patch_ids FROM cycles WHERE id = $1', [cycleId]);
    expect(cycles[0]?.severity).toBe('critical');
    expect(cycles[0]?.patch_ids).toEqual(plan.patches.map((p) => p.id).sort());
  });

  it('with explicit patch ids, plans only those patches', async () => {
    const byHost = await missingByHost(h);
    const patchId = [...byHost.values()].flat()[0]?.patchId as string;
    const hosts = [...byHost].filter(([, list]) => list.some((m) => m.patchId === patchId)).map(([host]) => host).sort();
    await planCycle(h.deps, input('one-patch', { patchIds: [patchId] }));
    const rows = await cycleAssets(h, input('one-patch').cycleId);
    expect(rows.map((r) => r.hostname)).toEqual(hosts);
    for (const row of rows) expect(row.patch_ids).toEqual([patchId]);
  });

  it('previewCycle gives the same plan as planCycle and writes nothing', async () => {
    await addException(h, { id: 'exc-lane-2', kind: 'isolated-lane', hostnames: [[...(await missingByHost(h)).keys()][0] as string] });
    const preview = await previewCycle(h.deps, input('preview'));
    expect(await count(h, 'cycles')).toBe(0);
    expect(await count(h, 'cycle_assets')).toBe(0);
    expect(await count(h, 'cycle_exclusions')).toBe(0);
    expect(await count(h, 'asset_patch_state')).toBe(0);
    expect(await count(h, 'patches')).toBe(0);

    const plan = await planCycle(h.deps, input('preview'));
    expect(ringSizes(preview)).toEqual(ringSizes(plan));
    expect(preview.rings).toEqual(plan.rings);
    expect(preview.excluded).toEqual(plan.excluded);
    expect(preview.deadlines).toEqual(plan.deadlines);
    expect(await count(h, 'cycle_assets')).toBe(plan.rings.reduce((sum, r) => sum + r.size, 0));
  });

  it('refuses an unknown client, naming the clients it knows', async () => {
    const failure = await failureOf(planCycle(h.deps, { ...input('x'), clientId: 'no-such-clinic', cycleId: cycleWorkflowId('no-such-clinic', 'x') }));
    expect(failure.type).toBe(FailureType.NotFound);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('"no-such-clinic"');
    expect(failure.message).toMatch(/clinic, night-clinic/);
    const preview = await failureOf(previewCycle(h.deps, { ...input('x'), clientId: 'no-such-clinic' }));
    expect(preview.type).toBe(FailureType.NotFound);
    expect(await count(h, 'cycles')).toBe(0);
  });

  it('refuses a client without inventory and says to import it first', async () => {
    const failure = await failureOf(planCycle(h.deps, { ...input('x'), clientId: 'night-clinic', cycleId: cycleWorkflowId('night-clinic', 'x') }));
    expect(failure.type).toBe(FailureType.NotFound);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('client "night-clinic" has no assets in inventory');
    expect(await count(h, 'cycles')).toBe(0);
  });
});
