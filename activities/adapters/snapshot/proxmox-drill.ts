import { z } from 'zod';
import type { DrillStep } from '../../../domain/discovery/restore-drill';
import type { RestoreTestResult } from '../../ports';
import type { HttpJson } from '../http-json';

// A restore drill on Proxmox VE: a full clone of the guest from the drill's snapshot under a new VMID,
// its network cut (or moved onto an isolated bridge) BEFORE it first boots, started, checked running,
// then stopped and destroyed. The source guest and its snapshot are never written. A clone left behind
// by an attempt that died halfway is found by its deterministic name and destroyed before the next one.

export interface ProxmoxDrillOptions {
  /** Bridge with no uplink to put the clone's network devices on; without one every device's link is set down. */
  isolatedBridge?: string;
  /** Target storage for the clone's disks (default: the source's). */
  storage?: string;
}

export interface ProxmoxDrillContext {
  http: HttpJson;
  /** Polls a task until it stops; returns its exitstatus ("OK" or the error). */
  waitForTask(node: string, upid: string): Promise<string>;
  /** Whether the snapshot is there, in words for the evidence. */
  findSnapshot(): Promise<{ ok: boolean; detail: string }>;
}

export interface DrillSource {
  node: string;
  vmid: number;
  snapshot: string;
  hostname: string;
}

const upidSchema = z.object({ data: z.string().min(1) }).transform((body) => body.data);
// Proxmox answers the next free id as a string; accept a number too.
const nextIdSchema = z.object({ data: z.union([z.string().regex(/^\d+$/), z.number().int()]) }).transform((body) => Number(body.data));
const guestListSchema = z.object({ data: z.array(z.object({ vmid: z.union([z.number().int(), z.string().regex(/^\d+$/)]).transform(Number), name: z.string().nullish(), status: z.string().nullish() })) }).transform((body) => body.data);
const configSchema = z.object({ data: z.record(z.string(), z.unknown()) }).transform((body) => body.data);
const statusSchema = z.object({ data: z.object({ status: z.string() }) }).transform((body) => body.data);
const nothingSchema = z.object({ data: z.unknown() });

const NIC = /^net\d+$/;

/** Proxmox VM names are DNS labels: the snapshot name with `_` made `-`, prefixed so a person knows what it is. */
export function drillCloneName(snapshot: string): string {
  return `drill-${snapshot.replace(/_/g, '-')}`.slice(0, 63);
}

/** A NIC's property string with its link down, or moved onto the isolated bridge. */
function isolatedNic(value: string, bridge: string | undefined): string {
  const parts = value.split(',').filter((p) => !p.startsWith('link_down='));
  if (bridge) return [...parts.filter((p) => !p.startsWith('bridge=')), `bridge=${bridge}`].join(',');
  return [...parts, 'link_down=1'].join(',');
}

function isIsolated(value: string, bridge: string | undefined): boolean {
  const parts = value.split(',');
  return bridge ? parts.includes(`bridge=${bridge}`) : parts.includes('link_down=1');
}

