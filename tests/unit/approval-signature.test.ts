import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeBase64, ed25519KeyFromPem, signatureProblem, verifyApproval } from '../../domain/approval-signature';

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
});

describe('signed approvals', () => {
  const keys = generateKeyPairSync('ed25519');
  const pem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const facts = { workflowId: 'cycle/acme/x', subject: 'pilot', decision: 'approve', by: 'lead@msp.test', signedAt: '2026-12-01T10:00:00.000Z' };
  const message = ['patchctl-approval', 'v1', facts.workflowId, facts.subject, facts.decision, facts.by, facts.signedAt].join('|');
  const value = sign(null, Buffer.from(message), keys.privateKey).toString('base64');

  it('reads the key of a PEM and verifies a genuine signature', () => {
    expect(ed25519KeyFromPem(pem)).toHaveLength(32);
    expect(verifyApproval(pem, facts, { signedAt: facts.signedAt, value })).toBe(true);
  });

  it('refuses a signature that is not base64 or was made for another decision', () => {
    expect(verifyApproval(pem, facts, { signedAt: facts.signedAt, value: `${value}!` })).toBe(false);
    expect(verifyApproval(pem, { ...facts, decision: 'reject' }, { signedAt: facts.signedAt, value })).toBe(false);
  });

  it('says what is wrong without naming command-line options', () => {
    const problem = signatureProblem({ required: true, publicKeys: {} }, facts, undefined);
    expect(problem).toBe('policy requires signed approvals and this decision carries no signature');
    expect(problem).not.toContain('--');
  });
});
