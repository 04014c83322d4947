import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDBConnection } from '@duckdb/node-api';
import { isLakeboxError, LakeboxError } from '@lakebox/common';
import { SqlEngine, type TableResolver } from './engine.js';

// Spark 4 ANSI-mode semantics (spark.sql.ansi.enabled=true is Spark 4's default).
const resolver: TableResolver = {
  async resolve(ref) {
    const name = ref.parts[ref.parts.length - 1].toLowerCase();
    if (name !== 'nums') throw new LakeboxError('TABLE_OR_VIEW_NOT_FOUND', `no table ${name}`);
    return 'SELECT * FROM t_nums';
  },
};

let engine: SqlEngine;
let conn: DuckDBConnection;
const q = async (sql: string) => (await engine.execute(sql, { conn })).rows;
const errorClass = async (sql: string) => {
  try {
    await q(sql);
  } catch (e) {
    if (isLakeboxError(e)) return e.code;
    throw e;
  }
  return 'no error';
};

beforeAll(async () => {
  engine = new SqlEngine({ resolver });
  conn = await engine.connect();
  await conn.run(
    `CREATE TEMP TABLE t_nums AS SELECT * FROM (VALUES (1, 7, 2.5::DOUBLE, 12.34::DECIMAL(10,2)), (2, 0, 0.0::DOUBLE, 0.00::DECIMAL(10,2))) v(id, n, d, dec)`,
  );
});
afterAll(() => conn.closeSync());

describe('ANSI division by zero', () => {
  it('raises DIVIDE_BY_ZERO for /, %, div and pmod with a zero divisor of any numeric type', async () => {
    for (const e of [
      '10 / n',
      '10 % n',
      '10 DIV n',
      'pmod(10, n)',
      '1.5 / d',
      '1.5 % d',
      'dec / n',
      'dec % dec',
      '10 / 0',
    ])
      expect(await errorClass(`SELECT id, ${e} FROM nums ORDER BY id`), e).toBe('DIVIDE_BY_ZERO');
  });
  it('divides normally when no divisor is zero', async () => {
    expect(await q('SELECT 10 / n, 10 % n, 10 DIV n, pmod(-10, n), 1 + 10 / n * 2 FROM nums WHERE id = 1')).toEqual([
      [10 / 7, 3, 1, 4, 1 + (10 / 7) * 2],
    ]);
    // the divisor operand is only what binds tighter than '/': 20 / n + 1 is (20 / n) + 1
    expect(await q('SELECT 21 / n + 1, 21 / -n, 14 / abs(n) FROM nums WHERE id = 1')).toEqual([[4, -3, 2]]);
  });
  it('try_divide and try_mod return NULL instead', async () => {
    expect(await q('SELECT try_divide(10, n), try_mod(10, n) FROM nums WHERE id = 2')).toEqual([[null, null]]);
  });
  it('the error carries Spark SQLSTATE 22012', async () => {
    const e = await engine.execute('SELECT 1 / n FROM nums', { conn }).catch((x: unknown) => x);
    expect(isLakeboxError(e) && e.code).toBe('DIVIDE_BY_ZERO');
    expect((e as LakeboxError).sqlState).toBe('22012');
  });
});

