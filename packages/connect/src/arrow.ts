import {
  Bool,
  DateDay,
  Decimal,
  Field,
  Float32,
  Float64,
  Int8,
  Int16,
  Int32,
  Int64,
  RecordBatch,
  Schema,
  Table,
  Utf8,
  makeData,
  makeVector,
  tableToIPC,
  vectorFromArray,
  type Vector,
} from 'apache-arrow';
import type { ResultColumn } from '@lakebox/engine';
import { arrowTypeOf, clientName, nestedOnWire, nestedParts } from './types.js';

function convert(v: unknown, t: string): unknown {
  if (v === null || v === undefined) return null;
  if (nestedOnWire(t)) {
    const p = nestedParts(t);
    if (p.kind === 'array') return (v as unknown[]).map((x) => convert(x, p.element));
    if (p.kind === 'map')
      return new Map(
        Object.entries(v as Record<string, unknown>).map(([k, x]) => [convert(k, p.key), convert(x, p.value)]),
      );
    const o: Record<string, unknown> = {};
    const src = v as Record<string, unknown>;
    for (const [n, ft] of p.fields) o[n] = convert(src[n], ft);
    return o;
  }
  switch (t) {
    case 'bigint':
      return BigInt(v as number | string);
    case 'date':
      return new Date(`${String(v)}T00:00:00Z`);
    case 'timestamp':
    case 'timestamp_ntz': {
      const s = String(v).replace(' ', 'T');
      return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s}Z`);
    }
    case 'boolean':
      return Boolean(v);
    case 'tinyint':
    case 'smallint':
    case 'int':
    case 'float':
    case 'double':
      return Number(v);
    case 'binary':
      return typeof v === 'string' ? Buffer.from(v, 'base64') : v;
    default:
      return typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
}

/** A decimal value (engine results carry them as strings or numbers) as its unscaled integer. */
export function unscaled(v: unknown, scale: number): bigint {
  const str = typeof v === 'number' ? v.toFixed(scale) : String(v).trim();
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(str);
  if (!m) throw new Error(`not a decimal: ${str}`);
  let digits = (m[2] ?? '') + (m[3] ?? '');
  let exp = Number(m[4] ?? 0) - (m[3] ?? '').length + scale;
  if (exp >= 0) digits += '0'.repeat(exp);
  else {
    // round half up on the dropped digits
    const keep = digits.length + exp;
    const dropped = keep >= 0 ? digits.slice(keep) : digits;
    digits = keep > 0 ? digits.slice(0, keep) : '0';
    if (dropped.length && Number(dropped[0]) >= 5) digits = String(BigInt(digits) + 1n);
    exp = 0;
  }
  const n = BigInt(digits || '0');
  return m[1] === '-' ? -n : n;
}

function decimalVector(values: unknown[], precision: number, scale: number): Vector {
  const data = new Uint32Array(values.length * 4);
  const nulls = new Uint8Array(Math.ceil(values.length / 8));
  let nullCount = 0;
  values.forEach((v, i) => {
    if (v === null || v === undefined) {
      nullCount++;
      return;
    }
    let x = BigInt.asUintN(128, unscaled(v, scale));
    for (let w = 0; w < 4; w++) {
      data[i * 4 + w] = Number(x & 0xffffffffn);
      x >>= 32n;
    }
    nulls[i >> 3]! |= 1 << (i & 7);
  });
  const type = new Decimal(scale, precision, 128);
  return makeVector(makeData({ type, length: values.length, nullCount, nullBitmap: nulls, data }));
}

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of an engine date value (`2024-01-31`). */
function epochDay(v: unknown): number {
  const m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(String(v));
  if (m && Number(m[1]) >= 100) return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / DAY_MS;
  return Math.floor((convert(v, 'date') as Date).getTime() / DAY_MS);
}

/** Microseconds since the epoch of an engine timestamp value (`2024-01-31 10:00:00.123456`). */
export function epochMicros(v: unknown, t: string): bigint {
  const m = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d(?::?\d\d)?)?$/.exec(
    String(v).trim(),
  );
  if (!m || Number(m[1]) < 100) return BigInt((convert(v, t) as Date).getTime()) * 1000n;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  let micros = BigInt(ms) * 1000n + BigInt((m[7] ?? '').padEnd(6, '0').slice(0, 6) || '0');
  const tz = m[8];
  if (tz && tz !== 'Z') {
    const sign = tz.startsWith('-') ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0);
    micros -= BigInt(sign * minutes) * 60_000_000n;
  }
  return micros;
}

/**
 * A column of a flat type written straight into Arrow buffers (apache-arrow's generic builders,
 * `vectorFromArray`, cost about a microsecond per value, as much as running the query for results
 * of a few ten thousand rows). Undefined for types that take the generic path.
 */
function flatVector(rows: unknown[][], i: number, t: string): Vector | undefined {
  const n = rows.length;
  const nulls = new Uint8Array(Math.ceil(n / 8));
  let nullCount = 0;
  const valid = (k: number, v: unknown): boolean => {
    if (v === null || v === undefined) {
      nullCount++;
      return false;
    }
    nulls[k >> 3]! |= 1 << (k & 7);
    return true;
  };
  const numeric = (
    type: Int8 | Int16 | Int32 | Float32 | Float64 | DateDay,
    data: Int8Array | Int16Array | Int32Array | Float32Array | Float64Array,
    of: (v: unknown) => number,
  ) => {
    for (let k = 0; k < n; k++) {
      const v = rows[k]![i];
      if (valid(k, v)) data[k] = of(v);
    }
    return makeVector(makeData({ type, length: n, nullCount, nullBitmap: nulls, data } as any));
  };
  switch (t) {
    case 'tinyint':
      return numeric(new Int8(), new Int8Array(n), Number);
    case 'smallint':
      return numeric(new Int16(), new Int16Array(n), Number);
    case 'int':
      return numeric(new Int32(), new Int32Array(n), Number);
    case 'float':
      return numeric(new Float32(), new Float32Array(n), Number);
    case 'double':
      return numeric(new Float64(), new Float64Array(n), Number);
    case 'date':
      return numeric(new DateDay(), new Int32Array(n), epochDay);
    case 'timestamp':
    case 'timestamp_ntz': {
      // Microseconds since the epoch from the engine's text, so that no microsecond is lost to
      // JavaScript's millisecond Date.
      const data = new BigInt64Array(n);
      for (let k = 0; k < n; k++) {
        const v = rows[k]![i];
        if (valid(k, v)) data[k] = epochMicros(v, t);
      }
      return makeVector(makeData({ type: arrowTypeOf(t) as any, length: n, nullCount, nullBitmap: nulls, data }));
    }
    case 'bigint': {
      const data = new BigInt64Array(n);
      for (let k = 0; k < n; k++) {
        const v = rows[k]![i];
        if (valid(k, v)) data[k] = BigInt(v as number | string);
      }
      return makeVector(makeData({ type: new Int64(), length: n, nullCount, nullBitmap: nulls, data }));
    }
    case 'boolean': {
      const data = new Uint8Array(Math.ceil(n / 8));
      for (let k = 0; k < n; k++) {
        const v = rows[k]![i];
        if (valid(k, v) && v) data[k >> 3]! |= 1 << (k & 7);
      }
      return makeVector(makeData({ type: new Bool(), length: n, nullCount, nullBitmap: nulls, data }));
    }
    case 'string': {
      const strings: string[] = new Array<string>(n);
      const valueOffsets = new Int32Array(n + 1);
      let bytes = 0;
      for (let k = 0; k < n; k++) {
        const v = rows[k]![i];
        const str = valid(k, v) ? (convert(v, t) as string) : '';
        strings[k] = str;
        bytes += Buffer.byteLength(str);
        valueOffsets[k + 1] = bytes;
      }
      const data = Buffer.allocUnsafe(bytes);
      for (let k = 0; k < n; k++) data.write(strings[k]!, valueOffsets[k]!);
      return makeVector(
        makeData({
          type: new Utf8(),
          length: n,
          nullCount,
          nullBitmap: nulls,
          valueOffsets,
          data: new Uint8Array(data.buffer, data.byteOffset, bytes),
        }),
      );
    }
    default:
      return undefined;
  }
}

/**
 * Rows of an engine result as one Arrow IPC stream (schema, one record batch, end of stream).
 * Spark results may repeat a column name (`select(F.ln("x"), F.log("x"))`); the batch is built
 * field by field, so the schema the client reads carries the names exactly as given.
 */
export function arrowIpc(columns: ResultColumn[], rows: unknown[][]): Uint8Array {
  const vectors = columns.map((c, i) => {
    const dec = /^decimal\((\d+),(\d+)\)$/.exec(c.type);
    if (dec)
      return decimalVector(
        rows.map((r) => r[i]),
        Number(dec[1]),
        Number(dec[2]),
      );
    const flat = flatVector(rows, i, c.type);
    if (flat) return flat;
    return vectorFromArray(
      rows.map((r) => convert(r[i], c.type)),
      arrowTypeOf(c.type) as any,
    ) as Vector;
  });
  // Arrow JS tables key columns by name, so the columns are laid out under unique internal
  // names and the batches then re-labelled with the result's own names.
  const table = new Table(Object.fromEntries(vectors.map((v, i) => [`_${i}`, v])));
  const fields = columns.map((c, i) => new Field(clientName(c.name), vectors[i]!.type, true));
  const schema = new Schema(fields);
  // (new RecordBatch(schema, ...) would merge the fields by name: the batches keep their data
  // and take the schema as is.)
  const batches = table.batches.map((b) => Object.assign(new RecordBatch(b.schema, b.data), { schema }));
  return tableToIPC(new Table(schema, batches), 'stream');
}
