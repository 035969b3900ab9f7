import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { RestoreTestResult, SnapshotPort, SnapshotRequest } from '../../ports';
import { createHttpJson, type HttpJson, httpTuning } from '../http-json';
import { drillIntoIsolatedClone, type ProxmoxDrillOptions } from './proxmox-drill';
import { failure } from '../../../domain/failure-catalog';

// Proxmox VE snapshots of QEMU guests. Proxmox accepts a snapshot request whose name is already used
// and only fails later inside the task, so take() lists the guest's snapshots first. Every write
// returns a task id (UPID) that is polled until it stops; only exitstatus "OK" is success.
// Self-signed cluster certificates: point NODE_EXTRA_CA_CERTS at the cluster CA.

const VENDOR = 'Proxmox VE';

export interface ProxmoxGuest {
  node: string;
  vmid: number;
}

export interface ProxmoxOptions {
  /** e.g. https://pve1.example:8006/api2/json */
  baseUrl: string;
  /** Full API token: USER@REALM!TOKENID=SECRET */
  apiToken: string;
  /** Where each of the client's hostnames runs. */
  guests: Readonly<Record<string, ProxmoxGuest>>;
  /** Save RAM state too (slower, bigger; a rollback then resumes the running guest). */
  vmstate?: boolean;
  /** Restore drills: how the isolated clone is cut off (default: every network device's link down). */
  drill?: ProxmoxDrillOptions;
  pollIntervalMs?: number;
  /** How long one snapshot or rollback task may run before the activity gives up on this attempt. */
  taskTimeoutMs?: number;
  timeoutMs?: number;
  rateLimitRetries?: number;
  maxRetryAfterMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

// Every Proxmox answer is wrapped in { data: ... }.
const snapshotListSchema = z
  .object({ data: z.array(z.object({ name: z.string(), description: z.string().nullish(), snaptime: z.number().nullish() })) })
  .transform((body) => body.data);
const upidSchema = z.object({ data: z.string().min(1) }).transform((body) => body.data);
const guestStatusSchema = z.object({ data: z.object({ status: z.string() }) }).transform((body) => body.data);
const taskStatusSchema = z.object({ data: z.object({ status: z.string(), exitstatus: z.string().nullish() }) }).transform((body) => body.data);

/** Proxmox snapshot names: a letter first, then letters, digits, _ and -, at most 40 characters. */
export function snapshotNameFor(key: string): string {
  return `pc_${createHash('sha256').update(key).digest('hex').slice(0, 24)}`;
}

function refused(message: string): ApplicationFailure {
  return failure('VendorRejected', `${VENDOR}: ${message}`);
}

interface SnapshotRef extends ProxmoxGuest {
  name: string;
}

/** `node/vmid/name`: the id alone says where to find the snapshot, no lookup table needed. */
function parseSnapshotId(snapshotId: string): SnapshotRef {
  const match = /^([^/]+)\/(\d+)\/([A-Za-z][A-Za-z0-9_-]*)$/.exec(snapshotId);
  if (!match) throw refused(`snapshot id must look like NODE/VMID/NAME, got "${snapshotId}"`);
  return { node: match[1]!, vmid: Number(match[2]), name: match[3]! };
}

export class ProxmoxSnapshots implements SnapshotPort {
  private readonly http: HttpJson;
  private readonly options: ProxmoxOptions;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: ProxmoxOptions) {
    this.options = options;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.http = createHttpJson({
      vendor: VENDOR,
      baseUrl: options.baseUrl,
      headers: { Authorization: `PVEAPIToken=${options.apiToken}` },
      ...httpTuning(options),
    });
  }

  private guestPath(guest: ProxmoxGuest): string {
    return `/nodes/${encodeURIComponent(guest.node)}/qemu/${guest.vmid}/snapshot`;
  }

  private listSnapshots(guest: ProxmoxGuest) {
    return this.http('GET', this.guestPath(guest), { schema: snapshotListSchema });
  }

  /** Waits for a task to stop; returns its exit status ("OK" or the error text). */
  private async waitForTask(node: string, upid: string): Promise<string> {
    const deadline = Date.now() + (this.options.taskTimeoutMs ?? 600_000);
    for (;;) {
      const task = await this.http('GET', `/nodes/${encodeURIComponent(node)}/tasks/${encodeURIComponent(upid)}/status`, { schema: taskStatusSchema });
      if (task.status === 'stopped') return task.exitstatus ?? 'unknown exit status';
      if (Date.now() > deadline) {
        // Retryable: the task keeps running on the cluster, and the next attempt finds its snapshot.
        throw failure('VendorUnavailable', `${VENDOR}: task ${upid} still running after ${this.options.taskTimeoutMs ?? 600_000} ms`);
      }
      await this.sleep(this.options.pollIntervalMs ?? 2_000);
    }
  }

