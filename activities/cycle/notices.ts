import type { ActivityDeps } from '../deps';
import type { MailMessage, TicketRequest } from '../ports';
import { setCycleStatus } from '../store/cycle-store';
import { recordPatchTicket } from '../store/report-store';

export async function sendNotice(deps: ActivityDeps, message: MailMessage): Promise<void> {
  if (message.to.length === 0) return;
  await deps.mailer.send(message);
}

export async function openTicket(deps: ActivityDeps, request: TicketRequest): Promise<{ ticketId: string }> {
  const opened = await deps.adaptersFor(request.clientId).psa.openTicket(request);
  // The scorecard counts patch tickets opened outside the client's business hours.
  await recordPatchTicket(deps.db, { key: request.key, ticketId: opened.ticketId, clientId: request.clientId, summary: request.summary });
  return opened;
}

export async function addTicketNote(deps: ActivityDeps, input: { clientId: string; ticketId: string; text: string }): Promise<void> {
  await deps.adaptersFor(input.clientId).psa.addNote(input.ticketId, input.text);
}

export async function closeTicket(deps: ActivityDeps, input: { clientId: string; ticketId: string; resolution: string }): Promise<void> {
  await deps.adaptersFor(input.clientId).psa.closeTicket(input.ticketId, input.resolution);
}

export async function recordCycleStatus(
  deps: ActivityDeps,
  input: { cycleId: string; status: string; reason?: string; ended: boolean },
): Promise<void> {
  await setCycleStatus(deps.db, input.cycleId, input.status, input.reason ?? null, input.ended);
}
