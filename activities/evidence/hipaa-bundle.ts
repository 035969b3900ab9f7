import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import {
  loadControlsRegister,
  loadEphiInventory,
  loadEvidenceChain,
  loadPeriodCycles,
  loadRiskRows,
  type ControlsRegisterRow,
  type EphiAsset,
  type EvidenceChainEvent,
  type RiskRow,
} from '../store/evidence-store';
import type { Queryable } from '../store/pool';
import type { PatchPolicy } from '../../config/policy-schema';
import { addQbrSummaryToBundle } from '../reporting/qbr';
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
  /** With the policy, the bundle also holds the QBR executive summary of the quarter of `to`. */
  policy?: PatchPolicy;
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

type Column<T> = readonly [header: string, value: (row: T) => unknown];

const csvFile = <T>(dir: string, name: string, columns: readonly Column<T>[], rows: readonly T[]) =>
  writeFileSync(join(dir, name), toCsv(columns.map(([header]) => header), rows.map((r) => columns.map(([, value]) => value(r)))));

const INVENTORY_COLUMNS: readonly Column<EphiAsset>[] = [
  ['hostname', (r) => r.hostname],
  ['os', (r) => r.os],
  ['role', (r) => r.role],
  ['asset_class', (r) => r.assetClass],
  ['owner', (r) => r.owner],
  ['location', (r) => r.location],
  ['tags', (r) => r.tags],
  ['applications', (r) => r.applications],
  ['open_patches', (r) => r.openPatches],
  ['imported_at', (r) => r.importedAt],
  ['updated_at', (r) => r.updatedAt],
];

type RankedRisk = RiskRow & { riskRank: number };

const RISK_COLUMNS: readonly Column<RankedRisk>[] = [
  ['risk_rank', (r) => r.riskRank],
  ['cycle_id', (r) => r.cycleId],
  ['planned_at', (r) => r.plannedAt],
  ['patch_id', (r) => r.patchId],
  ['title', (r) => r.title],
  ['product', (r) => r.product],
  ['severity', (r) => r.severity],
  ['asset_class', (r) => r.assetClass],
  ['ring', (r) => r.ring],
  ['assets', (r) => r.assets],
  ['ephi_assets', (r) => r.ephiAssets],
  ['sla_deadline', (r) => r.slaDeadline],
  ['verified', (r) => r.verified],
  ['failed', (r) => r.failed],
  ['rolled_back', (r) => r.rolledBack],
];

const CHAIN_COLUMNS: readonly Column<EvidenceChainEvent>[] = [
  ['at', (r) => r.at],
  ['cycle_id', (r) => r.cycleId],
  ['ring', (r) => r.ring],
  ['hostname', (r) => r.hostname],
  ['ephi', (r) => r.ephi],
  ['patch_id', (r) => r.patchId],
  ['severity', (r) => r.severity],
  ['from_state', (r) => r.fromState],
  ['to_state', (r) => r.toState],
  ['detail', (r) => r.detail],
];

const CONTROL_COLUMNS: readonly Column<ControlsRegisterRow>[] = [
  ['id', (r) => r.id],
  ['kind', (r) => r.kind],
  ['status', (r) => r.status],
  ['hostnames', (r) => r.hostnames],
  ['patch_ids', (r) => r.patchIds],
  ['reason', (r) => r.reason],
  ['controls', (r) => r.controls.map((c) => `${c.category}: ${c.description}`).join('; ')],
  ['client_approval_ref', (r) => r.clientApprovalRef],
  ['ticket_id', (r) => r.ticketId],
  ['requested_by', (r) => r.requestedBy],
  ['requested_at', (r) => r.requestedAt],
  ['signed_off_by', (r) => r.signedOffBy],
  ['signed_off_at', (r) => r.signedOffAt],
  ['approved_by', (r) => r.approvedBy],
  ['approved_at', (r) => r.approvedAt],
  ['expires_at', (r) => r.expiresAt],
  ['review_at', (r) => r.reviewAt],
  ['status_reason', (r) => r.statusReason],
];

