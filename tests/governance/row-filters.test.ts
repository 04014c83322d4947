import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lakehouse, SqlEngine, sqlStatementsFeature } from '@lakebox/engine';
import { sparkConnectFeature } from '@lakebox/connect';
import { loadConfig, startServer, type RunningServer } from '@lakebox/server';
import { freePort } from '../support/ports.js';
import { venvPython } from '../support/python.js';
import { REPO_ROOT } from '../support/repo.js';

// Acceptance 2 of issue 6: a row filter and a column mask (SQL UDFs using current_user() and
// is_account_group_member()) hold on every path that reads the table: SQL in the engine, the
// Statement Execution API over HTTP, and Spark Connect through the real PySpark client (spark.sql,
// spark.table, DataFrame filters and aggregates, which compile to plans over the same resolver).

let dir: string;
let server: RunningServer;
let engine: SqlEngine;
let scPort: number;
const tokens: Record<string, string> = {};
const USERS = ['admin', 'alice', 'hank'] as const;
type User = (typeof USERS)[number];

const TABLE = 'rf.s.emp';
/** What each user must see, whatever the surface. */
const EXPECTED: Record<User, { rows: unknown[][]; groups: unknown[][]; ssnHits: number }> = {
  // admins pass the filter; not in hr, so ssn stays masked
  admin: {
    rows: [
      [1, 'EU', '***', 100],
      [2, 'US', '***', 200],
      [3, 'EU', '***', 300],
    ],
    groups: [
      ['EU', 2],
      ['US', 1],
    ],
    ssnHits: 0,
  },
  // EU rows only, masked
  alice: {
    rows: [
      [1, 'EU', '***', 100],
      [3, 'EU', '***', 300],
    ],
    groups: [['EU', 2]],
    ssnHits: 0,
  },
  // current_user() = 'hank' passes the filter; hr members see ssn
  hank: {
    rows: [
      [1, 'EU', '111-11-1111', 100],
      [2, 'US', '222-22-2222', 200],
      [3, 'EU', '333-33-3333', 300],
    ],
    groups: [
      ['EU', 2],
      ['US', 1],
    ],
    ssnHits: 1,
  },
};
const Q_ROWS = `SELECT id, region, ssn, salary FROM ${TABLE} ORDER BY id`;
const Q_GROUPS = `SELECT region, count(*) FROM ${TABLE} GROUP BY region ORDER BY region`;
const Q_SSN = `SELECT id FROM ${TABLE} WHERE ssn = '222-22-2222'`;

const adminSql = (sql: string) =>
  engine.execute(sql, { session: { catalog: 'main', schema: 'default', user: 'admin' } });

