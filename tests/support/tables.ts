import { canonDecimal, type Canon } from './rows.js';

/** A flat test schema: [column, Delta type name] pairs (long, integer, double, decimal(p,s), ...). */
export type FlatSchema = [string, string][];

export const MIXED_SCHEMA: FlatSchema = [
  ['id', 'long'],
  ['region', 'string'],
  ['qty', 'int'],
  ['amount', 'double'],
  ['price', 'decimal(10,2)'],
  ['day', 'date'],
  ['ts', 'timestamp'],
  ['flag', 'boolean'],
  ['note', 'string'],
];

const REGIONS = ['emea', 'amer', 'apac'];

/** Deterministic rows of MIXED_SCHEMA (canonical values) for ids [from, to). */
export function mixedRows(from: number, to: number): Record<string, Canon>[] {
  const out: Record<string, Canon>[] = [];
  for (let i = from; i < to; i++) {
    out.push({
      id: i,
      region: REGIONS[i % 3],
      qty: (i * 7) % 100,
      amount: i * 1.25,
      price: canonDecimal(((i * 31) / 10).toFixed(2)),
      day: new Date(Date.UTC(2024, 0, 1 + (i % 28))).toISOString().slice(0, 10),
      ts: new Date(Date.UTC(2024, 2, 1) + i * 61_001).toISOString().replace(/Z$/, '000Z'),
      flag: i % 2 === 0,
      note: i % 5 === 0 ? null : `n${i}`,
    });
  }
  return out;
}

function sqlLiteral(type: string, v: Canon): string {
  const duck = duckType(type);
  if (v === null) return `NULL::${duck}`;
  switch (type) {
    case 'string':
      return `'${String(v).replaceAll("'", "''")}'`;
    case 'boolean':
      return v ? 'TRUE' : 'FALSE';
    case 'date':
      return `DATE '${String(v)}'`;
    case 'timestamp':
      return `TIMESTAMPTZ '${String(v)}'`;
    default:
      return type.startsWith('decimal') ? `'${String(v)}'::${duck}` : `${String(v)}::${duck}`;
  }
}

export function duckType(type: string): string {
  const map: Record<string, string> = {
    long: 'BIGINT',
    int: 'INTEGER',
    integer: 'INTEGER',
    short: 'SMALLINT',
    byte: 'TINYINT',
    double: 'DOUBLE',
    float: 'FLOAT',
    string: 'VARCHAR',
    boolean: 'BOOLEAN',
    date: 'DATE',
    timestamp: 'TIMESTAMPTZ',
    timestamp_ntz: 'TIMESTAMP',
    binary: 'BLOB',
  };
  if (type.startsWith('decimal')) return type.toUpperCase();
  const t = map[type];
  if (!t) throw new Error(`no DuckDB type for ${type}`);
  return t;
}

/** A DuckDB query producing exactly these rows with these column types. */
export function valuesSql(schema: FlatSchema, rows: Record<string, Canon>[]): string {
  const cols = schema.map(([n]) => `"${n}"`).join(', ');
  if (rows.length === 0) {
    return `SELECT ${schema.map(([n, t]) => `NULL::${duckType(t)} AS "${n}"`).join(', ')} WHERE FALSE`;
  }
  const tuples = rows.map((r) => `(${schema.map(([n, t]) => sqlLiteral(t, r[n] ?? null)).join(', ')})`);
  return `SELECT * FROM (VALUES ${tuples.join(', ')}) AS v(${cols})`;
}