describe('ANSI casts', () => {
  it('casting fractions to integral types truncates toward zero like Spark (DuckDB rounds)', async () => {
    expect(
      await q(
        "SELECT CAST(d AS INT), CAST(-d AS BIGINT), CAST(dec AS INT), CAST(-2.7 AS SMALLINT), 2.9::int, try_cast(2.9 AS INT), CAST(' 12 ' AS INT) FROM nums WHERE id = 1",
      ),
    ).toEqual([[2, -2, 12, -2, 2, 2, 12]]);
    expect(await q('SELECT CAST(9007199254740993 AS BIGINT), CAST(n AS TINYINT) FROM nums WHERE id = 1')).toEqual([
      ['9007199254740993', 7],
    ]);
  });
  it('strings that are not integers raise CAST_INVALID_INPUT; try_cast gives NULL', async () => {
    for (const v of ['-3.5', '1e3', 'abc', ''])
      expect(await errorClass(`SELECT CAST('${v}' AS INT)`), v).toBe('CAST_INVALID_INPUT');
    expect(
      await q("SELECT try_cast('-3.5' AS INT), try_cast('1e3' AS BIGINT), CAST(NULL AS INT), CAST('-7' AS INT)"),
    ).toEqual([[null, null, null, -7]]);
  });
  it('out-of-range casts raise CAST_OVERFLOW / NUMERIC_VALUE_OUT_OF_RANGE, impossible casts DATATYPE_MISMATCH', async () => {
    expect(await errorClass('SELECT CAST(9999999999 AS INT)')).toBe('CAST_OVERFLOW');
    expect(await errorClass('SELECT CAST(1e20D AS SMALLINT)')).toBe('CAST_OVERFLOW');
    expect(await errorClass('SELECT CAST(99999999999 AS DECIMAL(12,3))')).toBe(
      'NUMERIC_VALUE_OUT_OF_RANGE.WITH_SUGGESTION',
    );
    expect(await errorClass('SELECT CAST(n AS DATE) FROM nums')).toBe('DATATYPE_MISMATCH.CAST_WITH_FUNC_SUGGESTION');
    expect(await errorClass("SELECT CAST(DATE '2024-01-01' AS BOOLEAN)")).toBe(
      'DATATYPE_MISMATCH.CAST_WITH_CONF_SUGGESTION',
    );
    expect(await errorClass('SELECT CAST(true AS DATE)')).toBe('DATATYPE_MISMATCH.CAST_WITHOUT_SUGGESTION');
  });
});

describe('Spark result types', () => {
  it('string, date and ranking functions return int like Spark, not bigint', async () => {
    const r = await engine.execute(
      "SELECT length('abc'), char_length('ab'), instr('hello', 'l'), locate('l', 'hello'), levenshtein('a', 'b'), year(DATE '2024-02-29'), month(DATE '2024-02-29'), dayofweek(DATE '2024-02-29'), hour(TIMESTAMP '2024-01-01 10:00:00'), datediff(DATE '2024-03-01', DATE '2024-02-01'), row_number() OVER (ORDER BY 1), rank() OVER (ORDER BY 1), ntile(2) OVER (ORDER BY 1)",
      { conn },
    );
    expect(r.columns.map((c) => c.type)).toEqual(Array(13).fill('int'));
    expect(r.rows).toEqual([[3, 2, 3, 3, 1, 2024, 2, 5, 10, 29, 1, 1, 1]]);
  });
});

describe('Spark values and error classes', () => {
  it('asin/acos outside [-1, 1] are NaN, reverse works on arrays, shiftleft on negatives', async () => {
    expect(await q("SELECT asin(2), acos(-1.5D), reverse(array(1, 2, 3)), reverse('abc'), shiftleft(-3, 1)")).toEqual([
      ['NaN', 'NaN', [3, 2, 1], 'cba', -6],
    ]);
  });
  it('to_date with a format that does not match raises CANNOT_PARSE_TIMESTAMP', async () => {
    expect(await errorClass("SELECT to_date('2024-03-05', 'dd/MM/yyyy')")).toBe('CANNOT_PARSE_TIMESTAMP');
  });
});

describe('bround', () => {
  it('keeps the type of an integral argument and rounds half to even', async () => {
    const r = await engine.execute(
      'SELECT bround(n, 0), bround(25, -1), bround(35, -1), bround(2.5D, 0), bround(n, 1) FROM nums WHERE id = 1',
      {
        conn,
      },
    );
    expect(r.columns.map((c) => c.type)).toEqual(['int', 'int', 'int', 'double', 'int']);
    expect(r.rows).toEqual([[7, 20, 40, 2, 7]]);
  });
});
