import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../../server/src/test-helpers.js';
import { sqlStatementsFeature } from '../src/index.js';

let t: Awaited<ReturnType<typeof testApp>>;
const auth = () => ({ authorization: `Bearer ${t.adminToken}` });
const post = async (body: Record<string, unknown>) => {
  const r = await t.app.inject({ method: 'POST', url: '/api/2.0/sql/statements', headers: auth(), payload: body });
  return { status: r.statusCode, body: r.json() };
};

beforeAll(async () => {
  t = await testApp([sqlStatementsFeature({ chunkRows: 2 })]);
});
afterAll(async () => {
  await t?.close();
});

describe('POST /api/2.0/sql/statements (Databricks-compatible)', () => {
  it('runs DDL/DML and returns inline JSON_ARRAY results with a manifest and chunks', async () => {
    expect(
      (await post({ statement: 'CREATE TABLE nums (n INT, s STRING, d DECIMAL(5,2))', warehouse_id: 'x' })).body.status
        .state,
    ).toBe('SUCCEEDED');
    await post({
      statement: "INSERT INTO nums VALUES (1, 'a', 1.50), (2, NULL, 2.00), (3, 'c', NULL)",
      warehouse_id: 'x',
    });
    const r = await post({ statement: 'SELECT * FROM nums ORDER BY n', warehouse_id: 'x', wait_timeout: '30s' });
    expect(r.status).toBe(200);
    expect(r.body.status.state).toBe('SUCCEEDED');
    expect(r.body.manifest.schema.columns.map((c: any) => [c.name, c.type_name])).toEqual([
      ['n', 'INT'],
      ['s', 'STRING'],
      ['d', 'DECIMAL'],
    ]);
    expect(r.body.manifest.total_row_count).toBe(3);
    expect(r.body.manifest.total_chunk_count).toBe(2);
    expect(r.body.result.data_array).toEqual([
      ['1', 'a', '1.50'],
      ['2', null, '2.00'],
    ]);
    expect(r.body.result.next_chunk_index).toBe(1);
    const c1 = await t.app.inject({
      method: 'GET',
      url: `/api/2.0/sql/statements/${r.body.statement_id}/result/chunks/1`,
      headers: auth(),
    });
    expect(c1.json().data_array).toEqual([['3', 'c', null]]);
    const g = await t.app.inject({
      method: 'GET',
      url: `/api/2.0/sql/statements/${r.body.statement_id}`,
      headers: auth(),
    });
    expect(g.json().status.state).toBe('SUCCEEDED');
  });
  it('named parameters, catalog/schema, CSV through external links', async () => {
    const r = await post({
      statement: 'SELECT n FROM nums WHERE n >= :min AND s = :s',
      schema: 'default',
      parameters: [
        { name: 'min', value: '2', type: 'INT' },
        { name: 's', value: 'c' },
      ],
    });
    expect(r.body.result.data_array).toEqual([['3']]);
    const csv = await post({
      statement: 'SELECT n, s FROM nums ORDER BY n',
      format: 'CSV',
      disposition: 'EXTERNAL_LINKS',
    });
    const link = csv.body.result.external_links[0].external_link;
    const d = await t.app.inject({ method: 'GET', url: link, headers: auth() });
    expect(d.body).toBe('1,a\n2,\n');
    const ar = await post({
      statement: 'SELECT n, s, d, CAST(n AS BIGINT) AS b, DATE "2024-01-02" AS day FROM nums ORDER BY n',
      format: 'ARROW_STREAM',
      disposition: 'EXTERNAL_LINKS',
    });
    expect(ar.body.status, JSON.stringify(ar.body)).toEqual({ state: 'SUCCEEDED' });
    expect(ar.body.manifest.format).toBe('ARROW_STREAM');
    const links = [
      ar.body.result.external_links[0].external_link,
      `/api/2.0/sql/statements/${ar.body.statement_id}/result/chunks/1/data`,
    ];
    const rows: unknown[] = [];
    for (const l of links) {
      const resp = await t.app.inject({ method: 'GET', url: l, headers: auth() });
      expect(resp.headers['content-type']).toBe('application/vnd.apache.arrow.stream');
      const table = tableFromIPC(resp.rawPayload);
      rows.push(...table.toArray().map((r) => r.toJSON()));
    }
    expect(rows).toEqual([
      { n: 1, s: 'a', d: '1.50', b: 1n, day: Date.UTC(2024, 0, 2) },
      { n: 2, s: null, d: '2.00', b: 2n, day: Date.UTC(2024, 0, 2) },
      { n: 3, s: 'c', d: null, b: 3n, day: Date.UTC(2024, 0, 2) },
    ]);
  });
  it('errors as FAILED statements with Spark error classes; bad requests rejected', async () => {
    const r = await post({ statement: 'SELECT * FROM nmus' });
    expect(r.body.status.state).toBe('FAILED');
    expect(r.body.status.error.error_code).toBe('TABLE_OR_VIEW_NOT_FOUND');
    expect(r.body.status.error.message).toContain('nums');
    expect((await post({ statement: 'SELECT 1', wait_timeout: '3s' })).status).toBe(400);
    const unauth = await t.app.inject({
      method: 'POST',
      url: '/api/2.0/sql/statements',
      payload: { statement: 'SELECT 1' },
    });
    expect(unauth.statusCode).toBe(401);
  });
  it('wait_timeout 0s returns at once; the statement can be polled or canceled', async () => {
    const r = await post({
      statement: 'SELECT sum(a.range * b.range) FROM range(100000000) a, range(1000) b',
      wait_timeout: '0s',
    });
    expect(['PENDING', 'RUNNING']).toContain(r.body.status.state);
    await t.app.inject({
      method: 'POST',
      url: `/api/2.0/sql/statements/${r.body.statement_id}/cancel`,
      headers: auth(),
    });
    const g = await t.app.inject({
      method: 'GET',
      url: `/api/2.0/sql/statements/${r.body.statement_id}`,
      headers: auth(),
    });
    expect(g.json().status.state).toBe('CANCELED');
    expect(g.json().result).toBeUndefined();
  });
  it('lakebox sql --server runs through the API (all chunks fetched)', async () => {
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const bin = fileURLToPath(new URL('../../cli/bin/lakebox.js', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [
      bin,
      'sql',
      '--server',
      address,
      '--token',
      t.adminToken,
      '--format',
      'csv',
      '-e',
      'SELECT n, s FROM nums ORDER BY n',
    ]);
    expect(stdout).toBe('n,s\n1,a\n2,\n3,c\n');
    const e = await promisify(execFile)(process.execPath, [
      bin,
      'sql',
      '--server',
      address,
      '--token',
      t.adminToken,
      '-e',
      'SELECT * FROM nope',
    ]).catch((x) => x);
    expect(e.stderr).toContain('TABLE_OR_VIEW_NOT_FOUND');
  });
});
