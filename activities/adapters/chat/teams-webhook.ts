import type { HttpTuning } from '../http-json';
import { assertVendorUrl } from '../http-json';
import { postWebhook, type ChatChannel } from './chat-webhook';

// Microsoft Teams incoming webhooks (a Workflows "post to a channel when a webhook request is received"
// flow, or the older connector): a message with one Adaptive Card attachment. Workflows answer 202
// Accepted with no body, the connector 200 with "1"; a payload it cannot read is a 400, throttling a
// 429 with Retry-After.

// Card element kinds, named once (Adaptive Card schema 1.4).
const ADAPTIVE_CARD = 'AdaptiveCard';
const TEXT_BLOCK = 'TextBlock';

export function createTeamsWebhook(url: string, clientId: string, tuning?: HttpTuning): ChatChannel {
  // Refused when built: an http:// webhook would carry its own credential in clear text.
  assertVendorUrl(`Teams webhook (client ${clientId})`, url);
  return {
    kind: 'teams',
    post: (message) =>
      postWebhook({
        vendor: `Teams webhook (client ${clientId})`,
        url,
        payload: {
          type: 'message',
          attachments: [
            {
              contentType: 'application/vnd.microsoft.card.adaptive',
              contentUrl: null,
              content: {
                $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
                type: ADAPTIVE_CARD,
                version: '1.4',
                body: [
                  { type: TEXT_BLOCK, text: message.title, weight: 'Bolder', size: 'Medium', wrap: true },
                  { type: TEXT_BLOCK, text: message.text, wrap: true },
                ],
              },
            },
          ],
        },
        accepted: (status, body) => status === 202 || (status === 200 && (body.trim() === '' || body.trim() === '1')),
        tuning,
      }),
  };
}
