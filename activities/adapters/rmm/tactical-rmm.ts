import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { OperatingSystem, Severity, WorkloadCheck } from '../../../config/policy-schema';
import type {
  DeploymentRequest,
  JobStatus,
  MissingPatch,
  RescanResult,
  RmmDevice,
  RmmPort,
  RmmSoftware,
  WorkloadCheckResult,
} from '../../ports';
import { createHttpJson, type HttpJson, VendorHttpError, httpTuning } from '../http-json';
import { failure } from '../../../domain/failure-catalog';
import { mapLimit } from '../../map-limit';

/** Agents asked at once while planning: one request per agent, and Tactical is one small server. */
const PLANNING_CONCURRENCY = 8;

// Tactical RMM returns no job id for an install, a scan or an uninstall: they are fire-and-forget
// calls to the agent. So a "job" here is the pair agent + KB, and its status is read back from the
// agent's Windows Update list (installed / result), which the agent refreshes on every scan.
// Patching through Tactical covers Windows agents only; other platforms report no missing patches.

const VENDOR = 'Tactical RMM';

export interface WorkloadCommand {
  shell: 'powershell' | 'cmd' | 'shell';
  cmd: string;
  /** Seconds the agent may take. */
  timeout?: number;
}

export interface TacticalRmmOptions {
  /** API root, e.g. https://api.rmm.example.com (no trailing slash needed). */
  baseUrl: string;
  apiKey: string;
  /** patchctl client this adapter serves. */
  clientId: string;
  /** The client's name in Tactical (agents carry client_name, not our id). */
  tacticalClientName: string;
  /**
   * How each workload check is run on an agent; the check passes iff the command's last output line is
   * `OK`. Checks without a command fail with a message saying so, because an unconfigured check must
   * not be reported as a passing verification.
   */
  workloadCommands?: Partial<Record<WorkloadCheck, WorkloadCommand>>;
  timeoutMs?: number;
  rateLimitRetries?: number;
  maxRetryAfterMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_WORKLOAD_COMMANDS: Partial<Record<WorkloadCheck, WorkloadCommand>> = {
  'email-delivery': {
    shell: 'powershell',
    cmd: "if ((Test-NetConnection -ComputerName outlook.office365.com -Port 443 -WarningAction SilentlyContinue).TcpTestSucceeded) { 'OK' } else { 'FAIL outlook.office365.com:443 unreachable' }",
    timeout: 60,
  },
};

const agentSchema = z.object({
  agent_id: z.string().min(1),
  hostname: z.string().min(1),
  client_name: z.string(),
  site_name: z.string().optional(),
  plat: z.string(),
  status: z.string(),
  monitoring_type: z.string().optional(),
  needs_reboot: z.boolean().optional(),
  has_patches_pending: z.boolean().optional(),
});
type Agent = z.infer<typeof agentSchema>;

const winUpdateSchema = z.object({
  id: z.number().int(),
  kb: z.string(),
  title: z.string(),
  severity: z.string().nullish(),
  installed: z.boolean(),
  action: z.string(),
  result: z.string().nullish(),
  date_installed: z.string().nullish(),
});
type WinUpdate = z.infer<typeof winUpdateSchema>;

// Older servers wrap the list in the agent ({ winupdates: [...] }); current ones return it bare.
const winUpdatesSchema = z.union([
  z.array(winUpdateSchema),
  z.object({ winupdates: z.array(winUpdateSchema) }).transform((body) => body.winupdates),
]);

// GET /software/{agent_id}/ serializes the agent's InstalledSoftware row whole; an agent that has not
// sent its audit yet has no row and the answer is a bare [] (no list, which is not an empty one).
const installedSoftwareSchema = z.union([
  z.object({ software: z.array(z.object({ name: z.string().min(1), version: z.string().nullish() })) }).transform((row) => row.software.map((s) => s.name)),
  z.array(z.never()).length(0).transform(() => undefined),
]);

const messageSchema = z.unknown();

const PLATFORMS: Record<string, OperatingSystem> = { windows: 'windows', darwin: 'macos', linux: 'linux' };

/** Microsoft's MSRC severities mapped onto the SLA table's three tiers. */
function severityOf(msrc: string | null | undefined): Severity {
  switch ((msrc ?? '').toLowerCase()) {
    case 'critical':
      return 'critical';
    case 'important':
      return 'high';
    default:
      return 'routine';
  }
}

function sameKb(a: string, b: string): boolean {
  const norm = (kb: string) => kb.trim().toUpperCase().replace(/^(KB)?/, 'KB');
  return norm(a) === norm(b);
}

function refused(message: string): ApplicationFailure {
  return failure('VendorRejected', `${VENDOR}: ${message}`);
}

const UNINSTALL_PREFIX = 'uninstall:';

export class TacticalRmm implements RmmPort {
  private readonly http: HttpJson;
  private readonly options: TacticalRmmOptions;
  private agents?: Map<string, Agent>;

