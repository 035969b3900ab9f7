import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportCycleEvidence } from '../../activities/evidence/export-cycle';
import { temporalHistorySource } from '../../workers/temporal-history-source';
import { fetchRunChain } from '../../activities/evidence/history-source';
import { exportHipaaEvidence } from '../../activities/evidence/hipaa-bundle';
import { verifyBundle } from '../../activities/evidence/manifest';
import { readBundleHistories, readHistoryFile, replayHistories } from '../../activities/evidence/replay';
import { generateSigningKeyPair, parseEd25519Key } from '../../activities/evidence/signing';
import type { DecisionsDoc } from '../../activities/evidence/decisions';
import type { ExceptionsDoc } from '../../activities/evidence/cycle-exceptions';
import type { TimelineEntry } from '../../activities/evidence/timeline';
import type { CycleStatus } from '../../domain/cycle/cycle-status';
import { cycleWorkflowId } from '../../domain/ids';
import { approveRingUpdate, rejectPromotionUpdate } from '../../workflows/cycle/messages';
import { patchCycle } from '../../workflows/cycle/patch-cycle';
import type { PatchCycleResult } from '../../domain/cycle/cycle-status';
import { ringRollout } from '../../workflows/cycle/ring-rollout';
import { REPO_ROOT } from '../support/cli';
import { TASK_QUEUE, advanceUntil, createCycleHarness, createTestWorker, loadTestPolicy, startTimeSkipping, workflowBundle, type CycleHarness } from '../support/cycle-harness';

// A real cycle on the time-skipping server and PostgreSQL, exported as an auditor's bundle, verified,
// and replayed against the workflow code (and against a deliberately changed copy of it).

let env: TestWorkflowEnvironment;
let h: CycleHarness;
let result: PatchCycleResult;
let bundleDir: string;
let deferredHost: string;
const msp = generateSigningKeyPair();
const pendingPromotion = (ring: string) => (s: CycleStatus) => s.pending?.kind === 'promotion' && s.pending.ring === ring;

beforeAll(async () => {
  env = await startTimeSkipping();
  h = await createCycleHarness(loadTestPolicy(), { clinic: 24 });
  const { rows } = await h.db.pool.query(`SELECT hostname FROM assets WHERE client_id = 'clinic' AND asset_class = 'workstation' ORDER BY hostname LIMIT 1`);
  deferredHost = rows[0].hostname;
  // An approved deferral, as the exception workflow leaves it in the register: the plan must exclude the host.
  await h.db.pool.query(
    `INSERT INTO exceptions (id, client_id, kind, hostnames, status, reason, ticket_id, requested_by, signed_off_by, signed_off_at,
                             approved_by, approved_at, expires_at, controls, client_approval_ref)
     VALUES ('clinic-ehr-defer', 'clinic', 'deferral', ARRAY[$1], 'active', 'EHR vendor has not certified the update', 'T-42', 'engineer@msp.test',
             'owner@clinic.test', now(), 'lead@msp.test', now(), now() + interval '30 days',
             '[{"category":"extra-monitoring","description":"EDR alerts on the host"}]', 'CA-2026-7')`,
    [deferredHost],
  );
  const worker = await createTestWorker(env, h.deps);
  result = await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(patchCycle, {
      taskQueue: TASK_QUEUE,
      workflowId: cycleWorkflowId('clinic', 'evidence-1'),
      args: [{ clientId: 'clinic', cycleName: 'evidence-1', requestedBy: 'starter@msp.test' }],
    });
    await advanceUntil(env, handle, pendingPromotion('pilot'));
    await handle.executeUpdate(approveRingUpdate, { args: [{ ring: 'pilot', approver: 'lead@msp.test', comment: 'canary clean' }] });
    await advanceUntil(env, handle, pendingPromotion('production'));
    await handle.executeUpdate(approveRingUpdate, { args: [{ ring: 'production', approver: 'owner@clinic.test' }] });
    return handle.result();
  });
  bundleDir = mkdtempSync(join(tmpdir(), 'patchctl-evidence-'));
  await exportCycleEvidence({ histories: temporalHistorySource(env.client), db: h.db.pool, cycleId: result.cycleId, dir: bundleDir, signingKey: parseEd25519Key(msp.privateKeyPem, 'private') });
});

afterAll(async () => {
  await h?.cleanup();
  await env?.teardown();
  if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
});

