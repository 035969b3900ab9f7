import type { Pool } from 'pg';
import { classifySoftware, type SoftwareEntry, type SoftwareStatus } from '../../domain/discovery/software-list';
import { withTransaction, type Queryable } from './pool';

// The MSP's software list as last loaded, and the per-client application inventory classified
// against it, as of any moment (software removed later still counts for the months it was there).

export async function replaceSoftwareList(pool: Pool, entries: readonly SoftwareEntry[]): Promise<void> {
  await withTransaction(pool, async (tx) => {
    await tx.query('DELETE FROM software_list');
    await tx.query(
      `INSERT INTO software_list (pattern, status, remediation, note)
       SELECT pattern, status, remediation, note FROM jsonb_to_recordset($1::jsonb) AS x(pattern text, status text, remediation text, note text)
       ON CONFLICT (pattern) DO UPDATE SET status = EXCLUDED.status, remediation = EXCLUDED.remediation, note = EXCLUDED.note`,
      [JSON.stringify(entries.map((e) => ({ pattern: e.name, status: e.status, remediation: e.status === 'unsupported' ? e.remediation : null, note: e.note ?? null })))],
    );
  });
}

export async function loadSoftwareList(db: Queryable): Promise<SoftwareEntry[]> {
  const { rows } = await db.query<{ pattern: string; status: 'supported' | 'unsupported'; remediation: string | null; note: string | null }>(
    'SELECT pattern, status, remediation, note FROM software_list ORDER BY pattern',
  );
  return rows.map((r) =>
    r.status === 'supported'
      ? { name: r.pattern, status: 'supported' as const, ...(r.note ? { note: r.note } : {}) }
      : { name: r.pattern, status: 'unsupported' as const, remediation: r.remediation ?? 'manual-with-proof', ...(r.note ? { note: r.note } : {}) },
  );
}

export interface ClientSoftware {
  name: string;
  status: SoftwareStatus;
  /** The list entry that decided (absent for unknown software). */
  listedAs?: string;
  /** For unsupported software: manual-with-proof or "other-tool: NAME". */
  remediation?: string;
  hosts: string[];
}

/** Every application installed on the client's devices at `asOf`, classified against `list` (default: the stored list). */
export async function clientSoftware(db: Queryable, clientId: string, asOf: Date = new Date(), list?: readonly SoftwareEntry[]): Promise<ClientSoftware[]> {
  const entries = list ?? (await loadSoftwareList(db));
  const { rows } = await db.query<{ name: string; hosts: string[] }>(
    `SELECT name, array_agg(DISTINCT hostname ORDER BY hostname) AS hosts FROM discovered_software
      WHERE client_id = $1 AND first_seen <= $2 AND (removed_at IS NULL OR removed_at > $2)
      GROUP BY name ORDER BY name`,
    [clientId, asOf],
  );
  return rows.map((row) => {
    const verdict = classifySoftware(row.name, entries);
    return {
      name: row.name,
      status: verdict.status,
      ...(verdict.pattern ? { listedAs: verdict.pattern } : {}),
      ...(verdict.remediation ? { remediation: verdict.remediation } : {}),
      hosts: row.hosts,
    };
  });
}

/** The unsupported-software list of a client as of a moment, for the monthly report. */
export async function unsupportedSoftware(db: Queryable, clientId: string, asOf: Date): Promise<ClientSoftware[]> {
  return (await clientSoftware(db, clientId, asOf)).filter((s) => s.status === 'unsupported');
}
