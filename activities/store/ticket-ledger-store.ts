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
