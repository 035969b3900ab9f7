import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import type { PatchPolicy } from '../config/policy-schema';
import {
  discoveryCalendar,
  discoveryScheduleId,
  restoreDrillCalendar,
  restoreDrillScheduleId,
  SOFTWARE_REVIEW_CALENDAR,
  SOFTWARE_REVIEW_SCHEDULE_ID,
} from '../domain/discovery/discovery-schedule';

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

/**
 * A schedule that follows the policy: created when missing; when present its spec and action are
 * set to what the policy says now (daily became weekly, say) while its state, paused or not, stays
 * as the operator left it.
 */
async function ensurePolicySchedule(client: Client, options: ScheduleOptions): Promise<ScheduleSetup> {
  try {
    await client.schedule.create(options);
    return { scheduleId: options.scheduleId, created: true };
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule.getHandle(options.scheduleId).update((previous) => ({ ...previous, spec: options.spec, action: options.action, policies: options.policies ?? previous.policies }));
    return { scheduleId: options.scheduleId, created: false };
  }
}

/**
 * Per client, from its policy: discovery (daily or weekly) and restore drills; and the quarterly
 * review of the MSP's software list when the policy names one. Times are in the client's time zone.
 */
export async function ensureDiscoverySchedules(client: Client, taskQueue: string, policy: PatchPolicy): Promise<ScheduleSetup[]> {
  const setups: ScheduleSetup[] = [];
  for (const c of policy.clients) {
    if (c.discovery) {
      const scheduleId = discoveryScheduleId(c.id);
      setups.push(
        await ensurePolicySchedule(client, {
          scheduleId,
          spec: { calendars: [discoveryCalendar(c.discovery)], timezone: c.timezone },
          action: { type: 'startWorkflow', workflowType: 'discovery', workflowId: scheduleId, taskQueue, args: [{ clientId: c.id }] },
          policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
          state: { note: `patchctl: discovery of ${c.id} (RMM device and software lists, scan files)` },
        }),
      );
    }
    if (c.restoreDrills) {
      const scheduleId = restoreDrillScheduleId(c.id);
      setups.push(
        await ensurePolicySchedule(client, {
          scheduleId,
          spec: { calendars: [restoreDrillCalendar(c.restoreDrills)], timezone: c.timezone },
          action: { type: 'startWorkflow', workflowType: 'restoreDrill', workflowId: scheduleId, taskQueue, args: [{ clientId: c.id }] },
          policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
          state: { note: `patchctl: restore drill of one critical system of ${c.id}` },
        }),
      );
    }
  }
  if (policy.msp.softwareList) {
    setups.push(
      await ensurePolicySchedule(client, {
        scheduleId: SOFTWARE_REVIEW_SCHEDULE_ID,
        spec: { calendars: [SOFTWARE_REVIEW_CALENDAR] },
        action: { type: 'startWorkflow', workflowType: 'softwareListReview', workflowId: SOFTWARE_REVIEW_SCHEDULE_ID, taskQueue, args: [] },
        policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
        state: { note: 'patchctl: quarterly review of the supported-software list (mailed to the MSP lead)' },
      }),
    );
  }
  return setups;
}

export const PATCHING_NOTICES_SCHEDULE_ID = 'patching-notices';

/**
 * Hourly, once any client names a contact to warn before patching (`clients[].notices.beforePatching`):
 * the sweep that mails them `hoursBefore` a ring with their assets starts. Missed hours are not caught
 * up one by one: the next run finds every notice still due.
 */
export async function ensurePatchingNoticeSchedule(client: Client, taskQueue: string, policy: PatchPolicy): Promise<ScheduleSetup[]> {
  if (!policy.clients.some((c) => c.notices?.beforePatching)) return [];
  return [
    await ensurePolicySchedule(client, {
      scheduleId: PATCHING_NOTICES_SCHEDULE_ID,
      spec: { intervals: [{ every: '1 hour' }] },
      action: { type: 'startWorkflow', workflowType: 'patchingNotices', workflowId: PATCHING_NOTICES_SCHEDULE_ID, taskQueue, args: [{}] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
      state: { note: 'patchctl: notices to client contacts before their assets are patched' },
    }),
  ];
}

/** Every schedule patchctl owns, created when missing; with the policy, the per-client ones too. */
export async function ensureSchedules(client: Client, taskQueue: string, policy?: PatchPolicy): Promise<ScheduleSetup[]> {
  return [
    await ensureMonthlyReportSchedule(client, taskQueue),
    await ensureSlaAlertSchedule(client, taskQueue),
    ...(policy ? await ensureDiscoverySchedules(client, taskQueue, policy) : []),
    ...(policy ? await ensurePatchingNoticeSchedule(client, taskQueue, policy) : []),
  ];
}