  async take(request: SnapshotRequest): Promise<{ snapshotId: string }> {
    const guest = this.options.guests[request.hostname];
    if (!guest) throw refused(`no node/vmid configured for host "${request.hostname}" (PROXMOX_GUESTS_FILE)`);
    const name = snapshotNameFor(request.key);
    const snapshotId = `${guest.node}/${guest.vmid}/${name}`;
    if ((await this.listSnapshots(guest)).some((s) => s.name === name)) return { snapshotId };
    const upid = await this.http('POST', this.guestPath(guest), {
      form: { snapname: name, description: `patchctl ${request.label} (${request.key})`, vmstate: this.options.vmstate ? 1 : 0 },
      schema: upidSchema,
    });
    const exit = await this.waitForTask(guest.node, upid);
    if (exit === 'OK') return { snapshotId };
    // A concurrent attempt may have created it first; its snapshot is as good as ours.
    if ((await this.listSnapshots(guest)).some((s) => s.name === name)) return { snapshotId };
    throw failure('VendorUnavailable', `${VENDOR}: snapshot of ${request.hostname} (vmid ${guest.vmid}) failed: ${exit}`);
  }

  async verify(_clientId: string, snapshotId: string): Promise<{ ok: boolean; detail: string }> {
    const ref = parseSnapshotId(snapshotId);
    const found = (await this.listSnapshots(ref)).find((s) => s.name === ref.name);
    if (!found) return { ok: false, detail: `snapshot ${ref.name} not found on vmid ${ref.vmid} (node ${ref.node})` };
    const when = found.snaptime ? ` taken ${new Date(found.snaptime * 1000).toISOString()}` : '';
    return { ok: true, detail: `snapshot ${ref.name} present on vmid ${ref.vmid} (node ${ref.node})${when}` };
  }

  async restore(_clientId: string, snapshotId: string): Promise<{ ok: boolean; detail: string }> {
    const ref = parseSnapshotId(snapshotId);
    const upid = await this.http('POST', `${this.guestPath(ref)}/${encodeURIComponent(ref.name)}/rollback`, { form: {}, schema: upidSchema });
    const exit = await this.waitForTask(ref.node, upid);
    if (exit !== 'OK') return { ok: false, detail: `rollback of vmid ${ref.vmid} to ${ref.name} failed: ${exit}` };
    // A snapshot without RAM state comes back powered off: a core server must be running again.
    const started = await this.startGuest(ref);
    return started.ok
      ? { ok: true, detail: `vmid ${ref.vmid} rolled back to ${ref.name}: task ${upid} OK; ${started.detail}` }
      : { ok: false, detail: `vmid ${ref.vmid} rolled back to ${ref.name} (task ${upid} OK) but ${started.detail}` };
  }

  private async startGuest(guest: ProxmoxGuest): Promise<{ ok: boolean; detail: string }> {
    const base = `/nodes/${encodeURIComponent(guest.node)}/qemu/${guest.vmid}/status`;
    const current = await this.http('GET', `${base}/current`, { schema: guestStatusSchema });
    if (current.status === 'running') return { ok: true, detail: 'guest running' };
    const upid = await this.http('POST', `${base}/start`, { form: {}, schema: upidSchema });
    const exit = await this.waitForTask(guest.node, upid);
    return exit === 'OK' ? { ok: true, detail: `guest started (task ${upid} OK)` } : { ok: false, detail: `the guest did not start: ${exit}` };
  }

  /** A restore drill: the snapshot cloned to a new VMID without network, booted, checked, destroyed. */
  async testRestore(clientId: string, snapshotId: string, hostname: string): Promise<RestoreTestResult> {
    const ref = parseSnapshotId(snapshotId);
    return drillIntoIsolatedClone(
      { http: this.http, waitForTask: (node, upid) => this.waitForTask(node, upid), findSnapshot: () => this.verify(clientId, snapshotId) },
      { node: ref.node, vmid: ref.vmid, snapshot: ref.name, hostname },
      this.options.drill,
    );
  }
}
