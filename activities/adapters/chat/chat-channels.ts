import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { chatEnvSchema } from '../../../config/env-schema';
import type { PatchPolicy } from '../../../config/policy-schema';
import { formatProblems, problemsFromZod } from '../../../config/problems';
import type { HttpTuning } from '../http-json';
import type { Queryable } from '../../store/pool';
import { withChatLedger } from './chat-ledger';
import type { ChatChannel } from './chat-webhook';
import { createSlackWebhook } from './slack-webhook';
import { createTeamsWebhook } from './teams-webhook';

const webhooksSchema = z.record(z.string(), z.object({ slack: z.string().optional(), teams: z.string().optional() }).strict());

/** A chat setting that cannot work; thrown when the worker builds its dependencies. */
export class ChatConfigError extends Error {
  override readonly name = 'ChatConfigError';
}

function readWebhooks(env: NodeJS.ProcessEnv): z.infer<typeof webhooksSchema> {
  const vars = chatEnvSchema.parse(env);
  let text: string | undefined;
  let source = 'PATCHCTL_CHAT_WEBHOOKS';
  if (vars.PATCHCTL_CHAT_WEBHOOKS_FILE) {
    source = `PATCHCTL_CHAT_WEBHOOKS_FILE (${vars.PATCHCTL_CHAT_WEBHOOKS_FILE})`;
    const mode = statSync(vars.PATCHCTL_CHAT_WEBHOOKS_FILE).mode & 0o777;
    // A webhook URL lets anyone post to the channel as patchctl.
    if (mode & 0o077) throw new ChatConfigError(`${source} is readable by other users (mode ${mode.toString(8).padStart(4, '0')}); run \`chmod 600 ${vars.PATCHCTL_CHAT_WEBHOOKS_FILE}\``);
    text = readFileSync(vars.PATCHCTL_CHAT_WEBHOOKS_FILE, 'utf8');
  } else {
    text = vars.PATCHCTL_CHAT_WEBHOOKS;
  }
  if (!text?.trim()) return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ChatConfigError(`${source} is not JSON; expected {"<client id>": {"slack": "https://…", "teams": "https://…"}}`);
  }
  const parsed = webhooksSchema.safeParse(json);
  if (!parsed.success) throw new ChatConfigError(`${source}: ${formatProblems(problemsFromZod(parsed.error, json)).replace(/\n/g, '; ')}`);
  return parsed.data;
}

/**
 * The chat channels of each client, as its policy selects them, each behind the sent-ledger. A
 * selected channel without a webhook URL stops the worker here rather than going silent later.
 */
export function buildChatChannels(options: { policy: PatchPolicy; env: NodeJS.ProcessEnv; db: Queryable; tuning?: HttpTuning }): (clientId: string) => ChatChannel[] {
  const webhooks = readWebhooks(options.env);
  const byClient = new Map<string, ChatChannel[]>();
  for (const client of options.policy.clients) {
    if (!client.chat) continue;
    const channels = client.chat.channels.map((kind) => {
      const url = webhooks[client.id]?.[kind];
      if (!url) throw new ChatConfigError(`client "${client.id}" selects ${kind} chat, but PATCHCTL_CHAT_WEBHOOKS(_FILE) has no ${kind} URL for it`);
      const channel = kind === 'slack' ? createSlackWebhook(url, client.id, options.tuning) : createTeamsWebhook(url, client.id, options.tuning);
      return withChatLedger(channel, options.db, client.id);
    });
    byClient.set(client.id, channels);
  }
  return (clientId) => byClient.get(clientId) ?? [];
}
