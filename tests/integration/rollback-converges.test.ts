import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProxmoxSnapshots } from '../../activities/adapters/snapshot/proxmox';
import { TacticalRmm } from '../../activities/adapters/rmm/tactical-rmm';
import { rollbackBatch, verifyRollbackBatch, type RollbackRef } from '../../activities/cycle/rollback-batches';
import { deployBatch, jobKey, pollBatchJobs, verifyBatch } from '../../activities/cycle/ring-batches';
import type { ActivityDeps } from '../../activities/deps';
import type { ClientAdapters, PsaPort } from '../../activities/ports';
import { upsertClients } from '../../activities/store/client-store';
import { recordDeploymentJob, recordSnapshot } from '../../activities/store/ring-batch-store';
import type { VerifyRollbackResult } from '../../domain/cycle/batch';
import { loadTestPolicy } from '../support/cycle-harness';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { type FakeProxmox, startFakeProxmox } from '../support/fakes/proxmox-server';
import { type FakeTacticalRmm, type FakeWinUpdate, startFakeTacticalRmm } from '../support/fakes/tactical-rmm-server';

// Rollback against the Tactical and Proxmox HTTP fakes and a real PostgreSQL: it must converge on
// what the RMM says, not on what the job ledger hoped.

const API_KEY = 'TACTICAL-ROLLBACK-KEY';
const PVE_TOKEN = 'patchctl@pve!rollout=secret';
const CLIENT = 'clinic';
const CYCLE = 'cycle/clinic/rollback-test';
const KB = 'KB5036893';
const KB2 = 'KB5036620';

let db: TestDatabase;
let rmmFake: FakeTacticalRmm;
let pve: FakeProxmox;
let deps: ActivityDeps;
const assetIds = new Map<string, string>();

const unusedPsa: PsaPort = {
  openTicket: () => Promise.reject(new Error('no PSA in this test')),
  addNote: () => Promise.reject(new Error('no PSA in this test')),
  closeTicket: () => Promise.reject(new Error('no PSA in this test')),
};

function adapters(): ClientAdapters {
  return {
    rmm: new TacticalRmm({ baseUrl: rmmFake.url, apiKey: API_KEY, clientId: CLIENT, tacticalClientName: 'Test Clinic', sleep: async () => undefined }),
    snapshot: new ProxmoxSnapshots({ baseUrl: pve.apiUrl, apiToken: PVE_TOKEN, guests: { dc01: { node: 'pve1', vmid: 301 } }, pollIntervalMs: 1, sleep: async () => undefined }),
    psa: unusedPsa,
  };
}

const update = (id: number, kb: string, installed: boolean, action: FakeWinUpdate['action'] = 'nothing'): FakeWinUpdate => ({
  id, kb, guid: `guid-${id}`, title: `update ${kb}`, severity: 'Critical', installed, action,
  result: installed ? 'success' : 'n/a', date_installed: installed ? '2026-11-29T03:12:00Z' : null,
});

const HOSTS = [
  { hostname: 'ws-001', agent: 'AGT-1', assetClass: 'workstation', snapshot: false },
  { hostname: 'ws-002', agent: 'AGT-2', assetClass: 'workstation', snapshot: false },
  { hostname: 'dc01', agent: 'AGT-DC', assetClass: 'core-server', snapshot: true },
] as const;

async function seedCycle(): Promise<void> {
  await db.pool.query('TRUNCATE cycles, cycle_assets, deployment_jobs, snapshots, asset_patch_state, patch_state_events CASCADE');
  await db.pool.query(`INSERT INTO cycles (id, client_id, name, requested_by, status) VALUES ($1, $2, 'rollback-test', 'tech@msp.test', 'running')`, [CYCLE, CLIENT]);
  for (const host of HOSTS) {
    await db.pool.query(
      `INSERT INTO cycle_assets (cycle_id, asset_id, hostname, ring, batch_index, asset_class, patch_ids, sla_deadline, reboot_mode, snapshot_required)
       VALUES ($1, $2, $3, 'canary', 0, $4, $5, now() + interval '1 day', 'user-prompted', $6)`,
      [CYCLE, assetIds.get(host.hostname), host.hostname, host.assetClass, [KB], host.snapshot],
    );
  }
}

