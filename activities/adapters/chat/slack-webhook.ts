import type { HttpTuning } from '../http-json';
import { assertVendorUrl } from '../http-json';
import { postWebhook, type ChatChannel } from './chat-webhook';

// Slack incoming webhooks: POST {"text": …} (mrkdwn); the answer is 200 with the body "ok". Refusals
// come as 400 invalid_payload / no_text, 403 action_prohibited, 404 channel_not_found or no_service,
// 410 channel_is_archived; rate limits as 429 with Retry-After.

export function createSlackWebhook(url: string, clientId: string, tuning?: HttpTuning): ChatChannel {
  // Refused when built: an http:// webhook would carry its own credential in clear text.
  assertVendorUrl(`Slack webhook (client ${clientId})`, url);
  return {
    kind: 'slack',
    post: (message) =>
      postWebhook({
        vendor: `Slack webhook (client ${clientId})`,
        url,
        payload: { text: `*${message.title}*\n${message.text}` },
        accepted: (status, body) => status === 200 && body.trim() === 'ok',
        tuning,
      }),
  };
}
