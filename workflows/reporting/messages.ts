import { defineQuery } from '@temporalio/workflow';

export interface MonthlyReportClientResult {
  clientId: string;
  dir: string;
  pdf: boolean;
  pdfProblem?: string;
  mailed: boolean;
  /** Why no mail went out (already mailed by an earlier run). */
  reason?: string;
}

export interface MonthlyReportRunInput {
  /** YYYY-MM; default: the month before the one the run starts in (what the 1st-of-month schedule wants). */
  month?: string;
  /** Only these clients; default every client of the policy. */
  clients?: string[];
}

export interface MonthlyReportRunResult {
  month: string;
  clients: MonthlyReportClientResult[];
}

/** Progress of a run: the month and each client's result so far. Wire name stable. */
export const monthlyReportProgressQuery = defineQuery<MonthlyReportRunResult>('monthlyReportProgress');
