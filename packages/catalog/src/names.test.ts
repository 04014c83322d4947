import { describe, expect, it } from 'vitest';
import { levenshtein, normalizeName, parseQualifiedName, quoteName, suggestNames } from './names.js';

describe('names', () => {
  it('measures edit distance with adjacent swaps', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('mian', 'main')).toBe(1);
    expect(levenshtein('', 'abc')).toBe(3);
    expect(levenshtein('same', 'same')).toBe(0);
    expect(levenshtein('ca', 'abc')).toBe(3);
  });

  it('suggests near names, nearest first, case-insensitively', () => {
    expect(suggestNames('custmers', ['customers', 'orders', 'customer_v2'])).toEqual(['customers']);
    expect(suggestNames('ORDRS', ['orders', 'order', 'xyz'])).toEqual(['orders']);
    expect(suggestNames('ordrs_table', ['orders_table', 'order_table'])).toEqual(['orders_table', 'order_table']);
    expect(suggestNames('zzz', ['orders'])).toEqual([]);
    expect(suggestNames('sales', ['sales_2024', 'sales'])).toEqual(['sales_2024']);
  });

  it('parses qualified and back-quoted names', () => {
    expect(parseQualifiedName('t')).toEqual({ catalog: 'main', schema: 'default', name: 't' });
    expect(parseQualifiedName('s.t', { catalog: 'c' })).toEqual({ catalog: 'c', schema: 's', name: 't' });
    expect(parseQualifiedName('`my.cat`.s.`t``x`')).toEqual({ catalog: 'my.cat', schema: 's', name: 't`x' });
    expect(() => parseQualifiedName('a.b.c.d')).toThrow(/not a valid name/);
    expect(() => parseQualifiedName('a..b')).toThrow(/not a valid name/);
    expect(() => parseQualifiedName('`a')).toThrow(/unclosed/);
  });

  it('normalises names to lower case and rejects bad ones', () => {
    expect(normalizeName('MyTable', 'table')).toBe('mytable');
    expect(() => normalizeName('a.b', 'table')).toThrow(/not a valid table name/);
    expect(quoteName('a', 'b`c')).toBe('`a`.`b``c`');
  });
});
