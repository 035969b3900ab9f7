import { createHash } from 'node:crypto';
import type { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { OperatingSystem, Severity, WorkloadCheck } from '../../../config/policy-schema';
import { failure } from '../../../domain/failure-catalog';
import type { DeploymentRequest, JobStatus, MissingPatch, RescanResult, RmmDevice, RmmPort, RmmSoftware, WorkloadCheckResult } from '../../ports';
import { mapLimit } from '../../map-limit';
import { createHttpJson, type HttpJson, httpTuning } from '../http-json';
import { createOAuthTokenSource } from '../oauth-token';
import { createRequestBudget } from '../request-budget';

// Datto RMM API v2. Datto installs patches by policy or by a component run as a quick job; there is
// no per-patch install call and no per-device patch list, only each device's patch status. So:
// - a device with approved pending patches reports one patch, `policy` ("approved by the Datto patch
//   policy"); a cycle naming KBs passes them to the patch component in its KB variable;
// - a deployment is a quick job of the configured patch component; its job uid is the job id, and
//   completion is the job's status plus its per-device result;
// - verification reads the device's patch status again (FullyPatched), which Datto refreshes after
//   the component's run and the next audit.
// The account's published budget (600 reads, 100 writes per rolling minute) is kept client-side.

const VENDOR = 'Datto RMM';
export const POLICY_PATCH_ID = 'policy';

export interface DattoRmmOptions {
  /** Platform API root, e.g. https://pinotage-api.centrastage.net */
  baseUrl: string;
  apiKey: string;
  apiSecret: string;
  patchctlClientId: string;
  siteUid: string;
  patchComponentUid: string;
  uninstallComponentUid?: string;
  patchVariable?: string;
  policyPatchSeverity?: Severity;
  /** Per-page device count (Datto allows at most 250). */
  pageSize?: number;
  timeoutMs?: number;
  rateLimitRetries?: number;
  maxRetryAfterMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Published limits; override only if Datto changes them for the account. */
  budget?: { reads: number; writes: number; windowMs: number };
}

const deviceSchema = z.object({
  uid: z.string().min(1),
  hostname: z.string().min(1),
  operatingSystem: z.string().nullish(),
  deviceType: z.object({ category: z.string().nullish(), type: z.string().nullish() }).nullish(),
  online: z.boolean(),
  rebootRequired: z.boolean().nullish(),
  patchManagement: z
    .object({
      patchStatus: z.string().nullish(),
      patchesApprovedPending: z.number().int().nullish(),
      patchesNotApproved: z.number().int().nullish(),
      patchesInstalled: z.number().int().nullish(),
    })
    .nullish(),
});
type Device = z.infer<typeof deviceSchema>;

const devicePageSchema = z.object({
  pageDetails: z.object({ nextPageUrl: z.string().nullish(), count: z.number().int().nullish() }),
  devices: z.array(deviceSchema),
});
const softwarePageSchema = z.object({
  pageDetails: z.object({ nextPageUrl: z.string().nullish() }),
  software: z.array(z.object({ name: z.string().min(1), version: z.string().nullish() })),
});
/** Software audits read at once; the request budget, not this, is what keeps to Datto's limit. */
const SOFTWARE_CONCURRENCY = 4;

const quickJobSchema = z.object({ job: z.object({ uid: z.string().min(1), status: z.string().nullish() }) });
const jobSchema = z.object({ uid: z.string(), status: z.string() });
const resultSchema = z.object({
  jobDeploymentStatus: z.string().nullish(),
  ranOn: z.string().nullish(),
  componentResults: z.array(z.object({ componentName: z.string().nullish(), componentStatus: z.string().nullish(), numberOfWarnings: z.number().nullish() })).default([]),
});

function refused(message: string): ApplicationFailure {
  return failure('VendorRejected', `${VENDOR}: ${message}`);
}

function osOf(operatingSystem: string | null | undefined): OperatingSystem | undefined {
  const os = (operatingSystem ?? '').toLowerCase();
  if (os.includes('windows')) return 'windows';
  if (os.includes('mac') || os.includes('os x')) return 'macos';
  if (os.includes('linux') || os.includes('ubuntu') || os.includes('debian') || os.includes('centos') || os.includes('red hat')) return 'linux';
  return undefined;
}

const UNINSTALL_PREFIX = 'uninstall:';

export class DattoRmm implements RmmPort {
  private readonly http: HttpJson;
  private readonly options: DattoRmmOptions;
  private readonly origin: string;
  private devices?: Map<string, Device>;

  constructor(options: DattoRmmOptions) {
    this.options = options;
    const base = options.baseUrl.replace(/\/+$/, '');
    this.origin = new URL(base).origin;
    const budget = createRequestBudget({ ...(options.budget ?? { reads: 600, writes: 100, windowMs: 60_000 }), now: options.now, sleep: options.sleep });
    const auth = createOAuthTokenSource({
      vendor: VENDOR,
      tokenUrl: `${base}/auth/oauth/token`,
      // Datto's documented public client; the API user's key and secret are the password grant's pair.
      basicAuth: { user: 'public-client', password: 'public' },
      form: { grant_type: 'password', username: options.apiKey, password: options.apiSecret },
      // Tokens live 100 h; renew an hour early so a long cycle never sends one that dies mid-call.
      refreshMarginMs: 3_600_000,
      defaultLifetimeMs: 100 * 3_600_000,
      now: options.now,
      timeoutMs: options.timeoutMs,
      sleep: options.sleep,
    });
    this.http = createHttpJson({
      vendor: VENDOR,
      baseUrl: base,
      auth,
      beforeRequest: (method) => budget.take(method),
      ...httpTuning(options),
    });
  }

  private checkClient(clientId: string): void {
    if (clientId !== this.options.patchctlClientId) throw refused(`adapter for client "${this.options.patchctlClientId}" was asked about client "${clientId}"`);
  }

  /** nextPageUrl is absolute; it is followed only on the configured origin, so the token goes nowhere else. */
  private nextPath(nextPageUrl: string): { path: string; query: Record<string, string> } {
    let url: URL;
    try {
      url = new URL(nextPageUrl);
    } catch {
      throw refused(`pageDetails.nextPageUrl is not a URL: "${nextPageUrl}"`);
    }
    if (url.origin !== this.origin) throw refused(`pageDetails.nextPageUrl points to another origin (${url.origin}, expected ${this.origin}); not following it with our token`);
    const basePath = new URL(this.options.baseUrl).pathname.replace(/\/+$/, '');
    const path = basePath && url.pathname.startsWith(basePath) ? url.pathname.slice(basePath.length) : url.pathname;
    return { path, query: Object.fromEntries(url.searchParams) };
  }

  /** Every row of a Datto list, page by page through pageDetails.nextPageUrl. */
  private async allPages<Page extends { pageDetails: { nextPageUrl?: string | null } }, Row>(what: string, path: string, schema: z.ZodType<Page>, rows: (page: Page) => Row[]): Promise<Row[]> {
    const all: Row[] = [];
    let next: { path: string; query: Record<string, string> } | undefined = { path, query: { max: String(this.options.pageSize ?? 250), page: '0' } };
    for (let pages = 0; next; pages++) {
      if (pages > 10_000) throw refused(`${what} kept returning pages; stopped after 10000`);
      const page: Page = await this.http('GET', next.path, { query: next.query, schema });
      all.push(...rows(page));
      next = page.pageDetails.nextPageUrl ? this.nextPath(page.pageDetails.nextPageUrl) : undefined;
    }
    return all;
  }

  private async loadDevices(): Promise<Map<string, Device>> {
    const all = await this.allPages('device list', `/api/v2/site/${encodeURIComponent(this.options.siteUid)}/devices`, devicePageSchema, (page) => page.devices);
    this.devices = new Map(all.map((d) => [d.hostname.toLowerCase(), d]));
    return this.devices;
  }

  private async deviceFor(hostname: string, fresh = false): Promise<Device> {
    const key = hostname.toLowerCase();
    const cached = fresh ? undefined : this.devices?.get(key);
    if (cached) return cached;
    const device = (await this.loadDevices()).get(key);
    if (!device) throw refused(`no device with hostname "${hostname}" in site ${this.options.siteUid}`);
    return device;
  }

  async listDevices(clientId: string): Promise<RmmDevice[]> {
    this.checkClient(clientId);
    const devices: RmmDevice[] = [];
    for (const device of (await this.loadDevices()).values()) {
      const os = osOf(device.operatingSystem);
      if (!os) continue;
      const server = /server/i.test(device.deviceType?.category ?? '') || /server/i.test(device.operatingSystem ?? '');
      devices.push({ hostname: device.hostname, os, role: server ? 'server' : 'workstation', online: device.online, software: [] });
    }
    return devices;
  }

  /** Each site device's software audit (`/api/v2/audit/device/{uid}/software`), for discovery. */
  async listSoftware(clientId: string): Promise<RmmSoftware[]> {
    const devices = await this.listDevices(clientId);
    return mapLimit(devices, SOFTWARE_CONCURRENCY, async ({ hostname }) => {
      const device = await this.deviceFor(hostname);
      const rows = await this.allPages(`software audit of ${hostname}`, `/api/v2/audit/device/${encodeURIComponent(device.uid)}/software`, softwarePageSchema, (page) => page.software);
      return { hostname, applications: [...new Set(rows.map((r) => r.name))].sort() };
    });
  }

  async listMissingPatches(clientId: string, hostnames: readonly string[]): Promise<MissingPatch[]> {
    this.checkClient(clientId);
    await this.loadDevices();
    const missing: MissingPatch[] = [];
    for (const hostname of hostnames) {
      const device = await this.deviceFor(hostname);
      const pending = device.patchManagement?.patchesApprovedPending ?? 0;
      const status = device.patchManagement?.patchStatus ?? 'NoData';
      if (pending <= 0 && status !== 'ApprovedPending' && status !== 'InstallError') continue;
      missing.push({
        hostname,
        patchId: POLICY_PATCH_ID,
        title: `${pending} patch(es) approved by the Datto RMM patch policy (status ${status})`,
        product: 'Datto patch policy',
        severity: this.options.policyPatchSeverity ?? 'high',
      });
    }
    return missing;
  }

  private async quickJob(device: Device, request: DeploymentRequest, componentUid: string, action: string): Promise<string> {
    const tag = createHash('sha256').update(request.key).digest('hex').slice(0, 12);
    const kbs = request.patchId === POLICY_PATCH_ID ? '' : request.patchId;
    const created = await this.http('PUT', `/api/v2/device/${encodeURIComponent(device.uid)}/quickjob`, {
      json: {
        jobName: `patchctl ${action} ${request.patchId} ${tag}`,
        jobComponent: { componentUid, variables: [{ name: this.options.patchVariable ?? 'KBList', value: kbs }] },
      },
      schema: quickJobSchema,
    });
    return `${created.job.uid}:${device.uid}`;
  }

  async submitDeployment(request: DeploymentRequest): Promise<{ jobId: string }> {
    this.checkClient(request.clientId);
    const device = await this.deviceFor(request.hostname);
    if (!device.online) throw refused(`device ${request.hostname} is offline; a quick job would wait for it without a deadline`);
    return { jobId: await this.quickJob(device, request, this.options.patchComponentUid, 'install') };
  }

  async submitUninstall(request: DeploymentRequest): Promise<{ jobId: string }> {
    this.checkClient(request.clientId);
    if (!this.options.uninstallComponentUid) throw refused(`no uninstallComponentUid configured, so ${request.patchId} cannot be removed from ${request.hostname}; set adapters.datto-rmm.uninstallComponentUid or roll back by snapshot`);
    if (request.patchId === POLICY_PATCH_ID) throw refused(`cannot uninstall "everything the policy approved" on ${request.hostname}; roll back by snapshot or name the KBs`);
    const device = await this.deviceFor(request.hostname);
    return { jobId: `${UNINSTALL_PREFIX}${await this.quickJob(device, request, this.options.uninstallComponentUid, 'uninstall')}` };
  }

  async jobStatus(clientId: string, jobId: string): Promise<JobStatus> {
    this.checkClient(clientId);
    const bare = jobId.startsWith(UNINSTALL_PREFIX) ? jobId.slice(UNINSTALL_PREFIX.length) : jobId;
    const match = /^([^:]+):([^:]+)$/.exec(bare);
    if (!match) throw refused(`job id must look like JOB_UID:DEVICE_UID, got "${jobId}"`);
    const [, jobUid, deviceUid] = match as unknown as [string, string, string];
    const job = await this.http('GET', `/api/v2/job/${encodeURIComponent(jobUid)}`, { schema: jobSchema });
    if (job.status.toLowerCase() !== 'completed') return { jobId, state: job.status.toLowerCase() === 'active' ? 'running' : 'pending', detail: `quick job ${jobUid} is ${job.status}` };
    const result = await this.http('GET', `/api/v2/job/${encodeURIComponent(jobUid)}/results/${encodeURIComponent(deviceUid)}`, { schema: resultSchema });
    const components = result.componentResults.map((c) => `${c.componentName ?? 'component'}: ${c.componentStatus ?? 'unknown'}`).join(', ');
    const ok = (result.jobDeploymentStatus ?? '').toLowerCase() === 'success' && result.componentResults.every((c) => (c.componentStatus ?? '').toLowerCase() === 'success');
    const finishedAt = result.ranOn && !Number.isNaN(Date.parse(result.ranOn)) ? new Date(result.ranOn).toISOString() : undefined;
    return {
      jobId,
      state: ok ? 'succeeded' : 'failed',
      detail: `quick job ${jobUid} ${result.jobDeploymentStatus ?? 'no deployment status'}${components ? ` (${components})` : ''}`,
      ...(finishedAt ? { finishedAt } : {}),
    };
  }

  async rescan(clientId: string, hostname: string, patchIds: readonly string[]): Promise<RescanResult> {
    this.checkClient(clientId);
    // No on-demand scan through the API: the device's patch status after the job's audit is the scan.
    const device = await this.deviceFor(hostname, true);
    const status = device.patchManagement?.patchStatus ?? 'NoData';
    const done = status === 'FullyPatched' && (device.patchManagement?.patchesApprovedPending ?? 0) === 0;
    const installed: Record<string, boolean> = {};
    for (const patchId of patchIds) installed[patchId] = done;
    return { hostname, installed };
  }

  async runWorkloadCheck(clientId: string, hostname: string, check: WorkloadCheck): Promise<WorkloadCheckResult> {
    this.checkClient(clientId);
    return { check, ok: false, detail: `${check} on ${hostname}: not run through Datto RMM; run this check from the worker` };
  }
}
