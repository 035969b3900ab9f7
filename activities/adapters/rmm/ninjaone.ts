import type { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { OperatingSystem, Severity, WorkloadCheck } from '../../../config/policy-schema';
import { failure } from '../../../domain/failure-catalog';
import type { DeploymentRequest, JobStatus, MissingPatch, RescanResult, RmmDevice, RmmPort, RmmSoftware, WorkloadCheckResult } from '../../ports';
import { createHttpJson, type HttpJson, httpTuning } from '../http-json';
import { createOAuthTokenSource } from '../oauth-token';

// NinjaOne API v2. Two facts shape this adapter:
// - `POST /v2/device/{id}/patch/{os|software}/apply` answers 204 with no job id and installs EVERY
//   patch approved for the device (by policy or override); the API has no call that approves one
//   patch. So per-KB control lives in NinjaOne's approvals: a KB that is not approved is refused
//   here (with what to do), a rejected one too (a KB rejection beats an approval), and the job's
//   detail names every patch the apply installed, so evidence never hides a patch that rode along.
// - Completion is read back from the install records (`/v2/queries/os-patch-installs`) and the
//   device's activity feed, correlated by the activity id and time taken just before the apply.
//   The job id carries both, so any worker can answer jobStatus without local state.

const VENDOR = 'NinjaOne';
const SOFTWARE_PREFIX = 'sw:';

export interface NinjaOneOptions {
  /** Regional instance, e.g. https://eu.ninjarmm.com */
  baseUrl: string;
  tokenPath?: string;
  clientId: string;
  clientSecret: string;
  /** patchctl client this adapter serves. */
  patchctlClientId: string;
  organizationId: number;
  pageSize?: number;
  timeoutMs?: number;
  rateLimitRetries?: number;
  maxRetryAfterMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const deviceSchema = z.object({
  id: z.number().int(),
  organizationId: z.number().int(),
  nodeClass: z.string(),
  offline: z.boolean(),
  systemName: z.string().min(1),
  displayName: z.string().nullish(),
});
type Device = z.infer<typeof deviceSchema>;

const idSchema = z.union([z.string().min(1), z.number()]).transform(String);
const osPatchSchema = z.object({
  id: idSchema,
  name: z.string(),
  kbNumber: z.string().nullish(),
  severity: z.string().nullish(),
  status: z.string(),
  deviceId: z.number().int(),
});
/** A row of the software inventory query; only what discovery reads is required. */
const softwareRowSchema = z.object({ deviceId: z.number().int(), name: z.string().min(1) });

const softwarePatchSchema = z.object({
  id: idSchema,
  title: z.string(),
  productIdentifier: z.string().nullish(),
  impact: z.string().nullish(),
  status: z.string(),
  deviceId: z.number().int(),
});
const installSchema = z.object({
  id: idSchema,
  name: z.string().nullish(),
  kbNumber: z.string().nullish(),
  status: z.enum(['INSTALLED', 'FAILED']),
  installedAt: z.number().nullish(),
  timestamp: z.number().nullish(),
  deviceId: z.number().int(),
});
type Install = z.infer<typeof installSchema>;
const activitiesSchema = z.object({
  lastActivityId: z.number().int().nullish(),
  activities: z.array(z.object({ id: z.number().int(), statusCode: z.string().nullish(), message: z.string().nullish(), activityTime: z.number().nullish() })),
});

const queryPage = <T extends z.ZodTypeAny>(row: T) =>
  z.object({ cursor: z.object({ name: z.string().min(1) }).nullish(), results: z.array(row) });

function osOf(nodeClass: string): OperatingSystem | undefined {
  if (nodeClass.startsWith('WINDOWS')) return 'windows';
  if (nodeClass.startsWith('MAC')) return 'macos';
  if (nodeClass.startsWith('LINUX')) return 'linux';
  return undefined;
}

function osSeverity(value: string | null | undefined): Severity {
  const v = (value ?? '').toUpperCase();
  return v === 'CRITICAL' ? 'critical' : v === 'IMPORTANT' ? 'high' : 'routine';
}

function softwareSeverity(value: string | null | undefined): Severity {
  const v = (value ?? '').toUpperCase();
  return v === 'CRITICAL' ? 'critical' : v === 'RECOMMENDED' ? 'high' : 'routine';
}

function normKb(kb: string): string {
  return kb.trim().toUpperCase().replace(/^(KB)?/, 'KB');
}

function osPatchId(patch: { kbNumber?: string | null; id: string }): string {
  return patch.kbNumber ? normKb(patch.kbNumber) : patch.id;
}

function refused(message: string): ApplicationFailure {
  return failure('VendorRejected', `${VENDOR}: ${message}`);
}

interface JobRef {
  kind: 'os' | 'software';
  deviceId: number;
  /** Newest activity id before the apply: later activities belong to it. */
  mark: number;
  /** Epoch seconds of the submit: installs from before belong to someone else. */
  since: number;
  patchId: string;
}

/** `os|software:DEVICE:MARK:SINCE:PATCH` */
function jobIdOf(ref: JobRef): string {
  return `${ref.kind}:${ref.deviceId}:${ref.mark}:${ref.since}:${ref.patchId}`;
}

function parseJobId(jobId: string): JobRef {
  const match = /^(os|software):(\d+):(\d+):(\d+):(.+)$/.exec(jobId);
  if (!match) throw refused(`job id must look like os|software:DEVICE:MARK:SINCE:PATCH, got "${jobId}"`);
  return { kind: match[1] as JobRef['kind'], deviceId: Number(match[2]), mark: Number(match[3]), since: Number(match[4]), patchId: match[5]! };
}

/** Installs may be stamped a little before our clock read the submit time. */
const CLOCK_SKEW_S = 120;

export class NinjaOneRmm implements RmmPort {
  private readonly http: HttpJson;
  private readonly options: NinjaOneOptions;
  private readonly pageSize: number;
  private devices?: Map<string, Device>;

  constructor(options: NinjaOneOptions) {
    this.options = options;
    this.pageSize = options.pageSize ?? 1000;
    const base = options.baseUrl.replace(/\/+$/, '');
    const auth = createOAuthTokenSource({
      vendor: VENDOR,
      tokenUrl: `${base}${options.tokenPath ?? '/ws/oauth/token'}`,
      // No offline_access: the client-credentials grant gets no refresh token, and some regions refuse the scope.
      form: { grant_type: 'client_credentials', client_id: options.clientId, client_secret: options.clientSecret, scope: 'monitoring management control' },
      timeoutMs: options.timeoutMs,
      sleep: options.sleep,
      now: options.now,
    });
    this.http = createHttpJson({
      vendor: VENDOR,
      baseUrl: base,
      auth,
      ...httpTuning(options),
    });
  }

  private checkClient(clientId: string): void {
    if (clientId !== this.options.patchctlClientId) throw refused(`adapter for client "${this.options.patchctlClientId}" was asked about client "${clientId}"`);
  }

  private get orgFilter(): string {
    return `org = ${this.options.organizationId}`;
  }

  /** Every page of a cursor query; a malformed page fails the whole read, so no partial list is returned. */
  private async query<T extends z.ZodTypeAny>(path: string, df: string, row: T, extra: Record<string, string> = {}): Promise<z.infer<T>[]> {
    const rows: z.infer<T>[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 100_000; pages++) {
      const page = await this.http('GET', path, { query: { df, pageSize: this.pageSize, cursor, ...extra }, schema: queryPage(row) });
      rows.push(...page.results);
      if (page.results.length < this.pageSize || !page.cursor) return rows;
      cursor = page.cursor.name;
    }
    throw refused(`${path} kept returning pages; stopped after 100000`);
  }

  private async loadDevices(): Promise<Map<string, Device>> {
    const all: Device[] = [];
    let after: number | undefined;
    for (;;) {
      const page = await this.http('GET', '/v2/devices-detailed', { query: { df: this.orgFilter, pageSize: this.pageSize, after }, schema: z.array(deviceSchema) });
      all.push(...page);
      if (page.length < this.pageSize) break;
      after = page[page.length - 1]!.id;
    }
    this.devices = new Map(all.filter((d) => d.organizationId === this.options.organizationId).map((d) => [d.systemName.toLowerCase(), d]));
    return this.devices;
  }

  private async deviceFor(hostname: string): Promise<Device> {
    const key = hostname.toLowerCase();
    const cached = this.devices?.get(key);
    if (cached) return cached;
    const device = (await this.loadDevices()).get(key);
    if (!device) throw refused(`no device with system name "${hostname}" in organization ${this.options.organizationId}`);
    return device;
  }

  async listDevices(clientId: string): Promise<RmmDevice[]> {
    this.checkClient(clientId);
    const devices: RmmDevice[] = [];
    for (const device of (await this.loadDevices()).values()) {
      const os = osOf(device.nodeClass);
      if (!os) continue;
      devices.push({ hostname: device.systemName, os, role: device.nodeClass.includes('SERVER') ? 'server' : 'workstation', online: !device.offline, software: [] });
    }
    return devices;
  }

  /** The organization's installed software (`/v2/queries/software`), per device listDevices returns. */
  async listSoftware(clientId: string): Promise<RmmSoftware[]> {
    this.checkClient(clientId);
    const devices = await this.listDevices(clientId);
    const byId = new Map<number, string[]>();
    for (const device of this.devices?.values() ?? []) byId.set(device.id, []);
    for (const row of await this.query('/v2/queries/software', this.orgFilter, softwareRowSchema)) byId.get(row.deviceId)?.push(row.name);
    const idByHost = new Map([...(this.devices?.values() ?? [])].map((d) => [d.systemName, d.id]));
    return devices.map((d) => ({ hostname: d.hostname, applications: [...new Set(byId.get(idByHost.get(d.hostname)!) ?? [])].sort() }));
  }

  async listMissingPatches(clientId: string, hostnames: readonly string[]): Promise<MissingPatch[]> {
    this.checkClient(clientId);
    const byId = new Map<number, string>();
    for (const hostname of hostnames) byId.set((await this.deviceFor(hostname)).id, hostname);
    const [osPatches, softwarePatches] = await Promise.all([
      this.query('/v2/queries/os-patches', this.orgFilter, osPatchSchema),
      this.query('/v2/queries/software-patches', this.orgFilter, softwarePatchSchema),
    ]);
    const missing: MissingPatch[] = [];
    for (const patch of osPatches) {
      const hostname = byId.get(patch.deviceId);
      if (!hostname || patch.status === 'REJECTED') continue;
      missing.push({ hostname, patchId: osPatchId(patch), title: patch.name, product: 'Operating system', severity: osSeverity(patch.severity) });
    }
    for (const patch of softwarePatches) {
      const hostname = byId.get(patch.deviceId);
      if (!hostname || patch.status === 'REJECTED') continue;
      missing.push({ hostname, patchId: `${SOFTWARE_PREFIX}${patch.id}`, title: patch.title, product: patch.productIdentifier ?? 'Third-party software', severity: softwareSeverity(patch.impact) });
    }
    return missing;
  }

  private async activityMark(deviceId: number): Promise<number> {
    const feed = await this.http('GET', `/v2/device/${deviceId}/activities`, { query: { activityType: 'PATCH_MANAGEMENT', pageSize: 1 }, schema: activitiesSchema });
    return Math.max(0, feed.lastActivityId ?? 0, ...feed.activities.map((a) => a.id));
  }

  private installsOf(deviceId: number): Promise<Install[]> {
    return this.query('/v2/queries/os-patch-installs', `id = ${deviceId}`, installSchema);
  }

  private nowSec(): number {
    return Math.floor((this.options.now ?? Date.now)() / 1000);
  }

  async submitDeployment(request: DeploymentRequest): Promise<{ jobId: string }> {
    this.checkClient(request.clientId);
    const device = await this.deviceFor(request.hostname);
    const software = request.patchId.startsWith(SOFTWARE_PREFIX);
    const kind = software ? 'software' : 'os';
    const patchId = software ? request.patchId : normKb(request.patchId);
    let status: string | undefined;
    if (software) {
      const id = request.patchId.slice(SOFTWARE_PREFIX.length);
      status = (await this.query('/v2/queries/software-patches', `id = ${device.id}`, softwarePatchSchema)).find((p) => p.id === id)?.status;
      if (!status) throw refused(`device ${request.hostname} lists no software patch ${id}; scan it before deploying`);
    } else {
      status = (await this.query('/v2/queries/os-patches', `id = ${device.id}`, osPatchSchema)).find((p) => osPatchId(p) === patchId)?.status;
      if (!status) {
        // Gone from the pending list: installed by an earlier attempt of this deployment (a retry), or never there.
        const installed = (await this.installsOf(device.id)).some((i) => i.status === 'INSTALLED' && i.kbNumber && normKb(i.kbNumber) === patchId);
        if (installed) return { jobId: jobIdOf({ kind, deviceId: device.id, mark: 0, since: 0, patchId }) };
        throw refused(`device ${request.hostname} lists no ${patchId}; scan it before deploying`);
      }
    }
    if (status === 'REJECTED') throw refused(`${request.patchId} is rejected for ${request.hostname} in NinjaOne (a rejection beats any approval); lift the rejection in its patch policy to deploy it`);
    if (status === 'MANUAL') {
      throw refused(
        `${request.patchId} is not approved for ${request.hostname}. NinjaOne's apply installs every approved patch and its API cannot approve a single one: approve it in the device's patch policy (or an override), then retry`,
      );
    }
    // FAILED: an earlier attempt ran and failed; its install record answers jobStatus without a second run.
    const since = this.nowSec();
    if (status === 'FAILED') return { jobId: jobIdOf({ kind, deviceId: device.id, mark: 0, since: 0, patchId }) };
    const mark = await this.activityMark(device.id);
    await this.http('POST', `/v2/device/${device.id}/patch/${kind}/apply`, { schema: z.unknown() });
    return { jobId: jobIdOf({ kind, deviceId: device.id, mark, since, patchId }) };
  }

  async submitUninstall(request: DeploymentRequest): Promise<{ jobId: string }> {
    this.checkClient(request.clientId);
    throw refused(`its API cannot uninstall a patch (${request.patchId} on ${request.hostname}); roll back by snapshot, or remove it by a NinjaOne script`);
  }

  async jobStatus(clientId: string, jobId: string): Promise<JobStatus> {
    this.checkClient(clientId);
    const ref = parseJobId(jobId);
    const after = ref.since === 0 ? 0 : ref.since - CLOCK_SKEW_S;
    if (ref.kind === 'os') {
      const installs = (await this.installsOf(ref.deviceId)).filter((i) => (i.installedAt ?? i.timestamp ?? 0) >= after);
      const mine = installs.filter((i) => i.kbNumber && normKb(i.kbNumber) === ref.patchId).sort((a, b) => (b.installedAt ?? 0) - (a.installedAt ?? 0))[0];
      const alongside = installs.filter((i) => i !== mine && i.status === 'INSTALLED').map((i) => (i.kbNumber ? normKb(i.kbNumber) : (i.name ?? i.id)));
      const rideAlong = alongside.length ? `; the same apply also installed ${[...new Set(alongside)].join(', ')}` : '';
      const finishedAt = mine?.installedAt ? new Date(mine.installedAt * 1000).toISOString() : undefined;
      if (mine?.status === 'INSTALLED') return { jobId, state: 'succeeded', detail: `${ref.patchId} installed${rideAlong}`, ...(finishedAt ? { finishedAt } : {}) };
      if (mine?.status === 'FAILED') return { jobId, state: 'failed', detail: `${ref.patchId} install failed (NinjaOne install record)${rideAlong}`, ...(finishedAt ? { finishedAt } : {}) };
    }
    const feed = await this.http('GET', `/v2/device/${ref.deviceId}/activities`, {
      query: { activityType: 'PATCH_MANAGEMENT', newerThan: ref.mark, pageSize: 200 },
      schema: activitiesSchema,
    });
    const completed = feed.activities.find((a) => a.statusCode === 'PATCH_MANAGEMENT_APPLY_PATCH_COMPLETED');
    if (!completed) return { jobId, state: 'running', detail: `apply sent to device ${ref.deviceId}; no completion in its activity feed yet` };
    // The apply finished: whatever is still pending was not installed by it.
    if (ref.kind === 'software') {
      const id = ref.patchId.slice(SOFTWARE_PREFIX.length);
      const left = (await this.query('/v2/queries/software-patches', `id = ${ref.deviceId}`, softwarePatchSchema)).find((p) => p.id === id);
      return left
        ? { jobId, state: 'failed', detail: `apply completed but ${ref.patchId} is still pending (status ${left.status}): ${completed.message ?? ''}`.trim() }
        : { jobId, state: 'succeeded', detail: `${ref.patchId} no longer pending after the apply: ${completed.message ?? ''}`.trim() };
    }
    const left = (await this.query('/v2/queries/os-patches', `id = ${ref.deviceId}`, osPatchSchema)).find((p) => osPatchId(p) === ref.patchId);
    const failedNote = feed.activities.filter((a) => a.statusCode?.endsWith('INSTALL_FAILED')).map((a) => a.message).filter(Boolean).join('; ');
    return {
      jobId,
      state: 'failed',
      detail: `apply completed without an install record for ${ref.patchId}${left ? ` (still ${left.status})` : ''}${failedNote ? `: ${failedNote}` : ''}`,
    };
  }

  async rescan(clientId: string, hostname: string, patchIds: readonly string[]): Promise<RescanResult> {
    this.checkClient(clientId);
    const device = await this.deviceFor(hostname);
    const wantsSoftware = patchIds.some((p) => p.startsWith(SOFTWARE_PREFIX));
    await this.http('POST', `/v2/device/${device.id}/patch/os/scan`, { schema: z.unknown() });
    if (wantsSoftware) await this.http('POST', `/v2/device/${device.id}/patch/software/scan`, { schema: z.unknown() });
    const [pendingOs, installs, pendingSoftware] = await Promise.all([
      this.query('/v2/queries/os-patches', `id = ${device.id}`, osPatchSchema),
      this.installsOf(device.id),
      wantsSoftware ? this.query('/v2/queries/software-patches', `id = ${device.id}`, softwarePatchSchema) : Promise.resolve([]),
    ]);
    const installed: Record<string, boolean> = {};
    for (const patchId of patchIds) {
      if (patchId.startsWith(SOFTWARE_PREFIX)) {
        // NinjaOne keeps no install record for third-party patches: gone from the pending list after a scan is installed.
        installed[patchId] = !pendingSoftware.some((p) => p.id === patchId.slice(SOFTWARE_PREFIX.length));
        continue;
      }
      const kb = normKb(patchId);
      // Installed needs positive evidence (an install record) and no pending entry: silence is not proof.
      installed[patchId] = installs.some((i) => i.status === 'INSTALLED' && i.kbNumber && normKb(i.kbNumber) === kb) && !pendingOs.some((p) => osPatchId(p) === kb);
    }
    return { hostname, installed };
  }

  async runWorkloadCheck(clientId: string, hostname: string, check: WorkloadCheck): Promise<WorkloadCheckResult> {
    this.checkClient(clientId);
    // A NinjaOne script run returns no output through the API, so it cannot prove a check passed.
    return { check, ok: false, detail: `${check} on ${hostname}: NinjaOne's API returns no script output; run this check from the worker` };
  }
}
