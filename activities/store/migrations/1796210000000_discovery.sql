-- Up Migration

-- What discovery has seen of each client's devices, from the RMM and from other sources (a subnet
-- scan). A device here with no row in assets has no asset class and no ePHI answer: unclassified.
CREATE TABLE discovered_devices (
  client_id        text NOT NULL REFERENCES clients(id),
  hostname         text NOT NULL,
  os               text,
  role             text,
  sources          text[] NOT NULL DEFAULT '{}',
  first_seen       timestamptz NOT NULL,
  last_seen        timestamptz NOT NULL,
  rmm_last_seen    timestamptz,
  -- Set while only other sources see the device (the RMM does not manage it).
  unmanaged_since  timestamptz,
  -- Set while no source has seen the device for the client's silentAfter.
  silent_since     timestamptz,
  PRIMARY KEY (client_id, hostname)
);

-- One row per discovery run; the run key (the workflow id) makes a retried run return its first result.
CREATE TABLE discovery_runs (
  run_key     text PRIMARY KEY,
  client_id   text NOT NULL REFERENCES clients(id),
  at          timestamptz NOT NULL,
  counts      jsonb NOT NULL,
  ticket_id   text,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX discovery_runs_client ON discovery_runs (client_id, at);

CREATE TABLE discovery_events (
  id          bigserial PRIMARY KEY,
  run_key     text NOT NULL REFERENCES discovery_runs(run_key) DEFERRABLE INITIALLY DEFERRED,
  client_id   text NOT NULL,
  hostname    text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('new', 'unmanaged', 'silent', 'returned', 'os-changed', 'role-changed')),
  before      text,
  after       text,
  first_seen  timestamptz NOT NULL,
  last_seen   timestamptz NOT NULL,
  at          timestamptz NOT NULL,
  UNIQUE (run_key, hostname, kind)
);
CREATE INDEX discovery_events_client ON discovery_events (client_id, at);

-- The application inventory from the RMM, one row per interval an application was installed on a
-- device: removed_at is set when a later run no longer lists it, and a re-install opens a new row, so
-- "what was installed at the end of October" is answerable in December.
CREATE TABLE discovered_software (
  client_id   text NOT NULL,
  hostname    text NOT NULL,
  name        text NOT NULL,
  first_seen  timestamptz NOT NULL,
  removed_at  timestamptz,
  PRIMARY KEY (client_id, hostname, name, first_seen)
);
CREATE UNIQUE INDEX discovered_software_present ON discovered_software (client_id, hostname, name) WHERE removed_at IS NULL;

-- The MSP's software list as last loaded: supported, or unsupported with its remediation path.
CREATE TABLE software_list (
  pattern      text PRIMARY KEY,
  status       text NOT NULL CHECK (status IN ('supported', 'unsupported')),
  remediation  text CHECK (remediation IS NULL OR remediation = 'manual-with-proof' OR remediation LIKE 'other-tool:%'),
  note         text,
  loaded_at    timestamptz NOT NULL DEFAULT now()
);

-- Restore drills: a critical system's snapshot test-restored (isolated copy or verified plan).
CREATE TABLE restore_drills (
  drill_key    text PRIMARY KEY,
  client_id    text NOT NULL REFERENCES clients(id),
  hostname     text NOT NULL,
  snapshot_id  text NOT NULL,
  mode         text NOT NULL CHECK (mode IN ('isolated-copy', 'restore-plan')),
  ok           boolean NOT NULL,
  detail       text NOT NULL,
  steps        jsonb NOT NULL DEFAULT '[]',
  drilled_at   timestamptz NOT NULL
);
CREATE INDEX restore_drills_client ON restore_drills (client_id, drilled_at);

-- Down Migration

DROP TABLE restore_drills, software_list, discovered_software, discovery_events, discovery_runs, discovered_devices;
