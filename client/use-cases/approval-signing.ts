import { readFileSync } from 'node:fs';
import { createPrivateKey, sign } from 'node:crypto';
import { approvalMessage, type ApprovalFacts, type ApprovalSignature } from '../../domain/approval-signature';
import { badInput } from '../errors';

/** The key to sign with: --key, else PATCHCTL_SIGNING_KEY_FILE; none → unsigned (policy may refuse). */
export function signingKeyFile(option: string | undefined): string | undefined {
  return option ?? process.env.PATCHCTL_SIGNING_KEY_FILE;
}

/** Signs what the workflow will verify: this workflow, this ring or exception, this decision, this person. */
export function signApproval(keyFile: string, facts: Omit<ApprovalFacts, 'signedAt'>): ApprovalSignature {
  let key;
  try {
    key = createPrivateKey(readFileSync(keyFile));
  } catch (error) {
    throw badInput(`cannot read the signing key ${keyFile}: ${(error as Error).message}`, 'pass the .key.pem written by `patchctl keys generate` with --key');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw badInput(`${keyFile} is a ${key.asymmetricKeyType} key, not Ed25519`, 'create one with `patchctl keys generate`');
  const signedAt = new Date().toISOString();
  return { signedAt, value: sign(null, Buffer.from(approvalMessage({ ...facts, signedAt })), key).toString('base64') };
}
