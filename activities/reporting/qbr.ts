import type { KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PatchPolicy } from '../../config/policy-schema';
import { SEVERITIES } from '../../config/policy-schema';
import { quarterLabelAt, quarterOf, weakestBySeverity, type QbrSummary } from '../../domain/reporting/qbr';
import type { Queryable } from '../store/pool';
import { lineChartSvg } from './charts';
import { buildMonthlyReport } from './monthly-report-data';
import { prepareReportDir, sealBundle } from './report-bundle';
import { escapeHtml, REPORT_STYLE } from './report-html';
import { printHtmlToPdf, type PdfResult } from './report-pdf';

export const QBR_FORMATS = ['html', 'pdf', 'json'] as const;
export type QbrFormat = (typeof QBR_FORMATS)[number];

/**
 * The quarter's executive summary from the monthly reports of its months (closed months read their
 * month-end figures, the month under way is live, months not begun are left out).
 */
export async function buildQbrSummary(input: { db: Queryable; policy: PatchPolicy; clientId: string; quarter: string; now?: Date }): Promise<QbrSummary> {
  const now = input.now ?? new Date();
  const quarter = quarterOf(input.quarter);
  const begun = quarter.months.filter((m) => new Date(`${m}-01T00:00:00Z`) <= now);
  const reports = [];
  for (const month of begun) reports.push(await buildMonthlyReport({ db: input.db, policy: input.policy, clientId: input.clientId, month, now }));
  const last = reports[reports.length - 1];
  const client = input.policy.clients.find((c) => c.id === input.clientId);
  return {
    clientId: input.clientId,
    clientName: last?.clientName ?? client?.name ?? input.clientId,
    mspName: input.policy.msp.name,
    quarter: quarter.label,
    generatedAt: now.toISOString(),
    months: reports.map((r) => ({
      month: r.period.label,
      figures: r.figures.kind,
      status: r.compliance.status,
      ...(r.compliance.status === 'blocked' ? { blockedReason: r.compliance.reason } : {}),
      weakestBySeverity: weakestBySeverity(r.compliance),
      topRisksReduced: r.topRisksReduced.slice(0, 3),
    })),
    activeExceptions: last?.exceptions.exceptions ?? [],
    exceptionsAsOf: last ? (last.period.end < now.toISOString() ? last.period.end : now.toISOString()) : null,
  };
}

const pct = (value: number | undefined | null) => (value === undefined || value === null ? 'n/a' : `${value.toFixed(1)} %`);

export function renderQbrHtml(summary: QbrSummary): string {
  const chart = lineChartSvg({
    title: 'Compliance trend: weakest asset class per severity',
    categories: summary.months.map((m) => m.month),
    series: SEVERITIES.map((s) => ({ name: s, values: summary.months.map((m) => m.weakestBySeverity[s]?.percent ?? null) })),
    unit: '%',
    max: 100,
  });
  const trendRows = summary.months
    .map((m) => {
      const cells = m.status === 'blocked' ? [`<td colspan="3">${escapeHtml(m.blockedReason ?? 'blocked')}</td>`] : SEVERITIES.map((s) => `<td>${escapeHtml(m.weakestBySeverity[s] ? `${pct(m.weakestBySeverity[s]?.percent)} (${m.weakestBySeverity[s]?.assetClass})` : 'n/a')}</td>`);
      return `<tr><td>${escapeHtml(m.month)}</td>${cells.join('')}<td>${m.figures === 'month-end' ? 'month-end' : 'month under way'}</td></tr>`;
    })
    .join('');
  const exceptionRows = summary.activeExceptions
    .map((e) => `<tr><td>${escapeHtml(e.id)}</td><td>${escapeHtml(e.kind)}</td><td>${e.assets}</td><td>${escapeHtml(e.ticketId ?? '—')}</td><td>${escapeHtml(e.endsAt?.slice(0, 10) ?? '—')}</td><td>${e.remainingDays ?? '—'}</td></tr>`)
    .join('');
  const riskRows = summary.months
    .flatMap((m) => m.topRisksReduced.map((r) => `<tr><td>${escapeHtml(m.month)}</td><td>${escapeHtml(r.patchId)}</td><td>${escapeHtml(r.title)}</td><td>${escapeHtml(r.severity)}</td><td>${r.assets}</td><td>${r.ephiAssets}</td></tr>`))
    .join('');
  const empty = (text: string) => `<p class="empty">${escapeHtml(text)}</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(summary.clientName)} QBR ${escapeHtml(summary.quarter)}</title><style>${REPORT_STYLE}</style></head>
<body><section>
<header><h1>${escapeHtml(summary.clientName)} — quarterly business review ${escapeHtml(summary.quarter)}: executive summary</h1>
<p class="meta">Prepared by ${escapeHtml(summary.mspName)}; generated ${escapeHtml(summary.generatedAt)}. Each month's figures are as of that month's end.</p></header>
<h2>Compliance score trend</h2>
${summary.months.length ? `<div class="chart">${chart}</div>` : empty('the quarter has not begun')}
<table><thead><tr><th>month</th>${SEVERITIES.map((s) => `<th>${s} (weakest class)</th>`).join('')}<th>figures</th></tr></thead><tbody>${trendRows}</tbody></table>
<h2>Active exceptions${summary.exceptionsAsOf ? ` at ${escapeHtml(summary.exceptionsAsOf.slice(0, 10))}` : ''}</h2>
${exceptionRows ? `<table><thead><tr><th>exception</th><th>kind</th><th>assets</th><th>ticket</th><th>expires / review</th><th>days left</th></tr></thead><tbody>${exceptionRows}</tbody></table>` : empty('no active exceptions')}
<h2>Top risks reduced, by month</h2>
${riskRows ? `<table><thead><tr><th>month</th><th>patch</th><th>title</th><th>severity</th><th>assets</th><th>ePHI assets</th></tr></thead><tbody>${riskRows}</tbody></table>` : empty('no patch was verified this quarter')}
</section></body></html>
`;
}

