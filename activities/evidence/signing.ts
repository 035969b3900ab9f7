import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

// Ed25519: small keys, deterministic signatures, in node:crypto without extra dependencies.

export interface KeyPairPem {
  privateKeyPem: string;
  publicKeyPem: string;
}

export function generateSigningKeyPair(): KeyPairPem {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** Parses a PEM key and insists on Ed25519; the message says what was found instead. */
export function parseEd25519Key(pem: string, kind: 'private' | 'public'): KeyObject {
  const key = kind === 'private' ? createPrivateKey(pem) : createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`is a ${key.asymmetricKeyType ?? 'symmetric'} key, expected an Ed25519 ${kind} key (see \`patchctl keys generate\`)`);
  return key;
}

/** Detached signature of the bytes, base64 text (what manifest.sig holds). */
export function signBytes(data: Buffer, privateKey: KeyObject): string {
  return `${sign(null, data, privateKey).toString('base64')}\n`;
}

export function signatureValid(data: Buffer, signatureText: string, publicKey: KeyObject): boolean {
  const signature = Buffer.from(signatureText.trim(), 'base64');
  if (signature.length !== 64) return false;
  return verify(null, data, publicKey, signature);
}

/**
 * `SHA256:` and the unpadded base64 SHA-256 of the key's DER (SubjectPublicKeyInfo), as ssh-keygen
 * prints fingerprints: short enough to read out over the phone when the auditor pins a key.
 */
export function keyFingerprint(publicKeyPem: string): string {
  const der = parseEd25519Key(publicKeyPem, 'public').export({ type: 'spki', format: 'der' });
  return `SHA256:${createHash('sha256').update(der).digest('base64').replace(/=+$/, '')}`;
}
