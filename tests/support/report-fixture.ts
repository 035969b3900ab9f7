import type { Pool } from 'pg';
import { upsertClients } from '../../activities/store/client-store';
import { importAssets } from '../../activities/store/inventory-store';
import type { PatchPolicy } from '../../config/policy-schema';

// A small clinic fleet whose October 2026 figures are computed by hand in the report tests, with
// changes made in November (a later failure, a later exception, a later asset, a later detection)
// that an October report must not see.

export const CLIENT = 'clinic';
export const MONTH = '2026-10';

type State = 'deployed' | 'verified' | 'failed' | 'rolled-back' | 'excepted';
interface PairSeed {
  host: string;
  patch: string;
  detected: string;
  events?: { to: State; at: string; cycle?: string }[];
}

const ASSETS = [
  { hostname: 'ws-1', os: 'windows', role: 'workstation', assetClass: 'workstation', ephi: true, imported: '2026-09-01' },
  { hostname: 'ws-2', os: 'windows', role: 'workstation', assetClass: 'workstation', ephi: false, imported: '2026-09-01' },
  { hostname: 'ws-3', os: 'macos', role: 'workstation', assetClass: 'workstation', ephi: false, imported: '2026-09-01' },
  { hostname: 'ws-4', os: 'windows', role: 'workstation', assetClass: 'workstation', ephi: false, imported: '2026-09-01' },
  { hostname: 'srv-1', os: 'linux', role: 'server', assetClass: 'core-server', ephi: true, imported: '2026-09-01' },
  { hostname: 'dnd-1', os: 'windows', role: 'kiosk', assetClass: 'do-not-disrupt', ephi: true, imported: '2026-09-01' },
  // Imported after October: not part of October's fleet.
  { hostname: 'later-1', os: 'windows', role: 'workstation', assetClass: 'workstation', ephi: false, imported: '2026-11-15' },
] as const;

const PATCHES = [
  { id: 'KB-CRIT', title: 'Critical OS update', product: 'os', severity: 'critical' },
  { id: 'KB-HIGH', title: 'Browser update', product: 'browser', severity: 'high' },
  { id: 'KB-ROUT', title: 'PDF reader update', product: 'pdf', severity: 'routine' },
] as const;

const PAIRS: PairSeed[] = [
  // ws-1: critical verified after 48 h (SLA 24 h); high never deployed, overdue since Oct 8.
  { host: 'ws-1', patch: 'KB-CRIT', detected: '2026-10-01T00:00Z', events: [{ to: 'deployed', at: '2026-10-02T00:00Z', cycle: 'c1' }, { to: 'verified', at: '2026-10-03T00:00Z', cycle: 'c1' }] },
  { host: 'ws-1', patch: 'KB-HIGH', detected: '2026-10-01T00:00Z' },
  // ws-2: critical verified after 24 h; it FAILS in November (must not change October).
  { host: 'ws-2', patch: 'KB-CRIT', detected: '2026-10-01T00:00Z', events: [{ to: 'verified', at: '2026-10-02T00:00Z', cycle: 'c1' }, { to: 'failed', at: '2026-11-10T00:00Z', cycle: 'c3' }] },
  // ws-2: routine attempted in c2, failed and rolled back; its 30-day window runs to Nov 19.
  { host: 'ws-2', patch: 'KB-ROUT', detected: '2026-10-20T00:00Z', events: [{ to: 'deployed', at: '2026-10-21T00:00Z', cycle: 'c2' }, { to: 'failed', at: '2026-10-21T01:00Z', cycle: 'c2' }, { to: 'rolled-back', at: '2026-10-21T02:00Z', cycle: 'c2' }] },
  // ws-3 (macOS): deployed but never verified: a deployment is not a verification, so overdue.
  { host: 'ws-3', patch: 'KB-CRIT', detected: '2026-10-05T00:00Z', events: [{ to: 'deployed', at: '2026-10-06T00:00Z', cycle: 'c1' }] },
  // ws-4: its only patch is detected in November: nothing missing as of October's end.
  { host: 'ws-4', patch: 'KB-CRIT', detected: '2026-11-05T00:00Z' },
  // srv-1: critical verified in 12 h; high detected Oct 28, inside its 7-day window at month end.
  { host: 'srv-1', patch: 'KB-CRIT', detected: '2026-10-10T00:00Z', events: [{ to: 'verified', at: '2026-10-10T12:00Z', cycle: 'c1' }] },
  { host: 'srv-1', patch: 'KB-HIGH', detected: '2026-10-28T00:00Z' },
  // dnd-1: critical missing since Oct 1 but deferred under exception ex-1 for the whole asset.
  { host: 'dnd-1', patch: 'KB-CRIT', detected: '2026-10-01T00:00Z' },
];

