import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HaloPsa, ticketMarker } from '../../activities/adapters/psa/halopsa';
import type { TicketRequest } from '../../activities/ports';
import { findTicketEntry } from '../../activities/store/ticket-ledger-store';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { type FakeHaloPsa, startFakeHaloPsa } from '../support/fakes/halopsa-server';

const credentials = { clientId: 'halo-app', clientSecret: 'halo-secret', tenant: 'mspdemo' };
let fake: FakeHaloPsa;
let db: TestDatabase;
const waits: number[] = [];

function adapter(options: Partial<ConstructorParameters<typeof HaloPsa>[0]> = {}): HaloPsa {
  return new HaloPsa({
    baseUrl: fake.url,
    tenant: credentials.tenant,
    clientId: credentials.clientId,
    clientSecret: credentials.clientSecret,
    patchctlClientId: 'acme-dental',
    haloClientId: 42,
    siteId: 7,
    db: db.pool,
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...options,
  });
}

let n = 0;
const ticket = (): TicketRequest => ({
  key: `gate|cycle/acme-dental/20261201-0300-critical|pilot|${n++}`,
  clientId: 'acme-dental',
  summary: 'Pilot gate breached: 3 of 12 endpoints failed KB5036893',
  details: 'Failure rate 25 % exceeds the pilot threshold of 10 %.',
  priority: 'high',
});

beforeAll(async () => {
  [fake, db] = await Promise.all([startFakeHaloPsa(credentials), createTestDatabase()]);
});
afterAll(async () => {
  await fake?.stop();
  await db?.drop();
});
beforeEach(() => {
  fake.calls.length = 0;
  fake.tickets.length = 0;
  fake.actions.length = 0;
  fake.authUrl = undefined;
  waits.length = 0;
});

describe('HaloPSA adapter against a fake Halo API', () => {
  it('finds the auth server through authinfo, names the tenant, and creates the ticket as a JSON array', async () => {
    const request = ticket();
    const { ticketId } = await adapter().openTicket(request);
    expect(fake.calls.map((c) => `${c.method} ${c.path}`)).toEqual(['GET /api/authinfo', 'POST /auth/token', 'POST /api/Tickets']);
    expect(fake.calls[1]!.query.get('tenant')).toBe('mspdemo');
    expect(JSON.parse(fake.calls[2]!.body)).toEqual([
      { summary: request.summary, details: `${request.details}\n\n${ticketMarker(request.key)}`, client_id: 42, site_id: 7, priority_id: 2 },
    ]);
    expect(ticketId).toBe(String(fake.tickets[0]!.id));
    expect(await findTicketEntry(db.pool, request.key)).toMatchObject({ ticketId, attempts: 1 });
  });

  it('a retry after a lost create response finds the first ticket instead of making a second', async () => {
    const request = ticket();
    fake.loseNextCreateResponse();
    await expect(adapter().openTicket(request)).rejects.toMatchObject({ nonRetryable: false, status: 503 });
    expect(fake.tickets).toHaveLength(1);
    const retried = await adapter().openTicket(request);
    expect(fake.tickets).toHaveLength(1);
    expect(retried.ticketId).toBe(String(fake.tickets[0]!.id));
    // And once recorded, later retries do not even ask Halo.
    fake.calls.length = 0;
    expect(await adapter().openTicket(request)).toEqual(retried);
    expect(fake.calls.filter((c) => c.path.startsWith('/api/'))).toHaveLength(0);
  });

  it('shows Halo really duplicates creates: two keys make two tickets', async () => {
    await adapter().openTicket(ticket());
    await adapter().openTicket(ticket());
    expect(fake.tickets).toHaveLength(2);
  });

  it('adds notes as actions once, and closes with a resolution note and the closed status', async () => {
    const { ticketId } = await adapter().openTicket(ticket());
    await adapter().addNote(ticketId, 'Rolled back pilot ring');
    await adapter().addNote(ticketId, 'Rolled back pilot ring');
    expect(fake.actions).toEqual([{ id: expect.any(Number), ticket_id: Number(ticketId), outcome: 'Note', note: 'Rolled back pilot ring', hiddenfromuser: true }]);
    await adapter().closeTicket(ticketId, 'Resolved: rollback verified');
    expect(fake.tickets[0]!.status_id).toBe(9);
    expect(fake.actions.map((a) => a.note)).toEqual(['Rolled back pilot ring', 'Resolved: rollback verified']);
  });

  it('refuses an authinfo that names an http:// authorisation server, before sending the secret', async () => {
    fake.authUrl = 'http://auth.halo.example/auth';
    await expect(adapter().openTicket(ticket())).rejects.toMatchObject({
      type: 'VendorRejected',
      nonRetryable: true,
      message: expect.stringMatching(/^HaloPSA authorisation server: http:\/\/auth\.halo\.example\/auth must use https:\/\//),
    });
    expect(fake.calls.some((c) => c.path.endsWith('/token'))).toBe(false);
    expect(fake.tickets).toHaveLength(0);
  });

  it('refuses bad credentials and a missing tenant for good', async () => {
    await expect(adapter({ clientSecret: 'nope' }).openTicket(ticket())).rejects.toMatchObject({ nonRetryable: true, message: expect.stringMatching(/HaloPSA POST \/auth\/token was refused with HTTP 401/) });
    await expect(adapter({ tenant: undefined }).openTicket(ticket())).rejects.toThrow(/HaloPSA POST \/auth\/token was refused with HTTP 400: tenant is required/);
    expect(fake.tickets).toHaveLength(0);
  });

  it('logs in again on a 401, waits out a 429, hands 5xx and timeouts back as retryable', async () => {
    const halo = adapter();
    const { ticketId } = await halo.openTicket(ticket());
    const issued = fake.tokens.issued;
    fake.tokens.revokeAll();
    await halo.addNote(ticketId, 'after revocation');
    expect(fake.tokens.issued).toBe(issued + 1);
    fake.rateLimitNext(1);
    await halo.addNote(ticketId, 'after 429');
    expect(waits).toEqual([1000]);
    fake.answerNext({ status: 500, body: 'boom' }, '/api/Actions');
    await expect(halo.addNote(ticketId, 'x')).rejects.toMatchObject({ type: 'VendorUnavailable', nonRetryable: false });
    fake.answerNext({ status: 200, body: { actions: [] }, delayMs: 400 }, '/api/Actions');
    await expect(adapter({ timeoutMs: 100 }).addNote(ticketId, 'x')).rejects.toThrow(/no answer within 100 ms/);
  });

  it('a malformed create answer fails naming the field, and the key stays claimed for the retry to find', async () => {
    const request = ticket();
    fake.answerNext({ status: 201, body: [{ ticketid: 5 }] }, '/api/Tickets');
    await expect(adapter().openTicket(request)).rejects.toMatchObject({
      type: 'VendorRejected',
      message: expect.stringMatching(/^HaloPSA POST \/api\/Tickets answered with an unexpected shape: response/),
    });
    expect(await findTicketEntry(db.pool, request.key)).toMatchObject({ ticketId: null });
  });
});
