import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { openCatalog, type OpenCatalog } from '@lakebox/catalog';
import { buildApp, type BuildAppOptions } from './app.js';
import { loadConfig } from './config.js';
import { ServiceRegistry, type LakeboxFeature } from './context.js';

/** An app over a fresh SQLite metastore in a temp dir, bootstrapped like a first start (for inject() tests). */
export async function testApp(
  features: LakeboxFeature[] = [],
  extra: Pick<BuildAppOptions, 'securityLimits' | 'audit'> = {},
): Promise<{
  app: FastifyInstance;
  catalog: OpenCatalog;
  adminToken: string;
  dir: string;
  close(): Promise<void>;
}> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakebox-server-'));
  const config = loadConfig({ dataDir: dir, logLevel: 'silent' }, {});
  const catalog = await openCatalog({
    url: config.metastoreUrl,
    storageRoot: config.storageRoot,
    volumesRoot: config.volumesRoot,
  });
  const admin = await catalog.principals.bootstrapAdmin();
  await catalog.metastore.bootstrap('admin');
  const app = await buildApp({
    db: catalog.database.db,
    dialect: catalog.database.dialect,
    metastore: catalog.metastore,
    principals: catalog.principals,
    config,
    services: new ServiceRegistry(),
    features,
    logger: false,
    ...extra,
  });
  return {
    app,
    catalog,
    adminToken: admin!.token,
    dir,
    close: async () => {
      await app.close();
      await catalog.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
