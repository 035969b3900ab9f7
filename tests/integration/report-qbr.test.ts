import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportHipaaEvidence } from '../../activities/evidence/hipaa-bundle';
import { verifyBundle } from '../../activities/evidence/manifest';
import { buildQbrSummary, writeQbrBundle } from '../../activities/reporting/qbr';
import { loadTestPolicy } from '../support/cycle-harness';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { CLIENT, seedReportFixture } from '../support/report-fixture';

// The QBR executive summary of 2026-Q4 for the hand-computed clinic fleet, generated on Dec 2:
// October and November are closed (month-end figures), December is under way (live).

let db: TestDatabase;
const policy = loadTestPolicy();
const DECEMBER = new Date('2026-12-02T09:00:00Z');

beforeAll(async () => {
  db = await createTestDatabase();
  await seedReportFixture(db.pool, policy);
});
afterAll(async () => {
  await db?.drop();
});

describe('QBR executive summary', () => {
  it('shows the compliance trend per month, the exceptions in force with expiry and each month’s top risks reduced', async () => {
    const summary = await buildQbrSummary({ db: db.pool, policy, clientId: CLIENT, quarter: '2026-Q4', now: DECEMBER });
    expect(summary.months.map((m) => [m.month, m.figures])).toEqual([
      ['2026-10', 'month-end'],
      ['2026-11', 'month-end'],
      ['2026-12', 'live'],
    ]);
    expect(summary.months[0]).toMatchObject({
      status: 'claimed',
      weakestBySeverity: { critical: { assetClass: 'workstation', percent: 75 }, high: { assetClass: 'workstation', percent: 75 }, routine: { percent: 100 } },
      topRisksReduced: [{ patchId: 'KB-CRIT', assets: 3, ephiAssets: 2 }],
    });
    // As of Dec 2: ex-1 (until Dec 31) and ex-3 (approved Nov 3, until Jan 15); ex-2 was revoked.
    expect(summary.activeExceptions.map((e) => [e.id, e.endsAt])).toEqual([
      ['ex-1', '2026-12-31T00:00:00.000Z'],
      ['ex-3', '2027-01-15T00:00:00.000Z'],
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'patchctl-qbr-'));
    const bundle = await writeQbrBundle(summary, dir, { formats: ['html', 'json'], now: DECEMBER });
    expect(bundle.files).toEqual(['qbr.html', 'qbr.json']);
    const html = readFileSync(join(dir, 'qbr.html'), 'utf8');
    expect(html).toContain('quarterly business review 2026-Q4');
    expect(html).toContain('<svg');
    expect(html).toContain('<td>ex-3</td>');
    expect(html).toContain('2027-01-15');
    expect(html).not.toMatch(/<script/i);
    expect(JSON.parse(readFileSync(join(dir, 'qbr.json'), 'utf8')).quarter).toBe('2026-Q4');
    expect(verifyBundle(dir, undefined, { allowUnsigned: true })).toMatchObject({ ok: true });
  });

  it('is part of the HIPAA evidence bundle, sealed by its manifest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'patchctl-hipaa-'));
    const result = await exportHipaaEvidence({ db: db.pool, clientId: CLIENT, from: '2026-10-01', to: '2026-12-31', dir, policy, now: () => DECEMBER });
    expect(result.manifest.files.map((f) => f.path)).toEqual(expect.arrayContaining(['qbr-summary.html', 'qbr-summary.json']));
    expect(JSON.parse(readFileSync(join(dir, 'qbr-summary.json'), 'utf8'))).toMatchObject({ quarter: '2026-Q4', clientId: CLIENT });
  });
});
