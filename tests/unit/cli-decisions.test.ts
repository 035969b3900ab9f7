import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ed25519 } from '@noble/curves/ed25519';
import { decisionMessage } from '../../domain/approval-signature';
import { signDecision, signWithKeyFile } from '../../client/use-cases/approval-signing';
import { cycleDecisionUpdate, exceptionDecisionUpdate, type CycleSigningView } from '../../client/use-cases/decide';

const dir = mkdtempSync(join(tmpdir(), 'patchctl-decide-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const keyFile = join(dir, 'lead.key.pem');
writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
const rawPublic = Buffer.from(publicKey.export({ type: 'spki', format: 'der' })).subarray(-32);
const sign = (facts: Parameters<typeof signWithKeyFile>[1]) => signWithKeyFile(keyFile, facts);

function verifies(message: string, signature: string): boolean {
  return ed25519.verify(Buffer.from(signature, 'base64'), Buffer.from(message), rawPublic, { zip215: false });
}

const view = (pending?: Partial<NonNullable<CycleSigningView['pending']>>): CycleSigningView => ({
  cycleId: 'cycle/acme-dental/x',
  runId: 'run-1',
  pending: pending ? { kind: 'promotion', ring: 'production', deciders: [], since: '2026-12-01T00:00:00.000Z', decisionId: 'promotion:production:3', ...pending } : undefined,
  control: { decisionId: 'control:2', since: '2026-12-01T00:00:00.000Z' },
});

describe('decision updates (what the CLI and a web page send)', () => {
  it('signs a rejection over the run, the pending decision id, the person and the reason', () => {
    const sent = cycleDecisionUpdate(view({}), { kind: 'reject-promotion', ring: 'production', by: ' Lead@MSP.test', reason: 'not this week' }, sign);
    expect(sent.update).toBe('rejectPromotion');
    expect(sent.input).toMatchObject({ ring: 'production', approver: 'lead@msp.test', reason: 'not this week' });
    const signature = sent.input.signature!;
    expect(signature.decisionId).toBe('promotion:production:3');
    const message = decisionMessage({ workflowId: 'cycle/acme-dental/x', runId: 'run-1', decisionId: 'promotion:production:3', decision: 'reject', by: 'lead@msp.test', reason: 'not this week', signedAt: signature.signedAt });
    expect(verifies(message, signature.value)).toBe(true);
  });

  it('refuses to sign what is not pending, and a signed rejection that does not name its ring', () => {
    expect(() => cycleDecisionUpdate(view(), { kind: 'approve-ring', ring: 'pilot', by: 'lead@msp.test' }, sign)).toThrow(/no promotion to pilot is pending/);
    expect(() => cycleDecisionUpdate(view({}), { kind: 'reject-promotion', by: 'lead@msp.test', reason: 'no' }, sign)).toThrow(/must name the ring/);
    // Unsigned, the ring is optional: the workflow rejects the promotion that is pending.
    expect(cycleDecisionUpdate(view({}), { kind: 'reject-promotion', by: 'lead@msp.test', reason: 'no' }).input.signature).toBeUndefined();
  });

  it('signs gate decisions, controls and exception decisions over what they decide', () => {
    const gate = cycleDecisionUpdate(view({ kind: 'gate', ring: 'canary', decisionId: 'gate:canary:4' }), { kind: 'gate', ring: 'canary', decision: 'retry-failed', by: 'lead@msp.test', reason: 'flaky' }, sign);
    expect(gate.update).toBe('decideGate');
    const facts = { workflowId: 'cycle/acme-dental/x', runId: 'run-1', decisionId: 'gate:canary:4', decision: 'retry-failed', by: 'lead@msp.test', reason: 'flaky' };
    expect(verifies(decisionMessage({ ...facts, signedAt: gate.input.signature!.signedAt }), gate.input.signature!.value)).toBe(true);
    const abort = cycleDecisionUpdate(view(), { kind: 'abort', by: 'lead@msp.test', reason: 'stop' }, sign);
    expect(abort).toMatchObject({ update: 'abortCycle', input: { by: 'lead@msp.test', reason: 'stop', signature: { decisionId: 'control:2' } } });
    const renew = exceptionDecisionUpdate({ workflowId: 'exception/a/e1', runId: 'r', control: { decisionId: 'control:5', since: '' } }, { kind: 'exception-renew', by: 'owner@clinic.test', until: '2027-01-01', reason: 'still needed' }, sign);
    expect(renew.update.name).toBe('renewException');
    const renewFacts = { workflowId: 'exception/a/e1', runId: 'r', decisionId: 'control:5', decision: 'renew', by: 'owner@clinic.test', reason: 'still needed', until: '2027-01-01' };
    expect(verifies(decisionMessage({ ...renewFacts, signedAt: renew.input.signature!.signedAt }), renew.input.signature!.value)).toBe(true);
  });

  it('signs for a delegate on behalf of a person (the approval page)', () => {
    const facts = { workflowId: 'cycle/a/x', runId: 'r', decisionId: 'promotion:pilot:1', decision: 'approve', by: 'lead@msp.test', reason: '' };
    const signature = signDecision(facts, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { delegate: 'approval-page' });
    expect(signature).toMatchObject({ delegate: 'approval-page', decisionId: 'promotion:pilot:1' });
    expect(verifies(decisionMessage({ ...facts, delegate: 'approval-page', signedAt: signature.signedAt }), signature.value)).toBe(true);
  });
});
