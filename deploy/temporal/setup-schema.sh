#!/bin/sh
# Brings Temporal's two PostgreSQL databases to the schema of the pinned server version, then exits.
# Runs in temporalio/admin-tools (busybox sh, temporal-sql-tool, the schema files under
# /etc/temporal/schema). Every step is idempotent — `create` ignores an existing database,
# `setup-schema -v 0.0` leaves a newer version alone, `update-schema` applies only what is missing —
# so the same one-shot container is also the upgrade path: bump the image tags, `docker compose up`.
#
# Connection settings come from the environment temporal-sql-tool reads itself:
#   SQL_PLUGIN (postgres12), SQL_HOST, SQL_PORT, SQL_USER, SQL_PASSWORD
set -eu

: "${SQL_PLUGIN:?set SQL_PLUGIN=postgres12}"
: "${SQL_HOST:?set SQL_HOST to the PostgreSQL host}"
: "${SQL_USER:?set SQL_USER}"
: "${SQL_PASSWORD:?set SQL_PASSWORD}"
SQL_PORT="${SQL_PORT:-5432}"
export SQL_PORT

# postgres12 is the plugin for PostgreSQL 12 and newer; its schema set lives under v12.
SCHEMA_ROOT="${TEMPORAL_SCHEMA_ROOT:-/etc/temporal/schema/postgresql/v12}"

# The healthcheck on the postgresql service gates this container, but a restart of PostgreSQL in
# between would otherwise fail the first command with a bare "connection refused".
tries=0
until nc -z "$SQL_HOST" "$SQL_PORT"; do
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then
    echo "setup-schema: PostgreSQL at $SQL_HOST:$SQL_PORT did not accept connections within 60 s" >&2
    exit 1
  fi
  sleep 1
done

migrate() {
  database="$1"
  schema_dir="$2"
  echo "setup-schema: $database <- $schema_dir"
  temporal-sql-tool --db "$database" create
  temporal-sql-tool --db "$database" setup-schema -v 0.0
  temporal-sql-tool --db "$database" update-schema -d "$schema_dir"
}

migrate "${TEMPORAL_DBNAME:-temporal}" "$SCHEMA_ROOT/temporal/versioned"
migrate "${TEMPORAL_VISIBILITY_DBNAME:-temporal_visibility}" "$SCHEMA_ROOT/visibility/versioned"
echo "setup-schema: both databases are at the schema of this admin-tools version"