const ref: RollbackRef = { cycleId: CYCLE, clientId: CLIENT, ring: 'canary', batchIndex: 0, attempts: 1 };
const batchRef = { cycleId: CYCLE, clientId: CLIENT, ring: 'canary' as const, batchIndex: 0, attempt: 1 };

/** What ringRollback does for one batch: settle in-flight jobs, undo, wait for the uninstalls, prove it. */
async function rollBackBatch(): Promise<VerifyRollbackResult> {
  for (let i = 0; i < 10; i++) {
    const undo = await rollbackBatch(deps, ref);
    if ((undo.inFlight ?? 0) === 0) break;
  }
  for (let i = 0; i < 10; i++) {
    if ((await pollBatchJobs(deps, { ...batchRef, kind: 'uninstall' })).pending === 0) break;
  }
  return verifyRollbackBatch(deps, ref);
}

/** Hosts on which the fake agent reports the KB installed, as a fresh scan would. */
function patchedOnFake(kb = KB): string[] {
  return HOSTS.filter((h) => rmmFake.updates.get(h.agent)?.find((u) => u.kb === kb)?.installed).map((h) => h.hostname);
}

async function record(hostname: string, state: 'submitted' | 'succeeded'): Promise<void> {
  const key = jobKey(batchRef, hostname, KB, 'deploy');
  const agent = HOSTS.find((h) => h.hostname === hostname)!.agent;
  await recordDeploymentJob(db.pool, { key, kind: 'deploy', cycleId: CYCLE, ring: 'canary', hostname, patchId: KB, vendorJobId: `${agent}:${KB}` });
  if (state === 'succeeded') await db.pool.query(`UPDATE deployment_jobs SET state = 'succeeded', detail = 'installed' WHERE key = $1`, [key]);
}

async function outcomes(): Promise<Record<string, string>> {
  const { rows } = await db.pool.query<{ hostname: string; outcome: string }>('SELECT hostname, outcome FROM cycle_assets WHERE cycle_id = $1', [CYCLE]);
  return Object.fromEntries(rows.map((r) => [r.hostname, r.outcome]));
}

beforeAll(async () => {
  db = await createTestDatabase();
  const policy = loadTestPolicy();
  await upsertClients(db.pool, policy.clients);
  for (const host of HOSTS) {
    const { rows } = await db.pool.query<{ id: string }>(
      `INSERT INTO assets (client_id, hostname, os, role, asset_class, owner, location, ephi)
       VALUES ($1, $2, 'windows', $3, $4, 'it@clinic.test', 'HQ', false) RETURNING id::text`,
      [CLIENT, host.hostname, host.snapshot ? 'server' : 'workstation', host.assetClass],
    );
    assetIds.set(host.hostname, rows[0]!.id);
  }
  await db.pool.query(`INSERT INTO patches (id, title, product, severity) VALUES ($1, 'update', 'Windows', 'critical'), ($2, 'update', 'Windows', 'high')`, [KB, KB2]);
  rmmFake = await startFakeTacticalRmm(API_KEY);
  pve = await startFakeProxmox(PVE_TOKEN);
  deps = { db: db.pool, policy, adaptersFor: () => adapters(), mailer: { send: async () => undefined } };
});

afterAll(async () => {
  await rmmFake?.stop();
  await pve?.stop();
  await db?.drop();
});

