import { ed25519 } from '@noble/curves/ed25519';
import { personId } from './identity';

// Signed decisions. Verification runs inside the workflow sandbox (update validators), so it uses a
// pure-JS Ed25519 and no Node APIs; signing happens in the CLI (node:crypto) or the approval page.
// The signed message is canonical JSON under a domain-separation tag: the same bytes can never be
// read as another kind of message, and an auditor rebuilds them from the facts the evidence lists.

/** The domain-separation tag of every signed decision; a new layout gets a new tag. */
export const DECISION_TAG = 'patchctl/decision/v2';

/** How far a signer's clock may be off from the workflow's, either way. */
export const SIGNATURE_SKEW_MS = 5 * 60_000;

export interface ApprovalSignature {
  /** When the signer signed (ISO time, UTC); part of the signed message. */
  signedAt: string;
  /** Ed25519 signature of `decisionMessage(...)`, standard padded base64 of exactly 64 bytes. */
  value: string;
  /** The decision id the signer saw pending (the workflow refuses any other). */
  decisionId: string;
  /** A delegate key (policy `signing.delegates`) that signed on behalf of `by`, e.g. the approval page. */
  delegate?: string;
}

/** Everything a signature binds. `runId` is the workflow's first-execution run id ('' for a start, which has no run yet). */
export interface DecisionFacts {
  workflowId: string;
  runId: string;
  decisionId: string;
  decision: string;
  by: string;
  /** The reason or comment given with the decision ('' when none). */
  reason?: string;
  /** Renewals: the new expiry or review date. */
  until?: string;
  delegate?: string;
  signedAt: string;
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json | undefined };

/** JSON with object keys sorted and undefined members left out: one byte string per value. */
export function canonicalJson(value: Json): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const members = Object.keys(value)
    .sort()
    .filter((key) => value[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key] as Json)}`);
  return `{${members.join(',')}}`;
}

/** The exact text signed for a decision. */
export function decisionMessage(facts: DecisionFacts): string {
  return canonicalJson({
    tag: DECISION_TAG,
    workflowId: facts.workflowId,
    runId: facts.runId,
    decisionId: facts.decisionId,
    decision: facts.decision,
    by: personId(facts.by),
    reason: facts.reason ?? '',
    until: facts.until,
    delegate: facts.delegate,
    signedAt: facts.signedAt,
  });
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * Standard base64 (RFC 4648 §4, padded), strict: anything else, including unused bits that are not
 * zero (a second spelling of the same bytes), is undefined rather than decoded around. The sandbox
 * has neither Buffer nor atob, hence this one decoder.
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
  if ((buffer & ((1 << bits) - 1)) !== 0) return undefined;
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

/** Strict RFC 8032 verification (not ZIP-215), so a recorded signature has exactly one valid spelling. */
export function verifyDecision(publicKeyPem: string, facts: DecisionFacts, value: string): boolean {
  const key = ed25519KeyFromPem(publicKeyPem);
  const bytes = decodeBase64(value);
  if (!key || !bytes || bytes.length !== 64) return false;
  try {
    return ed25519.verify(bytes, new TextEncoder().encode(decisionMessage(facts)), key, { zip215: false });
  } catch {
    return false;
  }
}

export interface SigningPolicy {
  required: boolean;
  publicKeys: Record<string, string>;
  /** Keys that sign on behalf of a named person (the approval page). */
  delegates?: Record<string, string>;
}

/** The key of a person, whatever case or spaces the policy file used for their name. */
export function publicKeyOf(signing: SigningPolicy, person: string): string | undefined {
  const id = personId(person);
  const found = Object.entries(signing.publicKeys).find(([name]) => personId(name) === id);
  return found?.[1];
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;

/** When a pending decision may be signed: from when it became pending until the workflow's now, each widened by the skew. */
export interface SigningWindow {
  /** ISO time the decision became pending. */
  since: string;
  /** The workflow's now (epoch ms). */
  now: number;
}

/** The facts of a decision before the signer adds when they signed. */
export type UnsignedFacts = Omit<DecisionFacts, 'signedAt' | 'delegate'>;

/**
 * Why a decision's signature is not acceptable, or undefined when it is (also when none is
 * required and none is given). Both workflows' validators refuse with this message.
 */
export function signatureProblem(signing: SigningPolicy | undefined, facts: UnsignedFacts, signature: ApprovalSignature | undefined, window: SigningWindow): string | undefined {
  if (!signing) return undefined;
  if (!signature) return signing.required ? 'policy requires signed decisions and this decision carries no signature' : undefined;
  if (signature.decisionId !== facts.decisionId) {
    return `the signature is for decision ${JSON.stringify(signature.decisionId)}, but the pending decision is ${JSON.stringify(facts.decisionId)}; read the status again and sign the pending one`;
  }
  const at = ISO_UTC.test(signature.signedAt) ? Date.parse(signature.signedAt) : Number.NaN;
  if (Number.isNaN(at)) return `signedAt must be an ISO time in UTC like 2026-12-01T10:00:00.000Z, got ${JSON.stringify(signature.signedAt)}`;
  const from = Date.parse(window.since) - SIGNATURE_SKEW_MS;
  const until = window.now + SIGNATURE_SKEW_MS;
  if (at < from || at > until) {
    return `signedAt ${signature.signedAt} lies outside the time this decision can be signed (from ${new Date(from).toISOString()} to ${new Date(until).toISOString()}); sign it again now`;
  }
  const delegate = signature.delegate;
  const key = delegate === undefined ? publicKeyOf(signing, facts.by) : signing.delegates?.[delegate];
  if (!key) {
    return delegate === undefined
      ? `${personId(facts.by)} has no public key in policy (signing.publicKeys), so the signature cannot be checked`
      : `${JSON.stringify(delegate)} is not a delegate named in policy (signing.delegates)`;
  }
  if (!verifyDecision(key, { ...facts, delegate, signedAt: signature.signedAt }, signature.value)) {
    return delegate === undefined
      ? `the signature does not verify against the public key of ${personId(facts.by)} in policy for this decision; sign with your own key`
      : `the signature does not verify against the key of delegate ${delegate} in policy for this decision`;
  }
  return undefined;
}

/** What the audit trail keeps of a signature: the value and the exact message, checkable offline. */
export interface RecordedSignature {
  signedAt: string;
  value: string;
  decisionId: string;
  message: string;
  /** "approval-page" when a delegate signed on behalf of the person named in `by`. */
  delegate?: string;
}

export function recordedSignature(facts: UnsignedFacts, signature: ApprovalSignature | undefined): RecordedSignature | undefined {
  if (!signature) return undefined;
  const message = decisionMessage({ ...facts, delegate: signature.delegate, signedAt: signature.signedAt });
  return { signedAt: signature.signedAt, value: signature.value, decisionId: signature.decisionId, message, ...(signature.delegate ? { delegate: signature.delegate } : {}) };
}

/** Longest reason, comment or summary a message may carry: a history must not fill with one person's text. */
export const MAX_REASON_CHARS = 2_000;

/** Why a free text is too long, or undefined. */
export function textTooLong(field: string, text: string | undefined): string | undefined {
  return text !== undefined && text.length > MAX_REASON_CHARS ? `${field} is ${text.length} characters; at most ${MAX_REASON_CHARS} are accepted` : undefined;
}
