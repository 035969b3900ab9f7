import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProxmoxSnapshots, snapshotNameFor } from '../../activities/adapters/snapshot/proxmox';
import type { SnapshotRequest } from '../../activities/ports';
import { type FakeProxmox, startFakeProxmox } from '../support/fakes/proxmox-server';

const TOKEN = 'patchctl@pve!rollout=4f1c2d3e-aaaa-bbbb-cccc-123456789abc';
let fake: FakeProxmox;
const waits: number[] = [];

function adapter(apiToken = TOKEN): ProxmoxSnapshots {
  return new ProxmoxSnapshots({
    baseUrl: fake.apiUrl,
    apiToken,
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
});
