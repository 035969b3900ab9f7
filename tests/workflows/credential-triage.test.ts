import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ClientAdapters } from '../../activities/ports';
import { simIdentityActions } from '../../activities/store/simulated-identity-store';
import { getTriage } from '../../activities/store/triage-store';
import type { TriageAlert, TriageStatus } from '../../domain/triage/triage';
import { triageStartOptions } from '../../client/cli/triage/start-triage';
import { credentialTriage } from '../../workflows/triage/credential-triage';
import { resolveTriageUpdate, triageStatusQuery } from '../../workflows/triage/messages';
import { TASK_QUEUE, createCycleHarness, createTestWorker, loadTestPolicy, startTimeSkipping, type CycleHarness } from '../support/cycle-harness';

// Time is global to a time-skipping environment: these tests run one after another, and each waits
// for its triage to end (every triage ends by its SLA at the latest) while its worker still runs.

const CLIENT = 'clinic';
const OWNER = 'owner@clinic.test';
const RESPONDER = 'lead@msp.test';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkipping();
});
afterAll(async () => {
  await env?.teardown();
});

let harness: CycleHarness | undefined;
const started: WorkflowHandle<typeof credentialTriage>[] = [];
afterEach(async () => {
  // Only after a failed assertion: a triage left running would keep retrying against a dropped database.
  for (const handle of started.splice(0)) {
    if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('test finished');
  }
  await harness?.cleanup();
  harness = undefined;
});

type Wrap = (adapters: ClientAdapters, clientId: string) => ClientAdapters;

async function withWorker<T>(body: (h: CycleHarness) => Promise<T>, wrap?: Wrap): Promise<T> {
  harness = await createCycleHarness(loadTestPolicy('tests/fixtures/policy-triage.yaml'), {}, wrap);
  const h = harness;
  const worker = await createTestWorker(env, h.deps);
  return worker.runUntil(() => body(h));
}

async function alert(user: string, over: Partial<TriageAlert> = {}): Promise<WorkflowHandle<typeof credentialTriage>> {
  const base = { clientId: over.clientId ?? CLIENT, user, kind: 'leaked-credential' as const, alertId: `hibp-${user}` };
  const options = triageStartOptions(TASK_QUEUE, { ...base, summary: 'password seen in a paste', ...over }, { source: 'cli', reportedBy: 'tech@msp.test' }, new Date(await env.currentTimeMs()));
  const handle = await env.client.workflow.start(credentialTriage, options);
  started.push(handle);
  return handle;
}

async function waitFor(handle: WorkflowHandle<typeof credentialTriage>, done: (s: TriageStatus) => boolean): Promise<TriageStatus> {
  let last: TriageStatus | undefined;
  for (let i = 0; i < 300; i++) {
    last = await handle.query(triageStatusQuery);
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`triage never got there; last state ${last?.state}`);
}

/** Mails to someone whose (unfolded) text matches. */
const mailTo = (h: CycleHarness, to: string, text: RegExp) =>
  h
    .mail()
    .map((m) => m.replace(/\r?\n[ \t]+/g, ' '))
    .filter((m) => m.includes(`To: ${to}`) && text.test(m));

async function ticketsOf(h: CycleHarness): Promise<{ key: string; status: string }[]> {
  const { rows } = await h.db.pool.query(`SELECT key, status FROM sim_psa_tickets WHERE client_id = $1`, [CLIENT]);
  return rows;
}

