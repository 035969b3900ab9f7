import { createHash } from 'node:crypto';
import { z } from 'zod';
import { failure } from '../../../domain/failure-catalog';
import type { PsaPort, TicketRequest } from '../../ports';
import type { Queryable } from '../../store/pool';
import { claimTicketKey, findTicketEntry, recordTicketId } from '../../store/ticket-ledger-store';
import { assertVendorUrl, createHttpJson, type HttpJson, type TokenSource, httpTuning } from '../http-json';
import { createOAuthTokenSource } from '../oauth-token';

// HaloPSA. Its token comes from an authorisation server that the instance names at /api/authinfo
// (hosted tenants also name their tenant at the token endpoint). A ticket create is not idempotent
// and tickets have no external-reference field, so patchctl keeps its own ledger (PostgreSQL): the key
// is claimed before the create and completed with the ticket id after it. A retry after a lost
// response finds an incomplete claim and first searches Halo for the marker the first attempt put in
// the ticket's details, so one key never makes two tickets.

const VENDOR = 'HaloPSA';

export interface HaloPsaOptions {
  /** Resource server, e.g. https://msp.halopsa.com */
  baseUrl: string;
  tenant?: string;
  /** Authorisation server; found through /api/authinfo when absent (adapters.halopsa.authUrl). */
  authUrl?: string;
  clientId: string;
  clientSecret: string;
  /** patchctl client and its Halo client record. */
  patchctlClientId: string;
  haloClientId: number;
  siteId?: number;
  ticketTypeId?: number;
  priorityIds?: Record<TicketRequest['priority'], number>;
  closedStatusId?: number;
  db: Queryable;
  timeoutMs?: number;
  rateLimitRetries?: number;
  maxRetryAfterMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const DEFAULT_PRIORITIES: Record<TicketRequest['priority'], number> = { critical: 1, high: 2, medium: 3, low: 4 };

// Field names of the authorisation server in authinfo answers vary across Halo versions (unconfirmed).
const authInfoSchema = z
  .object({ auth_url: z.string().optional(), authorisation_server: z.string().optional(), auth_server: z.string().optional() })
  .transform((body) => body.auth_url ?? body.authorisation_server ?? body.auth_server)
  .refine((url): url is string => typeof url === 'string' && url.length > 0, 'must name the authorisation server (auth_url)');

const ticketSchema = z.object({ id: z.number().int(), summary: z.string().nullish(), details: z.string().nullish() });
// Halo answers a create with the ticket, or with an array of them when several were sent.
const createdSchema = z.union([ticketSchema, z.array(ticketSchema).min(1).transform((tickets) => tickets[0]!)]);
const ticketListSchema = z.object({ tickets: z.array(ticketSchema) });
const actionsSchema = z.object({ actions: z.array(z.object({ id: z.number().int(), note: z.string().nullish() })) });

/** Put in the ticket's details: findable by Halo's search, and says which patchctl key made it. */
export function ticketMarker(key: string): string {
  return `patchctl-ref:${createHash('sha256').update(key).digest('hex').slice(0, 24)}`;
}

function ticketNumber(ticketId: string): number {
  if (!/^\d+$/.test(ticketId)) throw failure('InvalidInput', `${VENDOR} ticket id must be a number, got "${ticketId}"`);
  return Number(ticketId);
}

/** Lazily discovers the authorisation server, then issues client-credentials tokens from it. */
function haloTokens(options: HaloPsaOptions, base: string): TokenSource {
  let source: TokenSource | undefined;
  const discovery = createHttpJson({ vendor: VENDOR, baseUrl: base, timeoutMs: options.timeoutMs, sleep: options.sleep });
  const resolve = async (): Promise<TokenSource> => {
    if (source) return source;
    const authUrl = (options.authUrl ?? (await discovery('GET', '/api/authinfo', { schema: authInfoSchema }))).replace(/\/+$/, '');
    // The authinfo answer is vendor input: an http:// authorisation server would get our secret in clear text.
    try {
      assertVendorUrl(`${VENDOR} authorisation server`, authUrl);
    } catch (error) {
      throw failure('VendorRejected', `${(error as Error).message} (named by /api/authinfo; set adapters.halopsa.authUrl to override)`);
    }
    const tokenUrl = new URL(`${authUrl}/token`);
    if (options.tenant) tokenUrl.searchParams.set('tenant', options.tenant);
    source = createOAuthTokenSource({
      vendor: VENDOR,
      tokenUrl: tokenUrl.toString(),
      form: { grant_type: 'client_credentials', client_id: options.clientId, client_secret: options.clientSecret, scope: 'all' },
      timeoutMs: options.timeoutMs,
      sleep: options.sleep,
    });
    return source;
  };
  return {
    async headers() {
      return (await resolve()).headers();
    },
    invalidate() {
      source?.invalidate();
    },
  };
}

export class HaloPsa implements PsaPort {
  private readonly http: HttpJson;
  private readonly options: HaloPsaOptions;

