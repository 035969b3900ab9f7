import type { Command } from 'commander';
import { defineCommand } from '../define-command';
import { jsonOption } from '../fragments';
import { info, printJson, printTable } from '../output';

export function triageStatusCommand(): Command {
  return defineCommand({
    name: 'status',
    description: 'show a credential triage: its steps with deadlines, escalations, who decided, SLA met or not',
    args: [['<id>', 'triage id (CLIENT/ID)']],
    options: { json: jsonOption('print the triage status (with "steps" and "shownFrom": workflow | register) as one JSON document') },
    run: async (opts, id: string) => {
      const { showTriage } = await import('./triage-view.js');
      const s = await showTriage(id);
      if (opts.json) {
        printJson(s);
        return;
      }
      info(`${s.ref}  ${s.user}  ${s.kind}  ${s.state}${s.outcome ? ` (${s.outcome})` : ''}`);
      const rows: [string, string][] = [
        ['ticket', s.ticketId ?? ''],
        ['received', s.receivedAt],
        ['SLA deadline', `${s.slaDeadline}${s.slaMet === undefined ? '' : s.slaMet ? ' (met)' : ' (missed)'}`],
        ['escalations', String(s.escalations)],
      ];
      if (s.manualReason) rows.push(['needs a person', s.manualReason]);
      if (s.pending) rows.push(['waiting for', `${s.pending.who.join(', ')} until ${s.pending.decideBy}: patchctl triage resolve ${s.ref} --resolution reset|handled|dismiss --as <you>`]);
      if (s.decision) rows.push(['decided', `${s.decision.resolution} by ${s.decision.by} at ${s.decision.at}${s.decision.signed ? ' (signed)' : ''}`]);
      for (const [label, value] of rows) info(`  ${label.padEnd(16)}${value}`);
      printTable(['step', 'state', 'started', 'deadline', 'escalated', 'detail'], s.steps.map((st) => [st.step, st.state, st.startedAt, st.deadline, st.escalatedAt ?? '', st.detail ?? '']));
    },
  });
}
