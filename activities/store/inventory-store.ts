import type { Pool } from 'pg';
import type { Asset } from '../../domain/asset';
import { requireClient } from './client-store';
import type { AssetRow } from './inventory-csv';
import { withTransaction, type Queryable } from './pool';

export { UnknownClientError } from './client-store';

export interface ImportCounts {
  inserted: number;
  updated: number;
}

/** Rows per statement: keeps one statement's JSON parameter small even for a 100,000-asset fleet. */
const CHUNK = 1000;

interface UpsertedRow {
  id: string;
  hostname: string;
  inserted: boolean;
}

async function upsertChunk(tx: Queryable, clientId: string, assets: readonly AssetRow[]): Promise<ImportCounts> {
  // Hostname order: two imports of one client running at once lock its rows in the same order.
  const rows = [...assets].sort((a, b) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0)).map((a) => ({
    hostname: a.hostname,
    os: a.os,
    role: a.role,
    asset_class: a.assetClass,
    owner: a.owner,
    location: a.location,
    ephi: a.ephi,
    tags: a.tags,
  }));
  // xmax = 0 only on a row version this statement inserted; an ON CONFLICT update leaves it set.
  const { rows: upserted } = await tx.query<UpsertedRow>(
    `INSERT INTO assets (client_id, hostname, os, role, asset_class, owner, location, ephi, tags)
     SELECT $1, hostname, os, role, asset_class, owner, location, ephi, tags
       FROM jsonb_to_recordset($2::jsonb)
         AS a(hostname text, os text, role text, asset_class text, owner text, location text, ephi boolean, tags text[])
     ON CONFLICT (client_id, hostname) DO UPDATE
       SET os = EXCLUDED.os, role = EXCLUDED.role, asset_class = EXCLUDED.asset_class, owner = EXCLUDED.owner,
           location = EXCLUDED.location, ephi = EXCLUDED.ephi, tags = EXCLUDED.tags, updated_at = now()
     RETURNING id, hostname, (xmax = 0) AS inserted`,
    [clientId, JSON.stringify(rows)],
  );
  const idByHost = new Map(upserted.map((row) => [row.hostname, row.id]));
  const ids = upserted.map((row) => row.id);
  // The file is the truth for an asset's applications: what it no longer lists is removed.
  await tx.query('DELETE FROM asset_applications WHERE asset_id = ANY($1::bigint[])', [ids]);
  const applications = assets.flatMap((a) => a.applications.map((name) => ({ asset_id: idByHost.get(a.hostname), name })));
  if (applications.length > 0) {
    await tx.query(
      `INSERT INTO asset_applications (asset_id, name)
       SELECT asset_id, name FROM jsonb_to_recordset($1::jsonb) AS x(asset_id bigint, name text)
       ON CONFLICT DO NOTHING`,
      [JSON.stringify(applications)],
    );
  }
  const inserted = upserted.filter((row) => row.inserted).length;
  return { inserted, updated: upserted.length - inserted };
}

/**
 * Upserts a client's assets by hostname and replaces their applications, all in one transaction:
 * either the whole inventory lands or nothing does. Assets absent from `assets` are left as they are.
 * Throws UnknownClientError when the client is not stored (run upsertClients from the policy first).
 */
export async function importAssets(pool: Pool, clientId: string, assets: readonly AssetRow[]): Promise<ImportCounts> {
  return withTransaction(pool, async (tx) => {
    await requireClient(tx, clientId);
    const total: ImportCounts = { inserted: 0, updated: 0 };
    for (let start = 0; start < assets.length; start += CHUNK) {
      const counts = await upsertChunk(tx, clientId, assets.slice(start, start + CHUNK));
      total.inserted += counts.inserted;
      total.updated += counts.updated;
    }
    return total;
  });
}

export interface AssetFilter {
  clientId?: string;
}

/** Assets ordered by client then hostname; with a clientId that is not stored, UnknownClientError. */
export async function listAssets(db: Queryable, filter: AssetFilter = {}): Promise<Asset[]> {
  const { rows } = await db.query<Asset>(
    `SELECT a.client_id AS "clientId", a.hostname, a.os, a.role, a.asset_class AS "assetClass", a.owner, a.location, a.ephi, a.tags,
            COALESCE((SELECT array_agg(app.name ORDER BY app.name) FROM asset_applications app WHERE app.asset_id = a.id), '{}') AS applications
       FROM assets a
      WHERE $1::text IS NULL OR a.client_id = $1
      ORDER BY a.client_id, a.hostname`,
    [filter.clientId ?? null],
  );
  if (rows.length === 0 && filter.clientId !== undefined) await requireClient(db, filter.clientId);
  return rows;
}

export async function countAssets(db: Queryable, filter: AssetFilter = {}): Promise<number> {
  const { rows } = await db.query<{ count: string }>(
    'SELECT count(*) AS count FROM assets WHERE $1::text IS NULL OR client_id = $1',
    [filter.clientId ?? null],
  );
  return Number(rows[0]?.count ?? 0);
}
