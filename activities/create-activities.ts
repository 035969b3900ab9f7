import type { ActivityDeps } from './deps';
import { planCycle } from './cycle/plan-cycle';
import { deployBatch, pollBatchJobs, snapshotBatch, verifyBatch } from './cycle/ring-batches';
import { rollbackBatch, verifyRollbackBatch } from './cycle/rollback-batches';
import { recordCycleStatus } from './cycle/record-cycle-status';
import { addTicketNote, closeTicket, openTicket } from './shared/psa-tickets';
import { sendNotice } from './shared/send-notice';
import { loadExceptionRules, recordException } from './exception/exception-activities';
import { currentDeciders } from './shared/decision-authority';
import { alertSlaBreaches } from './alerts/sla-alerts';
import { forceTriagePasswordChange, loadTriageRules, lookupTriageUser, openTriageTicket, recordTriage, revokeTriageSessions } from './triage/triage-activities';
import { buildClientMonthlyReport, listReportClients, mailClientMonthlyReport } from './reporting/report-activities';
import { discoverClientInventory, openDiscoveryTicket } from './discovery/discovery-activities';
import { runRestoreDrill } from './discovery/restore-drill-activities';
import { remindSoftwareListReview } from './discovery/software-review';
import { sendPatchingNotices } from './notices/patching-notices';

type Bound<F> = F extends (deps: ActivityDeps, ...args: infer A) => infer R ? (...args: A) => R : never;

function bind<F extends (deps: ActivityDeps, ...args: never[]) => unknown>(deps: ActivityDeps, fn: F): Bound<F> {
  return ((...args: never[]) => fn(deps, ...args)) as Bound<F>;
}

/** Every activity patchctl registers, each closed over the dependencies the worker built. */
export function createActivities(deps: ActivityDeps) {
  return {
    planCycle: bind(deps, planCycle),
    snapshotBatch: bind(deps, snapshotBatch),
    deployBatch: bind(deps, deployBatch),
    pollBatchJobs: bind(deps, pollBatchJobs),
    verifyBatch: bind(deps, verifyBatch),
    rollbackBatch: bind(deps, rollbackBatch),
    verifyRollbackBatch: bind(deps, verifyRollbackBatch),
    sendNotice: bind(deps, sendNotice),
    openTicket: bind(deps, openTicket),
    addTicketNote: bind(deps, addTicketNote),
    closeTicket: bind(deps, closeTicket),
    recordCycleStatus: bind(deps, recordCycleStatus),
    loadExceptionRules: bind(deps, loadExceptionRules),
    recordException: bind(deps, recordException),
    currentDeciders: bind(deps, currentDeciders),
    listReportClients: bind(deps, listReportClients),
    buildClientMonthlyReport: (input: { clientId: string; month: string }) => buildClientMonthlyReport(deps, input),
    mailClientMonthlyReport: bind(deps, mailClientMonthlyReport),
    alertSlaBreaches: bind(deps, alertSlaBreaches),
    loadTriageRules: bind(deps, loadTriageRules),
    openTriageTicket: bind(deps, openTriageTicket),
    lookupTriageUser: bind(deps, lookupTriageUser),
    forceTriagePasswordChange: bind(deps, forceTriagePasswordChange),
    revokeTriageSessions: bind(deps, revokeTriageSessions),
    recordTriage: bind(deps, recordTriage),
    discoverClientInventory: bind(deps, discoverClientInventory),
    openDiscoveryTicket: bind(deps, openDiscoveryTicket),
    runRestoreDrill: bind(deps, runRestoreDrill),
    remindSoftwareListReview: bind(deps, remindSoftwareListReview),
    sendPatchingNotices: bind(deps, sendPatchingNotices),
  };
}

export type PatchctlActivities = ReturnType<typeof createActivities>;
