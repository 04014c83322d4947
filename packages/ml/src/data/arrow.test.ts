import { describe, expect, it } from 'vitest';
import {
  DateDay,
  Dictionary,
  Int32,
  Table,
  Utf8,
  tableFromArrays,
  tableFromIPC,
  tableToIPC,
  vectorFromArray,
} from 'apache-arrow';
import { frameFromArrow } from './arrow.js';

describe('frameFromArrow', () => {
  it('reads numeric (with nulls), bigint, boolean, string and dictionary columns', () => {
    const base = tableFromArrays({
      f: Float64Array.from([1.5, 2.5, 3.5]),
      i: Int32Array.from([1, 2, 3]),
      b: BigInt64Array.from([10n, 20n, 30n]),
      s: ['x', 'y', 'x'],
    });
    const withNulls = new Table({
      ...Object.fromEntries(base.schema.fields.map((f, j) => [f.name, base.getChildAt(j)!])),
      n: vectorFromArray([1, null, 3]),
      flag: vectorFromArray([true, false, null]),
      d: vectorFromArray(['a', 'b', 'a'], new Dictionary(new Utf8(), new Int32())),
    });
    // Round-trip through IPC to read what another process would send.
    const f = frameFromArrow(tableFromIPC(tableToIPC(withNulls)), { categorical: ['s'] });
    expect(f.numRows).toBe(3);
    expect(Array.from(f.numeric('f'))).toEqual([1.5, 2.5, 3.5]);
    expect(Array.from(f.numeric('i'))).toEqual([1, 2, 3]);
    expect(Array.from(f.numeric('b'))).toEqual([10, 20, 30]);
    expect(Array.from(f.numeric('n'))).toEqual([1, NaN, 3]);
    expect(Array.from(f.numeric('flag'))).toEqual([1, 0, NaN]);
    expect(f.column('s')).toEqual({ kind: 'categorical', codes: Int32Array.from([0, 1, 0]), levels: ['x', 'y'] });
    expect(f.column('d')).toEqual({ kind: 'categorical', codes: Int32Array.from([0, 1, 0]), levels: ['a', 'b'] });
    expect(() => frameFromArrow(new Table({ day: vectorFromArray([new Date(0)], new DateDay()) }))).toThrow(
      /is not supported|supported/,
    );
  });
});
