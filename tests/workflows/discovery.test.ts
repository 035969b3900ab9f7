import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClientAdapters } from '../../activities/adapters/build-adapters';
import { createMailer } from '../../activities/adapters/mail/nodemailer-mailer';
import { SimulatedRmm } from '../../activities/adapters/rmm/simulated';
import type { ActivityDeps } from '../../activities/deps';
import { ProxmoxSnapshots } from '../../activities/adapters/snapshot/proxmox';
import { listRestoreDrills } from '../../activities/store/restore-drill-store';
import { DRILL_ASSET_CLASSES } from '../../domain/discovery/restore-drill';
import { type FakeProxmox, startFakeProxmox } from '../support/fakes/proxmox-server';
import { discovery } from '../../workflows/discovery/discovery';
import { restoreDrill } from '../../workflows/discovery/restore-drill';
import { TASK_QUEUE, createTestWorker, loadTestPolicy, seedFleet, startTimeSkipping } from '../support/cycle-harness';
import { createTestDatabase, type TestDatabase } from '../support/database';

// The workflows the discovery and restore-drill Schedules start (the time-skipping server has no
// Schedules, so they are started here as a Schedule would): real activities, real PostgreSQL.

let env: TestWorkflowEnvironment;
let db: TestDatabase;
let deps: ActivityDeps;
let proxmox: FakeProxmox | undefined;
/** Set by the Proxmox drill test: the clinic's snapshots then go to the fake Proxmox VE. */
let proxmoxSnapshots: ProxmoxSnapshots | undefined;

beforeAll(async () => {
  env = await startTimeSkipping();
  db = await createTestDatabase();
  const policy = loadTestPolicy();
  await seedFleet(db, policy, { clinic: 12 });
  const { rows } = await db.pool.query<{ hostname: string; os: 'windows'; role: 'server' }>("SELECT hostname, os, role FROM assets WHERE client_id = 'clinic' ORDER BY hostname");
  const adapters = buildClientAdapters({ db: db.pool, policy, env: {} });
  // The RMM lists the imported fleet and two devices nobody imported.
  const fleet = [...rows.map((r) => ({ ...r, applications: [] })), { hostname: 'new-pc-1', os: 'windows' as const, role: 'workstation' as const, applications: [] }, { hostname: 'new-pc-2', os: 'macos' as const, role: 'workstation' as const, applications: [] }];
  deps = {
    db: db.pool,
    policy,
    adaptersFor: (clientId) => ({
      ...adapters(clientId),
      rmm: new SimulatedRmm({ db: db.pool, clientId, simulation: policy.clients[0]!.simulation, inventory: fleet }),
      ...(proxmoxSnapshots ? { snapshot: proxmoxSnapshots } : {}),
    }),
    mailer: createMailer({ from: policy.msp.mailFrom, outboxDir: mkdtempSync(join(tmpdir(), 'patchctl-outbox-')) }),
  };
});

afterAll(async () => {
  await proxmox?.stop();
  await db?.drop();
  await env?.teardown();
});

