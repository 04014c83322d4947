import { afterAll } from 'vitest';
import { startPostgres, type PostgresServer } from '../../../tests/support/postgres.js';
import { authzSuite } from '../src/authz/authz.suite.js';

// The same suite as src/authz/authorizer.test.ts (SQLite), against a real PostgreSQL started here.
let server: PostgresServer | undefined;
afterAll(async () => {
  await server?.stop();
});

authzSuite('postgres', async () => {
  server = await startPostgres();
  return server.createDatabase('lakebox_authz');
});
