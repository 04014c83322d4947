import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { VERSION } from '@lakebox/common';
import { auditPlugin } from './audit.js';
import { authPlugin } from './auth.js';
import type { LakeboxFeature, LakeboxPluginOptions } from './context.js';
import { installErrorHandlers } from './errors.js';
import type { SecurityLimits } from './rate-limit.js';
import { loginRoutes } from './routes/login.js';
import { scimRoutes } from './routes/scim.js';
import { tokenRoutes } from './routes/tokens.js';
import { unityCatalogRoutes } from './routes/unity-catalog.js';
import { lineageRoutes } from './routes/lineage.js';

export interface BuildAppOptions extends Omit<LakeboxPluginOptions, 'log'> {
  /** Feature plugins mounted after the built-in routes. */
  features?: LakeboxFeature[];
  /** Limits on failed logins and bad tokens (defaults in rate-limit.ts). */
  securityLimits?: Partial<SecurityLimits>;
  /** Audit log settings; false: no audit log (tests of other parts only). */
  audit?: false | { flushIntervalMs?: number; batchSize?: number };
  /** fastify's logger option (default: pino at config.logLevel). */
  logger?: FastifyServerOptions['logger'];
}

/** The workspace server's fastify app: auth, error shapes, /health, built-in APIs and feature plugins. Does not listen. */
export async function buildApp(opts: BuildAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? { level: opts.config.logLevel },
    bodyLimit: 64 * 1024 * 1024,
    // Request ids: the caller's X-Request-Id when sent, else a fresh UUID; echoed in the response
    // and in every log line of the request.
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    forceCloseConnections: 'idle',
  });
  installErrorHandlers(app);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  if (opts.audit !== false) await app.register(auditPlugin, { metastore: opts.metastore, ...(opts.audit ?? {}) });
  await app.register(authPlugin, { principals: opts.principals, limits: opts.securityLimits });

  app.get('/health', { config: { public: true } }, async () => ({ status: 'ok', version: VERSION }));

  const shared: LakeboxPluginOptions = {
    db: opts.db,
    dialect: opts.dialect,
    metastore: opts.metastore,
    principals: opts.principals,
    config: opts.config,
    services: opts.services,
    log: app.log,
  };
  await app.register(tokenRoutes, shared);
  await app.register(scimRoutes, shared);
  await app.register(loginRoutes, shared);
  await app.register(unityCatalogRoutes, { ...shared, prefix: '/api/2.1/unity-catalog' });
  await app.register(lineageRoutes, shared);
  for (const f of opts.features ?? []) {
    await app.register(f.plugin, { ...shared, ...(f.prefix ? { prefix: f.prefix } : {}) });
  }
  return app;
}
