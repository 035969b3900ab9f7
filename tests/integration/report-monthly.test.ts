import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMonthlyReport } from '../../activities/reporting/monthly-report-data';
import { writeReportBundle } from '../../activities/reporting/report-bundle';
import { buildScorecard } from '../../activities/reporting/scorecard-data';
import { recordPatchTicket } from '../../activities/store/report-store';
import { verifyBundle } from '../../activities/evidence/manifest';
import { generateSigningKeyPair, parseEd25519Key } from '../../activities/evidence/signing';
import { monthPeriod } from '../../domain/reporting/period';
import { loadTestPolicy } from '../support/cycle-harness';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { CLIENT, MONTH, seedReportFixture } from '../support/report-fixture';

// The monthly report against hand-computed figures (see tests/support/report-fixture.ts), on a real
// PostgreSQL, computed in "December" after November changed the fleet.

let db: TestDatabase;
const policy = loadTestPolicy();

beforeAll(async () => {
  db = await createTestDatabase();
  await seedReportFixture(db.pool, policy);
});
afterAll(async () => {
  await db?.drop();
});

const DECEMBER = new Date('2026-12-02T09:00:00Z');

describe('monthly report as of the end of October, run in December', () => {
  it('splits compliance by tier and by OS, counts the excepted asset apart, ignores November', async () => {
    const report = await buildMonthlyReport({ db: db.pool, policy, clientId: CLIENT, month: MONTH, now: DECEMBER });
    expect(report.assets).toBe(6); // later-1 was imported in November
    expect(report.ephiAssets).toBe(3);
    expect(report.compliance.status).toBe('claimed');
    if (report.compliance.status !== 'claimed') return;
    const tier = (c: string, s: string) => report.compliance.status === 'claimed' && report.compliance.byTier.find((t) => t.assetClass === c && t.severity === s);
    // ws-1, ws-2 verified; ws-4's detection is in November; ws-3 only deployed → overdue.
    expect(tier('workstation', 'critical')).toEqual({ assetClass: 'workstation', severity: 'critical', inScope: 4, verified: 3, withinSla: 0, overdue: 1, excepted: 0, percent: 75 });
    expect(tier('workstation', 'high')).toEqual({ assetClass: 'workstation', severity: 'high', inScope: 4, verified: 3, withinSla: 0, overdue: 1, excepted: 0, percent: 75 });
    // ws-2's routine patch was rolled back but its window runs to Nov 19.
    expect(tier('workstation', 'routine')).toEqual({ assetClass: 'workstation', severity: 'routine', inScope: 4, verified: 3, withinSla: 1, overdue: 0, excepted: 0, percent: 100 });
    expect(tier('core-server', 'critical')).toMatchObject({ inScope: 1, verified: 1, percent: 100 });
    expect(tier('core-server', 'high')).toMatchObject({ inScope: 1, withinSla: 1, percent: 100 });
    // The deferred asset is never compliant, and never in the denominator.
    expect(tier('do-not-disrupt', 'critical')).toEqual({ assetClass: 'do-not-disrupt', severity: 'critical', inScope: 0, verified: 0, withinSla: 0, overdue: 0, excepted: 1 });
    expect(tier('do-not-disrupt', 'routine')).toMatchObject({ inScope: 0, excepted: 1 });

    const os = Object.fromEntries(report.compliance.byOs.map((o) => [o.os, o]));
    expect(os.windows).toEqual({ os: 'windows', inScope: 3, verified: 1, withinSla: 1, overdue: 1, excepted: 1, percent: 66.67 });
    expect(os.macos).toEqual({ os: 'macos', inScope: 1, verified: 0, withinSla: 0, overdue: 1, excepted: 0, percent: 0 });
    expect(os.linux).toEqual({ os: 'linux', inScope: 1, verified: 0, withinSla: 1, overdue: 0, excepted: 0, percent: 100 });
  });

  it('lists only the exceptions in force at the end, with aging and duration', async () => {
    const report = await buildMonthlyReport({ db: db.pool, policy, clientId: CLIENT, month: MONTH, now: DECEMBER });
    expect(report.exceptions.active).toBe(1);
    expect(report.exceptions.exceptions).toEqual([
      { id: 'ex-1', kind: 'deferral', assets: 1, patches: [], ticketId: 'T-1', endsAt: '2026-12-31T00:00:00.000Z', ageDays: 31, grantedDays: 90, remainingDays: 60 },
    ]);
    expect(report.exceptions.buckets).toEqual({ '0-30 d': 0, '31-60 d': 1, '61-90 d': 0, 'over 90 d': 0 });
  });

  it('measures time-to-remediate against the SLA, the failure rate and the rollbacks of October only', async () => {
    const report = await buildMonthlyReport({ db: db.pool, policy, clientId: CLIENT, month: MONTH, now: DECEMBER });
    expect(report.remediation).toEqual([
      { assetClass: 'core-server', severity: 'critical', remediated: 1, withinSla: 1, medianHours: 12, p90Hours: 12, maxHours: 12, slaHours: 24, withinSlaShare: 1 },
      { assetClass: 'workstation', severity: 'critical', remediated: 2, withinSla: 1, medianHours: 36, p90Hours: 45.6, maxHours: 48, slaHours: 24, withinSlaShare: 0.5 },
    ]);
    // c1: ws-1, ws-2, srv-1 attempted (ws-3 still pending); c2: ws-2 failed and rolled back; c3 is November.
    expect(report.failureRate).toEqual({ attempted: 4, failed: 1, rolledBack: 1, rate: 0.25, threshold: 0.1, exceedsThreshold: true });
    expect(report.rollbacks.cycles).toEqual([{ cycleId: 'clinic/c2', status: 'rolled-back', reason: 'canary gate breached: 1 of 1 failed', endedAt: '2026-10-21T03:00:00.000Z' }]);
    expect(report.topRisksReduced).toEqual([{ patchId: 'KB-CRIT', title: 'Critical OS update', severity: 'critical', assets: 3, ephiAssets: 2 }]);
  });

  it('writes HTML with SVG charts, CSV and JSON in a signed bundle that verifies, and names a tampered file', async () => {
    const report = await buildMonthlyReport({ db: db.pool, policy, clientId: CLIENT, month: MONTH, now: DECEMBER });
    const dir = mkdtempSync(join(tmpdir(), 'patchctl-report-'));
    const keys = generateSigningKeyPair();
    const bundle = await writeReportBundle(report, dir, { formats: ['html', 'csv', 'json'], signingKey: parseEd25519Key(keys.privateKeyPem, 'private'), now: DECEMBER });
    expect(bundle.files).toEqual(['report.csv', 'report.html', 'report.json']);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('Compliance by tier (asset class × severity)');
    expect(html).toContain('75.0 %');
    expect(html).not.toMatch(/<script/i);
    const csv = readFileSync(join(dir, 'report.csv'), 'utf8');
    expect(csv).toContain('clinic,2026-10,compliance-by-os,windows,percent,66.67');
    expect(csv).toContain('clinic,2026-10,compliance-by-tier,do-not-disrupt/critical,excepted,1');
    expect(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')).period.end).toBe('2026-11-01T00:00:00.000Z');
    expect(verifyBundle(dir, keys.publicKeyPem)).toMatchObject({ ok: true, signature: 'valid', files: 3 });
    writeFileSync(join(dir, 'report.csv'), csv.replace('66.67', '99.99'));
    const tampered = verifyBundle(dir, keys.publicKeyPem);
    expect(tampered.ok).toBe(false);
    expect(tampered.problems.map((p) => p.path)).toEqual(['report.csv']);
  });

  it('withholds the compliance claim while an asset has no class or no ePHI answer, in HTML, CSV and JSON', async () => {
    // Discovery (issue 12, point 1) records devices before anyone classifies them; the inventory allows it.
    const other = await createTestDatabase();
    try {
      await seedReportFixture(other.pool, policy);
      await other.pool.query(`UPDATE assets SET ephi = NULL WHERE hostname = 'ws-4'`);
      await other.pool.query(`UPDATE assets SET asset_class = NULL, ephi = NULL WHERE hostname = 'ws-3'`);
      const report = await buildMonthlyReport({ db: other.pool, policy, clientId: CLIENT, month: MONTH, now: DECEMBER });
      expect(report.compliance).toEqual({ status: 'blocked', unclassified: 2, reason: 'compliance claim blocked until 2 assets are classified' });
      expect(report.unclassified).toEqual([
        { hostname: 'ws-3', os: 'macos', missing: ['asset class', 'ePHI answer'] },
        { hostname: 'ws-4', os: 'windows', missing: ['ePHI answer'] },
      ]);
      const dir = mkdtempSync(join(tmpdir(), 'patchctl-report-'));
      await writeReportBundle(report, dir, { formats: ['html', 'csv', 'json'] });
      const html = readFileSync(join(dir, 'report.html'), 'utf8');
      expect(html).toContain('compliance claim blocked until 2 assets are classified');
      expect(html).toContain('<td>ws-3</td><td>macOS</td><td>asset class, ePHI answer</td>');
      expect(html).not.toContain('Compliance by tier');
      expect(html).not.toContain('Compliance by operating system');
      const csv = readFileSync(join(dir, 'report.csv'), 'utf8');
      expect(csv).toContain('clinic,2026-10,compliance,claim,blocked,compliance claim blocked until 2 assets are classified');
      expect(csv).toContain('clinic,2026-10,unclassified,ws-3,missing,asset class; ePHI answer');
      expect(csv).not.toContain('compliance-by-tier');
      const json = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
      expect(json.compliance).toEqual({ status: 'blocked', unclassified: 2, reason: 'compliance claim blocked until 2 assets are classified' });
      expect(json.unclassified).toHaveLength(2);
      // One asset alone is named in the singular.
      await other.pool.query(`UPDATE assets SET asset_class = 'workstation', ephi = false WHERE hostname = 'ws-3'`);
      const one = await buildMonthlyReport({ db: other.pool, policy, clientId: CLIENT, month: '2026-12', now: DECEMBER });
      expect(one.compliance).toMatchObject({ status: 'blocked', reason: 'compliance claim blocked until 1 asset is classified' });
    } finally {
      await other.drop();
    }
  });
});

describe('scorecard', () => {
  it('flags the client above its agreed failure threshold and counts after-hours patch tickets', async () => {
    // America/New_York: 14:00 UTC on a Tuesday is 10:00 local (business hours), 03:00 UTC is 23:00 the evening before.
    await db.pool.query('INSERT INTO patch_tickets (key, ticket_id, client_id, summary, opened_at) VALUES ($1, $2, $3, $4, $5), ($6, $7, $3, $4, $8)', [
      'k1', 'T-10', CLIENT, 'gate breached', '2026-10-20T14:00Z', 'k2', 'T-11', '2026-10-21T03:00Z',
    ]);
    await recordPatchTicket(db.pool, { key: 'k1', ticketId: 'T-10', clientId: CLIENT, summary: 'retried open' });
    const scorecard = await buildScorecard({ db: db.pool, policy, period: monthPeriod(MONTH), now: DECEMBER });
    const clinic = scorecard.rows.find((r) => r.clientId === CLIENT);
    expect(clinic).toMatchObject({
      compliance: { status: 'claimed', weakestTier: { assetClass: 'workstation', severity: 'critical', percent: 75 }, overdueAssets: 2 },
      activeExceptions: 1,
      oldestExceptionDays: 31,
      patchTickets: 2,
      afterHoursTickets: 1,
      failureRate: { rate: 0.25, exceedsThreshold: true },
      medianTimeToFixHours: null,
    });
    expect(scorecard.flagged).toEqual([CLIENT]);
  });

  it("holds each client to its own agreed failure threshold from the policy", async () => {
    const agreed = structuredClone(policy);
    const clinic = agreed.clients.find((c) => c.id === CLIENT);
    if (!clinic) throw new Error('fixture policy lacks the clinic');
    clinic.agreedFailureThreshold = 0.3;
    const scorecard = await buildScorecard({ db: db.pool, policy: agreed, period: monthPeriod(MONTH), now: DECEMBER });
    expect(scorecard.rows.find((r) => r.clientId === CLIENT)?.failureRate).toMatchObject({ rate: 0.25, threshold: 0.3, exceedsThreshold: false });
    expect(scorecard.flagged).toEqual([]);
    const report = await buildMonthlyReport({ db: db.pool, policy: agreed, clientId: CLIENT, month: MONTH, now: DECEMBER });
    expect(report.failureRate).toMatchObject({ threshold: 0.3, exceedsThreshold: false });
    clinic.agreedFailureThreshold = 0.2;
    const stricter = await buildScorecard({ db: db.pool, policy: agreed, period: monthPeriod(MONTH), now: DECEMBER });
    expect(stricter.flagged).toEqual([CLIENT]);
  });

  it('withholds the claim for devices discovery saw by the month’s end that nobody has classified, and lists them', async () => {
    const other = await createTestDatabase();
    try {
      await seedReportFixture(other.pool, policy);
      // Seen in October and never imported; seen only in November; seen in October and imported since (ws-1 is in the inventory).
      await other.pool.query(
        `INSERT INTO discovered_devices (client_id, hostname, os, role, sources, first_seen, last_seen, rmm_last_seen, unmanaged_since)
         VALUES ($1, 'scan-printer-7', NULL, NULL, '{scans/clinic.csv}', '2026-10-12T02:00:00Z', '2026-11-30T02:00:00Z', NULL, '2026-10-12T02:00:00Z'),
                ($1, 'new-laptop-9', 'windows', 'workstation', '{rmm}', '2026-10-20T02:00:00Z', '2026-11-30T02:00:00Z', '2026-11-30T02:00:00Z', NULL),
                ($1, 'nov-pc', 'windows', 'workstation', '{rmm}', '2026-11-03T02:00:00Z', '2026-11-30T02:00:00Z', '2026-11-30T02:00:00Z', NULL),
                ($1, 'ws-1', 'windows', 'workstation', '{rmm}', '2026-09-01T02:00:00Z', '2026-11-30T02:00:00Z', '2026-11-30T02:00:00Z', NULL)`,
        [CLIENT],
      );
      const report = await buildMonthlyReport({ db: other.pool, policy, clientId: CLIENT, month: MONTH, now: DECEMBER });
      expect(report.compliance).toEqual({ status: 'blocked', unclassified: 2, reason: 'compliance claim blocked until 2 assets are classified' });
      expect(report.unclassified).toEqual([
        { hostname: 'new-laptop-9', os: 'windows', missing: ['asset class', 'ePHI answer'], source: 'discovery' },
        { hostname: 'scan-printer-7', os: null, missing: ['asset class', 'ePHI answer'], source: 'discovery' },
      ]);
      const dir = mkdtempSync(join(tmpdir(), 'patchctl-report-'));
      await writeReportBundle(report, dir, { formats: ['html', 'csv'] });
      expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('<td>scan-printer-7</td><td>unknown</td><td>asset class, ePHI answer</td>');
      expect(readFileSync(join(dir, 'report.csv'), 'utf8')).toContain('clinic,2026-10,unclassified,new-laptop-9,missing,asset class; ePHI answer');
      // The scorecard of October says the same.
      const card = await buildScorecard({ db: other.pool, policy, period: monthPeriod(MONTH), now: DECEMBER });
      expect(card.rows.find((r) => r.clientId === CLIENT)!.compliance).toEqual({ status: 'blocked', reason: 'compliance claim blocked until 2 assets are classified' });
    } finally {
      await other.drop();
    }
  });
});
