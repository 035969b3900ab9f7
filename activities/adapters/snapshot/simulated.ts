import { failure } from '../../../domain/failure-catalog';
import type { SimulationPolicy } from '../../../config/policy-schema';
import type { SnapshotPort, SnapshotRequest } from '../../ports';
import type { Queryable } from '../../store/pool';
import { simulatedHostFailure } from '../simulated-fleet';

// Snapshots kept in sim_snapshots. Restores fail on simulation.failingHosts so the demo can show a
// rollback whose compensation itself fails.

export interface SimulatedSnapshotOptions {
  db: Queryable;
  clientId: string;
  simulation: SimulationPolicy;
}

const SNAPSHOT_ID = /^simsnap-(\d+)$/;

interface SnapshotRow {
  id: string;
  hostname: string;
  label: string;
  state: string;
  created_at: Date;
}

export class SimulatedSnapshots implements SnapshotPort {
  private readonly db: Queryable;
  private readonly clientId: string;
  private readonly simulation: SimulationPolicy;

  constructor(options: SimulatedSnapshotOptions) {
    this.db = options.db;
    this.clientId = options.clientId;
    this.simulation = options.simulation;
  }

  private async find(snapshotId: string): Promise<SnapshotRow | undefined> {
    const match = SNAPSHOT_ID.exec(snapshotId);
    if (!match) {
      throw failure('NotFound', `simulated snapshot id must look like simsnap-12, got "${snapshotId}"`);
    }
    const result = await this.db.query<SnapshotRow>(
      'SELECT id, hostname, label, state, created_at FROM sim_snapshots WHERE id = $1 AND client_id = $2',
      [match[1], this.clientId],
    );
    return result.rows[0];
  }

  async take(request: SnapshotRequest): Promise<{ snapshotId: string }> {
    // Look first, as the Proxmox adapter must: a hypervisor accepts a duplicate name and fails later.
    const existing = await this.db.query<{ id: string }>('SELECT id FROM sim_snapshots WHERE key = $1', [request.key]);
    if (!existing.rows[0]) {
      await this.db.query(
        `INSERT INTO sim_snapshots (key, client_id, hostname, label) VALUES ($1, $2, $3, $4)
         ON CONFLICT (key) DO NOTHING`,
        [request.key, this.clientId, request.hostname, request.label],
      );
    }
    const row = existing.rows[0] ?? (await this.db.query<{ id: string }>('SELECT id FROM sim_snapshots WHERE key = $1', [request.key])).rows[0]!;
    return { snapshotId: `simsnap-${row.id}` };
  }

  async verify(clientId: string, snapshotId: string): Promise<{ ok: boolean; detail: string }> {
    const snapshot = await this.find(snapshotId);
    if (!snapshot) return { ok: false, detail: `snapshot ${snapshotId} not found for client ${clientId}` };
    return { ok: true, detail: `snapshot "${snapshot.label}" of ${snapshot.hostname} present (taken ${snapshot.created_at.toISOString()})` };
  }

  async restore(clientId: string, snapshotId: string): Promise<{ ok: boolean; detail: string }> {
    const snapshot = await this.find(snapshotId);
    if (!snapshot) return { ok: false, detail: `snapshot ${snapshotId} not found for client ${clientId}` };
    const failure = simulatedHostFailure(this.simulation, snapshot.hostname);
    if (failure) {
      await this.db.query(`UPDATE sim_snapshots SET state = 'restore-failed' WHERE id = $1`, [snapshot.id]);
      return { ok: false, detail: `rollback of ${snapshot.hostname} to "${snapshot.label}" failed: TASK ERROR: VM is locked (snapshot-delete)` };
    }
    await this.db.query(`UPDATE sim_snapshots SET state = 'restored' WHERE id = $1`, [snapshot.id]);
    return { ok: true, detail: `${snapshot.hostname} rolled back to "${snapshot.label}": TASK OK` };
  }
}
