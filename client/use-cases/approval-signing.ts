import { readFileSync } from 'node:fs';
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { decisionMessage, type ApprovalSignature, type UnsignedFacts } from '../../domain/approval-signature';
import { badInput } from '../errors';

/** The key to sign with: --key, else PATCHCTL_SIGNING_KEY_FILE; none → unsigned (policy may refuse). */
export function signingKeyFile(option: string | undefined): string | undefined {
  return option ?? process.env.PATCHCTL_SIGNING_KEY_FILE;
}

export interface SignOptions {
  /** A delegate key (policy `signing.delegates`) signing on behalf of `facts.by`, e.g. "approval-page". */
  delegate?: string;
  /** When it is signed; default now. */
  signedAt?: Date;
}

function ed25519Key(privateKey: string | KeyObject, what: string): KeyObject {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  if (key.asymmetricKeyType !== 'ed25519') throw badInput(`${what} is a ${key.asymmetricKeyType} key, not Ed25519`, 'create one with `patchctl keys generate`');
  return key;
}

/**
 * Signs one decision as the workflow will verify it: the facts (workflow, run, pending decision id,
 * decision, person, reason, renewal date) come from the status query of the workflow, the signer
 * adds when. The approval page signs with its delegate key and `{ delegate: 'approval-page' }`.
 */
export function signDecision(facts: UnsignedFacts, privateKeyPem: string | KeyObject, options: SignOptions = {}): ApprovalSignature {
  const key = ed25519Key(privateKeyPem, 'the signing key');
  const signedAt = (options.signedAt ?? new Date()).toISOString();
  const message = decisionMessage({ ...facts, delegate: options.delegate, signedAt });
  return { signedAt, value: sign(null, Buffer.from(message), key).toString('base64'), decisionId: facts.decisionId, ...(options.delegate ? { delegate: options.delegate } : {}) };
}

/** signDecision with the private key in a file (the .key.pem `patchctl keys generate` wrote). */
export function signWithKeyFile(keyFile: string, facts: UnsignedFacts, options: SignOptions = {}): ApprovalSignature {
  let key;
  try {
    key = createPrivateKey(readFileSync(keyFile));
  } catch (error) {
    throw badInput(`cannot read the signing key ${keyFile}: ${(error as Error).message}`, 'pass the .key.pem written by `patchctl keys generate` with --key');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw badInput(`${keyFile} is a ${key.asymmetricKeyType} key, not Ed25519`, 'create one with `patchctl keys generate`');
  return signDecision(facts, key, options);
}
