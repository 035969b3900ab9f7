import { failure } from '../../../domain/failure-catalog';
import type { SimulationPolicy } from '../../../config/policy-schema';
import type { RestoreTestResult, SnapshotPort, SnapshotRequest } from '../../ports';
import type { Queryable } from '../../store/pool';
import { findSimSnapshot, revertSimDeploysSince, setSimSnapshotState, simSnapshotIdByKey, takeSimSnapshot, type SimSnapshot } from '../../store/simulated-vendor-store';
import { simulatedHostFailure } from '../simulated-fleet';

// Snapshots kept in sim_snapshots. Restores fail on simulation.failingHosts so the demo can show a
// rollback whose compensation itself fails.

export interface SimulatedSnapshotOptions {
  db: Queryable;
  clientId: string;
  simulation: SimulationPolicy;
}

const SNAPSHOT_ID = /^simsnap-(\d+)$/;

export class SimulatedSnapshots implements SnapshotPort {
  private readonly db: Queryable;
  private readonly clientId: string;
  private readonly simulation: SimulationPolicy;

  constructor(options: SimulatedSnapshotOptions) {
    this.db = options.db;
    this.clientId = options.clientId;
    this.simulation = options.simulation;
  }

  private async find(snapshotId: string): Promise<SimSnapshot | undefined> {
    const match = SNAPSHOT_ID.exec(snapshotId);
    if (!match) {
      throw failure('NotFound', `simulated snapshot id must look like simsnap-12, got "${snapshotId}"`);
    }
    return findSimSnapshot(this.db, match[1]!, this.clientId);
  }

  async take(request: SnapshotRequest): Promise<{ snapshotId: string }> {
    // Look first, as the Proxmox adapter must: a hypervisor accepts a duplicate name and fails later.
    const id =
      (await simSnapshotIdByKey(this.db, request.key)) ??
      (await takeSimSnapshot(this.db, { key: request.key, clientId: this.clientId, hostname: request.hostname, label: request.label }));
    return { snapshotId: `simsnap-${id}` };
  }

  async verify(clientId: string, snapshotId: string): Promise<{ ok: boolean; detail: string }> {
    const snapshot = await this.find(snapshotId);
    if (!snapshot) return { ok: false, detail: `snapshot ${snapshotId} not found for client ${clientId}` };
    return { ok: true, detail: `snapshot "${snapshot.label}" of ${snapshot.hostname} present (taken ${snapshot.createdAt.toISOString()})` };
  }

  async restore(clientId: string, snapshotId: string): Promise<{ ok: boolean; detail: string }> {
    const snapshot = await this.find(snapshotId);
    if (!snapshot) return { ok: false, detail: `snapshot ${snapshotId} not found for client ${clientId}` };
    const failure = simulatedHostFailure(this.simulation, snapshot.hostname);
    if (failure) {
      await setSimSnapshotState(this.db, snapshot.id, 'restore-failed');
      return { ok: false, detail: `rollback of ${snapshot.hostname} to "${snapshot.label}" failed: TASK ERROR: VM is locked (snapshot-delete)` };
    }
    await setSimSnapshotState(this.db, snapshot.id, 'restored');
    // Only the rescan after a restore proves the rollback, so the simulated RMM must see the disk go back.
    await revertSimDeploysSince(this.db, { id: snapshot.id, clientId: this.clientId, hostname: snapshot.hostname, createdAt: snapshot.createdAt });
    return { ok: true, detail: `${snapshot.hostname} rolled back to "${snapshot.label}": TASK OK` };
  }

  /** An isolated copy, as a hypervisor clone without network would be; the snapshot's own state is untouched. */
  async testRestore(clientId: string, snapshotId: string, hostname: string): Promise<RestoreTestResult> {
    const snapshot = await this.find(snapshotId);
    if (!snapshot || snapshot.hostname !== hostname) {
      return { mode: 'isolated-copy', ok: false, detail: `snapshot ${snapshotId} of ${hostname} not found for client ${clientId}`, steps: [{ step: 'find snapshot', ok: false, detail: 'not found' }] };
    }
    const copy = `${hostname}-drill-${snapshot.id}`;
    const broken = simulatedHostFailure(this.simulation, hostname) !== undefined;
    const steps = [
      { step: 'find snapshot', ok: true, detail: `"${snapshot.label}" taken ${snapshot.createdAt.toISOString()}` },
      { step: 'clone into isolated copy', ok: true, detail: `${copy} created from the snapshot, network detached` },
      broken
        ? { step: 'boot and check', ok: false, detail: `${copy} did not boot: disk image fails its checksum` }
        : { step: 'boot and check', ok: true, detail: `${copy} booted; services answered on the isolated network` },
      { step: 'discard copy', ok: true, detail: `${copy} removed` },
    ];
    return { mode: 'isolated-copy', ok: !broken, detail: broken ? `restore of ${hostname} into ${copy} failed to boot` : `${hostname} restored into isolated copy ${copy} and booted`, steps };
  }
}
