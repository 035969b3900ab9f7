import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConnectWisePsa } from '../../activities/adapters/psa/connectwise';
import type { TicketRequest } from '../../activities/ports';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { type FakeConnectWise, startFakeConnectWise } from '../support/fakes/connectwise-server';

// ConnectWise ticket creates are not idempotent. With the ticket ledger in PostgreSQL, an attempt
// that outlives its timeout and the retry that runs beside it still make one ticket.

const credentials = { company: 'msptest', publicKey: 'pubKEY1', privateKey: 'privKEY1', clientId: 'b5f6c7d8-patchctl' };
let fake: FakeConnectWise;
let db: TestDatabase;

function adapter(): ConnectWisePsa {
  return new ConnectWisePsa({
    baseUrl: fake.apiUrl,
    company: credentials.company,
    publicKey: credentials.publicKey,
    privateKey: credentials.privateKey,
    integrationClientId: credentials.clientId,
    clientId: 'acme-dental',
    companyRecordId: 250,
    db: db.pool,
    timeoutMs: 5_000,
    sleep: async () => undefined,
  });
}

const ticket = (key: string): TicketRequest => ({ key, clientId: 'acme-dental', summary: 'Pilot gate breached', details: 'Failure rate 25 %', priority: 'high' });
const creates = () => fake.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/service/tickets')).length;

beforeAll(async () => {
  fake = await startFakeConnectWise(credentials);
  db = await createTestDatabase();
});

afterAll(async () => {
  await fake?.stop();
  await db?.drop();
});

beforeEach(() => {
  fake.tickets.length = 0;
  fake.calls.length = 0;
});

describe('ConnectWise ticket create across retries', () => {
  it('an attempt that outlives its timeout and the retry beside it make one ticket', async () => {
    fake.slowNextCreate(1_500);
    const first = adapter().openTicket(ticket('gate|c1|pilot|1'));
    // The retry starts while the first create is still on its way (not yet visible to a lookup).
    while (creates() === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await expect(adapter().openTicket(ticket('gate|c1|pilot|1'))).rejects.toMatchObject({ type: 'VendorUnavailable', nonRetryable: false });
    const { ticketId } = await first;
    await expect(adapter().openTicket(ticket('gate|c1|pilot|1'))).resolves.toEqual({ ticketId });
    expect(creates()).toBe(1);
    expect(fake.tickets).toHaveLength(1);
  });

  it('after a lost create response, the retry finds the ticket by its key instead of creating another', async () => {
    fake.loseNextCreateResponse();
    await expect(adapter().openTicket(ticket('gate|c1|pilot|2'))).rejects.toMatchObject({ nonRetryable: false });
    // The lost attempt's lease ends (as it would after its timeout) and the retry looks first.
    await db.pool.query(`UPDATE psa_ticket_ledger SET lease_until = now() WHERE ticket_key = $1`, ['gate|c1|pilot|2']);
    const { ticketId } = await adapter().openTicket(ticket('gate|c1|pilot|2'));
    expect(ticketId).toBe(String(fake.tickets[0]!.id));
    expect(creates()).toBe(1);
  });
});