export async function drillIntoIsolatedClone(ctx: ProxmoxDrillContext, source: DrillSource, options: ProxmoxDrillOptions = {}): Promise<RestoreTestResult> {
  const { http } = ctx;
  const node = encodeURIComponent(source.node);
  const steps: DrillStep[] = [];
  const failed = (detail: string): RestoreTestResult => ({ mode: 'isolated-copy', ok: false, detail, steps });

  const found = await ctx.findSnapshot();
  steps.push({ step: 'find snapshot', ok: found.ok, detail: found.detail });
  if (!found.ok) return failed(`snapshot ${source.snapshot} of ${source.hostname} not found: nothing cloned`);

  const name = drillCloneName(source.snapshot);
  const destroy = async (vmid: number): Promise<string> => {
    const current = await http('GET', `/nodes/${node}/qemu/${vmid}/status/current`, { schema: statusSchema });
    if (current.status === 'running') {
      const stopped = await ctx.waitForTask(source.node, await http('POST', `/nodes/${node}/qemu/${vmid}/status/stop`, { form: {}, schema: upidSchema }));
      if (stopped !== 'OK') return `stop failed: ${stopped}`;
    }
    const upid = await http('DELETE', `/nodes/${node}/qemu/${vmid}`, { query: { purge: 1, 'destroy-unreferenced-disks': 1 }, schema: upidSchema });
    return ctx.waitForTask(source.node, upid);
  };

  for (const guest of await http('GET', `/nodes/${node}/qemu`, { schema: guestListSchema })) {
    if (guest.name !== name || guest.vmid === source.vmid) continue;
    const exit = await destroy(guest.vmid);
    if (exit !== 'OK') return failed(`an earlier drill's clone ${guest.vmid} (${name}) could not be removed: ${exit}`);
  }

  const newid = await http('GET', '/cluster/nextid', { schema: nextIdSchema });
  const cloned = await ctx.waitForTask(
    source.node,
    await http('POST', `/nodes/${node}/qemu/${source.vmid}/clone`, {
      // A clone from a snapshot must be full: linked clones come only from templates.
      form: { newid, snapname: source.snapshot, name, full: 1, description: `patchctl restore drill of ${source.hostname} from ${source.snapshot}; destroyed after the drill`, ...(options.storage ? { storage: options.storage } : {}) },
      schema: upidSchema,
    }),
  );
  steps.push({ step: 'clone into isolated copy', ok: cloned === 'OK', detail: cloned === 'OK' ? `vmid ${newid} (${name}) cloned from ${source.snapshot} of vmid ${source.vmid}` : `clone to vmid ${newid} failed: ${cloned}` });
  if (cloned !== 'OK') return failed(`${source.hostname} could not be cloned from ${source.snapshot}: ${cloned}`);

  let result: RestoreTestResult;
  try {
    result = await isolateBootAndCheck(ctx, source, newid, options, steps);
  } finally {
    const exit = await destroy(newid);
    steps.push({ step: 'discard copy', ok: exit === 'OK', detail: exit === 'OK' ? `vmid ${newid} stopped and destroyed with its disks` : `vmid ${newid} could not be destroyed: ${exit}; remove it by hand` });
  }
  return { ...result, ok: result.ok && steps.every((s) => s.ok), steps };
}

async function isolateBootAndCheck(ctx: ProxmoxDrillContext, source: DrillSource, newid: number, options: ProxmoxDrillOptions, steps: DrillStep[]): Promise<RestoreTestResult> {
  const { http } = ctx;
  const base = `/nodes/${encodeURIComponent(source.node)}/qemu/${newid}`;
  const nics = async () => Object.entries(await http('GET', `${base}/config`, { schema: configSchema })).filter((e): e is [string, string] => NIC.test(e[0]) && typeof e[1] === 'string');

  const before = await nics();
  if (before.length > 0) {
    await http('PUT', `${base}/config`, { form: Object.fromEntries(before.map(([key, value]) => [key, isolatedNic(value, options.isolatedBridge)])), schema: nothingSchema });
  }
  // Read back: boot only what the hypervisor itself says is cut off.
  const after = await nics();
  const live = after.filter(([, value]) => !isIsolated(value, options.isolatedBridge)).map(([key]) => key);
  const how = options.isolatedBridge ? `on bridge ${options.isolatedBridge}` : 'link down';
  const isolation = live.length === 0;
  steps.push({
    step: 'isolate network',
    ok: isolation,
    detail: isolation
      ? after.length === 0 ? 'the clone has no network devices' : `${after.map(([key]) => key).join(', ')} ${how}`
      : `${live.join(', ')} still connected after the config change (${live.map((k) => after.find(([key]) => key === k)![1]).join('; ')})`,
  });
  if (!isolation) return { mode: 'isolated-copy', ok: false, detail: `clone ${newid} of ${source.hostname} not booted: its network could not be cut off`, steps };

  const started = await ctx.waitForTask(source.node, await http('POST', `${base}/status/start`, { form: {}, schema: upidSchema }));
  const status = started === 'OK' ? (await http('GET', `${base}/status/current`, { schema: statusSchema })).status : undefined;
  const booted = status === 'running';
  steps.push({ step: 'boot and check', ok: booted, detail: booted ? `vmid ${newid} started and running on the isolated network` : started !== 'OK' ? `start failed: ${started}` : `vmid ${newid} is ${status} after its start task` });
  return booted
    ? { mode: 'isolated-copy', ok: true, detail: `${source.hostname} restored into isolated clone ${newid} from ${source.snapshot} and booted`, steps }
    : { mode: 'isolated-copy', ok: false, detail: `restore of ${source.hostname} into clone ${newid} did not boot`, steps };
}
