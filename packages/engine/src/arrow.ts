import {
  Bool,
  DateDay,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  Table,
  TimestampMicrosecond,
  Utf8,
  tableToIPC,
  vectorFromArray,
  type DataType,
  type Vector,
} from 'apache-arrow';
import type { ResultColumn } from './engine.js';

/** Arrow type for a Spark type name; nested and decimal values travel as strings (JSON for nested). */
function arrowType(t: string): DataType {
  switch (t) {
    case 'boolean':
      return new Bool();
    case 'tinyint':
      return new Int8();
    case 'smallint':
      return new Int16();
    case 'int':
      return new Int32();
    case 'bigint':
      return new Int64();
    case 'float':
      return new Float32();
    case 'double':
      return new Float64();
    case 'date':
      return new DateDay();
    case 'timestamp':
      return new TimestampMicrosecond();
    default:
      return new Utf8();
  }
}

function convert(v: unknown, t: string): unknown {
  if (v === null || v === undefined) return null;
  switch (t) {
    case 'bigint':
      return BigInt(v as number | string);
    case 'date':
      return new Date(`${String(v)}T00:00:00Z`);
    case 'timestamp':
      return new Date(`${String(v).replace(' ', 'T')}Z`);
    case 'boolean':
    case 'tinyint':
    case 'smallint':
    case 'int':
    case 'float':
    case 'double':
      return v;
    default:
      return typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
}

/** Rows as an Arrow IPC stream (the ARROW_STREAM result format). */
export function arrowStream(columns: ResultColumn[], rows: unknown[][]): Uint8Array {
  const vectors: Record<string, Vector> = {};
  columns.forEach((c, i) => {
    const type = arrowType(c.type);
    vectors[c.name] = vectorFromArray(rows.map((r) => convert(r[i], c.type)) as any[], type) as Vector;
  });
  return tableToIPC(new Table(vectors), 'stream');
}
