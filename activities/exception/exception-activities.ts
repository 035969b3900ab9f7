import { exceptionRulesFor, type ExceptionRules } from '../../domain/exception/exception';
import { clientPolicy } from '../cycle/plan-cycle';
import type { ActivityDeps } from '../deps';
import { saveException, type ExceptionRecord } from '../store/exception-store';

/** The rules an exception of this client is judged by, from the policy the worker loaded. */
export async function loadExceptionRules(deps: ActivityDeps, input: { clientId: string }): Promise<ExceptionRules> {
  const client = clientPolicy(deps.policy, input.clientId);
  return exceptionRulesFor(deps.policy, client.owner);
}

export async function recordException(deps: ActivityDeps, row: ExceptionRecord): Promise<void> {
  await saveException(deps.db, row);
}
