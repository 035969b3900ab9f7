import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClientAdapters } from '../../activities/adapters/build-adapters';
import { createMailer } from '../../activities/adapters/mail/nodemailer-mailer';
import { withSentLedger } from '../../activities/adapters/mail/sent-ledger';
import type { ActivityDeps } from '../../activities/deps';
import { listPatchingNotices } from '../../activities/store/patching-notice-store';
import { patchingNotices } from '../../workflows/notices/patching-notices';
import { TASK_QUEUE, createTestWorker, loadTestPolicy, seedFleet, startTimeSkipping } from '../support/cycle-harness';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';

// The hourly sweep the `patching-notices` Schedule starts (the time-skipping server has no Schedules,
// so it is started here as the Schedule would): real activities and PostgreSQL, mail through a real
// SMTP server. Cycles are written to the store as planning leaves them; the sweep never talks to them.

let env: TestWorkflowEnvironment;
let smtp: TestSmtpServer;
let db: TestDatabase;
let deps: ActivityDeps;

const sweep = (workflowId: string, at: string) => env.client.workflow.execute(patchingNotices, { taskQueue: TASK_QUEUE, workflowId, args: [{ at }] });

async function planCycle(cycleId: string, clientId: string, rings: Record<string, string[]>): Promise<void> {
  await db.pool.query(`INSERT INTO cycles (id, client_id, name, patch_ids, requested_by, status) VALUES ($1, $2, 'December updates', '{KB5036893}', 'lead@msp.test', 'running')`, [cycleId, clientId]);
  for (const [ring, hosts] of Object.entries(rings)) {
    await db.pool.query(
      `INSERT INTO cycle_assets (cycle_id, asset_id, hostname, ring, batch_index, asset_class, patch_ids, sla_deadline, reboot_mode, snapshot_required)
       SELECT $1, id, hostname, $2, 0, asset_class, '{KB5036893}', '2026-12-20T00:00:00Z', 'scheduled', false FROM assets WHERE client_id = $3 AND hostname = ANY($4)`,
      [cycleId, ring, clientId, hosts],
    );
  }
}

beforeAll(async () => {
  env = await startTimeSkipping();
  smtp = await startSmtpServer();
  const policy = loadTestPolicy();
  for (const client of policy.clients) client.notices = { beforePatching: { contact: `frontdesk@${client.id}.test`, hoursBefore: 24 } };
  db = await createTestDatabase();
  await seedFleet(db, policy, { clinic: 6, 'night-clinic': 6 });
  deps = {
    db: db.pool,
    policy,
    adaptersFor: buildClientAdapters({ db: db.pool, policy, env: {} }),
    mailer: withSentLedger(createMailer({ from: policy.msp.mailFrom, smtpUrl: smtp.url }), db.pool),
  };
  const hosts = async (clientId: string) => (await db.pool.query<{ hostname: string }>('SELECT hostname FROM assets WHERE client_id = $1 ORDER BY hostname', [clientId])).rows.map((r) => r.hostname);
  const night = await hosts('night-clinic');
  const clinic = await hosts('clinic');
  // night-clinic: nothing deployed yet; its only window is Saturday 22:00–02:00 Berlin (21:00 UTC in December).
  await planCycle('cycle/night-clinic/dec', 'night-clinic', { canary: night.slice(0, 2), pilot: night.slice(2) });
  // clinic: its canary is already deploying (a job was submitted), and pilot waits for it.
  await planCycle('cycle/clinic/dec', 'clinic', { canary: clinic.slice(0, 1), pilot: clinic.slice(1) });
  await db.pool.query(`INSERT INTO deployment_jobs (key, kind, cycle_id, ring, hostname, patch_id, vendor_job_id, state) VALUES ('k1', 'deploy', 'cycle/clinic/dec', 'canary', $1, 'KB5036893', 'job-1', 'submitted')`, [clinic[0]]);
});

afterAll(async () => {
  await db?.drop();
  await smtp?.stop();
  await env?.teardown();
});

describe('notice to the client’s contact before their assets are patched', () => {
  it('mails the contact once, hoursBefore the ring’s window opens; never a ring already deploying; survives a mail outage', async () => {
    const worker = await createTestWorker(env, deps);
    await worker.runUntil(async () => {
      // Friday noon UTC: the window opens in 33 h, more than 24 h away.
      expect(await sweep('patching-notices-1', '2026-12-04T12:00:00Z')).toMatchObject({ sent: [], failed: [] });
      expect(smtp.messages).toHaveLength(0);

      // Saturday 00:00 UTC, 21 h before: the mail server is down. The sweep ends normally and records the failure.
      smtp.failNext(1, 451);
      const outage = await sweep('patching-notices-2', '2026-12-05T00:00:00Z');
      expect(outage.sent).toEqual([]);
      expect(outage.failed).toEqual([{ cycleId: 'cycle/night-clinic/dec', ring: 'canary', error: expect.stringContaining('451') }]);
      expect(await listPatchingNotices(db.pool, 'cycle/night-clinic/dec')).toEqual([
        expect.objectContaining({ ring: 'canary', contact: 'frontdesk@night-clinic.test', sentAt: null, attempts: 1, lastError: expect.stringContaining('451') }),
      ]);

      // The next hour's sweep sends it.
      const next = await sweep('patching-notices-3', '2026-12-05T01:00:00Z');
      expect(next.sent).toEqual([{ cycleId: 'cycle/night-clinic/dec', ring: 'canary', to: ['frontdesk@night-clinic.test'], windowOpensAt: '2026-12-05T21:00:00.000Z', assets: 2 }]);
      expect(smtp.messages).toHaveLength(1);
      const mail = smtp.messages[0]!;
      expect(mail.to).toEqual(['frontdesk@night-clinic.test']);
      const headers = mail.raw.replace(/\r\n[ \t]+/g, ' ');
      expect(headers).toContain('Subject: Night Clinic: 2 devices will be patched from Sat 5 Dec 2026 22:00 (Europe/Berlin)');
      expect(headers).toContain('Message-ID: <patching-notice/cycle/night-clinic/dec/canary@patchctl>');

      // Later sweeps send nothing more for that ring; the clinic's deploying canary and waiting pilot never get one.
      expect(await sweep('patching-notices-4', '2026-12-05T02:00:00Z')).toMatchObject({ sent: [], failed: [] });
      expect(smtp.messages).toHaveLength(1);
      expect(await listPatchingNotices(db.pool, 'cycle/clinic/dec')).toEqual([]);
      expect(await listPatchingNotices(db.pool, 'cycle/night-clinic/dec')).toEqual([expect.objectContaining({ ring: 'canary', attempts: 2, sentAt: expect.any(String), lastError: null })]);

      // Once the canary is done, the pilot's notice goes out before the next window.
      await db.pool.query(`UPDATE cycle_assets SET outcome = 'verified' WHERE cycle_id = 'cycle/night-clinic/dec' AND ring = 'canary'`);
      const pilot = await sweep('patching-notices-5', '2026-12-12T00:00:00Z');
      expect(pilot.sent).toEqual([expect.objectContaining({ ring: 'pilot', windowOpensAt: '2026-12-12T21:00:00.000Z', assets: 4 })]);
      expect(smtp.messages).toHaveLength(2);
    });
  });
});
