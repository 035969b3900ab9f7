import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertSlaBreaches } from '../../activities/alerts/sla-alerts';
import { buildClientAdapters } from '../../activities/adapters/build-adapters';
import { createMailer } from '../../activities/adapters/mail/nodemailer-mailer';
import type { ActivityDeps } from '../../activities/deps';
import { slaBreaches } from '../../activities/store/report-store';
import { loadTestPolicy } from '../support/cycle-harness';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { CLIENT, seedReportFixture } from '../support/report-fixture';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';

// The daily SLA alert over the report fixture: deadlines passed without verification, excepted
// assets left out, mailed to the escalation list through a real SMTP server.

let db: TestDatabase;
let smtp: TestSmtpServer;
let deps: ActivityDeps;
const policy = loadTestPolicy();

beforeAll(async () => {
  db = await createTestDatabase();
  smtp = await startSmtpServer();
  await seedReportFixture(db.pool, policy);
  deps = { db: db.pool, policy, adaptersFor: buildClientAdapters({ db: db.pool, policy, env: {} }), mailer: createMailer({ from: policy.msp.mailFrom, smtpUrl: smtp.url }) };
});
afterAll(async () => {
  await db?.drop();
  await smtp?.stop();
});

describe('SLA alerts', () => {
  it('lists missed deadlines without verification and leaves excepted assets out', async () => {
    // Nov 1: ws-1's high patch (due Oct 8), ws-2's critical (failed now, due Oct 2), ws-3's deployed-only
    // critical (due Oct 6). dnd-1 is under ex-1; srv-1's high is due Nov 4; ws-2's routine Nov 19.
    const nov1 = await slaBreaches(db.pool, CLIENT, new Date('2026-11-01T00:00Z'), policy.sla);
    expect(nov1.breaches.map((b) => `${b.hostname}/${b.patchId}/${b.state}`)).toEqual(['ws-2/KB-CRIT/failed', 'ws-3/KB-CRIT/deployed', 'ws-1/KB-HIGH/missing']);
    // Nov 5: ex-3 now covers ws-1; srv-1's high patch is past its 7 days.
    const nov5 = await slaBreaches(db.pool, CLIENT, new Date('2026-11-05T00:00Z'), policy.sla);
    expect(nov5.breaches.map((b) => b.hostname)).toEqual(['ws-2', 'ws-3', 'srv-1']);
  });

  it('mails the escalation list the breaches of a client, and nothing for a client without any', async () => {
    const result = await alertSlaBreaches(deps, { clientId: CLIENT, at: '2026-11-05T07:00:00.000Z' });
    expect(result).toEqual({ clientId: CLIENT, breaches: 3, mailed: true });
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]?.to).toEqual(['noc@msp.test']);
    expect(smtp.messages[0]?.raw).toContain('Subject: clinic: 3 patch deadlines passed without verification (2026-11-05)');
    const body = (smtp.messages[0]?.raw ?? '').replace(/=\r\n/g, '');
    expect(body).toContain('srv-1  KB-HIGH (high, core-server)  state missing');
    expect(await alertSlaBreaches(deps, { clientId: 'night-clinic', at: '2026-11-05T07:00:00.000Z' })).toEqual({ clientId: 'night-clinic', breaches: 0, mailed: false });
    expect(smtp.messages).toHaveLength(1);
  });
});
