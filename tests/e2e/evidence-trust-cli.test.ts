import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { zipBundle } from '../../activities/evidence/bundle-zip';
import { writeManifest } from '../../activities/evidence/manifest';
import { generateSigningKeyPair, keyFingerprint, parseEd25519Key } from '../../activities/evidence/signing';
import { REPO_ROOT, runCli } from '../support/cli';

// The auditor's side, offline, with the built CLI: a signed bundle of committed histories verifies
// against the key the auditor holds and replays; a bundle that brings its own key or policy, or was
// changed, is refused before anything in it is replayed.

const HISTORIES = ['completed--cycle%2Fclinic%2Ftest-1.json', 'completed--cycle%2Fclinic%2Ftest-1%2Fring%2Fcanary.json'];
const msp = generateSigningKeyPair();
const forger = generateSigningKeyPair();
let root: string;
let bundle: string;
let publicKeyFile: string;

function policyWith(publicKeyPem: string): string {
  const policy = parse(readFileSync(join(REPO_ROOT, 'tests', 'fixtures', 'policy-e2e.yaml'), 'utf8'));
  policy.msp.evidencePublicKey = publicKeyPem;
  return stringify(policy);
}

function makeBundle(dir: string, signer: typeof msp, extra: Record<string, string> = {}): void {
  mkdirSync(join(dir, 'histories'), { recursive: true });
  for (const name of HISTORIES) copyFileSync(join(REPO_ROOT, 'tests', 'replay', 'histories', name), join(dir, 'histories', name.replace(/^completed--/, '')));
  writeFileSync(join(dir, 'summary.md'), '# Evidence\n');
  for (const [path, text] of Object.entries(extra)) writeFileSync(join(dir, path), text);
  writeManifest(dir, { cycleId: 'cycle/clinic/test-1', createdAt: '2026-11-29T03:00:00.000Z' }, parseEd25519Key(signer.privateKeyPem, 'private'));
}

const cli = (args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) => runCli(args, { cwd: options.cwd ?? root, env: { PATCHCTL_LOG_LEVEL: 'ERROR', ...options.env }, timeoutMs: 120_000 });

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'patchctl-evidence-trust-'));
  bundle = join(root, 'bundle');
  makeBundle(bundle, msp);
  publicKeyFile = join(root, 'msp.pub.pem');
  writeFileSync(publicKeyFile, msp.publicKeyPem);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('evidence verify and replay against the auditor’s key', () => {
  it('verifies a folder and a zip against --public-key, printing the key fingerprint', async () => {
    const folder = await cli(['evidence', 'verify', bundle, '--public-key', publicKeyFile]);
    expect(folder.code, folder.stderr).toBe(0);
    expect(folder.stdout).toContain(keyFingerprint(msp.publicKeyPem));
    const zip = join(root, 'bundle.zip');
    zipBundle(bundle, zip);
    expect(statSync(zip).mode & 0o777).toBe(0o600);
    const zipped = await cli(['evidence', 'verify', zip, '--public-key', publicKeyFile, '--json']);
    expect(zipped.code, zipped.stderr).toBe(0);
    expect(zipped.json()).toMatchObject({ ok: true, signature: 'valid', files: 3, fingerprint: keyFingerprint(msp.publicKeyPem) });
  });

  it('refuses a rewritten bundle that carries its own patchctl.yaml, run from inside it or named by PATCHCTL_CONFIG', async () => {
    const forged = join(root, 'forged');
    makeBundle(forged, forger, { 'patchctl.yaml': policyWith(forger.publicKeyPem), 'msp.pub.pem': forger.publicKeyPem });
    for (const run of [
      { cwd: forged, env: {} as Record<string, string> },
      { cwd: root, env: { PATCHCTL_CONFIG: join(forged, 'patchctl.yaml') } },
    ]) {
      const refused = await cli(['evidence', 'verify', forged, '--json'], run);
      expect(refused.code).toBe(1);
      expect(refused.json<{ error: { problems: { path: string; message: string }[] } }>().error.problems).toContainEqual({ path: 'patchctl.yaml', message: expect.stringContaining('inside the bundle') });
    }
    const ownKey = await cli(['evidence', 'verify', forged, '--public-key', join(forged, 'msp.pub.pem')]);
    expect(ownKey.code).toBe(1);
    expect(ownKey.stderr).toContain('msp.pub.pem');
    expect(ownKey.stderr).toContain('inside the bundle');
    // The key the auditor holds tells the forgery apart.
    const withMspKey = await cli(['evidence', 'verify', forged, '--public-key', publicKeyFile]);
    expect(withMspKey.code).toBe(1);
    expect(withMspKey.stderr).toContain('manifest.sig: signature does not match');
  });

  it('replays a bundle (folder and zip) only after it verifies', async () => {
    const replayed = await cli(['evidence', 'replay', '--bundle', bundle, '--public-key', publicKeyFile, '--json']);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.json()).toMatchObject({ consistent: true, histories: [{ consistent: true }, { consistent: true }] });
    const zipped = await cli(['evidence', 'replay', '--bundle', join(root, 'bundle.zip'), '--public-key', publicKeyFile]);
    expect(zipped.code, zipped.stderr).toBe(0);
    expect(zipped.stdout).toContain('consistent');

    const tampered = join(root, 'tampered');
    makeBundle(tampered, msp);
    const history = join(tampered, 'histories', HISTORIES[1]!.replace(/^completed--/, ''));
    writeFileSync(history, readFileSync(history, 'utf8').replace('"eventId": "1"', '"eventId":"1"'));
    const refused = await cli(['evidence', 'replay', '--bundle', tampered, '--public-key', publicKeyFile]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('does not verify');
    expect(refused.stderr).toContain(`histories/${HISTORIES[1]!.replace(/^completed--/, '')}: sha256 does not match`);
    expect(refused.stdout).not.toContain('consistent');
    const noKey = await cli(['evidence', 'replay', '--bundle', bundle], { cwd: tmpdir() });
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toContain('--public-key');
  });
});
