import { Table, tableToIPC, vectorFromArray, type Vector } from 'apache-arrow';
import type { ResultColumn } from '@lakebox/engine';
import { arrowTypeOf } from './types.js';

function convert(v: unknown, t: string): unknown {
  if (v === null || v === undefined) return null;
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

/** Rows of an engine result as one Arrow IPC stream (schema, one record batch, end of stream). */
export function arrowIpc(columns: ResultColumn[], rows: unknown[][]): Uint8Array {
  const vectors: Record<string, Vector> = {};
  const names = new Set<string>();
  columns.forEach((c, i) => {
    // Arrow JS tables need unique names; Spark allows duplicates, which are rare in results.
    let name = c.name;
    for (let k = 1; names.has(name); k++) name = `${c.name}_${k}`;
    names.add(name);
    vectors[name] = vectorFromArray(
      rows.map((r) => convert(r[i], c.type)),
      arrowTypeOf(c.type) as any,
    );
  });
  return tableToIPC(new Table(vectors), 'stream');
}
