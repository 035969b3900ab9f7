import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveTemporalTarget } from '../../client/connection/temporal-target';
import { writeDevInfo } from '../../client/dev-stack/dev-info';

const dir = mkdtempSync(join(tmpdir(), 'patchctl-target-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cert = join(dir, 'client.pem');
const key = join(dir, 'client.key');
writeFileSync(cert, 'CERT');
writeFileSync(key, 'KEY');
// HOME points at an empty folder: no developer's own Temporal config file leaks into the test.
const base = { HOME: join(dir, 'home'), PATH: process.env.PATH };

type Tls = { clientCertPair?: { crt: Buffer; key: Buffer } };

describe('the Temporal connection, from Temporal’s standard environment configuration', () => {
  it('reads the standard variables: address, namespace, client certificate and key', () => {
    const target = resolveTemporalTarget(
      { ...base, TEMPORAL_ADDRESS: 'acme.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'acme.a1b2c', TEMPORAL_TLS_CLIENT_CERT_PATH: cert, TEMPORAL_TLS_CLIENT_KEY_PATH: key },
      dir,
    );
    expect(target).toMatchObject({ address: 'acme.tmprl.cloud:7233', namespace: 'acme.a1b2c', taskQueue: 'patchctl', source: 'env' });
    const tls = target.connection.tls as Tls;
    expect(tls.clientCertPair?.crt.toString()).toBe('CERT');
    expect(tls.clientCertPair?.key.toString()).toBe('KEY');
  });

  it('still accepts the old patchctl names TEMPORAL_TLS_CERT_PATH / TEMPORAL_TLS_KEY_PATH (one release)', () => {
    const target = resolveTemporalTarget({ ...base, TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_TLS_CERT_PATH: cert, TEMPORAL_TLS_KEY_PATH: key }, dir);
    expect((target.connection.tls as Tls).clientCertPair?.crt.toString()).toBe('CERT');
  });

  it('turns TLS on for an API key', () => {
    const target = resolveTemporalTarget({ ...base, TEMPORAL_ADDRESS: 'us-east-1.aws.api.temporal.io:7233', TEMPORAL_API_KEY: 'secret' }, dir);
    expect(target.connection).toMatchObject({ apiKey: 'secret', tls: true });
  });

  it('takes a profile of the TOML file named by TEMPORAL_CONFIG_FILE and TEMPORAL_PROFILE', () => {
    const file = join(dir, 'temporal.toml');
    writeFileSync(file, '[profile.prod]\naddress = "prod.example:7233"\nnamespace = "prod"\napi_key = "k"\n');
    const target = resolveTemporalTarget({ ...base, TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' }, dir);
    expect(target).toMatchObject({ address: 'prod.example:7233', namespace: 'prod', source: 'env', connection: { apiKey: 'k' } });
    expect(() => resolveTemporalTarget({ ...base, TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'staging' }, dir)).toThrow(/Profile 'staging' not found/);
  });

  it('names an unreadable certificate file', () => {
    expect(() => resolveTemporalTarget({ ...base, TEMPORAL_ADDRESS: 'x:7233', TEMPORAL_TLS_CLIENT_CERT_PATH: join(dir, 'nope.pem'), TEMPORAL_TLS_CLIENT_KEY_PATH: key }, dir)).toThrow(/nope\.pem/);
  });

  it('falls back to the running dev stack of the directory, else says how to start one', () => {
    const cwd = join(dir, 'project');
    mkdirSync(cwd);
    expect(() => resolveTemporalTarget(base, cwd)).toThrow(/no patchctl stack found/);
    writeDevInfo(
      { pid: process.pid, temporalAddress: '127.0.0.1:7999', uiUrl: 'http://127.0.0.1:8999', databaseUrl: 'postgresql://x@127.0.0.1/db', namespace: 'default', taskQueue: 'patchctl', outboxDir: join(cwd, 'outbox'), startedAt: new Date().toISOString() },
      cwd,
      base,
    );
    expect(resolveTemporalTarget(base, cwd)).toMatchObject({ address: '127.0.0.1:7999', source: 'dev' });
  });
});
