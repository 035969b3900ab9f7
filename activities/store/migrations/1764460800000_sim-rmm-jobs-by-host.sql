-- Up Migration

-- The simulated RMM answers rescans and missing-patch lists per host; without this index each of those
-- calls would scan every job of a 100 000-endpoint benchmark.
CREATE INDEX sim_rmm_jobs_host ON sim_rmm_jobs (client_id, hostname, patch_id);

-- Down Migration

DROP INDEX sim_rmm_jobs_host;
