import type { Command } from 'commander';
import { defineCommand } from '../define-command';
import { option } from '../option-spec';
import { info } from '../output';

export function triageWebhookCommand(): Command {
  return defineCommand({
    name: 'webhook',
    description: 'serve the credential-alert webhook (HMAC-signed POSTs start triages) until stopped; `patchctl web` will carry it too',
    options: {
      listen: option('--listen', 'serve it (required: this command does nothing else)', ({ z }) => z.literal(true, { message: 'pass --listen to serve the webhook' }), { required: true }),
      host: option('--host <addr>', 'address to bind (default 127.0.0.1; put a TLS proxy in front for the internet)', ({ z }) => z.string().min(1)),
      port: option('--port <n>', 'port to bind (default 8787)', ({ z }) => z.coerce.number().int().min(1).max(65_535)),
    },
    run: async (opts) => {
      const [{ loadEnv, resolveDatabaseUrl }, { loadPolicy }, { resolveTemporalTarget, connectClient }, { migrateUp }, { createPool }, { triageWebhookSecret }, { listenForTriageAlerts }, { waitForStop }] = await Promise.all([
        import('../../connection/stack.js'),
        import('../../use-cases/policy.js'),
        import('../../connection/temporal-connection.js'),
        import('../../../activities/store/migrate.js'),
        import('../../../activities/store/pool.js'),
        import('./webhook-secret.js'),
        import('./webhook-listener.js'),
        import('../../dev-stack/stop-signal.js'),
      ]);
      const secret = triageWebhookSecret(loadEnv());
      const { policy } = loadPolicy();
      const databaseUrl = resolveDatabaseUrl();
      await migrateUp(databaseUrl);
      const db = createPool(databaseUrl, 2);
      const target = resolveTemporalTarget();
      const temporal = await connectClient(target);
      const listener = await listenForTriageAlerts({ temporal, taskQueue: target.taskQueue, db, secret, knownClients: policy.clients.map((c) => c.id), host: opts.host, port: opts.port ?? 8787 });
      info(`credential-alert webhook: POST ${listener.url} (headers x-patchctl-timestamp, x-patchctl-signature: sha256=HMAC(secret, "<timestamp>.<body>"))`);
      await waitForStop(new Promise<string>(() => undefined));
      await listener.close();
      await temporal.connection.close();
      await db.end();
    },
  });
}
