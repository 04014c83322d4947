import * as fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { LakeboxError } from '@lakebox/common';
import { ADMIN_USER, openCatalog, type OpenCatalog } from '@lakebox/catalog';
import { buildApp } from './app.js';
import type { LakeboxConfig } from './config.js';
import { ServiceRegistry, type LakeboxFeature, type LakeboxService } from './context.js';
import { loadFeatures } from './plugins.js';

export interface RunningServer {
  app: FastifyInstance;
  /** http://host:port */
  url: string;
  port: number;
  catalog: OpenCatalog;
  /** The admin token when this start created it (first start only). */
  createdAdminToken: string | undefined;
  /** Stop listening, let in-flight requests finish, stop services, close the metastore. Idempotent. */
  close(): Promise<void>;
}

/**
 * Open (and on first start initialise) the data directory, then serve. On first start the
 * `admin` user and one token are created; the token is returned (and printed by `lakebox start`)
 * and never stored in clear anywhere.
 */
export async function startServer(
  config: LakeboxConfig,
  opts: {
    features?: LakeboxFeature[];
    logger?: Parameters<typeof buildApp>[0]['logger'];
    /** Called once, on first start, with the new admin token, before the "lakebox listening" log line. */
    onAdminToken?: (token: string, url: string) => void;
  } = {},
): Promise<RunningServer> {
  fs.mkdirSync(config.dataDir, { recursive: true });
  const catalog = await openCatalog({
    url: config.metastoreUrl,
    storageRoot: config.storageRoot,
    volumesRoot: config.volumesRoot,
  });
  let app: FastifyInstance | undefined;
  const started: LakeboxService[] = [];
  try {
    await catalog.metastore.bootstrap(ADMIN_USER);
    fs.mkdirSync(config.storageRoot, { recursive: true });
    const services = new ServiceRegistry();
    app = await buildApp({
      db: catalog.database.db,
      dialect: catalog.database.dialect,
      metastore: catalog.metastore,
      principals: catalog.principals,
      config,
      services,
      features: opts.features ?? (await loadFeatures()),
      logger: opts.logger,
    });
    await app.listen({ host: config.host, port: config.port });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    // Only once the port is ours: a start that fails must not swallow the one-time admin token.
    const admin = await catalog.principals.bootstrapAdmin();
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    if (admin) opts.onAdminToken?.(admin.token, url);
    app.log.info({ url, dataDir: config.dataDir, metastore: catalog.database.displayUrl }, 'lakebox listening');
    for (const s of services.services) {
      const r = await s.start();
      started.push(s);
      app.log.info({ service: s.name, ...(r && r.address ? { address: r.address } : {}) }, 'service started');
    }
    let closing: Promise<void> | undefined;
    const theApp = app;
    return {
      app,
      url,
      port,
      catalog,
      createdAdminToken: admin?.token,
      close: () =>
        (closing ??= (async () => {
          await theApp.close();
          for (const s of [...started].reverse()) {
            await s
              .stop()
              .catch((e: unknown) => theApp.log.error({ err: e, service: s.name }, 'service did not stop cleanly'));
          }
          await catalog.close();
        })()),
    };
  } catch (e) {
    for (const s of started.reverse()) await s.stop().catch(() => {});
    await app?.close().catch(() => {});
    await catalog.close().catch(() => {});
    if ((e as { code?: string }).code === 'EADDRINUSE') {
      throw new LakeboxError(
        'PORT_IN_USE',
        `cannot listen on ${config.host}:${config.port}: the port is in use (choose another with --port)`,
      );
    }
    throw e;
  }
}
