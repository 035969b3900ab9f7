import { describe, expect, it } from 'vitest';
import type { RingsPolicy } from '../../config/policy-schema';
import { cycleEndRecipients, deciderProblem, gateDeciders, promotionDeciders, promotionPolicy } from '../../domain/cycle/cycle-deciders';

const rings = (): RingsPolicy => ({
  canary: { size: 3, soak: 1000, failureThreshold: 0.3 },
  pilot: { share: 0.2, soak: 1000, failureThreshold: 0.2, promotion: { requiresApproval: true, approvers: ['lead@msp.test', 'starter@msp.test'] } },
  production: { soak: 1000, failureThreshold: 0.1, promotion: { requiresApproval: true, approvers: ['owner@clinic.test'] } },
});

describe('who decides in a cycle', () => {
  it('has no promotion to the canary, which starts the cycle', () => {
    expect(promotionPolicy(rings(), 'canary')).toBeUndefined();
    expect(promotionDeciders(rings(), 'canary', 'x@msp.test')).toEqual([]);
  });

  it('lets the named promotion approvers decide a promotion, never the requester', () => {
    expect(promotionDeciders(rings(), 'pilot', 'starter@msp.test')).toEqual(['lead@msp.test']);
    expect(promotionDeciders(rings(), 'production', 'starter@msp.test')).toEqual(['owner@clinic.test']);
  });

  it('by default gives the canary and pilot gates to the pilot approvers and the production gate to the production approvers', () => {
    expect(gateDeciders(rings(), 'canary', 'starter@msp.test')).toEqual(['lead@msp.test']);
    expect(gateDeciders(rings(), 'pilot', 'starter@msp.test')).toEqual(['lead@msp.test']);
    expect(gateDeciders(rings(), 'production', 'starter@msp.test')).toEqual(['owner@clinic.test']);
  });

  it('uses rings.<ring>.gate.deciders where the policy names them, still without the requester', () => {
    const policy = rings();
    policy.canary.gate = { deciders: ['gatekeeper@msp.test', 'starter@msp.test'] };
    expect(gateDeciders(policy, 'canary', 'starter@msp.test')).toEqual(['gatekeeper@msp.test']);
    expect(gateDeciders(policy, 'pilot', 'starter@msp.test')).toEqual(['lead@msp.test']);
    expect(cycleEndRecipients(policy)).toEqual(['gatekeeper@msp.test', 'starter@msp.test', 'lead@msp.test', 'owner@clinic.test']);
  });

  it('says why a person may not decide: the four-eyes rule, or not named', () => {
    const pending = { kind: 'gate' as const, ring: 'canary' as const, deciders: ['lead@msp.test'], since: '', decisionId: 'gate:canary:1' };
    expect(deciderProblem('lead@msp.test', pending, 'starter@msp.test')).toBeUndefined();
    expect(deciderProblem(' LEAD@msp.test', pending, 'starter@msp.test')).toBeUndefined();
    expect(deciderProblem('starter@msp.test', pending, 'starter@msp.test')).toContain('four-eyes rule');
    // Four eyes cannot be walked around by spelling the requester another way.
    expect(deciderProblem('Starter@MSP.test ', { ...pending, deciders: ['starter@msp.test'] }, 'starter@msp.test')).toContain('four-eyes rule');
    const named = rings();
    named.canary.gate = { deciders: ['Starter@MSP.test', 'lead@msp.test'] };
    expect(gateDeciders(named, 'canary', 'starter@msp.test')).toEqual(['lead@msp.test']);
    expect(deciderProblem('intern@msp.test', pending, 'starter@msp.test')).toBe('intern@msp.test is not named in policy for the canary gate; named: lead@msp.test');
  });
});
