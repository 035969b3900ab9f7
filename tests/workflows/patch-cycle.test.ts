import { generateKeyPairSync, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/create-activities';
import type { ClientAdapters, RmmPort, SnapshotPort } from '../../activities/ports';
import type { PatchPolicy } from '../../config/policy-schema';
import { failure } from '../../domain/failure-catalog';
import { signDecision } from '../../client/use-cases/approval-signing';
import { cycleDecisionUpdate } from '../../client/use-cases/decide';
import { cycleStartFacts } from '../../domain/cycle/cycle-deciders';
import { cycleWorkflowId } from '../../domain/ids';
import type { CycleStatus } from '../../domain/cycle/cycle-status';
import { patchCycle, type PatchCycleInput } from '../../workflows/cycle/patch-cycle';
import { abortUpdate, approveRingUpdate, cycleStatusQuery, gateDecisionUpdate, incidentUpdate, pauseUpdate, rejectPromotionUpdate, resumeUpdate, ringProgressQuery } from '../../workflows/cycle/messages';
import {
  TASK_QUEUE,
  advanceUntil,
  createCycleHarness,
  createTestWorker,
  loadTestPolicy,
  recordHistories,
  startTimeSkipping,
  type CycleHarness,
} from '../support/cycle-harness';

// Time is global to a time-skipping environment, so these tests run one after another. The Java
// test server stops skipping time for later tests after a ring child is cancelled with an activity
// in flight, so the tests that abort mid-ring come last and others abort between rings.

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkipping();
});
afterAll(async () => {
  await env?.teardown();
});

let harness: CycleHarness | undefined;
afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
});

let counter = 0;
async function withCycle<T>(
  setup: {
    fleet?: number;
    wrap?: (adapters: ClientAdapters) => ClientAdapters;
    simulation?: Parameters<typeof loadTestPolicy>[1];
    client?: string;
    configure?: (policy: PatchPolicy) => void;
    /** The requester's key, to sign the start with. */
    startKey?: KeyObject;
  },
  body: (ctx: { handle: Awaited<ReturnType<typeof start>>; worker: Worker; h: CycleHarness }) => Promise<T>,
): Promise<T> {
  const policy = loadTestPolicy(undefined, setup.simulation);
  setup.configure?.(policy);
  const client = setup.client ?? 'clinic';
  harness = await createCycleHarness(policy, { [client]: setup.fleet ?? 20 }, setup.wrap && ((a) => setup.wrap!(a)));
  const h = harness;
  const worker = await createTestWorker(env, h.deps);
  return worker.runUntil(async () => body({ handle: await start({ clientId: client }, setup.startKey), worker, h }));
}

async function start(input: Partial<PatchCycleInput> & { clientId: string }, startKey?: KeyObject) {
  const cycleName = `test-${++counter}`;
  const workflowId = cycleWorkflowId(input.clientId, cycleName);
  const args = { cycleName, requestedBy: 'starter@msp.test', severity: undefined, ...input };
  const signature = startKey ? signDecision(cycleStartFacts(workflowId, args), startKey, { signedAt: new Date(await env.currentTimeMs()) }) : undefined;
  return env.client.workflow.start(patchCycle, { taskQueue: TASK_QUEUE, workflowId, args: [{ ...args, signature }] });
}

const pendingPromotion = (ring: string) => (s: CycleStatus) => s.pending?.kind === 'promotion' && s.pending.ring === ring;
const pendingGate = (ring: string) => (s: CycleStatus) => s.pending?.kind === 'gate' && s.pending.ring === ring;

async function outcomes(h: CycleHarness, cycleId: string): Promise<Record<string, number>> {
  const { rows } = await h.db.pool.query(`SELECT outcome, count(*)::int AS n FROM cycle_assets WHERE cycle_id = $1 GROUP BY outcome`, [cycleId]);
  return Object.fromEntries(rows.map((r: { outcome: string; n: number }) => [r.outcome, r.n]));
}

