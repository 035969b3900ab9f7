import type { PatchPolicy, RingsPolicy } from '../config/policy-schema';
import type { SigningPolicy } from './approval-signature';
import { knownPeople, personId } from './identity';

// Who may decide and with which key, as the policy says *now*. Workflows read it through an activity
// (recorded in history) whenever a decision becomes pending and again before accepting one, so a
// removed approver or a revoked key stops working on open cycles and exceptions too.

export interface DecisionAuthority {
  clientId: string;
  /** Ring approvers and gate deciders. */
  rings: RingsPolicy;
  /** The client owner, who signs off exceptions. */
  owner: string;
  exceptionApprovers: string[];
  /** Named operators (policy `operators` plus the client's); undefined: the defaults apply. */
  operators?: string[];
  /** Everyone the policy names, normalised: a requester must be one of them. */
  known: string[];
  signing: SigningPolicy;
}

export function decisionAuthorityFor(policy: PatchPolicy, clientId: string): DecisionAuthority {
  const client = policy.clients.find((c) => c.id === clientId);
  if (!client) throw new Error(`client "${clientId}" is not in the policy`);
  const named = [...(policy.operators ?? []), ...(client.operators ?? [])];
  return {
    clientId,
    rings: policy.rings,
    owner: client.owner,
    exceptionApprovers: policy.exceptions.approvers,
    operators: policy.operators || client.operators ? named.map(personId) : undefined,
    known: [...knownPeople(policy)],
    signing: { required: policy.signing.requireSignedApprovals, publicKeys: policy.signing.publicKeys, delegates: policy.signing.delegates },
  };
}

/** Why `person` may not start a cycle or request an exception, or undefined when the policy knows them. */
export function requesterProblem(authority: Pick<DecisionAuthority, 'known'>, person: string): string | undefined {
  const id = personId(person);
  if (!id) return 'the requester is empty: name the person who asks (an e-mail address the policy knows)';
  return authority.known.includes(id) ? undefined : `${id} is not a person the policy knows (no role and no key in signing.publicKeys); only named people may start cycles or request exceptions`;
}
