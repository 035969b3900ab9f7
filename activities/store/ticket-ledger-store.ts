import type { Queryable } from './pool';

// patchctl's own record of the PSA tickets it opened, for PSAs with no field to hold our key.

export interface TicketLedgerEntry {
  key: string;
  vendor: string;
  clientId: string;
  /** The text put in the ticket that lets a later attempt find it in the PSA. */
  marker: string;
  ticketId: string | null;
  attempts: number;
}

interface Row {
  ticket_key: string;
  vendor: string;
  client_id: string;
  marker: string;
  ticket_id: string | null;
  attempts: number;
}

const toEntry = (row: Row): TicketLedgerEntry => ({
  key: row.ticket_key,
  vendor: row.vendor,
  clientId: row.client_id,
  marker: row.marker,
  ticketId: row.ticket_id,
  attempts: row.attempts,
});

/**
 * Claims the key for a create, or returns the existing claim (with `attempts` counting this one).
 * `attempts > 1` with no ticket id means an earlier attempt may have created the ticket.
 */
export async function claimTicketKey(db: Queryable, entry: { key: string; vendor: string; clientId: string; marker: string }): Promise<TicketLedgerEntry> {
  const { rows } = await db.query<Row>(
    `INSERT INTO psa_ticket_ledger (ticket_key, vendor, client_id, marker)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (ticket_key) DO UPDATE SET attempts = psa_ticket_ledger.attempts + (CASE WHEN psa_ticket_ledger.ticket_id IS NULL THEN 1 ELSE 0 END)
     RETURNING ticket_key, vendor, client_id, marker, ticket_id, attempts`,
    [entry.key, entry.vendor, entry.clientId, entry.marker],
  );
  return toEntry(rows[0]!);
}

export async function recordTicketId(db: Queryable, key: string, ticketId: string): Promise<void> {
  await db.query(`UPDATE psa_ticket_ledger SET ticket_id = $2, created_at = now() WHERE ticket_key = $1 AND ticket_id IS NULL`, [key, ticketId]);
}

export async function findTicketEntry(db: Queryable, key: string): Promise<TicketLedgerEntry | undefined> {
  const { rows } = await db.query<Row>(`SELECT ticket_key, vendor, client_id, marker, ticket_id, attempts FROM psa_ticket_ledger WHERE ticket_key = $1`, [key]);
  return rows[0] ? toEntry(rows[0]) : undefined;
}

export interface TicketLease {
  /** Set when an earlier attempt recorded the ticket: nothing to create. */
  ticketId: string | null;
  /** This attempt holds the lease and may look the key up and create the ticket. */
  held: boolean;
  /** When another attempt's lease ends (when not held). */
  leaseUntil: Date | null;
}

/**
 * Takes the create lease of a key unless another attempt holds one that has not ended. One statement,
 * so two attempts can never both hold it.
 */
export async function leaseTicketCreate(
  db: Queryable,
  entry: { key: string; vendor: string; clientId: string; marker: string; token: string; leaseMs: number },
): Promise<TicketLease> {
  const { rows } = await db.query<{ ticket_id: string | null; lease_token: string | null; lease_until: Date | null }>(
    `INSERT INTO psa_ticket_ledger AS l (ticket_key, vendor, client_id, marker, lease_token, lease_until)
     VALUES ($1, $2, $3, $4, $5, now() + $6 * interval '1 millisecond')
     ON CONFLICT (ticket_key) DO UPDATE
       SET attempts = l.attempts + 1,
           lease_token = CASE WHEN l.ticket_id IS NULL AND (l.lease_until IS NULL OR l.lease_until <= now()) THEN EXCLUDED.lease_token ELSE l.lease_token END,
           lease_until = CASE WHEN l.ticket_id IS NULL AND (l.lease_until IS NULL OR l.lease_until <= now()) THEN EXCLUDED.lease_until ELSE l.lease_until END
     RETURNING ticket_id, lease_token, lease_until`,
    [entry.key, entry.vendor, entry.clientId, entry.marker, entry.token, entry.leaseMs],
  );
  const row = rows[0]!;
  return { ticketId: row.ticket_id, held: row.ticket_id === null && row.lease_token === entry.token, leaseUntil: row.lease_until };
}
