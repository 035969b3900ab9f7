import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPolicyFile } from '../../config/load-policy';
import type { PatchPolicy } from '../../config/policy-schema';
import { simulationSchema } from '../../config/policy-schema';
import { repoRoot } from '../../config/repo-root';
import { buildClientAdapters } from '../../activities/adapters/build-adapters';
import { ConnectWisePsa } from '../../activities/adapters/psa/connectwise';
import { TacticalRmm } from '../../activities/adapters/rmm/tactical-rmm';
import { ProxmoxSnapshots } from '../../activities/adapters/snapshot/proxmox';
import { SimulatedPsa } from '../../activities/adapters/psa/simulated';
import { SimulatedRmm } from '../../activities/adapters/rmm/simulated';
import { initiallyMissing } from '../../activities/adapters/simulated-fleet';
import { SimulatedSnapshots } from '../../activities/adapters/snapshot/simulated';
import type { DeploymentRequest } from '../../activities/ports';
import { createTestDatabase, type TestDatabase } from '../support/database';

const CLIENT = 'acme-dental';
let db: TestDatabase;

async function addAsset(hostname: string, os: string, applications: string[] = []): Promise<void> {
  const { rows } = await db.pool.query<{ id: string }>(
    `INSERT INTO assets (client_id, hostname, os, role, asset_class, owner, location, ephi)
     VALUES ($1, $2, $3, 'workstation', 'workstation', 'front desk', 'HQ', false) RETURNING id`,
    [CLIENT, hostname, os],
  );
  for (const name of applications) await db.pool.query('INSERT INTO asset_applications (asset_id, name) VALUES ($1, $2)', [rows[0]!.id, name]);
}

function request(hostname: string, patchId: string, ring: DeploymentRequest['ring'] = 'pilot', cycle = 'cycle/acme-dental/c1'): DeploymentRequest {
  return { key: `${cycle}|${ring}|${hostname}|${patchId}`, clientId: CLIENT, cycleId: cycle, ring, hostname, patchId };
}

beforeAll(async () => {
  db = await createTestDatabase();
  await db.pool.query(`INSERT INTO clients (id, name, timezone, owner) VALUES ($1, 'Acme Dental', 'America/New_York', 'owner@acme.example')`, [CLIENT]);
  for (let i = 0; i < 20; i++) await addAsset(`ws-${String(i).padStart(3, '0')}`, 'windows', i % 2 ? ['Google Chrome', 'Zoom'] : []);
  await addAsset('mac-001', 'macos', ['Adobe Acrobat Reader DC']);
  await addAsset('bad-host', 'windows');
});

afterAll(async () => {
  await db?.drop();
});