  constructor(options: TacticalRmmOptions) {
    this.options = options;
    this.http = createHttpJson({
      vendor: VENDOR,
      baseUrl: options.baseUrl,
      headers: { 'X-API-KEY': options.apiKey },
      ...httpTuning(options),
    });
  }

  private async loadAgents(): Promise<Map<string, Agent>> {
    const agents = await this.http('GET', '/agents/', { query: { detail: 'true' }, schema: z.array(agentSchema) });
    const mine = agents.filter((agent) => agent.client_name === this.options.tacticalClientName);
    this.agents = new Map(mine.map((agent) => [agent.hostname.toLowerCase(), agent]));
    return this.agents;
  }

  /** Hostnames are case-insensitive on Windows; a host added since the last listing triggers a refresh. */
  private async agentFor(hostname: string): Promise<Agent> {
    const key = hostname.toLowerCase();
    const cached = this.agents?.get(key);
    if (cached) return cached;
    const agent = (await this.loadAgents()).get(key);
    if (!agent) throw refused(`no agent with hostname "${hostname}" under client "${this.options.tacticalClientName}"`);
    return agent;
  }

  private winUpdates(agentId: string): Promise<WinUpdate[]> {
    return this.http('GET', `/winupdate/${encodeURIComponent(agentId)}/`, { schema: winUpdatesSchema });
  }

  private parseJobId(jobId: string): { kind: 'deploy' | 'uninstall'; agentId: string; kb: string } {
    const kind = jobId.startsWith(UNINSTALL_PREFIX) ? 'uninstall' : 'deploy';
    const rest = kind === 'uninstall' ? jobId.slice(UNINSTALL_PREFIX.length) : jobId;
    const split = rest.lastIndexOf(':');
    if (split <= 0 || split === rest.length - 1) throw refused(`job id must look like AGENT_ID:KB or uninstall:AGENT_ID:KB, got "${jobId}"`);
    return { kind, agentId: rest.slice(0, split), kb: rest.slice(split + 1) };
  }

  private checkClient(clientId: string): void {
    if (clientId !== this.options.clientId) throw refused(`adapter for client "${this.options.clientId}" was asked about client "${clientId}"`);
  }

  async listDevices(clientId: string): Promise<RmmDevice[]> {
    this.checkClient(clientId);
    const agents = await this.loadAgents();
    const devices: RmmDevice[] = [];
    for (const agent of agents.values()) {
      const os = PLATFORMS[agent.plat];
      if (!os) continue;
      devices.push({
        hostname: agent.hostname,
        os,
        role: agent.monitoring_type === 'server' ? 'server' : 'workstation',
        online: agent.status === 'online',
        software: [],
      });
    }
    return devices;
  }

