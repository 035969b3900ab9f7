import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadPolicyFile } from '../../config/load-policy';
import { knownPeople, personId } from '../../domain/identity';
import { generateSigningKeyPair } from '../../activities/evidence/signing';
import { signWithKeyFile } from '../use-cases/approval-signing';
import type { Signer } from '../use-cases/decide';

// The demo runs signed like production: every person its policy names gets an Ed25519 key pair in
// the policy's `signing.keysDir` (created on first run, kept afterwards), and the demo signs each
// start, request and decision as that person with their own private key.

export interface DemoKeys {
  dir: string;
  people: string[];
  created: string[];
  /** The signer of one person: their private key in `dir`. */
  signerOf(person: string): Signer;
  keyFileOf(person: string): string;
}

export function ensureDemoKeys(policyFile: string, extra: readonly string[] = []): DemoKeys {
  const draft = loadPolicyFile(policyFile, { withoutSigning: true });
  if (!draft.ok) throw new Error(`${policyFile}: ${draft.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  const keysDir = draft.policy.signing.keysDir;
  if (!keysDir) throw new Error(`${policyFile} names no signing.keysDir: the demo keeps its people's keys there`);
  const dir = resolve(dirname(policyFile), keysDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const people = [...new Set([...knownPeople(draft.policy), ...extra.map(personId)])].sort();
  const keyFileOf = (person: string) => join(dir, `${personId(person)}.key.pem`);
  const created: string[] = [];
  for (const person of people) {
    const privateFile = keyFileOf(person);
    const publicFile = join(dir, `${person}.pub.pem`);
    if (existsSync(privateFile) && existsSync(publicFile)) continue;
    const pair = generateSigningKeyPair();
    writeFileSync(privateFile, pair.privateKeyPem, { mode: 0o600 });
    writeFileSync(publicFile, pair.publicKeyPem, { mode: 0o644 });
    created.push(person);
  }
  return { dir, people, created, keyFileOf, signerOf: (person) => (facts) => signWithKeyFile(keyFileOf(person), facts) };
}
