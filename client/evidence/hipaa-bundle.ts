import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import type { Queryable } from '../../activities/store/pool';
import type { CompensatingControl } from '../../domain/exception';
import { toCsv } from './csv';
import { writeManifest, type Manifest } from './manifest';

// The playbook's HIPAA-aligned evidence bundle for one client and period: ePHI asset inventory,
// risk-based prioritization log, patch evidence chain, compensating controls register.

export interface HipaaExportOptions {
  db: Queryable;
  clientId: string;
  /** YYYY-MM-DD, both days included, UTC. */
  from: string;
  to: string;
  dir: string;
  signingKey?: KeyObject;
  now?: () => Date;
}

export interface HipaaExportResult {
  clientId: string;
  period: { from: string; to: string };
  dir: string;
  cycles: string[];
  ephiAssets: number;
  riskRows: number;
  evidenceEvents: number;
  controls: number;
  signed: boolean;
  manifest: Manifest;
}

const SEVERITY_ORDER = `ARRAY['critical','high','routine']`;
const CLASS_ORDER = `ARRAY['core-server','do-not-disrupt','workstation']`;
const RING_ORDER = `ARRAY['canary','pilot','production']`;

const csvFile = (dir: string, name: string, headers: string[], rows: Record<string, unknown>[]) =>
  writeFileSync(join(dir, name), toCsv(headers, rows.map((r) => headers.map((h) => r[h]))));

