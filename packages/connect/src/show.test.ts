import { describe, expect, it } from 'vitest';
import type { StatementResult } from '@lakebox/engine';
import { showString } from './show.js';

const result = (type: string, v: unknown): StatementResult => ({
  columns: [{ name: 'c', type } as never],
  rows: [[v]],
});
const body = (s: string) => s.split('\n')[3]!;

describe('showString cells as Spark prints them', () => {
  it('maps as {k -> v}, nested in arrays and structs too', () => {
    expect(body(showString(result('map<string,string>', { a: '1', b: '2' }), 20, 0))).toBe('|{a -> 1, b -> 2}|');
    expect(body(showString(result('array<map<string,int>>', [{ x: 1 }]), 20, 0))).toBe('|[{x -> 1}]|');
    expect(body(showString(result('struct<s:map<string,int>,n:int>', { s: { k: 2 }, n: 3 }), 20, 0))).toBe(
      '|{{k -> 2}, 3}|',
    );
    expect(body(showString(result('MAP(VARCHAR, INTEGER)', { a: 1 }), 20, 0))).toBe('|{a -> 1}|');
  });

  it('binary as hex bytes', () => {
    expect(body(showString(result('binary', Buffer.from('abc').toString('base64')), 20, 0))).toBe('|[61 62 63]|');
  });

  it('truncates to 20 characters only when asked', () => {
    const long = 'SYSTEM.BUILTIN.UTF8_BINARY';
    expect(body(showString(result('string', long), 20, 20))).toBe('|SYSTEM.BUILTIN.UT...|');
    expect(body(showString(result('string', long), 20, 0))).toBe(`|${long}|`);
  });
});
