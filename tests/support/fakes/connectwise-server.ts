import { type FakeRequest, type FakeResponse, type FakeServer, startFakeServer } from './fake-http';

// ConnectWise PSA REST 3.0 as it behaves for tickets: Basic company+public:private plus a clientId
// header, conditions= queries, a create that is NOT idempotent (posting twice makes two tickets),
// notes, and JSON Patch updates.

export const CONNECTWISE_API_PATH = '/v4_6_release/apis/3.0';

export interface FakeTicket {
  id: number;
  summary: string;
  initialDescription?: string;
  company: { id: number };
  board?: { name?: string; id?: number };
  priority?: { name?: string; id?: number };
  status: { name: string };
  externalXRef?: string;
  notes: { id: number; text: string; internalAnalysisFlag?: boolean; resolutionFlag?: boolean }[];
}

export interface FakeConnectWise extends FakeServer {
  /** Base URL up to and including /apis/3.0. */
  apiUrl: string;
  tickets: FakeTicket[];
  /** The next create stores the ticket and then answers 503, as if the response were lost. */
  loseNextCreateResponse(): void;
  /** The next create takes this long: the ticket exists (and is found by a lookup) only once it answers. */
  slowNextCreate(ms: number): void;
}

export interface ConnectWiseCredentials {
  company: string;
  publicKey: string;
  privateKey: string;
  clientId: string;
}

/** Just the condition forms the adapter needs: `field="value"` with \" and \\ escapes. */
function parseConditions(conditions: string): { field: string; value: string } | undefined {
  const match = /^(\w+)\s*=\s*"((?:[^"\\]|\\.)*)"$/.exec(conditions.trim());
  if (!match) return undefined;
  return { field: match[1]!, value: match[2]!.replace(/\\(.)/g, '$1') };
}

export async function startFakeConnectWise(credentials: ConnectWiseCredentials): Promise<FakeConnectWise> {
  const tickets: FakeTicket[] = [];
  let nextTicketId = 5001;
  let nextNoteId = 90001;
  let loseCreate = false;
  let slowCreateMs = 0;
  const expectedAuth = `Basic ${Buffer.from(`${credentials.company}+${credentials.publicKey}:${credentials.privateKey}`).toString('base64')}`;

  const handle = (req: FakeRequest): FakeResponse => {
    if (req.headers.authorization !== expectedAuth) return { status: 401, body: { code: 'Unauthorized', message: 'Authentication failed.' } };
    if (req.headers.clientid !== credentials.clientId) return { status: 401, body: { code: 'Unauthorized', message: 'A valid clientId must be provided.' } };
    if (!req.path.startsWith(CONNECTWISE_API_PATH)) return { status: 404, body: { code: 'NotFound', message: 'Not found' } };
    const parts = req.path.slice(CONNECTWISE_API_PATH.length).split('/').filter(Boolean);
    if (parts[0] !== 'service' || parts[1] !== 'tickets') return { status: 404, body: { code: 'NotFound', message: 'Not found' } };
    const ticket = parts[2] ? tickets.find((t) => String(t.id) === parts[2]) : undefined;
    if (parts[2] && !ticket) return { status: 404, body: { code: 'NotFound', message: `Ticket with id ${parts[2]} not found` } };

    if (parts.length === 2 && req.method === 'GET') {
      const pageSize = Number(req.query.get('pageSize') ?? 25);
      if (pageSize > 1000) return { status: 400, body: { code: 'InvalidObject', message: 'pageSize must be at most 1000' } };
      let found = tickets;
      const conditions = req.query.get('conditions');
      if (conditions) {
        const condition = parseConditions(conditions);
        if (!condition) return { status: 400, body: { code: 'InvalidObject', message: `Invalid conditions: ${conditions}` } };
        found = tickets.filter((t) => String((t as unknown as Record<string, unknown>)[condition.field] ?? '') === condition.value);
      }
      return { status: 200, body: found.slice(0, pageSize) };
    }
    if (parts.length === 2 && req.method === 'POST') {
      const body = JSON.parse(req.body) as Partial<FakeTicket>;
      const errors: { code: string; field: string; message: string }[] = [];
      if (!body.summary) errors.push({ code: 'NullValue', field: 'summary', message: 'Summary is required.' });
      if (body.summary && body.summary.length > 100) errors.push({ code: 'InvalidLength', field: 'summary', message: 'Summary must be at most 100 characters.' });
      if (!body.company?.id) errors.push({ code: 'NullValue', field: 'company', message: 'Company is required.' });
      if (body.externalXRef && body.externalXRef.length > 100) errors.push({ code: 'InvalidLength', field: 'externalXRef', message: 'externalXRef must be at most 100 characters.' });
      if (errors.length > 0) return { status: 400, body: { code: 'InvalidObject', message: 'ticket object is invalid', errors } };
      const created: FakeTicket = { ...(body as FakeTicket), id: nextTicketId++, status: { name: 'New' }, notes: [] };
      if (slowCreateMs > 0) {
        const delayMs = slowCreateMs;
        slowCreateMs = 0;
        setTimeout(() => tickets.push(created), delayMs);
        return { status: 201, body: { ...created, notes: undefined }, delayMs };
      }
      tickets.push(created);
      if (loseCreate) {
        loseCreate = false;
        return { status: 503, body: { code: 'ServiceUnavailable', message: 'upstream timeout' } };
      }
      return { status: 201, body: { ...created, notes: undefined } };
    }
    if (parts.length === 3 && req.method === 'PATCH' && ticket) {
      const operations = JSON.parse(req.body) as { op: string; path: string; value: unknown }[];
      if (!Array.isArray(operations)) return { status: 400, body: { code: 'InvalidObject', message: 'expected a JSON Patch array' } };
      for (const operation of operations) {
        if (operation.op !== 'replace' || operation.path.replace(/^\//, '') !== 'status') {
          return { status: 400, body: { code: 'InvalidObject', message: `unsupported patch ${operation.op} ${operation.path}` } };
        }
        ticket.status = operation.value as { name: string };
      }
      return { status: 200, body: { ...ticket, notes: undefined } };
    }
    if (parts.length === 4 && parts[3] === 'notes' && ticket) {
      if (req.method === 'GET') return { status: 200, body: ticket.notes };
      if (req.method === 'POST') {
        const body = JSON.parse(req.body) as { text?: string; internalAnalysisFlag?: boolean; resolutionFlag?: boolean };
        if (!body.text) return { status: 400, body: { code: 'InvalidObject', message: 'text is required' } };
        const note = { id: nextNoteId++, text: body.text, internalAnalysisFlag: body.internalAnalysisFlag, resolutionFlag: body.resolutionFlag };
        ticket.notes.push(note);
        return { status: 201, body: { ...note, ticketId: ticket.id } };
      }
    }
    return { status: 404, body: { code: 'NotFound', message: 'Not found' } };
  };

  const server = await startFakeServer(handle);
  return Object.assign(server, {
    apiUrl: `${server.url}${CONNECTWISE_API_PATH}`,
    tickets,
    loseNextCreateResponse() {
      loseCreate = true;
    },
    slowNextCreate(ms: number) {
      slowCreateMs = ms;
    },
  });
}
