import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ed25519 } from '@noble/curves/ed25519';
import { approvalMessage } from '../../domain/approval-signature';
import { cycleDecisionUpdate, exceptionDecisionUpdate } from '../../client/use-cases/decide';

const dir = mkdtempSync(join(tmpdir(), 'patchctl-decide-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const keyFile = join(dir, 'lead.key.pem');
writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
const rawPublic = Buffer.from(publicKey.export({ type: 'spki', format: 'der' })).subarray(-32);

function verifies(message: string, signature: string): boolean {
  return ed25519.verify(Buffer.from(signature, 'base64'), Buffer.from(message), rawPublic);
}

describe('decision updates (what the CLI and a web page send)', () => {
  it('sends the ring a rejection is for and signs that ring, without asking the workflow first', () => {
    const sent = cycleDecisionUpdate('cycle/acme-dental/x', { kind: 'reject-promotion', ring: 'production', by: 'lead@msp.test', reason: 'not this week' }, keyFile);
    expect(sent.update).toBe('rejectPromotion');
    expect(sent.input).toMatchObject({ ring: 'production', approver: 'lead@msp.test', reason: 'not this week' });
    const signature = sent.input.signature!;
    const message = approvalMessage({ workflowId: 'cycle/acme-dental/x', subject: 'production', decision: 'reject', by: 'lead@msp.test', signedAt: signature.signedAt });
    expect(verifies(message, signature.value)).toBe(true);
  });

  it('refuses to sign a rejection that does not name its ring', () => {
    expect(() => cycleDecisionUpdate('cycle/acme-dental/x', { kind: 'reject-promotion', by: 'lead@msp.test', reason: 'no' }, keyFile)).toThrow(/must name the ring/);
    // Unsigned, the ring is optional: the workflow rejects the promotion that is pending.
    expect(cycleDecisionUpdate('cycle/acme-dental/x', { kind: 'reject-promotion', by: 'lead@msp.test', reason: 'no' }).input.signature).toBeUndefined();
  });

  it('signs approvals, gate decisions and exception decisions over what they decide', () => {
    const gate = cycleDecisionUpdate('cycle/a/x', { kind: 'gate', ring: 'canary', decision: 'retry-failed', by: 'lead@msp.test', reason: 'flaky' }, keyFile);
    expect(gate.update).toBe('decideGate');
    expect(verifies(approvalMessage({ workflowId: 'cycle/a/x', subject: 'canary', decision: 'retry-failed', by: 'lead@msp.test', signedAt: gate.input.signature!.signedAt }), gate.input.signature!.value)).toBe(true);
    const approve = cycleDecisionUpdate('cycle/a/x', { kind: 'approve-ring', ring: 'pilot', by: 'lead@msp.test' });
    expect(approve).toMatchObject({ update: 'approveRing', input: { ring: 'pilot', approver: 'lead@msp.test' } });
    const signoff = exceptionDecisionUpdate('exception/a/e1', 'e1', { kind: 'exception-signoff', by: 'owner@clinic.test' }, keyFile);
    expect(signoff.update.name).toBe('signOffException');
    expect(verifies(approvalMessage({ workflowId: 'exception/a/e1', subject: 'e1', decision: 'signoff', by: 'owner@clinic.test', signedAt: signoff.input.signature!.signedAt }), signoff.input.signature!.value)).toBe(true);
  });
});
