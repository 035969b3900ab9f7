import type { Pool } from 'pg';
import { emptyDiscoveryCounts, type DiscoveryCounts, type DiscoveryEvent, type DiscoveryEventKind } from '../../domain/discovery/discovery-events';
import { requireClient } from './client-store';
import { withTransaction, type Queryable } from './pool';

// Discovery's side of the inventory. The reconcile is set-based: the whole device list of a run goes
// in as one JSON parameter and every comparison (new, unmanaged, silent, returned, changed OS/role)
// is one statement, so 10,000 devices cost a handful of statements, not 10,000 round trips.

/** One device as one source saw it; the RMM is one source, a subnet-scan CSV another. */
export interface SeenDevice {
  hostname: string;
  os: string | null;
  role: string | null;
  /** 'rmm' or 'csv:<file>' */
  source: string;
  rmm: boolean;
}

export interface SeenSoftware {
  hostname: string;
  name: string;
}

export interface ReconcileInput {
  clientId: string;
  /** The run's idempotency key (its workflow id). */
  runKey: string;
  at: Date;
  silentAfterMs: number;
  seen: readonly SeenDevice[];
  /** The application inventory of the hosts the RMM reported software for (the only ones it is authoritative for). */
  software: readonly SeenSoftware[];
  softwareHosts: readonly string[];
}

export interface ReconcileResult {
  counts: DiscoveryCounts;
  /** True when the run key had already been reconciled: nothing changed, the first result is returned. */
  replayed: boolean;
}

async function storedRun(db: Queryable, runKey: string): Promise<DiscoveryCounts | undefined> {
  const { rows } = await db.query<{ counts: DiscoveryCounts }>('SELECT counts FROM discovery_runs WHERE run_key = $1', [runKey]);
  return rows[0]?.counts;
}

