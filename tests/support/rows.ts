import type { DataType, StructType } from '../../packages/delta/src/schema.js';

/**
 * Canonical JSON values for comparing table contents across engines. The same rules as
 * tests/peers/delta_peer.py `canon`: integers as numbers (strings beyond 2^53), floats as numbers
 * (NaN/Infinity as strings), decimals as plain strings without trailing zeros, dates as
 * YYYY-MM-DD, timestamps as ISO-8601 UTC with microseconds, binary as hex, structs as objects,
 * arrays as lists, maps as [key, value] pairs sorted by key.
 */
export type Canon = null | boolean | number | string | Canon[] | { [k: string]: Canon };

function canonNumber(n: number): Canon {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  return n;
}

function canonInt(v: unknown): Canon {
  const b = typeof v === 'bigint' ? v : BigInt(v as number | string);
  return b <= 2n ** 53n && b >= -(2n ** 53n) ? Number(b) : b.toString();
}

export function canonDecimal(v: unknown): string {
  let s = typeof v === 'number' ? String(v) : String(v);
  if (/e/i.test(s)) s = Number(s).toFixed(20);
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s === '-0' || s === '' ? '0' : s;
}

export function canonTimestamp(v: unknown): string {
  const d = v instanceof Date ? v : new Date(v as string | number);
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Canonicalise one value of Delta type `t` as Lakebox's readRows returns it. */
export function canonValue(t: DataType, v: unknown): Canon {
  if (v === null || v === undefined) return null;
  if (typeof t === 'string') {
    if (t === 'long' || t === 'integer' || t === 'short' || t === 'byte') return canonInt(v);
    if (t === 'double' || t === 'float') return canonNumber(Number(v));
    if (t.startsWith('decimal')) return canonDecimal(v);
    if (t === 'date') return (v instanceof Date ? v : new Date(String(v))).toISOString().slice(0, 10);
    if (t === 'timestamp' || t === 'timestamp_ntz') return canonTimestamp(v);
    if (t === 'binary') return Buffer.from(v as Uint8Array).toString('hex');
    if (t === 'boolean') return Boolean(v);
    return String(v);
  }
  if (t.type === 'array') return (v as unknown[]).map((x) => canonValue(t.elementType, x));
  if (t.type === 'struct') {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(t.fields.map((f) => [f.name, canonValue(f.type, o[f.name])]));
  }
  if (t.type === 'map') {
    const entries: [unknown, unknown][] = Array.isArray(v)
      ? (v as { key: unknown; value: unknown }[]).map((e) => [e.key, e.value])
      : v instanceof Map
        ? [...v.entries()]
        : Object.entries(v as object);
    return entries
      .map(([k, x]) => [canonValue(t.keyType, k), canonValue(t.valueType, x)] as Canon[])
      .sort((a, b) => cmp(JSON.stringify(a[0]), JSON.stringify(b[0])));
  }
  return String(v);
}

/** Canonical rows from Lakebox's readRows, typed by the snapshot schema. */
export function canonRows(schema: StructType, rows: Record<string, unknown>[]): Record<string, Canon>[] {
  return rows.map((r) => {
    const out: Record<string, Canon> = {};
    for (const [k, v] of Object.entries(r)) {
      const f = schema.fields.find((x) => x.name === k);
      out[k] = f ? canonValue(f.type, v) : (v as Canon);
    }
    return out;
  });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Order-independent form of a row set: each row as JSON with its columns sorted by name, the
 * whole list sorted. Two tables have equal contents when their `rowSet`s are equal.
 */
export function rowSet(rows: Record<string, Canon>[]): string[] {
  return rows
    .map((r) =>
      JSON.stringify(
        Object.keys(r)
          .sort()
          .map((k) => [k, r[k]]),
      ),
    )
    .sort(cmp);
}
