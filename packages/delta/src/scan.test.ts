import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Action } from './actions.js';
import { encodeRoaringBitmapArray, z85Encode } from './deletion-vectors.js';
import { sqlString, withConnection } from './duckdb.js';
import { commitPath } from './log.js';
import { pruneFiles, type Predicate } from './predicate.js';
import { readRows, scanSql } from './scan.js';
import { loadSnapshot } from './snapshot.js';
import { LocalObjectStore } from './storage-local.js';

let dir: string;
let store: LocalObjectStore;

async function writeParquet(rel: string, select: string): Promise<number> {
  const abs = path.join(dir, rel);
  await fs.mkdir(path.dirname(abs), { recursive: true });
  await withConnection((c) => c.run(`COPY (${select}) TO ${sqlString(abs)} (FORMAT parquet)`));
  return (await fs.stat(abs)).size;
}
async function commit(v: number, actions: Action[]): Promise<void> {
  await store.put(commitPath(v), new TextEncoder().encode(actions.map((a) => JSON.stringify(a)).join('\n')));
}
const stats = (
  n: number,
  min: Record<string, unknown>,
  max: Record<string, unknown>,
  nulls: Record<string, number>,
): string => JSON.stringify({ numRecords: n, minValues: min, maxValues: max, nullCount: nulls });

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lakebox-scan-'));
  store = new LocalObjectStore(dir);
  // Logical schema: id long, name string, extra double (added later), part string (partition).
  // Column mapping 'name': physical names differ from logical ones.
  const field = (name: string, type: string, id: number): Record<string, unknown> => ({
    name,
    type,
    nullable: true,
    metadata: { 'delta.columnMapping.id': id, 'delta.columnMapping.physicalName': `col-${name}` },
  });
  const schemaV0 = {
    type: 'struct',
    fields: [field('id', 'long', 1), field('name', 'string', 2), field('part', 'string', 3)],
  };
  const nested = {
    ...field('s', 'placeholder', 5),
    type: {
      type: 'struct',
      fields: [
        field('inner', 'integer', 6),
        {
          ...field('list', 'placeholder', 7),
          type: { type: 'array', elementType: { type: 'struct', fields: [field('x', 'long', 8)] }, containsNull: true },
        },
      ],
    },
  };
  const schemaV1 = { type: 'struct', fields: [...schemaV0.fields, field('extra', 'double', 4), nested] };
  const meta = (schema: unknown): Action => ({
    metaData: {
      id: 't',
      format: { provider: 'parquet', options: {} },
      schemaString: JSON.stringify(schema),
      partitionColumns: ['part'],
      configuration: { 'delta.columnMapping.mode': 'name', 'delta.columnMapping.maxColumnId': '8' },
    },
  });
  const sizeA = await writeParquet(
    'a.parquet',
    `SELECT range::BIGINT AS "col-id", 'n' || range AS "col-name" FROM range(0, 5)`,
  );
  const sizeB = await writeParquet(
    'b.parquet',
    `SELECT range::BIGINT AS "col-id", CASE WHEN range = 7 THEN NULL ELSE 'n' || range END AS "col-name" FROM range(5, 10)`,
  );
  const sizeC = await writeParquet(
    'c.parquet',
    `SELECT range::BIGINT AS "col-id", 'n' || range AS "col-name", range * 1.5 AS "col-extra", CASE WHEN range = 12 THEN NULL ELSE {'col-inner': range::INTEGER, 'col-list': [{'col-x': range}]} END AS "col-s" FROM range(10, 13)`,
  );
  await commit(0, [
    { commitInfo: { timestamp: 1000, operation: 'CREATE TABLE' } },
    {
      protocol: {
        minReaderVersion: 3,
        minWriterVersion: 7,
        readerFeatures: ['columnMapping', 'deletionVectors'],
        writerFeatures: ['columnMapping', 'deletionVectors'],
      },
    },
    meta(schemaV0),
    {
      add: {
        path: 'a.parquet',
        partitionValues: { 'col-part': 'x' },
        size: sizeA,
        modificationTime: 1,
        dataChange: true,
        stats: stats(
          5,
          { 'col-id': 0, 'col-name': 'n0' },
          { 'col-id': 4, 'col-name': 'n4' },
          { 'col-id': 0, 'col-name': 0 },
        ),
      },
    },
    {
      add: {
        path: 'b.parquet',
        partitionValues: { 'col-part': null },
        size: sizeB,
        modificationTime: 1,
        dataChange: true,
        stats: stats(
          5,
          { 'col-id': 5, 'col-name': 'n5' },
          { 'col-id': 9, 'col-name': 'n9' },
          { 'col-id': 0, 'col-name': 1 },
        ),
      },
    },
  ]);
  const bitmap = encodeRoaringBitmapArray([0, 2]);
  const padded = Buffer.concat([bitmap, Buffer.alloc((4 - (bitmap.length % 4)) % 4)]);
  await commit(1, [
    { commitInfo: { timestamp: 2000, operation: 'ADD COLUMNS' } },
    meta(schemaV1),
    {
      add: {
        path: 'c.parquet',
        partitionValues: { 'col-part': 'y' },
        size: sizeC,
        modificationTime: 2,
        dataChange: true,
        stats: stats(
          3,
          { 'col-id': 10, 'col-extra': 15 },
          { 'col-id': 12, 'col-extra': 18 },
          { 'col-id': 0, 'col-extra': 0 },
        ),
      },
    },
    // delete rows 0 and 2 of a.parquet (ids 0 and 2) with an inline deletion vector
    { remove: { path: 'a.parquet', deletionTimestamp: 2, dataChange: true } },
    {
      add: {
        path: 'a.parquet',
        partitionValues: { 'col-part': 'x' },
        size: sizeA,
        modificationTime: 1,
        dataChange: true,
        stats: stats(
          5,
          { 'col-id': 0, 'col-name': 'n0' },
          { 'col-id': 4, 'col-name': 'n4' },
          { 'col-id': 0, 'col-name': 0 },
        ),
        deletionVector: {
          storageType: 'i',
          pathOrInlineDv: z85Encode(padded),
          sizeInBytes: bitmap.length,
          cardinality: 2,
        },
      },
    },
  ]);
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const ids = (rows: Record<string, unknown>[]): number[] => rows.map((r) => Number(r['id'])).sort((a, b) => a - b);

