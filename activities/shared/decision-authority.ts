import { decisionAuthorityFor, type DecisionAuthority } from '../../domain/decision-authority';
import type { ActivityDeps } from '../deps';

/**
 * Deciders, operators and public keys from the policy as it stands now (the worker re-reads its file
 * when it can), not as it stood when the workflow started.
 */
export async function currentDeciders(deps: ActivityDeps, input: { clientId: string }): Promise<DecisionAuthority> {
  const policy = deps.currentPolicy ? deps.currentPolicy() : deps.policy;
  return decisionAuthorityFor(policy, input.clientId);
}