beforeEach(async () => {
  rmmFake.calls.length = 0;
  rmmFake.agents.splice(0, rmmFake.agents.length, ...HOSTS.map((h) => ({
    agent_id: h.agent, hostname: h.hostname.toUpperCase(), client_name: 'Test Clinic', site_name: 'HQ', plat: 'windows' as const,
    status: 'online' as const, monitoring_type: h.snapshot ? ('server' as const) : ('workstation' as const), needs_reboot: false, has_patches_pending: true,
  })));
  rmmFake.updates.clear();
  for (const [i, h] of HOSTS.entries()) rmmFake.updates.set(h.agent, [update(100 + i, KB, false)]);
  rmmFake.failingKbs.clear();
  rmmFake.failingUninstalls.clear();
  pve.guests.clear();
  pve.guests.set('pve1/301', []);
  pve.rollbacks.length = 0;
  pve.taskPolls = 1;
  pve.onRollback = undefined;
  await seedCycle();
});

describe('rollback converges on what the RMM says', () => {
  it('settles an install still in flight at the abort, uninstalls it and proves it by a rescan', async () => {
    // The abort came while the agent was installing: the ledger still says submitted.
    await adapters().rmm.submitDeployment({ key: jobKey(batchRef, 'ws-001', KB, 'deploy'), clientId: CLIENT, cycleId: CYCLE, ring: 'canary', hostname: 'ws-001', patchId: KB });
    await record('ws-001', 'submitted');

    const proof = await rollBackBatch();

    expect(patchedOnFake()).toEqual([]);
    expect(proof.assets.find((a) => a.hostname === 'ws-001')).toMatchObject({ outcome: 'rolled-back' });
    expect(proof.failed).toBe(0);
  });

  it('rescans every member of a touched batch: an install the ledger never recorded is undone too', async () => {
    await record('ws-001', 'succeeded');
    rmmFake.updates.set('AGT-1', [update(100, KB, true, 'approve')]);
    // The submit reached the agent, the worker died before the ledger row was written.
    rmmFake.updates.set('AGT-2', [update(101, KB, true, 'approve')]);

    const proof = await rollBackBatch();

    expect(patchedOnFake()).toEqual([]);
    expect(proof.assets.filter((a) => a.outcome === 'rolled-back').map((a) => a.hostname).sort()).toEqual(['ws-001', 'ws-002']);
  });

  it('throws a vendor 503 back to Temporal instead of marking the asset rollback-failed for good', async () => {
    await record('ws-001', 'succeeded');
    rmmFake.updates.set('AGT-1', [update(100, KB, true, 'approve')]);
    rmmFake.answerNext({ status: 503, body: { detail: 'upstream unavailable' } }, '/agents/AGT-1/cmd/');

    await expect(rollbackBatch(deps, ref)).rejects.toMatchObject({ nonRetryable: false });
    expect((await outcomes())['ws-001']).not.toBe('rollback-failed');

    const proof = await rollBackBatch();
    expect(proof.assets.find((a) => a.hostname === 'ws-001')).toMatchObject({ outcome: 'rolled-back' });
    expect(patchedOnFake()).toEqual([]);
  });

  it('rescans a core server restored from its snapshot, so the next plan lists its patch again', async () => {
    pve.guests.set('pve1/301', [{ name: 'pc_before', description: 'patchctl', snaptime: 1764385200, vmstate: 0 }]);
    await recordSnapshot(db.pool, { key: `${CYCLE}|canary|dc01|snapshot`, cycleId: CYCLE, ring: 'canary', hostname: 'dc01', snapshotId: 'pve1/301/pc_before', verified: true, detail: 'present' });
    await record('dc01', 'succeeded');
    rmmFake.updates.set('AGT-DC', [update(102, KB, true, 'approve')]);
    // The disk goes back; Tactical only notices at the agent's next scan.
    pve.onRollback = () => rmmFake.revertAtNextScan('AGT-DC', [KB]);

    const proof = await rollBackBatch();

    expect(pve.rollbacks).toEqual(['pve1/301/pc_before']);
    expect(proof.assets.find((a) => a.hostname === 'dc01')).toMatchObject({ outcome: 'rolled-back' });
    const missing = await adapters().rmm.listMissingPatches(CLIENT, ['dc01']);
    expect(missing.map((m) => m.patchId)).toEqual([KB]);
    // Nor does Tactical's own schedule put it back: our approval is withdrawn.
    expect(rmmFake.updates.get('AGT-DC')?.[0]?.action).toBe('nothing');
  });

  it('says rollback-failed, naming the patch, when the rescan still shows it installed', async () => {
    await record('ws-001', 'succeeded');
    rmmFake.updates.set('AGT-1', [update(100, KB, true, 'approve')]);
    rmmFake.failingUninstalls.add(KB);

    const proof = await rollBackBatch();

    expect(proof.failed).toBe(1);
    expect(proof.assets.find((a) => a.hostname === 'ws-001')).toMatchObject({ outcome: 'rollback-failed', detail: expect.stringContaining(KB) });
    expect((await outcomes())['ws-001']).toBe('rollback-failed');
  });
});

