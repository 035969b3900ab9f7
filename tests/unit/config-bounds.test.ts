import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parsePolicyText } from '../../config/load-policy';
import { formatProblems } from '../../config/problems';
import { ensureDemoKeys } from '../../client/demo/demo-keys';

// A policy as YAML gives it: any shape, which is the point of these tests.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Yaml = Record<string, any>;

const root = join(__dirname, '..', '..');
const example = parse(readFileSync(join(root, 'patchctl.example.yaml'), 'utf8')) as Yaml;

function check(change: (policy: Yaml) => void): string[] {
  const policy = structuredClone(example);
  change(policy);
  const result = parsePolicyText(stringify(policy));
  return result.ok ? [] : result.problems.map((p) => `${p.path}: ${p.message}`);
}

function ed25519Pem(): string {
  return generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
}

describe('policy bounds: settings that would switch safety off are refused, naming the bounds', () => {
  it.each([
    ['rollout.jobPollInterval', (p: Yaml) => (p.rollout.jobPollInterval = '0s'), 'rollout.jobPollInterval: must be between 1s and 1h, got "0s"'],
    ['rollout.gateDecisionTimeout', (p: Yaml) => (p.rollout.gateDecisionTimeout = '0s'), 'rollout.gateDecisionTimeout: must be between 1m and 7d, got "0s"'],
    ['rings.canary.failureThreshold', (p: Yaml) => (p.rings.canary.failureThreshold = 1), 'rings.canary.failureThreshold: must be a share between 0 and 0.5, got 1'],
    ['exceptions.maxDuration', (p: Yaml) => (p.exceptions = { maxDuration: '36500d' }), 'exceptions.maxDuration: must be between 1d and 365d, got "36500d"'],
    ['rings.production.soak', (p: Yaml) => (p.rings.production.soak = '0s'), 'rings.production.soak: must be between 1s and 30d, got "0s"'],
    ['sla.workstation.high.deploymentWindow', (p: Yaml) => (p.sla.workstation.high.deploymentWindow = '3650d'), 'sla.workstation.high.deploymentWindow: must be between 1h and 365d, got "3650d"'],
    ['rings.canary.size', (p: Yaml) => (p.rings.canary.size = 100000), 'rings.canary.size: must be between 1 and 1000 assets, got 100000'],
  ])('%s', (_name, change, line) => {
    expect(check(change)).toEqual([line]);
  });

  it('keeps every duration and threshold of the shipped policies inside the bounds', () => {
    // The demo policy reads its people's public keys from signing.keysDir: a copy gets its own keys.
    const demoDir = mkdtempSync(join(tmpdir(), 'patchctl-demo-policy-'));
    const demoCopy = join(demoDir, 'patchctl.demo.yaml');
    copyFileSync(join(root, 'patchctl.demo.yaml'), demoCopy);
    ensureDemoKeys(demoCopy, ['engineer@msp.demo']);
    try {
      for (const [file, path] of [['patchctl.example.yaml', join(root, 'patchctl.example.yaml')], ['patchctl.demo.yaml', demoCopy]] as const) {
        const result = parsePolicyText(readFileSync(path, 'utf8'), path);
        if (!result.ok) throw new Error(`${file}:\n${formatProblems(result.problems)}`);
      }
    } finally {
      rmSync(demoDir, { recursive: true, force: true });
    }
  });

  it('parses public keys: garbage between PEM markers and non-Ed25519 keys are refused, a real Ed25519 key is accepted', () => {
    const garbage = '-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n';
    const lines = check((p) => (p.msp.evidencePublicKey = garbage));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^msp\.evidencePublicKey: must be an Ed25519 public key in PEM form \(see `patchctl keys generate`\), got "-----BEGIN PUBLIC KEY-----/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(check((p) => (p.signing = { publicKeys: { 'lead@msp.example': rsa } }))[0]).toMatch(/^signing\.publicKeys\.lead@msp\.example: must be an Ed25519 public key/);
    expect(check((p) => (p.signing = { publicKeys: { 'lead@msp.example': ed25519Pem() } }))).toEqual([]);
  });
});
