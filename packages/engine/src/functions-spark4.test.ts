import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDBConnection } from '@duckdb/node-api';
import { LakeboxError } from '@lakebox/common';
import { SqlEngine, type TableResolver } from './engine.js';

// Functions PySpark's own tests call that the engine maps to DuckDB expressions and macros;
// expected values are Spark 4.0.1's results for the same calls (its function docs and tests).
const resolver: TableResolver = {
  async resolve(ref) {
    throw new LakeboxError('TABLE_OR_VIEW_NOT_FOUND', `The table or view \`${ref.parts.join('.')}\` cannot be found.`);
  },
};

let engine: SqlEngine;
let conn: DuckDBConnection;
const one = async (sql: string) => (await engine.execute(`SELECT ${sql}`, { conn })).rows[0]![0];
const num = async (sql: string) => Number(await one(sql));

beforeAll(async () => {
  engine = new SqlEngine({ resolver });
  conn = await engine.connect();
});
afterAll(() => conn.closeSync());

describe('pattern functions', () => {
  it('like/ilike with the default backslash escape and an explicit one', async () => {
    expect(await one(`like('Spark', '_park')`)).toBe(true);
    expect(await one(`ilike('Spark', '_PARK')`)).toBe(true);
    expect(await one(`like('%SystemDrive%/Users/John', '/%SystemDrive/%//Users%', '/')`)).toBe(true);
    expect(await one(`like('a_c', 'a\\_c')`)).toBe(true);
    expect(await one(`like('abc', 'a\\_c')`)).toBe(false);
  });

  it('regexp_instr gives the 1-based start of the match, 0 without one', async () => {
    // Spark SQL string literals unescape backslashes: the JS text below is SQL '\\d', the regex \d
    expect(await one(`regexp_instr('1a 2b 14m', '\\\\d+(a|b|m)')`)).toBe(1);
    expect(await one(`regexp_instr('xx 14m', '\\\\d+m')`)).toBe(4);
    expect(await one(`regexp_instr('xyz', '\\\\d+')`)).toBe(0);
  });
});

describe('bit functions', () => {
  it('shiftrightunsigned treats the value as unsigned, keeping its width', async () => {
    expect(String(await one(`shiftrightunsigned(CAST(-2 AS BIGINT), 1)`))).toBe('9223372036854775807');
    expect(await num(`shiftrightunsigned(CAST(4 AS BIGINT), 1)`)).toBe(2);
    expect(await one(`shiftrightunsigned(-2, 1)`)).toBe(2147483647);
  });

  it('bit_get/getbit and the bitmap position helpers', async () => {
    expect(await one(`bit_get(2, 1)`)).toBe(1);
    expect(await one(`getbit(1, 1)`)).toBe(0);
    expect(await num(`bitmap_bit_position(123)`)).toBe(122);
    expect(await num(`bitmap_bucket_number(123)`)).toBe(1);
    expect(await num(`bitmap_bucket_number(32769)`)).toBe(2);
  });
});

