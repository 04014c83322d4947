import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDBConnection } from '@duckdb/node-api';
import { isLakeboxError } from '@lakebox/common';
import { SqlEngine, type TableResolver } from './engine.js';
import { LakeboxError } from '@lakebox/common';

// Tables are DuckDB temp tables named t_<name>: enough to test translation without Delta.
const resolver: TableResolver = {
  async resolve(ref) {
    const name = ref.parts[ref.parts.length - 1].toLowerCase();
    if (!['people', 'orders', 'arr'].includes(name)) {
      throw new LakeboxError(
        'TABLE_OR_VIEW_NOT_FOUND',
        `The table or view \`${ref.parts.join('.')}\` cannot be found.`,
      );
    }
    return `SELECT * FROM t_${name}`;
  },
};

let engine: SqlEngine;
let conn: DuckDBConnection;
const q = async (sql: string) => (await engine.execute(sql, { conn })).rows;

beforeAll(async () => {
  engine = new SqlEngine({ resolver });
  conn = await engine.connect();
  await conn.run(
    `CREATE TEMP TABLE t_people AS SELECT * FROM (VALUES (1, 'ann', 30, 'NY'), (2, 'bob', NULL, 'SF'), (3, 'cy', 25, 'NY')) v(id, name, age, city)`,
  );
  await conn.run(
    `CREATE TEMP TABLE t_orders AS SELECT * FROM (VALUES (1, 1, 10.5), (2, 1, 20.0), (3, 3, 5.25)) v(oid, pid, amount)`,
  );
  await conn.run(`CREATE TEMP TABLE t_arr AS SELECT * FROM (VALUES (1, [1, 2, 3]), (2, [])) v(id, xs)`);
});
afterAll(() => conn.closeSync());

describe('SELECT translation', () => {
  it('backticks, double-quoted strings, Spark functions', async () => {
    expect(await q('SELECT `name`, upper("x") AS u FROM people WHERE id = 1')).toEqual([['ann', 'X']]);
    expect(await q("SELECT concat('a', NULL), concat('a', 'b'), nvl(NULL, 2), if(1 < 2, 'y', 'n')")).toEqual([
      [null, 'ab', 2, 'y'],
    ]);
    expect(
      await q("SELECT substr('hello', 0, 2), substring('hello', -3, 2), substring_index('a.b.c', '.', 2)"),
    ).toEqual([['he', 'll', 'a.b']]);
    expect(await q('SELECT 7 / 2, 7 DIV 2, pmod(-7, 3), 1L + 1')).toEqual([[3.5, 3, 2, 2]]);
  });
  it('joins, CTEs, window functions, QUALIFY, null ordering', async () => {
    const r = await q(`WITH o AS (SELECT pid, sum(amount) s FROM orders GROUP BY pid)
      SELECT p.name, o.s FROM people p LEFT JOIN o ON p.id = o.pid ORDER BY o.s`);
    expect(r).toEqual([
      ['bob', null],
      ['cy', '5.25'],
      ['ann', '30.50'],
    ]);
    expect(
      await q(
        'SELECT name FROM people QUALIFY row_number() OVER (PARTITION BY city ORDER BY id DESC) = 1 ORDER BY name',
      ),
    ).toEqual([['bob'], ['cy']]);
  });
  it('GROUP BY ... WITH ROLLUP, <=>, RLIKE, LATERAL VIEW explode', async () => {
    expect(await q('SELECT city, count(*) FROM people GROUP BY city WITH ROLLUP ORDER BY city')).toEqual([
      [null, 3],
      ['NY', 2],
      ['SF', 1],
    ]);
    expect(await q('SELECT count(*) FROM people WHERE age <=> NULL')).toEqual([[1]]);
    expect(await q("SELECT name FROM people WHERE name RLIKE '^[ab]' ORDER BY 1")).toEqual([['ann'], ['bob']]);
    expect(await q('SELECT id, x FROM arr LATERAL VIEW explode(xs) e AS x ORDER BY x')).toEqual([
      [1, 1],
      [1, 2],
      [1, 3],
    ]);
    expect(await q('SELECT id, x FROM arr LATERAL VIEW OUTER explode(xs) e AS x ORDER BY id, x')).toEqual([
      [1, 1],
      [1, 2],
      [1, 3],
      [2, null],
    ]);
    expect(await q('SELECT xs[0], size(xs), transform(xs, x -> x * 2) FROM arr WHERE id = 1')).toEqual([
      [1, 3, [2, 4, 6]],
    ]);
  });
  it('SELECT * EXCEPT, VALUES, parameters', async () => {
    expect(await q('SELECT * EXCEPT (age, city) FROM people WHERE id = 2')).toEqual([[2, 'bob']]);
    expect(await q('SELECT * FROM VALUES (1, 2), (3, 4) AS t(a, b) ORDER BY a')).toEqual([
      [1, 2],
      [3, 4],
    ]);
    const r = await engine.execute('SELECT name FROM people WHERE id = :id OR city = {{c}}', {
      conn,
      params: { id: { value: 1 }, c: { value: 'SF' } },
    });
    expect(r.rows).toEqual([['ann'], ['bob']]);
  });
  it('errors: syntax with position, unknown column with suggestions, unknown table', async () => {
    const e1 = await q('SELECT 1 FROM people WHERE (id = 1').catch((e) => e);
    expect(isLakeboxError(e1, 'PARSE_SYNTAX_ERROR')).toBe(true);
    expect(e1.message).toMatch(/line 1/);
    const e2 = await q('SELECT nam FROM people').catch((e) => e);
    expect(e2.code).toBe('UNRESOLVED_COLUMN.WITH_SUGGESTION');
    expect(e2.message).toContain('name');
    const e3 = await q('SELECT 1\nFORM people').catch((e) => e);
    expect(e3.code).toBe('PARSE_SYNTAX_ERROR');
    expect(e3.details.line).toBe(2);
    const e4 = await q('SELECT * FROM nope').catch((e) => e);
    expect(e4.code).toBe('TABLE_OR_VIEW_NOT_FOUND');
  });
  it('sum has Spark result types: BIGINT for integral inputs, with ANSI overflow', async () => {
    const types = async (sql: string) => (await engine.execute(sql, { conn })).columns.map((c) => c.type);
    const r = await engine.execute(
      'SELECT sum(age), sum(DISTINCT id), try_sum(age), sum(amount), sum(CAST(age AS DOUBLE)) FROM people JOIN orders ON id = pid',
      { conn },
    );
    expect(r.columns.map((c) => c.type)).toEqual(['bigint', 'bigint', 'bigint', 'decimal(38,2)', 'double']);
    expect(r.rows.map((row) => row.map(String))).toEqual([['85', '4', '85', '35.75', '85']]);
    expect(await types('SELECT sum(CAST(age AS TINYINT)) OVER (PARTITION BY city) FROM people')).toEqual(['bigint']);
    expect(await types('SELECT city, sum(id) FILTER (WHERE age > 1) FROM people GROUP BY city')).toEqual([
      'string',
      'bigint',
    ]);
    const big = 'FROM (VALUES (9223372036854775807L), (1L)) AS t(x)';
    const e = await q(`SELECT sum(x) ${big}`).catch((err) => err);
    expect(e.code).toBe('ARITHMETIC_OVERFLOW');
    expect(await q(`SELECT try_sum(x) ${big}`)).toEqual([[null]]);
  });
});
