// The workflow bundle's entry: every workflow type the patchctl worker runs.
export { patchCycle } from './cycle/patch-cycle';
export { ringRollout } from './cycle/ring-rollout';
export { ringRollback } from './cycle/ring-rollback';
export { patchException } from './exception/patch-exception';
export { monthlyReport } from './reporting/monthly-report';
export { slaAlerts } from './alerts/sla-alerts';
export { credentialTriage } from './triage/credential-triage';
export { discovery } from './discovery/discovery';
export { restoreDrill } from './discovery/restore-drill';
export { softwareListReview } from './discovery/software-review';
export { patchingNotices } from './notices/patching-notices';
