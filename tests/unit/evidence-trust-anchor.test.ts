import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { evidenceTrustAnchor } from '../../activities/evidence/bundle-keys';
import { writeManifest } from '../../activities/evidence/manifest';
import { generateSigningKeyPair, keyFingerprint, parseEd25519Key } from '../../activities/evidence/signing';

// The key that checks a bundle is the auditor's choice: a key or a policy that travels inside the
// bundle (however it is reached: --public-key, PATCHCTL_CONFIG, ./patchctl.yaml) vouches for nothing.

const REPO = join(__dirname, '..', '..');
let root: string;
let bundle: string;
const msp = generateSigningKeyPair();
const forger = generateSigningKeyPair();

function policyWith(publicKeyPem: string): string {
  const policy = parse(readFileSync(join(REPO, 'tests', 'fixtures', 'policy-e2e.yaml'), 'utf8'));
  policy.msp.evidencePublicKey = publicKeyPem;
  return stringify(policy);
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'patchctl-anchor-'));
  bundle = join(root, 'bundle');
  mkdirSync(bundle);
  writeFileSync(join(bundle, 'summary.md'), '# Evidence\n');
  // The forger's rewrite: its own policy and key inside, listed and signed with its own key.
  writeFileSync(join(bundle, 'patchctl.yaml'), policyWith(forger.publicKeyPem));
  writeFileSync(join(bundle, 'msp.pub.pem'), forger.publicKeyPem);
  writeManifest(bundle, { cycleId: 'cycle/clinic/c1', createdAt: '2026-11-29T03:00:00.000Z' }, parseEd25519Key(forger.privateKeyPem, 'private'));
  writeFileSync(join(root, 'msp.pub.pem'), msp.publicKeyPem);
  writeFileSync(join(root, 'patchctl.yaml'), policyWith(msp.publicKeyPem));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('evidence trust anchor', () => {
  it('takes --public-key from outside the bundle and gives its fingerprint', () => {
    const anchor = evidenceTrustAnchor(bundle, { publicKeyFile: join(root, 'msp.pub.pem'), env: {}, cwd: root });
    expect(anchor).toMatchObject({ pem: msp.publicKeyPem, source: join(root, 'msp.pub.pem'), fingerprint: keyFingerprint(msp.publicKeyPem) });
    expect(anchor.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(anchor.refused).toBeUndefined();
  });

  it('takes msp.evidencePublicKey of a policy outside the bundle (PATCHCTL_CONFIG or ./patchctl.yaml)', () => {
    for (const anchor of [
      evidenceTrustAnchor(bundle, { env: { PATCHCTL_CONFIG: join(root, 'patchctl.yaml') }, cwd: bundle }),
      evidenceTrustAnchor(bundle, { env: {}, cwd: root }),
    ]) {
      expect(anchor).toMatchObject({ pem: msp.publicKeyPem, source: `msp.evidencePublicKey in ${join(root, 'patchctl.yaml')}`, fingerprint: keyFingerprint(msp.publicKeyPem) });
    }
  });

  it('refuses a --public-key inside the bundle, naming the file', () => {
    const anchor = evidenceTrustAnchor(bundle, { publicKeyFile: join(bundle, 'msp.pub.pem'), env: {}, cwd: root });
    expect(anchor.pem).toBeUndefined();
    expect(anchor.refused).toEqual({ path: 'msp.pub.pem', problem: expect.stringContaining('inside the bundle') });
  });

  it('refuses the bundle’s own patchctl.yaml, reached from a working directory inside the bundle', () => {
    const anchor = evidenceTrustAnchor(bundle, { env: {}, cwd: bundle });
    expect(anchor.pem).toBeUndefined();
    expect(anchor.refused).toEqual({ path: 'patchctl.yaml', problem: expect.stringContaining('inside the bundle') });
  });

  it('refuses PATCHCTL_CONFIG pointing into the bundle, also through a relative path', () => {
    for (const env of [{ PATCHCTL_CONFIG: join(bundle, 'patchctl.yaml') }, { PATCHCTL_CONFIG: 'bundle/./patchctl.yaml' }]) {
      const anchor = evidenceTrustAnchor(bundle, { env, cwd: root });
      expect(anchor.refused).toEqual({ path: 'patchctl.yaml', problem: expect.stringContaining('PATCHCTL_CONFIG') });
    }
  });

  it('without --public-key and without a policy outside the bundle there is no key, and it says how to give one', () => {
    const empty = mkdtempSync(join(tmpdir(), 'patchctl-anchor-empty-'));
    try {
      const anchor = evidenceTrustAnchor(bundle, { env: {}, cwd: empty });
      expect(anchor.pem).toBeUndefined();
      expect(anchor.refused).toBeUndefined();
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