  /** Installed applications per agent (the agent's last software audit), one request per agent. */
  async listSoftware(clientId: string): Promise<RmmSoftware[]> {
    this.checkClient(clientId);
    const agents = [...(await this.loadAgents()).values()].filter((agent) => PLATFORMS[agent.plat]);
    const lists = await mapLimit(agents, PLANNING_CONCURRENCY, async (agent) => {
      const names = await this.http('GET', `/software/${encodeURIComponent(agent.agent_id)}/`, { schema: installedSoftwareSchema });
      return names === undefined ? undefined : { hostname: agent.hostname, applications: [...new Set(names)].sort() };
    });
    return lists.filter((list): list is RmmSoftware => list !== undefined);
  }

  async listMissingPatches(clientId: string, hostnames: readonly string[]): Promise<MissingPatch[]> {
    this.checkClient(clientId);
    // One agent listing first, so the concurrent lookups below find it cached instead of each listing again.
    if (hostnames.length > 0) await this.agentFor(hostnames[0]!);
    const perHost = await mapLimit(hostnames, PLANNING_CONCURRENCY, async (hostname) => {
      const agent = await this.agentFor(hostname);
      if (agent.plat !== 'windows') return [];
      return (await this.winUpdates(agent.agent_id))
        .filter((update) => !update.installed && update.action !== 'ignore')
        .map((update): MissingPatch => ({ hostname, patchId: update.kb, title: update.title, product: 'Windows', severity: severityOf(update.severity) }));
    });
    return perHost.flat();
  }

  async submitDeployment(request: DeploymentRequest): Promise<{ jobId: string }> {
    this.checkClient(request.clientId);
    const agent = await this.agentFor(request.hostname);
    const jobId = `${agent.agent_id}:${request.patchId}`;
    const updates = await this.winUpdates(agent.agent_id);
    const update = updates.find((u) => sameKb(u.kb, request.patchId));
    if (!update) throw refused(`agent ${request.hostname} does not list ${request.patchId}; scan it before deploying`);
    // Already installed, or already tried and failed: this submit is a retry of one that reached the
    // agent, and running the install again would be a second execution the evidence does not show.
    if (update.installed || update.result === 'failed') return { jobId };
    // Tactical's install runs every approved update on the agent: with approvals outside the plan it
    // would install patches no gate, snapshot or rollback covers. That asset fails instead, by name.
    const planned = request.plannedPatchIds ?? [request.patchId];
    const riders = updates.filter((u) => u.action === 'approve' && !u.installed && !planned.some((p) => sameKb(p, u.kb)));
    if (riders.length > 0) {
      throw refused(`agent ${request.hostname} has approved updates outside the plan (${riders.map((u) => u.kb).join(', ')}); Tactical's install would install them too, so ${request.patchId} is not sent`);
    }
    if (update.action !== 'approve') {
      await this.http('PUT', `/winupdate/${update.id}/`, { json: { action: 'approve' }, schema: messageSchema });
    }
    try {
      await this.http('POST', `/winupdate/${encodeURIComponent(agent.agent_id)}/install/`, { schema: messageSchema });
    } catch (error) {
      // The agent is already installing its approved updates, ours among them: that is the job.
      if (!(error instanceof VendorHttpError && error.status === 400 && /already being installed/i.test(error.message))) throw error;
    }
    return { jobId };
  }

  async submitUninstall(request: DeploymentRequest): Promise<{ jobId: string }> {
    this.checkClient(request.clientId);
    const agent = await this.agentFor(request.hostname);
    if (agent.plat !== 'windows') throw refused(`uninstall through Tactical covers Windows agents only; ${request.hostname} is ${agent.plat}`);
    const jobId = `${UNINSTALL_PREFIX}${agent.agent_id}:${request.patchId}`;
    const update = (await this.winUpdates(agent.agent_id)).find((u) => sameKb(u.kb, request.patchId));
    // Our approval goes first: left in place, Tactical's own install schedule would put the KB back.
    if (update?.action === 'approve') await this.http('PUT', `/winupdate/${update.id}/`, { json: { action: 'nothing' }, schema: messageSchema });
    if (update && !update.installed) return { jobId };
    const kbNumber = request.patchId.replace(/^KB/i, '');
    if (!/^\d+$/.test(kbNumber)) throw refused(`can only uninstall KB updates, got "${request.patchId}"`);
    await this.http('POST', `/agents/${encodeURIComponent(agent.agent_id)}/cmd/`, {
      json: { shell: 'cmd', cmd: `wusa.exe /uninstall /kb:${kbNumber} /quiet /norestart`, timeout: 600, run_as_user: false },
      schema: messageSchema,
      timeoutMs: 630_000,
    });
    // Tactical only learns the KB is gone from the agent's next scan; ask for it now.
    await this.http('POST', `/winupdate/${encodeURIComponent(agent.agent_id)}/scan/`, { schema: messageSchema });
    return { jobId };
  }