  constructor(options: HaloPsaOptions) {
    this.options = options;
    const base = options.baseUrl.replace(/\/+$/, '');
    this.http = createHttpJson({
      vendor: VENDOR,
      baseUrl: base,
      auth: haloTokens(options, base),
      ...httpTuning(options),
    });
  }

  /** An earlier attempt's ticket, found by the marker in its details. */
  private async findByMarker(marker: string): Promise<number | undefined> {
    const found = await this.http('GET', '/api/tickets', {
      query: { search: marker, client_id: this.options.haloClientId, pageinate: true, page_size: 50, page_no: 1 },
      schema: ticketListSchema,
    });
    // Search matches loosely; only a ticket that really carries the marker counts.
    return found.tickets.filter((t) => (t.details ?? '').includes(marker)).sort((a, b) => a.id - b.id)[0]?.id;
  }

  async openTicket(request: TicketRequest): Promise<{ ticketId: string }> {
    if (request.clientId !== this.options.patchctlClientId) {
      throw failure('VendorRejected', `${VENDOR}: adapter for client "${this.options.patchctlClientId}" was asked to open a ticket for "${request.clientId}"`);
    }
    const marker = ticketMarker(request.key);
    const known = await findTicketEntry(this.options.db, request.key);
    if (known?.ticketId) return { ticketId: known.ticketId };
    const claim = await claimTicketKey(this.options.db, { key: request.key, vendor: VENDOR, clientId: request.clientId, marker });
    if (claim.ticketId) return { ticketId: claim.ticketId };
    if (claim.attempts > 1) {
      const existing = await this.findByMarker(marker);
      if (existing !== undefined) {
        await recordTicketId(this.options.db, request.key, String(existing));
        return { ticketId: String(existing) };
      }
    }
    const priorities = this.options.priorityIds ?? DEFAULT_PRIORITIES;
    const created = await this.http('POST', '/api/Tickets', {
      json: [
        {
          summary: request.summary,
          details: `${request.details}\n\n${marker}`,
          client_id: this.options.haloClientId,
          ...(this.options.siteId ? { site_id: this.options.siteId } : {}),
          ...(this.options.ticketTypeId ? { tickettype_id: this.options.ticketTypeId } : {}),
          priority_id: priorities[request.priority],
        },
      ],
      schema: createdSchema,
    });
    await recordTicketId(this.options.db, request.key, String(created.id));
    return { ticketId: String(created.id) };
  }

  /** A note whose exact text is already on the ticket is not posted again (a retried activity). */
  private async postNote(ticketId: string, text: string): Promise<number> {
    const id = ticketNumber(ticketId);
    const actions = await this.http('GET', '/api/Actions', { query: { ticket_id: id, excludesys: true }, schema: actionsSchema });
    if (!actions.actions.some((a) => (a.note ?? '').trim() === text.trim())) {
      await this.http('POST', '/api/Actions', {
        json: [{ ticket_id: id, outcome: 'Note', note: text, hiddenfromuser: true }],
        schema: z.unknown(),
      });
    }
    return id;
  }

  async addNote(ticketId: string, text: string): Promise<void> {
    await this.postNote(ticketId, text);
  }

  async closeTicket(ticketId: string, resolution: string): Promise<void> {
    const id = await this.postNote(ticketId, resolution);
    await this.http('POST', '/api/Tickets', { json: [{ id, status_id: this.options.closedStatusId ?? 9 }], schema: createdSchema });
  }
}
