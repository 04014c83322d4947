import { describe, expect, it } from 'vitest';
import { withConnection } from './duckdb.js';
import { canStoreAs, reconcileSchema, assignColumnMapping } from './schema-evolution.js';
import type { StructType } from './schema.js';
import { deltaSchemaOfQuery, duckdbTypeName, treeString } from './types-duckdb.js';
import { encodePathForLog, escapePartitionPathPart } from './write.js';
import { sparkExprToDuckDB } from './constraints.js';
import { binPack } from './optimize.js';
import { parseIntervalHours } from './vacuum.js';

const field = (name: string, type: StructType['fields'][number]['type']) => ({
  name,
  type,
  nullable: true,
  metadata: {},
});

describe('type mapping', () => {
  it('maps DuckDB result types to Delta types and back', async () => {
    const schema = await withConnection((c) =>
      deltaSchemaOfQuery(
        c,
        `SELECT 1::UTINYINT AS a, 1::UINTEGER AS b, 1::HUGEINT AS c, 'x'::UUID AS d, TIMESTAMP_NS '2024-01-01' AS e, [{'k': 1}] AS f, MAP {1: [true]} AS g`,
      ),
    );
    expect(schema.fields.map((f) => f.type)).toEqual([
      'short',
      'long',
      'decimal(38,0)',
      'string',
      'timestamp_ntz',
      { type: 'array', elementType: { type: 'struct', fields: [field('k', 'integer')] }, containsNull: true },
      {
        type: 'map',
        keyType: 'integer',
        valueType: { type: 'array', elementType: 'boolean', containsNull: true },
        valueContainsNull: true,
      },
    ]);
    expect(schema.fields.map((f) => duckdbTypeName(f.type))).toEqual([
      'SMALLINT',
      'BIGINT',
      'DECIMAL(38,0)',
      'VARCHAR',
      'TIMESTAMP',
      'STRUCT("k" INTEGER)[]',
      'MAP(INTEGER, BOOLEAN[])',
    ]);
  });
  it('rejects types Delta cannot store', async () => {
    await expect(withConnection((c) => deltaSchemaOfQuery(c, `SELECT INTERVAL 1 DAY AS i`))).rejects.toMatchObject({
      code: 'DELTA_UNSUPPORTED_DATA_TYPES',
      message: expect.stringContaining('Column i has type INTERVAL'),
    });
  });
});

describe('schema evolution', () => {
  const table: StructType = {
    type: 'struct',
    fields: [field('id', 'long'), field('s', { type: 'struct', fields: [field('a', 'integer')] })],
  };
  it('allows narrower numerics and missing columns, merges new ones only when asked', () => {
    expect(canStoreAs('integer', 'long')).toBe(true);
    expect(canStoreAs('string', 'long')).toBe(false);
    expect(reconcileSchema(table, { type: 'struct', fields: [field('ID', 'integer')] }).changed).toBe(false);
    const data: StructType = {
      type: 'struct',
      fields: [
        field('id', 'long'),
        field('s', { type: 'struct', fields: [field('a', 'integer'), field('b', 'string')] }),
      ],
    };
    expect(() => reconcileSchema(table, data)).toThrow(/s\.b/);
    const merged = reconcileSchema(table, data, { mergeSchema: true });
    expect(merged.changed).toBe(true);
    expect(treeString(merged.schema)).toBe(
      'root\n |-- id: long (nullable = true)\n |-- s: struct (nullable = true)\n |    |-- a: integer (nullable = true)\n |    |-- b: string (nullable = true)',
    );
  });
  it('assigns column-mapping ids after the current maximum', () => {
    const r = assignColumnMapping(table, 5);
    expect(r.maxColumnId).toBe(8);
    expect(r.schema.fields[0]!.metadata['delta.columnMapping.id']).toBe(6);
    expect(String(r.schema.fields[1]!.metadata['delta.columnMapping.physicalName'])).toMatch(/^col-[0-9a-f-]{36}$/);
  });
});

describe('paths and expressions', () => {
  it('escapes partition directories like Spark and URI-encodes log paths', () => {
    expect(escapePartitionPathPart('a b/c:d=e%f')).toBe('a b%2Fc%3Ad%3De%25f');
    expect(encodePathForLog('p=a b%2Fc/part-0.parquet')).toBe('p=a%20b%252Fc/part-0.parquet');
  });
  it('turns Spark identifiers and string literals into DuckDB ones', () => {
    expect(sparkExprToDuckDB('`my col` > 0 AND name = "it\'s"')).toBe(`"my col" > 0 AND name = 'it''s'`);
  });
  it('bin-packs small files and skips lone ones', () => {
    const f = (size: number) => ({
      path: `f${size}`,
      partitionValues: {},
      size,
      modificationTime: 0,
      dataChange: true,
    });
    // first fit, largest first: 60 | 50 -> 45 joins 50, 10 joins 60
    expect(binPack([f(10), f(60), f(50), f(45)], 100).map((b) => b.map((x) => x.size))).toEqual([
      [60, 10],
      [50, 45],
    ]);
    expect(binPack([f(90), f(80)], 100)).toEqual([]);
    expect(binPack([f(10)], 100)).toEqual([]);
  });
  it('parses retention intervals', () => {
    expect(parseIntervalHours('interval 7 days')).toBe(168);
    expect(parseIntervalHours('36 hours')).toBe(36);
    expect(() => parseIntervalHours('soon')).toThrow();
  });
});
