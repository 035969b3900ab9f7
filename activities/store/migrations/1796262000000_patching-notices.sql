-- Up Migration

-- The notice to a client's named contact before a ring with their assets is patched: one row per
-- (cycle, ring), written at every attempt. A failed send keeps its error and is tried again by the
-- next hourly sweep; the cycle never waits for it.
CREATE TABLE patching_notices (
  cycle_id         text NOT NULL REFERENCES cycles(id) ON DELETE CASCADE,
  ring             text NOT NULL CHECK (ring IN ('canary', 'pilot', 'production')),
  client_id        text NOT NULL REFERENCES clients(id),
  contact          text NOT NULL,
  window_opens_at  timestamptz NOT NULL,
  assets           integer NOT NULL,
  message_id       text NOT NULL,
  attempts         integer NOT NULL DEFAULT 0,
  last_attempt_at  timestamptz,
  last_error       text,
  sent_at          timestamptz,
  PRIMARY KEY (cycle_id, ring)
);

-- Down Migration

DROP TABLE patching_notices;
