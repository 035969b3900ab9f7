-- Up Migration

-- Credential-alert triage is its own tier (playbook section 7): its records are reported apart from
-- patching, so they get their own table rather than rows among the cycles. Each workflow upserts its
-- row at every step; the workflow history stays the full evidence chain.
CREATE TABLE triage_records (
  triage_id     text NOT NULL,
  client_id     text NOT NULL,
  user_principal text NOT NULL,
  kind          text NOT NULL,
  alert_id      text,
  source        text NOT NULL,
  state         text NOT NULL,
  manual_reason text,
  ticket_id     text,
  received_at   timestamptz NOT NULL,
  sla_deadline  timestamptz NOT NULL,
  completed_at  timestamptz,
  sla_met       boolean,
  escalations   integer NOT NULL DEFAULT 0,
  decided_by    text,
  resolution    text,
  outcome       text,
  steps         jsonb NOT NULL DEFAULT '[]',
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (client_id, triage_id)
);
CREATE INDEX triage_records_by_month ON triage_records (client_id, received_at);

-- Webhook deliveries seen, by signature: a replayed delivery (same timestamp, body and signature)
-- inside the replay window is refused. Rows older than the window are useless and may be deleted.
CREATE TABLE triage_webhook_deliveries (
  signature   text PRIMARY KEY,
  received_at timestamptz NOT NULL DEFAULT now()
);

-- The simulated identity provider's memory of what it was asked to do, per account.
CREATE TABLE sim_identity_actions (
  client_id  text NOT NULL,
  user_id    text NOT NULL,
  action     text NOT NULL,
  times      integer NOT NULL DEFAULT 1,
  first_at   timestamptz NOT NULL DEFAULT now(),
  last_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (client_id, user_id, action)
);

-- Outcomes of the workload checks the worker runs during verification, per batch attempt.
CREATE TABLE workload_check_runs (
  cycle_id    text NOT NULL,
  ring        text NOT NULL,
  batch_index integer NOT NULL,
  attempt     integer NOT NULL,
  name        text NOT NULL,
  kind        text NOT NULL,
  target      text NOT NULL,
  ok          boolean NOT NULL,
  detail      text NOT NULL,
  duration_ms integer NOT NULL,
  checked_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (cycle_id, ring, batch_index, attempt, name)
);

-- Down Migration

DROP TABLE workload_check_runs;
DROP TABLE sim_identity_actions;
DROP TABLE triage_webhook_deliveries;
DROP TABLE triage_records;
