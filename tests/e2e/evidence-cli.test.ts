import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { writeManifest } from '../../activities/evidence/manifest';
import { REPO_ROOT, runCli, spawnCli } from '../support/cli';

// The auditor's path with the built CLI: a key pair, a cycle on a `patchctl dev` stack, its bundle
// exported (signed), verified, replayed, then tampered with.

describe('patchctl keys and evidence', () => {
  it('exports a signed bundle of a dev-stack cycle that verifies and replays, and names a tampered file', { timeout: 300_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'patchctl-evidence-e2e-'));
    const bundle = join(dir, 'bundle');
    const cli = (args: string[], extra: Record<string, string> = {}) => runCli(args, { cwd: dir, env: { ...env, ...extra }, timeoutMs: 90_000 });
    let env: Record<string, string> = { PATCHCTL_LOG_LEVEL: 'WARN' };

    const keys = await cli(['keys', 'generate', '--out', join(dir, 'keys'), '--name', 'msp-evidence', '--json']);
    expect(keys.code, keys.stderr).toBe(0);
    const { privateKeyFile, publicKeyFile, publicKey } = keys.json<{ privateKeyFile: string; publicKeyFile: string; publicKey: string }>();
    expect(statSync(privateKeyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(publicKeyFile, 'utf8')).toBe(publicKey);
    expect((await cli(['keys', 'generate', '--out', join(dir, 'keys'), '--name', 'msp-evidence'])).code).toBe(2);

    // The MSP pastes the public key into its policy; verify finds it there.
    const policy = parse(readFileSync(join(REPO_ROOT, 'tests', 'fixtures', 'policy-e2e.yaml'), 'utf8'));
    policy.msp.evidencePublicKey = publicKey;
    writeFileSync(join(dir, 'patchctl.yaml'), stringify(policy));
    env = { ...env, PATCHCTL_CONFIG: join(dir, 'patchctl.yaml') };

    const dev = spawnCli(['dev'], { cwd: dir, env });
    let devErr = '';
    dev.stderr?.setEncoding('utf8').on('data', (chunk: string) => (devErr += chunk));
    dev.stdout?.resume();
    const exited = once(dev, 'exit');
    try {
      for (let i = 0; i < 240 && !existsSync(join(dir, '.patchctl', 'dev.json')) && dev.exitCode === null; i++) await sleep(500);
      expect(existsSync(join(dir, '.patchctl', 'dev.json')), devErr).toBe(true);
      expect((await cli(['inventory', 'import', join(REPO_ROOT, 'tests', 'fixtures', 'inventory-good.csv'), '--client', 'acme-dental'])).code).toBe(0);
      const started = await cli(['cycle', 'start', '--client', 'acme-dental', '--name', 'evidence-1', '--as', 'engineer@msp.test', '--json']);
      expect(started.code, started.stderr).toBe(0);
      const cycleId = started.json<{ cycleId: string }>().cycleId;
      for (const ring of ['pilot', 'production']) {
        for (let i = 0; i < 120; i++) {
          const status = (await cli(['cycle', 'status', cycleId, '--json'])).json<{ pending?: { kind: string; ring: string } }>();
          if (status.pending?.kind === 'promotion' && status.pending.ring === ring) break;
          await sleep(500);
        }
        const approved = await cli(['cycle', 'approve', cycleId, '--ring', ring, '--as', 'lead@msp.test']);
        expect(approved.code, approved.stderr).toBe(0);
      }
      expect((await cli(['cycle', 'status', cycleId, '--watch', '--json'])).code).toBe(0);

      const exported = await cli(['evidence', 'export', cycleId, '--out', bundle, '--json'], { PATCHCTL_EVIDENCE_KEY_FILE: privateKeyFile });
      expect(exported.code, exported.stderr).toBe(0);
      const doc = exported.json<{ cycleId: string; histories: number; decisions: number; signed: boolean; status: string }>();
      expect(doc).toMatchObject({ cycleId: `cycle/${cycleId}`, histories: 4, decisions: 3, signed: true, status: 'completed' });
      expect(readdirSync(bundle).sort()).toEqual(['decisions.json', 'exceptions.json', 'histories', 'manifest.json', 'manifest.sig', 'summary.md', 'timeline.csv', 'timeline.json']);

      const verified = await cli(['evidence', 'verify', bundle, '--json']);
      expect(verified.code, verified.stderr).toBe(0);
      expect(verified.json()).toMatchObject({ ok: true, signature: 'valid', publicKey: expect.stringContaining('msp.evidencePublicKey') });
      expect((await cli(['evidence', 'verify', bundle, '--public-key', publicKeyFile])).stdout).toContain('ok');

      const live = await cli(['evidence', 'replay', cycleId]);
      expect(live.code, live.stderr).toBe(0);
      expect(live.stdout).toContain('consistent');
      const parentFile = join(bundle, 'histories', `${encodeURIComponent(`cycle/${cycleId}`)}.json`);
      const fromFile = await cli(['evidence', 'replay', '--file', parentFile, '--json']);
      expect(fromFile.code, fromFile.stderr).toBe(0);
      expect(fromFile.json()).toMatchObject({ consistent: true, histories: [{ workflowId: `cycle/${cycleId}`, consistent: true }] });
      const whole = await cli(['evidence', 'replay', '--bundle', bundle, '--json']);
      expect(whole.json<{ histories: unknown[] }>().histories).toHaveLength(4);

      expect((await cli(['evidence', 'export', 'acme-dental/nope', '--out', join(dir, 'nope')])).code).toBe(3);
      expect((await cli(['evidence', 'export', cycleId, '--out', bundle])).code).toBe(2);

      const hipaa = await cli(['evidence', 'hipaa', '--client', 'acme-dental', '--from', '2000-01-01', '--to', '2100-12-31', '--out', join(dir, 'hipaa'), '--json'], { PATCHCTL_EVIDENCE_KEY_FILE: privateKeyFile });
      expect(hipaa.code, hipaa.stderr).toBe(0);
      expect(hipaa.json<{ cycles: string[] }>().cycles).toEqual([`cycle/${cycleId}`]);
      expect((await cli(['evidence', 'verify', join(dir, 'hipaa')])).code).toBe(0);
    } finally {
      if (dev.exitCode === null) dev.kill('SIGINT');
      await Promise.race([exited, sleep(20_000)]);
      if (dev.exitCode === null) dev.kill('SIGKILL');
    }

    try {
      // Offline from here on, as the auditor works: one changed byte and one extra file are named.
      const csv = join(bundle, 'timeline.csv');
      writeFileSync(csv, readFileSync(csv, 'utf8').replace('verified', 'verifieD'));
      writeFileSync(join(bundle, 'notes.txt'), 'added later');
      const tampered = await cli(['evidence', 'verify', bundle, '--public-key', publicKeyFile]);
      expect(tampered.code).toBe(1);
      expect(tampered.stderr).toContain('timeline.csv: sha256 does not match the manifest');
      expect(tampered.stderr).toContain('notes.txt: not listed in the manifest');
      const notHistory = await cli(['evidence', 'replay', '--file', join(dir, 'patchctl.yaml')]);
      expect(notHistory.code).toBe(2);
      expect(notHistory.stderr).toContain('patchctl.yaml cannot be read as JSON');
      const noKey = await cli(['evidence', 'verify', bundle, '--json'], { PATCHCTL_CONFIG: join(REPO_ROOT, 'tests', 'fixtures', 'policy-e2e.yaml') });
      expect(noKey.code).toBe(1);
      expect(noKey.json<{ error: { problems: { path: string; message: string }[] } }>().error.problems).toContainEqual({ path: 'manifest.sig', message: expect.stringContaining('no public key') });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says an unsigned bundle is not signed (exit 1), and with --allow-unsigned checks the hashes only and says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'patchctl-unsigned-e2e-'));
    const bundle = join(dir, 'bundle');
    const cli = (args: string[]) => runCli(args, { cwd: dir, env: { PATCHCTL_CONFIG: join(REPO_ROOT, 'tests', 'fixtures', 'policy-e2e.yaml') }, timeoutMs: 30_000 });
    try {
      // Exported without PATCHCTL_EVIDENCE_KEY_FILE: hashes, no manifest.sig.
      mkdirSync(bundle);
      writeFileSync(join(bundle, 'timeline.csv'), 'hostname,step\r\nws-01,verified\r\n');
      writeManifest(bundle, { cycleId: 'cycle/acme-dental/unsigned', createdAt: '2026-12-01T00:00:00.000Z' });

      const refused = await cli(['evidence', 'verify', bundle]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('bundle is not signed');
      expect(refused.stderr).toContain('--allow-unsigned');
      const refusedJson = await cli(['evidence', 'verify', bundle, '--json']);
      expect(refusedJson.code).toBe(1);
      expect(refusedJson.json<{ error: { message: string; exitCode: number } }>().error).toMatchObject({ message: expect.stringContaining('bundle is not signed'), exitCode: 1 });

      const hashesOnly = await cli(['evidence', 'verify', bundle, '--allow-unsigned']);
      expect(hashesOnly.code, hashesOnly.stderr).toBe(0);
      expect(hashesOnly.stdout).toContain('hashes only');
      expect(hashesOnly.stdout).toContain('NOT signed');
      const hashesOnlyJson = await cli(['evidence', 'verify', bundle, '--allow-unsigned', '--json']);
      expect(hashesOnlyJson.json()).toMatchObject({ ok: true, signature: 'missing', checked: 'hashes-only', files: 1 });

      // The flag never excuses a changed file.
      writeFileSync(join(bundle, 'timeline.csv'), 'hostname,step\r\nws-01,failed\r\n');
      const tampered = await cli(['evidence', 'verify', bundle, '--allow-unsigned']);
      expect(tampered.code).toBe(1);
      expect(tampered.stderr).toContain('timeline.csv: sha256 does not match the manifest');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
