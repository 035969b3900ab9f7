import type { ActivityDeps } from '../deps';
import type { TicketRequest } from '../ports';
import { recordPatchTicket } from '../store/report-store';

// The PSA tickets of gate breaches and exceptions, on the client's PSA.

export async function openTicket(deps: ActivityDeps, request: TicketRequest): Promise<{ ticketId: string }> {
  const opened = await deps.adaptersFor(request.clientId).psa.openTicket(request);
  // The scorecard counts patch tickets opened outside the client's business hours.
  await recordPatchTicket(deps.db, { key: request.key, ticketId: opened.ticketId, clientId: request.clientId, summary: request.summary });
  return opened;
}

export async function addTicketNote(deps: ActivityDeps, input: { clientId: string; ticketId: string; text: string }): Promise<void> {
  await deps.adaptersFor(input.clientId).psa.addNote(input.ticketId, input.text);
}

/** Closes a ticket; the resolution becomes its last note. */
export async function closeTicket(deps: ActivityDeps, input: { clientId: string; ticketId: string; resolution: string }): Promise<void> {
  await deps.adaptersFor(input.clientId).psa.closeTicket(input.ticketId, input.resolution);
}
