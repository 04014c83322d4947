import { afterAll } from 'vitest';
import { startPostgres, type PostgresServer } from '../../../tests/support/postgres.js';
import { metastoreSuite } from '../src/metastore.suite.js';

// The same suite as src/metastore.test.ts (SQLite), against a real PostgreSQL started here.
let server: PostgresServer | undefined;
afterAll(async () => {
  await server?.stop();
});

metastoreSuite('postgres', async () => {
  server = await startPostgres();
  return server.createDatabase('lakebox_metastore');
});
