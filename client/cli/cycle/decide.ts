import type { Command } from 'commander';
import { cycleDecisionCommand } from '../decision-command';
import { reasonOption, RING_HELP } from '../fragments';
import { option } from '../option-spec';

export function cycleDecideCommand(): Command {
  return cycleDecisionCommand({
    name: 'decide',
    description: 'decide on a breached gate: rollback, retry-failed (redeploy only the failed assets) or override',
    role: 'an approver',
    signs: 'the decision',
    json: 'print {"cycleId","accepted","ring","next"} as one JSON document',
    options: {
      ring: option('--ring <ring>', `ring whose gate breached: ${RING_HELP}`, ({ z, policy }) => z.enum(policy.RINGS), { required: true }),
      decision: option('--decision <decision>', 'rollback | retry-failed | override', ({ z }) => z.enum(['rollback', 'retry-failed', 'override']), { required: true }),
      reason: reasonOption(),
    },
    decision: (o) => ({ kind: 'gate', ring: o.ring, decision: o.decision, by: o.as, reason: o.reason }),
    print: (id, o, r) => ({ json: { cycleId: id, ...r }, text: `decision recorded: ${id} ${o.ring} → ${o.decision} (${r.next})` }),
  });
}
