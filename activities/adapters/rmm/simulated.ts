import { failure } from '../../../domain/failure-catalog';
import { ApplicationFailure } from '@temporalio/common';
import type { AssetRole, OperatingSystem, SimulationPolicy, WorkloadCheck } from '../../../config/policy-schema';
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
import type { Queryable } from '../../store/pool';
import { loadSimDevices, loadSimJob, loadSimLastJobs, submitSimJob, type SimDevice, type SimJobKind } from '../../store/simulated-vendor-store';
import {
  cataloguePatch,
  hashInt,
  initiallyMissing,
  isInitiallyMissing,
  simulatedDeploymentFailure,
  simulatedHostFailure,
  stableId,
} from '../simulated-fleet';

// A deterministic RMM: which patches a device misses is a hash of the seed and its hostname, and a
// job's outcome is fixed when it is submitted. Jobs live in sim_rmm_jobs so that, like a real RMM,
// the fleet remembers what was installed across worker restarts.

export interface SimulatedAsset {
  hostname: string;
  os: OperatingSystem;
  role: AssetRole;
  applications: readonly string[];
}

export interface SimulatedRmmOptions {
  db: Queryable;
  clientId: string;
  simulation: SimulationPolicy;
  /** A fixed fleet instead of the client's rows in the assets table (benchmarks without an import). */
  inventory?: readonly SimulatedAsset[];
}

type JobKind = SimJobKind;

const VENDOR_DETAIL = {
  deploy: { succeeded: 'PATCH_MANAGEMENT_APPLY_PATCH_COMPLETED', failed: 'PATCH_MANAGEMENT_INSTALL_FAILED' },
  uninstall: { succeeded: 'PATCH_MANAGEMENT_UNINSTALL_PATCH_COMPLETED', failed: 'PATCH_MANAGEMENT_UNINSTALL_FAILED' },
} as const;

/** Windows Update style error codes, so a failed job reads like one from a real agent. */
const FAILURE_CODES = ['0x80070643', '0x800f0922', '0x80073712', '0x8024402c'] as const;

function notFound(message: string): ApplicationFailure {
  return failure('NotFound', message);
}

type AssetRow = SimDevice;

/**
 * A new month for the simulated fleet of these clients: the jobs of earlier cycles are forgotten, so
 * every asset misses its seed's patches again. The demo starts each run with it, so a second run in
 * the same directory has as much to patch as the first (real RMMs get a new Patch Tuesday instead).
 */
export async function startNewSimulatedMonth(db: Queryable, clientIds: readonly string[]): Promise<void> {
  await db.query('DELETE FROM sim_rmm_jobs WHERE client_id = ANY($1::text[])', [clientIds]);
}

export class SimulatedRmm implements RmmPort {
  private readonly db: Queryable;
  private readonly clientId: string;
  private readonly simulation: SimulationPolicy;
  private readonly inventory?: ReadonlyMap<string, SimulatedAsset>;

  constructor(options: SimulatedRmmOptions) {
    this.db = options.db;
    this.clientId = options.clientId;
    this.simulation = options.simulation;
    if (options.inventory) this.inventory = new Map(options.inventory.map((asset) => [asset.hostname, asset]));
  }

  /** Adapters are built per client; a call for another client is a wiring bug, not a vendor answer. */
  private checkClient(clientId: string): void {
    if (clientId !== this.clientId) {
      throw failure('InvalidInput', `simulated RMM for client "${this.clientId}" was asked about client "${clientId}"`);
    }
  }

  private async assets(hostnames?: readonly string[]): Promise<AssetRow[]> {
    if (this.inventory) {
      const all = hostnames ? hostnames.map((h) => this.inventory!.get(h)).filter((a) => a !== undefined) : [...this.inventory.values()];
      return all.map((a) => ({ hostname: a.hostname, os: a.os, role: a.role, software: [...a.applications] }));
    }
    return loadSimDevices(this.db, this.clientId, hostnames);
  }

  /**
   * What finished jobs changed: the newest successful deploy or uninstall of each patch on each host
   * wins. Failed jobs change nothing, and a job still before its ready_at has not happened yet.
   */
  private async installedByJobs(hostnames: readonly string[]): Promise<Map<string, Map<string, boolean>>> {
    const state = new Map<string, Map<string, boolean>>();
    if (hostnames.length === 0) return state;
    for (const row of await loadSimLastJobs(this.db, this.clientId, hostnames)) {
      let perHost = state.get(row.hostname);
      if (!perHost) state.set(row.hostname, (perHost = new Map()));
      perHost.set(row.patchId, row.kind === 'deploy');
    }
    return state;
  }

  async listDevices(clientId: string): Promise<RmmDevice[]> {
    this.checkClient(clientId);
    const rows = await this.assets();
    return rows.map((row) => ({ hostname: row.hostname, os: row.os, role: row.role, online: true, software: row.software }));
  }

  async listSoftware(clientId: string): Promise<RmmSoftware[]> {
    this.checkClient(clientId);
    return (await this.assets()).map((row) => ({ hostname: row.hostname, applications: [...row.software] }));
  }