const readJson = <T>(path: string): T => JSON.parse(readFileSync(join(bundleDir, path), 'utf8')) as T;
const eventOfIn = (dir: string, workflowId: string, eventId: number) =>
  (JSON.parse(readFileSync(join(dir, 'histories', `${encodeURIComponent(workflowId)}.json`), 'utf8')) as { events: { eventId: string; eventType: string }[] }).events.find(
    (e) => Number(e.eventId) === eventId,
  )?.eventType;
const eventOf = (workflowId: string, eventId: number) => ({ eventType: eventOfIn(bundleDir, workflowId, eventId) });

describe('evidence export of a completed cycle', () => {
  it('writes the histories of the cycle and every ring child, and a bundle that verifies', () => {
    expect(result.status).toBe('completed');
    const histories = readdirSync(join(bundleDir, 'histories')).sort();
    expect(histories).toEqual([result.cycleId, ...result.rings.map((r) => r.workflowId!)].map((id) => `${encodeURIComponent(id)}.json`).sort());
    expect(verifyBundle(bundleDir, msp.publicKeyPem)).toMatchObject({ ok: true, signature: 'valid', problems: [] });
    expect(readFileSync(join(bundleDir, 'summary.md'), 'utf8')).toContain('status **completed**');
  });

  it('has every planned asset in the timeline with a verified step that points at its verifyBatch event', async () => {
    const { rows } = await h.db.pool.query(`SELECT DISTINCT hostname FROM cycle_assets WHERE cycle_id = $1 ORDER BY hostname`, [result.cycleId]);
    const planned = rows.map((r: { hostname: string }) => r.hostname);
    expect(planned.length).toBe(result.rings.reduce((n, r) => n + r.planned, 0));
    const { entries } = readJson<{ entries: TimelineEntry[] }>('timeline.json');
    expect([...new Set(entries.map((e) => e.hostname))].sort()).toEqual(planned);
    for (const entry of entries) {
      const steps = entry.steps.map((s) => s.step);
      expect(steps, entry.hostname).toEqual(expect.arrayContaining(['detected', 'planned', 'deployed', 'verified']));
      expect(steps.indexOf('deployed')).toBeLessThan(steps.indexOf('verified'));
      const verified = entry.steps.find((s) => s.step === 'verified')!;
      expect(verified.workflowId).toBe(result.rings.find((r) => r.ring === entry.ring)?.workflowId);
      expect(eventOf(verified.workflowId!, verified.eventId!)?.eventType).toBe('EVENT_TYPE_ACTIVITY_TASK_COMPLETED');
      expect(verified.stage).toBe('verify');
      expect(entry.steps.find((s) => s.step === 'detected')?.at).toMatch(/^\d{4}-/);
    }
    const csv = readFileSync(join(bundleDir, 'timeline.csv'), 'utf8').trim().split('\r\n');
    expect(csv[0]).toBe('hostname,asset_id,patch_id,ring,batch_index,step,at,workflow_id,event_id,attempt,outcome,stage,detail,source');
    expect(csv.length - 1).toBe(entries.reduce((n, e) => n + e.steps.length, 0));
  });

  it('lists the approvals with who, when and the update event that carried each', () => {
    const { decisions } = readJson<DecisionsDoc>('decisions.json');
    expect(decisions.map((d) => [d.kind, d.ring, d.by, d.message])).toEqual([
      ['start', undefined, 'starter@msp.test', null],
      ['approval', 'pilot', 'lead@msp.test', 'approveRing'],
      ['approval', 'production', 'owner@clinic.test', 'approveRing'],
    ]);
    expect(decisions[1]?.reason).toBe('canary clean');
    // The start arrives with the workflow itself; each approval came in an update of its own.
    for (const d of decisions.filter((d) => d.kind !== 'start')) {
      expect(eventOf(result.cycleId, d.eventId!)?.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED');
      expect(eventOf(result.cycleId, d.completedEventId!)?.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED');
    }
  });

  it('lists the exception that excluded an asset, with its sign-off, approval, expiry and controls', () => {
    const doc = readJson<ExceptionsDoc>('exceptions.json');
    expect(doc.exclusions).toContainEqual(expect.objectContaining({ hostname: deferredHost, exceptionIds: ['clinic-ehr-defer'] }));
    expect(doc.exceptions).toEqual([
      expect.objectContaining({
        id: 'clinic-ehr-defer',
        ticketId: 'T-42',
        signedOffBy: 'owner@clinic.test',
        approvedBy: 'lead@msp.test',
        expiresAt: expect.stringMatching(/^\d{4}-/),
        controls: [{ category: 'extra-monitoring', description: 'EDR alerts on the host' }],
        excludedHosts: [deferredHost],
      }),
    ]);
  });

  it('replays every exported history against the workflow code', async () => {
    const outcomes = await replayHistories(readBundleHistories(bundleDir), { workflowBundle: await workflowBundle() });
    expect(outcomes.length).toBe(4);
    expect(outcomes.filter((o) => !o.consistent)).toEqual([]);
  });

  it('fails the replay against a patchCycle that calls an extra activity first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'patchctl-changed-workflow-'));
    try {
      const real = (file: string) => JSON.stringify(join(REPO_ROOT, 'workflows', file));
      writeFileSync(
        join(dir, 'index.ts'),
        [
          `import { proxyActivities } from '@temporalio/workflow';`,
          `import { patchCycle as original } from ${real('cycle/patch-cycle')};`,
          `export { ringRollout } from ${real('cycle/ring-rollout')};`,
          `export { ringRollback } from ${real('cycle/ring-rollback')};`,
          `export { patchException } from ${real('exception/patch-exception')};`,
          `const audit = proxyActivities<{ auditPing(): Promise<void> }>({ startToCloseTimeout: '1m' });`,
          `export async function patchCycle(input: Parameters<typeof original>[0]) {`,
          `  await audit.auditPing();`,
          `  return original(input);`,
          `}`,
        ].join('\n'),
      );
      const changed = await bundleWorkflowCode({
        workflowsPath: join(dir, 'index.ts'),
        // The temp folder has no node_modules of its own.
        webpackConfigHook: (config) => ({ ...config, resolve: { ...config.resolve, modules: [...(config.resolve?.modules ?? []), join(REPO_ROOT, 'node_modules')] } }),
        logger: { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
      });
      const parent = readHistoryFile(join(bundleDir, 'histories', `${encodeURIComponent(result.cycleId)}.json`));
      const [outcome] = await replayHistories([parent], { workflowBundle: changed });
      expect(outcome).toMatchObject({ workflowId: result.cycleId, consistent: false, divergence: { kind: 'determinism' } });
      // The unchanged ring children still replay against the changed bundle.
      const ring = readHistoryFile(join(bundleDir, 'histories', `${encodeURIComponent(result.rings[0]!.workflowId!)}.json`));
      expect((await replayHistories([ring], { workflowBundle: changed }))[0]?.consistent).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("writes the client's HIPAA bundle: ePHI inventory, risk log, evidence chain and controls register, signed", async () => {
    const { rows } = await h.db.pool.query(`SELECT planned_at FROM cycles WHERE id = $1`, [result.cycleId]);
    const day = (rows[0].planned_at as Date).toISOString().slice(0, 10);
    const dir = mkdtempSync(join(tmpdir(), 'patchctl-hipaa-'));
    try {
      const hipaa = await exportHipaaEvidence({ db: h.db.pool, clientId: 'clinic', from: day, to: '2100-01-01', dir, signingKey: parseEd25519Key(msp.privateKeyPem, 'private') });
      expect(hipaa.cycles).toEqual([result.cycleId]);
      const ephi = await h.db.pool.query(`SELECT count(*)::int AS n FROM assets WHERE client_id = 'clinic' AND ephi`);
      const csv = (name: string) => readFileSync(join(dir, name), 'utf8').trim().split('\r\n');
      expect(csv('ephi-asset-inventory.csv').length - 1).toBe(ephi.rows[0].n);
      const risk = csv('risk-prioritization-log.csv');
      expect(risk[0]).toContain('risk_rank,cycle_id');
      expect(risk.length).toBeGreaterThan(1);
      const severities = (parse(readFileSync(join(dir, 'risk-prioritization-log.csv'), 'utf8'), { columns: true }) as { severity: string }[]).map((r) => r.severity);
      const rank = (s: string | undefined) => ['critical', 'high', 'routine'].indexOf(s ?? '');
      expect(severities.map(rank)).toEqual([...severities.map(rank)].sort((a, b) => a - b));
      const chain = csv('patch-evidence-chain.csv');
      expect(chain.some((line) => line.includes(',detected,'))).toBe(true);
      expect(chain.some((line) => line.includes(',verified,'))).toBe(true);
      expect(csv('compensating-controls-register.csv')[1]).toContain('extra-monitoring: EDR alerts on the host');
      expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toContain('clinic-ehr-defer (deferral)');
      expect(verifyBundle(dir, msp.publicKeyPem)).toMatchObject({ ok: true, signature: 'valid' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('evidence export of a rolled-back cycle', () => {
  it('shows the rejection with who, and each canary asset verified then rolled back with its event', async () => {
    // A fleet of its own: the first cycle already patched the shared one.
    const fresh = await createCycleHarness(loadTestPolicy(), { clinic: 12 });
    const dir = mkdtempSync(join(tmpdir(), 'patchctl-evidence-rollback-'));
    try {
      const worker = await createTestWorker(env, fresh.deps);
      const rolledBack = await worker.runUntil(async () => {
        const handle = await env.client.workflow.start(patchCycle, {
          taskQueue: TASK_QUEUE,
          workflowId: cycleWorkflowId('clinic', 'evidence-2'),
          args: [{ clientId: 'clinic', cycleName: 'evidence-2', requestedBy: 'starter@msp.test' }],
        });
        await advanceUntil(env, handle, pendingPromotion('pilot'));
        await handle.executeUpdate(rejectPromotionUpdate, { args: [{ approver: 'lead@msp.test', reason: 'EHR logins slow on the canary' }] });
        return handle.result();
      });
      expect(rolledBack.status).toBe('rolled-back');
      const exported = await exportCycleEvidence({ histories: temporalHistorySource(env.client), db: fresh.db.pool, cycleId: rolledBack.cycleId, dir });
      expect(exported).toMatchObject({ histories: 3, signed: false, status: 'rolled-back' });
      expect(readdirSync(dir)).not.toContain('manifest.sig');
      const { entries } = JSON.parse(readFileSync(join(dir, 'timeline.json'), 'utf8')) as { entries: TimelineEntry[] };
      const canary = entries.filter((e) => e.ring === 'canary');
      expect(canary.length).toBeGreaterThan(0);
      for (const entry of canary) {
        expect(entry.steps.map((s) => s.step).slice(-2), entry.hostname).toEqual(['verified', 'rolled-back']);
        const undone = entry.steps.at(-1)!;
        expect(undone.workflowId).toBe(`${rolledBack.cycleId}/ring/canary/rollback`);
        expect(undone.source).toBe('verifyRollbackBatch ActivityTaskCompleted');
        expect(eventOfIn(dir, undone.workflowId!, undone.eventId!)).toBe('EVENT_TYPE_ACTIVITY_TASK_COMPLETED');
      }
      // Rings the cycle never reached stop at their plan.
      expect(entries.filter((e) => e.ring !== 'canary').every((e) => e.steps.map((s) => s.step).join() === 'detected,planned')).toBe(true);
      const { decisions } = JSON.parse(readFileSync(join(dir, 'decisions.json'), 'utf8')) as DecisionsDoc;
      // The cycle's start is the first record: who asked for it (signed when policy requires).
      expect(decisions).toEqual([
        expect.objectContaining({ kind: 'start', by: 'starter@msp.test' }),
        expect.objectContaining({ kind: 'rejection', ring: 'pilot', by: 'lead@msp.test', reason: 'EHR logins slow on the canary', message: 'rejectPromotion', eventId: expect.any(Number) }),
      ]);
      expect(verifyBundle(dir, msp.publicKeyPem)).toMatchObject({ ok: false, signature: 'missing', problems: [{ path: 'manifest.sig' }] });
    } finally {
      await fresh.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('history fetching', () => {
  it('follows a ring rollout through continue-as-new, one file per run', async () => {
    const worker = await createTestWorker(env, h.deps);
    const workflowId = 'cycle/clinic/can-1/ring/canary';
    const chain = await worker.runUntil(async () => {
      await env.client.workflow.execute(ringRollout, {
        taskQueue: TASK_QUEUE,
        workflowId,
        args: [
          {
            cycleId: 'cycle/clinic/can-1',
            clientId: 'clinic',
            ring: 'canary',
            attempt: 1,
            planned: 0,
            batches: 3,
            batchesPerRun: 1,
            timezone: 'UTC',
            maintenanceWindows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '00:00', duration: 86_400_000 }],
            workloadChecks: [],
            jobPollIntervalMs: 1000,
          },
        ],
      });
      return fetchRunChain(temporalHistorySource(env.client), workflowId);
    });
    expect(chain.map((r) => r.file)).toEqual([
      `histories/${encodeURIComponent(workflowId)}.json`,
      `histories/${encodeURIComponent(workflowId)}.run-2.json`,
      `histories/${encodeURIComponent(workflowId)}.run-3.json`,
    ]);
    expect(chain.slice(0, 2).map((r) => r.history.events.at(-1)?.eventType)).toEqual(['EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW', 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW']);
    expect(chain[2]?.history.events.at(-1)?.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    const outcomes = await replayHistories(chain.map((r) => ({ workflowId, source: r.file, history: r.history })), { workflowBundle: await workflowBundle() });
    expect(outcomes.every((o) => o.consistent)).toBe(true);
  });
});