describe('credentialTriage', () => {
  it('opens a ticket, forces a password change, revokes sessions, tells the owner and records it within the SLA', async () => {
    await withWorker(async (h) => {
      const handle = await alert('jane@clinic.test');
      const result = await handle.result();
      expect(result).toMatchObject({ state: 'completed', slaMet: true, escalations: 0, ticketId: expect.stringMatching(/^SIM-\d+$/) });
      expect(result.steps.map((s) => [s.step, s.state])).toEqual([
        ['ticket', 'done'],
        ['lookup', 'done'],
        ['password-change', 'done'],
        ['session-revocation', 'done'],
        ['owner-notice', 'done'],
      ]);
      const actions = await simIdentityActions(h.db.pool, CLIENT);
      expect(actions.map((a) => a.action)).toEqual(['force-password-change', 'revoke-sign-in-sessions']);
      expect(mailTo(h, OWNER, /account secured/)).toHaveLength(1);
      expect(await ticketsOf(h)).toEqual([{ key: `triage|${handle.workflowId}`, status: 'closed' }]);
      const record = await getTriage(h.db.pool, CLIENT, result.triageId);
      expect(record).toMatchObject({ state: 'completed', slaMet: true, user: 'jane@clinic.test', ticketId: result.ticketId });
      expect(record?.steps).toHaveLength(5);
    });
  });

  it('holds a break-glass account for a named responder: no reset until one decides, and only a responder may', async () => {
    await withWorker(async (h) => {
      const handle = await alert('breakglass@clinic.test');
      const waiting = await waitFor(handle, (s) => s.state === 'waiting-for-person');
      expect(waiting.manualReason).toMatch(/break-glass/);
      expect(waiting.pending).toMatchObject({ step: 'person', who: [RESPONDER] });
      expect(await simIdentityActions(h.db.pool, CLIENT)).toEqual([]);
      expect(mailTo(h, RESPONDER, /needs a person/)).toHaveLength(1);

      const refused = await handle.executeUpdate(resolveTriageUpdate, { args: [{ by: OWNER, resolution: 'reset' }] }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
      expect((refused as WorkflowUpdateFailedError).cause?.message).toMatch(/not named in policy as a triage responder/);

      await handle.executeUpdate(resolveTriageUpdate, { args: [{ by: RESPONDER, resolution: 'handled', comment: 'rotated in the vault' }] });
      const result = await handle.result();
      expect(result).toMatchObject({ state: 'completed', decision: { by: RESPONDER, resolution: 'handled' } });
      expect(result.steps.find((s) => s.step === 'password-change')).toMatchObject({ state: 'skipped', detail: `handled by ${RESPONDER}` });
      expect(await simIdentityActions(h.db.pool, CLIENT)).toEqual([]);
      expect(mailTo(h, OWNER, /account secured/)).toHaveLength(1);
    });
  });

  it('escalates when nobody decides on a break-glass account, and ends escalated at the SLA', async () => {
    await withWorker(async (h) => {
      const handle = await alert('shared-admin@clinic.test');
      const result = await handle.result();
      expect(result).toMatchObject({ state: 'escalated', slaMet: false, escalations: 1 });
      expect(mailTo(h, 'secops@msp.test', /missed its person deadline/)).toHaveLength(1);
      expect(mailTo(h, 'secops@msp.test', /triage .* escalated/)).toHaveLength(1);
      expect(mailTo(h, OWNER, /account secured/)).toHaveLength(0);
      expect((await getTriage(h.db.pool, CLIENT, result.triageId))?.state).toBe('escalated');
    });
  });

  it('mails the escalation list once when a step runs past its deadline, and still completes', async () => {
    let failures = 8;
    const flaky: Wrap = (adapters) => ({
      ...adapters,
      identity: {
        ...adapters.identity!,
        lookupUser: (c, u) => adapters.identity!.lookupUser(c, u),
        revokeSignInSessions: (c, u) => adapters.identity!.revokeSignInSessions(c, u),
        listRiskyUsers: (c) => adapters.identity!.listRiskyUsers(c),
        forcePasswordChange: async (c, u) => {
          if (failures-- > 0) throw new Error('Graph answered 503');
          return adapters.identity!.forcePasswordChange(c, u);
        },
      },
    });
    await withWorker(async (h) => {
      const result = await (await alert('slow@clinic.test')).result();
      expect(result).toMatchObject({ state: 'completed', escalations: 1 });
      expect(result.steps.find((s) => s.step === 'password-change')).toMatchObject({ state: 'done', escalatedAt: expect.any(String) });
      expect(mailTo(h, 'secops@msp.test', /missed its password-change deadline/)).toHaveLength(1);
    }, flaky);
  });

  it('is idempotent when activities are retried after their vendor call succeeded', async () => {
    const failOnce = new Set(['ticket', 'password', 'revoke']);
    const afterwardsFail = <T>(what: string, work: () => Promise<T>) => async () => {
      const value = await work();
      if (failOnce.delete(what)) throw new Error(`connection reset after ${what}`);
      return value;
    };
    const retried: Wrap = (adapters) => ({
      ...adapters,
      psa: { ...adapters.psa, openTicket: (r) => afterwardsFail('ticket', () => adapters.psa.openTicket(r))(), addNote: (t, x) => adapters.psa.addNote(t, x), closeTicket: (t, x) => adapters.psa.closeTicket(t, x) },
      identity: {
        lookupUser: (c, u) => adapters.identity!.lookupUser(c, u),
        listRiskyUsers: (c) => adapters.identity!.listRiskyUsers(c),
        forcePasswordChange: (c, u) => afterwardsFail('password', () => adapters.identity!.forcePasswordChange(c, u))(),
        revokeSignInSessions: (c, u) => afterwardsFail('revoke', () => adapters.identity!.revokeSignInSessions(c, u))(),
      },
    });
    await withWorker(async (h) => {
      const handle = await alert('retry@clinic.test');
      // The same alert delivered again while it is triaged is the same workflow: nothing starts twice.
      await expect(alert('retry@clinic.test')).rejects.toThrow(/already started/i);
      const result = await handle.result();
      expect(result.state).toBe('completed');
      expect(failOnce.size).toBe(0);
      expect(await ticketsOf(h)).toHaveLength(1);
      expect(mailTo(h, OWNER, /account secured/)).toHaveLength(1);
    }, retried);
  });

  it('leaves containment to a person when the client has no identity adapter', async () => {
    await withWorker(async () => {
      const handle = await alert('bob@paper.test', { clientId: 'paper-clinic' });
      const waiting = await waitFor(handle, (s) => s.state === 'waiting-for-person');
      expect(waiting.manualReason).toMatch(/no identity adapter/);
      const refused = await handle.executeUpdate(resolveTriageUpdate, { args: [{ by: RESPONDER, resolution: 'reset' }] }).catch((e: unknown) => e);
      expect((refused as WorkflowUpdateFailedError).cause?.message).toMatch(/cannot reset this account itself/);
      await handle.executeUpdate(resolveTriageUpdate, { args: [{ by: RESPONDER, resolution: 'dismiss', comment: 'test account' }] });
      expect(await handle.result()).toMatchObject({ state: 'dismissed', slaMet: true });
    });
  });
});