export async function exportHipaaEvidence(options: HipaaExportOptions): Promise<HipaaExportResult> {
  const { db, clientId, dir } = options;
  const start = new Date(`${options.from}T00:00:00Z`);
  const end = new Date(new Date(`${options.to}T00:00:00Z`).getTime() + 86_400_000);
  const period = { clientId, start, end };

  const cycles = await loadPeriodCycles(db, period);
  const inventory = await loadEphiInventory(db, clientId);
  csvFile(dir, 'ephi-asset-inventory.csv', INVENTORY_COLUMNS, inventory);
  const riskRows = (await loadRiskRows(db, period)).map((r, i) => ({ ...r, riskRank: i + 1 }));
  csvFile(dir, 'risk-prioritization-log.csv', RISK_COLUMNS, riskRows);
  const chain = await loadEvidenceChain(db, period);
  csvFile(dir, 'patch-evidence-chain.csv', CHAIN_COLUMNS, chain);
  const controlRows = await loadControlsRegister(db, period);
  csvFile(dir, 'compensating-controls-register.csv', CONTROL_COLUMNS, controlRows);
  const controlsText = (c: ControlsRegisterRow) => c.controls.map((x) => `${x.category}: ${x.description}`).join('; ');

  const createdAt = (options.now?.() ?? new Date()).toISOString();
  const planned = riskRows.reduce((n, r) => n + Number(r.assets), 0);
  const verified = riskRows.reduce((n, r) => n + Number(r.verified), 0);
  const md = [
    `# HIPAA-aligned evidence bundle: ${clientId}, ${options.from} to ${options.to}`,
    '',
    `Exported ${createdAt}. Times are UTC; the period includes both days.`,
    '',
    `- ePHI assets in inventory: **${inventory.length}** (\`ephi-asset-inventory.csv\`)`,
    `- patch cycles in the period: **${cycles.length}**${cycles.length ? ': ' + cycles.map((c) => `${c.id} (${c.status})`).join(', ') : ''}`,
    `- compliance score: **${planned ? ((verified / planned) * 100).toFixed(1) : '100.0'}%** of planned asset × patch pairs verified (${verified} of ${planned}; \`risk-prioritization-log.csv\`)`,
    `- evidence chain: **${chain.length}** timestamped state changes, detection to verification or rollback (\`patch-evidence-chain.csv\`)`,
    `- exceptions and isolated lanes: **${controlRows.length}** (\`compensating-controls-register.csv\`)`,
    '',
    '## Active exceptions and their expiry',
    '',
    ...controlRows
      .filter((c) => c.status === 'active')
      .map((c) => `- ${c.id} (${c.kind}) for ${c.hostnames}: ${c.kind === 'deferral' ? 'expires' : 'review'} ${(c.expiresAt ?? c.reviewAt)?.toISOString() ?? 'n/a'}; controls: ${controlsText(c) || 'none'}`),
    ...(controlRows.some((c) => c.status === 'active') ? [] : ['None.']),
    '',
    '## Top risks reduced',
    '',
    ...riskRows.filter((r) => Number(r.verified) > 0).slice(0, 5).map((r) => `${r.riskRank}. ${r.severity} ${r.patchId} (${r.title}) on ${r.verified} ${r.assetClass} assets in ${r.ring}, ${r.ephiAssets} with ePHI`),
    ...(riskRows.some((r) => Number(r.verified) > 0) ? [] : ['None in this period.']),
    '',
    'Check this bundle with `patchctl evidence verify THIS_FOLDER --public-key msp.pub.pem`.',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'summary.md'), md);
  if (options.policy) await addQbrSummaryToBundle({ db, policy: options.policy, clientId, lastDay: new Date(end.getTime() - 1), dir, now: options.now?.() });

  const manifest = writeManifest(dir, { clientId, period: { from: options.from, to: options.to }, createdAt }, options.signingKey);
  return {
    clientId,
    period: { from: options.from, to: options.to },
    dir,
    cycles: cycles.map((c) => c.id),
    ephiAssets: inventory.length,
    riskRows: riskRows.length,
    evidenceEvents: chain.length,
    controls: controlRows.length,
    signed: options.signingKey !== undefined,
    manifest,
  };
}