describe('simulated RMM on PostgreSQL', () => {
  const simulation = simulationSchema.parse({ seed: 42, failingHosts: ['bad-host'], failingRings: ['canary'] });
  const rmm = () => new SimulatedRmm({ db: db.pool, clientId: CLIENT, simulation });

  it('lists the client inventory as devices', async () => {
    const devices = await rmm().listDevices(CLIENT);
    expect(devices).toHaveLength(22);
    expect(devices.find((d) => d.hostname === 'mac-001')).toEqual({ hostname: 'mac-001', os: 'macos', role: 'workstation', online: true, software: ['Adobe Acrobat Reader DC'] });
  });

  it('reports the same missing patches as the seed dictates, from two adapter instances', async () => {
    const hosts = ['ws-001', 'ws-002', 'mac-001'];
    const first = await rmm().listMissingPatches(CLIENT, hosts);
    const second = await rmm().listMissingPatches(CLIENT, hosts);
    expect(second).toEqual(first);
    const expectedForWs1 = initiallyMissing(42, 'ws-001', 'windows', ['Google Chrome', 'Zoom']).map((p) => p.id);
    expect(first.filter((p) => p.hostname === 'ws-001').map((p) => p.patchId)).toEqual(expectedForWs1);
    expect(first.filter((p) => p.hostname === 'mac-001').every((p) => !p.patchId.startsWith('KB'))).toBe(true);
  });

  it('runs a deployment submitted twice only once, with the same job id', async () => {
    const [patch] = await rmm().listMissingPatches(CLIENT, ['ws-003']);
    const deploy = request('ws-003', patch!.patchId);
    const first = await rmm().submitDeployment(deploy);
    const second = await rmm().submitDeployment(deploy);
    expect(second.jobId).toBe(first.jobId);
    const { rows } = await db.pool.query('SELECT runs FROM sim_rmm_jobs WHERE key = $1', [deploy.key]);
    expect(rows).toEqual([{ runs: 1 }]);
  });

  it('installs a patch whose job succeeded: job status, rescan and missing list agree', async () => {
    const missing = await rmm().listMissingPatches(CLIENT, ['ws-004']);
    const patchId = missing[0]!.patchId;
    const { jobId } = await rmm().submitDeployment(request('ws-004', patchId));
    const status = await rmm().jobStatus(CLIENT, jobId);
    expect(status).toMatchObject({ jobId, state: 'succeeded' });
    expect(status.detail).toContain('PATCH_MANAGEMENT_APPLY_PATCH_COMPLETED');
    expect((await rmm().rescan(CLIENT, 'ws-004', [patchId])).installed).toEqual({ [patchId]: true });
    expect((await rmm().listMissingPatches(CLIENT, ['ws-004'])).map((p) => p.patchId)).not.toContain(patchId);

    const undo = await rmm().submitUninstall(request('ws-004', patchId));
    expect((await rmm().jobStatus(CLIENT, undo.jobId)).state).toBe('succeeded');
    expect((await rmm().rescan(CLIENT, 'ws-004', [patchId])).installed).toEqual({ [patchId]: false });
    expect((await rmm().listMissingPatches(CLIENT, ['ws-004'])).map((p) => p.patchId)).toContain(patchId);
  });

  it('fails deployments on failing hosts and rings, and leaves the patch missing', async () => {
    const [patch] = await rmm().listMissingPatches(CLIENT, ['bad-host']);
    const bad = await rmm().submitDeployment(request('bad-host', patch!.patchId, 'production'));
    const status = await rmm().jobStatus(CLIENT, bad.jobId);
    expect(status.state).toBe('failed');
    expect(status.detail).toContain('PATCH_MANAGEMENT_INSTALL_FAILED');
    expect((await rmm().rescan(CLIENT, 'bad-host', [patch!.patchId])).installed[patch!.patchId]).toBe(false);

    const [canaryPatch] = await rmm().listMissingPatches(CLIENT, ['ws-005']);
    const canary = await rmm().submitDeployment(request('ws-005', canaryPatch!.patchId, 'canary'));
    expect((await rmm().jobStatus(CLIENT, canary.jobId)).state).toBe('failed');
  });

  it('keeps a job pending until its latency has passed', async () => {
    const slow = new SimulatedRmm({ db: db.pool, clientId: CLIENT, simulation: { ...simulation, latencyMs: 60_000 } });
    const [patch] = await slow.listMissingPatches(CLIENT, ['ws-006']);
    const { jobId } = await slow.submitDeployment(request('ws-006', patch!.patchId));
    expect((await slow.jobStatus(CLIENT, jobId)).state).toBe('pending');
    expect((await slow.rescan(CLIENT, 'ws-006', [patch!.patchId])).installed[patch!.patchId]).toBe(false);
  });

  it('refuses a device the client does not have', async () => {
    await expect(rmm().submitDeployment(request('nope-01', 'KB5036893'))).rejects.toThrow(/no device "nope-01"/);
  });

  it('passes workload checks except on failing hosts', async () => {
    expect(await rmm().runWorkloadCheck(CLIENT, 'ws-001', 'ehr-access')).toMatchObject({ check: 'ehr-access', ok: true });
    const failed = await rmm().runWorkloadCheck(CLIENT, 'bad-host', 'email-delivery');
    expect(failed.ok).toBe(false);
    expect(failed.detail).toMatch(/bad-host.*not delivered/);
  });

  it('serves a fixed inventory without asset rows', async () => {
    const fixed = new SimulatedRmm({ db: db.pool, clientId: CLIENT, simulation, inventory: [{ hostname: 'bench-1', os: 'linux', role: 'server', applications: [] }] });
    expect((await fixed.listDevices(CLIENT)).map((d) => d.hostname)).toEqual(['bench-1']);
    const missing = await fixed.listMissingPatches(CLIENT, ['bench-1']);
    expect(missing.map((p) => p.patchId)).toEqual(initiallyMissing(42, 'bench-1', 'linux', []).map((p) => p.id));
    const job = await fixed.submitDeployment(request('bench-1', 'linux-openssl-3.0.13'));
    expect((await fixed.jobStatus(CLIENT, job.jobId)).state).toBe('succeeded');
  });
});

