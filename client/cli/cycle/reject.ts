import type { Command } from 'commander';
import { cycleDecisionCommand } from '../decision-command';
import { PROMOTION_RING_HELP, reasonOption } from '../fragments';
import { option } from '../option-spec';

export function cycleRejectCommand(): Command {
  return cycleDecisionCommand({
    name: 'reject',
    description: 'reject the pending promotion: the cycle rolls back every ring it touched',
    role: 'an approver',
    signs: 'the rejection (needs --ring)',
    json: 'print {"cycleId","accepted","ring","next"} as one JSON document',
    options: {
      ring: option('--ring <ring>', `the ring whose promotion you reject: ${PROMOTION_RING_HELP} (needed to sign)`, ({ z, policy }) =>
        z.enum(policy.RINGS.filter((r) => r !== 'canary') as ['pilot', 'production']),
      ),
      reason: reasonOption(),
    },
    decision: (o) => ({ kind: 'reject-promotion', ring: o.ring, by: o.as, reason: o.reason }),
    print: (id, _o, r) => ({ json: { cycleId: id, ...r }, text: `rejected: ${id} (${r.next})` }),
  });
}
