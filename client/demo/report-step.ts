import { produceMonthlyReport } from '../../activities/reporting/monthly-report-use-case';
import { createPool } from '../../activities/store/pool';
import type { PatchPolicy } from '../../config/policy-schema';

// The demo's last step: the monthly report of one clinic for the month under way (so it shows the
// cycles the demo just ran), as the client would receive it: HTML, PDF and CSV, sealed by a manifest.

export interface DemoReport {
  clientId: string;
  month: string;
  dir: string;
  files: string[];
  /** Why there is no PDF (no Chromium on this machine), when there is none. */
  pdfProblem?: string;
}

export async function demoMonthlyReport(input: { databaseUrl: string; policy: PatchPolicy; clientId: string; now?: Date; env?: NodeJS.ProcessEnv }): Promise<DemoReport> {
  const month = (input.now ?? new Date()).toISOString().slice(0, 7);
  const db = createPool(input.databaseUrl, 2);
  try {
    const written = await produceMonthlyReport({ db, policy: input.policy, clientId: input.clientId, month, formats: ['html', 'pdf', 'csv'], env: input.env });
    return { clientId: input.clientId, month, dir: written.dir, files: written.files, ...(written.pdf && !written.pdf.ok ? { pdfProblem: written.pdf.reason } : {}) };
  } finally {
    await db.end();
  }
}

export function demoReportLines(report: DemoReport): string[] {
  return [
    `\nmonthly report of ${report.clientId} for ${report.month} (month under way, figures as of now): ${report.dir}`,
    `  ${report.files.join(', ')} + manifest.json`,
    ...(report.pdfProblem ? [`  no PDF: ${report.pdfProblem}`] : []),
  ];
}