describe('simulated PSA on PostgreSQL', () => {
  const psa = () => new SimulatedPsa({ db: db.pool, clientId: CLIENT, simulation: simulationSchema.parse({}) });
  const ticket = { key: 'gate/cycle/acme-dental/c1/pilot', clientId: CLIENT, summary: 'Pilot gate breached', details: '3 of 12 failed', priority: 'high' as const };

  it('opens one ticket for a key, however often it is asked', async () => {
    const first = await psa().openTicket(ticket);
    const second = await psa().openTicket(ticket);
    expect(first.ticketId).toMatch(/^SIM-\d{4,}$/);
    expect(second).toEqual(first);
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM sim_psa_tickets WHERE key = $1', [ticket.key]);
    expect(rows[0].n).toBe(1);
  });

  it('appends notes once each and closes the ticket', async () => {
    const { ticketId } = await psa().openTicket({ ...ticket, key: 'gate/2' });
    await psa().addNote(ticketId, 'rollback started');
    await psa().addNote(ticketId, 'rollback started');
    await psa().addNote(ticketId, 'rollback verified');
    await psa().closeTicket(ticketId, 'rolled back');
    const { rows } = await db.pool.query('SELECT status, notes FROM sim_psa_tickets WHERE key = $1', ['gate/2']);
    expect(rows[0].status).toBe('closed');
    expect(rows[0].notes.map((n: { text: string }) => n.text)).toEqual(['rollback started', 'rollback verified', 'Resolution: rolled back']);
  });

  it('refuses a note for a ticket that does not exist', async () => {
    await expect(psa().addNote('SIM-999999', 'x')).rejects.toThrow(/no ticket SIM-999999/);
  });
});

describe('simulated snapshots on PostgreSQL', () => {
  const snapshots = () => new SimulatedSnapshots({ db: db.pool, clientId: CLIENT, simulation: simulationSchema.parse({ failingHosts: ['bad-host'] }) });
  const take = (hostname: string) => ({ key: `snap|${hostname}`, clientId: CLIENT, hostname, label: 'before KB5036893' });

  it('takes one snapshot per key, verifies and restores it', async () => {
    const first = await snapshots().take(take('ws-001'));
    expect(await snapshots().take(take('ws-001'))).toEqual(first);
    expect(await snapshots().verify(CLIENT, first.snapshotId)).toMatchObject({ ok: true });
    const restored = await snapshots().restore(CLIENT, first.snapshotId);
    expect(restored.ok).toBe(true);
    const { rows } = await db.pool.query('SELECT state FROM sim_snapshots WHERE key = $1', ['snap|ws-001']);
    expect(rows).toEqual([{ state: 'restored' }]);
  });

  it('fails the restore of a failing host', async () => {
    const { snapshotId } = await snapshots().take(take('bad-host'));
    const restored = await snapshots().restore(CLIENT, snapshotId);
    expect(restored.ok).toBe(false);
    expect(restored.detail).toContain('bad-host');
  });

  it('does not verify a snapshot that does not exist', async () => {
    expect((await snapshots().verify(CLIENT, 'simsnap-987654')).ok).toBe(false);
  });
});

