import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';

// The Temporal Schedules patchctl keeps. Created idempotently when a stack starts: an existing
// schedule (possibly paused by an operator) is left exactly as it is.

export const MONTHLY_REPORT_SCHEDULE_ID = 'monthly-report';

export interface ScheduleSetup {
  scheduleId: string;
  created: boolean;
}

/**
 * 06:00 UTC on the 1st of every month: the monthly report of the month just ended. Missed runs (the
 * server was down) are caught up within a day; runs never overlap; the workflow id gets the action
 * time appended by Temporal, and the workflow itself refuses to mail a (client, month) twice.
 */
export async function ensureMonthlyReportSchedule(client: Client, taskQueue: string): Promise<ScheduleSetup> {
  try {
    await client.schedule.create({
      scheduleId: MONTHLY_REPORT_SCHEDULE_ID,
      spec: { calendars: [{ comment: '1st of the month, 06:00 UTC', dayOfMonth: 1, hour: 6, minute: 0 }] },
      action: { type: 'startWorkflow', workflowType: 'monthlyReport', workflowId: 'monthly-report', taskQueue, args: [{}] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
      state: { note: 'patchctl: monthly client reports (PDF mailed to each client owner)' },
    });
    return { scheduleId: MONTHLY_REPORT_SCHEDULE_ID, created: true };
  } catch (error) {
    if (error instanceof ScheduleAlreadyRunning) return { scheduleId: MONTHLY_REPORT_SCHEDULE_ID, created: false };
    throw error;
  }
}

export const SLA_ALERTS_SCHEDULE_ID = 'sla-alerts';

/** 07:00 UTC every day: assets whose SLA deadline passed without verification, mailed to the escalation list. */
export async function ensureSlaAlertSchedule(client: Client, taskQueue: string): Promise<ScheduleSetup> {
  try {
    await client.schedule.create({
      scheduleId: SLA_ALERTS_SCHEDULE_ID,
      spec: { calendars: [{ comment: 'daily, 07:00 UTC', hour: 7, minute: 0 }] },
      action: { type: 'startWorkflow', workflowType: 'slaAlerts', workflowId: 'sla-alerts', taskQueue, args: [{}] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
      state: { note: 'patchctl: daily SLA alerts (missed deadlines mailed to the escalation list)' },
    });
    return { scheduleId: SLA_ALERTS_SCHEDULE_ID, created: true };
  } catch (error) {
    if (error instanceof ScheduleAlreadyRunning) return { scheduleId: SLA_ALERTS_SCHEDULE_ID, created: false };
    throw error;
  }
}

/** Every schedule patchctl owns, created when missing. */
export async function ensureSchedules(client: Client, taskQueue: string): Promise<ScheduleSetup[]> {
  return [await ensureMonthlyReportSchedule(client, taskQueue), await ensureSlaAlertSchedule(client, taskQueue)];
}
