import type { Client } from '@temporalio/client';
import Fastify from 'fastify';
import type { Pool } from 'pg';
import { rememberWebhookDelivery } from '../../../activities/store/triage-store';
import { TRIAGE_WEBHOOK_PATH, triageWebhook } from '../../web/triage-webhook';
import { startTriage } from './start-triage';

// A fastify server carrying only the triage webhook, until `patchctl web` registers the plugin with
// its other routes. Used by `patchctl triage webhook --listen` and the demo.

export interface TriageListener {
  url: string;
  close(): Promise<void>;
}

export async function listenForTriageAlerts(options: { temporal: Client; taskQueue: string; db: Pool; secret: string; knownClients: readonly string[]; host?: string; port?: number }): Promise<TriageListener> {
  const app = Fastify({ logger: false });
  await app.register(triageWebhook, {
    secret: options.secret,
    knownClients: options.knownClients,
    rememberDelivery: (signature, forgetBefore) => rememberWebhookDelivery(options.db, signature, forgetBefore),
    startTriage: (alert) => startTriage(options.temporal, options.taskQueue, alert, { source: 'webhook', reportedBy: 'webhook' }),
  });
  const address = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  return { url: `${address}${TRIAGE_WEBHOOK_PATH}`, close: () => app.close() };
}