export async function exportHipaaEvidence(options: HipaaExportOptions): Promise<HipaaExportResult> {
  const { db, clientId, dir } = options;
  const start = new Date(`${options.from}T00:00:00Z`);
  const end = new Date(new Date(`${options.to}T00:00:00Z`).getTime() + 86_400_000);
  const period = [clientId, start, end];

  const cycles = await db.query(
    `SELECT id, status, status_reason, requested_by, planned_at, ended_at FROM cycles WHERE client_id = $1 AND planned_at >= $2 AND planned_at < $3 ORDER BY planned_at, id`,
    period,
  );

  const inventory = await db.query(
    `SELECT a.hostname, a.os, a.role, a.asset_class, a.owner, a.location, array_to_string(a.tags, ';') AS tags,
            coalesce(string_agg(app.name, ';' ORDER BY app.name), '') AS applications,
            (SELECT count(*)::int FROM asset_patch_state s WHERE s.asset_id = a.id AND s.state IN ('missing', 'failed', 'rolled-back')) AS open_patches,
            a.imported_at, a.updated_at
       FROM assets a LEFT JOIN asset_applications app ON app.asset_id = a.id
      WHERE a.client_id = $1 AND a.ephi
      GROUP BY a.id ORDER BY a.hostname`,
    [clientId],
  );
  csvFile(dir, 'ephi-asset-inventory.csv', ['hostname', 'os', 'role', 'asset_class', 'owner', 'location', 'tags', 'applications', 'open_patches', 'imported_at', 'updated_at'], inventory.rows);

  // Risk: most severe patch first, then the most business-critical asset class, then ePHI exposure, then the nearest deadline.
  const risk = await db.query(
    `SELECT c.id AS cycle_id, c.planned_at, p.id AS patch_id, p.title, p.product, p.severity, ca.asset_class, ca.ring,
            count(*)::int AS assets, (count(*) FILTER (WHERE a.ephi))::int AS ephi_assets, min(ca.sla_deadline) AS sla_deadline,
            (count(*) FILTER (WHERE ca.outcome = 'verified'))::int AS verified, (count(*) FILTER (WHERE ca.outcome = 'failed'))::int AS failed,
            (count(*) FILTER (WHERE ca.outcome IN ('rolled-back', 'rollback-failed')))::int AS rolled_back
       FROM cycles c
       JOIN cycle_assets ca ON ca.cycle_id = c.id
       CROSS JOIN LATERAL unnest(ca.patch_ids) AS pid(id)
       JOIN patches p ON p.id = pid.id
       JOIN assets a ON a.id = ca.asset_id
      WHERE c.client_id = $1 AND c.planned_at >= $2 AND c.planned_at < $3
      GROUP BY c.id, c.planned_at, p.id, p.title, p.product, p.severity, ca.asset_class, ca.ring
      ORDER BY array_position(${SEVERITY_ORDER}, p.severity), array_position(${CLASS_ORDER}, ca.asset_class), count(*) FILTER (WHERE a.ephi) DESC, min(ca.sla_deadline),
               c.id, p.id, array_position(${RING_ORDER}, ca.ring)`,
    period,
  );
  const riskRows = risk.rows.map((r, i) => ({ risk_rank: i + 1, ...r }));
  csvFile(dir, 'risk-prioritization-log.csv', ['risk_rank', 'cycle_id', 'planned_at', 'patch_id', 'title', 'product', 'severity', 'asset_class', 'ring', 'assets', 'ephi_assets', 'sla_deadline', 'verified', 'failed', 'rolled_back'], riskRows);

  // Detection is the asset_patch_state row's first write; every later move is a patch_state_events row.
  const chain = await db.query(
    `SELECT * FROM (
       SELECT s.detected_at AS at, NULL::text AS cycle_id, NULL::text AS ring, a.hostname, a.ephi, s.patch_id, p.severity,
              NULL::text AS from_state, 'detected' AS to_state, NULL::text AS detail, 0::bigint AS seq
         FROM asset_patch_state s JOIN assets a ON a.id = s.asset_id JOIN patches p ON p.id = s.patch_id
        WHERE a.client_id = $1 AND s.detected_at >= $2 AND s.detected_at < $3
       UNION ALL
       SELECT e.at, e.cycle_id, e.ring, a.hostname, a.ephi, e.patch_id, p.severity, e.from_state, e.to_state, e.detail, e.id
         FROM patch_state_events e JOIN assets a ON a.id = e.asset_id JOIN patches p ON p.id = e.patch_id
        WHERE a.client_id = $1 AND e.at >= $2 AND e.at < $3
     ) chain ORDER BY at, seq, hostname, patch_id`,
    period,
  );
  csvFile(dir, 'patch-evidence-chain.csv', ['at', 'cycle_id', 'ring', 'hostname', 'ephi', 'patch_id', 'severity', 'from_state', 'to_state', 'detail'], chain.rows);

  const controls = await db.query(
    `SELECT id, kind, status, array_to_string(hostnames, ';') AS hostnames, array_to_string(patch_ids, ';') AS patch_ids, reason, controls,
            client_approval_ref, ticket_id, requested_by, requested_at, signed_off_by, signed_off_at, approved_by, approved_at,
            expires_at, review_at, status_reason
       FROM exceptions
      WHERE client_id = $1 AND requested_at < $3 AND (status = 'active' OR coalesce(expires_at, review_at) IS NULL OR coalesce(expires_at, review_at) >= $2)
      ORDER BY kind DESC, id`,
    period,
  );
  const controlRows = controls.rows.map((r) => ({ ...r, controls: (r.controls as CompensatingControl[]).map((c) => `${c.category}: ${c.description}`).join('; ') }));
  csvFile(
    dir,
    'compensating-controls-register.csv',
    ['id', 'kind', 'status', 'hostnames', 'patch_ids', 'reason', 'controls', 'client_approval_ref', 'ticket_id', 'requested_by', 'requested_at', 'signed_off_by', 'signed_off_at', 'approved_by', 'approved_at', 'expires_at', 'review_at', 'status_reason'],
    controlRows,
  );

  const createdAt = (options.now?.() ?? new Date()).toISOString();
  const planned = riskRows.reduce((n, r) => n + Number(r.assets), 0);
  const verified = riskRows.reduce((n, r) => n + Number(r.verified), 0);
  const md = [
    `# HIPAA-aligned evidence bundle: ${clientId}, ${options.from} to ${options.to}`,
    '',
    `Exported ${createdAt}. Times are UTC; the period includes both days.`,
    '',
    `- ePHI assets in inventory: **${inventory.rows.length}** (\`ephi-asset-inventory.csv\`)`,
    `- patch cycles in the period: **${cycles.rows.length}**${cycles.rows.length ? ': ' + cycles.rows.map((c) => `${c.id} (${c.status})`).join(', ') : ''}`,
    `- compliance score: **${planned ? ((verified / planned) * 100).toFixed(1) : '100.0'}%** of planned asset × patch pairs verified (${verified} of ${planned}; \`risk-prioritization-log.csv\`)`,
    `- evidence chain: **${chain.rows.length}** timestamped state changes, detection to verification or rollback (\`patch-evidence-chain.csv\`)`,
    `- exceptions and isolated lanes: **${controlRows.length}** (\`compensating-controls-register.csv\`)`,
    '',
    '## Active exceptions and their expiry',
    '',
    ...(controlRows.filter((c) => c.status === 'active').map((c) => `- ${c.id} (${c.kind}) for ${c.hostnames}: ${c.kind === 'deferral' ? 'expires' : 'review'} ${(c.expires_at ?? c.review_at)?.toISOString?.() ?? 'n/a'}; controls: ${c.controls || 'none'}`) as string[]),
    ...(controlRows.some((c) => c.status === 'active') ? [] : ['None.']),
    '',
    '## Top risks reduced',
    '',
    ...riskRows.filter((r) => Number(r.verified) > 0).slice(0, 5).map((r) => `${r.risk_rank}. ${r.severity} ${r.patch_id} (${r.title}) on ${r.verified} ${r.asset_class} assets in ${r.ring}, ${r.ephi_assets} with ePHI`),
    ...(riskRows.some((r) => Number(r.verified) > 0) ? [] : ['None in this period.']),
    '',
    'Check this bundle with `patchctl evidence verify THIS_FOLDER --public-key msp.pub.pem`.',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'summary.md'), md);

  const manifest = writeManifest(dir, { clientId, period: { from: options.from, to: options.to }, createdAt }, options.signingKey);
  return {
    clientId,
    period: { from: options.from, to: options.to },
    dir,
    cycles: cycles.rows.map((c) => c.id as string),
    ephiAssets: inventory.rows.length,
    riskRows: riskRows.length,
    evidenceEvents: chain.rows.length,
    controls: controlRows.length,
    signed: options.signingKey !== undefined,
    manifest,
  };
}
