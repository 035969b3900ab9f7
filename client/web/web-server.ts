import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { approvalPageRoutes, type ApprovalPageDeps } from './approval-page';

// The one HTTP server of `patchctl web`. Every feature that answers on it is a fastify plugin listed
// in `routePlugins`: adding one (the credential-alert webhook, say) is one line there.

export type WebServerDeps = ApprovalPageDeps & {
  /** Fastify's logger (pino) options; off in tests. */
  logger?: boolean | { level: string };
};

export function redactToken(url: string): string {
  return url.replace(/\/approve\/[^/?#]+/, '/approve/<token>');
}

export function routePlugins(deps: WebServerDeps): FastifyPluginAsync[] {
  return [approvalPageRoutes(deps)];
}

/** Builds (does not start) the server; `listen` is the caller's. */
export async function buildWebServer(deps: WebServerDeps, plugins: FastifyPluginAsync[] = routePlugins(deps)): Promise<FastifyInstance> {
  // A link's token is in the path: request logs show the route, never the token.
  const logger = deps.logger ? { ...(typeof deps.logger === 'object' ? deps.logger : {}), serializers: { req: (req: { method: string; url: string }) => ({ method: req.method, url: redactToken(req.url) }) } } : false;
  const app = Fastify({ logger, trustProxy: false });
  for (const plugin of plugins) await app.register(plugin);
  app.get('/healthz', async () => ({ ok: true }));
  return app;
}