export async function reconcileDiscovery(pool: Pool, input: ReconcileInput): Promise<ReconcileResult> {
  return withTransaction(pool, async (tx) => {
    await requireClient(tx, input.clientId);
    // Two runs of one client (the schedule and `inventory discover`) must not compare against each other's half-written state.
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('patchctl-discovery:' || $1))`, [input.clientId]);
    const earlier = await storedRun(tx, input.runKey);
    if (earlier) return { counts: earlier, replayed: true };
    const p: [string, string, Date] = [input.clientId, input.runKey, input.at];
    await tx.query(`INSERT INTO discovery_runs (run_key, client_id, at, counts) VALUES ($2, $1, $3, '{}')`, p);

    // Assets imported before discovery ever ran are known devices, not new ones; seen "last" when imported.
    await tx.query(
      `INSERT INTO discovered_devices (client_id, hostname, os, role, sources, first_seen, last_seen)
       SELECT a.client_id, a.hostname, a.os, a.role, '{inventory}', a.imported_at, a.imported_at FROM assets a
        WHERE a.client_id = $1 AND NOT EXISTS (SELECT 1 FROM discovered_devices d WHERE d.client_id = a.client_id AND d.hostname = a.hostname)
       ON CONFLICT DO NOTHING`,
      [input.clientId],
    );

    await tx.query(
      `CREATE TEMP TABLE discovery_seen ON COMMIT DROP AS
       SELECT lower(hostname) AS hostname,
              (array_agg(os ORDER BY rmm DESC) FILTER (WHERE os IS NOT NULL))[1] AS os,
              (array_agg(role ORDER BY rmm DESC) FILTER (WHERE role IS NOT NULL))[1] AS role,
              bool_or(rmm) AS rmm,
              array_agg(DISTINCT source ORDER BY source) AS sources
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::boolean[]) AS s(hostname, os, role, source, rmm)
        GROUP BY lower(hostname)`,
      // Parallel arrays rather than one JSON document: PostgreSQL unpacks them several times faster.
      [input.seen.map((d) => d.hostname), input.seen.map((d) => d.os), input.seen.map((d) => d.role), input.seen.map((d) => d.source), input.seen.map((d) => d.rmm)],
    );
    await tx.query('ALTER TABLE discovery_seen ADD PRIMARY KEY (hostname)');
    await tx.query('ANALYZE discovery_seen');

    const silentBefore = new Date(input.at.getTime() - input.silentAfterMs);
    await tx.query(
      `INSERT INTO discovery_events (run_key, client_id, hostname, kind, before, after, first_seen, last_seen, at)
       SELECT $2, $1, s.hostname, 'new', NULL, concat_ws(' ', s.os, s.role), $3, $3, $3
         FROM discovery_seen s LEFT JOIN discovered_devices d ON d.client_id = $1 AND d.hostname = s.hostname
        WHERE d.hostname IS NULL AND s.rmm
       UNION ALL
       SELECT $2, $1, s.hostname, 'unmanaged', NULL, array_to_string(s.sources, ', '), COALESCE(d.first_seen, $3), $3, $3
         FROM discovery_seen s LEFT JOIN discovered_devices d ON d.client_id = $1 AND d.hostname = s.hostname
        WHERE NOT s.rmm AND (d.hostname IS NULL OR d.unmanaged_since IS NULL)
       UNION ALL
       SELECT $2, $1, s.hostname, 'os-changed', d.os, s.os, d.first_seen, $3, $3
         FROM discovery_seen s JOIN discovered_devices d ON d.client_id = $1 AND d.hostname = s.hostname
        WHERE s.os IS NOT NULL AND d.os IS NOT NULL AND s.os <> d.os
       UNION ALL
       SELECT $2, $1, s.hostname, 'role-changed', d.role, s.role, d.first_seen, $3, $3
         FROM discovery_seen s JOIN discovered_devices d ON d.client_id = $1 AND d.hostname = s.hostname
        WHERE s.role IS NOT NULL AND d.role IS NOT NULL AND s.role <> d.role
       UNION ALL
       SELECT $2, $1, s.hostname, 'returned', to_char(d.silent_since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), NULL, d.first_seen, $3, $3
         FROM discovery_seen s JOIN discovered_devices d ON d.client_id = $1 AND d.hostname = s.hostname
        WHERE d.silent_since IS NOT NULL
       UNION ALL
       SELECT $2, $1, d.hostname, 'silent', NULL, NULL, d.first_seen, d.last_seen, $3
         FROM discovered_devices d
        WHERE d.client_id = $1 AND d.silent_since IS NULL AND d.last_seen < $4
          AND NOT EXISTS (SELECT 1 FROM discovery_seen s WHERE s.hostname = d.hostname)`,
      [...p, silentBefore],
    );

    await tx.query(
      `INSERT INTO discovered_devices AS d (client_id, hostname, os, role, sources, first_seen, last_seen, rmm_last_seen, unmanaged_since)
       SELECT $1, s.hostname, s.os, s.role, s.sources, $2, $2, CASE WHEN s.rmm THEN $2::timestamptz END, CASE WHEN NOT s.rmm THEN $2::timestamptz END
         FROM discovery_seen s
       ON CONFLICT (client_id, hostname) DO UPDATE SET
         os = COALESCE(EXCLUDED.os, d.os),
         role = COALESCE(EXCLUDED.role, d.role),
         sources = CASE WHEN EXCLUDED.sources <@ d.sources THEN d.sources ELSE (SELECT array_agg(DISTINCT x ORDER BY x) FROM unnest(d.sources || EXCLUDED.sources) AS x) END,
         last_seen = GREATEST(d.last_seen, EXCLUDED.last_seen),
         rmm_last_seen = COALESCE(EXCLUDED.rmm_last_seen, d.rmm_last_seen),
         unmanaged_since = CASE WHEN EXCLUDED.rmm_last_seen IS NOT NULL THEN NULL ELSE COALESCE(d.unmanaged_since, EXCLUDED.unmanaged_since) END,
         silent_since = NULL`,
      [input.clientId, input.at],
    );
    await tx.query(
      `UPDATE discovered_devices d SET silent_since = $2
        WHERE d.client_id = $1 AND d.silent_since IS NULL AND d.last_seen < $3
          AND NOT EXISTS (SELECT 1 FROM discovery_seen s WHERE s.hostname = d.hostname)`,
      [input.clientId, input.at, silentBefore],
    );

    const software = await reconcileSoftware(tx, input);
    const { rows } = await tx.query<{ kind: DiscoveryEventKind; n: number }>(
      'SELECT kind, count(*)::int AS n FROM discovery_events WHERE run_key = $1 GROUP BY kind',
      [input.runKey],
    );
    const { rows: seenCounts } = await tx.query<{ devices: number; rmm: number }>(
      'SELECT count(*)::int AS devices, count(*) FILTER (WHERE rmm)::int AS rmm FROM discovery_seen',
    );
    const counts = emptyDiscoveryCounts();
    for (const row of rows) counts[row.kind] = row.n;
    counts.devices = seenCounts[0]?.devices ?? 0;
    counts.rmmDevices = seenCounts[0]?.rmm ?? 0;
    counts.otherSourceDevices = counts.devices - counts.rmmDevices;
    counts.software = software;
    await tx.query('UPDATE discovery_runs SET counts = $2 WHERE run_key = $1', [input.runKey, JSON.stringify(counts)]);
    return { counts, replayed: false };
  });
}

/**
 * Opens a row for each application the RMM lists that is not present yet, and closes the present rows
 * of reported hosts that it no longer lists. Unchanged rows are not touched: a steady fleet writes
 * nothing here. Returns the rows listed.
 */
async function reconcileSoftware(tx: Queryable, input: ReconcileInput): Promise<number> {
  if (input.softwareHosts.length === 0) return 0;
  await tx.query(
    `CREATE TEMP TABLE discovery_software_seen ON COMMIT DROP AS
     SELECT DISTINCT lower(hostname) AS hostname, name FROM unnest($1::text[], $2::text[]) AS s(hostname, name)`,
    [input.software.map((s) => s.hostname), input.software.map((s) => s.name)],
  );
  await tx.query(
    `CREATE TEMP TABLE discovery_software_hosts ON COMMIT DROP AS SELECT DISTINCT lower(h) AS hostname FROM unnest($1::text[]) AS h`,
    [input.softwareHosts],
  );
  await tx.query('ALTER TABLE discovery_software_seen ADD PRIMARY KEY (hostname, name)');
  await tx.query('ALTER TABLE discovery_software_hosts ADD PRIMARY KEY (hostname)');
  await tx.query('ANALYZE discovery_software_seen, discovery_software_hosts');
  // One hash join finds both what is new and what is gone, instead of two anti-joins against the whole table.
  await tx.query(
    `CREATE TEMP TABLE discovery_software_diff ON COMMIT DROP AS
     SELECT COALESCE(s.hostname, p.hostname) AS hostname, COALESCE(s.name, p.name) AS name, s.hostname IS NULL AS gone
       FROM discovery_software_seen s
       FULL JOIN (SELECT hostname, name FROM discovered_software WHERE client_id = $1 AND removed_at IS NULL) p
         ON p.hostname = s.hostname AND p.name = s.name
      WHERE s.hostname IS NULL OR p.hostname IS NULL`,
    [input.clientId],
  );
  await tx.query(
    `INSERT INTO discovered_software (client_id, hostname, name, first_seen)
     SELECT $1, hostname, name, $2 FROM discovery_software_diff WHERE NOT gone
     ON CONFLICT DO NOTHING`,
    [input.clientId, input.at],
  );
  await tx.query(
    `UPDATE discovered_software ds SET removed_at = $2
       FROM discovery_software_diff g JOIN discovery_software_hosts h ON h.hostname = g.hostname
      WHERE g.gone AND ds.client_id = $1 AND ds.hostname = g.hostname AND ds.name = g.name AND ds.removed_at IS NULL`,
    [input.clientId, input.at],
  );
  const { rows } = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM discovery_software_seen');
  return rows[0]?.n ?? 0;
}

interface EventRow {
  hostname: string;
  kind: DiscoveryEventKind;
  before: string | null;
  after: string | null;
  first_seen: Date;
  last_seen: Date;
}

/** The events of one run, optionally of some kinds only, by hostname; `limit` bounds what a ticket lists. */
export async function discoveryRunEvents(db: Queryable, runKey: string, kinds?: readonly DiscoveryEventKind[], limit = 100_000): Promise<{ events: DiscoveryEvent[]; total: number }> {
  const { rows } = await db.query<EventRow & { total: number }>(
    `SELECT hostname, kind, before, after, first_seen, last_seen, count(*) OVER ()::int AS total
       FROM discovery_events WHERE run_key = $1 AND ($2::text[] IS NULL OR kind = ANY($2::text[]))
      ORDER BY kind, hostname LIMIT $3`,
    [runKey, kinds ?? null, limit],
  );
  return {
    events: rows.map((r) => ({ hostname: r.hostname, kind: r.kind, before: r.before, after: r.after, firstSeen: r.first_seen.toISOString(), lastSeen: r.last_seen.toISOString() })),
    total: rows[0]?.total ?? 0,
  };
}

export async function discoveryRun(db: Queryable, runKey: string): Promise<{ clientId: string; at: Date; counts: DiscoveryCounts; ticketId: string | null } | undefined> {
  const { rows } = await db.query<{ client_id: string; at: Date; counts: DiscoveryCounts; ticket_id: string | null }>(
    'SELECT client_id, at, counts, ticket_id FROM discovery_runs WHERE run_key = $1',
    [runKey],
  );
  const row = rows[0];
  return row && { clientId: row.client_id, at: row.at, counts: row.counts, ticketId: row.ticket_id };
}

export async function recordDiscoveryTicket(db: Queryable, runKey: string, ticketId: string): Promise<void> {
  await db.query('UPDATE discovery_runs SET ticket_id = $2 WHERE run_key = $1', [runKey, ticketId]);
}

export interface UnclassifiedDevice {
  hostname: string;
  os: string | null;
  role: string | null;
  sources: string[];
  firstSeen: string;
  lastSeen: string;
  /** False when only another source (a subnet scan) sees it. */
  rmmManaged: boolean;
  silent: boolean;
  missing: ('asset class' | 'ePHI answer')[];
}

/**
 * Devices discovery has seen by `asOf` that have no asset class and no ePHI answer (no row in the
 * classified inventory): they block the client's compliance claim until classified. Callable by the
 * report builder for any past period end.
 */
export async function unclassifiedDevices(db: Queryable, clientId: string, asOf: Date = new Date()): Promise<UnclassifiedDevice[]> {
  const { rows } = await db.query<{ hostname: string; os: string | null; role: string | null; sources: string[]; first_seen: Date; last_seen: Date; rmm: boolean; silent: boolean }>(
    `SELECT d.hostname, d.os, d.role, d.sources, d.first_seen, d.last_seen, d.rmm_last_seen IS NOT NULL AND d.unmanaged_since IS NULL AS rmm,
            d.silent_since IS NOT NULL AS silent
       FROM discovered_devices d
      WHERE d.client_id = $1 AND d.first_seen <= $2
        AND NOT EXISTS (SELECT 1 FROM assets a WHERE a.client_id = d.client_id AND a.hostname = d.hostname AND a.imported_at <= $2)
      ORDER BY d.hostname`,
    [clientId, asOf],
  );
  return rows.map((r) => ({
    hostname: r.hostname,
    os: r.os,
    role: r.role,
    sources: r.sources,
    firstSeen: r.first_seen.toISOString(),
    lastSeen: r.last_seen.toISOString(),
    rmmManaged: r.rmm,
    silent: r.silent,
    missing: ['asset class', 'ePHI answer'],
  }));
}
