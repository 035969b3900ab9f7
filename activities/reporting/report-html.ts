import { ASSET_CLASSES, SEVERITIES } from '../../config/policy-schema';
import type { ComplianceCell } from '../../domain/reporting/compliance';
import { AGING_BUCKETS } from '../../domain/reporting/deferral-aging';
import type { MonthlyReport } from '../../domain/reporting/monthly-report';
import { barChartSvg } from './charts';

// The client's monthly report as one self-contained HTML page (inline CSS, inline SVG charts). Three
// printed A4 pages, each section starting a page: compliance; exceptions and deferrals; delivery.

export const REPORT_PAGES = 3;

const CLASS_LABEL: Record<string, string> = { 'core-server': 'Core servers', workstation: 'Workstations', 'do-not-disrupt': '"Do not disrupt" systems' };
const OS_LABEL: Record<string, string> = { windows: 'Windows', macos: 'macOS', linux: 'Linux' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const pct = (value: number | undefined) => (value === undefined ? 'n/a' : `${value.toFixed(1)} %`);
const day = (iso: string | null) => (iso ? iso.slice(0, 10) : '—');

function table(headers: string[], rows: (string | number)[][], empty: string): string {
  if (rows.length === 0) return `<p class="empty">${escapeHtml(empty)}</p>`;
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(String(c))}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

const cellColumns = (c: ComplianceCell) => [pct(c.percent), c.inScope, c.verified, c.withinSla, c.overdue, c.excepted];
const CELL_HEADERS = ['compliance', 'in scope', 'verified', 'within SLA', 'overdue', 'excepted (not counted)'];

function compliancePage(report: MonthlyReport): string {
  const claim = report.compliance;
  if (claim.status === 'blocked') {
    const rows = report.unclassified.map((a) => [a.hostname, a.os === null ? 'unknown' : (OS_LABEL[a.os] ?? a.os), a.missing.join(', ')]);
    return `<h2>Patch compliance</h2>
      <p class="blocked"><strong>No compliance figure is claimed for ${escapeHtml(report.period.label)}: ${escapeHtml(claim.reason)}.</strong>
        An asset without an asset class or an ePHI answer has no SLA tier, so no figure could be proven; classify the assets below (inventory import) and the next report shows the figures.</p>
      <h3>Unclassified assets</h3>${table(['hostname', 'OS', 'missing'], rows, 'none')}`;
  }
  const tierRows = claim.byTier.map((t) => [CLASS_LABEL[t.assetClass] ?? t.assetClass, t.severity, ...cellColumns(t)]);
  const osRows = claim.byOs.map((o) => [OS_LABEL[o.os] ?? o.os, ...cellColumns(o)]);
  const classes = ASSET_CLASSES.filter((c) => claim.byTier.some((t) => t.assetClass === c));
  const tierChart = barChartSvg({
    title: 'Compliance by tier (asset class × severity)',
    categories: classes.map((c) => CLASS_LABEL[c] ?? c),
    series: SEVERITIES.map((s) => ({ name: s, values: classes.map((c) => claim.byTier.find((t) => t.assetClass === c && t.severity === s)?.percent ?? null) })),
    unit: '%',
    max: 100,
  });
  const osChart = barChartSvg({
    title: 'Compliance by operating system',
    categories: claim.byOs.map((o) => OS_LABEL[o.os] ?? o.os),
    series: [{ name: 'compliance', values: claim.byOs.map((o) => o.percent ?? null) }],
    unit: '%',
    max: 100,
    height: 200,
  });
  return `<h2>Patch compliance</h2>
    <p class="note">Compliant: every patch detected by the end of the month is verified (re-scan and workload checks), or still inside its SLA window. Deployed but unverified patches are not compliant. Assets under an active exception are counted separately and never as compliant. There is no blended figure.</p>
    <div class="chart">${tierChart}</div>
    ${table(['asset class', 'severity', ...CELL_HEADERS], tierRows, 'no assets')}
    <div class="chart">${osChart}</div>
    ${table(['operating system', ...CELL_HEADERS], osRows, 'no assets')}`;
}

function exceptionsPage(report: MonthlyReport): string {
  const aging = report.exceptions;
  const chart = barChartSvg({
    title: 'Age of active exceptions at month end',
    categories: [...AGING_BUCKETS],
    series: [{ name: 'exceptions', values: AGING_BUCKETS.map((b) => aging.buckets[b]) }],
    unit: '',
    height: 200,
  });
  const rows = aging.exceptions.map((e) => [e.id, e.kind, e.assets, e.patches.join(' ') || 'all', e.ticketId ?? '—', day(e.endsAt), e.ageDays, e.grantedDays ?? '—', e.remainingDays ?? '—']);
  return `<h2>Exceptions and deferrals</h2>
    <p>${aging.active} active exception${aging.active === 1 ? '' : 's'} at month end: ${aging.deferrals} deferral${aging.deferrals === 1 ? '' : 's'}, ${aging.isolatedLanes} isolated lane${aging.isolatedLanes === 1 ? '' : 's'}.
       Oldest: ${aging.oldestDays ?? '—'} days. Average duration granted: ${aging.averageGrantedDays ?? '—'} days.</p>
    <div class="chart">${chart}</div>
    ${table(['exception', 'kind', 'assets', 'patches', 'ticket', 'expires / review', 'age (d)', 'granted (d)', 'remaining (d)'], rows, 'no active exceptions')}`;
}

function deliveryPage(report: MonthlyReport): string {
  const ttrRows = report.remediation.map((r) => [CLASS_LABEL[r.assetClass] ?? r.assetClass, r.severity, r.remediated, r.medianHours, r.p90Hours, r.maxHours, r.slaHours, `${(100 * r.withinSlaShare).toFixed(1)} %`]);
  const ttrChart =
    report.remediation.length === 0
      ? ''
      : `<div class="chart">${barChartSvg({
          title: 'Median time-to-remediate vs SLA window (hours)',
          categories: report.remediation.map((r) => `${r.assetClass}/${r.severity}`),
          series: [
            { name: 'median', values: report.remediation.map((r) => r.medianHours) },
            { name: 'SLA', values: report.remediation.map((r) => r.slaHours) },
          ],
          unit: 'h',
          height: 200,
        })}</div>`;
  const f = report.failureRate;
  const riskRows = report.topRisksReduced.map((r) => [r.patchId, r.title, r.severity, r.assets, r.ephiAssets]);
  const rollbackRows = report.rollbacks.cycles.map((c) => [c.cycleId, day(c.endedAt), c.reason ?? '']);
  return `<h2>Delivery</h2>
    <h3>Time to remediate (detection → verification) by tier</h3>
    ${ttrChart}
    ${table(['asset class', 'severity', 'remediated', 'median h', 'p90 h', 'max h', 'SLA h', 'within SLA'], ttrRows, 'nothing was verified this month')}
    <h3>Patch failure rate</h3>
    <p>${f.failed} of ${f.attempted} deployments failed (${(100 * f.rate).toFixed(1)} %; agreed threshold ${(100 * f.threshold).toFixed(1)} %)${f.exceedsThreshold ? ' — <strong>above the agreed threshold</strong>' : ''}.</p>
    <h3>Rollbacks</h3>
    <p>${report.rollbacks.cycles.length} cycle${report.rollbacks.cycles.length === 1 ? '' : 's'} rolled back; ${report.rollbacks.assetPatches} asset deployment${report.rollbacks.assetPatches === 1 ? '' : 's'} undone.</p>
    ${table(['cycle', 'ended', 'reason'], rollbackRows, 'no rollbacks')}
    <h3>Top risks reduced</h3>
    ${table(['patch', 'title', 'severity', 'assets', 'ePHI assets'], riskRows, 'no patch was verified this month')}`;
}

/** One look for every printed report (monthly, QBR): A4 pages, inline CSS. */
export const REPORT_STYLE = `
  @page { size: A4; margin: 14mm 12mm; }
  body { font-family: 'DejaVu Sans', Arial, sans-serif; font-size: 10.5px; color: #111; margin: 0; }
  header { border-bottom: 2px solid #1e3a8a; margin-bottom: 8px; }
  h1 { font-size: 18px; margin: 0 0 2px; color: #1e3a8a; }
  h2 { font-size: 15px; margin: 6px 0; color: #1e3a8a; }
  h3 { font-size: 12px; margin: 10px 0 4px; }
  section { break-before: page; page-break-before: always; }
  section:first-of-type { break-before: auto; page-break-before: auto; }
  table { border-collapse: collapse; width: 100%; margin: 4px 0 8px; }
  th, td { border: 1px solid #cbd5e1; padding: 2px 4px; text-align: left; }
  th { background: #e2e8f0; }
  .note, .empty { color: #475569; }
  .blocked { border: 2px solid #b91c1c; padding: 8px; color: #7f1d1d; }
  .chart svg { display: block; }
  .meta { color: #475569; }`;

function figuresNote(report: MonthlyReport): string {
  return report.figures.kind === 'month-end'
    ? `Month-end figures, computed once on ${report.figures.computedAt.slice(0, 10)} after the month closed; every report of ${report.period.label} shows these same figures.`
    : `The month is still open: figures computed live on ${report.figures.computedAt.slice(0, 10)} and final only once it has closed.`;
}

export function renderMonthlyReportHtml(report: MonthlyReport): string {
  const heading = `<header><h1>${escapeHtml(report.clientName)} — monthly patch report ${escapeHtml(report.period.label)}</h1>
    <p class="meta">Prepared by ${escapeHtml(report.mspName)}. Figures as of ${escapeHtml(report.period.end)} (end of the month, UTC); generated ${escapeHtml(report.generatedAt)}.
    ${report.assets} assets, ${report.ephiAssets} ePHI systems.</p>
    <p class="meta">${escapeHtml(figuresNote(report))}</p></header>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(report.clientName)} patch report ${escapeHtml(report.period.label)}</title><style>${REPORT_STYLE}</style></head>
<body>
<section>${heading}${compliancePage(report)}</section>
<section>${exceptionsPage(report)}</section>
<section>${deliveryPage(report)}</section>
</body></html>
`;
}
