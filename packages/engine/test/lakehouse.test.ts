import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeltaTable, loadSnapshot, tableStore } from '@lakebox/delta';
import { openEmbedded, type EmbeddedSql } from '../src/index.js';

let dir: string;
let db: EmbeddedSql;
const rows = async (sql: string) => (await db.run(sql)).rows;
const err = async (sql: string) =>
  db.run(sql).then(
    () => undefined,
    (e: any) => e,
  );

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lakebox-sql-'));
  db = await openEmbedded({
    metastoreUrl: `sqlite:${dir}/metastore.db`,
    storageRoot: `${dir}/warehouse`,
    volumesRoot: `${dir}/volumes`,
  });
});
afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SQL on the metastore and Delta tables', () => {
  it('CREATE TABLE, INSERT, SELECT, partitioning and time travel', async () => {
    await db.run(
      'CREATE TABLE sales (id BIGINT NOT NULL, region STRING, amount DECIMAL(10,2), day DATE) USING DELTA PARTITIONED BY (region) TBLPROPERTIES ("owner.team" = "x")',
    );
    expect(
      await rows(
        "INSERT INTO sales VALUES (1, 'east', 10.50, DATE '2024-01-01'), (2, 'west', 20.00, DATE '2024-01-02')",
      ),
    ).toEqual([[2, 2]]);
    await db.run("INSERT INTO sales (region, id, amount) VALUES ('east', 3, 5)");
    expect(await rows('SELECT id, region, amount, day FROM sales ORDER BY id')).toEqual([
      [1, 'east', '10.50', '2024-01-01'],
      [2, 'west', '20.00', '2024-01-02'],
      [3, 'east', '5.00', null],
    ]);
    expect(await rows('SELECT count(*) FROM main.default.sales VERSION AS OF 1')).toEqual([[2]]);
    expect(await rows('SELECT count(*) FROM sales@v0')).toEqual([[0]]);
    expect(await rows("SELECT sum(amount) FROM sales WHERE region = 'east'")).toEqual([['15.50']]);
    const info = await db.catalog.metastore.getTable('main', 'default', 'sales');
    const snap = await loadSnapshot(tableStore(info.storageLocation!));
    expect(snap.partitionColumns).toEqual(['region']);
    expect(snap.metadata.configuration?.['owner.team']).toBe('x');
    // by path
    expect(await rows(`SELECT count(*) FROM delta.\`${info.storageLocation}\``)).toEqual([[3]]);
  });

  it('UPDATE, DELETE, MERGE (all clause kinds), TRUNCATE, INSERT OVERWRITE, REPLACE WHERE', async () => {
    await db.run('CREATE TABLE t (k INT, v STRING)');
    await db.run("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd')");
    expect(await rows('UPDATE t SET v = upper(v) WHERE k <= 2')).toEqual([[2]]);
    expect(await rows('DELETE FROM t WHERE k = 4')).toEqual([[1]]);
    expect(await rows('SELECT * FROM t ORDER BY k')).toEqual([
      [1, 'A'],
      [2, 'B'],
      [3, 'c'],
    ]);
    await db.run('CREATE TABLE src AS SELECT * FROM VALUES (2, "two"), (5, "five") AS s(k, v)');
    const m = await rows(`MERGE INTO t AS tgt USING src AS s ON tgt.k = s.k
      WHEN MATCHED THEN UPDATE SET v = s.v
      WHEN NOT MATCHED THEN INSERT (k, v) VALUES (s.k, s.v)
      WHEN NOT MATCHED BY SOURCE AND tgt.k = 1 THEN DELETE`);
    expect(m).toEqual([[3, 1, 1, 1]]);
    expect(await rows('SELECT * FROM t ORDER BY k')).toEqual([
      [2, 'two'],
      [3, 'c'],
      [5, 'five'],
    ]);
    await db.run("INSERT OVERWRITE t SELECT 9, 'nine'");
    expect(await rows('SELECT * FROM t')).toEqual([[9, 'nine']]);
    await db.run("INSERT INTO t REPLACE WHERE k = 9 SELECT 9, 'NINE'");
    expect(await rows('SELECT * FROM t')).toEqual([[9, 'NINE']]);
    await db.run('TRUNCATE TABLE t');
    expect(await rows('SELECT count(*) FROM t')).toEqual([[0]]);
    const hist = await rows('DESCRIBE HISTORY t');
    expect(hist.length).toBeGreaterThanOrEqual(8);
    expect(hist[0][3]).toBe('DELETE');
  });

  it('views, USE, SHOW, DESCRIBE, ALTER, constraints, SQL functions, RESTORE', async () => {
    await db.run('CREATE SCHEMA IF NOT EXISTS s2');
    await db.run('USE SCHEMA s2');
    await db.run('CREATE TABLE p (a INT, b STRING) COMMENT "people"');
    await db.run("INSERT INTO p VALUES (1, 'x'), (2, 'y')");
    await db.run('CREATE VIEW pv AS SELECT a * 10 AS a10 FROM p');
    expect(await rows('SELECT * FROM s2.pv ORDER BY 1')).toEqual([[10], [20]]);
    expect(await rows('SHOW TABLES')).toEqual([
      ['s2', 'p', false],
      ['s2', 'pv', false],
    ]);
    expect((await rows('SHOW SCHEMAS')).map((r) => r[0])).toEqual(expect.arrayContaining(['default', 's2']));
    expect(await rows('DESCRIBE p')).toEqual([
      ['a', 'int', null],
      ['b', 'string', null],
    ]);
    expect(await rows('SHOW COLUMNS IN p')).toEqual([['a'], ['b']]);
    expect((await rows('SHOW CREATE TABLE p'))[0][0]).toContain(
      'CREATE TABLE main.s2.p (\n  a INT,\n  b STRING)\nUSING delta',
    );
    expect((await rows('DESCRIBE TABLE EXTENDED p')).map((r) => r[0])).toEqual(
      expect.arrayContaining(['# Detailed Table Information', 'Location', 'Comment']),
    );
    await db.run("ALTER TABLE p ADD COLUMNS (c DOUBLE COMMENT 'new')");
    await db.run("ALTER TABLE p SET TBLPROPERTIES ('k1' = 'v1')");
    expect(await rows('SHOW TBLPROPERTIES p')).toEqual(expect.arrayContaining([['k1', 'v1']]));
    await db.run('ALTER TABLE p ADD CONSTRAINT pos CHECK (a > 0)');
    const bad = await err('INSERT INTO p VALUES (-1, "z", 1.0)');
    expect(bad?.code).toMatch(/CHECK_CONSTRAINT|CONSTRAINT/);
    expect(await rows('SELECT count(*) FROM p')).toEqual([[2]]);
    const v = await err('ALTER TABLE p ADD CONSTRAINT big CHECK (a > 1)');
    expect(v?.code).toBe('DELTA_NEW_CHECK_CONSTRAINT_VIOLATION');
    await db.run('CREATE FUNCTION twice(x INT) RETURNS INT RETURN x * 2');
    expect(await rows('SELECT twice(a) FROM p ORDER BY 1')).toEqual([[2], [4]]);
    await db.run('DELETE FROM p');
    await db.run('RESTORE TABLE p TO VERSION AS OF 1');
    expect(await rows('SELECT count(*) FROM p')).toEqual([[2]]);
    const detail = await db.run('DESCRIBE DETAIL p');
    expect(detail.rows[0][0]).toBe('delta');
    const noMapping = await err('ALTER TABLE p RENAME COLUMN b TO bb');
    expect(noMapping.code).toBe('DELTA_UNSUPPORTED_RENAME_COLUMN');
    await db.run("ALTER TABLE p SET TBLPROPERTIES ('delta.columnMapping.mode' = 'name')");
    await db.run('ALTER TABLE p RENAME COLUMN b TO bb');
    await db.run('ALTER TABLE p ADD COLUMNS (c INT, d INT)');
    await db.run('ALTER TABLE p DROP COLUMNS (c, d)');
    expect(await rows('SELECT * FROM p ORDER BY a')).toEqual([
      [1, 'x'],
      [2, 'y'],
    ]);
    expect((await db.run('SELECT * FROM p')).columns.map((x) => x.name)).toEqual(['a', 'bb']);
    await db.run("INSERT INTO p VALUES (3, 'z')");
    expect(await rows('SELECT bb FROM p ORDER BY a')).toEqual([['x'], ['y'], ['z']]);
    await db.run('DROP VIEW pv');
    await db.run('DROP TABLE p');
    expect((await rows('SHOW TABLES')).length).toBe(0);
    await db.run('USE default');
  });

  it('errors: unknown table with suggestions, unsupported statements, nothing half-made', async () => {
    const e1 = await err('SELECT * FROM sale');
    expect(e1.code).toBe('TABLE_OR_VIEW_NOT_FOUND');
    expect(e1.message).toContain('sales');
    const e2 = await err('DENY SELECT ON TABLE sales TO `x`');
    expect(e2.code).toBe('UNSUPPORTED_FEATURE');
    expect(e2.message).toContain('DENY');
    // a failing CTAS leaves neither a metastore entry nor a directory
    const e3 = await err('CREATE TABLE broken AS SELECT nope FROM sales');
    expect(e3.code).toBe('UNRESOLVED_COLUMN.WITH_SUGGESTION');
    expect(await db.catalog.metastore.tableExists('main', 'default', 'broken')).toBe(false);
    await expect(
      DeltaTable.open(await db.catalog.metastore.managedTableLocation('main', 'default', 'broken')),
    ).rejects.toThrow();
    const e4 = await err('CREATE TABLE sales (x INT)');
    expect(e4.code).toBe('TABLE_OR_VIEW_ALREADY_EXISTS');
  });

  it('OPTIMIZE, VACUUM, COPY INTO, read_files', async () => {
    await db.run('CREATE TABLE many (i INT)');
    for (let i = 0; i < 3; i++) await db.run(`INSERT INTO many VALUES (${i})`);
    const o = await db.run('OPTIMIZE many ZORDER BY (i)');
    expect((o.rows[0][1] as any).numFilesRemoved).toBe(3);
    expect(await rows('SELECT count(*) FROM many')).toEqual([[3]]);
    const vac = await db.run('VACUUM many RETAIN 0 HOURS DRY RUN').catch((e) => e);
    expect(vac.code ?? 'ok').toMatch(/ok|DELTA_VACUUM_RETENTION_PERIOD_TOO_SHORT|RETENTION/);
    const csv = path.join(dir, 'in');
    const { writeFileSync, mkdirSync } = await import('node:fs');
    mkdirSync(csv);
    writeFileSync(path.join(csv, 'a.csv'), 'i\n10\n11\n');
    await db.run(`COPY INTO many FROM '${csv}' FILEFORMAT = CSV FORMAT_OPTIONS ('header' = 'true')`);
    expect(await rows('SELECT sum(i) FROM many')).toEqual([[24]]);
    expect(await rows(`SELECT count(*) FROM read_files('${csv}/*.csv', format => 'csv', header => true)`)).toEqual([
      [2],
    ]);
  });
});
