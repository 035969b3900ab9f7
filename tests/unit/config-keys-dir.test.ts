import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadPolicyFile } from '../../config/load-policy';
import { ensureDemoKeys } from '../../client/demo/demo-keys';

// signing.keysDir: the people's public keys live as files beside the policy, read at every load, so
// deleting a file revokes that person's key for every workflow that re-reads the policy.

const root = join(__dirname, '..', '..');
let dir: string;
let policyFile: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'patchctl-keys-dir-'));
  policyFile = join(dir, 'patchctl.demo.yaml');
  copyFileSync(join(root, 'patchctl.demo.yaml'), policyFile);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function problems(): string[] {
  const result = loadPolicyFile(policyFile);
  return result.ok ? [] : result.problems.map((p) => `${p.path}: ${p.message}`);
}

describe('signing.keysDir', () => {
  it('refuses a policy whose keys folder does not exist, saying how to create the keys', () => {
    expect(problems()).toEqual([expect.stringMatching(/^signing\.keysDir: .*\.patchctl\/keys does not exist; .*patchctl keys generate/)]);
  });

  it('reads each <person>.pub.pem into publicKeys; private keys are 0600 in a 0700 folder', () => {
    const keys = ensureDemoKeys(policyFile, ['engineer@msp.demo']);
    expect(keys.people).toContain('lead@msp.demo');
    expect(keys.people).toContain('engineer@msp.demo');
    expect(statSync(keys.dir).mode & 0o777).toBe(0o700);
    expect(statSync(keys.keyFileOf('lead@msp.demo')).mode & 0o777).toBe(0o600);
    const result = loadPolicyFile(policyFile);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.policy.signing.requireSignedApprovals).toBe(true);
    expect(result.policy.signing.publicKeys['lead@msp.demo']).toBe(readFileSync(join(keys.dir, 'lead@msp.demo.pub.pem'), 'utf8'));
    // A second run keeps the keys it made.
    expect(ensureDemoKeys(policyFile, ['engineer@msp.demo']).created).toEqual([]);
  });

  it('revokes a key by deleting its file: the next load refuses the policy for the person who lost it', () => {
    const keys = ensureDemoKeys(policyFile, ['engineer@msp.demo']);
    unlinkSync(join(keys.dir, 'lead@msp.demo.pub.pem'));
    expect(problems()).toEqual([expect.stringContaining('lead@msp.demo has no public key')]);
  });

  it('refuses a key file that is a symlink (a key from elsewhere cannot be slipped in)', () => {
    const keys = ensureDemoKeys(policyFile, ['engineer@msp.demo']);
    const elsewhere = join(dir, 'elsewhere.pem');
    writeFileSync(elsewhere, readFileSync(join(keys.dir, 'lead@msp.demo.pub.pem')));
    symlinkSync(elsewhere, join(keys.dir, 'intruder@msp.demo.pub.pem'));
    expect(problems()).toEqual([expect.stringMatching(/^signing\.keysDir: .*intruder@msp\.demo\.pub\.pem is not a regular file/)]);
  });
});
