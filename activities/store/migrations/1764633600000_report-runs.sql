-- Up Migration

-- One row per (client, period) report: the scheduled workflow claims it before building and records
-- the mail, so a re-run or a second trigger of the same month never mails the client twice.
CREATE TABLE report_runs (
  client_id        text NOT NULL REFERENCES clients(id),
  period           text NOT NULL,
  kind             text NOT NULL DEFAULT 'monthly',
  dir              text,
  manifest_sha256  text,
  built_at         timestamptz,
  mailed_at        timestamptz,
  mailed_to        text[],
  message_id       text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (client_id, kind, period)
);

-- Patch tickets as they were opened, so the scorecard can count after-hours tickets per client.
CREATE TABLE patch_tickets (
  key        text PRIMARY KEY,
  ticket_id  text NOT NULL,
  client_id  text NOT NULL,
  summary    text NOT NULL,
  opened_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX patch_tickets_client ON patch_tickets (client_id, opened_at);

-- As-of figures: the last state change of a pair before a period's end, and the changes of a period.
CREATE INDEX patch_state_events_pair_at ON patch_state_events (asset_id, patch_id, at);
CREATE INDEX patch_state_events_state_at ON patch_state_events (to_state, at);

-- Down Migration

DROP INDEX patch_state_events_state_at;
DROP INDEX patch_state_events_pair_at;
DROP TABLE patch_tickets;
DROP TABLE report_runs;
