import type { Command } from 'commander';
import { TRIAGE_RESOLUTIONS } from '../../../domain/triage/triage';
import { defineCommand } from '../define-command';
import { commentOption, deciderOption, jsonOption, keyOption } from '../fragments';
import { option } from '../option-spec';
import { info, printJson } from '../output';

export function triageResolveCommand(): Command {
  return defineCommand({
    name: 'resolve',
    description: 'decide on an account patchctl must not reset itself (break-glass, shared admin): reset | handled | dismiss',
    args: [['<id>', 'triage id (CLIENT/ID)']],
    options: {
      resolution: option('--resolution <r>', 'reset: patchctl resets it now; handled: you secured it yourself; dismiss: a false alarm', ({ z }) => z.enum(TRIAGE_RESOLUTIONS, { message: `must be one of ${TRIAGE_RESOLUTIONS.join(', ')}` }), { required: true }),
      as: deciderOption('a triage responder'),
      comment: commentOption('decision'),
      key: keyOption('the decision'),
      json: jsonOption('print {"ref","resolution","by","state"} as one JSON document'),
    },
    run: async (opts, id: string) => {
      const [{ triageRef }, { resolveTemporalTarget, withClient }, { resolveTriageUpdate, triageStatusQuery }, { signWithKeyFile, signingKeyFile }, { personId }] = await Promise.all([
        import('./triage-view.js'),
        import('../../connection/temporal-connection.js'),
        import('../../../workflows/triage/messages.js'),
        import('../../use-cases/approval-signing.js'),
        import('../../../domain/identity.js'),
      ]);
      const ref = triageRef(id);
      const keyFile = signingKeyFile(opts.key);
      const accepted = await withClient(resolveTemporalTarget(), async (client) => {
        const handle = client.workflow.getHandle(ref.workflowId);
        // The signature binds the run and the decision the triage is waiting for, so read them first.
        let signature;
        if (keyFile) {
          const status = await handle.query(triageStatusQuery);
          const facts = { workflowId: ref.workflowId, runId: status.runId ?? '', decisionId: status.pending?.decisionId ?? '', decision: opts.resolution, by: personId(opts.as), reason: opts.comment ?? '' };
          signature = signWithKeyFile(keyFile, facts);
        }
        return handle.executeUpdate(resolveTriageUpdate, { args: [{ by: opts.as, resolution: opts.resolution, comment: opts.comment, signature }] });
      });
      const shown = `${ref.clientId}/${ref.triageId}`;
      if (opts.json) printJson({ ref: shown, resolution: opts.resolution, by: opts.as, state: accepted.state });
      else info(`${opts.resolution}: ${shown} by ${opts.as}\n  patchctl triage status ${shown}`);
    },
  });
}