/** Writes the summary's files into `dir` (no manifest): what a QBR bundle and the HIPAA bundle both hold. */
export async function writeQbrFiles(summary: QbrSummary, dir: string, formats: readonly QbrFormat[], options: { chromium?: string; prefix?: string } = {}): Promise<{ files: string[]; pdf?: PdfResult }> {
  const name = (ext: string) => `${options.prefix ?? 'qbr'}.${ext}`;
  const files: string[] = [];
  let pdf: PdfResult | undefined;
  if (formats.includes('html') || formats.includes('pdf')) {
    writeFileSync(join(dir, name('html')), renderQbrHtml(summary));
    files.push(name('html'));
  }
  if (formats.includes('pdf')) {
    pdf = await printHtmlToPdf(join(dir, name('html')), join(dir, name('pdf')), { chromium: options.chromium });
    if (pdf.ok) files.push(name('pdf'));
  }
  if (formats.includes('json')) {
    writeFileSync(join(dir, name('json')), `${JSON.stringify(summary, null, 2)}\n`);
    files.push(name('json'));
  }
  return { files, pdf };
}

/** `report qbr`: the summary in its own sealed folder (manifest, and signature with a key). */
export async function writeQbrBundle(summary: QbrSummary, dir: string, options: { formats?: readonly QbrFormat[]; signingKey?: KeyObject; chromium?: string; now?: Date } = {}) {
  prepareReportDir(dir, (file) => /^qbr\.(html|pdf|json)$/.test(file));
  const { pdf } = await writeQbrFiles(summary, dir, options.formats ?? QBR_FORMATS, options);
  const quarter = quarterOf(summary.quarter);
  const { manifest, manifestSha256 } = sealBundle(dir, { clientId: summary.clientId, period: { from: quarter.start.toISOString(), to: quarter.end.toISOString() }, createdAt: (options.now ?? new Date()).toISOString() }, options.signingKey);
  return { dir, files: manifest.files.map((f) => f.path), pdf, signed: Boolean(options.signingKey), manifestSha256 };
}

/**
 * The HIPAA bundle's hook: the QBR executive summary of the quarter that holds the bundle's last day,
 * as `qbr-summary.html` and `qbr-summary.json`, written before the bundle's manifest seals it.
 */
export async function addQbrSummaryToBundle(input: { db: Queryable; policy: PatchPolicy; clientId: string; lastDay: Date; dir: string; now?: Date }): Promise<string[]> {
  const summary = await buildQbrSummary({ db: input.db, policy: input.policy, clientId: input.clientId, quarter: quarterLabelAt(input.lastDay), now: input.now });
  return (await writeQbrFiles(summary, input.dir, ['html', 'json'], { prefix: 'qbr-summary' })).files;
}
