-- Up Migration

-- PSAs without an external-reference field (HaloPSA) cannot tell us whether a retried create already
-- made the ticket. patchctl keeps its own ledger: a row is claimed (ticket_id NULL) before the
-- create and completed with the ticket id after it, so a retry either finds the id or knows an
-- earlier attempt may have created the ticket and must look for it before creating another.
CREATE TABLE psa_ticket_ledger (
  ticket_key  text PRIMARY KEY,
  vendor      text NOT NULL,
  client_id   text NOT NULL,
  marker      text NOT NULL,
  ticket_id   text,
  attempts    integer NOT NULL DEFAULT 1,
  claimed_at  timestamptz NOT NULL DEFAULT now(),
  created_at  timestamptz
);

-- Down Migration

DROP TABLE psa_ticket_ledger;
