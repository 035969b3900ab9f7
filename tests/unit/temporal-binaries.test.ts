import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MissingBinaryError, requireBinary, resolveTemporalCli, resolveTestServer, toolsBinDir } from '../../config/temporal-binaries';

let dir: string;

function fakeExecutable(path: string): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, '#!/bin/sh\necho fake\n');
  chmodSync(path, 0o755);
  return path;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'patchctl-binaries-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('temporal binary resolution', () => {
  it('prefers TEMPORAL_CLI_PATH over PATH and .tools', () => {
    const root = join(dir, 'repo');
    fakeExecutable(join(toolsBinDir(root), 'temporal'));
    fakeExecutable(join(dir, 'bin', 'temporal'));
    const explicit = fakeExecutable(join(dir, 'elsewhere', 'temporal'));
    expect(resolveTemporalCli({ TEMPORAL_CLI_PATH: explicit, PATH: join(dir, 'bin') }, root)).toEqual({ path: explicit, source: 'env' });
  });

  it('uses PATH next, then the copy `npm run setup` installed under .tools', () => {
    const root = join(dir, 'repo');
    const tools = fakeExecutable(join(toolsBinDir(root), 'temporal'));
    const onPath = fakeExecutable(join(dir, 'bin', 'temporal'));
    expect(resolveTemporalCli({ PATH: `${join(dir, 'empty')}:${join(dir, 'bin')}` }, root)).toEqual({ path: onPath, source: 'path' });
    expect(resolveTemporalCli({ PATH: join(dir, 'empty') }, root)).toEqual({ path: tools, source: 'tools' });
  });

  it('skips a non-executable file on PATH', () => {
    const root = join(dir, 'repo');
    mkdirSync(join(dir, 'bin'), { recursive: true });
    writeFileSync(join(dir, 'bin', 'temporal'), 'not executable');
    const tools = fakeExecutable(join(toolsBinDir(root), 'temporal'));
    expect(resolveTemporalCli({ PATH: join(dir, 'bin') }, root)).toEqual({ path: tools, source: 'tools' });
  });

  it('falls back to the SDK download last, which requireBinary refuses with the setup fix', () => {
    const resolved = resolveTemporalCli({ PATH: join(dir, 'empty') }, join(dir, 'repo'));
    expect(resolved).toEqual({ path: undefined, source: 'sdk-download' });
    try {
      requireBinary(resolved, 'temporal');
      expect.fail('requireBinary accepted the SDK download');
    } catch (err) {
      expect(err).toBeInstanceOf(MissingBinaryError);
      expect((err as MissingBinaryError).fix).toMatch(/npm run setup/);
    }
  });

  it('throws with a fix when TEMPORAL_CLI_PATH does not point at an executable', () => {
    const missing = join(dir, 'nope', 'temporal');
    expect(() => resolveTemporalCli({ TEMPORAL_CLI_PATH: missing, PATH: '' }, dir)).toThrow(MissingBinaryError);
    try {
      resolveTemporalCli({ TEMPORAL_CLI_PATH: missing, PATH: '' }, dir);
    } catch (err) {
      expect((err as MissingBinaryError).fix).toContain(`TEMPORAL_CLI_PATH=${missing}`);
    }
  });

  it('resolves the time-skipping test server the same way with its own variable', () => {
    const root = join(dir, 'repo');
    const tools = fakeExecutable(join(toolsBinDir(root), 'temporal-test-server'));
    fakeExecutable(join(toolsBinDir(root), 'temporal'));
    expect(resolveTestServer({ PATH: join(dir, 'empty') }, root)).toEqual({ path: tools, source: 'tools' });
    const explicit = fakeExecutable(join(dir, 'ts', 'temporal-test-server'));
    expect(resolveTestServer({ TEMPORAL_TEST_SERVER_PATH: explicit, TEMPORAL_CLI_PATH: join(dir, 'missing') }, root)).toEqual({ path: explicit, source: 'env' });
  });
});
