import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTriage, listTriage, saveTriage, triageRecordOf } from '../../activities/store/triage-store';
import type { TriageStatus } from '../../domain/triage/triage';
import { createTestDatabase, type TestDatabase } from '../support/database';

// The triage register as `triage list` reads it: per client, per month of receipt, newest first.

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

function status(clientId: string, triageId: string, receivedAt: string, over: Partial<TriageStatus> = {}): TriageStatus {
  return { triageId, clientId, user: `u@${clientId}.test`, kind: 'leaked-credential', source: 'webhook', state: 'received', receivedAt, slaDeadline: receivedAt, steps: [], escalations: 0, ...over };
}

describe('triage register', () => {
  it('keeps one row per triage, updated at each step, and lists by client and month', async () => {
    await saveTriage(db.pool, triageRecordOf(status('clinic', '20261130-aaaaaaa', '2026-11-30T23:59:00Z')));
    await saveTriage(db.pool, triageRecordOf(status('clinic', '20261201-bbbbbbb', '2026-12-01T00:01:00Z')));
    await saveTriage(db.pool, triageRecordOf(status('other', '20261202-ccccccc', '2026-12-02T10:00:00Z')));
    const done = status('clinic', '20261201-bbbbbbb', '2026-12-01T00:01:00Z', { state: 'completed', slaMet: true, ticketId: 'SIM-1001', completedAt: '2026-12-01T00:05:00Z', steps: [{ step: 'ticket', state: 'done', startedAt: '2026-12-01T00:01:00Z', deadline: '2026-12-01T01:01:00Z' }] });
    await saveTriage(db.pool, triageRecordOf(done));

    expect(await getTriage(db.pool, 'clinic', '20261201-bbbbbbb')).toMatchObject({ state: 'completed', slaMet: true, ticketId: 'SIM-1001', steps: [{ step: 'ticket', state: 'done' }] });
    expect((await listTriage(db.pool, { clientId: 'clinic', month: '2026-12' })).map((r) => r.triageId)).toEqual(['20261201-bbbbbbb']);
    expect((await listTriage(db.pool, { clientId: 'clinic', month: '2026-11' })).map((r) => r.triageId)).toEqual(['20261130-aaaaaaa']);
    expect((await listTriage(db.pool, { month: '2026-12' })).map((r) => r.triageId)).toEqual(['20261202-ccccccc', '20261201-bbbbbbb']);
  });
});
