import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMonthlyReport } from '../../activities/reporting/monthly-report-data';
import { REPORT_PAGES } from '../../activities/reporting/report-html';
import { writeReportBundle } from '../../activities/reporting/report-bundle';
import { CHROMIUM_MISSING, findChromium } from '../../activities/reporting/report-pdf';
import { loadTestPolicy } from '../support/cycle-harness';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { CLIENT, MONTH, seedReportFixture } from '../support/report-fixture';

// The client's PDF, printed by the real headless Chromium (Debian's package) and rasterised by
// pdftoppm: it has the report's pages, each with ink on it. Setup and CI install both when missing.

let db: TestDatabase;
const policy = loadTestPolicy();

beforeAll(async () => {
  db = await createTestDatabase();
  await seedReportFixture(db.pool, policy);
});
afterAll(async () => {
  await db?.drop();
});

describe('monthly report PDF', () => {
  it('is printed by Chromium with one page per section, each page rendering to a PNG', async () => {
    expect(findChromium(), 'chromium must be installed (npm run setup / .ci/run install it)').toBeDefined();
    const report = await buildMonthlyReport({ db: db.pool, policy, clientId: CLIENT, month: MONTH, now: new Date('2026-12-02T09:00:00Z') });
    const dir = mkdtempSync(join(tmpdir(), 'patchctl-report-pdf-'));
    const bundle = await writeReportBundle(report, dir, { formats: ['pdf'] });
    expect(bundle.pdf).toEqual({ ok: true, file: join(dir, 'report.pdf') });
    expect(bundle.files).toEqual(['report.html', 'report.pdf']);
    const pdf = readFileSync(join(dir, 'report.pdf'));
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');

    const pages = join(dir, 'pages');
    execFileSync('mkdir', ['-p', pages]);
    execFileSync('pdftoppm', ['-png', '-r', '40', join(dir, 'report.pdf'), join(pages, 'page')]);
    const pngs = readdirSync(pages).filter((f) => f.endsWith('.png')).sort();
    expect(pngs).toHaveLength(REPORT_PAGES);
    for (const png of pngs) {
      const bytes = readFileSync(join(pages, png));
      expect(bytes.subarray(1, 4).toString()).toBe('PNG');
      // A blank A4 page at 40 dpi compresses to well under 1 kB; a page with tables and charts does not.
      expect(bytes.length).toBeGreaterThan(4000);
    }
    const text = execFileSync('pdftotext', [join(dir, 'report.pdf'), '-']).toString();
    expect(text).toContain('Test Clinic — monthly patch report 2026-10');
    expect(text).toContain('Exceptions and deferrals');
    expect(text).toContain('Top risks reduced');
  });

  it('falls back to HTML with a message naming the fix when there is no Chromium', async () => {
    const report = await buildMonthlyReport({ db: db.pool, policy, clientId: CLIENT, month: MONTH });
    const dir = mkdtempSync(join(tmpdir(), 'patchctl-report-nopdf-'));
    const bundle = await writeReportBundle(report, dir, { formats: ['pdf'], chromium: join(dir, 'no-such-chromium') });
    expect(bundle.pdf?.ok).toBe(false);
    expect(bundle.files).toEqual(['report.html']);
    expect(CHROMIUM_MISSING).toContain('apt-get install chromium');
  });
});
