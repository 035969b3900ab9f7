import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ProxmoxOptions, ProxmoxSnapshots, snapshotNameFor } from '../../activities/adapters/snapshot/proxmox';
import type { SnapshotRequest } from '../../activities/ports';
import { type FakeProxmox, startFakeProxmox } from '../support/fakes/proxmox-server';

const TOKEN = 'patchctl@pve!rollout=4f1c2d3e-aaaa-bbbb-cccc-123456789abc';
let fake: FakeProxmox;
const waits: number[] = [];

function adapter(apiToken = TOKEN, drill: ProxmoxOptions['drill'] = undefined): ProxmoxSnapshots {
  return new ProxmoxSnapshots({
    baseUrl: fake.apiUrl,
    apiToken,
    ...(drill ? { drill } : {}),
    guests: { dc01: { node: 'pve1', vmid: 101 }, ehr01: { node: 'pve2', vmid: 202 } },
    pollIntervalMs: 500,
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
}

const request = (hostname: string, key = `snap|cycle/acme-dental/c1|canary|${hostname}`): SnapshotRequest => ({
  key,
  clientId: 'acme-dental',
  hostname,
  label: 'before KB5036909',
});

beforeAll(async () => {
  fake = await startFakeProxmox(TOKEN);
});

afterAll(async () => {
  await fake?.stop();
});

beforeEach(() => {
  fake.calls.length = 0;
  fake.guests.clear();
  fake.guests.set('pve1/101', []);
  fake.guests.set('pve2/202', []);
  fake.failingRollbacks.clear();
  fake.rollbacks.length = 0;
  fake.taskPolls = 2;
  fake.power.clear();
  fake.configs.clear();
  fake.configs.set('pve1/101', { name: 'dc01', net0: 'virtio=BC:24:11:AA:01:01,bridge=vmbr0,firewall=1', net1: 'e1000=BC:24:11:AA:01:02,bridge=vmbr1', scsi0: 'local-lvm:vm-101-disk-0,size=64G' });
  fake.configs.set('pve2/202', { name: 'ehr01', net0: 'virtio=BC:24:11:BB:02:01,bridge=vmbr0' });
  fake.clones.length = 0;
  fake.destroyed.length = 0;
  fake.failingBoots.clear();
  fake.ignoredConfigWrites.clear();
  fake.bootedWith.length = 0;
  waits.length = 0;
});

describe('Proxmox snapshot adapter against a fake Proxmox VE', () => {
  it('takes a snapshot, polling the task until it stops OK', async () => {
    const { snapshotId } = await adapter().take(request('dc01'));
    const name = snapshotNameFor(request('dc01').key);
    expect(snapshotId).toBe(`pve1/101/${name}`);
    expect(fake.guests.get('pve1/101')!.map((s) => s.name)).toEqual([name]);
    const post = fake.calls.find((c) => c.method === 'POST')!;
    expect(post.path).toBe('/api2/json/nodes/pve1/qemu/101/snapshot');
    expect(new URLSearchParams(post.body).get('snapname')).toBe(name);
    expect(fake.calls.filter((c) => c.path.endsWith('/status')).length).toBe(3);
    expect(waits).toEqual([500, 500]);
  });

  it('lists first, so taking the same snapshot again creates nothing', async () => {
    const first = await adapter().take(request('dc01'));
    fake.calls.length = 0;
    const second = await adapter().take(request('dc01'));
    expect(second).toEqual(first);
    expect(fake.calls.map((c) => c.method)).toEqual(['GET']);
    expect(fake.guests.get('pve1/101')).toHaveLength(1);
  });

  it('verifies a present snapshot and not a missing one', async () => {
    const { snapshotId } = await adapter().take(request('dc01'));
    expect(await adapter().verify('acme-dental', snapshotId)).toMatchObject({ ok: true, detail: expect.stringContaining('2025-11-29T03:00:00.000Z') });
    expect((await adapter().verify('acme-dental', 'pve1/101/pc_missing')).ok).toBe(false);
  });

  it('restores by rollback and reports a failed rollback task as not ok', async () => {
    const dc = await adapter().take(request('dc01'));
    expect(await adapter().restore('acme-dental', dc.snapshotId)).toMatchObject({ ok: true });
    expect(fake.rollbacks).toEqual([dc.snapshotId]);

    const ehr = await adapter().take(request('ehr01'));
    fake.failingRollbacks.add(202);
    const failed = await adapter().restore('acme-dental', ehr.snapshotId);
    expect(failed.ok).toBe(false);
    expect(failed.detail).toContain("qmp command 'loadvm' failed");
  });

  it('starts the guest after a rollback to a disk-only snapshot, waiting for both tasks to finish OK', async () => {
    const dc = await adapter().take(request('dc01'));
    fake.taskPolls = 2;
    const restored = await adapter().restore('acme-dental', dc.snapshotId);
    expect(restored).toMatchObject({ ok: true, detail: expect.stringContaining('started') });
    expect(fake.power.get('pve1/101')).toBe('running');
    const started = fake.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/status/start'));
    expect(started).toHaveLength(1);
    // Each task's UPID was polled until it stopped.
    expect(fake.calls.filter((c) => c.path.includes('/tasks/') && c.path.includes('qmstart')).length).toBeGreaterThanOrEqual(3);
  });

  it('fails a snapshot task that does not stop OK, as a retryable error', async () => {
    fake.guests.delete('pve2/202');
    await expect(adapter().take(request('ehr01'))).rejects.toMatchObject({ nonRetryable: false, status: 500 });
  });

  it('refuses a host without a configured guest, and bad credentials, without retrying', async () => {
    await expect(adapter().take(request('ws-001'))).rejects.toMatchObject({ nonRetryable: true, message: expect.stringContaining('no node/vmid configured for host "ws-001"') });
    await expect(adapter('patchctl@pve!rollout=wrong').take(request('dc01'))).rejects.toMatchObject({
      nonRetryable: true,
      status: 401,
      message: expect.stringMatching(/^Proxmox VE GET .* HTTP 401/),
    });
  });

  it('retries a 429 after its Retry-After', async () => {
    fake.rateLimitNext(1);
    fake.taskPolls = 0;
    await adapter().take(request('dc01'));
    expect(waits).toEqual([1000]);
    expect(fake.guests.get('pve1/101')).toHaveLength(1);
  });

  describe('restore drill into an isolated clone', () => {
    it('clones the snapshot to a free VMID, cuts its network before it boots, checks it runs, then destroys it', async () => {
      const { snapshotId } = await adapter().take(request('dc01'));
      const name = snapshotNameFor(request('dc01').key);
      const drill = await adapter().testRestore('acme-dental', snapshotId, 'dc01');
      expect(drill).toMatchObject({ mode: 'isolated-copy', ok: true, detail: expect.stringContaining('dc01 restored into isolated clone 100') });
      expect(fake.clones).toEqual([`pve1/101/${name} → 100`]);
      const clone = fake.calls.find((c) => c.method === 'POST' && c.path.endsWith('/qemu/101/clone'))!;
      expect(Object.fromEntries(new URLSearchParams(clone.body))).toMatchObject({ newid: '100', snapname: name, full: '1' });
      // It never booted with a live link: both NICs were down when the guest started.
      expect(fake.bootedWith).toEqual([{ guest: 'pve1/100', nets: [expect.stringContaining('link_down=1'), expect.stringContaining('link_down=1')] }]);
      expect(fake.destroyed).toEqual(['pve1/100']);
      expect(fake.guests.has('pve1/100')).toBe(false);
      expect(drill.steps.map((s) => [s.step, s.ok])).toEqual([
        ['find snapshot', true],
        ['clone into isolated copy', true],
        ['isolate network', true],
        ['boot and check', true],
        ['discard copy', true],
      ]);
      expect(drill.steps[2]!.detail).toContain('net0, net1 link down');
      // The source guest was not touched.
      expect(fake.configs.get('pve1/101')!.net0).toBe('virtio=BC:24:11:AA:01:01,bridge=vmbr0,firewall=1');
      expect(fake.rollbacks).toEqual([]);
    });

    it('moves the clone onto an isolated bridge when one is configured', async () => {
      const { snapshotId } = await adapter().take(request('ehr01'));
      const drill = await adapter(TOKEN, { isolatedBridge: 'vmbr99' }).testRestore('acme-dental', snapshotId, 'ehr01');
      expect(drill.ok).toBe(true);
      expect(fake.bootedWith[0]!.nets).toEqual(['virtio=BC:24:11:BB:02:01,bridge=vmbr99']);
      expect(drill.steps[2]!.detail).toContain('net0 on bridge vmbr99');
    });

    it('does not boot a clone whose network it could not cut, and still destroys it', async () => {
      const { snapshotId } = await adapter().take(request('dc01'));
      fake.ignoredConfigWrites.add(100);
      const drill = await adapter().testRestore('acme-dental', snapshotId, 'dc01');
      expect(drill).toMatchObject({ mode: 'isolated-copy', ok: false, detail: expect.stringContaining('not booted') });
      expect(fake.bootedWith).toEqual([]);
      expect(fake.destroyed).toEqual(['pve1/100']);
      expect(drill.steps.find((s) => s.step === 'isolate network')).toMatchObject({ ok: false, detail: expect.stringContaining('net0') });
    });

    it('records a clone that does not boot as a failed drill, destroyed all the same', async () => {
      const { snapshotId } = await adapter().take(request('dc01'));
      fake.failingBoots.add(101);
      const drill = await adapter().testRestore('acme-dental', snapshotId, 'dc01');
      expect(drill).toMatchObject({ ok: false, detail: expect.stringContaining('did not boot') });
      expect(drill.steps.find((s) => s.step === 'boot and check')).toMatchObject({ ok: false, detail: expect.stringContaining('QEMU exited with code 1') });
      expect(fake.destroyed).toEqual(['pve1/100']);
    });

    it('removes a clone a crashed earlier attempt left behind before it clones again', async () => {
      const { snapshotId } = await adapter().take(request('dc01'));
      fake.guests.set('pve1/100', []);
      fake.power.set('pve1/100', 'running');
      fake.configs.set('pve1/100', { name: `drill-${snapshotNameFor(request('dc01').key).replace(/_/g, '-')}`, net0: 'virtio=x,bridge=vmbr0,link_down=1' });
      const drill = await adapter().testRestore('acme-dental', snapshotId, 'dc01');
      expect(drill.ok).toBe(true);
      expect(fake.destroyed).toEqual(['pve1/100', 'pve1/100']);
      expect(fake.clones).toHaveLength(1);
    });

    it('answers a snapshot that is gone with a failed drill and clones nothing', async () => {
      const drill = await adapter().testRestore('acme-dental', 'pve1/101/pc_missing', 'dc01');
      expect(drill).toMatchObject({ mode: 'isolated-copy', ok: false });
      expect(fake.clones).toEqual([]);
    });
  });
});
