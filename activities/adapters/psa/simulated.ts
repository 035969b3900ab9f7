import type { SimulationPolicy } from '../../../config/policy-schema';
import type { PsaPort, TicketRequest } from '../../ports';
import type { Queryable } from '../../store/pool';
import { appendSimTicketNote, openSimTicket } from '../../store/simulated-vendor-store';
import { failure } from '../../../domain/failure-catalog';

// A PSA that keeps its tickets in sim_psa_tickets. Like a real PSA it is reached by ticket id only;
// unlike one, a create is idempotent by our key directly (the real adapters get there by searching
// the external-reference field first).

export interface SimulatedPsaOptions {
  db: Queryable;
  clientId: string;
  simulation: SimulationPolicy;
}

/** Ticket numbers start where a young PSA's would, so demo output does not show "SIM-1". */
const TICKET_NUMBER_OFFSET = 1000;
const TICKET_ID = /^SIM-(\d+)$/;

export class SimulatedPsa implements PsaPort {
  private readonly db: Queryable;
  private readonly clientId: string;

  constructor(options: SimulatedPsaOptions) {
    this.db = options.db;
    this.clientId = options.clientId;
  }

  private rowId(ticketId: string): string {
    const match = TICKET_ID.exec(ticketId);
    const number = match ? Number(match[1]) - TICKET_NUMBER_OFFSET : NaN;
    if (!Number.isSafeInteger(number) || number < 1) {
      throw failure('NotFound', `simulated PSA ticket id must look like SIM-1042, got "${ticketId}"`);
    }
    return String(number);
  }

  async openTicket(request: TicketRequest): Promise<{ ticketId: string }> {
    const id = await openSimTicket(this.db, { key: request.key, clientId: this.clientId, summary: request.summary, details: request.details, priority: request.priority });
    return { ticketId: `SIM-${id + TICKET_NUMBER_OFFSET}` };
  }

  /**
   * Appends a note unless the same text is already on the ticket: a retried activity must not post
   * the same update twice to the client's ticket.
   */
  private async appendNote(ticketId: string, text: string, status?: string): Promise<void> {
    const id = this.rowId(ticketId);
    if (!(await appendSimTicketNote(this.db, { id, clientId: this.clientId, text, status }))) {
      throw failure('NotFound', `simulated PSA has no ticket ${ticketId} for client "${this.clientId}"`);
    }
  }

  addNote(ticketId: string, text: string): Promise<void> {
    return this.appendNote(ticketId, text);
  }

  closeTicket(ticketId: string, resolution: string): Promise<void> {
    return this.appendNote(ticketId, `Resolution: ${resolution}`, 'closed');
  }
}
