import type { Command } from 'commander';
import { defineCommand } from './define-command';
import { option } from './option-spec';
import { info } from './output';

export function webCommand(): Command {
  return defineCommand({
    name: 'web',
    description: 'serve the approval page that the one-time links in decision mails open (loopback by default; put a TLS proxy in front)',
    options: {
      listen: option('--listen <host:port>', 'address to bind (default: PATCHCTL_WEB_LISTEN, else 127.0.0.1:8480)', ({ z }) => z.string().min(1)),
      publicUrl: option('--public-url <url>', 'the URL the mailed links start with (default: PATCHCTL_WEB_PUBLIC_URL, else http://<listen>)', ({ z }) => z.string().min(1)),
      keyFile: option('--key-file <file>', "the page's own Ed25519 private key, mode 0600 (default: PATCHCTL_WEB_KEY_FILE)", ({ z }) => z.string().min(1)),
      config: option('-c, --config <file>', 'policy file (default: PATCHCTL_CONFIG, ./patchctl.yaml, the example)', ({ z }) => z.string().min(1)),
    },
    run: async (opts) => {
      const [{ webEnvSchema }, { problemsFromZod }, { badInput }, { loadEnv, resolveDatabaseUrl, resolveOutboxDir }, { resolveTemporalTarget }, { connectClient }, { loadPolicy }, { waitForStop }] = await Promise.all([
        import('../../config/env-schema.js'),
        import('../../config/problems.js'),
        import('../errors.js'),
        import('../connection/stack.js'),
        import('../connection/temporal-target.js'),
        import('../connection/temporal-connection.js'),
        import('../use-cases/policy.js'),
        import('../dev-stack/stop-signal.js'),
      ]);
      const env = loadEnv();
      // Flags win over the environment; both go through the one schema, so errors name the variable.
      const given = {
        PATCHCTL_WEB_LISTEN: opts.listen ?? env.PATCHCTL_WEB_LISTEN,
        PATCHCTL_WEB_PUBLIC_URL: opts.publicUrl ?? env.PATCHCTL_WEB_PUBLIC_URL,
        PATCHCTL_WEB_KEY_FILE: opts.keyFile ?? env.PATCHCTL_WEB_KEY_FILE,
        PATCHCTL_APPROVAL_LINK_TTL: process.env.PATCHCTL_APPROVAL_LINK_TTL,
      };
      const parsed = webEnvSchema.safeParse(given);
      if (!parsed.success) throw badInput('invalid approval page settings', 'fix the flags or variables named above', problemsFromZod(parsed.error, given));
      const web = parsed.data;
      if (!web.PATCHCTL_WEB_KEY_FILE) throw badInput('the approval page has no signing key', 'create one with `patchctl keys generate` and pass it with --key-file or PATCHCTL_WEB_KEY_FILE');
      const separator = web.PATCHCTL_WEB_LISTEN.lastIndexOf(':');
      const host = web.PATCHCTL_WEB_LISTEN.slice(0, separator).replace(/^\[|\]$/g, '');
      const port = Number(web.PATCHCTL_WEB_LISTEN.slice(separator + 1));
      const publicUrl = web.PATCHCTL_WEB_PUBLIC_URL ?? `http://${web.PATCHCTL_WEB_LISTEN}`;
      const outboxDir = env.SMTP_URL ? undefined : resolveOutboxDir();
      if (!env.SMTP_URL && !outboxDir) throw badInput('the approval page has nowhere to send confirmation codes', 'set SMTP_URL to your relay (smtp://host:587), or PATCHCTL_OUTBOX_DIR to a folder for .eml files');

      const [{ loadApprovalPageSigner }, { buildWebServer, routePlugins }, { createMailer }, { createPool }, { triageWebhookRoutes }, { triageWebhookSecret }] = await Promise.all([
        import('../web/approval-signer.js'),
        import('../web/web-server.js'),
        import('../../activities/adapters/mail/nodemailer-mailer.js'),
        import('../../activities/store/pool.js'),
        import('./triage/webhook-listener.js'),
        import('./triage/webhook-secret.js'),
      ]);
      const signer = loadApprovalPageSigner(web.PATCHCTL_WEB_KEY_FILE);
      const { policy } = loadPolicy(opts.config);
      const db = createPool(resolveDatabaseUrl(), 4);
      const temporal = await connectClient(resolveTemporalTarget(), env);
      const mailer = createMailer({ from: policy.msp.mailFrom, smtpUrl: env.SMTP_URL, outboxDir, smtpPasswordFile: env.SMTP_PASSWORD_FILE });
      const deps = { db, temporal, mailer, signer, publicUrl, logger: { level: env.PATCHCTL_LOG_LEVEL.toLowerCase() } };
      // The credential-alert webhook is served beside the page once its HMAC secret is configured.
      const triageConfigured = Boolean(env.PATCHCTL_TRIAGE_WEBHOOK_SECRET || env.PATCHCTL_TRIAGE_WEBHOOK_SECRET_FILE);
      const triage = triageConfigured
        ? [triageWebhookRoutes({ temporal, taskQueue: resolveTemporalTarget().taskQueue, db, secret: triageWebhookSecret(env), knownClients: policy.clients.map((c) => c.id) })]
        : [];
      const app = await buildWebServer(deps, [...routePlugins(deps), ...triage]);
      await app.listen({ host, port });
      info(`patchctl web: approval page on ${web.PATCHCTL_WEB_LISTEN}, links start with ${publicUrl}/approve/; Ctrl-C stops it`);
      if (triageConfigured) info(`  credential-alert webhook: POST ${publicUrl}/webhooks/credential-alert`);
      info(`  workers mail links when PATCHCTL_WEB_PUBLIC_URL=${publicUrl} is set for them; decisions are signed with ${web.PATCHCTL_WEB_KEY_FILE}`);
      await waitForStop(new Promise<string>(() => undefined));
      await app.close();
      await temporal.connection.close();
      await db.end();
    },
  });
}
