import { type FakeRequest, type FakeResponse, type FakeServer, startFakeServer } from './fake-http';
import { type FakeTokens, fakeTokens, parseForm } from './oauth-tokens';

// HaloPSA as documented: /api/authinfo names the authorisation server, whose /token issues
// client-credentials tokens (hosted instances need `?tenant=`); tickets and actions are created by
// POSTing a JSON array (a POST with an id updates); the ticket list takes `search`, `client_id` and the
// misspelt `pageinate`. Creates are not idempotent, and there is no external-reference field.

export interface FakeHaloTicket {
  id: number;
  summary: string;
  details: string;
  client_id: number;
  site_id?: number;
  tickettype_id?: number;
  priority_id?: number;
  status_id: number;
}

export interface FakeHaloAction {
  id: number;
  ticket_id: number;
  outcome: string;
  note: string;
  hiddenfromuser: boolean;
}

export interface FakeHaloPsa extends FakeServer {
  tokens: FakeTokens;
  tickets: FakeHaloTicket[];
  actions: FakeHaloAction[];
  /** The next ticket create is carried out, but its response is lost (503). */
  loseNextCreateResponse(): void;
  /** What /api/authinfo names as the authorisation server (default: this server's /auth). */
  authUrl?: string;
}

export async function startFakeHaloPsa(credentials: { clientId: string; clientSecret: string; tenant?: string }): Promise<FakeHaloPsa> {
  const tokens = fakeTokens(3600);
  const tickets: FakeHaloTicket[] = [];
  const actions: FakeHaloAction[] = [];
  let loseNext = false;
  let nextTicket = 5000;
  let nextAction = 1;
  const ref: { self?: FakeHaloPsa } = {};

  const handle = (req: FakeRequest): FakeResponse => {
    if (req.method === 'GET' && req.path === '/api/authinfo') return { status: 200, body: { auth_url: ref.self?.authUrl ?? `${ref.self!.url}/auth`, auth_type: 0 } };
    if (req.method === 'POST' && req.path === '/auth/token') {
      if (credentials.tenant && req.query.get('tenant') !== credentials.tenant) return { status: 400, body: { error: 'invalid_request', error_description: 'tenant is required' } };
      const form = parseForm(req.body);
      if (form.grant_type !== 'client_credentials' || form.scope !== 'all') return { status: 400, body: { error: 'invalid_scope' } };
      if (form.client_id !== credentials.clientId || form.client_secret !== credentials.clientSecret) return { status: 401, body: { error: 'invalid_client' } };
      return { status: 200, body: tokens.issue() };
    }
    if (!tokens.accepts(req.headers.authorization)) return { status: 401, body: 'Unauthorized' };

    if (req.method === 'POST' && req.path.toLowerCase() === '/api/tickets') {
      const body = JSON.parse(req.body) as Partial<FakeHaloTicket>[];
      if (!Array.isArray(body)) return { status: 400, body: 'Expected an array of tickets' };
      const answered: FakeHaloTicket[] = [];
      for (const item of body) {
        if (item.id) {
          const ticket = tickets.find((t) => t.id === item.id);
          if (!ticket) return { status: 404, body: `Ticket ${item.id} not found` };
          Object.assign(ticket, item);
          answered.push(ticket);
          continue;
        }
        if (!item.summary || !item.client_id) return { status: 400, body: 'summary and client_id are required' };
        const ticket: FakeHaloTicket = { status_id: 1, details: '', ...item, id: nextTicket++ } as FakeHaloTicket;
        tickets.push(ticket);
        answered.push(ticket);
      }
      if (loseNext) {
        loseNext = false;
        return { status: 503, body: 'Service Unavailable' };
      }
      return { status: 201, body: answered.length === 1 ? answered[0] : answered };
    }
    if (req.method === 'GET' && req.path.toLowerCase() === '/api/tickets') {
      const search = (req.query.get('search') ?? '').toLowerCase();
      const clientId = req.query.get('client_id');
      const rows = tickets.filter((t) => (!clientId || String(t.client_id) === clientId) && (!search || `${t.summary} ${t.details}`.toLowerCase().includes(search)));
      return { status: 200, body: { record_count: rows.length, tickets: rows } };
    }
    if (req.method === 'GET' && req.path.toLowerCase() === '/api/actions') {
      const ticketId = Number(req.query.get('ticket_id'));
      return { status: 200, body: { record_count: 0, actions: actions.filter((a) => a.ticket_id === ticketId) } };
    }
    if (req.method === 'POST' && req.path.toLowerCase() === '/api/actions') {
      const body = JSON.parse(req.body) as Partial<FakeHaloAction>[];
      if (!Array.isArray(body)) return { status: 400, body: 'Expected an array of actions' };
      const made = body.map((item) => {
        if (!tickets.some((t) => t.id === item.ticket_id)) throw new Error(`Ticket ${item.ticket_id} not found`);
        const action = { hiddenfromuser: false, outcome: '', note: '', ...item, id: nextAction++ } as FakeHaloAction;
        actions.push(action);
        return action;
      });
      return { status: 201, body: made.length === 1 ? made[0] : made };
    }
    return { status: 404, body: 'Not found' };
  };

  const server = await startFakeServer(handle);
  ref.self = Object.assign(server, {
    tokens,
    tickets,
    actions,
    loseNextCreateResponse() {
      loseNext = true;
    },
    authUrl: undefined as string | undefined,
  });
  return ref.self;
}
