import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMonthlyReport } from '../../activities/reporting/monthly-report-data';
import { writeReportBundle } from '../../activities/reporting/report-bundle';
import { importAssets } from '../../activities/store/inventory-store';
import type { TierCompliance } from '../../domain/reporting/compliance';
import type { MonthlyReport } from '../../domain/reporting/monthly-report';
import { loadTestPolicy } from '../support/cycle-harness';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { CLIENT, MONTH, seedReportFixture } from '../support/report-fixture';

// A closed month is computed once, from the state history as of its end, and every later report of
// that month reads those month-end figures: what changes after the close (an asset reclassified, a
// late record stamped inside the month) never rewrites the month a client was already told about.

let db: TestDatabase;
const policy = loadTestPolicy();
const CLOSED = new Date('2026-11-02T06:00:00Z');
const DECEMBER = new Date('2026-12-02T09:00:00Z');

beforeAll(async () => {
  db = await createTestDatabase();
  await seedReportFixture(db.pool, policy);
});
afterAll(async () => {
  await db?.drop();
});

const tier = (report: MonthlyReport, assetClass: string, severity: string): TierCompliance | undefined =>
  report.compliance.status === 'claimed' ? report.compliance.byTier.find((t) => t.assetClass === assetClass && t.severity === severity) : undefined;

describe('a closed month', () => {
  it('keeps its month-end figures after later changes, while an open month sees them', async () => {
    const first = await buildMonthlyReport({ db: db.pool, policy, clientId: CLIENT, month: MONTH, now: CLOSED });
    expect(first.figures.kind).toBe('month-end');
    expect(tier(first, 'workstation', 'critical')).toMatchObject({ inScope: 4, verified: 3, overdue: 1, percent: 75 });

    // November: ws-3 (macOS, its critical patch deployed but never verified) is reclassified as a
    // core server, and a verification of it stamped in October arrives late.
    await importAssets(db.pool, CLIENT, [{ hostname: 'ws-3', os: 'macos', role: 'server', assetClass: 'core-server', owner: 'front desk', location: 'main', ephi: false, tags: [], applications: [] }]);
    await db.pool.query(
      `INSERT INTO patch_state_events (asset_id, patch_id, cycle_id, ring, to_state, at)
       SELECT id, 'KB-CRIT', 'clinic/c1', 'canary', 'verified', '2026-10-20T00:00Z' FROM assets WHERE client_id = $1 AND hostname = 'ws-3'`,
      [CLIENT],
    );
    await db.pool.query(`UPDATE asset_patch_state SET state = 'verified', updated_at = '2026-11-20T00:00Z' WHERE asset_id = (SELECT id FROM assets WHERE client_id = $1 AND hostname = 'ws-3')`, [CLIENT]);

    const later = await buildMonthlyReport({ db: db.pool, policy, clientId: CLIENT, month: MONTH, now: DECEMBER });
    expect(later.figures).toEqual(first.figures);
    expect(later.compliance).toEqual(first.compliance);
    expect(tier(later, 'core-server', 'critical')).toMatchObject({ inScope: 1 });
    expect(later.remediation).toEqual(first.remediation);
    expect(later.exceptions).toEqual(first.exceptions);

    // November is still open on Nov 20: computed live, with ws-3 a core server now.
    const november = await buildMonthlyReport({ db: db.pool, policy, clientId: CLIENT, month: '2026-11', now: new Date('2026-11-20T12:00:00Z') });
    expect(november.figures.kind).toBe('live');
    expect(tier(november, 'core-server', 'critical')).toMatchObject({ inScope: 2 });
    const { rows } = await db.pool.query('SELECT period FROM report_month_figures WHERE client_id = $1 ORDER BY period', [CLIENT]);
    expect(rows).toEqual([{ period: MONTH }]);
  });

  it('says in the report that its figures are the month-end ones, and when they were computed', async () => {
    const report = await buildMonthlyReport({ db: db.pool, policy, clientId: CLIENT, month: MONTH, now: DECEMBER });
    const dir = mkdtempSync(join(tmpdir(), 'patchctl-report-'));
    await writeReportBundle(report, dir, { formats: ['html', 'csv'] });
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain(`Month-end figures, computed once on ${report.figures.computedAt.slice(0, 10)} after the month closed`);
    expect(readFileSync(join(dir, 'report.csv'), 'utf8')).toContain(`clinic,2026-10,figures,all,month-end,${report.figures.computedAt}`);
  });
});
