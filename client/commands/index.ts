import { Command } from 'commander';
import { configCheckCommand } from './config-check';
import { devCommand } from './dev';
import { workerCommand } from './worker';
import { codecServerCommand } from './codec-server';
import { demoCommand } from './demo';
import { evidenceExportCommand } from './evidence-export';
import { evidenceHipaaCommand } from './evidence-hipaa';
import { evidenceReplayCommand } from './evidence-replay';
import { evidenceVerifyCommand } from './evidence-verify';
import { keysGenerateCommand } from './keys-generate';
import { cycleAbortCommand } from './cycle-abort';
import { cycleApproveCommand } from './cycle-approve';
import { cycleDecideCommand } from './cycle-decide';
import { cycleIncidentCommand } from './cycle-incident';
import { cycleListCommand } from './cycle-list';
import { cyclePauseCommand } from './cycle-pause';
import { cycleRejectCommand } from './cycle-reject';
import { cycleResumeCommand } from './cycle-resume';
import { cycleStartCommand } from './cycle-start';
import { cycleStatusCommand } from './cycle-status';
import { exceptionApproveCommand } from './exception-approve';
import { exceptionListCommand } from './exception-list';
import { exceptionRenewCommand } from './exception-renew';
import { exceptionRequestCommand } from './exception-request';
import { exceptionRevokeCommand } from './exception-revoke';
import { exceptionShowCommand } from './exception-show';
import { exceptionSignoffCommand } from './exception-signoff';
import { inventoryImportCommand } from './inventory-import';
import { inventoryListCommand } from './inventory-list';
import { inventoryExportCommand } from './inventory-export';
import { reportMonthlyCommand } from './report-monthly';
import { reportScorecardCommand } from './report-scorecard';
import { scheduleListCommand } from './schedule-list';
import { schedulePauseCommand } from './schedule-pause';
import { scheduleResumeCommand } from './schedule-resume';
import { scheduleTriggerCommand } from './schedule-trigger';

// The command registry. To add a command: write `client/commands/<name>.ts` exporting a factory that
// returns a commander Command, import it here and add it to its group (or to TOP_LEVEL).

type CommandFactory = () => Command;

/** Group commands and their subcommands, in the order `--help` lists them. */
const GROUPS: Array<{ name: string; description: string; commands: CommandFactory[] }> = [
  { name: 'config', description: 'check the policy file', commands: [configCheckCommand] },
  { name: 'inventory', description: 'import, list and export client assets', commands: [inventoryImportCommand, inventoryListCommand, inventoryExportCommand] },
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
  { name: 'report', description: 'monthly client reports and the internal scorecard', commands: [reportMonthlyCommand, reportScorecardCommand] },
  { name: 'schedule', description: 'list, pause, resume and trigger the Temporal Schedules', commands: [scheduleListCommand, schedulePauseCommand, scheduleResumeCommand, scheduleTriggerCommand] },
  { name: 'keys', description: 'signing keys for evidence bundles', commands: [keysGenerateCommand] },
];

const TOP_LEVEL: CommandFactory[] = [devCommand, demoCommand, workerCommand, codecServerCommand];

export function registerCommands(program: Command): void {
  for (const factory of TOP_LEVEL) program.addCommand(factory());
  for (const group of GROUPS) {
    const command = new Command(group.name).description(group.description);
    for (const factory of group.commands) command.addCommand(factory());
    program.addCommand(command);
  }
}
