-- Up Migration

CREATE TABLE clients (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  timezone    text NOT NULL,
  owner       text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE assets (
  id           bigserial PRIMARY KEY,
  client_id    text NOT NULL REFERENCES clients(id),
  hostname     text NOT NULL,
  os           text NOT NULL CHECK (os IN ('windows', 'macos', 'linux')),
  role         text NOT NULL CHECK (role IN ('server', 'workstation', 'kiosk')),
  asset_class  text NOT NULL CHECK (asset_class IN ('core-server', 'workstation', 'do-not-disrupt')),
  owner        text NOT NULL,
  location     text NOT NULL,
  ephi         boolean NOT NULL,
  tags         text[] NOT NULL DEFAULT '{}',
  imported_at  timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (client_id, hostname)
);

CREATE TABLE asset_applications (
  asset_id  bigint NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
  name      text NOT NULL,
  PRIMARY KEY (asset_id, name)
);

CREATE TABLE patches (
  id          text PRIMARY KEY,
  title       text NOT NULL,
  product     text NOT NULL,
  severity    text NOT NULL CHECK (severity IN ('critical', 'high', 'routine')),
  first_seen  timestamptz NOT NULL DEFAULT now()
);

-- Current state of one patch on one asset; every change is also appended to patch_state_events.
CREATE TABLE asset_patch_state (
  asset_id        bigint NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
  patch_id        text NOT NULL REFERENCES patches(id),
  state           text NOT NULL CHECK (state IN ('missing', 'deployed', 'verified', 'failed', 'rolled-back', 'excepted')),
  cycle_id        text,
  detected_at     timestamptz NOT NULL DEFAULT now(),
  deployed_at     timestamptz,
  verified_at     timestamptz,
  failed_at       timestamptz,
  rolled_back_at  timestamptz,
  excepted_at     timestamptz,
  detail          text,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (asset_id, patch_id)
);

CREATE TABLE patch_state_events (
  id          bigserial PRIMARY KEY,
  asset_id    bigint NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
  patch_id    text NOT NULL REFERENCES patches(id),
  cycle_id    text,
  ring        text,
  from_state  text,
  to_state    text NOT NULL,
  at          timestamptz NOT NULL DEFAULT now(),
  detail      text
);
CREATE INDEX patch_state_events_cycle ON patch_state_events (cycle_id, asset_id);

CREATE TABLE cycles (
  id              text PRIMARY KEY,
  client_id       text NOT NULL REFERENCES clients(id),
  name            text NOT NULL,
  severity        text,
  patch_ids       text[] NOT NULL DEFAULT '{}',
  requested_by    text NOT NULL,
  status          text NOT NULL,
  status_reason   text,
  planned_at      timestamptz NOT NULL DEFAULT now(),
  ended_at        timestamptz
);

-- The plan: which ring and batch each asset of a cycle is in, and its SLA deadline.
CREATE TABLE cycle_assets (
  cycle_id           text NOT NULL REFERENCES cycles(id) ON DELETE CASCADE,
  asset_id           bigint NOT NULL REFERENCES assets(id),
  hostname           text NOT NULL,
  ring               text NOT NULL CHECK (ring IN ('canary', 'pilot', 'production')),
  batch_index        integer NOT NULL,
  asset_class        text NOT NULL,
  patch_ids          text[] NOT NULL,
  sla_deadline       timestamptz NOT NULL,
  reboot_mode        text NOT NULL,
  snapshot_required  boolean NOT NULL,
  -- pending → verified | failed, then rolled-back | rollback-failed; attempt counts retry-failed runs.
  outcome            text NOT NULL DEFAULT 'pending',
  outcome_stage      text,
  outcome_detail     text,
  attempt            integer NOT NULL DEFAULT 1,
  PRIMARY KEY (cycle_id, asset_id)
);
CREATE INDEX cycle_assets_batch ON cycle_assets (cycle_id, ring, batch_index);

CREATE TABLE cycle_exclusions (
  cycle_id      text NOT NULL REFERENCES cycles(id) ON DELETE CASCADE,
  hostname      text NOT NULL,
  reason        text NOT NULL,
  exception_id  text,
  PRIMARY KEY (cycle_id, hostname)
);

-- Our side of every vendor job: one row per idempotency key, so a retried activity never resubmits.
CREATE TABLE deployment_jobs (
  key            text PRIMARY KEY,
  kind           text NOT NULL CHECK (kind IN ('deploy', 'uninstall')),
  cycle_id       text NOT NULL,
  ring           text NOT NULL,
  hostname       text NOT NULL,
  patch_id       text NOT NULL,
  vendor_job_id  text NOT NULL,
  state          text NOT NULL,
  detail         text,
  submitted_at   timestamptz NOT NULL DEFAULT now(),
  finished_at    timestamptz
);
CREATE INDEX deployment_jobs_cycle ON deployment_jobs (cycle_id, ring);

CREATE TABLE snapshots (
  key          text PRIMARY KEY,
  cycle_id     text NOT NULL,
  ring         text NOT NULL,
  hostname     text NOT NULL,
  snapshot_id  text NOT NULL,
  taken_at     timestamptz NOT NULL DEFAULT now(),
  verified_at  timestamptz,
  restored_at  timestamptz,
  detail       text
);
CREATE INDEX snapshots_cycle ON snapshots (cycle_id, ring);

CREATE TABLE exceptions (
  id                   text PRIMARY KEY,
  client_id            text NOT NULL REFERENCES clients(id),
  kind                 text NOT NULL CHECK (kind IN ('deferral', 'isolated-lane')),
  hostnames            text[] NOT NULL,
  patch_ids            text[] NOT NULL DEFAULT '{}',
  status               text NOT NULL,
  reason               text NOT NULL,
  ticket_id            text,
  requested_by         text NOT NULL,
  requested_at         timestamptz NOT NULL DEFAULT now(),
  signed_off_by        text,
  signed_off_at        timestamptz,
  approved_by          text,
  approved_at          timestamptz,
  expires_at           timestamptz,
  review_at            timestamptz,
  controls             jsonb NOT NULL DEFAULT '[]',
  client_approval_ref  text,
  status_reason        text,
  updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX exceptions_client_status ON exceptions (client_id, status);

-- State of the simulated vendors, so the embedded demo survives a worker restart like a real RMM would.
CREATE TABLE sim_rmm_jobs (
  job_id      text PRIMARY KEY,
  key         text NOT NULL,
  kind        text NOT NULL,
  client_id   text NOT NULL,
  hostname    text NOT NULL,
  patch_id    text NOT NULL,
  runs        integer NOT NULL DEFAULT 1,
  outcome     text NOT NULL,
  ready_at    timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (key, kind)
);

CREATE TABLE sim_psa_tickets (
  id          bigserial PRIMARY KEY,
  key         text NOT NULL UNIQUE,
  client_id   text NOT NULL,
  summary     text NOT NULL,
  details     text NOT NULL,
  priority    text NOT NULL,
  status      text NOT NULL DEFAULT 'open',
  notes       jsonb NOT NULL DEFAULT '[]',
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sim_snapshots (
  id          bigserial PRIMARY KEY,
  key         text NOT NULL UNIQUE,
  client_id   text NOT NULL,
  hostname    text NOT NULL,
  label       text NOT NULL,
  state       text NOT NULL DEFAULT 'taken',
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Down Migration

DROP TABLE sim_snapshots, sim_psa_tickets, sim_rmm_jobs, exceptions, snapshots, deployment_jobs,
  cycle_exclusions, cycle_assets, cycles, patch_state_events, asset_patch_state, patches,
  asset_applications, assets, clients;
