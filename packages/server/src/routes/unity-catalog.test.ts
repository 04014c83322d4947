import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeltaTable } from '@lakebox/delta';
import { testApp } from '../test-helpers.js';
import { STAGING_TTL_MS, StagingTables, locationUrl, typeNameOf } from './unity-catalog.js';

let t: Awaited<ReturnType<typeof testApp>>;
let alice: string;
beforeAll(async () => {
  t = await testApp();
  await t.catalog.principals.ensurePrincipal('alice');
  alice = (await t.catalog.principals.createToken('alice')).token;
  // alice may create catalogs, and create (and so own) objects in main
  const grant = async (type: string, name: string, add: string[]) => {
    const r = await call(
      'PATCH',
      `/permissions/${type}/${name}`,
      { changes: [{ principal: 'alice', add }] },
      t.adminToken,
    );
    expect(r.statusCode).toBe(200);
  };
  await grant('metastore', 'metastore', ['CREATE CATALOG']);
  await grant('catalog', 'main', [
    'USE CATALOG',
    'USE SCHEMA',
    'CREATE SCHEMA',
    'CREATE TABLE',
    'CREATE VIEW',
    'CREATE VOLUME',
    'CREATE FUNCTION',
    'CREATE MODEL',
  ]);
});
afterAll(async () => {
  await t.close();
});

const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown, token = alice) =>
  t.app.inject({
    method,
    url: `/api/2.1/unity-catalog${url}`,
    headers: { authorization: `Bearer ${token}` },
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });

