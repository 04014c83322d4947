import { LakeboxError } from '@lakebox/common';
import {
  DuckDBTypeId,
  type DuckDBConnection,
  type DuckDBDataChunk,
  type DuckDBMaterializedResult,
  type DuckDBResult,
} from '@duckdb/node-api';
import { Frame, categoricalFromStrings, type Column } from './frame.js';

/**
 * Frames from DuckDB results, reading column vectors chunk by chunk.
 *
 * Numeric columns (TINYINT..UBIGINT, FLOAT, DOUBLE, DECIMAL, BOOLEAN) become Float64Array with NaN
 * for NULL, copied straight from each vector's typed array when the binding exposes it. ENUM
 * columns become categorical columns with the enum's levels; VARCHAR becomes a string column, or
 * a categorical one when listed in `categorical`. Other types (dates, lists, ...) are rejected with
 * ML_UNSUPPORTED_COLUMN_TYPE: cast them in SQL.
 */
export interface FromDuckDBOptions {
  /** VARCHAR columns to encode as categorical (levels in order of first appearance). */
  categorical?: readonly string[];
}

const NUMERIC = new Set<DuckDBTypeId>([
  DuckDBTypeId.BOOLEAN,
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.UTINYINT,
  DuckDBTypeId.USMALLINT,
  DuckDBTypeId.UINTEGER,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.FLOAT,
  DuckDBTypeId.DOUBLE,
  DuckDBTypeId.DECIMAL,
]);

interface RawVector {
  itemCount: number;
  getItem(i: number): unknown;
  items?: ArrayLike<number | bigint>;
  validity?: { data: BigUint64Array | null; offset: number };
}

type Builder =
  | { kind: 'numeric'; out: Float64Array }
  | { kind: 'string'; out: (string | null)[] }
  | { kind: 'enum'; out: Int32Array; levels: readonly string[]; index: Map<string, number> };

/** Read a whole (streaming or materialized) result into a Frame. */
export async function frameFromDuckDBResult(
  result: DuckDBResult | DuckDBMaterializedResult,
  opts: FromDuckDBOptions = {},
): Promise<Frame> {
  const names = result.columnNames();
  const types = result.columnTypes();
  const chunks: DuckDBDataChunk[] = [];
  let total = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    chunks.push(chunk);
    total += chunk.rowCount;
  }
  const builders: Builder[] = types.map((t, j) => {
    const id = t.typeId;
    if (NUMERIC.has(id)) return { kind: 'numeric', out: new Float64Array(total) };
    if (id === DuckDBTypeId.VARCHAR) return { kind: 'string', out: new Array<string | null>(total) };
    if (id === DuckDBTypeId.ENUM) {
      const levels = (t as unknown as { values: readonly string[] }).values;
      return { kind: 'enum', out: new Int32Array(total), levels, index: new Map(levels.map((l, k) => [l, k])) };
    }
    throw new LakeboxError(
      'ML_UNSUPPORTED_COLUMN_TYPE',
      `column '${names[j]}' has type ${t.toString()}; cast it to DOUBLE, VARCHAR or ENUM in SQL`,
    );
  });
  let offset = 0;
  for (const chunk of chunks) {
    const n = chunk.rowCount;
    for (let j = 0; j < builders.length; j++) {
      const vec = chunk.getColumnVector(j) as unknown as RawVector;
      const b = builders[j];
      if (b.kind === 'numeric') copyNumeric(vec, n, b.out, offset, types[j].typeId === DuckDBTypeId.DECIMAL);
      else if (b.kind === 'string') {
        for (let i = 0; i < n; i++) b.out[offset + i] = vec.getItem(i) as string | null;
      } else {
        for (let i = 0; i < n; i++) {
          const v = vec.getItem(i) as string | null;
          b.out[offset + i] = v === null ? -1 : (b.index.get(v) ?? -1);
        }
      }
    }
    offset += n;
  }
  const cat = new Set(opts.categorical ?? []);
  const cols = new Map<string, Column>();
  builders.forEach((b, j) => {
    const name = names[j];
    if (b.kind === 'numeric') cols.set(name, { kind: 'numeric', values: b.out });
    else if (b.kind === 'enum') cols.set(name, { kind: 'categorical', codes: b.out, levels: b.levels });
    else cols.set(name, cat.has(name) ? categoricalFromStrings(b.out) : { kind: 'string', values: b.out });
  });
  return new Frame(cols, total);
}

/** Run `sql` on `conn` and read the result into a Frame. */
export async function frameFromDuckDB(
  conn: DuckDBConnection,
  sql: string,
  opts: FromDuckDBOptions = {},
): Promise<Frame> {
  const result = await conn.stream(sql);
  return frameFromDuckDBResult(result, opts);
}

function copyNumeric(vec: RawVector, n: number, out: Float64Array, offset: number, decimal: boolean): void {
  if (decimal) {
    for (let i = 0; i < n; i++) {
      const v = vec.getItem(i) as { toDouble(): number } | null;
      out[offset + i] = v === null ? NaN : v.toDouble();
    }
    return;
  }
  const items = vec.items;
  const validity = vec.validity;
  const fast =
    items !== undefined &&
    validity !== undefined &&
    (items instanceof Float64Array ||
      items instanceof Float32Array ||
      items instanceof Int32Array ||
      items instanceof Int16Array ||
      items instanceof Int8Array ||
      items instanceof Uint8Array ||
      items instanceof Uint16Array ||
      items instanceof Uint32Array ||
      items instanceof BigInt64Array ||
      items instanceof BigUint64Array);
  if (!fast || validity.offset !== 0 || items.length < n) {
    for (let i = 0; i < n; i++) {
      const v = vec.getItem(i);
      out[offset + i] = v === null || v === undefined ? NaN : Number(v as number | bigint | boolean);
    }
    return;
  }
  if (items instanceof Float64Array) out.set(items.subarray(0, n), offset);
  else if (items instanceof BigInt64Array || items instanceof BigUint64Array) {
    for (let i = 0; i < n; i++) out[offset + i] = Number(items[i]);
  } else {
    for (let i = 0; i < n; i++) out[offset + i] = items[i] as number;
  }
  if (validity.data) {
    const words = new Uint32Array(validity.data.buffer, validity.data.byteOffset, validity.data.length * 2);
    for (let i = 0; i < n; i++) {
      if ((words[i >>> 5] & (1 << (i & 31))) === 0) out[offset + i] = NaN;
    }
  }
}
