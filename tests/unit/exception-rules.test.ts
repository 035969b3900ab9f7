import { describe, expect, it } from 'vitest';
import { exceptionEnd, exceptionRulesFor, isExceptionEnded } from '../../domain/exception/exception';
import { loadTestPolicy } from '../support/cycle-harness';

describe('exception rules, written once', () => {
  it('builds the rules of a client from the policy, as the CLI and the workflow both judge by', () => {
    const policy = loadTestPolicy('tests/fixtures/policy-exceptions.yaml');
    const rules = exceptionRulesFor(policy, 'owner@clinic.test');
    expect(rules).toMatchObject({ owner: 'owner@clinic.test', approvers: policy.exceptions.approvers, maxDurationMs: policy.exceptions.maxDuration, decisionTimeoutMs: policy.exceptions.decisionTimeout });
    expect(rules.signing).toEqual({ required: policy.signing.requireSignedApprovals, publicKeys: policy.signing.publicKeys });
  });

  it('knows which states end an exception and which date ends each kind', () => {
    expect(['expired', 'revoked', 'rejected'].every((s) => isExceptionEnded(s as never))).toBe(true);
    expect(['requested', 'active', 'renewal-pending', 'review-due'].some((s) => isExceptionEnded(s as never))).toBe(false);
    expect(exceptionEnd({ kind: 'deferral', expiresAt: '2026-12-31', reviewAt: '2027-01-31' })).toBe('2026-12-31');
    expect(exceptionEnd({ kind: 'isolated-lane', expiresAt: null, reviewAt: '2027-01-31' })).toBe('2027-01-31');
    expect(exceptionEnd({ kind: 'deferral', expiresAt: null })).toBeUndefined();
  });
});
