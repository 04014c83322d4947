import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sparkConnectFeature } from '@lakebox/connect';
import { DeltaTable, readRows } from '@lakebox/delta';
import { freePort } from '../support/ports.js';
import { venvPython } from '../support/python.js';
import { loadConfig } from '../../packages/server/src/config.js';
import { startServer, type RunningServer } from '../../packages/server/src/start.js';

// Acceptance 3 (audit) through Spark Connect with the real PySpark client: an allowed and a denied
// read are recorded in system.access.audit (ExecutePlan events and the SQL statement itself).

const run = promisify(execFile);
let server: RunningServer;
let dir: string;
let scPort: number;

const PROGRAM = `
import json, sys
from pyspark.sql import SparkSession
out = {}
for who, url in (("admin", sys.argv[1]), ("vic", sys.argv[2])):
    spark = SparkSession.builder.remote(url).getOrCreate()
    try:
        out[who] = spark.sql("SELECT count(*) AS n FROM main.default.ledger").collect()[0][0]
    except Exception as e:
        out[who] = type(e).__name__ + ": " + str(e).splitlines()[0]
    spark.stop()
print(json.dumps(out))
`;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakebox-audit-connect-'));
  const config = loadConfig({ dataDir: dir, port: 0, logLevel: 'silent' }, {});
  scPort = await freePort();
  config.sparkConnect.port = scPort;
  config.sparkConnect.host = '127.0.0.1';
  server = await startServer(config, { features: [sparkConnectFeature], logger: false });
  await server.catalog.metastore.createTable({
    catalog: 'main',
    schema: 'default',
    name: 'ledger',
    owner: 'admin',
    tableType: 'MANAGED',
    columns: [{ name: 'id', typeText: 'int', nullable: true }],
  });
  const loc = (await server.catalog.metastore.getTable('main', 'default', 'ledger')).storageLocation!;
  await DeltaTable.create(loc, {
    schema: { type: 'struct', fields: [{ name: 'id', type: 'integer', nullable: true, metadata: {} }] },
  });
  await server.catalog.principals.createPrincipal('vic');
}, 120_000);
afterAll(async () => {
  await server?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('audit through Spark Connect', () => {
  it('records the allowed and the denied read of a PySpark client', async () => {
    const vic = (await server.catalog.principals.createToken('vic')).token;
    // (PySpark only connects without TLS to "localhost" when a token is given)
    const url = (token: string) => `sc://localhost:${scPort}/;token=${token}`;
    const { stdout } = await run(venvPython(), ['-c', PROGRAM, url(server.createdAdminToken!), url(vic)], {
      timeout: 180_000,
    });
    const out = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(out.admin).toBe(0);
    expect(out.vic).toMatch(/PERMISSION_DENIED|permission/i);

    await server.app.lakeboxAudit.flush();
    const info = await server.catalog.metastore.getTable('system', 'access', 'audit');
    const rows = (await readRows(await (await DeltaTable.open(info.storageLocation!)).snapshot())) as Record<
      string,
      any
    >[];
    const mine = rows.filter((r) => r.service_name === 'sparkConnect');
    const summary = mine.map((r) => [r.user_identity?.email, r.action_name, r.allowed]);
    expect(summary).toContainEqual(['admin', 'SELECT', true]);
    expect(summary).toContainEqual(['vic', 'SELECT', false]);
    // spark.sql() sends a command (accepted, the query is lazy), collect() the relation (refused)
    expect(summary).toContainEqual(['vic', 'ExecutePlan.relation', false]);
    expect(summary).toContainEqual(['admin', 'ExecutePlan.relation', true]);
    const denied = mine.find((r) => r.user_identity?.email === 'vic' && r.action_name === 'SELECT')!;
    expect(denied.response.status_code).toBe(403);
    expect(denied.source_ip_address === null || typeof denied.source_ip_address === 'string').toBe(true);
  });
});
