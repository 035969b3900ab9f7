import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MANIFEST, SIGNATURE, verifyBundle, writeManifest } from '../../activities/evidence/manifest';
import { generateSigningKeyPair, parseEd25519Key } from '../../activities/evidence/signing';

// The bundle an auditor checks offline: any changed, missing or added file, and any signature not
// made by the MSP's key, must be named.

const FILES: Record<string, string> = {
  'timeline.json': '{"entries":[]}\n',
  'decisions.json': '{"decisions":[{"kind":"approval","by":"lead@msp.test"}]}\n',
  'summary.md': '# Evidence\n',
  'histories/cycle%2Fclinic%2Fc1.json': '{"events":[{"eventId":"1"}]}\n',
  'histories/cycle%2Fclinic%2Fc1%2Fring%2Fcanary.run-2.json': '{"events":[{"eventId":"1"},{"eventId":"2"}]}\n',
};

let dir: string;
const msp = generateSigningKeyPair();

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'patchctl-manifest-'));
  mkdirSync(join(dir, 'histories'));
  for (const [path, text] of Object.entries(FILES)) writeFileSync(join(dir, path), text);
  writeManifest(dir, { cycleId: 'cycle/clinic/c1', createdAt: '2026-11-29T03:00:00.000Z' }, parseEd25519Key(msp.privateKeyPem, 'private'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('evidence manifest', () => {
  it('lists every file with its sha256 and size, and verifies when nothing changed', () => {
    const manifest = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8'));
    expect(manifest.cycleId).toBe('cycle/clinic/c1');
    expect(manifest.files.map((f: { path: string }) => f.path)).toEqual(Object.keys(FILES).sort());
    expect(manifest.files.find((f: { path: string }) => f.path === 'summary.md')).toEqual({
      path: 'summary.md',
      bytes: 11,
      sha256: createHash('sha256').update('# Evidence\n').digest('hex'),
    });
    const result = verifyBundle(dir, msp.publicKeyPem);
    expect(result).toMatchObject({ ok: true, files: 5, signature: 'valid', problems: [] });
  });

  it.each(Object.keys(FILES))('names %s when one of its bytes is flipped', (path) => {
    const file = join(dir, path);
    const bytes = readFileSync(file);
    bytes[bytes.length - 2] = bytes[bytes.length - 2]! ^ 0x01;
    writeFileSync(file, bytes);
    const result = verifyBundle(dir, msp.publicKeyPem);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([{ path, problem: expect.stringContaining('sha256 does not match') }]);
    expect(result.signature).toBe('valid');
  });

  it('names a removed file and a file added after export', () => {
    unlinkSync(join(dir, 'decisions.json'));
    writeFileSync(join(dir, 'histories', 'injected.json'), '{}');
    const result = verifyBundle(dir, msp.publicKeyPem);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      { path: 'decisions.json', problem: 'listed in the manifest but missing' },
      { path: 'histories/injected.json', problem: expect.stringContaining('not listed in the manifest') },
    ]);
  });

  it('rejects a signature made with another key, and an edited manifest', () => {
    const forger = generateSigningKeyPair();
    const forged = join(dir, 'forged');
    mkdirSync(forged);
    for (const [path, text] of Object.entries(FILES)) {
      mkdirSync(join(forged, 'histories'), { recursive: true });
      writeFileSync(join(forged, path), text);
    }
    writeManifest(forged, { cycleId: 'cycle/clinic/c1', createdAt: '2026-11-29T03:00:00.000Z' }, parseEd25519Key(forger.privateKeyPem, 'private'));
    const result = verifyBundle(forged, msp.publicKeyPem);
    expect(result.signature).toBe('invalid');
    expect(result.problems).toEqual([{ path: SIGNATURE, problem: expect.stringContaining('signature does not match') }]);
    // The forger's own key does verify its bundle: the check is the key, not the format.
    expect(verifyBundle(forged, forger.publicKeyPem).ok).toBe(true);

    const manifest = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8'));
    manifest.cycleId = 'cycle/clinic/other';
    writeFileSync(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    rmSync(forged, { recursive: true });
    expect(verifyBundle(dir, msp.publicKeyPem)).toMatchObject({ ok: false, signature: 'invalid' });
  });

  it('reports an unsigned bundle and a missing public key as problems', () => {
    unlinkSync(join(dir, SIGNATURE));
    expect(verifyBundle(dir, msp.publicKeyPem)).toMatchObject({ ok: false, signature: 'missing', problems: [{ path: SIGNATURE, problem: expect.stringContaining('not signed') }] });
    writeManifest(dir, { cycleId: 'cycle/clinic/c1', createdAt: '2026-11-29T03:00:00.000Z' }, parseEd25519Key(msp.privateKeyPem, 'private'));
    expect(verifyBundle(dir, undefined)).toMatchObject({ ok: false, signature: 'no-key', problems: [{ path: SIGNATURE, problem: expect.stringContaining('no public key') }] });
  });

  it('with allowUnsigned accepts a missing signature on the hashes, but never a changed file or a forged signature', () => {
    unlinkSync(join(dir, SIGNATURE));
    expect(verifyBundle(dir, undefined, { allowUnsigned: true })).toMatchObject({ ok: true, signature: 'missing', problems: [] });
    writeFileSync(join(dir, 'summary.md'), '# Evidence, edited\n');
    expect(verifyBundle(dir, undefined, { allowUnsigned: true })).toMatchObject({ ok: false, problems: [{ path: 'summary.md' }] });
    writeFileSync(join(dir, 'summary.md'), FILES['summary.md']!);
    writeFileSync(join(dir, SIGNATURE), `${Buffer.alloc(64, 7).toString('base64')}\n`);
    expect(verifyBundle(dir, msp.publicKeyPem, { allowUnsigned: true })).toMatchObject({ ok: false, signature: 'invalid' });
  });

  it('refuses manifest paths that leave the bundle', () => {
    const manifest = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8'));
    manifest.files.push({ path: '../outside.txt', sha256: '0'.repeat(64), bytes: 0 });
    writeFileSync(join(dir, MANIFEST), JSON.stringify(manifest));
    const result = verifyBundle(dir, msp.publicKeyPem);
    expect(result.problems).toContainEqual({ path: '../outside.txt', problem: 'listed with a path outside the bundle' });
  });

  it('names an absolute manifest path as outside the bundle too', () => {
    const manifest = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8'));
    manifest.files.push({ path: '/etc/hostname', sha256: '0'.repeat(64), bytes: 0 });
    writeFileSync(join(dir, MANIFEST), JSON.stringify(manifest));
    expect(verifyBundle(dir, msp.publicKeyPem).problems).toContainEqual({ path: '/etc/hostname', problem: 'listed with a path outside the bundle' });
  });

  it('names a listed file replaced by a symlink to identical content, and an added symlink', () => {
    const outside = mkdtempSync(join(tmpdir(), 'patchctl-outside-'));
    try {
      writeFileSync(join(outside, 'summary.md'), FILES['summary.md']!);
      unlinkSync(join(dir, 'summary.md'));
      symlinkSync(join(outside, 'summary.md'), join(dir, 'summary.md'));
      symlinkSync(outside, join(dir, 'linked-folder'));
      const result = verifyBundle(dir, msp.publicKeyPem);
      expect(result.ok).toBe(false);
      expect(result.problems).toContainEqual({ path: 'summary.md', problem: expect.stringContaining('a symlink, not a regular file') });
      expect(result.problems).toContainEqual({ path: 'linked-folder', problem: expect.stringContaining('a symlink, not a regular file') });
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('names a symlinked manifest.json instead of following it', () => {
    const outside = mkdtempSync(join(tmpdir(), 'patchctl-outside-'));
    try {
      writeFileSync(join(outside, MANIFEST), readFileSync(join(dir, MANIFEST)));
      unlinkSync(join(dir, MANIFEST));
      symlinkSync(join(outside, MANIFEST), join(dir, MANIFEST));
      expect(verifyBundle(dir, msp.publicKeyPem)).toMatchObject({ ok: false, problems: [{ path: MANIFEST, problem: expect.stringContaining('a symlink, not a regular file') }] });
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('names a path listed twice', () => {
    const manifest = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8'));
    manifest.files.push(manifest.files[0]);
    writeFileSync(join(dir, MANIFEST), JSON.stringify(manifest));
    expect(verifyBundle(dir, msp.publicKeyPem).problems).toContainEqual({ path: manifest.files[0].path, problem: 'listed twice in the manifest' });
  });

  it('leaves every file 0600 and every folder 0700: bundles hold decrypted histories', () => {
    expect(statSync(join(dir, MANIFEST)).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, SIGNATURE)).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'histories', 'cycle%2Fclinic%2Fc1.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'histories')).mode & 0o777).toBe(0o700);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });
});
