import { ed25519 } from '@noble/curves/ed25519';

// Signed approvals. Verification runs inside the workflow sandbox (update validators), so it uses a
// pure-JS Ed25519 and no Node APIs; signing happens in the CLI with node:crypto. An auditor can check
// a recorded approval offline: the message is rebuilt from what the evidence lists.

export interface ApprovalSignature {
  /** When the approver signed (ISO time); part of the signed message. */
  signedAt: string;
  /** Ed25519 signature of `approvalMessage(...)`, base64. */
  value: string;
}

export interface ApprovalFacts {
  workflowId: string;
  /** The ring or exception id decided on. */
  subject: string;
  decision: string;
  by: string;
  signedAt: string;
}

export function approvalMessage(facts: ApprovalFacts): string {
  return ['patchctl-approval', 'v1', facts.workflowId, facts.subject, facts.decision, facts.by, facts.signedAt].join('|');
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * Standard base64 (RFC 4648 §4, padded), strict: anything else is undefined rather than decoded
 * around. The sandbox has neither Buffer nor atob, hence this one decoder.
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (!BASE64.test(text)) return undefined;
  const body = text.replace(/=+$/, '');
  const bytes = new Uint8Array(Math.floor((body.length * 6) / 8));
  let buffer = 0;
  let bits = 0;
  let at = 0;
  for (const char of body) {
    buffer = ((buffer << 6) | ALPHABET.indexOf(char)) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[at++] = (buffer >> bits) & 0xff;
    }
  }
  return bytes;
}

/** The raw 32-byte key inside an Ed25519 SPKI PEM (`-----BEGIN PUBLIC KEY-----`). */
export function ed25519KeyFromPem(pem: string): Uint8Array | undefined {
  // PEM wraps its base64 body in lines; the body itself must be strict base64.
  const body = pem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, '').replace(/\s+/g, '');
  const der = decodeBase64(body);
  // SPKI for Ed25519 is a fixed 12-byte header (OID 1.3.101.112) followed by the key.
  return der && der.length === 44 && der[0] === 0x30 && der[8] === 0x70 ? der.slice(12) : undefined;
}

export function verifyApproval(publicKeyPem: string, facts: ApprovalFacts, signature: ApprovalSignature): boolean {
  const key = ed25519KeyFromPem(publicKeyPem);
  const value = decodeBase64(signature.value);
  if (!key || !value) return false;
  try {
    return ed25519.verify(value, new TextEncoder().encode(approvalMessage(facts)), key);
  } catch {
    return false;
  }
}

export interface SigningPolicy {
  required: boolean;
  publicKeys: Record<string, string>;
}

/**
 * Why a decision's signature is not acceptable under the policy, or undefined when it is (also when
 * none is required and none is given). Both workflows' validators refuse with this message.
 */
export function signatureProblem(signing: SigningPolicy | undefined, facts: Omit<ApprovalFacts, 'signedAt'>, signature: ApprovalSignature | undefined): string | undefined {
  if (!signing) return undefined;
  if (!signature) {
    return signing.required ? 'policy requires signed approvals and this decision carries no signature' : undefined;
  }
  const key = signing.publicKeys[facts.by];
  if (!key) return `${facts.by} has no public key in policy (signing.publicKeys), so the signature cannot be checked`;
  if (!verifyApproval(key, { ...facts, signedAt: signature.signedAt }, signature)) {
    return `the signature does not verify against the public key of ${facts.by} in policy; sign with your own key`;
  }
  return undefined;
}
