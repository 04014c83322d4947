import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeboxError } from '@lakebox/common';
import { openCatalog, type OpenCatalog } from '@lakebox/catalog';
import { Lakehouse, SqlEngine, type StatementResult } from '@lakebox/engine';

// Governance in the SQL engine itself: GRANT / REVOKE / SHOW GRANTS, ownership, inherited and
// group privileges, filtered SHOW and information_schema, row filters and column masks.

let dir: string;
let cat: OpenCatalog;
let engine: SqlEngine;

const run = (user: string, sql: string): Promise<StatementResult> =>
  engine.execute(sql, { session: { catalog: 'main', schema: 'default', user } });
const rows = async (user: string, sql: string) => (await run(user, sql)).rows;
async function fails(user: string, sql: string): Promise<LakeboxError> {
  const e = await run(user, sql).then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e, sql).toBeInstanceOf(LakeboxError);
  return e as LakeboxError;
}
async function denied(user: string, sql: string, privilege?: string): Promise<void> {
  const e = await fails(user, sql);
  expect(e.code, `${sql}: ${e.message}`).toBe('PERMISSION_DENIED');
  expect(e.httpStatus).toBe(403);
  if (privilege) expect(e.message).toContain(privilege);
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakebox-gov-sql-'));
  cat = await openCatalog({ url: `sqlite:${dir}/m.db`, storageRoot: `${dir}/w`, volumesRoot: `${dir}/v` });
  await cat.principals.ensurePrincipal('admin', { isAdmin: true });
  for (const u of ['alice', 'bob', 'hank']) await cat.principals.ensurePrincipal(u);
  for (const g of ['analysts', 'hr']) await cat.principals.ensurePrincipal(g, { kind: 'group' });
  await cat.principals.addMember('analysts', 'bob');
  await cat.principals.addMember('hr', 'hank');
  await cat.principals.addMember('analysts', 'hr'); // nested: hank is an analyst through hr
  await cat.metastore.bootstrap('admin');
  const lakehouse = new Lakehouse(cat.metastore);
  engine = new SqlEngine({ resolver: lakehouse, handlers: [lakehouse] });
  lakehouse.engine = engine;
  await run('admin', 'CREATE CATALOG sales');
  await run('admin', 'CREATE SCHEMA sales.raw');
  await run('admin', 'CREATE TABLE sales.raw.orders (id BIGINT, region STRING, ssn STRING, amount DOUBLE)');
  await run(
    'admin',
    "INSERT INTO sales.raw.orders VALUES (1, 'EU', '111-11-1111', 10.0), (2, 'US', '222-22-2222', 20.0), (3, 'EU', '333-33-3333', 30.0)",
  );
});
afterAll(async () => {
  await cat.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('GRANT, REVOKE, SHOW GRANTS', () => {
  it('reading needs USE CATALOG, USE SCHEMA and SELECT', async () => {
    await denied('alice', 'SELECT * FROM sales.raw.orders', 'USE CATALOG');
    await run('admin', 'GRANT USE CATALOG ON CATALOG sales TO alice');
    await denied('alice', 'SELECT * FROM sales.raw.orders', 'USE SCHEMA');
    await run('admin', 'GRANT USE SCHEMA ON SCHEMA sales.raw TO `alice`');
    await denied('alice', 'SELECT * FROM sales.raw.orders', 'SELECT');
    await run('admin', 'GRANT SELECT ON TABLE sales.raw.orders TO alice');
    expect(await rows('alice', 'SELECT count(*) FROM sales.raw.orders')).toEqual([[3]]);
    await denied('alice', 'INSERT INTO sales.raw.orders VALUES (4, "EU", "x", 1.0)', 'MODIFY');
    await denied('alice', 'DELETE FROM sales.raw.orders WHERE id = 1', 'MODIFY');
    await denied('alice', 'DROP TABLE sales.raw.orders', 'MANAGE');
    await denied('alice', 'CREATE TABLE sales.raw.mine (x INT)', 'CREATE TABLE');
    // a non-owner cannot grant what it holds
    await denied('alice', 'GRANT SELECT ON TABLE sales.raw.orders TO bob', 'MANAGE');
    const g = await rows('admin', 'SHOW GRANTS ON TABLE sales.raw.orders');
    expect(g).toContainEqual(['alice', 'SELECT', 'TABLE', 'sales.raw.orders']);
    expect(g).toContainEqual(['alice', 'USE SCHEMA', 'SCHEMA', 'sales.raw']);
    expect(g).toContainEqual(['alice', 'USE CATALOG', 'CATALOG', 'sales']);
    // the schema's own grants, then those inherited from its catalog
    expect(await rows('admin', 'SHOW GRANTS `alice` ON SCHEMA sales.raw')).toEqual([
      ['alice', 'USE SCHEMA', 'SCHEMA', 'sales.raw'],
      ['alice', 'USE CATALOG', 'CATALOG', 'sales'],
    ]);
    await run('admin', 'REVOKE SELECT ON TABLE sales.raw.orders FROM alice');
    await denied('alice', 'SELECT * FROM sales.raw.orders', 'SELECT');
  });

  it('privileges granted on a schema are inherited; group grants reach members, nested groups too', async () => {
    await run('admin', 'GRANT USE CATALOG, USE SCHEMA ON CATALOG sales TO analysts');
    await run('admin', 'GRANT SELECT ON SCHEMA sales.raw TO analysts');
    expect(await rows('bob', 'SELECT count(*) FROM sales.raw.orders')).toEqual([[3]]);
    expect(await rows('hank', 'SELECT count(*) FROM sales.raw.orders')).toEqual([[3]]);
    await denied('bob', 'UPDATE sales.raw.orders SET amount = 0', 'MODIFY');
    await run('admin', 'GRANT MODIFY ON TABLE sales.raw.orders TO bob');
    await run('bob', 'UPDATE sales.raw.orders SET amount = amount WHERE id = 1');
    await run('admin', 'REVOKE MODIFY ON TABLE sales.raw.orders FROM bob');
    await expect(run('admin', 'GRANT CREATE SCHEMA ON TABLE sales.raw.orders TO bob')).rejects.toThrow(
      /cannot be granted/,
    );
    await expect(run('admin', 'GRANT SELECT ON TABLE sales.raw.orders TO nobody')).rejects.toThrow(/principal/);
    await expect(run('admin', 'GRANT SELECT ON TABLE sales.raw.nope TO bob')).rejects.toMatchObject({
      code: 'TABLE_OR_VIEW_NOT_FOUND',
    });
  });

  it('CREATE needs CREATE X on the parent; creators own what they create; ownership moves with ALTER ... OWNER TO', async () => {
    await denied('bob', 'CREATE SCHEMA sales.bobs', 'CREATE SCHEMA');
    await run('admin', 'GRANT CREATE SCHEMA ON CATALOG sales TO bob');
    await run('bob', 'CREATE SCHEMA sales.bobs');
    await run('bob', 'CREATE TABLE sales.bobs.t (x INT)');
    await run('bob', 'INSERT INTO sales.bobs.t VALUES (1)');
    await run('bob', 'CREATE VIEW sales.bobs.v AS SELECT x FROM sales.bobs.t');
    expect(await rows('bob', 'SELECT * FROM sales.bobs.v')).toEqual([[1]]);
    await denied('alice', 'SELECT * FROM sales.bobs.t', 'USE SCHEMA');
    await run('bob', 'GRANT USE SCHEMA, SELECT ON SCHEMA sales.bobs TO alice');
    expect(await rows('alice', 'SELECT * FROM sales.bobs.v')).toEqual([[1]]);
    await run('bob', 'ALTER TABLE sales.bobs.t OWNER TO alice');
    expect((await rows('admin', 'DESCRIBE TABLE EXTENDED sales.bobs.t')).find((r) => r[0] === 'Owner')?.[1]).toBe(
      'alice',
    );
    // bob still owns the schema, so he keeps every privilege inside it
    await run('bob', 'INSERT INTO sales.bobs.t VALUES (2)');
    await denied('hank', 'ALTER TABLE sales.bobs.t SET OWNER TO hank');
    await denied('alice', 'DROP VIEW sales.bobs.v', 'MANAGE');
    await run('alice', 'DROP TABLE sales.bobs.t');
    await run('bob', 'DROP SCHEMA sales.bobs CASCADE');
  });

  it('SHOW and information_schema list only what the caller can see', async () => {
    await run('admin', 'CREATE SCHEMA sales.secret');
    await run('admin', 'CREATE TABLE sales.secret.salaries (x INT)');
    await run('admin', 'CREATE TABLE sales.raw.hidden (x INT)');
    const names = (r: unknown[][]) => r.map((x) => x[0]);
    expect(names(await rows('alice', 'SHOW CATALOGS'))).toEqual(['sales']);
    expect(names(await rows('admin', 'SHOW CATALOGS'))).toEqual(['main', 'sales', 'system']);
    expect(names(await rows('alice', 'SHOW SCHEMAS IN sales'))).toEqual(['raw']);
    expect((await rows('bob', 'SHOW TABLES IN sales.raw')).map((r) => r[1])).toEqual(['hidden', 'orders']);
    await run('admin', 'GRANT SELECT ON TABLE sales.raw.orders TO alice');
    expect((await rows('alice', 'SHOW TABLES IN sales.raw')).map((r) => r[1])).toEqual(['orders']);
    const t = await rows(
      'alice',
      "SELECT table_schema, table_name FROM system.information_schema.tables WHERE table_catalog = 'sales' ORDER BY 2",
    );
    expect(t).toEqual([['raw', 'orders']]);
    const all = await rows('admin', 'SELECT table_name FROM sales.information_schema.tables ORDER BY 1');
    expect(all.map((r) => r[0])).toEqual(['hidden', 'orders', 'salaries']);
    expect(await rows('nobody', 'SELECT * FROM system.information_schema.catalogs')).toEqual([]);
    // no "did you mean" hints leak names to someone who cannot see them
    const e = await fails('alice', 'SELECT * FROM sales.raw.hidde');
    expect(e.code).toBe('TABLE_OR_VIEW_NOT_FOUND');
    expect(e.message).not.toContain('hidden');
    expect((await fails('admin', 'SELECT * FROM sales.raw.hidde')).message).toContain('hidden');
    const e2 = await fails('alice', 'SELECT * FROM sales.secret.salarie');
    expect(e2.code).toBe('PERMISSION_DENIED');
    expect(e2.message).not.toContain('salaries');
    await denied('alice', 'DESCRIBE TABLE sales.secret.salaries');
  });
});

describe('reading outside the catalog', () => {
  it('files by path and engine functions that reach files or the environment are for admins', async () => {
    const f = path.join(dir, 'outside.csv');
    fs.writeFileSync(f, 'a,b\nSECRET,1\n');
    await run('admin', 'GRANT USE CATALOG, USE SCHEMA, SELECT, MODIFY, CREATE TABLE ON CATALOG sales TO hank');
    for (const sql of [
      `SELECT * FROM read_files('${f}', format => 'csv')`,
      `SELECT * FROM read_csv('${f}')`,
      `SELECT * FROM read_text('${f}')`,
      `SELECT * FROM glob('${dir}/*')`,
      `SELECT * FROM csv.\`${f}\``,
      `SELECT * FROM delta.\`${dir}/w/sales/raw/orders\``,
      "SELECT getenv('HOME')",
      `SELECT count(*) FROM sales.raw.orders WHERE id IN (SELECT 1 FROM read_csv('${f}'))`,
      `DELETE FROM sales.raw.orders WHERE id IN (SELECT 1 FROM read_text('${f}'))`,
      `CREATE TABLE sales.raw.stolen (id BIGINT) LOCATION '${dir}/w/sales/raw/orders'`,
    ]) {
      const e = await fails('hank', sql);
      expect(e.code, `${sql}: ${e.message}`).toBe('PERMISSION_DENIED');
      expect(e.message).not.toContain('SECRET');
    }
    await run('hank', 'CREATE TABLE sales.raw.hanks (id BIGINT)'); // a managed table is fine
    expect((await fails('hank', `CREATE TABLE sales.raw.x (id BIGINT) LOCATION '${dir}/elsewhere'`)).message).toContain(
      'by path',
    );
    expect(await rows('admin', `SELECT count(*) FROM read_files('${f}', format => 'csv', header => true)`)).toEqual([
      [1],
    ]);
  });
});

describe('row filters and column masks', () => {
  it('filter rows and mask columns for every reader, by current_user() and group membership', async () => {
    await run(
      'admin',
      "CREATE FUNCTION sales.raw.eu_only(region STRING) RETURNS BOOLEAN RETURN is_account_group_member('admins') OR region = 'EU' OR current_user() = 'hank'",
    );
    await run(
      'admin',
      "CREATE FUNCTION sales.raw.ssn_mask(ssn STRING) RETURNS STRING RETURN CASE WHEN is_account_group_member('hr') THEN ssn ELSE '***' END",
    );
    await run('admin', 'ALTER TABLE sales.raw.orders SET ROW FILTER sales.raw.eu_only ON (region)');
    await run('admin', 'ALTER TABLE sales.raw.orders ALTER COLUMN ssn SET MASK sales.raw.ssn_mask');
    const q = 'SELECT id, region, ssn FROM sales.raw.orders ORDER BY id';
    expect(await rows('alice', q)).toEqual([
      [1, 'EU', '***'],
      [3, 'EU', '***'],
    ]);
    expect(await rows('bob', q)).toEqual([
      [1, 'EU', '***'],
      [3, 'EU', '***'],
    ]);
    // hank: current_user() passes the filter; member of hr (nested in analysts) sees ssn
    expect(await rows('hank', q)).toEqual([
      [1, 'EU', '111-11-1111'],
      [2, 'US', '222-22-2222'],
      [3, 'EU', '333-33-3333'],
    ]);
    expect((await rows('admin', q)).map((r) => r[2])).toEqual(['***', '***', '***']);
    // through a view, aggregates and joins the policies still hold
    await run('admin', 'CREATE VIEW sales.raw.orders_v AS SELECT * FROM sales.raw.orders');
    await run('admin', 'GRANT SELECT ON TABLE sales.raw.orders_v TO alice');
    expect(await rows('alice', 'SELECT count(*), sum(amount) FROM sales.raw.orders_v')).toEqual([[2, 40]]);
    expect(await rows('alice', "SELECT count(*) FROM sales.raw.orders WHERE ssn = '222-22-2222'")).toEqual([[0]]);
    // only the owner or a manager sets policies
    await denied('alice', 'ALTER TABLE sales.raw.orders DROP ROW FILTER');
    await run('admin', 'ALTER TABLE sales.raw.orders DROP ROW FILTER');
    expect((await rows('alice', q)).length).toBe(3);
    await run('admin', 'ALTER TABLE sales.raw.orders ALTER COLUMN ssn DROP MASK');
    expect((await rows('alice', q))[1]).toEqual([2, 'US', '222-22-2222']);
  });

  it('UPDATE and DELETE touch only the rows the row filter shows; MERGE is refused', async () => {
    await run('admin', 'CREATE TABLE sales.raw.d (id BIGINT, region STRING)');
    await run('admin', "INSERT INTO sales.raw.d VALUES (1, 'EU'), (2, 'US'), (3, 'EU')");
    await run('admin', 'ALTER TABLE sales.raw.d SET ROW FILTER sales.raw.eu_only ON (region)');
    await run('admin', 'GRANT SELECT, MODIFY ON TABLE sales.raw.d TO alice');
    await run('alice', "UPDATE sales.raw.d SET region = 'XX' WHERE id = 2");
    await run('alice', 'DELETE FROM sales.raw.d');
    await run('admin', 'ALTER TABLE sales.raw.d DROP ROW FILTER');
    expect(await rows('admin', 'SELECT id, region FROM sales.raw.d ORDER BY id')).toEqual([[2, 'US']]);
    await run('admin', 'ALTER TABLE sales.raw.d SET ROW FILTER sales.raw.eu_only ON (region)');
    const e = await fails(
      'alice',
      'MERGE INTO sales.raw.d t USING (SELECT 9 AS id) s ON t.id = s.id WHEN NOT MATCHED THEN INSERT *',
    );
    expect(e.code).toBe('UNSUPPORTED_FEATURE');
  });
});
