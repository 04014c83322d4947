import { describe, expect, it } from 'vitest';
import type { Add } from './actions.js';
import { predicateSql, pruneFiles, type Predicate } from './predicate.js';
import type { StructField } from './schema.js';
import { LocalObjectStore } from './storage-local.js';
import { Snapshot, fileKey } from './snapshot.js';

const fields: StructField[] = [
  { name: 's', type: 'string', nullable: true, metadata: {} },
  { name: 'ts', type: 'timestamp', nullable: true, metadata: {} },
  { name: 'd', type: 'date', nullable: true, metadata: {} },
  { name: 'n', type: 'double', nullable: true, metadata: {} },
  {
    name: 'st',
    type: { type: 'struct', fields: [{ name: 'x', type: 'integer', nullable: true, metadata: {} }] },
    nullable: true,
    metadata: {},
  },
  { name: 'p', type: 'date', nullable: true, metadata: {} },
  { name: 'dotted.name', type: 'integer', nullable: true, metadata: {} },
];

function snapshotOf(files: Add[]): Snapshot {
  return new Snapshot({
    store: new LocalObjectStore('/nonexistent'),
    version: 0,
    protocol: { minReaderVersion: 1, minWriterVersion: 2 },
    metadata: {
      id: 'x',
      format: { provider: 'parquet', options: {} },
      schemaString: JSON.stringify({ type: 'struct', fields }),
      partitionColumns: ['p'],
      configuration: {},
    },
    timestamp: 0,
    segment: { version: 0, commits: [] },
    files: new Map(files.map((f) => [fileKey(f), f])),
    removed: new Map(),
    txns: new Map(),
    domains: new Map(),
  });
}
const file = (path: string, p: string | null, stats?: unknown): Add => ({
  path,
  partitionValues: { p },
  size: 1,
  modificationTime: 0,
  dataChange: true,
  ...(stats === undefined ? {} : { stats: JSON.stringify(stats) }),
});

const s = snapshotOf([
  file('a', '2024-01-01', {
    numRecords: 10,
    minValues: { s: 'apple', ts: '2024-01-01T00:00:00.000Z', d: '2024-01-01', n: 1.5, st: { x: 1 }, 'dotted.name': 3 },
    maxValues: { s: 'melon', ts: '2024-01-01T10:00:00.123Z', d: '2024-01-31', n: 9.5, st: { x: 5 }, 'dotted.name': 4 },
    nullCount: { s: 0, ts: 0, d: 0, n: 10, st: { x: 0 } },
  }),
  file('b', null, {
    numRecords: 5,
    // a 32-character (truncated) max string is no upper bound
    minValues: { s: 'aaaa', n: 2 },
    maxValues: { s: 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' },
    nullCount: { s: 2 },
  }),
  file('c', '2024-02-01'), // no stats at all
]);
const pruned = (p: Predicate): string[] => pruneFiles(s, p).map((f) => f.path);

describe('pruneFiles', () => {
  it('uses string stats but treats a truncated max as unbounded', () => {
    expect(pruned({ op: '=', column: 's', value: 'zebra' })).toEqual(['b', 'c']);
    expect(pruned({ op: '<', column: 's', value: 'apple' })).toEqual(['b', 'c']);
  });
  it('compares strings in UTF-8 byte order like Parquet statistics', () => {
    // U+FF5E sorts before U+1F600 in code point / UTF-8 order, but after it in UTF-16 units.
    const t = snapshotOf([
      file('e', null, {
        numRecords: 1,
        minValues: { s: '\u{1F600}' },
        maxValues: { s: '\u{1F600}' },
        nullCount: { s: 0 },
      }),
    ]);
    expect(pruneFiles(t, { op: '>', column: 's', value: '\uFF5E' }).length).toBe(1);
    expect(pruneFiles(t, { op: '<', column: 's', value: '\uFF5E' }).length).toBe(0);
  });
  it('widens millisecond-truncated timestamp maxima', () => {
    expect(pruned({ op: '=', column: 'ts', value: '2024-01-01T10:00:00.123456Z' })).toEqual(['a', 'b', 'c']);
    expect(pruned({ op: '>', column: 'ts', value: new Date('2024-01-01T10:00:00.124Z') })).toEqual(['b', 'c']);
  });
  it('skips all-null columns and uses null counts', () => {
    expect(pruned({ op: '>', column: 'n', value: 0 })).toEqual(['b', 'c']);
    expect(pruned({ op: 'isNull', column: 's' })).toEqual(['b', 'c']);
    expect(pruned({ op: 'isNotNull', column: 'n' })).toEqual(['b', 'c']);
  });
  it('prunes on nested struct fields and dates', () => {
    expect(pruned({ op: '>', column: 'st.x', value: 5 })).toEqual(['b', 'c']);
    expect(pruned({ op: '<=', column: 'd', value: '2023-12-31' })).toEqual(['b', 'c']);
  });
  it('takes a top-level column with dots in its name whole', () => {
    expect(pruned({ op: '>', column: 'dotted.name', value: 4 })).toEqual(['b', 'c']);
    expect(predicateSql({ op: '=', column: 'dotted.name', value: 1 }, fields)).toBe('("dotted.name" = 1)');
    expect(predicateSql({ op: '=', column: 'st.x', value: 1 }, fields)).toBe('("st"."x" = 1)');
  });
  it('evaluates partition values exactly, with SQL NULL semantics', () => {
    expect(pruned({ op: '=', column: 'p', value: '2024-02-01' })).toEqual(['c']);
    expect(pruned({ op: '!=', column: 'p', value: '2024-02-01' })).toEqual(['a']);
    expect(pruned({ op: 'isNull', column: 'p' })).toEqual(['b']);
    expect(pruned({ op: '=', column: 'p', value: null })).toEqual([]);
    expect(pruned({ op: 'not', arg: { op: 'isNull', column: 'p' } })).toEqual(['a', 'c']);
    expect(pruned({ op: 'not', arg: { op: 'in', column: 'p', values: ['2024-01-01'] } })).toEqual(['a', 'b', 'c']); // NOT IN is not pruned
  });
  it('refuses unknown columns and operators', () => {
    expect(() => pruned({ op: '=', column: 'nope', value: 1 })).toThrow(/UNRESOLVED|does not exist/);
    expect(() => pruned({ op: 'like', column: 's', value: 1 } as unknown as Predicate)).toThrow(
      /unknown predicate operator/,
    );
  });
});

describe('predicateSql', () => {
  it('renders DuckDB SQL with quoted identifiers and literals', () => {
    expect(
      predicateSql({
        op: 'and',
        args: [
          { op: '=', column: 'it"s', value: "o'k" },
          { op: 'in', column: 'st.x', values: [1, 2n] },
          { op: 'not', arg: { op: 'isNull', column: 'd' } },
          { op: '!=', column: 'ts', value: new Date(0) },
        ],
      }),
    ).toBe(
      `(("it""s" = 'o''k') AND ("st"."x" IN (1, 2::HUGEINT)) AND (NOT ("d" IS NULL)) AND ("ts" <> CAST('1970-01-01T00:00:00.000Z' AS TIMESTAMPTZ)))`,
    );
  });
});
