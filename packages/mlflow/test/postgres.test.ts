import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCatalog, type OpenCatalog } from '@lakebox/catalog';
import { buildApp, loadConfig, ServiceRegistry } from '@lakebox/server';
import { startPostgres, type PostgresServer } from '../../../tests/support/postgres.js';
import { MlflowClient, mlflowFeature } from '../src/index.js';
import { clientScenario } from './scenario.js';

// The same walk through the API with PostgreSQL as the metastore (a real server from .ci/run's
// postgresql package): migrations, upserts, run search SQL (LIKE/ILIKE, subqueries) on PostgreSQL.

let pgServer: PostgresServer;
let catalog: OpenCatalog;
let app: FastifyInstance;
let dir: string;
let token: string;

beforeAll(async () => {
  pgServer = await startPostgres();
  const url = await pgServer.createDatabase('mlflow_test');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakebox-mlflow-pg-'));
  const config = loadConfig({ dataDir: dir, logLevel: 'silent' }, {});
  catalog = await openCatalog({ url, storageRoot: config.storageRoot, volumesRoot: config.volumesRoot });
  token = (await catalog.principals.bootstrapAdmin())!.token;
  app = await buildApp({
    db: catalog.database.db,
    dialect: catalog.database.dialect,
    metastore: catalog.metastore,
    principals: catalog.principals,
    config,
    services: new ServiceRegistry(),
    features: [mlflowFeature],
    logger: false,
  });
});
afterAll(async () => {
  await app?.close();
  await catalog?.close();
  await pgServer?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('MLflow on a PostgreSQL metastore', () => {
  it('serves the whole client walk', async () => {
    expect(catalog.database.dialect).toBe('postgres');
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const c = new MlflowClient({ trackingUri: address, token });
    await clientScenario(c);
    // LIKE is case-sensitive, ILIKE is not, on PostgreSQL too
    const exp = await c.createExperiment('pg-like');
    await c.createRun(exp, { runName: 'Alpha' });
    expect((await c.searchRuns([exp], { filter: "attributes.run_name LIKE 'al%'" })).runs ?? []).toHaveLength(0);
    expect((await c.searchRuns([exp], { filter: "attributes.run_name ILIKE 'al%'" })).runs).toHaveLength(1);
    expect((await c.getExperiment('0')).name).toBe('Default');
  });
});
