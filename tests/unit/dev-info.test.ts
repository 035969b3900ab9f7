import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { devInfoFile, readDevInfo, writeDevInfo, type DevInfo } from '../../client/dev-stack/dev-info';

const info: DevInfo = {
  pid: process.pid,
  temporalAddress: '127.0.0.1:7233',
  uiUrl: 'http://127.0.0.1:8233',
  databaseUrl: 'postgresql://patchctl:s3cret@127.0.0.1:5432/patchctl',
  namespace: 'default',
  taskQueue: 'patchctl',
  outboxDir: '.patchctl/outbox',
  startedAt: '2026-12-02T00:00:00.000Z',
};

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('.patchctl/dev.json', () => {
  it('is readable by its owner only, since it holds the database password', () => {
    dir = mkdtempSync(join(tmpdir(), 'patchctl-devinfo-'));
    const file = writeDevInfo(info, dir, {});
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readDevInfo(dir, {})).toEqual(info);
  });

  it('tightens a world-readable dev.json left by an earlier version when it is rewritten', () => {
    dir = mkdtempSync(join(tmpdir(), 'patchctl-devinfo-'));
    writeDevInfo(info, dir, {});
    writeFileSync(devInfoFile(dir, {}), JSON.stringify(info), { mode: 0o644 });
    writeDevInfo({ ...info, namespace: 'clinic' }, dir, {});
    expect(statSync(devInfoFile(dir, {})).mode & 0o777).toBe(0o600);
  });
});
