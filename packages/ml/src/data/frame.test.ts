import { describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { isLakeboxError } from '@lakebox/common';
import { Frame, featureMatrix } from './frame.js';
import { Rng } from './rng.js';
import { kFoldIndices, randomSplit } from './split.js';
import { frameFromDuckDB } from './duckdb.js';

describe('Frame', () => {
  it('builds from rows with inferred kinds and missing values', () => {
    const f = Frame.fromRows([
      { a: 1, s: 'x', v: [1, 2] },
      { a: null, s: null, v: [3, 4] },
      { s: 'y', v: [5, 6] },
    ]);
    expect(f.numRows).toBe(3);
    expect(f.columnNames).toEqual(['a', 's', 'v']);
    expect(Array.from(f.numeric('a'))).toEqual([1, NaN, NaN]);
    expect(f.column('s')).toEqual({ kind: 'string', values: ['x', null, 'y'] });
    expect(f.vector('v').dim).toBe(2);
    expect(f.take([2, 0]).toRows()).toEqual([
      { a: null, s: 'y', v: [5, 6] },
      { a: 1, s: 'x', v: [1, 2] },
    ]);
    const cat = Frame.fromRows([{ c: 'b' }, { c: 'a' }, { c: 'b' }], { kinds: { c: 'categorical' } }).column('c');
    expect(cat).toEqual({ kind: 'categorical', codes: Int32Array.from([0, 1, 0]), levels: ['b', 'a'] });
  });

  it('rejects ragged columns and unknown columns with LakeboxError', () => {
    expect(() => Frame.fromColumns({ a: [1, 2], b: [1] })).toThrow(/has 1 rows, expected 2/);
    try {
      Frame.fromColumns({ a: [1] }).column('zz');
      expect.unreachable();
    } catch (e) {
      expect(isLakeboxError(e, 'UNRESOLVED_COLUMN')).toBe(true);
    }
  });

  it('gives a row-major feature matrix from columns', () => {
    const f = Frame.fromColumns({ a: [1, 2], b: [3, 4] });
    expect(Array.from(featureMatrix(f, ['a', 'b']).x)).toEqual([1, 3, 2, 4]);
  });
});

describe('Rng and splits', () => {
  it('is reproducible and roughly uniform', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b.next()));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    expect(new Rng(8).next()).not.toBe(xs[0]);
    const p = new Rng(1).permutation(50);
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('randomSplit partitions every row once, reproducibly', () => {
    const f = Frame.fromColumns({ id: Float64Array.from({ length: 1000 }, (_, i) => i) });
    const [tr, te] = randomSplit(f, [0.8, 0.2], 3);
    expect(tr.numRows + te.numRows).toBe(1000);
    expect(tr.numRows).toBeGreaterThan(740);
    expect(tr.numRows).toBeLessThan(860);
    const ids = new Set([...tr.numeric('id'), ...te.numeric('id')]);
    expect(ids.size).toBe(1000);
    expect(Array.from(randomSplit(f, [0.8, 0.2], 3)[1].numeric('id'))).toEqual(Array.from(te.numeric('id')));
    const folds = kFoldIndices(10, 3, 1);
    expect(folds.map((x) => x.test.length)).toEqual([3, 3, 4]);
    expect(() => randomSplit(f, [-1, 2])).toThrow(/non-negative/);
  });
});

describe('frameFromDuckDB', () => {
  it('reads numeric, nullable, varchar, enum and decimal columns', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      await conn.run("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')");
      const f = await frameFromDuckDB(
        conn,
        `SELECT i::INTEGER AS i, i::BIGINT * 3 AS b, CASE WHEN i % 3 = 0 THEN NULL ELSE i / 2 END AS d,
                (i % 2 = 0) AS flag, 'k' || (i % 3)::VARCHAR AS s, (CASE WHEN i % 2 = 0 THEN 'ok' ELSE 'happy' END)::mood AS m,
                (i / 4)::DECIMAL(10,2) AS dec
         FROM range(5000) t(i)`,
        { categorical: ['s'] },
      );
      expect(f.numRows).toBe(5000);
      expect(f.numeric('i')[4321]).toBe(4321);
      expect(f.numeric('b')[4999]).toBe(14997);
      expect(f.numeric('d')[3000]).toBeNaN();
      expect(f.numeric('d')[3001]).toBe(1500.5);
      expect(f.numeric('flag')[2]).toBe(1);
      expect(f.numeric('dec')[5]).toBe(1.25);
      const s = f.column('s');
      expect(s.kind === 'categorical' && s.levels).toEqual(['k0', 'k1', 'k2']);
      const m = f.column('m');
      expect(m.kind === 'categorical' && [m.levels, m.codes[0], m.codes[1]]).toEqual([['sad', 'ok', 'happy'], 1, 2]);
      await expect(frameFromDuckDB(conn, "SELECT DATE '2020-01-01' AS x")).rejects.toThrow(/cast it/);
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });
});
