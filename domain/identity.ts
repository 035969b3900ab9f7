import { RINGS, type PatchPolicy } from '../config/policy-schema';

// People are named by e-mail. Whatever a person or a policy file types, comparisons run on one
// spelling, so " Lead@MSP.test" cannot pass for someone other than lead@msp.test (nor escape the
// four-eyes rule as a "different" person).

/** The one spelling of an identity that is compared: trimmed and lower-cased. */
export function personId(person: string): string {
  return person.trim().toLowerCase();
}

export function samePerson(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && personId(a) === personId(b);
}

/** Everyone the policy names in a role or with a key: the only people who may start or ask for anything. */
export function knownPeople(policy: PatchPolicy): Set<string> {
  const named = [
    ...RINGS.flatMap((ring) => [...(ring === 'canary' ? [] : policy.rings[ring].promotion.approvers), ...(policy.rings[ring].gate?.deciders ?? [])]),
    ...policy.exceptions.approvers,
    ...policy.triage.responders,
    ...policy.clients.flatMap((c) => [c.owner, ...(c.operators ?? [])]),
    ...(policy.operators ?? []),
    ...policy.msp.escalation,
    ...Object.keys(policy.signing.publicKeys),
  ];
  return new Set(named.map(personId));
}