describe('per-asset vendor errors', () => {
  it('a missing agent or a KB unknown to one host fails that asset, and the batch goes on', async () => {
    rmmFake.agents.splice(rmmFake.agents.findIndex((a) => a.agent_id === 'AGT-2'), 1);
    rmmFake.updates.set('AGT-DC', []);
    await db.pool.query(`UPDATE cycle_assets SET snapshot_required = false WHERE cycle_id = $1`, [CYCLE]);

    const deployed = await deployBatch(deps, batchRef);

    expect(deployed.submitted).toBe(1);
    for (let i = 0; i < 5 && (await pollBatchJobs(deps, { ...batchRef, kind: 'deploy' })).pending > 0; i++);
    const verified = await verifyBatch(deps, { ...batchRef, workloadChecks: [] });
    const failed = verified.assets.filter((a) => a.outcome === 'failed');
    expect(failed.map((a) => [a.hostname, a.stage])).toEqual([['dc01', 'deploy'], ['ws-002', 'deploy']]);
    expect(failed.find((a) => a.hostname === 'ws-002')?.detail).toMatch(/no agent/);
    expect(failed.find((a) => a.hostname === 'dc01')?.detail).toMatch(/does not list KB5036893/);
  });
});

describe('a job and its state event', () => {
  it('are written together: a failure between the two leaves neither, and the retry records the event once', async () => {
    // KB2 has no row in `patches` until later: the state event's insert fails after the job's update.
    await db.pool.query(`UPDATE cycle_assets SET patch_ids = $2 WHERE cycle_id = $1 AND hostname = 'ws-001'`, [CYCLE, [KB2]]);
    await db.pool.query(`DELETE FROM patches WHERE id = $1`, [KB2]);
    const key = jobKey(batchRef, 'ws-001', KB2, 'deploy');
    await recordDeploymentJob(db.pool, { key, kind: 'deploy', cycleId: CYCLE, ring: 'canary', hostname: 'ws-001', patchId: KB2, vendorJobId: `AGT-1:${KB2}` });
    rmmFake.updates.set('AGT-1', [update(100, KB2, true, 'approve')]);

    await expect(pollBatchJobs(deps, { ...batchRef, kind: 'deploy' })).rejects.toThrow();
    await db.pool.query(`INSERT INTO patches (id, title, product, severity) VALUES ($1, 'update', 'Windows', 'high')`, [KB2]);
    await pollBatchJobs(deps, { ...batchRef, kind: 'deploy' });

    const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM patch_state_events WHERE patch_id = $1 AND to_state = 'deployed'`, [KB2]);
    expect(rows[0]!.n).toBe(1);
    const job = await db.pool.query<{ state: string }>(`SELECT state FROM deployment_jobs WHERE key = $1`, [key]);
    expect(job.rows[0]!.state).toBe('succeeded');
  });
});
