import { tableFromIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { arrowIpc, unscaled } from './arrow.js';

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
      ],
      [
        [0, 1, 2],
        [null, 3, null],
      ],
    );
    const t = tableFromIPC(ipc);
    expect(t.schema.fields.map((f) => f.name)).toEqual(['ln(x)', 'LOG(2.0, x)', 'ln(x)']);
    expect(t.numRows).toBe(2);
    expect([0, 1, 2].map((i) => t.getChildAt(i)!.get(0))).toEqual([0, 1, 2]);
    expect([0, 1, 2].map((i) => t.getChildAt(i)!.get(1))).toEqual([null, 3, null]);
  });
});