describe('string functions', () => {
  it('mask with default and explicit replacement characters', async () => {
    expect(await one(`mask('AbCD123-@$#')`)).toBe('XxXXnnn-@$#');
    expect(await one(`mask('abcd-EFGH-8765-4321', 'Y', 'y', 'd', '*')`)).toBe('yyyy*YYYY*dddd*dddd');
    // a NULL replacement keeps those characters
    expect(await one(`mask('AbCD123-@$#', NULL, 'y')`)).toBe('AyCDnnn-@$#');
  });

  it('str_to_map splits pairs, then each pair at its first key delimiter', async () => {
    expect(await one(`CAST(str_to_map('a:1,b:2,c:3') AS VARCHAR)`)).toBe('{a=1, b=2, c=3}');
    expect(await one(`str_to_map('d=4;e=5;f=6', ',', '=')['d']`)).toBe('4;e=5;f=6');
    expect(await one(`str_to_map('x', ',', ':')['x']`)).toBe(null);
  });

  it('parse_url parts and query keys', async () => {
    const u = `'https://user@spark.apache.org:8080/path/a?query=1&k=v#frag'`;
    expect(await one(`parse_url(${u}, 'PROTOCOL')`)).toBe('https');
    expect(await one(`parse_url(${u}, 'HOST')`)).toBe('spark.apache.org');
    expect(await one(`parse_url(${u}, 'PATH')`)).toBe('/path/a');
    expect(await one(`parse_url(${u}, 'QUERY')`)).toBe('query=1&k=v');
    expect(await one(`parse_url(${u}, 'QUERY', 'k')`)).toBe('v');
    expect(await one(`parse_url(${u}, 'QUERY', 'nope')`)).toBe(null);
    expect(await one(`parse_url(${u}, 'REF')`)).toBe('frag');
    expect(await one(`parse_url(${u}, 'FILE')`)).toBe('/path/a?query=1&k=v');
    expect(await one(`parse_url(${u}, 'AUTHORITY')`)).toBe('user@spark.apache.org:8080');
    expect(await one(`parse_url(${u}, 'USERINFO')`)).toBe('user');
    expect(await one(`try_parse_url('https://spark.apache.org/path', 'QUERY')`)).toBe(null);
  });

  it('soundex as Spark computes it', async () => {
    expect(await one(`soundex('Peters')`)).toBe('P362');
    expect(await one(`soundex('uhrbach')`)).toBe('U612');
    expect(await one(`soundex('Ashcraft')`)).toBe('A261');
    expect(await one(`soundex('Tymczak')`)).toBe('T522');
    expect(await one(`soundex('1abc')`)).toBe('1abc');
  });

  it('to_binary formats, utf-8 validity, collation', async () => {
    expect(await one(`CAST(to_binary('414243') AS STRING)`)).toBe('ABC');
    expect(await one(`CAST(try_to_binary('abc', 'utf-8') AS STRING)`)).toBe('abc');
    expect(await one(`try_to_binary('zz', 'hex')`)).toBe(null);
    expect(await one(`is_valid_utf8('SparkSQL')`)).toBe(true);
    expect(await one(`validate_utf8('SparkSQL')`)).toBe('SparkSQL');
    expect(await one(`collation('x')`)).toBe('SYSTEM.BUILTIN.UTF8_BINARY');
  });
});

describe('date and time functions', () => {
  it('from_utc_timestamp/to_utc_timestamp/convert_timezone with zone ids and abbreviations', async () => {
    const s = (e: string) => one(`CAST(${e} AS VARCHAR)`);
    expect(await s(`from_utc_timestamp('1997-02-28 10:30:00', 'JST')`)).toBe('1997-02-28 19:30:00');
    expect(await s(`from_utc_timestamp('1997-02-28 10:30:00', 'PST')`)).toBe('1997-02-28 02:30:00');
    expect(await s(`to_utc_timestamp('1997-02-28 10:30:00', 'PST')`)).toBe('1997-02-28 18:30:00');
    expect(await s(`convert_timezone('Europe/Brussels', 'America/Los_Angeles', TIMESTAMP '2021-12-06 00:00:00')`)).toBe(
      '2021-12-05 15:00:00',
    );
  });

  it('timestampadd/timestampdiff count whole units', async () => {
    const s = (e: string) => one(`CAST(${e} AS VARCHAR)`);
    expect(await s(`timestampadd(MONTH, 1, TIMESTAMP '2016-01-31 00:00:00')`)).toBe('2016-02-29 00:00:00');
    expect(await s(`timestampadd('QUARTER', 1, DATE '2016-01-01')`)).toBe('2016-04-01 00:00:00');
    expect(await num(`timestampdiff(YEAR, TIMESTAMP '2020-06-01 00:00:00', TIMESTAMP '2021-05-31 00:00:00')`)).toBe(0);
    expect(await num(`timestampdiff('DAY', DATE '2016-12-25', DATE '2017-01-01')`)).toBe(7);
  });

  it('to_timestamp_ntz/ltz, try_to_timestamp, make_timestamp variants', async () => {
    const s = (e: string) => one(`CAST(${e} AS VARCHAR)`);
    expect(await s(`to_timestamp_ntz('2016-12-31', 'yyyy-MM-dd')`)).toBe('2016-12-31 00:00:00');
    expect(await s(`to_timestamp_ltz('2016-12-31 01:02:03')`)).toBe('2016-12-31 01:02:03');
    expect(await one(`try_to_timestamp('foo', 'yyyy-MM-dd')`)).toBe(null);
    expect(await s(`make_timestamp_ntz(2014, 12, 28, 6, 30, 45.887)`)).toBe('2014-12-28 06:30:45.887');
    expect(await s(`make_timestamp_ltz(2014, 12, 28, 6, 30, 45.887, 'CET')`)).toBe('2014-12-28 05:30:45.887');
    expect(await one(`try_make_timestamp(2014, 13, 28, 6, 30, 45.887)`)).toBe(null);
  });
});

