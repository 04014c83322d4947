import {
  Decimal,
  Field,
  RecordBatch,
  Schema,
  Struct,
  Table,
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
  const batches = table.batches.map(
    (b) =>
      new RecordBatch(
        schema,
        makeData({ type: new Struct(fields), length: b.numRows, nullCount: 0, children: b.data.children }),
      ),
  );
  return tableToIPC(new Table(schema, batches), 'stream');
}