describe('scan', () => {
  it('reads logical rows: column mapping, partition values, deletion vectors, added columns', async () => {
    const s = await loadSnapshot(store);
    const rows = await readRows(s);
    expect(ids(rows)).toEqual([1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const r10 = rows.find((r) => r['id'] === 10n)!;
    expect(r10).toEqual({ id: 10n, name: 'n10', part: 'y', extra: 15, s: { inner: 10, list: [{ x: 10n }] } });
    expect(rows.find((r) => r['id'] === 12n)!['s']).toBeNull();
    const r5 = rows.find((r) => r['id'] === 5n)!;
    expect(r5).toEqual({ id: 5n, name: 'n5', part: null, extra: null, s: null });
    // time travel: before the deletion vector and the new column
    const v0 = await readRows(await loadSnapshot(store, { version: 0 }));
    expect(ids(v0)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Object.keys(v0[0]!)).toEqual(['id', 'name', 'part']);
  });

  it('projects and filters', async () => {
    const s = await loadSnapshot(store);
    const rows = await readRows(s, { columns: ['name', 'id'], filter: { op: '>=', column: 'id', value: 8 } });
    expect(rows.map((r) => Object.keys(r))).toContainEqual(['name', 'id']);
    expect(ids(rows)).toEqual([8, 9, 10, 11, 12]);
    await expect(scanSql(s, { columns: ['nope'] })).rejects.toMatchObject({ code: 'UNRESOLVED_COLUMN' });
  });

  it('prunes by partition values and statistics without dropping possible matches', async () => {
    const s = await loadSnapshot(store);
    const files = (p?: Predicate): string[] =>
      pruneFiles(s, p)
        .map((f) => f.path)
        .sort();
    expect(files()).toEqual(['a.parquet', 'b.parquet', 'c.parquet']);
    expect(files({ op: '=', column: 'part', value: 'x' })).toEqual(['a.parquet']);
    expect(files({ op: 'isNull', column: 'part' })).toEqual(['b.parquet']);
    expect(files({ op: '=', column: 'id', value: 7 })).toEqual(['b.parquet']);
    expect(files({ op: '<', column: 'id', value: 5 })).toEqual(['a.parquet']);
    expect(files({ op: '<=', column: 'id', value: 5 })).toEqual(['a.parquet', 'b.parquet']);
    expect(files({ op: '>', column: 'id', value: 9 })).toEqual(['c.parquet']);
    expect(files({ op: 'in', column: 'id', values: [3, 11] })).toEqual(['a.parquet', 'c.parquet']);
    expect(files({ op: 'isNull', column: 'name' })).toEqual(['b.parquet', 'c.parquet']); // c has no stats for name
    expect(
      files({
        op: 'and',
        args: [
          { op: '>=', column: 'id', value: 3 },
          { op: '=', column: 'part', value: 'x' },
        ],
      }),
    ).toEqual(['a.parquet']);
    expect(
      files({
        op: 'or',
        args: [
          { op: '=', column: 'id', value: 0 },
          { op: '=', column: 'id', value: 12 },
        ],
      }),
    ).toEqual(['a.parquet', 'c.parquet']);
    expect(files({ op: 'not', arg: { op: '<', column: 'id', value: 10 } })).toEqual(['c.parquet']);
    expect(files({ op: '=', column: 'extra', value: 100 })).toEqual(['a.parquet', 'b.parquet']); // no stats: kept
    expect(() => pruneFiles(s, { op: '=', column: 'missing', value: 1 })).toThrow(/does not exist/);
    // pruned scans still return exactly the matching rows
    const preds: Predicate[] = [
      { op: '=', column: 'id', value: 7 },
      { op: 'isNull', column: 'name' },
      { op: 'not', arg: { op: 'in', column: 'id', values: [1, 2, 3] } },
      { op: '!=', column: 'part', value: 'x' },
    ];
    expect(ids(await readRows(s, { filter: preds[0] }))).toEqual([7]);
    expect(ids(await readRows(s, { filter: preds[1] }))).toEqual([7]);
    expect(ids(await readRows(s, { filter: preds[2] }))).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(ids(await readRows(s, { filter: preds[3] }))).toEqual([10, 11, 12]);
  });
});

describe('column mapping id mode', () => {
  it('matches Parquet columns by field id, not by name', async () => {
    const d = await fs.mkdtemp(path.join(os.tmpdir(), 'lakebox-idmode-'));
    try {
      const st = new LocalObjectStore(d);
      // The file's column names do not match the physical names in the schema; only the ids do.
      const file = path.join(d, 'f.parquet');
      await withConnection((c) =>
        c.run(
          `COPY (SELECT 1::INTEGER AS renamed_a, 'x' AS renamed_b) TO ${sqlString(file)} (FORMAT parquet, FIELD_IDS {renamed_a: 11, renamed_b: 12})`,
        ),
      );
      const f = (name: string, type: string, id: number): Record<string, unknown> => ({
        name,
        type,
        nullable: true,
        metadata: { 'delta.columnMapping.id': id, 'delta.columnMapping.physicalName': `phys-${name}` },
      });
      const schema = { type: 'struct', fields: [f('a', 'long', 11), f('b', 'string', 12), f('c', 'double', 13)] };
      const actions: Action[] = [
        { commitInfo: { timestamp: 1 } },
        { protocol: { minReaderVersion: 2, minWriterVersion: 5 } },
        {
          metaData: {
            id: 'i',
            format: { provider: 'parquet', options: {} },
            schemaString: JSON.stringify(schema),
            partitionColumns: [],
            configuration: { 'delta.columnMapping.mode': 'id' },
          },
        },
        { add: { path: 'f.parquet', partitionValues: {}, size: 1, modificationTime: 1, dataChange: true } },
      ];
      await st.put(commitPath(0), new TextEncoder().encode(actions.map((a) => JSON.stringify(a)).join('\n')));
      const s = await loadSnapshot(st);
      expect(s.columnMappingMode).toBe('id');
      expect(await readRows(s)).toEqual([{ a: 1n, b: 'x', c: null }]);
    } finally {
      await fs.rm(d, { recursive: true, force: true });
    }
  });
});

describe('paths with glob characters', () => {
  it('reads exactly the logged files, even when names look like glob patterns', async () => {
    const d = await fs.mkdtemp(path.join(os.tmpdir(), 'lakebox-glob-'));
    try {
      const root = path.join(d, 'table[1]');
      const st = new LocalObjectStore(root);
      await fs.mkdir(root, { recursive: true });
      await withConnection(async (c) => {
        await c.run(
          `COPY (SELECT 1::BIGINT AS id) TO ${sqlString(path.join(root, 'p[1]*?.parquet'))} (FORMAT parquet)`,
        );
        // a decoy the pattern p[1]*?.parquet would match if it were treated as a glob
        await c.run(`COPY (SELECT 99::BIGINT AS id) TO ${sqlString(path.join(root, 'p1xy.parquet'))} (FORMAT parquet)`);
      });
      const schema = JSON.stringify({
        type: 'struct',
        fields: [{ name: 'id', type: 'long', nullable: true, metadata: {} }],
      });
      const actions: Action[] = [
        { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
        {
          metaData: {
            id: 'g',
            format: { provider: 'parquet', options: {} },
            schemaString: schema,
            partitionColumns: [],
            configuration: {},
          },
        },
        { add: { path: 'p%5B1%5D*%3F.parquet', partitionValues: {}, size: 1, modificationTime: 1, dataChange: true } },
      ];
      await st.put(commitPath(0), new TextEncoder().encode(actions.map((a) => JSON.stringify(a)).join('\n')));
      expect(await readRows(await loadSnapshot(st))).toEqual([{ id: 1n }]);
    } finally {
      await fs.rm(d, { recursive: true, force: true });
    }
  });
});

describe('type widening', () => {
  it('reads files written before a type change as the widened logical type', async () => {
    const d = await fs.mkdtemp(path.join(os.tmpdir(), 'lakebox-widen-'));
    try {
      const st = new LocalObjectStore(d);
      await withConnection(async (c) => {
        await c.run(
          `COPY (SELECT 1::SMALLINT AS a, 1.5::FLOAT AS b, DATE '2024-01-02' AS c, 1.25::DECIMAL(5, 2) AS e) TO ${sqlString(path.join(d, 'old.parquet'))} (FORMAT parquet)`,
        );
        await c.run(
          `COPY (SELECT 3000000000::BIGINT AS a, 2.5::DOUBLE AS b, TIMESTAMP '2024-01-03 04:05:06' AS c, 123456.789::DECIMAL(10, 3) AS e) TO ${sqlString(path.join(d, 'new.parquet'))} (FORMAT parquet)`,
        );
      });
      const change = (from: string, to: string): Record<string, unknown> => ({
        'delta.typeChanges': [{ fromType: from, toType: to }],
      });
      const schema = {
        type: 'struct',
        fields: [
          { name: 'a', type: 'long', nullable: true, metadata: change('short', 'long') },
          { name: 'b', type: 'double', nullable: true, metadata: change('float', 'double') },
          { name: 'c', type: 'timestamp_ntz', nullable: true, metadata: change('date', 'timestamp_ntz') },
          { name: 'e', type: 'decimal(10,3)', nullable: true, metadata: change('decimal(5,2)', 'decimal(10,3)') },
        ],
      };
      const add = (p: string): Action => ({
        add: { path: p, partitionValues: {}, size: 1, modificationTime: 1, dataChange: true },
      });
      const actions: Action[] = [
        {
          protocol: {
            minReaderVersion: 3,
            minWriterVersion: 7,
            readerFeatures: ['typeWidening', 'timestampNtz'],
            writerFeatures: ['typeWidening', 'timestampNtz'],
          },
        },
        {
          metaData: {
            id: 'w',
            format: { provider: 'parquet', options: {} },
            schemaString: JSON.stringify(schema),
            partitionColumns: [],
            configuration: {},
          },
        },
        add('old.parquet'),
        add('new.parquet'),
      ];
      await st.put(commitPath(0), new TextEncoder().encode(actions.map((a) => JSON.stringify(a)).join('\n')));
      const rows = await withConnection(async (c) => {
        await c.run(`SET TimeZone = 'UTC'`);
        const sql = await scanSql(await loadSnapshot(st));
        return (
          await c.runAndReadAll(
            `SELECT typeof(a) ta, typeof(b) tb, typeof(c) tc, typeof(e) te, a::VARCHAR a, b, c::VARCHAR c, e::VARCHAR e FROM (${sql}) ORDER BY a`,
          )
        ).getRowObjectsJson();
      });
      expect(rows).toEqual([
        {
          ta: 'BIGINT',
          tb: 'DOUBLE',
          tc: 'TIMESTAMP',
          te: 'DECIMAL(10,3)',
          a: '1',
          b: 1.5,
          c: '2024-01-02 00:00:00',
          e: '1.250',
        },
        {
          ta: 'BIGINT',
          tb: 'DOUBLE',
          tc: 'TIMESTAMP',
          te: 'DECIMAL(10,3)',
          a: '3000000000',
          b: 2.5,
          c: '2024-01-03 04:05:06',
          e: '123456.789',
        },
      ]);
    } finally {
      await fs.rm(d, { recursive: true, force: true });
    }
  });
});
