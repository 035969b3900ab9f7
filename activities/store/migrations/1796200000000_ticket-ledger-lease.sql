-- Up Migration

-- A ticket create may outlive its activity's timeout: the retry then runs beside it, and a
-- lookup-then-create in both makes two tickets. The attempt that creates holds a lease (its token and
-- an expiry longer than its HTTP timeout); another attempt waits for the lease to end, then looks the
-- key up at the PSA before it may create anything.
ALTER TABLE psa_ticket_ledger ADD COLUMN lease_token text, ADD COLUMN lease_until timestamptz;

-- Down Migration

ALTER TABLE psa_ticket_ledger DROP COLUMN lease_token, DROP COLUMN lease_until;
