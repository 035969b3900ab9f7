import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConnectWisePsa, externalXRefFor } from '../../activities/adapters/psa/connectwise';
import type { TicketRequest } from '../../activities/ports';
import { type FakeConnectWise, startFakeConnectWise } from '../support/fakes/connectwise-server';

const credentials = { company: 'msptest', publicKey: 'pubKEY1', privateKey: 'privKEY1', clientId: 'b5f6c7d8-patchctl' };
let fake: FakeConnectWise;
const waits: number[] = [];

function adapter(privateKey = credentials.privateKey): ConnectWisePsa {
  return new ConnectWisePsa({
    baseUrl: fake.apiUrl,
    company: credentials.company,
    publicKey: credentials.publicKey,
    privateKey,
    integrationClientId: credentials.clientId,
    clientId: 'acme-dental',
    companyRecordId: 250,
    board: 'Patching',
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
}

const ticket: TicketRequest = {
  key: 'gate|cycle/acme-dental/20261129-0300-critical|pilot',
  clientId: 'acme-dental',
  summary: 'Pilot gate breached: 3 of 12 endpoints failed KB5036893',
  details: 'Failure rate 25 % exceeds the pilot threshold of 10 %.',
  priority: 'high',
};

beforeAll(async () => {
  fake = await startFakeConnectWise(credentials);
});

afterAll(async () => {
  await fake?.stop();
});

beforeEach(() => {
  fake.tickets.length = 0;
  fake.calls.length = 0;
  waits.length = 0;
});

describe('ConnectWise PSA adapter against a fake ConnectWise server', () => {
  it('creates a ticket for the client company carrying our key in externalXRef', async () => {
    const { ticketId } = await adapter().openTicket(ticket);
    expect(fake.tickets).toHaveLength(1);
    const created = fake.tickets[0]!;
    expect(ticketId).toBe(String(created.id));
    expect(created).toMatchObject({
      summary: ticket.summary,
      initialDescription: ticket.details,
      company: { id: 250 },
      board: { name: 'Patching' },
      priority: { name: 'Priority 2 - Quick Response' },
      externalXRef: ticket.key,
    });
    expect(fake.calls[0]!.query.get('conditions')).toBe(`externalXRef="${ticket.key}"`);
  });

  it('does not create a second ticket when a create is retried after its response was lost', async () => {
    fake.loseNextCreateResponse();
    await expect(adapter().openTicket(ticket)).rejects.toMatchObject({ nonRetryable: false, status: 503 });
    const retried = await adapter().openTicket(ticket);
    expect(fake.tickets).toHaveLength(1);
    expect(retried.ticketId).toBe(String(fake.tickets[0]!.id));
  });

  it('shows the vendor really duplicates creates: two different keys make two tickets', async () => {
    await adapter().openTicket(ticket);
    await adapter().openTicket({ ...ticket, key: `${ticket.key}#2` });
    expect(fake.tickets).toHaveLength(2);
  });

  it('fits long keys and summaries into the PSA field limits', async () => {
    const longKey = `exception|${'x'.repeat(150)}`;
    const { ticketId } = await adapter().openTicket({ ...ticket, key: longKey, summary: 'S'.repeat(140) });
    const created = fake.tickets.find((t) => String(t.id) === ticketId)!;
    expect(created.externalXRef).toBe(externalXRefFor(longKey));
    expect(created.externalXRef!.length).toBeLessThanOrEqual(100);
    expect(created.summary).toHaveLength(100);
    expect((await adapter().openTicket({ ...ticket, key: longKey })).ticketId).toBe(ticketId);
  });

  it('adds internal notes once each and closes with a resolution note and a JSON Patch', async () => {
    const { ticketId } = await adapter().openTicket(ticket);
    await adapter().addNote(ticketId, 'Rollback of pilot started');
    await adapter().addNote(ticketId, 'Rollback of pilot started');
    await adapter().closeTicket(ticketId, 'Pilot rolled back and verified');
    const stored = fake.tickets[0]!;
    expect(stored.notes.map((n) => [n.text, n.internalAnalysisFlag, n.resolutionFlag])).toEqual([
      ['Rollback of pilot started', true, false],
      ['Pilot rolled back and verified', true, true],
    ]);
    expect(stored.status).toEqual({ name: '>Closed' });
    const patch = fake.calls.find((c) => c.method === 'PATCH')!;
    expect(JSON.parse(patch.body)).toEqual([{ op: 'replace', path: 'status', value: { name: '>Closed' } }]);
  });

  it('retries a 429 after its Retry-After', async () => {
    fake.rateLimitNext(3);
    await adapter().openTicket(ticket);
    expect(waits).toEqual([3000]);
    expect(fake.tickets).toHaveLength(1);
  });

  it('refuses bad credentials with a non-retryable error naming vendor and status', async () => {
    await expect(adapter('wrong').openTicket(ticket)).rejects.toMatchObject({
      nonRetryable: true,
      status: 401,
      message: expect.stringMatching(/^ConnectWise PSA GET .*HTTP 401 \(check the credentials.*\): Authentication failed\.$/),
    });
    expect(fake.tickets).toHaveLength(0);
  });

  it('refuses a note on a ticket that does not exist', async () => {
    await expect(adapter().addNote('424242', 'x')).rejects.toMatchObject({ nonRetryable: true, status: 404 });
    await expect(adapter().addNote('SIM-1', 'x')).rejects.toThrow(/ticket id must be a number/);
  });
});
