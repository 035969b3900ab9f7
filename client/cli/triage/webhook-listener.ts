import type { Client } from '@temporalio/client';
import Fastify, { type FastifyPluginAsync } from 'fastify';
import type { Pool } from 'pg';
import { rememberWebhookDelivery } from '../../../activities/store/triage-store';
import { TRIAGE_WEBHOOK_PATH, triageWebhook } from '../../web/triage-webhook';
import { startTriage } from './start-triage';

// The triage webhook wired to PostgreSQL and Temporal: `patchctl web` serves it beside the approval
// page when a webhook secret is configured; `patchctl triage webhook --listen` and the demo serve it
// alone.

export interface TriageListener {
  url: string;
  close(): Promise<void>;
}

export interface TriageRouteOptions {
  temporal: Client;
  taskQueue: string;
  db: Pool;
  secret: string;
  knownClients: readonly string[];
}

export function triageWebhookRoutes(options: TriageRouteOptions): FastifyPluginAsync {
  return async (app) => {
    await app.register(triageWebhook, {
      secret: options.secret,
      knownClients: options.knownClients,
      rememberDelivery: (signature, forgetBefore) => rememberWebhookDelivery(options.db, signature, forgetBefore),
      startTriage: (alert) => startTriage(options.temporal, options.taskQueue, alert, { source: 'webhook', reportedBy: 'webhook' }),
    });
  };
}

export async function listenForTriageAlerts(options: TriageRouteOptions & { host?: string; port?: number }): Promise<TriageListener> {
  const app = Fastify({ logger: false });
  await app.register(triageWebhookRoutes(options));
  const address = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  return { url: `${address}${TRIAGE_WEBHOOK_PATH}`, close: () => app.close() };
}