/** An RMM whose first attempt fails on the given hosts and whose retries succeed. */
function flakyOn(hosts: Set<string>) {
  return (adapters: ClientAdapters): ClientAdapters => {
    const rmm: RmmPort = {
      ...adapters.rmm,
      listDevices: (c) => adapters.rmm.listDevices(c),
      listMissingPatches: (c, h) => adapters.rmm.listMissingPatches(c, h),
      submitUninstall: (r) => adapters.rmm.submitUninstall(r),
      rescan: (c, h, p) => adapters.rmm.rescan(c, h, p),
      runWorkloadCheck: (c, h, k) => adapters.rmm.runWorkloadCheck(c, h, k),
      submitDeployment: async (request) =>
        hosts.has(request.hostname) && !request.key.includes('#') ? { jobId: `flaky:${request.key}` } : adapters.rmm.submitDeployment(request),
      jobStatus: async (clientId, jobId) =>
        jobId.startsWith('flaky:') ? { jobId, state: 'failed', detail: 'PATCH_MANAGEMENT_INSTALL_FAILED (flaky)' } : adapters.rmm.jobStatus(clientId, jobId),
    };
    return { ...adapters, rmm };
  };
}

/** Plans a throwaway cycle to learn which hosts the (deterministic) canary holds. */
async function probeCanary(h: CycleHarness): Promise<string[]> {
  await createActivities(h.deps).planCycle({ cycleId: `probe-${++counter}`, clientId: 'clinic', requestedBy: 'probe@msp.test', plannedAt: new Date().toISOString() });
  const { rows } = await h.db.pool.query(`SELECT hostname FROM cycle_assets WHERE cycle_id = $1 AND ring = 'canary' ORDER BY hostname`, [`probe-${counter}`]);
  return rows.map((r: { hostname: string }) => r.hostname);
}