describe('discovery and restore-drill workflows', () => {
  it('reconciles, tickets the new devices once, and a second start under the same id records nothing twice', async () => {
    const worker = await createTestWorker(env, deps);
    await worker.runUntil(async () => {
      const workflowId = 'discovery-clinic-2026-11-20T07:00:00Z';
      const first = await env.client.workflow.execute(discovery, { taskQueue: TASK_QUEUE, workflowId, args: [{ clientId: 'clinic' }] });
      expect(first).toMatchObject({ clientId: 'clinic', runKey: workflowId, replayed: false, needsTicket: true, counts: { devices: 14, new: 2, unmanaged: 0 } });
      expect(first.ticketId).toBeTruthy();
      const again = await env.client.workflow.execute(discovery, { taskQueue: TASK_QUEUE, workflowId, args: [{ clientId: 'clinic' }] });
      expect(again).toMatchObject({ replayed: true, ticketId: first.ticketId, counts: first.counts });
      const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM sim_psa_tickets');
      expect(rows[0].n).toBe(1);
      // The next day's run finds nothing new: no ticket.
      const next = await env.client.workflow.execute(discovery, { taskQueue: TASK_QUEUE, workflowId: 'discovery-clinic-2026-11-21T07:00:00Z', args: [{ clientId: 'clinic' }] });
      expect(next).toMatchObject({ needsTicket: false, ticketId: null, counts: { new: 0 } });
    });
  });

  it('test-restores the critical system whose turn it is into an isolated copy and keeps the result', async () => {
    const worker = await createTestWorker(env, deps);
    await worker.runUntil(async () => {
      const first = await env.client.workflow.execute(restoreDrill, { taskQueue: TASK_QUEUE, workflowId: 'restore-drill-clinic-1', args: [{ clientId: 'clinic' }] });
      const second = await env.client.workflow.execute(restoreDrill, { taskQueue: TASK_QUEUE, workflowId: 'restore-drill-clinic-2', args: [{ clientId: 'clinic' }] });
      if (!first.drilled || !second.drilled) throw new Error('expected drills');
      expect(first.drill).toMatchObject({ mode: 'isolated-copy', ok: true });
      expect(first.drill.steps.map((s) => s.step)).toEqual(['find snapshot', 'clone into isolated copy', 'boot and check', 'discard copy']);
      // Each critical system takes its turn.
      expect(second.drill.hostname).not.toBe(first.drill.hostname);
      const again = await env.client.workflow.execute(restoreDrill, { taskQueue: TASK_QUEUE, workflowId: 'restore-drill-clinic-1', args: [{ clientId: 'clinic' }] });
      expect(again).toEqual(first);
      expect((await listRestoreDrills(db.pool, 'clinic')).map((d) => d.drillKey).sort()).toEqual(['restore-drill/clinic/restore-drill-clinic-1', 'restore-drill/clinic/restore-drill-clinic-2']);
    });
  });

  it('on Proxmox VE, drills into a network-less clone of the snapshot and keeps each step as evidence', async () => {
    const token = 'patchctl@pve!drill=0b5e-drill-token';
    proxmox = await startFakeProxmox(token);
    proxmox.taskPolls = 1;
    const { rows } = await db.pool.query<{ hostname: string }>('SELECT hostname FROM assets WHERE client_id = $1 AND asset_class = ANY($2) ORDER BY hostname', ['clinic', DRILL_ASSET_CLASSES]);
    const guests = Object.fromEntries(rows.map((r, i) => [r.hostname, { node: 'pve1', vmid: 200 + i }]));
    for (const [hostname, guest] of Object.entries(guests)) {
      proxmox.guests.set(`pve1/${guest.vmid}`, []);
      proxmox.configs.set(`pve1/${guest.vmid}`, { name: hostname, net0: 'virtio=BC:24:11:00:00:01,bridge=vmbr0' });
    }
    proxmoxSnapshots = new ProxmoxSnapshots({ baseUrl: proxmox.apiUrl, apiToken: token, guests, pollIntervalMs: 10 });
    try {
      const worker = await createTestWorker(env, deps);
      await worker.runUntil(async () => {
        const result = await env.client.workflow.execute(restoreDrill, { taskQueue: TASK_QUEUE, workflowId: 'restore-drill-clinic-proxmox', args: [{ clientId: 'clinic' }] });
        if (!result.drilled) throw new Error('expected a drill');
        expect(result.drill).toMatchObject({ mode: 'isolated-copy', ok: true, snapshotId: expect.stringMatching(/^pve1\/\d+\/pc_/) });
        expect(result.drill.steps.map((s) => [s.step, s.ok])).toEqual([['find snapshot', true], ['clone into isolated copy', true], ['isolate network', true], ['boot and check', true], ['discard copy', true]]);
        const stored = (await listRestoreDrills(db.pool, 'clinic')).find((d) => d.drillKey === 'restore-drill/clinic/restore-drill-clinic-proxmox');
        expect(stored).toMatchObject({ mode: 'isolated-copy', ok: true, steps: result.drill.steps });
      });
      expect(proxmox.clones).toHaveLength(1);
      expect(proxmox.bootedWith).toEqual([{ guest: expect.stringMatching(/^pve1\/\d+$/), nets: ['virtio=BC:24:11:00:00:01,bridge=vmbr0,link_down=1'] }]);
      expect(proxmox.destroyed).toEqual([proxmox.bootedWith[0]!.guest]);
    } finally {
      proxmoxSnapshots = undefined;
    }
  });
});
