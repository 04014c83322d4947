import { tableFromIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { arrowIpc, epochMicros, unscaled } from './arrow.js';

describe('Arrow results', () => {
  it('scales decimal values exactly', () => {
    expect(unscaled('123.45', 2)).toBe(12345n);
    expect(unscaled('-0.5', 3)).toBe(-500n);
    expect(unscaled('7', 2)).toBe(700n);
    expect(unscaled('1.005', 2)).toBe(101n);
    expect(unscaled(2.5, 1)).toBe(25n);
    expect(unscaled('12345678901234567890.12', 2)).toBe(1234567890123456789012n);
  });

  it('writes decimals as decimal128 and bigints as int64', () => {
    const ipc = arrowIpc(
      [
        { name: 'd', type: 'decimal(10,2)' },
        { name: 'n', type: 'bigint' },
      ],
      [
        ['1.50', 9007199254740993n.toString()],
        [null, null],
      ],
    );
    const t = tableFromIPC(ipc);
    expect(t.schema.fields.map((f) => f.type.toString())).toEqual(['Decimal[10e+2]', 'Int64']);
    expect(t.getChild('n')!.get(0)).toBe(9007199254740993n);
    expect(t.getChild('d')!.get(1)).toBeNull();
  });

  it('keeps repeated column names as given (Spark allows them in a result)', () => {
    const ipc = arrowIpc(
      [
        { name: 'ln(x)', type: 'double' },
        { name: 'LOG(2.0, x)', type: 'double' },
        { name: 'ln(x)', type: 'double' },
        { name: 'ln(x)', type: 'string' },
      ],
      [
        [0, 1, 2, 'a'],
        [null, 3, null, null],
      ],
    );
    const t = tableFromIPC(ipc);
    expect(t.schema.fields.map((f) => f.name)).toEqual(['ln(x)', 'LOG(2.0, x)', 'ln(x)', 'ln(x)']);
    expect(t.schema.fields[3]!.type.toString()).toBe('Utf8');
    expect(t.getChildAt(3)!.get(0)).toBe('a');
    expect(t.numRows).toBe(2);
    expect([0, 1, 2].map((i) => t.getChildAt(i)!.get(0))).toEqual([0, 1, 2]);
    expect([0, 1, 2].map((i) => t.getChildAt(i)!.get(1))).toEqual([null, 3, null]);
  });

  it('writes flat columns (ints, floats, bigint, boolean, date, string) with their nulls', () => {
    const columns = [
      { name: 'b', type: 'tinyint' },
      { name: 's', type: 'smallint' },
      { name: 'i', type: 'int' },
      { name: 'f', type: 'float' },
      { name: 'd', type: 'double' },
      { name: 'n', type: 'bigint' },
      { name: 't', type: 'boolean' },
      { name: 'dt', type: 'date' },
      { name: 'str', type: 'string' },
    ];
    const rows: unknown[][] = [
      [-128, 32767, -2147483648, 1.5, 'NaN', '-9007199254740993', true, '1998-09-02', 'héllo ✓'],
      [null, null, null, null, null, null, null, null, null],
      [7, -3, 42, -0.25, 'Infinity', 12, false, '1969-12-31', ''],
      [0, 0, 0, 0, 2.5, 0, true, '0050-03-01', 'z'],
    ];
    const t = tableFromIPC(arrowIpc(columns, rows));
    expect(t.schema.fields.map((f) => f.type.toString())).toEqual([
      'Int8',
      'Int16',
      'Int32',
      'Float32',
      'Float64',
      'Int64',
      'Bool',
      'Date32<DAY>',
      'Utf8',
    ]);
    const col = (k: number) => [0, 1, 2, 3].map((r) => t.getChildAt(k)!.get(r));
    expect(col(0)).toEqual([-128, null, 7, 0]);
    expect(col(1)).toEqual([32767, null, -3, 0]);
    expect(col(2)).toEqual([-2147483648, null, 42, 0]);
    expect(col(3)).toEqual([1.5, null, -0.25, 0]);
    expect(col(4)).toEqual([NaN, null, Infinity, 2.5]);
    expect(col(5)).toEqual([-9007199254740993n, null, 12n, 0n]);
    expect(col(6)).toEqual([true, null, false, true]);
    const days = (s: string) => Math.floor(new Date(`${s}T00:00:00Z`).getTime() / 86_400_000);
    expect(t.getChildAt(7)!.data[0]!.values.slice(0, 4)).toEqual(
      new Int32Array([days('1998-09-02'), 0, days('1969-12-31'), days('0050-03-01')]),
    );
    expect(t.getChildAt(7)!.get(1)).toBeNull();
    expect(col(8)).toEqual(['héllo ✓', null, '', 'z']);
    expect(t.getChildAt(8)!.nullCount).toBe(1);
  });

  it('keeps the microseconds of timestamps', () => {
    expect(epochMicros('1999-07-04 12:00:00.123456', 'timestamp')).toBe(931089600123456n);
    expect(epochMicros('1970-01-01T00:00:01+01:00', 'timestamp')).toBe(-3599000000n);
    expect(epochMicros('1969-12-31 23:59:59.5', 'timestamp')).toBe(-500000n);
    const t = tableFromIPC(arrowIpc([{ name: 'ts', type: 'timestamp' }], [['1999-07-04 12:00:00.123456'], [null]]));
    expect(t.schema.fields[0]!.type.toString()).toBe('Timestamp<MICROSECOND, UTC>');
    expect(t.getChildAt(0)!.data[0]!.values[0]).toBe(931089600123456n);
    expect(t.getChildAt(0)!.get(1)).toBeNull();
  });
});
