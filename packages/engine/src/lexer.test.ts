import { describe, expect, it } from 'vitest';
import { tokenize } from './lexer.js';
import { buildTree } from './tree.js';

const err = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e as { code: string; details: { line: number; column: number }; message: string };
  }
  throw new Error('no error');
};

describe('Spark SQL lexer', () => {
  it('reads Spark literals and identifiers', () => {
    const t = tokenize("SELECT `a b`, \"dq\", 'it\\'s', 1L, 2.5BD, :p, {{q}} -- c\n/* x */ FROM t");
    expect(t.map((x) => [x.kind, x.value])).toEqual([
      ['ident', 'SELECT'],
      ['qident', 'a b'],
      ['op', ','],
      ['string', 'dq'],
      ['op', ','],
      ['string', "it's"],
      ['op', ','],
      ['number', '1L'],
      ['op', ','],
      ['number', '2.5BD'],
      ['op', ','],
      ['param', 'p'],
      ['op', ','],
      ['param', 'q'],
      ['ident', 'FROM'],
      ['ident', 't'],
      ['eof', ''],
    ]);
    expect(t[14].line).toBe(2);
  });
  it('points syntax errors at line and column', () => {
    const e1 = err(() => tokenize("SELECT 1,\n  'open"));
    expect(e1.code).toBe('PARSE_SYNTAX_ERROR');
    expect(e1.details).toEqual({ line: 2, column: 3 });
    const e2 = err(() => buildTree(tokenize('SELECT (1 + 2\nFROM t')));
    expect(e2.details).toEqual({ line: 1, column: 8 });
    const e3 = err(() => buildTree(tokenize('SELECT 1)')));
    expect(e3.message).toMatch(/line 1, pos 8/);
  });
});
