import type { Command } from 'commander';
import type { Shown } from '../../use-cases/exception-status';
import { defineCommand } from '../define-command';
import { jsonOption } from '../fragments';
import { info, printJson, printTable } from '../output';
import { exceptionEnd, nextStep } from './exception-view';

function printShown(s: Shown): void {
  info(`${s.ref}  ${s.kind}  ${s.status}${s.statusReason ? ` (${s.statusReason})` : ''}`);
  const rows: [string, string][] = [
    ['assets', s.hostnames.join(', ')],
    ['patches', s.patchIds.length > 0 ? s.patchIds.join(', ') : 'every patch'],
    ['reason', s.reason],
    ['requested', `${s.requestedBy} at ${s.requestedAt}`],
    ['ticket', s.ticketId ?? ''],
    ['signed off', s.signedOffBy ? `${s.signedOffBy} at ${s.signedOffAt ?? ''}` : ''],
    ['approved', s.approvedBy ? `${s.approvedBy} at ${s.approvedAt ?? ''}` : ''],
    [s.kind === 'deferral' ? 'expires' : 'review', exceptionEnd(s) ?? ''],
    ['controls', s.controls.map((c) => `${c.category}: ${c.description}`).join('; ') || 'none'],
  ];
  if (s.clientApprovalRef) rows.push(['client approval', s.clientApprovalRef]);
  for (const [label, value] of rows) info(`  ${label.padEnd(16)}${value}`);
  info(nextStep(s.ref, s));
  if (s.events.length > 0) printTable(['at', 'event', 'by', 'detail'], s.events.map((e) => [e.at, e.event, e.by, e.detail]));
  else if (s.source === 'register') info(`(from the register: the workflow ${s.workflowStatus ? `is ${s.workflowStatus} and ` : ''}cannot be queried for its event history)`);
}

export function exceptionShowCommand(): Command {
  return defineCommand({
    name: 'show',
    description: 'show an exception: status, who signed off and approved, expiry or review date, and its event history',
    args: [['<id>', 'exception id (CLIENT/ID)']],
    options: { json: jsonOption('print the status (with "events" and "source": workflow | register) as one JSON document') },
    run: async (opts, id: string) => {
      const { showException } = (await import('../../use-cases/exception-status.js'));
      const shown = await showException(id);
      if (opts.json) printJson(shown);
      else printShown(shown);
    },
  });
}

