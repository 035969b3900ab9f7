import type { Command } from 'commander';
import { TRIAGE_ALERT_KINDS } from '../../../domain/triage/triage';
import { defineCommand } from '../define-command';
import { clientOption, jsonOption } from '../fragments';
import { option } from '../option-spec';
import { info, printJson } from '../output';

export function triageAlertCommand(): Command {
  return defineCommand({
    name: 'alert',
    description: 'report a credential alert: starts its triage (ticket, forced password change, session revocation, owner notice)',
    options: {
      client: clientOption(),
      user: option('--user <upn>', 'the account, as its user principal name', ({ z }) => z.email({ message: 'must be a user principal name like jane@client.example' }), { required: true }),
      kind: option('--kind <kind>', TRIAGE_ALERT_KINDS.join(' | '), ({ z }) => z.enum(TRIAGE_ALERT_KINDS, { message: `must be one of ${TRIAGE_ALERT_KINDS.join(', ')}` }), { required: true }),
      alertId: option('--alert-id <id>', "the monitoring vendor's id of the alert (the same id twice is one triage)", ({ z }) => z.string().trim().min(1).max(200)),
      summary: option('--summary <text>', 'what was seen, in plain words (goes to the ticket and the owner)', ({ z }) => z.string().trim().max(1000)),
      json: jsonOption('print {"ref","triageId","workflowId","duplicate"} as one JSON document'),
    },
    run: async (opts) => {
      const [{ loadPolicy }, { resolveTemporalTarget, withClient }, { startTriage }, { actor }, { notFound }] = await Promise.all([
        import('../../use-cases/policy.js'),
        import('../../connection/temporal-connection.js'),
        import('./start-triage.js'),
        import('../../use-cases/cycle-target.js'),
        import('../../errors.js'),
      ]);
      const { policy, file } = loadPolicy();
      if (!policy.clients.some((c) => c.id === opts.client)) throw notFound(`client "${opts.client}" is not in ${file}`, `known clients: ${policy.clients.map((c) => c.id).join(', ')}`);
      const target = resolveTemporalTarget();
      const alert = { clientId: opts.client, user: opts.user, kind: opts.kind, alertId: opts.alertId, summary: opts.summary };
      const started = await withClient(target, (temporal) => startTriage(temporal, target.taskQueue, alert, { source: 'cli', reportedBy: actor(undefined) }));
      if (opts.json) printJson(started);
      else info(`${started.duplicate ? 'already triaging' : 'triage started'}: ${started.ref}\n  patchctl triage status ${started.ref}`);
    },
  });
}
