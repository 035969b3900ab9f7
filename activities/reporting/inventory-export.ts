import type { KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { failure } from '../../domain/failure-catalog';
import { monthPeriod } from '../../domain/reporting/period';
import { toCsv } from '../evidence/csv';
import { getClient } from '../store/client-store';
import type { Queryable } from '../store/pool';
import { inventoryAsOf, type InventoryExportRow } from '../store/report-store';
import { prepareReportDir, sealBundle, type WrittenBundle } from './report-bundle';

// The playbook's monthly, date-stamped inventory: the same field labels in the CSV and the JSON
// ("ePHI system: yes/no"), hashed and signed like an evidence bundle, one folder per client and month.

export const INVENTORY_LABELS = [
  'Hostname',
  'Operating system',
  'System role',
  'Asset class',
  'Owner',
  'Location',
  'ePHI system',
  'Sensitive data tags',
  'Installed applications',
  'First imported',
  'Last updated',
] as const;

type Label = (typeof INVENTORY_LABELS)[number];

const yesNo = (value: boolean | null) => (value === null ? 'unknown' : value ? 'yes' : 'no');

export function inventoryRecord(row: InventoryExportRow): Record<Label, string> {
  return {
    Hostname: row.hostname,
    'Operating system': row.os,
    'System role': row.role,
    'Asset class': row.assetClass ?? 'unclassified',
    Owner: row.owner,
    Location: row.location,
    'ePHI system': yesNo(row.ephi),
    'Sensitive data tags': row.tags.join('; '),
    'Installed applications': row.applications.join('; '),
    'First imported': row.firstImported.toISOString(),
    'Last updated': row.lastUpdated.toISOString(),
  };
}

export function inventoryDir(home: string, clientId: string, month: string): string {
  return join(home, 'exports', clientId, month);
}

export interface InventoryExport extends WrittenBundle {
  clientId: string;
  month: string;
  assets: number;
  ephiAssets: number;
}

export async function exportInventory(options: { db: Queryable; clientId: string; month: string; dir: string; signingKey?: KeyObject; now?: Date }): Promise<InventoryExport> {
  const period = monthPeriod(options.month);
  const client = await getClient(options.db, options.clientId);
  if (!client) throw failure('NotFound', `no client "${options.clientId}" in the patchctl database`);
  const rows = (await inventoryAsOf(options.db, options.clientId, period.end)).map(inventoryRecord);
  prepareReportDir(options.dir, (name) => /^inventory\.(csv|json)$/.test(name));
  writeFileSync(join(options.dir, 'inventory.csv'), toCsv(INVENTORY_LABELS, rows.map((r) => INVENTORY_LABELS.map((l) => r[l]))));
  const doc = { client: { id: client.id, name: client.name }, month: options.month, asOf: period.end.toISOString(), fields: INVENTORY_LABELS, assets: rows };
  writeFileSync(join(options.dir, 'inventory.json'), `${JSON.stringify(doc, null, 2)}\n`);
  const header = { clientId: options.clientId, period: { from: period.start.toISOString(), to: period.end.toISOString() }, createdAt: (options.now ?? new Date()).toISOString() };
  const { manifest, manifestSha256 } = sealBundle(options.dir, header, options.signingKey);
  return {
    clientId: options.clientId,
    month: options.month,
    assets: rows.length,
    ephiAssets: rows.filter((r) => r['ePHI system'] === 'yes').length,
    dir: options.dir,
    files: manifest.files.map((f) => f.path),
    signed: Boolean(options.signingKey),
    manifest,
    manifestSha256,
  };
}