describe('json', () => {
  it('schema_of_json infers sorted struct fields, BIGINT and DOUBLE numbers', async () => {
    expect(await one(`schema_of_json('{"b": [1, 2.5], "a": 0, "c": {"x": "s"}}')`)).toBe(
      'STRUCT<a: BIGINT, b: ARRAY<DOUBLE>, c: STRUCT<x: STRING>>',
    );
    expect(await one(`schema_of_json('{a: 1}')`)).toBe('STRUCT<a: BIGINT>');
    expect(await one(`schema_of_json('[1, null]')`)).toBe('ARRAY<BIGINT>');
  });
});

describe('signatures PySpark calls with extra arguments', () => {
  it('first/last with ignoreNulls as aggregates and window functions', async () => {
    const rows = async (sql: string) => (await engine.execute(sql, { conn })).rows;
    const t = `(VALUES (1, NULL), (2, 5), (3, NULL), (4, 7)) v(i, x)`;
    expect(await rows(`SELECT first(x, true), last(x, true), first_value(x, true) FROM ${t}`)).toEqual([[5, 7, 5]]);
    expect(await rows(`SELECT first(x, false) FROM (SELECT * FROM ${t} ORDER BY i)`)).toEqual([[null]]);
    expect(
      await rows(
        `SELECT i, last(x, true) OVER (ORDER BY i ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM ${t} ORDER BY i`,
      ),
    ).toEqual([
      [1, null],
      [2, 5],
      [3, 5],
      [4, 7],
    ]);
  });

  it('regexp() as a function, levenshtein threshold, dayname/monthname abbreviations', async () => {
    expect(await one(`regexp('1a 2b 14m', '[0-9]+')`)).toBe(true);
    expect(await one(`'abc' REGEXP 'b'`)).toBe(true);
    expect(await one(`levenshtein('kitten', 'sitting', 2)`)).toBe(-1);
    expect(await one(`levenshtein('kitten', 'sitting', 3)`)).toBe(3);
    expect(await one(`dayname('2015-04-08')`)).toBe('Wed');
    expect(await one(`monthname('2015-04-08')`)).toBe('Apr');
  });

  it('cot(0) and atanh outside [-1, 1] follow Java doubles', async () => {
    expect(Number(await one(`cot(0.0)`))).toBe(Infinity);
    expect(Number.isNaN(Number(await one(`atanh(2)`)))).toBe(true);
  });

  it('mode, any_value and approx_count_distinct accept their optional flags', async () => {
    const t = `(VALUES (1), (1), (2)) v(x)`;
    expect(
      (
        await engine.execute(`SELECT mode(x, true), any_value(x, true), approx_count_distinct(x, 0.05) FROM ${t}`, {
          conn,
        })
      ).rows,
    ).toEqual([[1, 1, 2]]);
  });
});

