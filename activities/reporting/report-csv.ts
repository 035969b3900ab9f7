import type { MonthlyReport } from '../../domain/reporting/monthly-report';
import { toCsv } from '../evidence/csv';

/**
 * The monthly report as one CSV for auditors: one row per figure (section, key, measure, value), so
 * every number of the PDF is there, machine-readable, with nothing blended.
 */
export function monthlyReportCsv(report: MonthlyReport): string {
  const rows: (string | number | null)[][] = [];
  const put = (section: string, key: string, measure: string, value: string | number | null | undefined) => rows.push([report.clientId, report.period.label, section, key, measure, value ?? null]);
  put('figures', 'all', report.figures.kind, report.figures.computedAt);
  put('fleet', 'all', 'assets', report.assets);
  put('fleet', 'all', 'ephi-assets', report.ephiAssets);
  if (report.compliance.status === 'blocked') {
    put('compliance', 'claim', 'blocked', report.compliance.reason);
    for (const a of report.unclassified) put('unclassified', a.hostname, 'missing', a.missing.join('; '));
  } else {
    for (const t of report.compliance.byTier) {
      const key = `${t.assetClass}/${t.severity}`;
      put('compliance-by-tier', key, 'percent', t.percent ?? null);
      put('compliance-by-tier', key, 'in-scope', t.inScope);
      put('compliance-by-tier', key, 'verified', t.verified);
      put('compliance-by-tier', key, 'within-sla', t.withinSla);
      put('compliance-by-tier', key, 'overdue', t.overdue);
      put('compliance-by-tier', key, 'excepted', t.excepted);
    }
    for (const o of report.compliance.byOs) {
      put('compliance-by-os', o.os, 'percent', o.percent ?? null);
      put('compliance-by-os', o.os, 'in-scope', o.inScope);
      put('compliance-by-os', o.os, 'verified', o.verified);
      put('compliance-by-os', o.os, 'within-sla', o.withinSla);
      put('compliance-by-os', o.os, 'overdue', o.overdue);
      put('compliance-by-os', o.os, 'excepted', o.excepted);
    }
  }
  for (const e of report.exceptions.exceptions) {
    put('exceptions', e.id, 'kind', e.kind);
    put('exceptions', e.id, 'assets', e.assets);
    put('exceptions', e.id, 'ends-at', e.endsAt);
    put('exceptions', e.id, 'age-days', e.ageDays);
    put('exceptions', e.id, 'granted-days', e.grantedDays);
  }
  for (const r of report.remediation) {
    const key = `${r.assetClass}/${r.severity}`;
    put('time-to-remediate', key, 'remediated', r.remediated);
    put('time-to-remediate', key, 'median-hours', r.medianHours);
    put('time-to-remediate', key, 'p90-hours', r.p90Hours);
    put('time-to-remediate', key, 'sla-hours', r.slaHours);
    put('time-to-remediate', key, 'within-sla-share', Number(r.withinSlaShare.toFixed(4)));
  }
  put('failure-rate', 'all', 'attempted', report.failureRate.attempted);
  put('failure-rate', 'all', 'failed', report.failureRate.failed);
  put('failure-rate', 'all', 'rate', Number(report.failureRate.rate.toFixed(4)));
  put('failure-rate', 'all', 'threshold', report.failureRate.threshold);
  put('rollbacks', 'all', 'cycles', report.rollbacks.cycles.length);
  put('rollbacks', 'all', 'asset-deployments', report.rollbacks.assetPatches);
  for (const c of report.rollbacks.cycles) put('rollbacks', c.cycleId, 'reason', c.reason);
  for (const r of report.topRisksReduced) put('top-risks-reduced', r.patchId, `${r.severity}: assets (ePHI)`, `${r.assets} (${r.ephiAssets})`);
  return toCsv(['client', 'period', 'section', 'key', 'measure', 'value'], rows);
}