describe('patchCycle', () => {
  it('promotes through canary, pilot and production with approvals, skipping the real 24h and 7d soaks', async () => {
    await withCycle({}, async ({ handle, h }) => {
      const atPilot = await advanceUntil(env, handle, pendingPromotion('pilot'));
      expect(atPilot.rings.find((r) => r.ring === 'canary')).toMatchObject({ state: 'passed', failed: 0 });
      expect(atPilot.pending?.deciders).toEqual(['lead@msp.test']);
      // Nobody answers for 3 hours: the 2h reminder goes out.
      await env.sleep('3h');
      await handle.executeUpdate(approveRingUpdate, { args: [{ ring: 'pilot', approver: 'lead@msp.test' }] });
      await advanceUntil(env, handle, pendingPromotion('production'));
      await handle.executeUpdate(approveRingUpdate, { args: [{ ring: 'production', approver: 'owner@clinic.test' }] });
      const result = await handle.result();

      expect(result.status).toBe('completed');
      await recordHistories(env, 'completed', [handle.workflowId, ...result.rings.map((r) => r.workflowId ?? '')]);
      expect(result.rings.map((r) => [r.ring, r.state])).toEqual([
        ['canary', 'passed'],
        ['pilot', 'passed'],
        ['production', 'passed'],
      ]);
      const planned = result.rings.reduce((n, r) => n + r.planned, 0);
      expect(result.rings.reduce((n, r) => n + r.verified, 0)).toBe(planned);
      expect(await outcomes(h, handle.workflowId)).toEqual({ verified: planned });
      expect(result.decisions.filter((d) => d.kind === 'approval').map((d) => d.by)).toEqual(['lead@msp.test', 'owner@clinic.test']);

      // Critical systems had a verified snapshot before any patch job was submitted for them.
      const { rows } = await h.db.pool.query(
        `SELECT ca.hostname, s.verified_at IS NOT NULL AS verified, s.taken_at <= min(j.submitted_at) AS before
           FROM cycle_assets ca JOIN snapshots s ON s.cycle_id = ca.cycle_id AND s.hostname = ca.hostname
           JOIN deployment_jobs j ON j.cycle_id = ca.cycle_id AND j.hostname = ca.hostname
          WHERE ca.cycle_id = $1 AND ca.snapshot_required GROUP BY ca.hostname, s.verified_at, s.taken_at`,
        [handle.workflowId],
      );
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((r: { verified: boolean; before: boolean }) => r.verified && r.before)).toBe(true);
      // Approval mail went out, and a reminder when nobody answered within 2h.
      const subjects = h.mail().map((m) => /Subject: (.*)/.exec(m)?.[1] ?? '');
      expect(subjects.some((s) => s.includes('Approve promotion') && s.includes('pilot'))).toBe(true);
      expect(subjects.some((s) => s.includes('Reminder'))).toBe(true);
      // The canary soak alone (24h) eats the 24h window of critical patches: the escalation list was told.
      expect(atPilot.deadlines.some((d) => d.severity === 'critical' && d.atRisk)).toBe(true);
      const escalation = h.mail().find((m) => m.includes('ESCALATION'));
      expect(escalation).toContain('noc@msp.test');
    });
  });

  it('waits for the client maintenance window before deploying', async () => {
    await withCycle({ client: 'night-clinic' }, async ({ handle, h }) => {
      // The cycle's own status says the ring waits for its window, and when that opens.
      const status = await advanceUntil(env, handle, (s) => s.rings.some((r) => r.ring === 'canary' && r.state === 'awaiting-window'), '1m');
      expect(status.phase).toBe('awaiting-window');
      const canary = status.rings.find((r) => r.ring === 'canary');
      const child = env.client.workflow.getHandle(canary?.workflowId ?? '');
      let progress = await child.query(ringProgressQuery);
      for (let i = 0; i < 20 && progress.phase !== 'waiting-for-window'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        progress = await child.query(ringProgressQuery);
      }
      expect(progress.phase).toBe('waiting-for-window');
      const opens = new Date(progress.windowOpensAt ?? '');
      // Saturday 22:00 in Berlin is 20:00 or 21:00 UTC depending on daylight saving.
      expect(opens.getUTCDay()).toBe(6);
      expect([20, 21]).toContain(opens.getUTCHours());
      expect(canary?.windowOpensAt).toBe(progress.windowOpensAt);
      const { rows } = await h.db.pool.query(`SELECT count(*)::int AS n FROM deployment_jobs WHERE cycle_id = $1`, [handle.workflowId]);
      expect(rows[0].n).toBe(0);
      await advanceUntil(env, handle, pendingPromotion('pilot'), '2h');
      const after = await h.db.pool.query(`SELECT count(*)::int AS n FROM deployment_jobs WHERE cycle_id = $1`, [handle.workflowId]);
      expect(after.rows[0].n).toBeGreaterThan(0);
      await handle.executeUpdate(abortUpdate, { args: [{ by: 'lead@msp.test', reason: 'test done' }] });
      expect((await handle.result()).status).toBe('rolled-back');
    });
  });

  it('rolls the canary back when its gate breaches and the approver decides rollback', async () => {
    await withCycle({ simulation: { failingRings: ['canary'] } }, async ({ handle, h }) => {
      const breached = await advanceUntil(env, handle, pendingGate('canary'));
      expect(breached.rings[0]).toMatchObject({ state: 'gate-breached' });
      expect(breached.rings[0]?.failureRate).toBe(1);
      await handle.executeUpdate(gateDecisionUpdate, { args: [{ ring: 'canary', decision: 'rollback', by: 'lead@msp.test', reason: 'installer broken' }] });
      const result = await handle.result();
      expect(result.status).toBe('rolled-back');
      expect(result.reason).toContain('failure rate 100.0%');
      await recordHistories(env, 'gate-rollback', [handle.workflowId, `${handle.workflowId}/ring/canary`, `${handle.workflowId}/ring/canary/rollback`]);
      expect(result.rings[0]?.state).toBe('rolled-back');
      expect(result.rings[1]?.state).toBe('pending');
      const tickets = await h.db.pool.query(`SELECT summary, status, notes FROM sim_psa_tickets`);
      expect(tickets.rows.map((r: { summary: string }) => r.summary)).toEqual([expect.stringContaining('canary gate breached')]);
      // The gate is resolved, so its ticket is closed with the decision as its last note.
      expect(tickets.rows[0].status).toBe('closed');
      expect(tickets.rows[0].notes.at(-1).text).toContain('lead@msp.test decided rollback: installer broken');
    });
  });

  it('retries only the failed assets when the approver decides retry-failed, then carries on', async () => {
    const flaky = new Set<string>();
    await withCycle({ wrap: flakyOn(flaky) }, async ({ handle, h }) => {
      // The plan is deterministic: learn the canary from a probe plan, then make two of them flaky.
      const canary = await probeCanary(h);
      expect(canary.length).toBeGreaterThanOrEqual(3);
      canary.slice(0, 2).forEach((host) => flaky.add(host));
      await handle.executeUpdate(abortUpdate, { args: [{ by: 'lead@msp.test', reason: 'replan' }] });
      await handle.result();
      const second = await start({ clientId: 'clinic' });
      const breached = await advanceUntil(env, second, pendingGate('canary'));
      expect(breached.rings[0]?.failed).toBe(2);
      await second.executeUpdate(gateDecisionUpdate, { args: [{ ring: 'canary', decision: 'retry-failed', by: 'lead@msp.test', reason: 'transient' }] });
      const atPilot = await advanceUntil(env, second, pendingPromotion('pilot'));
      expect(atPilot.rings[0]).toMatchObject({ state: 'passed', failed: 0, attempt: 2 });
      const jobs = await h.db.pool.query(`SELECT count(*)::int AS n FROM deployment_jobs WHERE cycle_id = $1 AND key LIKE '%#2'`, [second.workflowId]);
      expect(jobs.rows[0].n).toBeGreaterThan(0);
      const retried = await h.db.pool.query(`SELECT DISTINCT hostname FROM deployment_jobs WHERE cycle_id = $1 AND key LIKE '%#2' ORDER BY hostname`, [second.workflowId]);
      expect(retried.rows.map((r: { hostname: string }) => r.hostname)).toEqual(canary.slice(0, 2).sort());
      await second.executeUpdate(abortUpdate, { args: [{ by: 'lead@msp.test', reason: 'test done' }] });
      await second.result();
    });
  });

  it('continues past a breached gate when an approver overrides it with a reason', async () => {
    await withCycle({ simulation: { failingRings: ['canary'] } }, async ({ handle }) => {
      await advanceUntil(env, handle, pendingGate('canary'));
      await handle.executeUpdate(gateDecisionUpdate, { args: [{ ring: 'canary', decision: 'override', by: 'lead@msp.test', reason: 'known false alarm' }] });
      const status = await advanceUntil(env, handle, pendingPromotion('pilot'));
      expect(status.rings[0]?.state).toBe('passed');
      expect(status.decisions).toContainEqual(expect.objectContaining({ kind: 'gate-decision', decision: 'override', reason: 'known false alarm' }));
      await handle.executeUpdate(abortUpdate, { args: [{ by: 'lead@msp.test', reason: 'test done' }] });
      await handle.result();
    });
  });

  it('fails the ring when an incident is reported during its soak', async () => {
    await withCycle({}, async ({ handle }) => {
      await advanceUntil(env, handle, (s) => s.rings[0]?.state === 'soaking', '1m');
      await handle.executeUpdate(incidentUpdate, { args: [{ summary: 'EHR login fails on ws-0003', reportedBy: 'lead@msp.test' }] });
      const status = await advanceUntil(env, handle, pendingGate('canary'), '1m');
      expect(status.pending?.reason).toContain('EHR login fails');
      await handle.executeUpdate(gateDecisionUpdate, { args: [{ ring: 'canary', decision: 'rollback', by: 'lead@msp.test', reason: 'incident' }] });
      const result = await handle.result();
      expect(result.status).toBe('rolled-back');
      expect(result.rings[0]?.state).toBe('rolled-back');
    });
  });

  it('asks a person before a ring with do-not-disrupt assets even where policy needs no approval', async () => {
    const configure = (policy: PatchPolicy) => {
      policy.rings.pilot.promotion.requiresApproval = false;
      policy.rings.production.promotion.requiresApproval = false;
    };
    await withCycle({ configure, fleet: 60 }, async ({ handle, h }) => {
      const status = await advanceUntil(env, handle, (s) => s.pending?.kind === 'promotion' || (s.rings.length > 0 && s.rings.every((r) => r.state === 'passed' || r.state === 'skipped')));
      const manualRings = new Set((await h.db.pool.query(
        `SELECT DISTINCT ring FROM cycle_assets WHERE cycle_id = $1 AND reboot_mode = 'manual-approval'`,
        [handle.workflowId],
      )).rows.map((r: { ring: string }) => r.ring));
      expect(manualRings.size).toBeGreaterThan(0);
      const first = ['pilot', 'production'].find((ring) => manualRings.has(ring));
      expect(status.pending).toMatchObject({ kind: 'promotion', ring: first, reason: expect.stringContaining('do-not-disrupt') });
      await handle.executeUpdate(abortUpdate, { args: [{ by: 'lead@msp.test', reason: 'test done' }] });
      await handle.result();
    });
  });

  it('deploys nothing while paused and carries on after resume', async () => {
    await withCycle({}, async ({ handle, h }) => {
      await handle.executeUpdate(pauseUpdate, { args: [{ by: 'lead@msp.test', reason: 'clinic audit today' }] });
      const paused = await advanceUntil(env, handle, (s) => s.paused && s.rings.length > 0, '1m');
      await env.sleep('6h');
      const still = await advanceUntil(env, handle, (s) => s.paused, 1);
      expect(still.rings[0]?.state).toBe('pending');
      expect(paused.phase).not.toBe('deploying');
      const { rows } = await h.db.pool.query(`SELECT count(*)::int AS n FROM deployment_jobs WHERE cycle_id = $1`, [handle.workflowId]);
      expect(rows[0].n).toBe(0);
      await handle.executeUpdate(resumeUpdate, { args: [{ by: 'lead@msp.test' }] });
      const resumed = await advanceUntil(env, handle, pendingPromotion('pilot'));
      expect(resumed.rings[0]?.state).toBe('passed');
      await handle.executeUpdate(abortUpdate, { args: [{ by: 'lead@msp.test', reason: 'test done' }] });
      await handle.result();
    });
  });

  it('rolls back every touched ring when a promotion is rejected', async () => {
    await withCycle({}, async ({ handle, h }) => {
      await advanceUntil(env, handle, pendingPromotion('pilot'));
      await handle.executeUpdate(rejectPromotionUpdate, { args: [{ approver: 'lead@msp.test', reason: 'vendor advisory' }] });
      const result = await handle.result();
      expect(result.status).toBe('rolled-back');
      expect(result.reason).toContain('rejected by lead@msp.test: vendor advisory');
      expect(result.rings.map((r) => r.state)).toEqual(['rolled-back', 'rejected', 'pending']);
      const states = await h.db.pool.query(
        `SELECT DISTINCT s.state FROM asset_patch_state s JOIN cycle_assets c ON c.asset_id = s.asset_id AND c.cycle_id = $1 WHERE c.ring = 'canary'`,
        [handle.workflowId],
      );
      expect(states.rows.map((r: { state: string }) => r.state)).toEqual(['rolled-back']);
    });
  });

  it('refuses approvals from people not named for the ring and from the person who started the cycle', async () => {
    await withCycle({}, async ({ handle }) => {
      await advanceUntil(env, handle, pendingPromotion('pilot'));
      const stranger = handle.executeUpdate(approveRingUpdate, { args: [{ ring: 'pilot', approver: 'intern@msp.test' }] });
      await expect(stranger).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
      await expect(stranger).rejects.toMatchObject({ cause: { type: 'NotAllowed', message: expect.stringContaining('not named in policy') } });
      const starter = handle.executeUpdate(approveRingUpdate, { args: [{ ring: 'pilot', approver: 'starter@msp.test' }] });
      await expect(starter).rejects.toMatchObject({ cause: { type: 'NotAllowed', message: expect.stringContaining('four-eyes') } });
      const wrongRing = handle.executeUpdate(approveRingUpdate, { args: [{ ring: 'production', approver: 'owner@clinic.test' }] });
      await expect(wrongRing).rejects.toMatchObject({ cause: { type: 'NotPending' } });
      const status = await advanceUntil(env, handle, pendingPromotion('pilot'), 1);
      expect(status.decisions.filter((d) => d.kind === 'approval')).toEqual([]);
      await handle.executeUpdate(abortUpdate, { args: [{ by: 'lead@msp.test', reason: 'test done' }] });
      await handle.result();
    });
  });

  it('requires signed approvals where policy says so and refuses a signature made with the wrong key', async () => {
    const lead = generateKeyPairSync('ed25519');
    const starter = generateKeyPairSync('ed25519');
    const mallory = generateKeyPairSync('ed25519');
    const pem = (k: KeyObject) => k.export({ type: 'spki', format: 'pem' }).toString();
    const configure = (policy: PatchPolicy) => {
      policy.signing = { requireSignedApprovals: true, publicKeys: { 'lead@msp.test': pem(lead.publicKey), 'starter@msp.test': pem(starter.publicKey) }, delegates: {} };
    };
    await withCycle({ configure, startKey: starter.privateKey }, async ({ handle }) => {
      const pending = await advanceUntil(env, handle, pendingPromotion('pilot'));
      const at = new Date(Date.parse(pending.pending!.since) + 1000);
      const approve = { kind: 'approve-ring' as const, ring: 'pilot' as const, by: 'lead@msp.test' };
      const unsigned = handle.executeUpdate(approveRingUpdate, { args: [{ ring: 'pilot', approver: 'lead@msp.test' }] });
      await expect(unsigned).rejects.toMatchObject({ cause: { type: 'NotAllowed', message: expect.stringContaining('requires signed decisions') } });
      const forged = cycleDecisionUpdate(pending, approve, (f) => signDecision(f, mallory.privateKey, { signedAt: at })).send(handle);
      await expect(forged).rejects.toMatchObject({ cause: { type: 'NotAllowed', message: expect.stringContaining('does not verify') } });
      // A genuine signature for another cycle does not carry over to this one.
      const other = cycleDecisionUpdate({ ...pending, cycleId: 'cycle/clinic/other' }, approve, (f) => signDecision(f, lead.privateKey, { signedAt: at }));
      await expect(other.send(handle)).rejects.toMatchObject({ cause: { type: 'NotAllowed' } });

      const genuine = cycleDecisionUpdate(pending, approve, (f) => signDecision(f, lead.privateKey, { signedAt: at }));
      await genuine.send(handle);
      const status = await advanceUntil(env, handle, (s) => s.decisions.some((d) => d.kind === 'approval'), 1);
      const approval = status.decisions.find((d) => d.kind === 'approval');
      expect(approval?.signature?.value).toBe(genuine.input.signature?.value);
      // What the evidence lists is enough to check the approval offline.
      expect(cryptoVerify(null, Buffer.from(approval?.signature?.message ?? ''), lead.publicKey, Buffer.from(genuine.input.signature!.value, 'base64'))).toBe(true);
      expect(status.decisions[0]).toMatchObject({ kind: 'start', by: 'starter@msp.test', signature: { decisionId: 'start' } });
      await advanceUntil(env, handle, pendingPromotion('production'));
      const current = await handle.query(cycleStatusQuery);
      await cycleDecisionUpdate(current, { kind: 'abort', by: 'lead@msp.test', reason: 'test done' }, (f) => signDecision(f, lead.privateKey, { signedAt: new Date(Date.parse(current.control!.since) + 1000) })).send(handle);
      await handle.result();
    });
  });

  it('rolls back by itself when nobody decides on a breached gate in time', async () => {
    await withCycle({ simulation: { failingRings: ['canary'] } }, async ({ handle, h }) => {
      await advanceUntil(env, handle, pendingGate('canary'));
      const result = await handle.result();
      expect(result.status).toBe('rolled-back');
      expect(result.reason).toContain('no gate decision by');
      expect(result.decisions).toContainEqual(expect.objectContaining({ kind: 'timeout', by: 'patchctl' }));
      const tickets = await h.db.pool.query(`SELECT status, notes FROM sim_psa_tickets`);
      expect(tickets.rows.map((r: { status: string }) => r.status)).toEqual(['closed']);
      expect(tickets.rows[0].notes.at(-1).text).toContain('No decision by');
    });
  });

  it('aborts mid-ring: the running rollout is cancelled and what it deployed is rolled back', async () => {
    const hang = new Set<string>();
    const hanging = (adapters: ClientAdapters): ClientAdapters => ({
      ...adapters,
      rmm: {
        ...adapters.rmm,
        listMissingPatches: (c, h) => adapters.rmm.listMissingPatches(c, h),
        submitDeployment: (r) => adapters.rmm.submitDeployment(r),
        submitUninstall: (r) => adapters.rmm.submitUninstall(r),
        rescan: (c, h, p) => adapters.rmm.rescan(c, h, p),
        runWorkloadCheck: (c, h, k) => adapters.rmm.runWorkloadCheck(c, h, k),
        listDevices: (c) => adapters.rmm.listDevices(c),
        jobStatus: async (c, jobId) => {
          const status = await adapters.rmm.jobStatus(c, jobId);
          return [...hang].some((host) => jobId.includes(host) || status.detail.includes(host)) ? { ...status, state: 'running' } : status;
        },
      },
    });
    await withCycle({ wrap: hanging }, async ({ handle, h }) => {
      const canary = await probeCanary(h);
      hang.add(canary[canary.length - 1] as string);
      await handle.executeUpdate(abortUpdate, { args: [{ by: 'lead@msp.test', reason: 'replan' }] });
      await handle.result();
      const second = await start({ clientId: 'clinic' });
      await advanceUntil(env, second, (s) => s.rings[0]?.state === 'deploying', '1m');
      // Wait until the rollout has submitted its jobs and is polling the one that never finishes.
      for (let i = 0; i < 100; i++) {
        const { rows } = await h.db.pool.query(`SELECT count(*)::int AS n FROM deployment_jobs WHERE cycle_id = $1 AND state = 'succeeded'`, [second.workflowId]);
        if (rows[0].n > 0) break;
        await env.sleep('30s');
      }
      await second.executeUpdate(abortUpdate, { args: [{ by: 'lead@msp.test', reason: 'vendor pulled the patch' }] });
      // The agent finishes the install it was running: the rollback waits for it, then undoes it too.
      hang.clear();
      const result = await second.result();
      expect(result.status).toBe('rolled-back');
      const unsettled = await h.db.pool.query(`SELECT count(*)::int AS n FROM deployment_jobs WHERE cycle_id = $1 AND state = 'submitted'`, [second.workflowId]);
      expect(unsettled.rows[0].n).toBe(0);
      expect(result.reason).toBe('aborted by lead@msp.test: vendor pulled the patch');
      expect(result.rings[0]?.state).toBe('rolled-back');
      const uninstalls = await h.db.pool.query(`SELECT count(*)::int AS n FROM deployment_jobs WHERE cycle_id = $1 AND kind = 'uninstall'`, [second.workflowId]);
      expect(uninstalls.rows[0].n).toBeGreaterThan(0);
    });
  });

  it('records a failing compensation, still rolls back the other rings, and ends rollback-incomplete', async () => {
    const brokenRestore = (adapters: ClientAdapters): ClientAdapters => {
      const snapshot: SnapshotPort = {
        take: (r) => adapters.snapshot.take(r),
        verify: (c, id) => adapters.snapshot.verify(c, id),
        restore: async () => ({ ok: false, detail: 'datastore offline' }),
      };
      // Nor does the RMM take uninstalls for the pilot ring's hosts: they keep the patch.
      const rmm: RmmPort = {
        ...adapters.rmm,
        listDevices: (c) => adapters.rmm.listDevices(c),
        listMissingPatches: (c, h) => adapters.rmm.listMissingPatches(c, h),
        submitDeployment: (r) => adapters.rmm.submitDeployment(r),
        jobStatus: (c, id) => adapters.rmm.jobStatus(c, id),
        rescan: (c, h, p) => adapters.rmm.rescan(c, h, p),
        runWorkloadCheck: (c, h, k) => adapters.rmm.runWorkloadCheck(c, h, k),
        submitUninstall: (r) => (r.ring === 'pilot' ? Promise.reject(failure('VendorRejected', 'uninstall refused for this host')) : adapters.rmm.submitUninstall(r)),
      };
      return { ...adapters, snapshot, rmm };
    };
    await withCycle({ wrap: brokenRestore }, async ({ handle }) => {
      await advanceUntil(env, handle, pendingPromotion('pilot'));
      await handle.executeUpdate(approveRingUpdate, { args: [{ ring: 'pilot', approver: 'lead@msp.test' }] });
      await advanceUntil(env, handle, pendingPromotion('production'));
      await handle.executeUpdate(rejectPromotionUpdate, { args: [{ approver: 'owner@clinic.test', reason: 'clinic busy' }] });
      const result = await handle.result();
      expect(result.status).toBe('rollback-incomplete');
      // Pilot holds core servers whose snapshot restore fails; canary (workstations) still rolls back.
      expect(result.rings.map((r) => r.state)).toEqual(['rolled-back', 'rollback-failed', 'rejected']);
      expect(result.notRolledBack?.length).toBeGreaterThan(0);
      expect(result.notRolledBack?.every((a) => a.ring === 'pilot')).toBe(true);
    });
  });
});