  async withdrawApproval(clientId: string, hostname: string, patchId: string): Promise<void> {
    this.checkClient(clientId);
    const agent = await this.agentFor(hostname);
    const update = (await this.winUpdates(agent.agent_id)).find((u) => sameKb(u.kb, patchId));
    if (update?.action === 'approve') await this.http('PUT', `/winupdate/${update.id}/`, { json: { action: 'nothing' }, schema: messageSchema });
  }

  async jobStatus(clientId: string, jobId: string): Promise<JobStatus> {
    this.checkClient(clientId);
    const { kind, agentId, kb } = this.parseJobId(jobId);
    const update = (await this.winUpdates(agentId)).find((u) => sameKb(u.kb, kb));
    const finishedAt = update?.date_installed ?? undefined;
    if (kind === 'uninstall') {
      if (!update || !update.installed) return { jobId, state: 'succeeded', detail: `${kb} no longer installed according to the agent's scan` };
      return { jobId, state: 'running', detail: `uninstall of ${kb} sent; agent still reports it installed` };
    }
    if (!update) return { jobId, state: 'failed', detail: `${kb} is no longer listed by the agent (superseded or removed)` };
    if (update.installed) return { jobId, state: 'succeeded', detail: `${kb} installed (result: ${update.result ?? 'n/a'})`, ...(finishedAt ? { finishedAt } : {}) };
    if (update.result === 'failed' || update.result === 'error') {
      return { jobId, state: 'failed', detail: `${kb} install failed on the agent (result: ${update.result})` };
    }
    if (update.action === 'approve') return { jobId, state: 'running', detail: `${kb} approved; waiting for the agent to install it` };
    return { jobId, state: 'pending', detail: `${kb} not approved yet (action: ${update.action})` };
  }

  async rescan(clientId: string, hostname: string, patchIds: readonly string[]): Promise<RescanResult> {
    this.checkClient(clientId);
    const agent = await this.agentFor(hostname);
    await this.http('POST', `/winupdate/${encodeURIComponent(agent.agent_id)}/scan/`, { schema: messageSchema });
    const updates = await this.winUpdates(agent.agent_id);
    const installed: Record<string, boolean> = {};
    // A KB the agent does not list is unknown, not installed: verification must not pass on silence.
    for (const patchId of patchIds) installed[patchId] = updates.find((u) => sameKb(u.kb, patchId))?.installed ?? false;
    return { hostname, installed };
  }

  async runWorkloadCheck(clientId: string, hostname: string, check: WorkloadCheck): Promise<WorkloadCheckResult> {
    this.checkClient(clientId);
    const command = this.options.workloadCommands?.[check] ?? DEFAULT_WORKLOAD_COMMANDS[check];
    if (!command) return { check, ok: false, detail: `no command configured for workload check "${check}" on Tactical RMM` };
    const agent = await this.agentFor(hostname);
    const timeout = command.timeout ?? 120;
    const output = await this.http('POST', `/agents/${encodeURIComponent(agent.agent_id)}/cmd/`, {
      json: { shell: command.shell, cmd: command.cmd, timeout, run_as_user: false },
      schema: z.string(),
      timeoutMs: (timeout + 30) * 1000,
    });
    const lines = output.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
    const last = lines[lines.length - 1] ?? '';
    return { check, ok: last === 'OK', detail: `${check} on ${hostname}: ${last || '(no output)'}` };
  }
}
