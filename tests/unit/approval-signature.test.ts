import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DECISION_TAG,
  SIGNATURE_SKEW_MS,
  canonicalJson,
  decisionMessage,
  decodeBase64,
  ed25519KeyFromPem,
  recordedSignature,
  signatureProblem,
  verifyDecision,
} from '../../domain/approval-signature';
import { personId, samePerson } from '../../domain/identity';

describe('decodeBase64 (the sandbox has no Buffer)', () => {
  it('decodes standard padded base64 exactly as Node does', () => {
    for (const bytes of [[], [0], [0, 1], [0, 1, 2], [255, 254, 253, 252, 251], Array.from({ length: 64 }, (_, i) => i * 4)]) {
      const text = Buffer.from(bytes).toString('base64');
      expect([...(decodeBase64(text) ?? [])]).toEqual(bytes);
    }
  });

  it('refuses what is not strict base64 instead of decoding around it', () => {
    for (const text of ['abc', 'ab=c', 'a b=', 'Zm9v!', 'Zm9vYg', '_-8=', 'Zm9vYg===']) expect(decodeBase64(text)).toBeUndefined();
  });

  it('refuses a second spelling of the same bytes (non-zero unused bits)', () => {
    expect(Buffer.from('Zm9=', 'base64')).toEqual(Buffer.from('Zm8=', 'base64'));
    expect(decodeBase64('Zm8=')).toBeDefined();
    expect(decodeBase64('Zm9=')).toBeUndefined();
    expect(decodeBase64('YR==')).toBeUndefined();
  });
});

describe('canonical JSON', () => {
  it('sorts keys at every level and leaves out undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 'x'], c: null }, z: undefined })).toBe('{"a":{"c":null,"d":[1,"x"]},"b":1}');
  });
});

describe('identities', () => {
  it('compare trimmed and lower-cased', () => {
    expect(personId('  Lead@MSP.test ')).toBe('lead@msp.test');
    expect(samePerson('LEAD@msp.test', 'lead@msp.test ')).toBe(true);
    expect(samePerson('lead@msp.test', 'other@msp.test')).toBe(false);
  });
});