  async listMissingPatches(clientId: string, hostnames: readonly string[]): Promise<MissingPatch[]> {
    this.checkClient(clientId);
    if (hostnames.length === 0) return [];
    const [rows, jobs] = await Promise.all([this.assets(hostnames), this.installedByJobs(hostnames)]);
    const missing: MissingPatch[] = [];
    for (const row of rows) {
      const changed = jobs.get(row.hostname);
      for (const patch of initiallyMissing(this.simulation.seed, row.hostname, row.os, row.software)) {
        if (changed?.get(patch.id) === true) continue;
        missing.push({ hostname: row.hostname, patchId: patch.id, title: patch.title, product: patch.product, severity: patch.severity });
      }
      // A patch uninstalled by a rollback is missing again even if the host did not miss it at first.
      for (const [patchId, installed] of changed ?? []) {
        const patch = cataloguePatch(patchId);
        if (installed || !patch || isInitiallyMissing(this.simulation.seed, row.hostname, row.os, row.software, patchId)) continue;
        missing.push({ hostname: row.hostname, patchId, title: patch.title, product: patch.product, severity: patch.severity });
      }
    }
    return missing;
  }

  private async submit(kind: JobKind, request: DeploymentRequest): Promise<{ jobId: string }> {
    this.checkClient(request.clientId);
    const failure =
      kind === 'deploy' ? simulatedDeploymentFailure(this.simulation, request) : simulatedHostFailure(this.simulation, request.hostname);
    const jobId = stableId(`sim-${kind}-`, kind, request.key);
    // A second submit of the same key inserts nothing, so `runs` stays at the 1 of the first, real execution.
    const submitted = await submitSimJob(
      this.db,
      { jobId, key: request.key, kind, clientId: this.clientId, hostname: request.hostname, patchId: request.patchId, outcome: failure ? 'failed' : 'succeeded', latencyMs: this.simulation.latencyMs },
      this.inventory ? this.inventory.has(request.hostname) : undefined,
    );
    if (submitted) return { jobId: submitted };
    throw notFound(`simulated RMM has no device "${request.hostname}" for client "${this.clientId}"`);
  }

  submitDeployment(request: DeploymentRequest): Promise<{ jobId: string }> {
    return this.submit('deploy', request);
  }

  submitUninstall(request: DeploymentRequest): Promise<{ jobId: string }> {
    return this.submit('uninstall', request);
  }

  async jobStatus(clientId: string, jobId: string): Promise<JobStatus> {
    this.checkClient(clientId);
    const job = await loadSimJob(this.db, jobId, this.clientId);
    if (!job) throw notFound(`simulated RMM has no job "${jobId}" for client "${this.clientId}"`);
    if (!job.done) return { jobId, state: 'pending', detail: `queued on ${job.hostname}: ${job.patchId}` };
    const finishedAt = job.readyAt.toISOString();
    if (job.outcome === 'succeeded') {
      return { jobId, state: 'succeeded', detail: `${VENDOR_DETAIL[job.kind].succeeded}: ${job.patchId} on ${job.hostname}`, finishedAt };
    }
    const code = FAILURE_CODES[hashInt(this.simulation.seed, 0, FAILURE_CODES.length - 1, 'code', jobId)];
    return { jobId, state: 'failed', detail: `${VENDOR_DETAIL[job.kind].failed}: ${job.patchId} on ${job.hostname} (error ${code})`, finishedAt };
  }

  async rescan(clientId: string, hostname: string, patchIds: readonly string[]): Promise<RescanResult> {
    this.checkClient(clientId);
    const [rows, jobs] = await Promise.all([this.assets([hostname]), this.installedByJobs([hostname])]);
    const asset = rows[0];
    if (!asset) throw notFound(`simulated RMM has no device "${hostname}" for client "${this.clientId}"`);
    const changed = jobs.get(hostname);
    const installed: Record<string, boolean> = {};
    for (const patchId of patchIds) {
      const byJob = changed?.get(patchId);
      installed[patchId] =
        byJob ?? (cataloguePatch(patchId) !== undefined && !isInitiallyMissing(this.simulation.seed, hostname, asset.os, asset.software, patchId));
    }
    return { hostname, installed };
  }

  async runWorkloadCheck(clientId: string, hostname: string, check: WorkloadCheck): Promise<WorkloadCheckResult> {
    this.checkClient(clientId);
    const ms = hashInt(this.simulation.seed, 40, 900, 'check', check, hostname);
    const failing = simulatedHostFailure(this.simulation, hostname) !== undefined;
    const detail: Record<WorkloadCheck, [string, string]> = {
      'email-delivery': [`test message delivered through the mail relay in ${ms} ms`, 'test message not delivered: 451 4.4.0 connection to the mail relay timed out'],
      'ehr-access': [`EHR sign-in page answered HTTP 200 in ${ms} ms`, 'EHR client could not reach its application server: connection refused'],
      'file-access': [`file share read/write probe succeeded in ${ms} ms`, 'file share probe failed: access is denied'],
    };
    return { check, ok: !failing, detail: `${check} on ${hostname}: ${detail[check][failing ? 1 : 0]}` };
  }
}
