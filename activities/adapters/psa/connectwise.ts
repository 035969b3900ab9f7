import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { PsaPort, TicketRequest } from '../../ports';
import { createHttpJson, type HttpJson, httpTuning } from '../http-json';
import { failure } from '../../../domain/failure-catalog';
import type { Queryable } from '../../store/pool';
import { findTicketEntry, leaseTicketCreate, recordTicketId } from '../../store/ticket-ledger-store';

// ConnectWise PSA (Manage) REST 3.0. A ticket create is not idempotent there: a retry after a lost
// response makes a second ticket. So every ticket carries our key in externalXRef, and openTicket
// looks the key up before it creates anything. A lookup alone is not enough when an attempt outlives
// its timeout (its create still on the way while the retry looks): with a database, the create is
// guarded by a lease in the ticket ledger, held longer than one HTTP call may take, and a retry
// waits for it to end before it looks the key up.

const VENDOR = 'ConnectWise PSA';

/** externalXRef holds at most 100 characters; longer keys are replaced by a stable digest. */
const XREF_MAX = 100;
const SUMMARY_MAX = 100;

export interface ConnectWiseOptions {
  /** Up to and including the API version, e.g. https://na.myconnectwise.net/v4_6_release/apis/3.0 */
  baseUrl: string;
  /** Company id used at login (the `company` in company+public:private). */
  company: string;
  publicKey: string;
  privateKey: string;
  /** The integration's clientId header value from the ConnectWise developer portal. */
  integrationClientId: string;
  /** patchctl client this adapter serves. */
  clientId: string;
  /** ConnectWise company record (numeric id) that the client's tickets are filed under. */
  companyRecordId: number;
  /** Service board name; the PSA's default board when absent. */
  board?: string;
  /** Status a closed ticket is set to; `>Closed` is ConnectWise's default closed status name. */
  closedStatus?: string;
  /** Priority names in the PSA for our four levels. */
  priorities?: Partial<Record<TicketRequest['priority'], string>>;
  /** The ticket ledger (PostgreSQL); without it a retry only looks the key up before creating. */
  db?: Queryable;
  timeoutMs?: number;
  rateLimitRetries?: number;
  maxRetryAfterMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const DEFAULT_PRIORITIES: Record<TicketRequest['priority'], string> = {
  low: 'Priority 4 - Low',
  medium: 'Priority 3 - Normal Response',
  high: 'Priority 2 - Quick Response',
  critical: 'Priority 1 - Emergency Response',
};

const ticketRefSchema = z.object({ id: z.number().int() });
const noteSchema = z.object({ id: z.number().int(), text: z.string().nullish() });

export function externalXRefFor(key: string): string {
  if (key.length <= XREF_MAX) return key;
  return `patchctl:${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}

/** conditions= string literal: double quotes, with embedded quotes and backslashes escaped. */
function conditionString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function ticketNumber(ticketId: string): number {
  const id = Number(ticketId);
  if (!/^\d+$/.test(ticketId) || !Number.isSafeInteger(id)) {
    throw failure('InvalidInput', `${VENDOR} ticket id must be a number, got "${ticketId}"`);
  }
  return id;
}

export class ConnectWisePsa implements PsaPort {
  private readonly http: HttpJson;
  private readonly options: ConnectWiseOptions;

  constructor(options: ConnectWiseOptions) {
    this.options = options;
    const credentials = Buffer.from(`${options.company}+${options.publicKey}:${options.privateKey}`).toString('base64');
    this.http = createHttpJson({
      vendor: VENDOR,
      baseUrl: options.baseUrl,
      headers: { Authorization: `Basic ${credentials}`, clientId: options.integrationClientId },
      ...httpTuning(options),
    });
  }

  private async findByXRef(xref: string): Promise<number | undefined> {
    const found = await this.http('GET', '/service/tickets', {
      query: { conditions: `externalXRef=${conditionString(xref)}`, fields: 'id', orderBy: 'id asc', pageSize: 1 },
      schema: z.array(ticketRefSchema),
    });
    return found[0]?.id;
  }

  async openTicket(request: TicketRequest): Promise<{ ticketId: string }> {
    const db = this.options.db;
    if (!db) return this.lookUpOrCreate(request);
    const known = await findTicketEntry(db, request.key);
    if (known?.ticketId) return { ticketId: known.ticketId };
    // Longer than the lookup and the create together may take, 429 waits included.
    const leaseMs = 3 * (this.options.timeoutMs ?? 30_000) + (this.options.maxRetryAfterMs ?? 30_000) * (this.options.rateLimitRetries ?? 3);
    const lease = await leaseTicketCreate(db, { key: request.key, vendor: VENDOR, clientId: request.clientId, marker: externalXRefFor(request.key), token: randomUUID(), leaseMs });
    if (lease.ticketId) return { ticketId: lease.ticketId };
    if (!lease.held) {
      const waitMs = Math.max(1_000, (lease.leaseUntil?.getTime() ?? Date.now()) - Date.now());
      throw failure('VendorUnavailable', `${VENDOR}: another attempt is still creating the ticket for this key; retrying after its lease ends`, { nextRetryDelayMs: waitMs });
    }
    const opened = await this.lookUpOrCreate(request);
    await recordTicketId(db, request.key, opened.ticketId);
    return opened;
  }

  private async lookUpOrCreate(request: TicketRequest): Promise<{ ticketId: string }> {
    const xref = externalXRefFor(request.key);
    const existing = await this.findByXRef(xref);
    if (existing !== undefined) return { ticketId: String(existing) };
    const summary = request.summary.length > SUMMARY_MAX ? `${request.summary.slice(0, SUMMARY_MAX - 3)}...` : request.summary;
    const priority = this.options.priorities?.[request.priority] ?? DEFAULT_PRIORITIES[request.priority];
    const created = await this.http('POST', '/service/tickets', {
      json: {
        summary,
        initialDescription: request.details,
        company: { id: this.options.companyRecordId },
        ...(this.options.board ? { board: { name: this.options.board } } : {}),
        priority: { name: priority },
        externalXRef: xref,
      },
      schema: ticketRefSchema,
    });
    return { ticketId: String(created.id) };
  }

  /** Skips a note whose exact text is already there: a retried activity must not post it twice. */
  private async postNote(ticketId: string, text: string, resolution: boolean): Promise<void> {
    const id = ticketNumber(ticketId);
    const notes = await this.http('GET', `/service/tickets/${id}/notes`, {
      query: { fields: 'id,text', pageSize: 1000 },
      schema: z.array(noteSchema),
    });
    if (notes.some((note) => note.text === text)) return;
    await this.http('POST', `/service/tickets/${id}/notes`, {
      json: { text, detailDescriptionFlag: false, internalAnalysisFlag: true, resolutionFlag: resolution },
      schema: z.object({ id: z.number().int() }),
    });
  }

  addNote(ticketId: string, text: string): Promise<void> {
    return this.postNote(ticketId, text, false);
  }

  async closeTicket(ticketId: string, resolution: string): Promise<void> {
    await this.postNote(ticketId, resolution, true);
    await this.http('PATCH', `/service/tickets/${ticketNumber(ticketId)}`, {
      json: [{ op: 'replace', path: 'status', value: { name: this.options.closedStatus ?? '>Closed' } }],
      schema: ticketRefSchema,
    });
  }
}
