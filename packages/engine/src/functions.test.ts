import { describe, expect, it } from 'vitest';
import { FUNCTIONS, applyLambda } from './functions.js';

describe('two-argument Spark lambdas over pairs', () => {
  it('substitutes quoted and plain parameter names, not field names or strings', () => {
    expect(applyLambda('lambda "x", "y": ("x" + y)', ['z[1]', 'z[2]'])).toBe('(((z[1]) + (z[2])))');
    expect(applyLambda('lambda "k": (s.k = \'k\')', ['e.key'])).toBe("((s.k = 'k'))");
  });

  it('builds zip_with and map_filter from DuckDB list functions', () => {
    const zip = FUNCTIONS.zip_with!.emit as (a: string[]) => string;
    expect(zip(['a', 'b', 'lambda "x", "y": ("x" * "y")'])).toBe(
      'CASE WHEN a IS NOT NULL AND b IS NOT NULL THEN list_transform(list_zip(a, b), lambda __z: (((__z[1]) * (__z[2])))) END',
    );
    const mf = FUNCTIONS.map_filter!.emit as (a: string[]) => string;
    expect(mf(['m', 'lambda "k", "v": ("v" > 0)'])).toBe(
      'map_from_entries(list_filter(map_entries(m), lambda __e: (((__e.value) > 0))))',
    );
  });
});

describe('typeof with Spark type names', () => {
  it('maps DuckDB type names to Spark names, one level of nesting included', async () => {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    try {
      const { MACROS } = await import('./functions.js');
      for (const m of MACROS) await c.run(m);
      const typeOf = FUNCTIONS.typeof!.emit as (a: string[]) => string;
      const exprs = [
        '1',
        "'x'",
        'CAST(1 AS DECIMAL(10,2))',
        "DATE '2020-01-01'",
        '[1, 2]',
        "MAP {'a': 1}",
        "{'x': 1, 'y': 'z'}",
        'NULL',
        "'\\x01'::BLOB",
      ];
      const r = await c.runAndReadAll(`SELECT ${exprs.map((e) => typeOf([e])).join(', ')}`);
      expect(r.getRows()[0]).toEqual([
        'int',
        'string',
        'decimal(10,2)',
        'date',
        'array<int>',
        'map<string,int>',
        'struct<x:int,y:string>',
        'void',
        'binary',
      ]);
    } finally {
      c.closeSync();
    }
  });
});
