import { RINGS, type PromotionPolicy, type RingName, type RingsPolicy } from '../../config/policy-schema';
import { canonicalJson, type UnsignedFacts } from '../approval-signature';
import type { DecisionAuthority } from '../decision-authority';
import { personId } from '../identity';
import type { PendingDecision } from './cycle-status';

// Who decides what in a cycle. One pure function per decision kind, so the workflow, the CLI's
// "who may decide" line and the approval page all name the same people. The person who started the
// cycle never decides on it (four eyes). Every name is compared in its normalised spelling.

/** The promotion policy of a ring; undefined for the canary, which starts the cycle and is not promoted to. */
export function promotionPolicy(rings: RingsPolicy, ring: RingName): PromotionPolicy | undefined {
  return ring === 'canary' ? undefined : rings[ring].promotion;
}

function without(people: readonly string[], requestedBy: string): string[] {
  const requester = personId(requestedBy);
  return [...new Set(people.map(personId))].filter((person) => person !== requester);
}

/** Who may approve or reject promotion to `ring`: its promotion approvers, minus the requester. */
export function promotionDeciders(rings: RingsPolicy, ring: RingName, requestedBy: string): string[] {
  return without(promotionPolicy(rings, ring)?.approvers ?? [], requestedBy);
}

/**
 * Who may decide a breached gate of `ring`: `rings.<ring>.gate.deciders` when policy names them;
 * otherwise the approvers of the next promotion that ring leads to (the canary and pilot gates go to
 * the pilot approvers, the production gate to the production approvers). Never the requester.
 */
export function gateDeciders(rings: RingsPolicy, ring: RingName, requestedBy: string): string[] {
  return without(rings[ring].gate?.deciders ?? defaultGateDeciders(rings, ring), requestedBy);
}

function defaultGateDeciders(rings: RingsPolicy, ring: RingName): string[] {
  return ring === 'production' ? rings.production.promotion.approvers : rings.pilot.promotion.approvers;
}

/** The deciders of a pending decision as the policy names them now. */
export function decidersOf(rings: RingsPolicy, kind: PendingDecision['kind'], ring: RingName, requestedBy: string): string[] {
  return kind === 'promotion' ? promotionDeciders(rings, ring, requestedBy) : gateDeciders(rings, ring, requestedBy);
}

/** Who is told that a cycle ended: everyone who could have decided on it. */
export function cycleEndRecipients(rings: RingsPolicy): string[] {
  return [...new Set(RINGS.flatMap((ring) => [...promotionDeciders(rings, ring, ''), ...gateDeciders(rings, ring, '')]))];
}

/**
 * Who may abort the cycle, report an incident, pause or resume it: the policy's `operators` when
 * it names them, else every ring decider; and always the requester, who may stop their own cycle.
 */
export function cycleOperators(authority: Pick<DecisionAuthority, 'operators' | 'rings'>, requestedBy: string): string[] {
  return [...new Set([...(authority.operators ?? cycleEndRecipients(authority.rings)), personId(requestedBy)])];
}

/** Why `person` may not give the pending decision, or undefined when they may. */
export function deciderProblem(person: string, pending: PendingDecision, requestedBy: string): string | undefined {
  const id = personId(person);
  const named = pending.deciders.join(', ');
  if (id === personId(requestedBy)) {
    return `${id} started this cycle and cannot also decide on it (four-eyes rule); ask one of: ${named || 'nobody is named'}`;
  }
  if (!pending.deciders.map(personId).includes(id)) {
    const what = pending.kind === 'promotion' ? `promotion to ${pending.ring}` : `the ${pending.ring} gate`;
    return `${id} is not named in policy for ${what}; named: ${named || 'nobody'}`;
  }
  return undefined;
}

/** Why `person` may not abort, report an incident, pause or resume, or undefined. */
export function operatorProblem(person: string, operators: readonly string[], action: string): string | undefined {
  const id = personId(person);
  return operators.includes(id) ? undefined : `${id || '(nobody)'} may not ${action} this cycle; policy names: ${operators.join(', ') || 'nobody'} (operators)`;
}

/**
 * What the requester signs to start a cycle. No run exists yet, so `runId` is empty and the start is
 * bound to the workflow id; REJECT_DUPLICATE keeps that id from being started twice.
 */
export function cycleStartFacts(workflowId: string, input: { clientId: string; cycleName: string; requestedBy: string; severity?: string; patchIds?: string[] }): UnsignedFacts {
  const request = canonicalJson({ clientId: input.clientId, cycleName: input.cycleName, severity: input.severity, patchIds: input.patchIds });
  return { workflowId, runId: '', decisionId: 'start', decision: 'start-cycle', by: input.requestedBy, reason: request };
}
