import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ActivityDeps } from '../deps';
import type { MailAttachment } from '../ports';
import { failure } from '../../domain/failure-catalog';
import { getClient } from '../store/client-store';
import { claimReportMail, getReportRun, recordReportBuilt } from '../store/report-store';
import { buildMonthlyReport } from './monthly-report-data';
import { patchctlHome, reportDir, signingKeyFromEnv, writeReportBundle } from './report-bundle';

// The scheduled monthly report, as activities: build and store one client's bundle, then mail it once.

export interface BuiltMonthlyReport {
  clientId: string;
  month: string;
  dir: string;
  manifestSha256: string;
  /** false when Chromium was missing or failed: the mail then carries the HTML instead. */
  pdf: boolean;
  pdfProblem?: string;
  /** The month was already mailed by an earlier run: the stored bundle is kept exactly as it was sent. */
  alreadyMailed: boolean;
}

export interface ReportActivityOptions {
  /** Where bundles are stored; default `.patchctl/reports` of the worker's directory (or PATCHCTL_HOME). */
  home?: string;
  env?: NodeJS.ProcessEnv;
}

export async function buildClientMonthlyReport(deps: ActivityDeps, input: { clientId: string; month: string }, options: ReportActivityOptions = {}): Promise<BuiltMonthlyReport> {
  const previous = await getReportRun(deps.db, input.clientId, input.month);
  if (previous?.mailedAt && previous.dir && previous.manifestSha256) {
    return { ...input, dir: previous.dir, manifestSha256: previous.manifestSha256, pdf: existsSync(join(previous.dir, 'report.pdf')), alreadyMailed: true };
  }
  const env = options.env ?? process.env;
  const dir = reportDir(options.home ?? patchctlHome(env), input.clientId, input.month);
  const report = await buildMonthlyReport({ db: deps.db, policy: deps.policy, clientId: input.clientId, month: input.month });
  const bundle = await writeReportBundle(report, dir, { signingKey: signingKeyFromEnv(env) });
  await recordReportBuilt(deps.db, { clientId: input.clientId, period: input.month, dir, manifestSha256: bundle.manifestSha256 });
  const pdfProblem = bundle.pdf && !bundle.pdf.ok ? bundle.pdf.reason : undefined;
  return { ...input, dir, manifestSha256: bundle.manifestSha256, pdf: bundle.pdf?.ok === true, pdfProblem, alreadyMailed: false };
}

export interface MailedMonthlyReport {
  clientId: string;
  month: string;
  mailed: boolean;
  to: string[];
  reason?: string;
}

/**
 * Mails the stored report to the client owner with the PDF attached (the HTML when there is no PDF).
 * The mail is claimed in report_runs under this run's message id (`runId`: the workflow id) first: a retry of this activity
 * resends the same message (same Message-ID), another run of the same month sends nothing.
 */
export async function mailClientMonthlyReport(deps: ActivityDeps, input: BuiltMonthlyReport & { runId: string }): Promise<MailedMonthlyReport> {
  const client = await getClient(deps.db, input.clientId);
  if (!client) throw failure('NotFound', `no client "${input.clientId}" in the patchctl database`);
  const to = [client.owner];
  const messageId = `report/${input.clientId}/${input.month}/${input.runId}@patchctl`;
  const claimed = await claimReportMail(deps.db, { clientId: input.clientId, period: input.month, to, messageId });
  if (!claimed) return { clientId: input.clientId, month: input.month, mailed: false, to, reason: 'already mailed by an earlier run' };
  const pdf = join(input.dir, 'report.pdf');
  const attachment: MailAttachment = existsSync(pdf)
    ? { filename: `${input.clientId}-patch-report-${input.month}.pdf`, path: pdf, contentType: 'application/pdf' }
    : { filename: `${input.clientId}-patch-report-${input.month}.html`, path: join(input.dir, 'report.html'), contentType: 'text/html' };
  await deps.mailer.send({
    messageId,
    to,
    subject: `${client.name}: monthly patch report ${input.month}`,
    text: [
      `Hello,`,
      ``,
      `attached is the patch compliance report of ${client.name} for ${input.month}: compliance by tier and by operating system, active exceptions with their expiry, deferral aging, time-to-remediate against the SLA, failure rate and rollbacks.`,
      input.pdf ? '' : `The PDF could not be produced this time, so the report is attached as HTML (open it in any browser).`,
      `Every file of the report is listed with its SHA-256 in the stored manifest (manifest.json sha256 ${input.manifestSha256}).`,
      ``,
      deps.policy.msp.name,
    ].join('\n'),
    attachments: [attachment],
  });
  return { clientId: input.clientId, month: input.month, mailed: true, to };
}

/** The clients a scheduled run reports on: every client of the policy that is stored. */
export async function listReportClients(deps: ActivityDeps): Promise<string[]> {
  const ids = deps.policy.clients.map((c) => c.id);
  const { rows } = await deps.db.query<{ id: string }>('SELECT id FROM clients WHERE id = ANY($1::text[]) ORDER BY id', [ids]);
  return rows.map((r) => r.id);
}