export async function seedReportFixture(pool: Pool, policy: PatchPolicy): Promise<void> {
  await upsertClients(pool, policy.clients);
  await importAssets(
    pool,
    CLIENT,
    ASSETS.map((a) => ({ hostname: a.hostname, os: a.os, role: a.role, assetClass: a.assetClass, owner: 'front desk', location: 'main', ephi: a.ephi, tags: a.ephi ? ['ephi'] : [], applications: ['Acrobat Reader'] })),
  );
  for (const a of ASSETS) await pool.query('UPDATE assets SET imported_at = $3, updated_at = $3 WHERE client_id = $1 AND hostname = $2', [CLIENT, a.hostname, a.imported]);
  for (const p of PATCHES) await pool.query('INSERT INTO patches (id, title, product, severity) VALUES ($1, $2, $3, $4)', [p.id, p.title, p.product, p.severity]);
  const cycles = [
    { id: 'clinic/c1', planned: '2026-10-02T00:00Z', status: 'completed', ended: '2026-10-12T00:00Z', reason: null },
    { id: 'clinic/c2', planned: '2026-10-20T00:00Z', status: 'rolled-back', ended: '2026-10-21T03:00Z', reason: 'canary gate breached: 1 of 1 failed' },
    { id: 'clinic/c3', planned: '2026-11-10T00:00Z', status: 'rolled-back', ended: '2026-11-10T03:00Z', reason: 'November failure' },
  ];
  for (const c of cycles) {
    await pool.query(`INSERT INTO cycles (id, client_id, name, requested_by, status, status_reason, planned_at, ended_at) VALUES ($1, $2, $1, 'tech@msp.test', $3, $4, $5, $6)`, [c.id, CLIENT, c.status, c.reason, c.planned, c.ended]);
  }
  const id = async (host: string) => (await pool.query<{ id: string }>('SELECT id FROM assets WHERE client_id = $1 AND hostname = $2', [CLIENT, host])).rows[0]?.id;
  const members: { cycle: string; host: string; outcome: string }[] = [
    { cycle: 'clinic/c1', host: 'ws-1', outcome: 'verified' },
    { cycle: 'clinic/c1', host: 'ws-2', outcome: 'verified' },
    { cycle: 'clinic/c1', host: 'srv-1', outcome: 'verified' },
    { cycle: 'clinic/c1', host: 'ws-3', outcome: 'pending' },
    { cycle: 'clinic/c2', host: 'ws-2', outcome: 'rolled-back' },
    { cycle: 'clinic/c3', host: 'ws-2', outcome: 'failed' },
  ];
  for (const m of members) {
    await pool.query(
      `INSERT INTO cycle_assets (cycle_id, asset_id, hostname, ring, batch_index, asset_class, patch_ids, sla_deadline, reboot_mode, snapshot_required, outcome)
       VALUES ($1, $2, $3, 'canary', 0, 'workstation', '{}', now(), 'user-prompted', false, $4)`,
      [m.cycle, await id(m.host), m.host, m.outcome],
    );
  }
  for (const pair of PAIRS) {
    const assetId = await id(pair.host);
    const events = pair.events ?? [];
    const last = events[events.length - 1];
    await pool.query(`INSERT INTO asset_patch_state (asset_id, patch_id, state, detected_at, updated_at) VALUES ($1, $2, $3, $4, $5)`, [assetId, pair.patch, last?.to ?? 'missing', pair.detected, last?.at ?? pair.detected]);
    for (const e of events) {
      await pool.query(`INSERT INTO patch_state_events (asset_id, patch_id, cycle_id, ring, to_state, at) VALUES ($1, $2, $3, 'canary', $4, $5)`, [assetId, pair.patch, e.cycle ? `clinic/${e.cycle}` : null, e.to, e.at]);
    }
  }
  const exceptions = [
    // In force at October's end: whole-asset deferral of dnd-1.
    { id: 'ex-1', hosts: ['dnd-1'], status: 'active', requested: '2026-10-01T00:00Z', approved: '2026-10-02T00:00Z', expires: '2026-12-31T00:00Z', updated: '2026-10-02T00:00Z' },
    // Revoked on Oct 15: not in force at the end.
    { id: 'ex-2', hosts: ['ws-3'], status: 'revoked', requested: '2026-10-01T00:00Z', approved: '2026-10-01T12:00Z', expires: '2026-12-01T00:00Z', updated: '2026-10-15T00:00Z' },
    // Approved in November: October does not know it.
    { id: 'ex-3', hosts: ['ws-1'], status: 'active', requested: '2026-11-02T00:00Z', approved: '2026-11-03T00:00Z', expires: '2027-01-15T00:00Z', updated: '2026-11-03T00:00Z' },
  ];
  for (const e of exceptions) {
    await pool.query(
      `INSERT INTO exceptions (id, client_id, kind, hostnames, status, reason, ticket_id, requested_by, requested_at, signed_off_by, signed_off_at, approved_by, approved_at, expires_at, updated_at)
       VALUES ($1, $2, 'deferral', $3, $4, 'vendor certification pending', 'T-1', 'tech@msp.test', $5, 'owner@clinic.test', $6, 'lead@msp.test', $6, $7, $8)`,
      [e.id, CLIENT, e.hosts, e.status, e.requested, e.approved, e.expires, e.updated],
    );
  }
}
