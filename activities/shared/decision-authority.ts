import { decisionAuthorityFor, type DecisionAuthority } from '../../domain/decision-authority';
import { FailureType, refuse } from '../../domain/failure-catalog';
import type { ActivityDeps } from '../deps';

/**
 * Deciders, operators and public keys from the policy as it stands now (the worker re-reads its file
 * when it can), not as it stood when the workflow started.
 */
export async function currentDeciders(deps: ActivityDeps, input: { clientId: string }): Promise<DecisionAuthority> {
  const policy = deps.currentPolicy ? deps.currentPolicy() : deps.policy;
  // A client the policy does not name is a refusal, not an outage: retrying cannot make it appear.
  if (!policy.clients.some((c) => c.id === input.clientId)) {
    refuse(FailureType.NotFound, `client "${input.clientId}" is not in the policy; known: ${policy.clients.map((c) => c.id).join(', ')}`);
  }
  return decisionAuthorityFor(policy, input.clientId);
}
