import { DataType, type Table } from 'apache-arrow';
import { MlErrors, mlError } from '../core.js';
import { Frame, categoricalFromStrings, type Column } from './frame.js';

/**
 * A Frame from an Apache Arrow table: integer, floating-point, decimal and boolean columns become
 * numeric (null = NaN), dictionary-encoded strings become categorical, other strings become string
 * columns (or categorical when listed in `categorical`). Other types are rejected.
 */
export function frameFromArrow(table: Table, opts: { categorical?: readonly string[] } = {}): Frame {
  const cat = new Set(opts.categorical ?? []);
  const cols = new Map<string, Column>();
  const n = table.numRows;
  table.schema.fields.forEach((field, j) => {
    const vec = table.getChildAt(j)!;
    const t = field.type as DataType;
    if (DataType.isFloat(t) || DataType.isInt(t) || DataType.isBool(t) || DataType.isDecimal(t)) {
      const out = new Float64Array(n);
      if (DataType.isFloat(t) || (DataType.isInt(t) && t.bitWidth <= 32)) {
        const arr = vec.toArray() as ArrayLike<number>;
        for (let i = 0; i < n; i++) out[i] = arr[i];
      } else {
        for (let i = 0; i < n; i++) {
          const v = vec.get(i) as unknown;
          out[i] = v === null ? NaN : Number(v as number);
        }
      }
      if (vec.nullCount > 0) for (let i = 0; i < n; i++) if (!vec.isValid(i)) out[i] = NaN;
      cols.set(field.name, { kind: 'numeric', values: out });
    } else if (DataType.isUtf8(t) || DataType.isLargeUtf8(t) || DataType.isDictionary(t)) {
      const vals = new Array<string | null>(n);
      for (let i = 0; i < n; i++) {
        const v = vec.get(i) as unknown;
        vals[i] = v === null || v === undefined ? null : String(v);
      }
      cols.set(
        field.name,
        DataType.isDictionary(t) || cat.has(field.name)
          ? categoricalFromStrings(vals)
          : { kind: 'string', values: vals },
      );
    } else {
      throw mlError(
        MlErrors.INVALID_COLUMN_TYPE,
        `Arrow column '${field.name}' has type ${String(t)}; numbers, booleans and strings are supported`,
      );
    }
  });
  return new Frame(cols, n);
}