describe('errors, IGNORE NULLS after a call, listagg defaults, invalid URLs', () => {
  it('raise_error and assert_true raise USER_RAISED_EXCEPTION with the message', async () => {
    await expect(one(`raise_error('foobar')`)).rejects.toMatchObject({
      code: 'USER_RAISED_EXCEPTION',
      message: 'foobar',
    });
    await expect(one(`assert_true(1 > 2, 'too big')`)).rejects.toMatchObject({ code: 'USER_RAISED_EXCEPTION' });
    expect(await one(`assert_true(1 < 2)`)).toBe(null);
  });

  it('nth_value(x, n) IGNORE NULLS OVER (...) as Spark writes it', async () => {
    const t = `(VALUES (1, NULL), (2, 5), (3, NULL), (4, 7)) v(i, x)`;
    const r = await engine.execute(
      `SELECT i, nth_value(x, 2) IGNORE NULLS OVER (ORDER BY i ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM ${t} ORDER BY i`,
      { conn },
    );
    expect(r.rows.map((x) => x[1])).toEqual([7, 7, 7, 7]);
  });

  it('listagg(DISTINCT x) joins with no delimiter by default', async () => {
    const r = await engine.execute(`SELECT listagg(DISTINCT x) FROM (VALUES ('1'), ('2'), ('1')) v(x)`, { conn });
    expect([...String(r.rows[0]![0])].sort().join('')).toBe('12');
  });

  it('try_parse_url gives NULL and parse_url INVALID_URL for what java.net.URI refuses', async () => {
    expect(await one(`try_parse_url('inva lid://spark.apache.org/path?query=1', 'QUERY', 'query')`)).toBe(null);
    await expect(one(`parse_url('inva lid://x/y', 'HOST')`)).rejects.toMatchObject({ code: 'INVALID_URL' });
    expect(await one(`parse_url(NULL, 'HOST')`)).toBe(null);
  });
});

describe('binary string predicates and random values', () => {
  it('startswith/endswith/contains on binary and on numbers', async () => {
    expect(await one(`startswith(X'537061726B', X'5370')`)).toBe(true);
    expect(await one(`endswith(X'537061726B', X'5370')`)).toBe(false);
    expect(await one(`contains(X'537061726B', X'6172')`)).toBe(true);
    expect(await one(`contains(12345, 34)`)).toBe(true);
    expect(await one(`startswith('Spark', 'Sp')`)).toBe(true);
  });

  it('uniform keeps integer bounds integral and within [min, max); randstr has the length asked', async () => {
    const r = await engine.execute(
      `SELECT uniform(10, 20, 0) AS u, typeof(uniform(10, 20)) AS t, length(randstr(5, 0)) AS l FROM range(50)`,
      { conn },
    );
    for (const [u, t, l] of r.rows) {
      expect(Number(u)).toBeGreaterThanOrEqual(10);
      expect(Number(u)).toBeLessThan(20);
      expect(t).toBe('int');
      expect(Number(l)).toBe(5);
    }
  });
});

describe('number formats', () => {
  it('to_char/to_varchar and to_number/try_to_number with $99.99-style formats', async () => {
    expect(await one(`to_char(78.12, '$99.99')`)).toBe('$78.12');
    expect(await one(`to_varchar(1234.5, '9,999.00')`)).toBe('1,234.50');
    expect(await one(`CAST(to_number('$78.12', '$99.99') AS VARCHAR)`)).toBe('78.12');
    expect(await one(`typeof(to_number('$78.12', '$99.99'))`)).toBe('decimal(4,2)');
    expect(await one(`try_to_number('abc', '$99.99')`)).toBe(null);
    expect(await one(`try_to_number('77', '$99.99')`)).toBe(null);
    await expect(one(`to_number('abc', '$99.99')`)).rejects.toMatchObject({ code: 'INVALID_FORMAT.MISMATCH_INPUT' });
  });
});

