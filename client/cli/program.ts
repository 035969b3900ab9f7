import { Command } from 'commander';
import { codecServerCommand } from './codec-server';
import { configCheckCommand } from './config/check';
import { cycleAbortCommand } from './cycle/abort';
import { cycleApproveCommand } from './cycle/approve';
import { cycleDecideCommand } from './cycle/decide';
import { cycleIncidentCommand } from './cycle/incident';
import { cycleListCommand } from './cycle/list';
import { cyclePauseCommand } from './cycle/pause';
import { cycleRejectCommand } from './cycle/reject';
import { cycleResumeCommand } from './cycle/resume';
import { cycleStartCommand } from './cycle/start';
import { cycleStatusCommand } from './cycle/status';
import { devCommand } from './dev';
import { evidenceExportCommand } from './evidence/export';
import { evidenceHipaaCommand } from './evidence/hipaa';
import { evidenceReplayCommand } from './evidence/replay';
import { evidenceVerifyCommand } from './evidence/verify';
import { exceptionApproveCommand } from './exception/approve';
import { exceptionListCommand } from './exception/list';
import { exceptionRenewCommand } from './exception/renew';
import { exceptionRequestCommand } from './exception/request';
import { exceptionRevokeCommand } from './exception/revoke';
import { exceptionShowCommand } from './exception/show';
import { exceptionSignoffCommand } from './exception/signoff';
import { inventoryExportCommand } from './inventory/export';
import { inventoryImportCommand } from './inventory/import';
import { inventoryListCommand } from './inventory/list';
import { inventoryDiscoverCommand } from './inventory/discover';
import { inventoryDrillsCommand } from './inventory/drills';
import { inventorySoftwareCommand } from './inventory/software';
import { inventoryUnclassifiedCommand } from './inventory/unclassified';
import { keysGenerateCommand } from './keys/generate';
import { lazyCommand } from './lazy-command';
import { reportMonthlyCommand } from './report/monthly';
import { reportQbrCommand } from './report/qbr';
import { reportRiskCommand } from './report/risk';
import { reportScorecardCommand } from './report/scorecard';
import { scheduleListCommand } from './schedule/list';
import { schedulePauseCommand } from './schedule/pause';
import { scheduleResumeCommand } from './schedule/resume';
import { scheduleTriggerCommand } from './schedule/trigger';
import { triageAlertCommand } from './triage/alert';
import { triageListCommand } from './triage/list';
import { triageResolveCommand } from './triage/resolve';
import { triageStatusCommand } from './triage/status';
import { triageWebhookCommand } from './triage/webhook';
import { webCommand } from './web';
import { workerCommand } from './worker';

// The command registry. To add a command: write `client/cli/<group>/<name>.ts` exporting a factory
// (defineCommand: options declared once, everything heavy imported inside `run`), import it here and
// add it to its group (or to TOP_LEVEL).

type CommandFactory = () => Command;

/** Group commands and their subcommands, in the order `--help` lists them. */
const GROUPS: Array<{ name: string; description: string; commands: CommandFactory[] }> = [
  { name: 'config', description: 'check the policy file', commands: [configCheckCommand] },
  { name: 'inventory', description: 'import, list and export client assets', commands: [inventoryImportCommand, inventoryListCommand, inventoryExportCommand, inventoryDiscoverCommand, inventoryUnclassifiedCommand, inventorySoftwareCommand, inventoryDrillsCommand] },
  {
    name: 'cycle',
    description: 'start, watch, approve and stop patch cycles',
    commands: [
      cycleStartCommand,
      cycleStatusCommand,
      cycleListCommand,
      cycleApproveCommand,
      cycleRejectCommand,
      cycleDecideCommand,
      cycleIncidentCommand,
      cycleAbortCommand,
      cyclePauseCommand,
      cycleResumeCommand,
    ],
  },
  {
    name: 'exception',
    description: 'request, sign off, approve, renew and revoke patch exceptions',
    commands: [
      exceptionRequestCommand,
      exceptionSignoffCommand,
      exceptionApproveCommand,
      exceptionListCommand,
      exceptionShowCommand,
      exceptionRenewCommand,
      exceptionRevokeCommand,
    ],
  },
  {
    name: 'evidence',
    description: 'export, verify and replay the audit evidence of a cycle; HIPAA-aligned bundles',
    commands: [evidenceExportCommand, evidenceVerifyCommand, evidenceReplayCommand, evidenceHipaaCommand],
  },
  {
    name: 'triage',
    description: 'credential-alert triage, its own tier and SLA: report an alert, watch it, decide on break-glass accounts, serve the webhook',
    commands: [triageAlertCommand, triageStatusCommand, triageListCommand, triageResolveCommand, triageWebhookCommand],
  },
  { name: 'keys', description: 'signing keys for evidence bundles', commands: [keysGenerateCommand] },
  { name: 'report', description: 'monthly client reports, the internal scorecard, client risk and the QBR summary', commands: [reportMonthlyCommand, reportScorecardCommand, reportRiskCommand, reportQbrCommand] },
  {
    name: 'schedule',
    description: 'list, pause, resume and trigger the Temporal Schedules',
    commands: [scheduleListCommand, schedulePauseCommand, scheduleResumeCommand, scheduleTriggerCommand],
  },
];

/** How main.ts makes a command throw instead of exiting; applied to a lazy command once it is loaded. */
export type Prepare = (command: Command, path: string[]) => void;

function topLevel(prepare: Prepare): CommandFactory[] {
  const demo = () =>
    lazyCommand(
      'demo',
      'unattended tour: seeds 3 clinics, runs one cycle through every ring with approvals and one whose canary breaches and rolls back',
      async () => ((await import('../commands/demo.js'))).demoCommand(),
      prepare,
    );
  return [devCommand, demo, workerCommand, codecServerCommand, webCommand];
}

export function registerCommands(program: Command, prepare: Prepare): void {
  for (const factory of topLevel(prepare)) program.addCommand(factory());
  for (const group of GROUPS) {
    const command = new Command(group.name).description(group.description);
    for (const factory of group.commands) command.addCommand(factory());
    program.addCommand(command);
  }
}
