import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DeltaTable } from '../src/table.js';
import { readRows } from '../src/scan.js';
import { writeToTable } from '../src/write.js';
import { readCommit } from '../src/log.js';
import { expectError, tableDir } from './support.js';

const loc = tableDir('lakebox-write-test-');

async function rows(location: string, order = 'id'): Promise<Record<string, unknown>[]> {
  const snap = await (await DeltaTable.open(location)).snapshot();
  const r = await readRows(snap);
  return r.sort((a, b) => (String(a[order]) < String(b[order]) ? -1 : String(a[order]) > String(b[order]) ? 1 : 0));
}

async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(path.relative(root, p));
    }
  };
  await walk(root);
  return out.sort();
}

describe('writeToTable', () => {
  it('creates a table from a query with every primitive and nested type, and reads it back', async () => {
    const t = loc('types');
    const r = await writeToTable(t, {
      sql: `SELECT 1::TINYINT AS b, 2::SMALLINT AS s, 3::INTEGER AS i, 4::BIGINT AS id, 1.5::FLOAT AS f, 2.5::DOUBLE AS d,
              12.34::DECIMAL(10,2) AS dec, 'x' AS str, true AS bool, '\\x01\\x02'::BLOB AS bin, DATE '2024-02-29' AS dt,
              TIMESTAMPTZ '2024-01-01 10:00:00.123456+00' AS ts, TIMESTAMP '2024-01-01 10:00:00.5' AS ntz,
              {'a': 1, 'b': 'z'} AS st, [1, 2, 3] AS arr, MAP {'k': 1.5} AS m`,
    });
    expect(r).toMatchObject({ version: 0, skipped: false, numFiles: 1, numOutputRows: 1 });
    const snap = await (await DeltaTable.open(t)).snapshot();
    const types = Object.fromEntries(snap.schema.fields.map((f) => [f.name, f.type]));
    expect(types).toMatchObject({
      b: 'byte',
      s: 'short',
      i: 'integer',
      id: 'long',
      f: 'float',
      d: 'double',
      dec: 'decimal(10,2)',
      str: 'string',
      bool: 'boolean',
      bin: 'binary',
      dt: 'date',
      ts: 'timestamp',
      ntz: 'timestamp_ntz',
      st: { type: 'struct' },
      arr: { type: 'array', elementType: 'integer' },
      m: { type: 'map', keyType: 'string', valueType: 'decimal(2,1)' },
    });
    // timestamp_ntz needs the table feature
    expect(snap.protocol.readerFeatures ?? []).toContain('timestampNtz');
    const [row] = await readRows(snap);
    expect(row).toMatchObject({ b: 1, s: 2, i: 3, id: 4n, str: 'x', bool: true, dt: expect.anything() });
    expect((row!.ts as Date).toISOString()).toBe('2024-01-01T10:00:00.123Z');
    const add = snap.activeFiles()[0]!;
    const stats = JSON.parse(add.stats!);
    expect(stats.numRecords).toBe(1);
    expect(stats.minValues.ts).toBe('2024-01-01T10:00:00.123Z');
    expect(stats.minValues.ntz).toBe('2024-01-01T10:00:00.500');
    expect(stats.minValues.st).toEqual({ a: 1, b: 'z' });
    expect(stats.minValues.bool).toBeUndefined();
    expect(stats.nullCount.bool).toBe(0);
    expect(add.path).toMatch(/^part-00000-[0-9a-f-]{36}-c000\.zstd\.parquet$/);
  });

  it('lays out partitions like Spark (escaped values, null partition) and round-trips', async () => {
    const t = loc('parts');
    await writeToTable(
      t,
      {
        sql: `SELECT i::BIGINT AS id, CASE WHEN i = 0 THEN NULL WHEN i = 1 THEN 'a b/c%d' ELSE 'x' END AS p, DATE '2024-01-01' + i::INTEGER AS day FROM range(4) t(i)`,
      },
      { partitionBy: ['p', 'day'] },
    );
    const snap = await (await DeltaTable.open(t)).snapshot();
    const paths = snap
      .activeFiles()
      .map((a) => a.path)
      .sort();
    expect(paths.some((p) => p.startsWith('p=__HIVE_DEFAULT_PARTITION__/day=2024-01-01/'))).toBe(true);
    expect(paths.some((p) => p.startsWith('p=a%20b%252Fc%2525d/day=2024-01-02/'))).toBe(true);
    const files = await listFiles(t);
    expect(files.some((f) => f.startsWith(`p=a b%2Fc%25d${path.sep}day=2024-01-02${path.sep}part-00000-`))).toBe(true);
    const pv = snap.activeFiles().map((a) => a.partitionValues);
    expect(pv).toContainEqual({ p: null, day: '2024-01-01' });
    expect(pv).toContainEqual({ p: 'a b/c%d', day: '2024-01-02' });
    // partition columns are not stored in the data files and have no stats
    for (const a of snap.activeFiles()) expect(Object.keys(JSON.parse(a.stats!).minValues)).toEqual(['id']);
    const got = await rows(t);
    expect(got.map((r) => [r.id, r.p])).toEqual([
      [0n, null],
      [1n, 'a b/c%d'],
      [2n, 'x'],
      [3n, 'x'],
    ]);
  });

  it('appends, overwrites, honours ignore / errorIfExists and idempotent txn versions', async () => {
    const t = loc('modes');
    await writeToTable(t, { rows: [{ id: 1, v: 'a' }] });
    await writeToTable(t, { rows: [{ id: 2, v: 'b' }] }, { txnAppId: 'app', txnVersion: 1 });
    const again = await writeToTable(t, { rows: [{ id: 3, v: 'c' }] }, { txnAppId: 'app', txnVersion: 1 });
    expect(again.skipped).toBe(true);
    expect((await rows(t)).map((r) => r.id)).toEqual([1n, 2n]);
    expect((await writeToTable(t, { rows: [{ id: 9, v: 'z' }] }, { mode: 'ignore' })).skipped).toBe(true);
    await expectError(
      writeToTable(t, { rows: [{ id: 9, v: 'z' }] }, { mode: 'errorIfExists' }),
      'DELTA_TABLE_ALREADY_EXISTS',
    );
    const ow = await writeToTable(t, { rows: [{ id: 7, v: 'q' }] }, { mode: 'overwrite' });
    expect(ow.numRemovedFiles).toBe(2);
    expect(await rows(t)).toEqual([{ id: 7n, v: 'q' }]);
    const commit = await readCommit((await DeltaTable.open(t)).store, ow.version);
    const info = commit.find((a) => a.commitInfo)!.commitInfo!;
    expect(info.operation).toBe('WRITE');
    expect(info.operationParameters).toMatchObject({ mode: 'Overwrite' });
    expect(info.operationMetrics).toMatchObject({ numFiles: '1', numOutputRows: '1' });
    expect(commit.filter((a) => a.remove).every((a) => a.remove!.dataChange && a.remove!.deletionTimestamp! > 0)).toBe(
      true,
    );
  });

  it('writes JS rows into typed columns (dates, timestamps, decimals, binary, bigint)', async () => {
    const t = loc('js-rows');
    await writeToTable(t, {
      sql: `SELECT 1::BIGINT AS id, DATE '2024-01-01' AS d, TIMESTAMPTZ '2024-01-01 00:00:00+00' AS ts, 1.25::DECIMAL(6,2) AS dec, '\\x00'::BLOB AS bin WHERE false`,
    });
    await writeToTable(t, {
      rows: [
        {
          id: 9007199254740993n,
          d: '2024-02-29',
          ts: new Date('2024-03-01T12:34:56.789Z'),
          dec: '12.34',
          bin: new Uint8Array([0, 255, 16]),
        },
      ],
    });
    const [r] = await rows(t);
    expect(r!.id).toBe(9007199254740993n);
    expect((r!.ts as Date).toISOString()).toBe('2024-03-01T12:34:56.789Z');
    expect(String(r!.dec)).toBe('12.34');
    expect(Array.from(r!.bin as Uint8Array)).toEqual([0, 255, 16]);
  });

  it('rejects a schema mismatch with a message that shows both schemas and the column', async () => {
    const t = loc('mismatch');
    await writeToTable(t, { sql: `SELECT 1::BIGINT AS id, 'a' AS name` });
    const e = await expectError(
      writeToTable(t, { sql: `SELECT 2::BIGINT AS id, 'b' AS name, 3 AS extra_col` }),
      '_LEGACY_ERROR_TEMP_DELTA_0007',
    );
    expect(e.message).toContain('A schema mismatch detected when writing to the Delta table');
    expect(e.message).toContain('extra_col');
    expect(e.message).toMatch(/Table schema:\nroot\n \|-- id: long \(nullable = true\)\n \|-- name: string/);
    expect(e.message).toMatch(/Data schema:\nroot\n[\s\S]*extra_col: integer/);
    const e2 = await expectError(writeToTable(t, { sql: `SELECT 'x' AS id` }), 'DELTA_FAILED_TO_MERGE_FIELDS');
    expect(e2.message).toContain("Failed to merge fields 'id' and 'id'");
    expect(e2.message).toContain('LongType and StringType');
    // a narrower numeric type is cast; a missing column becomes NULL
    await writeToTable(t, { sql: `SELECT 5::INTEGER AS id` });
    expect(await rows(t)).toEqual([
      { id: 1n, name: 'a' },
      { id: 5n, name: null },
    ]);
    expect((await (await DeltaTable.open(t)).snapshot()).version).toBe(1);
  });

  it('merges new columns (also nested) with mergeSchema', async () => {
    const t = loc('merge-schema');
    await writeToTable(t, { sql: `SELECT 1::BIGINT AS id, {'a': 1} AS st` });
    await writeToTable(
      t,
      { sql: `SELECT 2::BIGINT AS id, {'a': 2, 'b': 'new'} AS st, 'c' AS c` },
      { mergeSchema: true },
    );
    const snap = await (await DeltaTable.open(t)).snapshot();
    expect(snap.schema.fields.map((f) => f.name)).toEqual(['id', 'st', 'c']);
    expect(await rows(t)).toEqual([
      { id: 1n, st: { a: 1, b: null }, c: null },
      { id: 2n, st: { a: 2, b: 'new' }, c: 'c' },
    ]);
  });

  it('replaces the schema and partitioning with overwriteSchema', async () => {
    const t = loc('overwrite-schema');
    await writeToTable(t, { sql: `SELECT 1::BIGINT AS id, 'a' AS p` }, { partitionBy: ['p'] });
    await writeToTable(t, { sql: `SELECT 'x' AS k, 2.5 AS v` }, { mode: 'overwrite', overwriteSchema: true });
    const snap = await (await DeltaTable.open(t)).snapshot();
    expect(snap.schema.fields.map((f) => [f.name, f.type])).toEqual([
      ['k', 'string'],
      ['v', 'decimal(2,1)'],
    ]);
    expect(snap.partitionColumns).toEqual([]);
    expect(await rows(t, 'k')).toEqual([{ k: 'x', v: 2.5 }]);
  });

  it('replaceWhere overwrites only matching rows and refuses rows outside the condition', async () => {
    const t = loc('replace-where');
    await writeToTable(
      t,
      { sql: `SELECT i::BIGINT AS id, (i % 3)::INTEGER AS p FROM range(9) t(i)` },
      { partitionBy: ['p'] },
    );
    await writeToTable(t, { sql: `SELECT 100::BIGINT AS id, 1 AS p` }, { mode: 'overwrite', replaceWhere: 'p = 1' });
    expect((await rows(t)).map((r) => Number(r.id)).sort((a, b) => a - b)).toEqual([0, 2, 3, 5, 6, 8, 100]);
    // a data (non-partition) condition rewrites files partly
    await writeToTable(
      t,
      { sql: `SELECT 200::BIGINT AS id, 2 AS p` },
      { mode: 'overwrite', replaceWhere: { op: '>=', column: 'id', value: 5 } },
    );
    expect((await rows(t)).map((r) => Number(r.id)).sort((a, b) => a - b)).toEqual([0, 2, 3, 200]);
    const before = await listFiles(t);
    const e = await expectError(
      writeToTable(t, { sql: `SELECT 1::BIGINT AS id, 0 AS p` }, { mode: 'overwrite', replaceWhere: 'p = 1' }),
      'DELTA_REPLACE_WHERE_MISMATCH',
    );
    expect(e.message).toContain("'p = 1'");
    expect(await listFiles(t)).toEqual(before);
  });

  it('enforces CHECK constraints and NOT NULL without leaving a commit or files behind', async () => {
    const t = loc('constraints');
    const table = await DeltaTable.create(t, {
      schema: {
        type: 'struct',
        fields: [
          { name: 'id', type: 'long', nullable: false, metadata: {} },
          { name: 'qty', type: 'integer', nullable: true, metadata: {} },
        ],
      },
      configuration: { 'delta.constraints.qty_positive': 'qty > 0' },
    });
    await writeToTable(table, { rows: [{ id: 1, qty: 3 }] });
    const before = await listFiles(t);
    const e = await expectError(
      writeToTable(table, { sql: `SELECT i::BIGINT AS id, (5 - i)::INTEGER AS qty FROM range(10) t(i)` }),
      'DELTA_VIOLATE_CONSTRAINT_WITH_VALUES',
    );
    expect(e.message).toContain('qty_positive');
    expect(e.message).toMatch(/qty : (0|-\d)/);
    const e2 = await expectError(
      writeToTable(table, { rows: [{ id: null, qty: 1 }] }),
      'DELTA_NOT_NULL_CONSTRAINT_VIOLATED',
    );
    expect(e2.message).toContain('id');
    await expectError(writeToTable(table, { rows: [{ qty: 1 }] }), 'DELTA_NOT_NULL_CONSTRAINT_VIOLATED');
    expect(await listFiles(t)).toEqual(before);
    expect(await table.version()).toBe(1);
    expect(await rows(t)).toEqual([{ id: 1n, qty: 3 }]);
  });

  it('computes generated columns and rejects values that contradict them', async () => {
    const t = loc('generated');
    const table = await DeltaTable.create(t, {
      schema: {
        type: 'struct',
        fields: [
          { name: 'ts', type: 'timestamp', nullable: true, metadata: {} },
          { name: 'day', type: 'date', nullable: true, metadata: { 'delta.generationExpression': 'CAST(ts AS DATE)' } },
          { name: 'n', type: 'integer', nullable: true, metadata: {} },
        ],
      },
      partitionColumns: ['day'],
    });
    await writeToTable(table, { sql: `SELECT TIMESTAMPTZ '2024-03-01 10:00:00+00' AS ts, 1 AS n` });
    const snap = await table.snapshot();
    expect(snap.activeFiles()[0]!.partitionValues).toEqual({ day: '2024-03-01' });
    const e = await expectError(
      writeToTable(table, {
        sql: `SELECT TIMESTAMPTZ '2024-03-01 10:00:00+00' AS ts, DATE '1999-01-01' AS day, 2 AS n`,
      }),
      'DELTA_VIOLATE_CONSTRAINT_WITH_VALUES',
    );
    expect(e.message).toContain('Generated Column');
    expect(e.message).toContain('day : 1999-01-01');
    expect((await rows(t, 'n')).map((r) => r.n)).toEqual([1]);
  });

  it('treats a NULL CHECK result as a violation, as Delta does', async () => {
    const t = loc('check-null');
    const table = await DeltaTable.create(t, {
      schema: { type: 'struct', fields: [{ name: 'qty', type: 'integer', nullable: true, metadata: {} }] },
      configuration: { 'delta.constraints.positive': 'qty > 0' },
    });
    await expectError(
      writeToTable(table, { sql: `SELECT NULL::INTEGER AS qty` }),
      'DELTA_VIOLATE_CONSTRAINT_WITH_VALUES',
    );
    await writeToTable(table, { sql: `SELECT 4 AS qty` });
    expect(await table.version()).toBe(1);
  });

  it('writes physical names and field ids with column mapping', async () => {
    const t = loc('colmap');
    await writeToTable(
      t,
      { sql: `SELECT 1::BIGINT AS id, 'x' AS "my col", {'a': 1} AS st, 'p1' AS part` },
      { partitionBy: ['part'], configuration: { 'delta.columnMapping.mode': 'name' } },
    );
    const snap = await (await DeltaTable.open(t)).snapshot();
    const f = snap.schema.fields.find((x) => x.name === 'my col')!;
    const phys = f.metadata['delta.columnMapping.physicalName'] as string;
    expect(phys).toMatch(/^col-/);
    expect(snap.metadata.configuration['delta.columnMapping.maxColumnId']).toBe('5');
    const add = snap.activeFiles()[0]!;
    const partPhys = snap.schema.fields.find((x) => x.name === 'part')!.metadata[
      'delta.columnMapping.physicalName'
    ] as string;
    expect(add.partitionValues).toEqual({ [partPhys]: 'p1' });
    expect(Object.keys(JSON.parse(add.stats!).minValues)).toContain(phys);
    await writeToTable(
      t,
      { sql: `SELECT 2::BIGINT AS id, 'y' AS "my col", {'a': 2} AS st, 'p2' AS part, 9 AS extra` },
      { mergeSchema: true },
    );
    expect(await rows(t)).toEqual([
      { id: 1n, 'my col': 'x', st: { a: 1 }, part: 'p1', extra: null },
      { id: 2n, 'my col': 'y', st: { a: 2 }, part: 'p2', extra: 9 },
    ]);
  });
});