describe('Unity Catalog REST', () => {
  it('creates, gets, updates, lists and deletes a catalog', async () => {
    const created = await call('POST', '/catalogs', { name: 'Sales', comment: 'team', properties: { k: 'v' } });
    expect(created.statusCode).toBe(200);
    expect(created.json()).toMatchObject({
      name: 'sales',
      full_name: 'sales',
      comment: 'team',
      properties: { k: 'v' },
      owner: 'alice',
      created_by: 'alice',
      catalog_type: 'MANAGED_CATALOG',
    });
    expect(typeof created.json().created_at).toBe('number');
    const dup = await call('POST', '/catalogs', { name: 'sales' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error_code).toBe('CATALOG_ALREADY_EXISTS');
    expect((await call('GET', '/catalogs/sales')).json().name).toBe('sales');
    const patched = await call('PATCH', '/catalogs/sales', { comment: 'sales team' });
    expect(patched.json()).toMatchObject({ comment: 'sales team', updated_by: 'alice' });
    const list = await call('GET', '/catalogs');
    // only what alice may see: not the system catalog
    expect(list.json().catalogs.map((c: { name: string }) => c.name)).toEqual(['main', 'sales']);
    expect((await call('DELETE', '/catalogs/sales')).statusCode).toBe(200);
    const gone = await call('GET', '/catalogs/sales');
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error_code).toBe('CATALOG_NOT_FOUND');
  });

  it('manages schemas by full name, and refuses to delete a non-empty one without force', async () => {
    expect(
      (await call('POST', '/schemas', { catalog_name: 'main', name: 'bronze', comment: 'raw' })).json(),
    ).toMatchObject({
      full_name: 'main.bronze',
      catalog_name: 'main',
      comment: 'raw',
    });
    const list = await call('GET', '/schemas?catalog_name=main');
    expect(list.json().schemas.map((s: { name: string }) => s.name)).toEqual(['bronze', 'default']);
    expect((await call('GET', '/schemas')).statusCode).toBe(400);
    expect((await call('GET', '/schemas/main.bronze')).json().comment).toBe('raw');
    expect((await call('GET', '/schemas/main')).json().error_code).toBe('INVALID_PARAMETER_VALUE');
    await call('POST', '/tables', { catalog_name: 'main', schema_name: 'bronze', name: 't', table_type: 'MANAGED' });
    const refused = await call('DELETE', '/schemas/main.bronze');
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error_code).toBe('SCHEMA_NOT_EMPTY');
    expect((await call('DELETE', '/schemas/main.bronze?force=true')).statusCode).toBe(200);
    expect((await call('GET', '/schemas/main.bronze')).statusCode).toBe(404);
  });

  it('registers tables with columns in Unity Catalog shape', async () => {
    const created = await call('POST', '/tables', {
      catalog_name: 'main',
      schema_name: 'default',
      name: 'events',
      table_type: 'EXTERNAL',
      data_source_format: 'DELTA',
      storage_location: '/tmp/somewhere/events',
      columns: [
        { name: 'id', type_text: 'bigint', nullable: false },
        { name: 'tags', type_text: 'array<string>', comment: 'labels' },
      ],
      comment: 'clicks',
    });
    expect(created.statusCode).toBe(200);
    expect(created.json()).toMatchObject({
      full_name: 'main.default.events',
      table_type: 'EXTERNAL',
      data_source_format: 'DELTA',
      storage_location: 'file:///tmp/somewhere/events',
      columns: [
        { name: 'id', type_text: 'bigint', type_name: 'LONG', position: 0, nullable: false },
        {
          name: 'tags',
          type_text: 'array<string>',
          type_name: 'ARRAY',
          position: 1,
          nullable: true,
          comment: 'labels',
        },
      ],
      owner: 'alice',
    });
    const list = await call('GET', '/tables?catalog_name=main&schema_name=default');
    expect(list.json().tables.map((x: { name: string }) => x.name)).toEqual(['events']);
    const typo = await call('GET', '/tables/main.default.evnts');
    expect(typo.statusCode).toBe(404);
    expect(typo.json()).toMatchObject({ error_code: 'TABLE_OR_VIEW_NOT_FOUND', details: { suggestions: ['events'] } });
    const dup = await call('POST', '/tables', {
      catalog_name: 'main',
      schema_name: 'default',
      name: 'EVENTS',
      table_type: 'VIEW',
      view_definition: 'SELECT 1',
    });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error_code).toBe('TABLE_OR_VIEW_ALREADY_EXISTS');
    expect((await call('DELETE', '/tables/main.default.events')).statusCode).toBe(200);
    expect((await call('GET', '/tables/main.default.events')).statusCode).toBe(404);
  });

  it('validates request bodies', async () => {
    const r = await call('POST', '/tables', { catalog_name: 'main', schema_name: 'default' });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toEqual({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: 'name is required (a non-empty string)',
    });
    const bad = await call('POST', '/catalogs', { name: 'a.b' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error_code).toBe('INVALID_SCHEMA_OR_RELATION_NAME');
    expect((await call('POST', '/catalogs', { name: 'system' })).statusCode).toBe(400);
  });

  it('manages volumes', async () => {
    const v = await call('POST', '/volumes', {
      catalog_name: 'main',
      schema_name: 'default',
      name: 'landing',
      comment: 'drop zone',
    });
    expect(v.statusCode).toBe(200);
    expect(v.json()).toMatchObject({
      full_name: 'main.default.landing',
      volume_type: 'MANAGED',
      comment: 'drop zone',
      owner: 'alice',
    });
    expect(v.json().storage_location).toContain(['volumes', 'main', 'default', 'landing'].join('/'));
    expect((await call('GET', '/volumes?catalog_name=main&schema_name=default')).json().volumes).toHaveLength(1);
    expect((await call('GET', '/volumes/main.default.landing')).json().name).toBe('landing');
    const renamed = await call('PATCH', '/volumes/main.default.landing', { new_name: 'inbox', comment: 'renamed' });
    expect(renamed.json()).toMatchObject({ full_name: 'main.default.inbox', comment: 'renamed', updated_by: 'alice' });
    expect((await call('GET', '/volumes/main.default.landing')).statusCode).toBe(404);
    await call('POST', '/volumes', { catalog_name: 'main', schema_name: 'default', name: 'other' });
    expect((await call('PATCH', '/volumes/main.default.other', { new_name: 'inbox' })).statusCode).toBe(409);
    expect((await call('DELETE', '/volumes/main.default.other')).statusCode).toBe(200);
    expect((await call('DELETE', '/volumes/main.default.inbox')).statusCode).toBe(200);
    const gone = await call('GET', '/volumes/main.default.inbox');
    expect(gone.json().error_code).toBe('VOLUME_NOT_FOUND');
  });

  it('manages SQL functions in Unity Catalog shape', async () => {
    const f = await call('POST', '/functions', {
      function_info: {
        name: 'with_tax',
        catalog_name: 'main',
        schema_name: 'default',
        input_params: { parameters: [{ name: 'x', type_text: 'double' }] },
        full_data_type: 'double',
        routine_body: 'SQL',
        routine_definition: 'x * 1.2',
      },
    });
    expect(f.statusCode).toBe(200);
    expect(f.json()).toMatchObject({
      full_name: 'main.default.with_tax',
      input_params: { parameters: [{ name: 'x', type_text: 'double', type_name: 'DOUBLE', position: 0 }] },
      data_type: 'DOUBLE',
      routine_definition: 'x * 1.2',
      is_deterministic: true,
    });
    expect((await call('GET', '/functions?catalog_name=main&schema_name=default')).json().functions).toHaveLength(1);
    expect((await call('GET', '/functions/main.default.with_tax')).json().routine_body).toBe('SQL');
    expect((await call('DELETE', '/functions/main.default.with_tax')).statusCode).toBe(200);
    expect((await call('GET', '/functions/main.default.with_tax')).json().error_code).toBe('ROUTINE_NOT_FOUND');
    const py = await call('POST', '/functions', { function_info: { routine_body: 'EXTERNAL' } });
    expect(py.statusCode).toBe(400);
  });

  it('does not leak names: 403 on invisible objects, suggestions only of visible ones', async () => {
    await t.catalog.principals.ensurePrincipal('bob');
    const bob = (await t.catalog.principals.createToken('bob')).token;
    await call(
      'PATCH',
      '/permissions/catalog/main',
      { changes: [{ principal: 'bob', add: ['USE CATALOG', 'USE SCHEMA'] }] },
      t.adminToken,
    );
    await call('POST', '/tables', {
      catalog_name: 'main',
      schema_name: 'default',
      name: 'secret_events',
      table_type: 'EXTERNAL',
      storage_location: '/tmp/somewhere/secret',
      columns: [{ name: 'id', type_text: 'bigint' }],
    });
    // alice owns it: the typo is a 404 that suggests it
    const mine = await call('GET', '/tables/main.default.secret_evnts');
    expect(mine.statusCode).toBe(404);
    expect(mine.json().details.suggestions).toEqual(['secret_events']);
    // bob may use the schema but not see the table: a 404 without it, and a 403 for the real name
    const typo = await call('GET', '/tables/main.default.secret_evnts', undefined, bob);
    expect(typo.statusCode).toBe(404);
    expect(typo.json().details.suggestions).toEqual([]);
    expect(typo.json().message).not.toContain('secret_events');
    const real = await call('GET', '/tables/main.default.secret_events', undefined, bob);
    expect(real.statusCode).toBe(403);
    expect(real.json().error_code).toBe('PERMISSION_DENIED');
    expect((await call('GET', '/tables?catalog_name=main&schema_name=default', undefined, bob)).json().tables).toEqual(
      [],
    );
    // no USE on another catalog: every name there is a 403, existing or not
    expect((await call('GET', '/schemas/other_cat.x', undefined, bob)).statusCode).toBe(403);
    const cat = await call('GET', '/catalogs/mian', undefined, bob);
    expect([cat.statusCode, cat.json().details.suggestions]).toEqual([404, ['main']]);
    expect((await call('DELETE', '/tables/main.default.secret_events', undefined, bob)).statusCode).toBe(403);
    expect((await call('DELETE', '/tables/main.default.secret_events')).statusCode).toBe(200);
  });

  // The Unity Catalog Spark connector's CREATE TABLE of a managed table: POST /staging-tables,
  // credentials for the staging id (Delta writes the first commit there), POST /tables MANAGED at
  // the staging location with the staging id in `io.unitycatalog.tableId`, credentials again.
  it('creates managed tables through staging tables, with credentials for the staging id', async () => {
    await t.catalog.principals.ensurePrincipal('carol');
    const carol = (await t.catalog.principals.createToken('carol')).token;
    const granted = await call(
      'PATCH',
      '/permissions/catalog/main',
      { changes: [{ principal: 'carol', add: ['USE CATALOG', 'USE SCHEMA', 'CREATE TABLE'] }] },
      t.adminToken,
    );
    expect(granted.statusCode).toBe(200);
    const body = { catalog_name: 'main', schema_name: 'default', name: 'Staged' };
    const staged = await call('POST', '/staging-tables', body);
    expect(staged.statusCode).toBe(200);
    const { id, staging_location: location } = staged.json();
    expect(staged.json()).toMatchObject({ catalog_name: 'main', schema_name: 'default', name: 'Staged' });
    expect(location).toMatch(/^file:\/\/\/.*\/main\/default\/staged$/);

    const creds = (table_id: string, token = alice) =>
      call('POST', '/temporary-table-credentials', { table_id, operation: 'READ_WRITE' }, token);
    const pending = await creds(id);
    expect(pending.statusCode).toBe(200);
    expect(pending.json().url).toBe(location);
    // only its creator writes into a staging table
    const other = await creds(id, carol);
    expect([other.statusCode, other.json().error_code]).toEqual([403, 'PERMISSION_DENIED']);
    const unknown = await creds('3f1c0b1e-0000-4000-8000-000000000000');
    expect([unknown.statusCode, unknown.json().error_code]).toEqual([404, 'TABLE_DOES_NOT_EXIST']);

    // a managed table elsewhere than Lakebox's location for it is refused (DROP would delete there)
    const elsewhere = await call('POST', '/tables', {
      ...body,
      table_type: 'MANAGED',
      data_source_format: 'DELTA',
      storage_location: 'file:///etc/not-lakebox',
    });
    expect([elsewhere.statusCode, elsewhere.json().error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    // another user cannot register alice's staging table
    const byCarol = await call(
      'POST',
      '/tables',
      { ...body, name: 'other', table_type: 'MANAGED', data_source_format: 'DELTA', storage_location: location },
      carol,
    );
    expect(byCarol.statusCode).toBe(400);

    // Spark sends Hadoop's single-slash form of the location
    const created = await call('POST', '/tables', {
      ...body,
      table_type: 'MANAGED',
      data_source_format: 'DELTA',
      storage_location: location.replace('file:///', 'file:/'),
      columns: [],
      properties: { 'delta.feature.x': 'supported' },
    });
    expect(created.statusCode).toBe(200);
    expect(created.json()).toMatchObject({
      full_name: 'main.default.staged',
      table_type: 'MANAGED',
      storage_location: location,
      properties: { 'delta.feature.x': 'supported', 'io.unitycatalog.tableId': id },
    });
    // the table answers to its own id and to the staging id the client keeps in its properties
    expect((await creds(created.json().table_id)).json().url).toBe(location);
    expect((await creds(id)).json().url).toBe(location);
    // a promoted staging table is no longer pending: carol needs MODIFY on the table now
    expect((await creds(id, carol)).statusCode).toBe(403);
    // the staging table is used up
    const again = await call('POST', '/tables', {
      ...body,
      name: 'staged2',
      table_type: 'MANAGED',
      storage_location: location,
    });
    expect(again.statusCode).toBe(400);
    // a staging table for an existing name is refused
    expect((await call('POST', '/staging-tables', body)).statusCode).toBe(409);
    expect((await call('DELETE', '/tables/main.default.staged')).statusCode).toBe(200);
  });

  // What Delta Lake 4.1 sends for a managed table with the catalogManaged feature (seen from the
  // Unity Catalog Spark connector): GET with a JSON body, POST commit_info + latest_backfilled_version.
  it('coordinates catalog-managed Delta commits for managed tables', async () => {
    await t.catalog.principals.ensurePrincipal('dave');
    const dave = (await t.catalog.principals.createToken('dave')).token;
    const body = { catalog_name: 'main', schema_name: 'default', name: 'cm' };
    const { id, staging_location: location } = (await call('POST', '/staging-tables', body)).json();
    const created = await call('POST', '/tables', {
      ...body,
      table_type: 'MANAGED',
      data_source_format: 'DELTA',
      storage_location: location,
    });
    expect(created.statusCode).toBe(200);
    const uri = location.replace('file:///', 'file:/');
    const get = (payload: object, token = alice) =>
      t.app.inject({
        method: 'GET',
        url: '/api/2.1/unity-catalog/delta/preview/commits',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        payload: JSON.stringify(payload),
      });
    const commit = (payload: object, token = alice) => call('POST', '/delta/preview/commits', payload, token);
    expect((await get({ table_id: id, table_uri: uri, start_version: 0 })).json()).toEqual({
      commits: [],
      latest_table_version: -1,
    });
    const info = {
      version: 1,
      timestamp: 5,
      file_name: '00000000000000000001.abc.json',
      file_size: 9,
      file_modification_timestamp: 6,
    };
    expect(
      (await commit({ table_id: id, table_uri: uri, commit_info: info, latest_backfilled_version: 0 })).statusCode,
    ).toBe(200);
    // by the staging id or the table's own id: the same commits
    for (const tid of [id, created.json().table_id])
      expect((await get({ table_id: tid, table_uri: location, start_version: 0 })).json()).toEqual({
        commits: [info],
        latest_table_version: 1,
      });
    const again = await commit({ table_id: id, table_uri: uri, commit_info: info });
    expect([again.statusCode, again.json().error_code]).toEqual([409, 'RESOURCE_ALREADY_EXISTS']);
    // another location, a missing start_version, an unknown table, a reader without MODIFY
    const moved = await get({ table_id: id, table_uri: 'file:///elsewhere', start_version: 0 });
    expect([moved.statusCode, moved.json().error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    expect((await get({ table_id: id, table_uri: uri })).statusCode).toBe(400);
    const unknown = await get({ table_id: '3f1c0b1e-0000-4000-8000-000000000001', table_uri: uri, start_version: 0 });
    expect([unknown.statusCode, unknown.json().error_code]).toEqual([404, 'TABLE_DOES_NOT_EXIST']);
    await call(
      'PATCH',
      '/permissions/table/main.default.cm',
      { changes: [{ principal: 'dave', add: ['SELECT'] }] },
      t.adminToken,
    );
    await call(
      'PATCH',
      '/permissions/catalog/main',
      { changes: [{ principal: 'dave', add: ['USE CATALOG', 'USE SCHEMA'] }] },
      t.adminToken,
    );
    expect((await get({ table_id: id, table_uri: uri, start_version: 0 }, dave)).statusCode).toBe(200);
    const write = await commit({ table_id: id, table_uri: uri, commit_info: { ...info, version: 2 } }, dave);
    expect([write.statusCode, write.json().error_code]).toEqual([403, 'PERMISSION_DENIED']);
    // commits only for managed Delta tables
    const ext = await call('POST', '/tables', {
      ...body,
      name: 'cm_ext',
      table_type: 'EXTERNAL',
      storage_location: 'file:///tmp/cm_ext',
    });
    const notManaged = await get({ table_id: ext.json().table_id, table_uri: 'file:///tmp/cm_ext', start_version: 0 });
    expect([notManaged.statusCode, notManaged.json().error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    expect((await call('DELETE', '/tables/main.default.cm_ext')).statusCode).toBe(200);
    expect((await call('DELETE', '/tables/main.default.cm')).statusCode).toBe(200);
  });

  it('gives URLs for Hadoop-style file: locations (what Spark sends)', async () => {
    expect(locationUrl('file:/tmp/x/t')).toBe('file:///tmp/x/t');
    expect(locationUrl('file:///tmp/x/t')).toBe('file:///tmp/x/t');
    expect(locationUrl('/tmp/x/t')).toBe('file:///tmp/x/t');
    expect(locationUrl('s3://bucket/t')).toBe('s3://bucket/t');
    const path = await call(
      'POST',
      '/temporary-path-credentials',
      { url: 'file:/tmp/ext_spark', operation: 'PATH_CREATE_TABLE' },
      t.adminToken,
    );
    expect(path.json().url).toBe('file:///tmp/ext_spark');
    const ext = await call('POST', '/tables', {
      catalog_name: 'main',
      schema_name: 'default',
      name: 'ext_spark',
      table_type: 'EXTERNAL',
      data_source_format: 'DELTA',
      storage_location: 'file:/tmp/ext_spark',
      columns: [],
    });
    expect(ext.json().storage_location).toBe('file:///tmp/ext_spark');
    const c = await call('POST', '/temporary-table-credentials', { table_id: ext.json().table_id, operation: 'READ' });
    expect(c.json().url).toBe('file:///tmp/ext_spark');
    expect((await call('DELETE', '/tables/main.default.ext_spark')).statusCode).toBe(200);
  });

  it('takes the columns of a table registered without any from its Delta log (as Delta registers them)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakebox-uc-cols-'));
    try {
      await DeltaTable.create(dir, {
        schema: {
          type: 'struct',
          fields: [
            { name: 'id', type: 'long', nullable: false, metadata: { comment: 'key' } },
            { name: 'amount', type: 'decimal(10,2)', nullable: true, metadata: {} },
            { name: 'day', type: 'date', nullable: true, metadata: {} },
          ],
        },
        partitionColumns: ['day'],
      });
      const ext = await call('POST', '/tables', {
        catalog_name: 'main',
        schema_name: 'default',
        name: 'from_log',
        table_type: 'EXTERNAL',
        data_source_format: 'DELTA',
        storage_location: pathToFileURL(dir).href.replace('file:///', 'file:/'),
        columns: [],
      });
      expect(ext.statusCode).toBe(200);
      expect(ext.json().columns).toMatchObject([
        { name: 'id', type_text: 'bigint', type_name: 'LONG', nullable: false, comment: 'key' },
        { name: 'amount', type_text: 'decimal(10,2)', type_name: 'DECIMAL', nullable: true },
        { name: 'day', type_text: 'date', type_name: 'DATE', partition_index: 0 },
      ]);
      expect(JSON.parse(ext.json().columns[1].type_json)).toMatchObject({ name: 'amount', type: 'decimal(10,2)' });
      // a table Lakebox's reader refuses (catalogManaged): the schema of its first commit
      const cm = path.join(dir, 'cm');
      fs.mkdirSync(path.join(cm, '_delta_log'), { recursive: true });
      const schemaString = JSON.stringify({
        type: 'struct',
        fields: [{ name: 's', type: 'string', nullable: true, metadata: {} }],
      });
      fs.writeFileSync(
        path.join(cm, '_delta_log', '00000000000000000000.json'),
        [
          {
            protocol: {
              minReaderVersion: 3,
              minWriterVersion: 7,
              readerFeatures: ['catalogManaged'],
              writerFeatures: ['catalogManaged'],
            },
          },
          {
            metaData: {
              id: 'x',
              format: { provider: 'parquet', options: {} },
              schemaString,
              partitionColumns: [],
              configuration: {},
            },
          },
        ]
          .map((a) => JSON.stringify(a))
          .join('\n') + '\n',
      );
      const managedLike = await call('POST', '/tables', {
        catalog_name: 'main',
        schema_name: 'default',
        name: 'cm_log',
        table_type: 'EXTERNAL',
        storage_location: pathToFileURL(cm).href,
        columns: [],
      });
      expect(managedLike.json().columns).toMatchObject([{ name: 's', type_text: 'string', type_name: 'STRING' }]);
      // no Delta table there: no columns, no error
      const empty = await call('POST', '/tables', {
        catalog_name: 'main',
        schema_name: 'default',
        name: 'no_log',
        table_type: 'EXTERNAL',
        storage_location: pathToFileURL(path.join(dir, 'nothing')).href,
      });
      expect([empty.statusCode, empty.json().columns]).toEqual([200, []]);
      for (const n of ['from_log', 'no_log', 'cm_log'])
        expect((await call('DELETE', `/tables/main.default.${n}`)).statusCode).toBe(200);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('forgets staging tables after a day', () => {
    let now = 1_000;
    const st = new StagingTables(() => now);
    const id = st.add({ catalog: 'c', schema: 's', name: 't', location: 'file:///w/c/s/t', creator: 'a' });
    expect(st.find('c', 's', 't', 'file:/w/c/s/t/')?.id).toBe(id);
    expect(st.find('c', 's', 'u', 'file:///w/c/s/t')).toBeUndefined();
    now += STAGING_TTL_MS + 1;
    expect(st.get(id)).toBeUndefined();
  });

  it('maps Spark type text to Unity Catalog type names', () => {
    expect(typeNameOf('decimal(10,2)')).toBe('DECIMAL');
    expect(typeNameOf('map<string,int>')).toBe('MAP');
    expect(typeNameOf('STRING')).toBe('STRING');
    expect(typeNameOf('int')).toBe('INT');
  });
});
