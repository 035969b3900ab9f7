import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/cli';
import { startDevProcess } from '../support/dev-process';

// Reports and schedules as an operator uses them against one running `patchctl dev` (real dev server,
// so the Schedule the stack creates is real): list, pause, resume, trigger; report monthly, scorecard,
// inventory export, and bad input refused with exit 2.

describe('patchctl report, inventory export and schedule', () => {
  it('lists, pauses and triggers the monthly-report schedule; writes reports and exports', async () => {
    const dev = await startDevProcess('policy-e2e.yaml', 'patchctl-report-e2e');
    const cli = dev.cli.bind(dev);
    try {
      const imported = await cli(['inventory', 'import', join(REPO_ROOT, 'tests', 'fixtures', 'inventory-good.csv'), '--client', 'acme-dental', '--json']);
      expect(imported.code, imported.stderr).toBe(0);

      const listed = await cli(['schedule', 'list', '--json']);
      expect(listed.code, listed.stderr).toBe(0);
      const schedule = JSON.parse(listed.stdout).schedules.find((s: { id: string }) => s.id === 'monthly-report');
      expect(schedule).toMatchObject({ workflowType: 'monthlyReport', paused: false });
      expect(schedule.nextRun).toMatch(/-01T06:00:00\.000Z$/);

      expect((await cli(['schedule', 'pause', 'monthly-report', '--reason', 'client onboarding'])).code).toBe(0);
      expect(JSON.parse((await cli(['schedule', 'list', '--json'])).stdout).schedules[0]).toMatchObject({ id: 'monthly-report', paused: true, note: 'client onboarding' });
      expect((await cli(['schedule', 'resume', 'monthly-report'])).code).toBe(0);
      expect((await cli(['schedule', 'trigger', 'nope'])).code).toBe(3);

      const triggered = await cli(['schedule', 'trigger', 'monthly-report']);
      expect(triggered.code, triggered.stderr).toBe(0);
      // The triggered run reports on the month just ended and mails each client owner once.
      const outbox = join(dev.dir, '.patchctl', 'outbox');
      let reportMail: string[] = [];
      for (let i = 0; i < 240 && reportMail.length === 0; i++) {
        await sleep(500);
        reportMail = existsSync(outbox) ? readdirSync(outbox).filter((f) => f.startsWith('report_acme-dental')) : [];
      }
      expect(reportMail).toHaveLength(1);
      const mail = readFileSync(join(outbox, reportMail[0] as string), 'utf8');
      expect(mail).toContain('To: owner@acme-dental.example');
      expect(mail).toContain('application/pdf');

      const month = '2026-10';
      const report = await cli(['report', 'monthly', '--client', 'acme-dental', '--month', month, '--format', 'csv', '--json']);
      expect(report.code, report.stderr).toBe(0);
      const written = JSON.parse(report.stdout);
      expect(written).toMatchObject({ clientId: 'acme-dental', month, files: ['report.csv'] });
      expect(written.path).toBe(join(dev.dir, '.patchctl', 'reports', 'acme-dental', month));

      const zip = await cli(['report', 'monthly', '--client', 'acme-dental', '--month', month, '--format', 'json', '--out', join(dev.dir, 'oct.zip'), '--json']);
      expect(zip.code, zip.stderr).toBe(0);
      expect(readFileSync(join(dev.dir, 'oct.zip')).subarray(0, 2).toString()).toBe('PK');

      const badMonth = await cli(['report', 'monthly', '--client', 'acme-dental', '--month', '2026-13']);
      expect(badMonth.code).toBe(2);
      expect(badMonth.stderr).toContain('--month: must be a month YYYY-MM, got "2026-13"');

      const scorecard = await cli(['report', 'scorecard', '--month', month, '--json']);
      expect(scorecard.code, scorecard.stderr).toBe(0);
      expect(JSON.parse(scorecard.stdout).rows.map((r: { clientId: string }) => r.clientId)).toContain('acme-dental');

      const risk = await cli(['report', 'risk', '--json']);
      expect(risk.code, risk.stderr).toBe(0);
      expect(JSON.parse(risk.stdout)).toMatchObject({ flagged: ['acme-dental'], clients: [{ clientId: 'acme-dental', rank: 1 }] });
      const riskCsv = await cli(['report', 'risk', '--csv']);
      expect(riskCsv.stdout.split('\r\n')[0]).toMatch(/^rank,client,score,/);

      const qbr = await cli(['report', 'qbr', '--client', 'acme-dental', '--quarter', '2026-Q4', '--format', 'json', '--json']);
      expect(qbr.code, qbr.stderr).toBe(0);
      expect(JSON.parse(qbr.stdout)).toMatchObject({ quarter: '2026-Q4', files: ['qbr.json'], path: join(dev.dir, '.patchctl', 'reports', 'acme-dental', '2026-Q4') });
      const badQuarter = await cli(['report', 'qbr', '--client', 'acme-dental', '--quarter', '2026-Q5']);
      expect(badQuarter.code).toBe(2);
      expect(badQuarter.stderr).toContain('--quarter: must be a quarter YYYY-Qn (n = 1 to 4), got "2026-Q5"');

      const exported = await cli(['inventory', 'export', '--client', 'acme-dental', '--month', '2026-12', '--json']);
      expect(exported.code, exported.stderr).toBe(0);
      expect(JSON.parse(exported.stdout)).toMatchObject({ dir: join(dev.dir, '.patchctl', 'exports', 'acme-dental', '2026-12'), files: ['inventory.csv', 'inventory.json'] });
    } finally {
      await dev.stop();
    }
    // A dev stack start, Chromium printing one PDF per client, and a dozen CLI processes on a busy 2-core machine.
  }, 400_000);
});