describe('signed decisions (v2)', () => {
  const keys = generateKeyPairSync('ed25519');
  const pem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const since = '2026-12-01T10:00:00.000Z';
  const now = Date.parse('2026-12-01T10:30:00.000Z');
  const facts = { workflowId: 'cycle/acme/x', runId: 'run-1', decisionId: 'promotion:pilot:1', decision: 'approve', by: 'lead@msp.test', reason: 'looks good' };
  const signedAt = '2026-12-01T10:10:00.000Z';
  const sig = (f: Record<string, unknown>, key = keys.privateKey) => sign(null, Buffer.from(decisionMessage({ ...facts, signedAt, ...f } as never)), key).toString('base64');
  const value = sig({});
  const signing = { required: true, publicKeys: { 'Lead@MSP.test': pem } };
  const problem = (s: Partial<{ signedAt: string; value: string; decisionId: string; delegate: string }>, f = facts, window = { since, now }) =>
    signatureProblem(signing, f, { signedAt, value, decisionId: facts.decisionId, ...s }, window);

  it('signs canonical JSON under a domain-separation tag binding run, decision id, reason and renewal date', () => {
    const message = decisionMessage({ ...facts, signedAt, until: '2027-01-01T00:00:00.000Z' });
    expect(JSON.parse(message)).toEqual({ tag: DECISION_TAG, ...facts, signedAt, until: '2027-01-01T00:00:00.000Z' });
    expect(message.startsWith('{"by":')).toBe(true);
    expect(decisionMessage({ ...facts, by: ' LEAD@msp.test', signedAt })).toBe(decisionMessage({ ...facts, signedAt }));
  });

  it('reads the key of a PEM and verifies a genuine signature', () => {
    expect(ed25519KeyFromPem(pem)).toHaveLength(32);
    expect(verifyDecision(pem, { ...facts, signedAt }, value)).toBe(true);
    expect(problem({})).toBeUndefined();
  });

  it('refuses a signature for another run, decision id, reason or renewal date', () => {
    expect(problem({}, { ...facts, runId: 'run-2' })).toMatch(/does not verify/);
    expect(problem({}, { ...facts, reason: 'other' })).toMatch(/does not verify/);
    expect(problem({}, { ...facts, decision: 'reject' })).toMatch(/does not verify/);
    expect(problem({ decisionId: 'promotion:pilot:0' })).toMatch(/pending decision is "promotion:pilot:1"/);
    expect(problem({ value: sig({ decisionId: 'promotion:pilot:0' }) })).toMatch(/does not verify/);
  });

  it('refuses signedAt before the decision was pending or after now, beyond the skew', () => {
    const yearOld = '2025-12-01T10:00:00.000Z';
    expect(problem({ signedAt: yearOld, value: sig({ signedAt: yearOld }) })).toMatch(/signedAt 2025-12-01T10:00:00.000Z lies outside/);
    const future = new Date(now + SIGNATURE_SKEW_MS + 1000).toISOString();
    expect(problem({ signedAt: future, value: sig({ signedAt: future }) })).toMatch(/signedAt .* lies outside/);
    expect(problem({ signedAt: '2026-12-01 10:10', value: sig({ signedAt: '2026-12-01 10:10' }) })).toMatch(/signedAt must be an ISO time/);
  });

  it('refuses padded, non-canonical or altered base64 of a genuine signature', () => {
    const raw = Buffer.from(value, 'base64');
    expect(problem({ value: `${value}=` })).toMatch(/does not verify/);
    expect(problem({ value: ` ${value}` })).toMatch(/does not verify/);
    expect(problem({ value: value.replace(/=*$/, '') })).toMatch(/does not verify/);
    expect(problem({ value: Buffer.concat([raw, Buffer.from([0])]).toString('base64') })).toMatch(/does not verify/);
    // A non-canonical S (S + L) verifies under lenient rules in some libraries; strict mode refuses it.
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    const s = BigInt(`0x${Buffer.from(raw.subarray(32)).reverse().toString('hex')}`) + L;
    const sBytes = Buffer.from(s.toString(16).padStart(64, '0'), 'hex').reverse();
    if (s < 2n ** 256n) expect(problem({ value: Buffer.concat([raw.subarray(0, 32), sBytes]).toString('base64') })).toMatch(/does not verify/);
  });

  it('refuses a missing signature where required, a signer without a key and an unknown delegate', () => {
    expect(signatureProblem(signing, facts, undefined, { since, now })).toBe('policy requires signed decisions and this decision carries no signature');
    expect(signatureProblem({ required: false, publicKeys: {} }, facts, undefined, { since, now })).toBeUndefined();
    expect(problem({}, { ...facts, by: 'mallory@msp.test' })).toMatch(/mallory@msp.test has no public key/);
    expect(problem({ delegate: 'approval-page' })).toMatch(/not a delegate named in policy/);
  });

  it('accepts a listed delegate signing on behalf of a person and records so', () => {
    const page = generateKeyPairSync('ed25519');
    const delegates = { 'approval-page': page.publicKey.export({ type: 'spki', format: 'pem' }).toString() };
    const byPage = sig({ delegate: 'approval-page' }, page.privateKey);
    const signature = { signedAt, value: byPage, decisionId: facts.decisionId, delegate: 'approval-page' };
    expect(signatureProblem({ ...signing, delegates }, facts, signature, { since, now })).toBeUndefined();
    // The person's own key cannot pass for the delegate's, nor the delegate's for the person's.
    expect(signatureProblem({ ...signing, delegates }, facts, { ...signature, delegate: undefined }, { since, now })).toMatch(/does not verify/);
    const recorded = recordedSignature(facts, signature);
    expect(recorded).toMatchObject({ delegate: 'approval-page', decisionId: facts.decisionId });
    expect(JSON.parse(recorded!.message)).toMatchObject({ delegate: 'approval-page', by: 'lead@msp.test' });
  });

  it('says what is wrong without naming command-line options', () => {
    const text = signatureProblem({ required: true, publicKeys: {} }, facts, undefined, { since, now });
    expect(text).not.toContain('--');
  });
});
