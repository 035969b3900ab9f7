import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { upsertClients } from '../../activities/store/client-store';
import { parseInventoryCsv } from '../../activities/store/inventory-csv';
import { countAssets, importAssets, UnknownClientError } from '../../activities/store/inventory-store';
import { migrateUp } from '../../activities/store/migrate';
import { createPool } from '../../activities/store/pool';
import { resolveDatabaseUrl } from '../connection/stack';
import { badInput, notFound } from '../errors';
import { loadPolicy } from './policy';

function readInventoryFile(file: string): string {
  const path = resolve(file);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw badInput(`inventory file ${path} not found`, 'pass the path of a CSV file exported from your RMM or asset register');
  }
  return readFileSync(path, 'utf8');
}

/** Imports a CSV inventory for one client: every row valid and imported, or nothing written. */
export async function importInventoryFile(file: string, clientId: string): Promise<{ counts: { inserted: number; updated: number }; total: number; assets: number }> {
  const parsed = parseInventoryCsv(readInventoryFile(file));
  if (!parsed.ok) {
    const count = parsed.problems.length;
    throw badInput(`${file} has ${count} problem${count === 1 ? '' : 's'}; nothing was imported`, 'fix every line listed, then import the file again', parsed.problems);
  }
  const { policy, file: policyFile } = loadPolicy();
  const databaseUrl = resolveDatabaseUrl();
  await migrateUp(databaseUrl);
  const db = createPool(databaseUrl, 1);
  try {
    // The policy is where clients are defined; the store follows it before assets refer to them.
    await upsertClients(db, policy.clients);
    let counts;
    try {
      counts = await importAssets(db, clientId, parsed.assets);
    } catch (error) {
      if (error instanceof UnknownClientError) throw notFound(error.message, `add client "${clientId}" to ${policyFile} or pass one of the known client ids`);
      throw error;
    }
    return { counts, total: await countAssets(db, { clientId }), assets: parsed.assets.length };
  } finally {
    await db.end();
  }
}
