#!/usr/bin/env node
'use strict';
// Makes sure the PostgreSQL that the tests use is reachable, starting this machine's cluster if it
// has one. Idempotent: when the server already answers it only says so.
//
//   node scripts/ensure-postgres.cjs            (PATCHCTL_TEST_DATABASE_URL or the local default)

const { execFileSync, spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const pg = require('pg');

const DEFAULT_URL = 'postgresql://postgres:postgres@127.0.0.1:5432/postgres';
const CLUSTER_VERSION = '15';
const CLUSTER_NAME = 'main';
const START_WAIT_MS = 30_000;

function log(message) {
  process.stdout.write(`ensure-postgres: ${message}\n`);
}

function fail(message, fix) {
  process.stderr.write(`ensure-postgres: ${message}\n  fix: ${fix}\n`);
  process.exit(1);
}

function redact(url) {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable URL>';
  }
}

async function tryConnect(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function findOnPath(name) {
  for (const dir of (process.env.PATH || '').split(':').filter(Boolean)) {
    if (existsSync(`${dir}/${name}`)) return `${dir}/${name}`;
  }
  for (const dir of ['/usr/bin', '/usr/sbin', '/usr/local/bin']) {
    if (existsSync(`${dir}/${name}`)) return `${dir}/${name}`;
  }
  return undefined;
}

/** Runs psql as the postgres OS user (peer auth over the local socket needs no password). */
function psqlAsPostgres(sql) {
  const runuser = findOnPath('runuser');
  const args = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', sql];
  const result = runuser
    ? spawnSync(runuser, ['-u', 'postgres', '--', 'psql', ...args], { encoding: 'utf8' })
    : spawnSync('su', ['postgres', '-c', `psql ${args.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ')}`], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error((result.stderr || result.stdout || `psql exited ${result.status}`).trim());
}

function isLocal(url) {
  try {
    const host = new URL(url).hostname;
    return host === '127.0.0.1' || host === 'localhost' || host === '::1' || host === '[::1]';
  } catch {
    return false;
  }
}

async function waitForServer(url) {
  const deadline = Date.now() + START_WAIT_MS;
  let lastError;
  while (Date.now() < deadline) {
    lastError = await tryConnect(url);
    if (!lastError) return undefined;
    // A fresh start refuses connections for a moment; a wrong password is worth fixing right away.
    if (lastError.code === '28P01' || lastError.code === '28000') return lastError;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  return lastError;
}

async function main() {
  const url = process.env.PATCHCTL_TEST_DATABASE_URL || DEFAULT_URL;
  const shown = redact(url);
  const firstError = await tryConnect(url);
  if (!firstError) {
    log(`PostgreSQL at ${shown} is up`);
    return;
  }

  const ctl = findOnPath('pg_ctlcluster');
  if (!ctl || !isLocal(url)) {
    fail(
      `cannot connect to ${shown}: ${firstError.message}`,
      ctl
        ? 'start the server that PATCHCTL_TEST_DATABASE_URL names, or unset it to use the local cluster'
        : 'start a PostgreSQL 15 server and set PATCHCTL_TEST_DATABASE_URL=postgresql://USER:PASSWORD@HOST:PORT/postgres',
    );
  }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    fail(`cannot connect to ${shown}: ${firstError.message}`, `run as root: pg_ctlcluster ${CLUSTER_VERSION} ${CLUSTER_NAME} start`);
  }

  const status = spawnSync(ctl, [CLUSTER_VERSION, CLUSTER_NAME, 'status'], { encoding: 'utf8' });
  if (status.status !== 0) {
    log(`starting PostgreSQL cluster ${CLUSTER_VERSION}/${CLUSTER_NAME}`);
    try {
      execFileSync(ctl, [CLUSTER_VERSION, CLUSTER_NAME, 'start'], { stdio: ['ignore', 'inherit', 'inherit'] });
    } catch (error) {
      fail(`pg_ctlcluster ${CLUSTER_VERSION} ${CLUSTER_NAME} start failed: ${error.message}`, `see /var/log/postgresql/postgresql-${CLUSTER_VERSION}-${CLUSTER_NAME}.log`);
    }
  } else {
    log(`cluster ${CLUSTER_VERSION}/${CLUSTER_NAME} is running but refused ${shown} (${firstError.message})`);
  }

  let error = await waitForServer(url);
  if (error && (error.code === '28P01' || error.code === '28000')) {
    const user = decodeURIComponent(new URL(url).username || 'postgres');
    const password = decodeURIComponent(new URL(url).password || 'postgres');
    if (user !== 'postgres') fail(`${shown} refused the password for ${user}`, `create that role or use the postgres user`);
    log(`setting the postgres role's password so TCP password authentication works`);
    try {
      psqlAsPostgres(`ALTER USER postgres PASSWORD '${password.replace(/'/g, "''")}'`);
    } catch (psqlError) {
      fail(`could not set the postgres password: ${psqlError.message}`, `runuser -u postgres -- psql -c "ALTER USER postgres PASSWORD 'postgres'"`);
    }
    error = await waitForServer(url);
  }
  if (error) {
    fail(`PostgreSQL still refuses ${shown}: ${error.message}`, `check /var/log/postgresql/postgresql-${CLUSTER_VERSION}-${CLUSTER_NAME}.log`);
  }
  log(`PostgreSQL at ${shown} is up`);
}

main().catch((error) => fail(error.stack || String(error), 'see the error above'));
