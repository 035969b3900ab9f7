import { failure } from '../../domain/failure-catalog';
import { triageRulesFor, type TriageRules, type TriageStatus } from '../../domain/triage/triage';
import type { ActivityDeps } from '../deps';
import type { IdentityPort, IdentityUser, TicketRequest } from '../ports';
import { saveTriage, triageRecordOf } from '../store/triage-store';

// The I/O of credential-alert triage. Every one is safe to repeat: the ticket by its key, the
// identity writes because setting "change at next sign-in" or revoking twice changes nothing more,
// the record by its primary key.

export async function loadTriageRules(deps: ActivityDeps, input: { clientId: string }): Promise<TriageRules> {
  const rules = triageRulesFor(deps.policy, input.clientId);
  if (!rules) throw failure('NotFound', `client "${input.clientId}" is not in the policy the worker runs; known: ${deps.policy.clients.map((c) => c.id).join(', ')}`);
  return rules;
}

/**
 * A triage ticket, on the client's PSA, not counted among patch tickets (triage is its own tier):
 * the PSA adapters find an earlier create of the same key, so a retry opens nothing twice.
 */
export async function openTriageTicket(deps: ActivityDeps, request: TicketRequest): Promise<{ ticketId: string }> {
  return deps.adaptersFor(request.clientId).psa.openTicket(request);
}

function identityOf(deps: ActivityDeps, clientId: string): IdentityPort {
  const identity = deps.adaptersFor(clientId).identity;
  if (!identity) throw failure('VendorRejected', `client "${clientId}" has no identity adapter (adapters.identity: none)`);
  return identity;
}

export async function lookupTriageUser(deps: ActivityDeps, input: { clientId: string; user: string }): Promise<IdentityUser> {
  const found = await identityOf(deps, input.clientId).lookupUser(input.clientId, input.user);
  if (!found) throw failure('NotFound', `no account ${input.user} in the directory of client "${input.clientId}"`);
  return found;
}

export async function forceTriagePasswordChange(deps: ActivityDeps, input: { clientId: string; userId: string }): Promise<void> {
  await identityOf(deps, input.clientId).forcePasswordChange(input.clientId, input.userId);
}

export async function revokeTriageSessions(deps: ActivityDeps, input: { clientId: string; userId: string }): Promise<void> {
  await identityOf(deps, input.clientId).revokeSignInSessions(input.clientId, input.userId);
}

export async function recordTriage(deps: ActivityDeps, status: TriageStatus): Promise<void> {
  await saveTriage(deps.db, triageRecordOf(status));
}
