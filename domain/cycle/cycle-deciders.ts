import { RINGS, type PromotionPolicy, type RingName, type RingsPolicy } from '../../config/policy-schema';
import type { PendingDecision } from './cycle-status';

// Who decides what in a cycle. One pure function per decision kind, so the workflow, the CLI's
// "who may decide" line and the approval page all name the same people. The person who started the
// cycle never decides on it (four eyes).

/** The promotion policy of a ring; undefined for the canary, which starts the cycle and is not promoted to. */
export function promotionPolicy(rings: RingsPolicy, ring: RingName): PromotionPolicy | undefined {
  return ring === 'canary' ? undefined : rings[ring].promotion;
}

/** Who may approve or reject promotion to `ring`: its promotion approvers, minus the requester. */
export function promotionDeciders(rings: RingsPolicy, ring: RingName, requestedBy: string): string[] {
  return (promotionPolicy(rings, ring)?.approvers ?? []).filter((person) => person !== requestedBy);
}

/**
 * Who may decide a breached gate of `ring`: `rings.<ring>.gate.deciders` when policy names them;
 * otherwise the approvers of the next promotion that ring leads to (the canary and pilot gates go to
 * the pilot approvers, the production gate to the production approvers). Never the requester.
 */
export function gateDeciders(rings: RingsPolicy, ring: RingName, requestedBy: string): string[] {
  const named = rings[ring].gate?.deciders ?? defaultGateDeciders(rings, ring);
  return named.filter((person) => person !== requestedBy);
}

function defaultGateDeciders(rings: RingsPolicy, ring: RingName): string[] {
  return ring === 'production' ? rings.production.promotion.approvers : rings.pilot.promotion.approvers;
}

/** Who is told that a cycle ended: everyone who could have decided on it. */
export function cycleEndRecipients(rings: RingsPolicy): string[] {
  return [...new Set(RINGS.flatMap((ring) => [...promotionDeciders(rings, ring, ''), ...gateDeciders(rings, ring, '')]))];
}

/** Why `person` may not give the pending decision, or undefined when they may. */
export function deciderProblem(person: string, pending: PendingDecision, requestedBy: string): string | undefined {
  const named = pending.deciders.join(', ');
  if (person === requestedBy) {
    return `${person} started this cycle and cannot also decide on it (four-eyes rule); ask one of: ${named || 'nobody is named'}`;
  }
  if (!pending.deciders.includes(person)) {
    const what = pending.kind === 'promotion' ? `promotion to ${pending.ring}` : `the ${pending.ring} gate`;
    return `${person} is not named in policy for ${what}; named: ${named || 'nobody'}`;
  }
  return undefined;
}
