import { proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { PatchctlActivities } from '../../activities/create-activities';
import { previousMonth } from '../../domain/reporting/period';
import { monthlyReportProgressQuery, type MonthlyReportRunInput, type MonthlyReportRunResult } from './messages';
import { quickActivity } from '../activity-options';

const { listReportClients, mailClientMonthlyReport } = proxyActivities<PatchctlActivities>(quickActivity);
// Printing a PDF with Chromium takes seconds; a large fleet's queries too.
const { buildClientMonthlyReport } = proxyActivities<PatchctlActivities>({ ...quickActivity, startToCloseTimeout: '10m' });

/** Clients reported on at once: keeps Chromium processes and database load bounded on a small worker. */
const PARALLEL_CLIENTS = 4;

/**
 * The monthly report (started by the 1st-of-the-month Schedule): for each client, build the report of
 * the month just ended as of its last day, store it with its manifest, and mail it to the client
 * owner with the PDF attached. Idempotent per (client, month): a second run finds the month mailed
 * and sends nothing.
 */
export async function monthlyReport(input: MonthlyReportRunInput = {}): Promise<MonthlyReportRunResult> {
  const month = input.month ?? previousMonth(new Date());
  const result: MonthlyReportRunResult = { month, clients: [] };
  setHandler(monthlyReportProgressQuery, () => result);

  const clients = input.clients ?? (await listReportClients());
  for (let start = 0; start < clients.length; start += PARALLEL_CLIENTS) {
    await Promise.all(
      clients.slice(start, start + PARALLEL_CLIENTS).map(async (clientId) => {
        const built = await buildClientMonthlyReport({ clientId, month });
        const mail = await mailClientMonthlyReport({ ...built, runId: workflowInfo().workflowId });
        result.clients.push({ clientId, dir: built.dir, pdf: built.pdf, pdfProblem: built.pdfProblem, mailed: mail.mailed, reason: mail.reason });
      }),
    );
  }
  result.clients.sort((a, b) => a.clientId.localeCompare(b.clientId));
  return result;
}
