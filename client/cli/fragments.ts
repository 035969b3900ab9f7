import { option } from './option-spec';

// Options that many commands share, each declared once here: the flag, its help and its schema.

/** `--json`: exactly one JSON document on stdout (what it holds is said per command). */
export function jsonOption(what = 'print the result as one JSON document') {
  return option('--json', what, ({ z }) => z.boolean());
}

/** `--as` for someone acting (defaults to PATCHCTL_USER or the login user). */
export function actorOption(description: string) {
  return option('--as <who>', `${description} (default: PATCHCTL_USER or your login)`, ({ z }) => z.string().trim().min(1, 'must name who acts'));
}

/** `--as` for someone deciding: required, and the identity the policy names (an e-mail). */
export function deciderOption(role: string) {
  return option('--as <who>', `your identity: ${role} named in policy`, ({ z }) => z.email({ message: `must be the ${role} e-mail named in policy` }), { required: true });
}

/** `--as` for someone whose identity is checked by the workflow rules, not by its form. */
export function namedActorOption(description: string) {
  return option('--as <who>', description, ({ z }) => z.string().trim().min(1, 'must name who acts'), { required: true });
}

/** `--key`: sign a decision with the approver's Ed25519 key. */
export function keyOption(what = 'the decision') {
  return option('--key <file>', `sign ${what} with your Ed25519 key (default: PATCHCTL_SIGNING_KEY_FILE)`, ({ z }) => z.string().min(1));
}

/** `--reason`: why, recorded in the evidence. */
export function reasonOption(description = 'why, recorded in the evidence', max = 1000) {
  return option('--reason <text>', description, ({ z }) => z.string().trim().min(3, 'must say why (at least 3 characters)').max(max), { required: true });
}

/** `--comment`: an optional note. */
export function commentOption(what: string) {
  return option('--comment <text>', `note recorded with the ${what}`, ({ z }) => z.string().max(500));
}

/** The client-id grammar of the policy (clients[].id): one rule for the policy and the CLI. */
const clientIdSchema = ({ policy }: Parameters<Parameters<typeof option>[2]>[0]) =>
  policy.clientSchema.shape.id.describe('client id');

export function clientOption(description = 'client id from the policy') {
  return option('--client <id>', description, clientIdSchema, { required: true });
}

export function clientFilterOption(description = 'only this client') {
  return option('--client <id>', description, clientIdSchema);
}

/** Ring names for help texts; a unit test keeps them equal to RINGS of the policy schema. */
export const RING_HELP = 'canary | pilot | production';
export const PROMOTION_RING_HELP = 'pilot | production';