describe('array functions with Spark NULL and order semantics', () => {
  const s = (e: string) => one(`CAST(${e} AS VARCHAR)`);
  it('distinct/union/intersect/except keep NULL elements and first-occurrence order', async () => {
    expect(await s(`array_distinct(array(3, 1, NULL, 3, NULL, 2))`)).toBe('[3, 1, NULL, 2]');
    expect(await s(`array_union(array('b', 'a', NULL), array('c', 'a'))`)).toBe('[b, a, NULL, c]');
    expect(await s(`array_intersect(array('b', 'a', NULL), array(NULL, 'a'))`)).toBe('[a, NULL]');
    expect(await s(`array_except(array('b', 'a', NULL), array('a'))`)).toBe('[b, NULL]');
  });

  it('arrays_overlap is NULL without a common element when a NULL is present', async () => {
    expect(await one(`arrays_overlap(array(1, 2), array(2, 3))`)).toBe(true);
    expect(await one(`arrays_overlap(array(1, NULL), array(3))`)).toBe(null);
    expect(await one(`arrays_overlap(array(1), array(3))`)).toBe(false);
  });

  it('array_append/prepend of NULL is NULL; array_insert counts negative positions from the end', async () => {
    expect(await one(`array_append(CAST(NULL AS ARRAY<INT>), 4)`)).toBe(null);
    expect(await one(`array_prepend(CAST(NULL AS ARRAY<INT>), 4)`)).toBe(null);
    expect(await s(`array_insert(array('a', 'b', 'c'), -2, 'd')`)).toBe('[a, b, d, c]');
    expect(await s(`array_insert(array('a', 'b', 'c'), -1, 'd')`)).toBe('[a, b, c, d]');
    expect(await s(`array_insert(array('a', 'b', 'c'), 2, 'd')`)).toBe('[a, d, b, c]');
  });

  it('arrays_zip names fields after the columns; conv between bases; ceiling with a scale; any_value keeps NULL', async () => {
    const r = await engine.execute(
      `SELECT arrays_zip(nums, letters) AS z FROM (SELECT array(1, 2) AS nums, array('a', 'b') AS letters)`,
      {
        conn,
      },
    );
    expect(r.rows[0]![0]).toEqual([
      { nums: 1, letters: 'a' },
      { nums: 2, letters: 'b' },
    ]);
    expect(await one(`conv('010101', 2, 16)`)).toBe('15');
    expect(await one(`conv('ff', 16, 10)`)).toBe('255');
    expect(await one(`conv('100', 10, 8)`)).toBe('144');
    expect(Number(await one(`ceiling(-0.1, 1)`))).toBe(-0.1);
    const t = `(VALUES (1, NULL), (2, 'a')) v(i, x)`;
    expect(
      (await engine.execute(`SELECT any_value(x), any_value(x, true) FROM (SELECT * FROM ${t} ORDER BY i)`, { conn }))
        .rows,
    ).toEqual([[null, 'a']]);
  });
});

describe('NaN sign, format_number of integers, flatten with a NULL, EXTRACT(SECOND)', () => {
  it('follow Spark', async () => {
    expect(Number.isNaN(Number(await one(`sign(CAST('NaN' AS DOUBLE))`)))).toBe(true);
    expect(Number(await one(`signum(-5)`))).toBe(-1);
    expect(await one(`format_number(5, 4)`)).toBe('5.0000');
    expect(await one(`flatten(array(NULL, array(4, 5)))`)).toBe(null);
    expect(await one(`CAST(flatten(array(array(1), array(4, 5))) AS STRING)`)).toBe('[1, 4, 5]');
    expect(await one(`CAST(EXTRACT(SECOND FROM TIMESTAMP '2015-04-08 13:08:15.5') AS STRING)`)).toBe('15.500000');
    expect(Number(await one(`EXTRACT(MINUTE FROM TIMESTAMP '2015-04-08 13:08:15')`))).toBe(8);
  });
});

describe('split with a limit and indexed lambdas', () => {
  const s = (e: string) => one(`CAST(${e} AS STRING)`);
  it('split keeps the rest of the string in its last part', async () => {
    expect(await s(`split('oneAtwoBthreeC', '[ABC]', 2)`)).toBe('[one, twoBthreeC]');
    expect(await s(`split('oneAtwoBthreeC', '[ABC]', 1)`)).toBe('[oneAtwoBthreeC]');
    expect(await s(`split('oneAtwoBthreeC', '[ABC]', -1)`)).toBe("[one, two, three, '']");
  });

  it('transform/filter lambdas with an index count from 0', async () => {
    expect(await s(`transform(array(1, 2, 3, 4), (x, i) -> CASE WHEN i % 2 = 0 THEN x ELSE -x END)`)).toBe(
      '[1, -2, 3, -4]',
    );
    expect(await s(`filter(array(5, 6, 7), (x, i) -> i > 0)`)).toBe('[6, 7]');
    expect(await s(`transform(array(1, 2), x -> x + 1)`)).toBe('[2, 3]');
  });
});
