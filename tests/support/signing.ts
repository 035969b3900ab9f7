import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { UnsignedFacts } from '../../domain/approval-signature';
import { signDecision } from '../../client/use-cases/approval-signing';

export interface TestPerson {
  id: string;
  privateKey: KeyObject;
  publicKeyPem: string;
}

export function person(id: string): TestPerson {
  const keys = generateKeyPairSync('ed25519');
  return { id, privateKey: keys.privateKey, publicKeyPem: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/**
 * A signer at a given time. The time-skipping server's clock runs ahead of the real one, so tests
 * sign at the workflow's time (e.g. a moment after the decision became pending).
 */
export function signerAt(key: KeyObject, at: string | Date, delegate?: string) {
  return (facts: UnsignedFacts) => signDecision(facts, key, { signedAt: new Date(at), delegate });
}
