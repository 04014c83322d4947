import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineageStore, type LineageNode } from '@lakebox/catalog';
import { Authorizer } from '@lakebox/catalog/authz';
import { testApp } from '../test-helpers.js';

// The lineage API's shapes and who sees what: a user sees a table's lineage only when they may see
// the table, and only the neighbours they may see.

let t: Awaited<ReturnType<typeof testApp>>;
let bob: string;
const node = (name: string): LineageNode => ({ fullName: `main.default.${name}`, type: 'TABLE' });

beforeAll(async () => {
  t = await testApp();
  for (const name of ['raw', 'cleaned', 'agg']) {
    await t.catalog.metastore.createTable({
      catalog: 'main',
      schema: 'default',
      name,
      owner: 'admin',
      tableType: 'EXTERNAL',
      dataSourceFormat: 'DELTA',
      storageLocation: `/tmp/lineage-test/${name}`,
      columns: [{ name: 'x', typeText: 'bigint', nullable: true }],
    });
  }
  const store = new LineageStore(t.catalog.database.db);
  await store.record({
    sources: [node('raw')],
    target: node('cleaned'),
    columns: [{ target: 'x', sources: [{ table: node('raw'), column: 'x' }] }],
    createdBy: 'admin',
    entity: { type: 'SQL_STATEMENT', id: 'st-1' },
  });
  await store.record({
    sources: [node('cleaned')],
    target: node('agg'),
    columns: [{ target: 'x', sources: [{ table: node('cleaned'), column: 'x' }] }],
    createdBy: 'admin',
    entity: { type: 'SPARK_CONNECT_SESSION', id: 'sess-1' },
  });
  await t.catalog.principals.ensurePrincipal('bob');
  bob = (await t.catalog.principals.createToken('bob')).token;
  const authz = new Authorizer(t.catalog.database.db);
  await authz.grant('admin', { type: 'CATALOG', name: 'main' }, 'bob', ['USE CATALOG', 'USE SCHEMA']);
  for (const name of ['cleaned', 'agg']) {
    await authz.grant('admin', { type: 'TABLE', name: `main.default.${name}` }, 'bob', ['SELECT']);
  }
});
afterAll(async () => {
  await t.close();
});

const get = (url: string, token = t.adminToken) =>
  t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });

describe('lineage API', () => {
  it('gives upstreams and downstreams with their entities', async () => {
    const r = await get(
      '/api/2.0/lineage-tracking/table-lineage?table_name=main.default.cleaned&include_entity_lineage=true',
    );
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      upstreams: [
        {
          tableInfo: { catalog_name: 'main', schema_name: 'default', name: 'raw', table_type: 'TABLE' },
          queryInfos: [{ query_id: 'st-1' }],
        },
      ],
      downstreams: [{ tableInfo: { name: 'agg' }, sessionInfos: [{ session_id: 'sess-1' }] }],
    });
    const plain = (await get('/api/2.0/lineage-tracking/table-lineage?table_name=main.default.cleaned')).json();
    expect(plain.upstreams[0].queryInfos).toBeUndefined();
    const cols = await get('/api/2.0/lineage-tracking/column-lineage?table_name=main.default.cleaned&column_name=x');
    expect(cols.json()).toMatchObject({
      upstream_cols: [{ name: 'x', table_name: 'raw' }],
      downstream_cols: [{ name: 'x', table_name: 'agg' }],
    });
  });

  it('shows a user only the tables they may see', async () => {
    const mid = (await get('/api/2.0/lineage-tracking/table-lineage?table_name=main.default.cleaned', bob)).json();
    expect(mid.upstreams).toEqual([]);
    expect(mid.downstreams.map((d: any) => d.tableInfo.name)).toEqual(['agg']);
    const cols = await get(
      '/api/2.0/lineage-tracking/column-lineage?table_name=main.default.cleaned&column_name=x',
      bob,
    );
    expect(cols.json().upstream_cols).toEqual([]);
    const hidden = await get('/api/2.0/lineage-tracking/table-lineage?table_name=main.default.raw', bob);
    expect(hidden.statusCode).toBe(403);
    expect(hidden.json().error_code).toBe('PERMISSION_DENIED');
  });

  it('validates its parameters and needs a token', async () => {
    const bad = await get('/api/2.0/lineage-tracking/table-lineage?table_name=raw');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error_code).toBe('INVALID_PARAMETER_VALUE');
    const noCol = await get('/api/2.0/lineage-tracking/column-lineage?table_name=main.default.raw');
    expect(noCol.statusCode).toBe(400);
    const anon = await t.app.inject({
      method: 'GET',
      url: '/api/2.0/lineage-tracking/table-lineage?table_name=main.default.raw',
    });
    expect(anon.statusCode).toBe(401);
  });
});