async function statementApi(user: User, sql: string): Promise<unknown[][]> {
  const res = await fetch(`${server.url}/api/2.0/sql/statements`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tokens[user]}`, 'content-type': 'application/json' },
    body: JSON.stringify({ statement: sql, wait_timeout: '30s' }),
  });
  const body = (await res.json()) as {
    status: { state: string; error?: unknown };
    result?: { data_array?: string[][] };
    manifest?: { schema: { columns: { type_name: string }[] } };
  };
  expect(body.status.state, JSON.stringify(body.status.error)).toBe('SUCCEEDED');
  const types = body.manifest!.schema.columns.map((c) => c.type_name);
  return (body.result?.data_array ?? []).map((r) =>
    r.map((v, i) => (v !== null && /INT|LONG|DOUBLE|SHORT|BYTE/.test(types[i]) ? Number(v) : v)),
  );
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakebox-gov-rf-'));
  const config = loadConfig({ dataDir: dir, port: 0, host: '127.0.0.1', logLevel: 'silent' }, {});
  scPort = await freePort();
  config.sparkConnect = { ...config.sparkConnect, host: '127.0.0.1', port: scPort };
  server = await startServer(config, {
    features: [sqlStatementsFeature(), sparkConnectFeature],
    logger: false,
    onAdminToken: (t) => (tokens.admin = t),
  });
  const cat = server.catalog;
  const lakehouse = new Lakehouse(cat.metastore);
  engine = new SqlEngine({ resolver: lakehouse, handlers: [lakehouse] });
  lakehouse.engine = engine;
  for (const u of ['alice', 'hank']) {
    await cat.principals.ensurePrincipal(u);
    tokens[u] = (await cat.principals.createToken(u)).token;
  }
  await cat.principals.ensurePrincipal('hr', { kind: 'group' });
  await cat.principals.addMember('hr', 'hank');
  for (const s of [
    'CREATE CATALOG rf',
    'CREATE SCHEMA rf.s',
    `CREATE TABLE ${TABLE} (id INT, region STRING, ssn STRING, salary INT)`,
    `INSERT INTO ${TABLE} VALUES (1, 'EU', '111-11-1111', 100), (2, 'US', '222-22-2222', 200), (3, 'EU', '333-33-3333', 300)`,
    "CREATE FUNCTION rf.s.region_filter(region STRING) RETURNS BOOLEAN RETURN is_account_group_member('admins') OR region = 'EU' OR current_user() = 'hank'",
    "CREATE FUNCTION rf.s.ssn_mask(ssn STRING) RETURNS STRING RETURN CASE WHEN is_account_group_member('hr') THEN ssn ELSE '***' END",
    `ALTER TABLE ${TABLE} SET ROW FILTER rf.s.region_filter ON (region)`,
    `ALTER TABLE ${TABLE} ALTER COLUMN ssn SET MASK rf.s.ssn_mask`,
    'GRANT USE CATALOG, USE SCHEMA, SELECT ON CATALOG rf TO alice',
    'GRANT USE CATALOG, USE SCHEMA, SELECT ON CATALOG rf TO hank',
  ])
    await adminSql(s);
}, 120_000);

afterAll(async () => {
  await server?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('row filters and column masks on every surface', () => {
  it.each(USERS)('SQL in the engine, as %s', async (user) => {
    const run = async (sql: string) =>
      (await engine.execute(sql, { session: { catalog: 'main', schema: 'default', user } })).rows;
    expect(await run(Q_ROWS)).toEqual(EXPECTED[user].rows);
    expect(await run(Q_GROUPS)).toEqual(EXPECTED[user].groups);
    expect((await run(Q_SSN)).length).toBe(EXPECTED[user].ssnHits);
    // a subquery, a join and a CTE read the same filtered, masked rows
    expect(
      await run(`WITH e AS (SELECT * FROM ${TABLE}) SELECT count(*) FROM e JOIN ${TABLE} t ON e.id = t.id`),
    ).toEqual([[EXPECTED[user].rows.length]]);
  });

  it.each(USERS)('Statement Execution API, as %s', async (user) => {
    expect(await statementApi(user, Q_ROWS)).toEqual(EXPECTED[user].rows);
    expect(await statementApi(user, Q_GROUPS)).toEqual(EXPECTED[user].groups);
    expect((await statementApi(user, Q_SSN)).length).toBe(EXPECTED[user].ssnHits);
  });

  it('Spark Connect through PySpark: spark.sql, spark.table, DataFrame filters and aggregates', async () => {
    const cases = USERS.flatMap((u) => {
      const url = `sc://localhost:${scPort}/;token=${tokens[u]}`;
      return [
        { id: `${u}:sql`, url, op: 'sql', arg: Q_ROWS },
        { id: `${u}:sql_groups`, url, op: 'sql', arg: Q_GROUPS },
        { id: `${u}:table`, url, op: 'table_sorted', arg: TABLE },
        { id: `${u}:group`, url, op: 'group_region', arg: TABLE },
        { id: `${u}:where`, url, op: 'where_ssn', arg: TABLE },
      ];
    });
    const out = await new Promise<string>((resolve, reject) => {
      const child = execFile(
        venvPython(),
        [path.join(REPO_ROOT, 'tests', 'governance', 'connect_matrix.py')],
        { timeout: 300_000, maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      );
      child.stdin!.end(JSON.stringify(cases));
    });
    const results = new Map(
      (
        JSON.parse(out.trim().split('\n').pop()!) as { results: { id: string; ok: boolean; text: string }[] }
      ).results.map((r) => [r.id, r]),
    );
    for (const u of USERS) {
      const get = (k: string) => {
        const r = results.get(`${u}:${k}`)!;
        expect(r.ok, r.text).toBe(true);
        return JSON.parse(r.text) as unknown[][];
      };
      expect(get('sql'), u).toEqual(EXPECTED[u].rows);
      expect(get('table'), u).toEqual(EXPECTED[u].rows);
      expect(get('sql_groups'), u).toEqual(EXPECTED[u].groups);
      expect(get('group'), u).toEqual(EXPECTED[u].groups);
      expect(get('where').length, u).toBe(EXPECTED[u].ssnHits);
    }
  });
});
