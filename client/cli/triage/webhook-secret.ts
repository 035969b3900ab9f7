import { readFileSync, statSync } from 'node:fs';
import type { PatchctlEnv } from '../../../config/env-schema';
import { badInput } from '../../errors';

/**
 * The webhook's shared secret: PATCHCTL_TRIAGE_WEBHOOK_SECRET_FILE (a file only its owner may read),
 * else PATCHCTL_TRIAGE_WEBHOOK_SECRET. Too short a secret makes the HMAC guessable.
 */
export function triageWebhookSecret(env: PatchctlEnv): string {
  const file = env.PATCHCTL_TRIAGE_WEBHOOK_SECRET_FILE;
  let secret = env.PATCHCTL_TRIAGE_WEBHOOK_SECRET;
  if (file) {
    let mode: number;
    try {
      mode = statSync(file).mode & 0o777;
      secret = readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw badInput(`PATCHCTL_TRIAGE_WEBHOOK_SECRET_FILE: cannot read "${file}": ${(error as Error).message}`);
    }
    if (mode & 0o077) throw badInput(`PATCHCTL_TRIAGE_WEBHOOK_SECRET_FILE: ${file} is readable by other users (mode ${mode.toString(8).padStart(4, '0')})`, `run \`chmod 600 ${file}\``);
  }
  if (!secret) throw badInput('no webhook secret: set PATCHCTL_TRIAGE_WEBHOOK_SECRET_FILE (a 0600 file) or PATCHCTL_TRIAGE_WEBHOOK_SECRET');
  if (secret.length < 24) throw badInput(`the webhook secret is ${secret.length} characters; use at least 24 (e.g. \`openssl rand -hex 32\`)`);
  return secret;
}
