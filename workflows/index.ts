// The workflow bundle's entry: every workflow type the patchctl worker runs.
export { patchCycle } from './patch-cycle';
export { ringRollout } from './ring-rollout';
export { ringRollback } from './ring-rollback';
export { patchException } from './patch-exception';
export { monthlyReport } from './reporting/monthly-report';
export { slaAlerts } from './alerts/sla-alerts';
