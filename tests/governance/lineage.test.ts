import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLakebox, type RunningLakebox } from '../support/lakebox.js';
import { venvPython } from '../support/python.js';
import { REPO_ROOT } from '../support/repo.js';

// Lineage end to end, against the real `lakebox start`: a three-step pipeline raw -> cleaned ->
// aggregate run once as SQL through the Statement Execution API and once as a DataFrame program
// through the real PySpark Spark Connect client (saveAsTable). Both must show the right table and
// column edges in system.access.table_lineage / column_lineage (SQL) and in the lineage API.

const run = promisify(execFile);
let lb: RunningLakebox;
let dir: string;
let scPort: number;
let token: string;
const api = (method: string, url: string, body?: unknown) => lb.api(method, url, body);

beforeAll(async () => {
  lb = await startLakebox({ sparkConnect: true, prefix: 'lakebox-lineage-' });
  ({ dir, token, sparkConnectPort: scPort } = lb);
}, 60_000);

afterAll(async () => {
  await lb?.stop();
});

/** Run one statement through the Statement Execution API; returns its id and rows. */
async function sql(statement: string): Promise<{ id: string; rows: (string | null)[][] }> {
  const r = await api('POST', '/api/2.0/sql/statements', { statement, wait_timeout: '30s' });
  if (r.status.state !== 'SUCCEEDED') throw new Error(`${statement}: ${JSON.stringify(r.status)}`);
  return { id: r.statement_id, rows: r.result?.data_array ?? [] };
}

/** `source.column -> target.column` edges into the tables with this prefix, from system.access.column_lineage. */
async function columnEdges(prefix: string): Promise<string[]> {
  const { rows } =
    await sql(`SELECT DISTINCT source_table_name, source_column_name, target_table_name, target_column_name
    FROM system.access.column_lineage WHERE target_table_name LIKE '${prefix}\\_%' ESCAPE '\\\\'`);
  return rows.map((r) => `${r[0]}.${r[1]} -> ${r[2]}.${r[3]}`).sort();
}
async function tableEdges(prefix: string): Promise<string[][]> {
  const { rows } =
    await sql(`SELECT DISTINCT source_table_full_name, target_table_full_name, entity_type, entity_id, created_by
    FROM system.access.table_lineage WHERE target_table_name LIKE '${prefix}\\_%' ESCAPE '\\\\'
    ORDER BY 2, 1`);
  return rows as string[][];
}

const expectedColumns = (p: string) => [
  `${p}_cleaned.amount_eur -> ${p}_agg.total`,
  `${p}_cleaned.country -> ${p}_agg.country`,
  `${p}_raw.amount -> ${p}_cleaned.amount_eur`,
  `${p}_raw.country -> ${p}_cleaned.country`,
  `${p}_raw.id -> ${p}_cleaned.id`,
  `${p}_raw.name -> ${p}_cleaned.name`,
];

describe('lineage of a three-step pipeline', () => {
  it('through SQL (Statement Execution API): system tables and the lineage API', async () => {
    await sql('CREATE TABLE main.default.s_raw (id BIGINT, name STRING, amount DOUBLE, country STRING)');
    await sql("INSERT INTO main.default.s_raw VALUES (1, 'ann', 10, 'fr'), (2, 'bob', -1, 'de'), (3, 'cy', 5, 'fr')");
    const cleaned = await sql(`CREATE TABLE main.default.s_cleaned AS
      SELECT id, upper(name) AS name, amount * 1.2 AS amount_eur, country FROM main.default.s_raw WHERE amount > 0`);
    const agg = await sql(`CREATE TABLE main.default.s_agg AS
      SELECT country, sum(amount_eur) AS total, count(*) AS n FROM main.default.s_cleaned GROUP BY country`);

    expect(await columnEdges('s')).toEqual(expectedColumns('s'));
    expect(await tableEdges('s')).toEqual([
      ['main.default.s_cleaned', 'main.default.s_agg', 'SQL_STATEMENT', agg.id, 'admin'],
      ['main.default.s_raw', 'main.default.s_cleaned', 'SQL_STATEMENT', cleaned.id, 'admin'],
    ]);

    // the lineage API, as the web UI draws it: one hop up and down from the middle table
    const t = await api(
      'GET',
      '/api/2.0/lineage-tracking/table-lineage?table_name=main.default.s_cleaned&include_entity_lineage=true',
    );
    expect(t.upstreams).toMatchObject([
      {
        tableInfo: { catalog_name: 'main', schema_name: 'default', name: 's_raw', table_type: 'TABLE' },
        queryInfos: [{ query_id: cleaned.id }],
      },
    ]);
    expect(t.downstreams).toMatchObject([{ tableInfo: { name: 's_agg' }, queryInfos: [{ query_id: agg.id }] }]);
    expect(Date.parse(t.upstreams[0].tableInfo.lineage_timestamp)).toBeGreaterThan(0);

    const c = await api(
      'GET',
      '/api/2.0/lineage-tracking/column-lineage?table_name=main.default.s_cleaned&column_name=amount_eur',
    );
    expect(c.upstream_cols).toMatchObject([
      { name: 'amount', catalog_name: 'main', schema_name: 'default', table_name: 's_raw' },
    ]);
    expect(c.downstream_cols).toMatchObject([{ name: 'total', table_name: 's_agg' }]);
    const none = await api(
      'GET',
      '/api/2.0/lineage-tracking/column-lineage?table_name=main.default.s_agg&column_name=n',
    );
    expect(none).toEqual({ upstream_cols: [], downstream_cols: [] });
  });

  it('through PySpark Spark Connect DataFrame writes (saveAsTable)', async () => {
    const { stdout } = await run(
      venvPython(),
      [
        path.join(REPO_ROOT, 'tests', 'peers', 'uc_lineage_pyspark.py'),
        `sc://localhost:${scPort}/;token=${token}`,
        'p',
        path.join(dir, 'out'),
      ],
      { timeout: 180_000, maxBuffer: 16 * 1024 * 1024 },
    );
    const out = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(out.agg).toEqual([
      ['de', 9, 1],
      ['fr', 18, 2],
    ]);
    expect(await columnEdges('p')).toEqual(expectedColumns('p'));
    expect(await tableEdges('p')).toEqual([
      ['main.default.p_cleaned', 'main.default.p_agg', 'SPARK_CONNECT_SESSION', out.session_id, 'admin'],
      ['main.default.p_raw', 'main.default.p_cleaned', 'SPARK_CONNECT_SESSION', out.session_id, 'admin'],
    ]);
    // save(path): the Delta location is a PATH node downstream of the aggregate
    const written = path.join(dir, 'out', 'avg_by_country');
    const { rows } =
      await sql(`SELECT source_table_name, source_column_name, target_path, target_type, target_column_name
      FROM system.access.column_lineage WHERE target_type = 'PATH' ORDER BY 2`);
    expect(rows).toEqual([
      ['p_agg', 'country', written, 'PATH', 'country'],
      ['p_agg', 'n', written, 'PATH', 'avg_eur'],
      ['p_agg', 'total', written, 'PATH', 'avg_eur'],
    ]);
    const t = await api('GET', '/api/2.0/lineage-tracking/table-lineage?table_name=main.default.p_agg');
    expect(t.upstreams.map((u: any) => u.tableInfo.name)).toEqual(['p_cleaned']);
    expect(t.downstreams).toEqual([
      { fileInfo: { path: written, securable_type: 'PATH', lineage_timestamp: expect.any(String) } },
    ]);
  });
});
