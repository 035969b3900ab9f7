import type { Command } from 'commander';
import { defineCommand } from '../define-command';
import { clientFilterOption, jsonOption } from '../fragments';
import { monthOption } from '../report/month-option';
import { info, printJson, printTable } from '../output';

export function triageListCommand(): Command {
  return defineCommand({
    name: 'list',
    description: 'list credential triages (the security tier, reported apart from patching), newest first',
    options: {
      client: clientFilterOption(),
      month: monthOption('only alerts received in this month (UTC)'),
      json: jsonOption('print {"tier":"credential-triage","triages":[…],"summary":{…}} as one JSON document'),
    },
    run: async (opts) => {
      const { listTriages } = await import('./triage-view.js');
      const triages = await listTriages({ clientId: opts.client, month: opts.month });
      const ended = triages.filter((t) => t.completedAt);
      const summary = {
        alerts: triages.length,
        completed: triages.filter((t) => t.state === 'completed').length,
        escalated: triages.filter((t) => t.state === 'escalated' || t.state === 'failed').length,
        open: triages.length - ended.length,
        slaMet: ended.filter((t) => t.slaMet).length,
        slaMissed: ended.filter((t) => t.slaMet === false).length,
      };
      if (opts.json) {
        printJson({ tier: 'credential-triage', client: opts.client ?? null, month: opts.month ?? null, triages, summary });
        return;
      }
      if (triages.length === 0) {
        info(`no credential triages${opts.client ? ` for ${opts.client}` : ''}${opts.month ? ` in ${opts.month}` : ''}`);
        return;
      }
      printTable(
        ['id', 'user', 'kind', 'state', 'received', 'SLA', 'ticket', 'escalations'],
        triages.map((t) => [t.ref, t.user, t.kind, t.state, t.receivedAt, t.slaMet === null ? 'open' : t.slaMet ? 'met' : 'missed', t.ticketId, t.escalations]),
      );
      info(`credential triage (security tier): ${summary.alerts} alerts, ${summary.completed} completed, ${summary.escalated} escalated, ${summary.open} open; SLA met ${summary.slaMet}, missed ${summary.slaMissed}`);
    },
  });
}
