// The metastore test suite, shared by both backends: src/metastore.test.ts runs it on SQLite (unit),
// test/metastore-postgres.test.ts on a real PostgreSQL (integration).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeboxError } from '@lakebox/common';
import { migrateMetastore } from './db.js';
import { informationSchemaRows } from './information-schema.js';
import { openCatalog, type OpenCatalog } from './open.js';

/** The LakeboxError a promise rejects with (fails the test when it resolves). */
async function failure(p: Promise<unknown>): Promise<LakeboxError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(LakeboxError);
    return e as LakeboxError;
  }
  throw new Error('expected a LakeboxError, but the call succeeded');
}

export function metastoreSuite(backend: string, databaseUrl: () => Promise<string>): void {
  describe(`metastore on ${backend}`, () => {
    let c: OpenCatalog;
    let dir: string;
    let n = 0;
    const uniq = (p: string) => `${p}_${++n}`;

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakebox-catalog-'));
      c = await openCatalog({
        url: await databaseUrl(),
        storageRoot: path.join(dir, 'warehouse'),
        volumesRoot: path.join(dir, 'volumes'),
      });
      await c.metastore.bootstrap('admin');
    });
    afterAll(async () => {
      await c?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('uses the expected dialect, and migrations are idempotent', async () => {
      expect(c.database.dialect).toBe(backend);
      expect(await migrateMetastore(c.database.db)).toEqual([]);
    });

    it('bootstraps main.default and the reserved system catalog, idempotently', async () => {
      await c.metastore.bootstrap('admin');
      const names = (await c.metastore.listCatalogs()).map((x) => x.name);
      expect(names).toEqual(expect.arrayContaining(['main', 'system']));
      expect(names.filter((x) => x === 'main')).toHaveLength(1);
      const d = await c.metastore.getSchema('main', 'default');
      expect(d).toMatchObject({ catalog: 'main', name: 'default', fullName: 'main.default', owner: 'admin' });
      expect(typeof d.createdAt).toBe('number');
      expect((await c.metastore.listSchemas('system')).map((s) => s.name)).toEqual(['information_schema']);
      expect((await failure(c.metastore.createSchema({ catalog: 'system', name: 'x', owner: 'admin' }))).code).toBe(
        'INVALID_PARAMETER_VALUE',
      );
      expect((await failure(c.metastore.dropCatalog('system'))).code).toBe('INVALID_PARAMETER_VALUE');
    });

    it('creates, lists, alters and drops catalogs', async () => {
      const name = uniq('sales');
      const cat = await c.metastore.createCatalog({
        name: name.toUpperCase(),
        owner: 'alice',
        comment: 'c1',
        properties: { a: '1' },
      });
      expect(cat).toMatchObject({ name, owner: 'alice', comment: 'c1', properties: { a: '1' }, createdBy: 'alice' });
      expect((await failure(c.metastore.createCatalog({ name, owner: 'bob' }))).code).toBe('CATALOG_ALREADY_EXISTS');
      expect((await c.metastore.createCatalog({ name, owner: 'bob' }, { ifNotExists: true })).owner).toBe('alice');
      const updated = await c.metastore.updateCatalog(name, 'bob', { comment: 'c2', properties: { b: '2' } });
      expect(updated).toMatchObject({ comment: 'c2', properties: { b: '2' }, updatedBy: 'bob', createdBy: 'alice' });
      const renamed = await c.metastore.updateCatalog(name, 'bob', { newName: `${name}_x` });
      expect(renamed.name).toBe(`${name}_x`);
      await c.metastore.dropCatalog(`${name}_x`);
      expect((await c.metastore.listCatalogs()).map((x) => x.name)).not.toContain(`${name}_x`);
      await c.metastore.dropCatalog(`${name}_x`, { ifExists: true });
    });

    it('reports a missing catalog with near-name suggestions', async () => {
      const e = await failure(c.metastore.getCatalog('mian'));
      expect(e.code).toBe('CATALOG_NOT_FOUND');
      expect(e.httpStatus).toBe(404);
      expect(e.sqlState).toBe('42P08');
      expect(e.message).toContain('Did you mean');
      expect(e.details?.suggestions).toEqual(['main']);
      expect((await failure(c.metastore.getCatalog('zzzzzzzz'))).details?.suggestions).toEqual([]);
    });

    it('creates schemas, refuses duplicates, and suggests near names', async () => {
      const cat = uniq('cat');
      await c.metastore.createCatalog({ name: cat, owner: 'admin' });
      await c.metastore.createSchema({ catalog: cat, name: 'Bronze', owner: 'alice', comment: 'raw' });
      await c.metastore.createSchema({ catalog: cat, name: 'silver', owner: 'alice' });
      expect((await c.metastore.listSchemas(cat)).map((s) => s.name)).toEqual(['bronze', 'default', 'silver']);
      const dup = await failure(c.metastore.createSchema({ catalog: cat, name: 'BRONZE', owner: 'x' }));
      expect(dup.code).toBe('SCHEMA_ALREADY_EXISTS');
      expect(dup.httpStatus).toBe(409);
      const nf = await failure(c.metastore.getSchema(cat, 'bronz'));
      expect(nf.code).toBe('SCHEMA_NOT_FOUND');
      expect(nf.message).toContain(`\`${cat}\`.\`bronze\``);
      expect((await failure(c.metastore.listSchemas('no_such_cat'))).code).toBe('CATALOG_NOT_FOUND');
      expect(await c.metastore.schemaExists(cat, 'SILVER')).toBe(true);
      expect(await c.metastore.schemaExists(cat, 'gold')).toBe(false);
    });

    it('refuses to drop a non-empty schema or catalog without cascade', async () => {
      const cat = uniq('cat');
      await c.metastore.createCatalog({ name: cat, owner: 'admin' });
      await c.metastore.createSchema({ catalog: cat, name: 's', owner: 'admin' });
      const t = await c.metastore.createTable({
        catalog: cat,
        schema: 's',
        name: 't',
        owner: 'admin',
        tableType: 'MANAGED',
      });
      fs.mkdirSync(path.join(t.storageLocation!, '_delta_log'), { recursive: true });
      expect((await failure(c.metastore.dropSchema(cat, 's'))).code).toBe('SCHEMA_NOT_EMPTY');
      expect((await failure(c.metastore.dropCatalog(cat))).code).toBe('CATALOG_NOT_EMPTY');
      await c.metastore.dropCatalog(cat, { cascade: true });
      expect(fs.existsSync(t.storageLocation!)).toBe(false);
      expect((await failure(c.metastore.getTable(cat, 's', 't'))).code).toBe('TABLE_OR_VIEW_NOT_FOUND');
    });

    it('registers managed and external tables with their columns', async () => {
      const cols = [
        { name: 'id', typeText: 'bigint', nullable: false },
        { name: 'amount', typeText: 'decimal(10,2)', nullable: true, comment: 'in EUR' },
        { name: 'day', typeText: 'date', nullable: true, partitionIndex: 0 },
      ];
      const name = uniq('Orders');
      const t = await c.metastore.createTable({
        catalog: 'main',
        schema: 'default',
        name,
        owner: 'alice',
        tableType: 'MANAGED',
        columns: cols,
        comment: 'all orders',
        properties: { 'delta.appendOnly': 'true' },
      });
      expect(t).toMatchObject({
        name: name.toLowerCase(),
        fullName: `main.default.${name.toLowerCase()}`,
        tableType: 'MANAGED',
        dataSourceFormat: 'DELTA',
        storageLocation: path.join(dir, 'warehouse', 'main', 'default', name.toLowerCase()),
        owner: 'alice',
        properties: { 'delta.appendOnly': 'true' },
      });
      expect(await c.metastore.managedTableLocation('main', 'default', name)).toBe(t.storageLocation);
      const again = await c.metastore.getTable('MAIN', 'Default', name.toUpperCase());
      expect(again.columns).toEqual([
        { name: 'id', typeText: 'bigint', nullable: false },
        { name: 'amount', typeText: 'decimal(10,2)', nullable: true, comment: 'in EUR' },
        { name: 'day', typeText: 'date', nullable: true, partitionIndex: 0 },
      ]);
      const ext = await c.metastore.createTable({
        catalog: 'main',
        schema: 'default',
        name: uniq('ext'),
        owner: 'alice',
        tableType: 'EXTERNAL',
        dataSourceFormat: 'parquet',
        storageLocation: 's3://bucket/path',
      });
      expect(ext).toMatchObject({
        tableType: 'EXTERNAL',
        dataSourceFormat: 'PARQUET',
        storageLocation: 's3://bucket/path',
      });
      expect(
        (
          await failure(
            c.metastore.createTable({
              catalog: 'main',
              schema: 'default',
              name: 'e2',
              owner: 'a',
              tableType: 'EXTERNAL',
            }),
          )
        ).code,
      ).toBe('INVALID_PARAMETER_VALUE');
      const listed = await c.metastore.listTables('main', 'default');
      expect(listed.map((x) => x.name)).toEqual(expect.arrayContaining([t.name, ext.name]));
    });

    it('refuses a duplicate table, honours IF NOT EXISTS and OR REPLACE', async () => {
      const name = uniq('t');
      const base = { catalog: 'main', schema: 'default', name, owner: 'alice', tableType: 'MANAGED' as const };
      const first = await c.metastore.createTable({ ...base, comment: 'v1' });
      const e = await failure(c.metastore.createTable(base));
      expect(e.code).toBe('TABLE_OR_VIEW_ALREADY_EXISTS');
      expect(e.sqlState).toBe('42P07');
      expect((await c.metastore.createTable({ ...base, comment: 'v2' }, { ifNotExists: true })).comment).toBe('v1');
      const replaced = await c.metastore.createTable({ ...base, owner: 'bob', comment: 'v3' }, { orReplace: true });
      expect(replaced).toMatchObject({ id: first.id, comment: 'v3', owner: 'alice', updatedBy: 'bob' });
      // a view may not replace a table (CREATE OR REPLACE VIEW expects a view)
      const v = await failure(
        c.metastore.createView(
          { catalog: 'main', schema: 'default', name, owner: 'x', sql: 'SELECT 1' },
          { orReplace: true },
        ),
      );
      expect(v.code).toBe('EXPECT_VIEW_NOT_TABLE');
    });

    it('creates the same table concurrently exactly once', async () => {
      const name = uniq('race');
      const results = await Promise.allSettled(
        [1, 2, 3].map(() =>
          c.metastore.createTable({ catalog: 'main', schema: 'default', name, owner: 'a', tableType: 'MANAGED' }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results.filter((r) => r.status === 'rejected')) {
        expect(((r as PromiseRejectedResult).reason as LakeboxError).code).toBe('TABLE_OR_VIEW_ALREADY_EXISTS');
      }
    });

    it('reports a missing table with suggestions, and a missing schema as a missing table', async () => {
      const name = uniq('customers');
      await c.metastore.createTable({ catalog: 'main', schema: 'default', name, owner: 'a', tableType: 'MANAGED' });
      const typo = name.replace('customers', 'custmers');
      const e = await failure(c.metastore.getTable('main', 'default', typo));
      expect(e.code).toBe('TABLE_OR_VIEW_NOT_FOUND');
      expect(e.sqlState).toBe('42P01');
      expect(e.details?.suggestions).toEqual([name]);
      expect(e.message).toContain(`Did you mean one of the following? [\`main\`.\`default\`.\`${name}\`]`);
      expect((await failure(c.metastore.getTable('main', 'nope', 'x'))).code).toBe('TABLE_OR_VIEW_NOT_FOUND');
      expect(await c.metastore.tableExists('main', 'default', name)).toBe(true);
      expect(await c.metastore.tableExists('main', 'nope', name)).toBe(false);
    });

    it('stores views as SQL text and keeps them apart from tables on drop', async () => {
      const name = uniq('v');
      const v = await c.metastore.createView({
        catalog: 'main',
        schema: 'default',
        name,
        owner: 'alice',
        sql: 'SELECT id FROM main.default.orders WHERE id > 1',
        columns: [{ name: 'id', typeText: 'bigint', nullable: true }],
      });
      expect(v).toMatchObject({ tableType: 'VIEW', storageLocation: null, dataSourceFormat: null });
      expect(v.viewDefinition).toBe('SELECT id FROM main.default.orders WHERE id > 1');
      const r = await c.metastore.createView(
        { catalog: 'main', schema: 'default', name, owner: 'alice', sql: 'SELECT 2 AS id' },
        { orReplace: true },
      );
      expect(r.viewDefinition).toBe('SELECT 2 AS id');
      expect((await failure(c.metastore.dropTable('main', 'default', name, { expect: 'TABLE' }))).code).toBe(
        'EXPECT_TABLE_NOT_VIEW',
      );
      expect((await c.metastore.dropTable('main', 'default', name, { expect: 'VIEW' }))?.name).toBe(name);
      expect(await c.metastore.dropTable('main', 'default', name, { ifExists: true })).toBeUndefined();
    });

    it('renames and alters tables, and deletes only managed data on drop', async () => {
      const name = uniq('m');
      const t = await c.metastore.createTable({
        catalog: 'main',
        schema: 'default',
        name,
        owner: 'a',
        tableType: 'MANAGED',
      });
      fs.mkdirSync(t.storageLocation!, { recursive: true });
      fs.writeFileSync(path.join(t.storageLocation!, 'part-0.parquet'), 'x');
      const u = await c.metastore.updateTable('main', 'default', name, 'bob', {
        newName: `${name}_r`,
        comment: 'renamed',
        columns: [{ name: 'x', typeText: 'int', nullable: true }],
      });
      expect(u).toMatchObject({
        name: `${name}_r`,
        comment: 'renamed',
        id: t.id,
        updatedBy: 'bob',
        storageLocation: t.storageLocation,
      });
      expect(u.columns).toEqual([{ name: 'x', typeText: 'int', nullable: true }]);
      const extDir = path.join(dir, uniq('extdata'));
      fs.mkdirSync(extDir);
      await c.metastore.createTable({
        catalog: 'main',
        schema: 'default',
        name: `${name}_e`,
        owner: 'a',
        tableType: 'EXTERNAL',
        storageLocation: extDir,
      });
      await c.metastore.dropTable('main', 'default', `${name}_e`);
      expect(fs.existsSync(extDir)).toBe(true);
      await c.metastore.dropTable('main', 'default', `${name}_r`);
      expect(fs.existsSync(t.storageLocation!)).toBe(false);
    });

    it('manages volumes as folders under the volumes root', async () => {
      const name = uniq('files');
      const v = await c.metastore.createVolume({
        catalog: 'main',
        schema: 'default',
        name,
        owner: 'alice',
        comment: 'landing',
      });
      expect(v).toMatchObject({
        volumeType: 'MANAGED',
        storageLocation: path.join(dir, 'volumes', 'main', 'default', name),
      });
      expect(fs.statSync(v.storageLocation).isDirectory()).toBe(true);
      expect(
        (await failure(c.metastore.createVolume({ catalog: 'main', schema: 'default', name, owner: 'b' }))).code,
      ).toBe('VOLUME_ALREADY_EXISTS');
      expect((await c.metastore.listVolumes('main', 'default')).map((x) => x.name)).toContain(name);
      expect((await failure(c.metastore.getVolume('main', 'default', name + 'x'))).details?.suggestions).toEqual([
        name,
      ]);
      await c.metastore.dropVolume('main', 'default', name);
      expect(fs.existsSync(v.storageLocation)).toBe(false);
    });

    it('stores SQL functions', async () => {
      const name = uniq('add_tax');
      const f = await c.metastore.createFunction({
        catalog: 'main',
        schema: 'default',
        name,
        owner: 'alice',
        parameters: [
          { name: 'x', typeText: 'double' },
          { name: 'rate', typeText: 'double', defaultExpression: '0.2' },
        ],
        returnType: 'double',
        routineDefinition: 'x * (1 + rate)',
        comment: 'VAT',
      });
      expect(f).toMatchObject({ routineBody: 'SQL', isDeterministic: true, returnType: 'double' });
      expect((await c.metastore.getFunction('main', 'default', name)).parameters).toEqual([
        { name: 'x', typeText: 'double' },
        { name: 'rate', typeText: 'double', defaultExpression: '0.2' },
      ]);
      expect((await failure(c.metastore.createFunction({ ...f, owner: 'b', routineDefinition: 'x' }))).code).toBe(
        'ROUTINE_ALREADY_EXISTS',
      );
      const r = await c.metastore.createFunction({ ...f, owner: 'b', routineDefinition: 'x * 2' }, { orReplace: true });
      expect(r.routineDefinition).toBe('x * 2');
      expect((await c.metastore.listFunctions('main', 'default')).map((x) => x.name)).toContain(name);
      await c.metastore.dropFunction('main', 'default', name);
      const e = await failure(c.metastore.getFunction('main', 'default', name));
      expect(e.code).toBe('ROUTINE_NOT_FOUND');
    });

    it('answers information_schema from the metastore', async () => {
      const cat = uniq('info');
      await c.metastore.createCatalog({ name: cat, owner: 'alice', comment: 'for info' });
      await c.metastore.createSchema({ catalog: cat, name: 's1', owner: 'alice' });
      await c.metastore.createTable({
        catalog: cat,
        schema: 's1',
        name: 't1',
        owner: 'alice',
        tableType: 'MANAGED',
        columns: [
          { name: 'a', typeText: 'int', nullable: false },
          { name: 'b', typeText: 'array<string>', nullable: true, comment: 'tags' },
        ],
      });
      await c.metastore.createView({ catalog: cat, schema: 's1', name: 'v1', owner: 'alice', sql: 'SELECT a FROM t1' });
      const catalogs = await informationSchemaRows(c.metastore, 'catalogs', { catalog: cat });
      expect(catalogs).toEqual([
        expect.objectContaining({ catalog_name: cat, catalog_owner: 'alice', comment: 'for info' }),
      ]);
      expect(catalogs[0]!.created).toBeInstanceOf(Date);
      const schemata = await informationSchemaRows(c.metastore, 'schemata', { catalog: cat });
      expect(schemata.map((r) => r.schema_name)).toEqual(['default', 's1']);
      const tables = await informationSchemaRows(c.metastore, 'tables', { catalog: cat });
      expect(tables.map((r) => [r.table_name, r.table_type, r.data_source_format])).toEqual([
        ['t1', 'MANAGED', 'DELTA'],
        ['v1', 'VIEW', null],
      ]);
      const columns = await informationSchemaRows(c.metastore, 'columns', { catalog: cat });
      expect(
        columns.map((r) => [
          r.column_name,
          r.ordinal_position,
          r.is_nullable,
          r.data_type,
          r.full_data_type,
          r.comment,
        ]),
      ).toEqual([
        ['a', 0, 'NO', 'INT', 'int', null],
        ['b', 1, 'YES', 'ARRAY', 'array<string>', 'tags'],
      ]);
      const views = await informationSchemaRows(c.metastore, 'views', { catalog: cat });
      expect(views).toEqual([expect.objectContaining({ table_name: 'v1', view_definition: 'SELECT a FROM t1' })]);
      const all = await informationSchemaRows(c.metastore, 'catalogs');
      expect(all.map((r) => r.catalog_name)).toEqual(expect.arrayContaining(['main', 'system', cat]));
    });

    it('keeps principals and hashed tokens', async () => {
      const user = uniq('carol');
      await c.principals.ensurePrincipal(user);
      const { token, info } = await c.principals.createToken(user, { comment: 'ci', lifetimeSeconds: 100 });
      expect(token).toMatch(/^lbx_[0-9a-f]{64}$/);
      expect(info.expiresAt! - info.createdAt).toBe(100_000);
      const stored = await c.database.db
        .selectFrom('tokens')
        .selectAll()
        .where('id', '=', info.tokenId)
        .executeTakeFirstOrThrow();
      expect(JSON.stringify(stored)).not.toContain(token.slice(8));
      expect((await c.principals.authenticate(token)).name).toBe(user);
      expect((await failure(c.principals.authenticate(token, info.expiresAt! + 1))).message).toMatch(/expired/);
      const p = (await c.principals.getPrincipal(user))!;
      await c.principals.revokeToken(info.tokenId, p);
      expect((await failure(c.principals.authenticate(token))).code).toBe('UNAUTHENTICATED');
      expect(await c.principals.listTokens(user)).toEqual([]);
      expect((await c.principals.listTokens(user, { includeRevoked: true })).map((t) => t.tokenId)).toEqual([
        info.tokenId,
      ]);
      expect((await failure(c.principals.createToken('nobody_here'))).code).toBe('PRINCIPAL_DOES_NOT_EXIST');
    });

    it('bootstraps the administrator once', async () => {
      const first = await c.principals.bootstrapAdmin();
      const second = await c.principals.bootstrapAdmin();
      // this database may already have its admin from an earlier test
      expect(second).toBeUndefined();
      if (first) expect((await c.principals.authenticate(first.token)).isAdmin).toBe(true);
      expect((await c.principals.getPrincipal('admin'))?.isAdmin).toBe(true);
    });

    it('rejects invalid names', async () => {
      for (const bad of ['', 'a.b', 'a b', 'a/b', 'x'.repeat(256)]) {
        const e = await failure(c.metastore.createSchema({ catalog: 'main', name: bad, owner: 'a' }));
        expect(['INVALID_PARAMETER_VALUE', 'INVALID_SCHEMA_OR_RELATION_NAME']).toContain(e.code);
      }
    });
  });
}