describe('buildClientAdapters', () => {
  function examplePolicy(adapters: Record<string, string>): PatchPolicy {
    const loaded = loadPolicyFile(join(repoRoot(), 'patchctl.example.yaml'));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    const client = loaded.policy.clients[0]!;
    return { ...loaded.policy, clients: [{ ...client, adapters: { ...client.adapters, ...adapters } as typeof client.adapters }] };
  }

  it('gives a client the simulated adapters its policy selects, sharing the database', async () => {
    const lookup = buildClientAdapters({ db: db.pool, policy: examplePolicy({}), env: {} });
    const adapters = lookup('acme-dental');
    expect(adapters.rmm).toBeInstanceOf(SimulatedRmm);
    expect(adapters.psa).toBeInstanceOf(SimulatedPsa);
    expect(adapters.snapshot).toBeInstanceOf(SimulatedSnapshots);
    expect(await adapters.rmm.listDevices('acme-dental')).toHaveLength(22);
    expect(() => lookup('unknown-client')).toThrow(/no client "unknown-client" in policy/);
  });

  it('names the missing environment variable of a vendor adapter', () => {
    const policy = examplePolicy({ psa: 'connectwise' });
    expect(() => buildClientAdapters({ db: db.pool, policy, env: {} })).toThrow(/CONNECTWISE_COMPANY_IDS is not set; it is required for client "acme-dental"/);
    const env = { CONNECTWISE_COMPANY_IDS: '{"acme-dental": 250}', CONNECTWISE_URL: 'https://cw.example/v4_6_release/apis/3.0', CONNECTWISE_COMPANY: 'msp' };
    expect(() => buildClientAdapters({ db: db.pool, policy, env })).toThrow(/CONNECTWISE_PUBLIC_KEY is not set/);
    expect(() => buildClientAdapters({ db: db.pool, policy, env: { ...env, CONNECTWISE_COMPANY_IDS: '{"acme-dental": "x"}' } })).toThrow(
      /CONNECTWISE_COMPANY_IDS\.acme-dental/,
    );
  });

  it('builds vendor adapters from environment variables and secret files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'patchctl-adapters-'));
    try {
      await writeFile(join(dir, 'tactical-key'), 'KEY\n');
      await writeFile(join(dir, 'cw-private'), 'PRIVATE\n');
      await writeFile(join(dir, 'pve-token'), 'patchctl@pve!rollout=abc\n');
      await writeFile(join(dir, 'guests.json'), JSON.stringify({ 'acme-dental': { dc01: { node: 'pve1', vmid: 101 } } }));
      const adapters = buildClientAdapters({
        db: db.pool,
        policy: examplePolicy({ rmm: 'tactical-rmm', psa: 'connectwise', snapshot: 'proxmox' }),
        env: {
          TACTICAL_RMM_URL: 'https://rmm.example',
          TACTICAL_RMM_API_KEY_FILE: join(dir, 'tactical-key'),
          CONNECTWISE_URL: 'https://cw.example/v4_6_release/apis/3.0',
          CONNECTWISE_COMPANY: 'msp',
          CONNECTWISE_PUBLIC_KEY: 'pub',
          CONNECTWISE_PRIVATE_KEY_FILE: join(dir, 'cw-private'),
          CONNECTWISE_CLIENT_ID: 'integration-id',
          CONNECTWISE_COMPANY_IDS: '{"acme-dental": 250}',
          PROXMOX_URL: 'https://pve.example:8006/api2/json',
          PROXMOX_TOKEN_FILE: join(dir, 'pve-token'),
          PROXMOX_GUESTS_FILE: join(dir, 'guests.json'),
        },
      })('acme-dental');
      expect(adapters.rmm).toBeInstanceOf(TacticalRmm);
      expect(adapters.psa).toBeInstanceOf(ConnectWisePsa);
      expect(adapters.snapshot).toBeInstanceOf(ProxmoxSnapshots);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names what a NinjaOne client lacks: its settings block, then its credentials', () => {
    expect(() => buildClientAdapters({ db: db.pool, policy: examplePolicy({ rmm: 'ninjaone' }), env: {} })).toThrow(/adapters\.ninjaone settings are missing/);
    const withSettings = examplePolicy({ rmm: 'ninjaone' });
    (withSettings.clients[0]!.adapters as Record<string, unknown>).ninjaone = { url: 'https://eu.ninjarmm.com', organizationId: 3, tokenPath: '/ws/oauth/token' };
    expect(() => buildClientAdapters({ db: db.pool, policy: withSettings, env: {} })).toThrow(/NINJAONE_CLIENT_ID is not set; it is required for client "acme-dental"/);
  });
});
