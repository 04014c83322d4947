import { describe, expect, it } from 'vitest';
import { LakeboxError } from '@lakebox/common';
import {
  RelationCompiler,
  autoName,
  columnName,
  decimalText,
  exprSql,
  literalSql,
  splitName,
  withViews,
  type CompileEnv,
} from './plan.js';
import { clientName } from './types.js';

const col = (n: string, plan_id?: string) => ({
  expr_type: 'unresolved_attribute',
  unresolved_attribute: { unparsed_identifier: n, ...(plan_id ? { plan_id } : {}) },
});
const lit = (v: number) => ({ expr_type: 'literal', literal: { literal_type: 'integer', integer: v } });
const fn = (name: string, ...args: unknown[]) => ({
  expr_type: 'unresolved_function',
  unresolved_function: { function_name: name, arguments: args },
});
const table = (name: string, plan_id: string) => ({
  common: { plan_id },
  rel_type: 'read',
  read: { read_type: 'named_table', named_table: { unparsed_identifier: name } },
});
const noPlans = { planAlias: () => undefined };

function compiler(columns: Record<string, string[]> = {}) {
  const env: CompileEnv = {
    params: {},
    columns: async (sql) => columns[sql] ?? [],
  };
  return new RelationCompiler(env);
}

describe('Spark Connect expressions to Spark SQL', () => {
  it('renders literals with Spark types', () => {
    expect(literalSql({ literal_type: 'long', long: '5' })).toBe('5L');
    expect(literalSql({ literal_type: 'string', string: "it's \\ ok" })).toBe("'it\\'s \\\\ ok'");
    expect(literalSql({ literal_type: 'date', date: 19723 })).toBe("DATE'2024-01-01'");
    expect(literalSql({ literal_type: 'timestamp', timestamp: '1704067200000001' })).toBe(
      "TIMESTAMP'2024-01-01 00:00:00.000001'",
    );
    expect(literalSql({ literal_type: 'null', null: { kind: 'integer', integer: {} } })).toBe('CAST(NULL AS int)');
  });

  it('maps operators and special functions', () => {
    expect(exprSql(fn('==', col('a'), lit(1)), noPlans)).toBe('(`a` = 1)');
    expect(exprSql(fn('and', fn('>', col('a'), lit(1)), fn('isNull', col('b'))), noPlans)).toBe(
      '((`a` > 1) AND (`b` IS NULL))',
    );
    expect(exprSql(fn('in', col('a'), lit(1), lit(2)), noPlans)).toBe('(`a` IN (1, 2))');
    expect(exprSql(fn('when', fn('>', col('a'), lit(1)), lit(1), lit(0)), noPlans)).toBe(
      'CASE WHEN (`a` > 1) THEN 1 ELSE 0 END',
    );
    expect(exprSql(fn('upper', col('t.name')), noPlans)).toBe('upper(`t`.`name`)');
  });

  it('drops an alias inside an expression but keeps struct field names', () => {
    const key = { expr_type: 'alias', alias: { expr: fn('%', col('id'), lit(3)), name: ['key'] } };
    expect(exprSql(fn('*', key, lit(10)), noPlans)).toBe('((`id` % 3) * 10)');
    expect(exprSql(fn('struct', key), noPlans)).toContain('AS `key`');
  });

  it('adds the temporary views a query names as CTEs', () => {
    const views = new Map([
      ['v', 'SELECT 1 AS a'],
      ['w', 'SELECT 2 AS b'],
    ]);
    expect(withViews('SELECT * FROM v', views)).toBe('WITH `v` AS (SELECT 1 AS a) SELECT * FROM v');
    expect(withViews('WITH x AS (SELECT 3) SELECT * FROM x, `w`', views)).toBe(
      'WITH `w` AS (SELECT 2 AS b), x AS (SELECT 3) SELECT * FROM x, `w`',
    );
    expect(withViews('SELECT vv FROM t', views)).toBe('SELECT vv FROM t');
    expect(withViews('INSERT INTO t SELECT * FROM v', views)).toBe('INSERT INTO t SELECT * FROM v');
  });

  it('splits backticked multi-part names', () => {
    expect(splitName('`a.b`.c')).toEqual(['a.b', 'c']);
    expect(splitName('x.`y``z`')).toEqual(['x', 'y`z']);
  });
});

describe('Spark Connect relations to Spark SQL', () => {
  it('qualifies columns by the DataFrame they come from in joins', async () => {
    const rel = {
      rel_type: 'join',
      join: {
        left: table('a', '1'),
        right: table('b', '2'),
        join_type: 'JOIN_TYPE_LEFT_OUTER',
        join_condition: fn('==', col('id', '1'), col('id', '2')),
      },
    };
    expect(await compiler().relation(rel)).toBe(
      'SELECT * FROM (SELECT * FROM `a`) AS _p1 LEFT OUTER JOIN (SELECT * FROM `b`) AS _p2 ON (_p1.`id` = _p2.`id`)',
    );
  });

  it('names unaliased aggregates as Spark does', async () => {
    const rel = {
      rel_type: 'aggregate',
      aggregate: {
        input: table('t', '1'),
        group_type: 'GROUP_TYPE_GROUPBY',
        grouping_expressions: [col('k')],
        aggregate_expressions: [fn('sum', col('v'))],
      },
    };
    expect(await compiler().relation(rel)).toBe(
      'SELECT `k`, sum(`v`) AS `sum(v)` FROM (SELECT * FROM `t`) AS _p1 GROUP BY `k`',
    );
  });

  it('replaces a column in place with withColumn and appends new ones', async () => {
    const rel = {
      rel_type: 'with_columns',
      with_columns: {
        input: table('t', '1'),
        aliases: [
          { expr: lit(0), name: ['b'] },
          { expr: lit(1), name: ['c'] },
        ],
      },
    };
    expect(await compiler({ 'SELECT * FROM `t`': ['a', 'b'] }).relation(rel)).toBe(
      'SELECT `a`, 0 AS `b`, 1 AS `c` FROM (SELECT * FROM `t`) AS _p1',
    );
  });

  it('names what it does not support', async () => {
    const err = await compiler()
      .relation({ rel_type: 'map_partitions', map_partitions: {} })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LakeboxError);
    expect(err).toMatchObject({
      code: 'UNSUPPORTED_FEATURE',
      message: expect.stringContaining('relation map_partitions'),
    });
    const expr = await compiler()
      .relation({
        rel_type: 'project',
        project: { expressions: [{ expr_type: 'common_inline_user_defined_function' }] },
      })
      .catch((e: unknown) => e);
    expect(expr).toMatchObject({
      code: 'UNSUPPORTED_FEATURE',
      message: expect.stringContaining('expression common_inline_user_defined_function'),
    });
  });
});

function typed(schemas: Record<string, [string, string][]>, rows: Record<string, unknown[][]> = {}) {
  const env: CompileEnv = {
    params: {},
    columns: async (sql) => (schemas[sql] ?? []).map(([n]) => n),
    schema: async (sql) => (schemas[sql] ?? []).map(([name, type]) => ({ name, type })),
    rows: async (sql) => rows[sql] ?? [],
  };
  return new RelationCompiler(env);
}
const T = 'SELECT * FROM `t`';
const strLit = (s: string) => ({ literal_type: 'string', string: s });

describe('Spark Connect relations beyond projections', () => {
  const schema = {
    [T]: [
      ['k', 'string'],
      ['v', 'double'],
      ['n', 'int'],
    ] as [string, string][],
  };

  it('fills, drops and replaces nulls by column type (na functions)', async () => {
    const fill = await typed(schema).relation({
      rel_type: 'fill_na',
      fill_na: { input: table('t', '1'), values: [{ literal_type: 'integer', integer: 0 }] },
    });
    expect(fill).toBe(
      'SELECT `k`, coalesce(nanvl(`v`, NULL), CAST(0 AS double)) AS `v`, coalesce(`n`, CAST(0 AS int)) AS `n` FROM (SELECT * FROM `t`) AS _p1',
    );
    const drop = await typed(schema).relation({
      rel_type: 'drop_na',
      drop_na: { input: table('t', '1'), cols: ['k', 'n'], min_non_nulls: 1 },
    });
    expect(drop).toContain(
      'WHERE (CASE WHEN `k` IS NOT NULL THEN 1 ELSE 0 END + CASE WHEN `n` IS NOT NULL THEN 1 ELSE 0 END) >= 1',
    );
    const rep = await typed(schema).relation({
      rel_type: 'replace',
      replace: { input: table('t', '1'), replacements: [{ old_value: strLit('a'), new_value: strLit('b') }] },
    });
    expect(rep).toContain("CASE WHEN `k` = 'a' THEN CAST('b' AS string) ELSE `k` END AS `k`, `v`, `n`");
  });

  it('unions by name, adding missing columns as NULL when allowed', async () => {
    const other = {
      common: { plan_id: '2' },
      rel_type: 'read',
      read: { read_type: 'named_table', named_table: { unparsed_identifier: 'u' } },
    };
    const c = typed({
      ...schema,
      'SELECT * FROM `u`': [
        ['n', 'int'],
        ['extra', 'bigint'],
      ],
    });
    const sql = await c.relation({
      rel_type: 'set_op',
      set_op: {
        left_input: table('t', '1'),
        right_input: other,
        set_op_type: 'SET_OP_TYPE_UNION',
        is_all: true,
        by_name: true,
        allow_missing_columns: true,
      },
    });
    expect(sql).toBe(
      'SELECT `k`, `v`, `n`, CAST(NULL AS bigint) AS `extra` FROM (SELECT * FROM `t`) AS _p1 UNION ALL ' +
        'SELECT CAST(NULL AS string) AS `k`, CAST(NULL AS double) AS `v`, `n`, `extra` FROM (SELECT * FROM `u`) AS _p2',
    );
    const strict = await typed({ ...schema, 'SELECT * FROM `u`': [['extra', 'bigint']] })
      .relation({
        rel_type: 'set_op',
        set_op: { left_input: table('t', '1'), right_input: other, set_op_type: 'SET_OP_TYPE_UNION', by_name: true },
      })
      .catch((e: unknown) => e);
    expect(strict).toBeInstanceOf(LakeboxError);
  });

  it('keeps the first row per key for dropDuplicates(subset) and accepts hints and repartition', async () => {
    const sql = await typed(schema).relation({
      rel_type: 'deduplicate',
      deduplicate: { input: table('t', '1'), column_names: ['K'] },
    });
    expect(sql).toContain('row_number() OVER (PARTITION BY `k` ORDER BY 1) AS __lbx_rn');
    expect(sql).toMatch(/^SELECT `k`, `v`, `n` FROM/);
    const hint = await typed(schema).relation({
      rel_type: 'hint',
      hint: { input: table('t', '1'), name: 'broadcast' },
    });
    expect(hint).toBe('SELECT * FROM (SELECT * FROM `t`) AS _p1');
    const rep = await typed(schema).relation({
      rel_type: 'repartition',
      repartition: { input: table('t', '1'), num_partitions: 4 },
    });
    expect(rep).toBe('SELECT * FROM (SELECT * FROM `t`) AS _p1');
  });

  it('pivots with the distinct values it queries, and crosstabs', async () => {
    const rows = { 'SELECT DISTINCT `k` AS v FROM (SELECT * FROM `t`) AS _p1 ORDER BY v NULLS FIRST': [['a'], ['b']] };
    const sql = await typed(schema, rows).relation({
      rel_type: 'aggregate',
      aggregate: {
        input: table('t', '1'),
        group_type: 'GROUP_TYPE_PIVOT',
        grouping_expressions: [col('n')],
        aggregate_expressions: [fn('sum', col('v'))],
        pivot: { col: col('k'), values: [] },
      },
    });
    expect(sql).toBe(
      "SELECT `n`, sum(`v`) FILTER (WHERE `k` = 'a') AS `a`, sum(`v`) FILTER (WHERE `k` = 'b') AS `b` FROM (SELECT * FROM `t`) AS _p1 GROUP BY `n`",
    );
  });

  it('unpivots in Spark row order and casts to a schema', async () => {
    const sql = await typed(schema).relation({
      rel_type: 'unpivot',
      unpivot: { input: table('t', '1'), ids: [col('k')], variable_column_name: 'var', value_column_name: 'val' },
    });
    expect(sql).toContain("SELECT `k` AS `k`, 'v' AS `var`, `v` AS `val`, __lbx_rn, 0 AS __lbx_k");
    expect(sql).toContain('ORDER BY __lbx_rn, __lbx_k');
    const to = await typed(schema).relation({
      rel_type: 'to_schema',
      to_schema: {
        input: table('t', '1'),
        schema: { struct: { fields: [{ name: 'n', data_type: { kind: 'long', long: {} } }] } },
      },
    });
    expect(to).toBe('SELECT CAST(`n` AS bigint) AS `n` FROM (SELECT * FROM `t`) AS _p1');
  });
});

describe('joins under a select', () => {
  it('keep the joined relations and their aliases visible (df.alias, df1.col)', async () => {
    const aliased = (name: string, id: string, inner: unknown) => ({
      common: { plan_id: id },
      rel_type: 'subquery_alias',
      subquery_alias: { alias: name, input: inner },
    });
    const join = {
      common: { plan_id: '9' },
      rel_type: 'join',
      join: {
        left: aliased('a', '3', table('t', '1')),
        right: table('u', '2'),
        join_type: 'JOIN_TYPE_INNER',
        join_condition: fn('==', col('a.k'), col('k', '2')),
      },
    };
    const sql = await compiler().relation({
      rel_type: 'project',
      project: { input: join, expressions: [col('a.k'), col('v', '2')] },
    });
    expect(sql).toBe(
      'SELECT `a`.`k`, _p2.`v` FROM (SELECT * FROM (SELECT * FROM `t`) AS `a`) AS `a` INNER JOIN (SELECT * FROM `u`) AS _p2 ON (`a`.`k` = _p2.`k`)',
    );
  });

  it('reads global_temp.v from the session views', () => {
    expect(withViews('SELECT * FROM global_temp.v', new Map([['v', 'SELECT 1 AS a']]))).toBe(
      'WITH `v` AS (SELECT 1 AS a) SELECT * FROM `v`',
    );
  });
});

describe('colRegex', () => {
  it('selects the input columns whose names match a Java regex', async () => {
    const c = typed({
      'SELECT * FROM (SELECT * FROM `t`) AS _p1': [
        ['Col1', 'int'],
        ['Col2', 'int'],
        ['a', 'int'],
      ],
    });
    const sql = await c.relation({
      rel_type: 'project',
      project: {
        input: table('t', '1'),
        expressions: [{ expr_type: 'unresolved_regex', unresolved_regex: { col_name: '`(Col1)?+.+`' } }],
      },
    });
    expect(sql).toBe('SELECT `Col2`, `a` FROM (SELECT * FROM `t`) AS _p1');
  });
});

describe('column names of unaliased expressions (as Apache Spark 4.0.1 names them)', () => {
  const str = (v: string) => ({ expr_type: 'literal', literal: { literal_type: 'string', string: v } });
  const cast = (e: unknown, t: string) => ({ expr_type: 'cast', cast: { expr: e, type_str: t } });
  const alias = (e: unknown, n: string) => ({ expr_type: 'alias', alias: { expr: e, name: [n] } });
  const lvar = (n: string) => ({
    expr_type: 'unresolved_named_lambda_variable',
    unresolved_named_lambda_variable: { name_parts: [n] },
  });
  const lambda = (body: unknown, ...vars: string[]) => ({
    expr_type: 'lambda_function',
    lambda_function: { function: body, arguments: vars.map((v) => lvar(v).unresolved_named_lambda_variable) },
  });

  it('names unary operators and functions by their registered lower-case names', () => {
    expect(autoName(fn('negative', col('i')))).toBe('negative(i)');
    expect(autoName(fn('-', col('i')))).toBe('negative(i)');
    expect(autoName(fn('positive', col('i')))).toBe('(+ i)');
    expect(autoName(fn('~', col('i')))).toBe('~i');
    expect(autoName(fn('startsWith', col('s'), str('H')))).toBe('startswith(s, H)');
    expect(autoName(fn('isNaN', col('d')))).toBe('isnan(d)');
    expect(autoName(fn('sqrt', col('d')))).toBe('SQRT(d)');
    expect(autoName(fn('log', col('d')))).toBe('ln(d)');
  });

  it('shows the arguments Spark fills in', () => {
    expect(autoName(fn('regexp_replace', col('s'), str('l+'), str('#')))).toBe('regexp_replace(s, l+, #, 1)');
    expect(autoName(fn('locate', str('a'), col('s')))).toBe('locate(a, s, 1)');
    expect(autoName(fn('array_sort', col('arr')))).toMatch(/^array_sort\(arr, lambdafunction\(\(IF\(/);
  });

  it('names CASE, IN, LIKE, struct arguments and lambdas', () => {
    expect(autoName(fn('when', fn('isNull', col('x')), lit(1), lit(0)))).toBe(
      'CASE WHEN (x IS NULL) THEN 1 ELSE 0 END',
    );
    expect(autoName(fn('in', col('s'), str('a'), str('b')))).toBe('(s IN (a, b))');
    expect(autoName(fn('like', col('s'), str('%o%')))).toBe('s LIKE %o%');
    expect(autoName(fn('rlike', col('s'), str('^H')))).toBe('RLIKE(s, ^H)');
    expect(autoName(fn('struct', alias(lit(1), 'x'), col('b')))).toBe('struct(1 AS x, b)');
    expect(autoName(fn('transform', col('arr'), lambda(fn('*', lvar('x'), lit(2)), 'x')))).toBe(
      'transform(arr, lambdafunction((namedlambdavariable() * 2), namedlambdavariable()))',
    );
    expect(autoName(fn('explode', col('arr')))).toBe('col');
  });

  it('keeps a column name through a cast at the top of a select item only', () => {
    expect(columnName(cast(col('i'), 'string'))).toBe('i');
    expect(columnName(cast(fn('+', col('i'), lit(1)), 'string'))).toBe('CAST((i + 1) AS STRING)');
    expect(columnName(cast(cast(col('i'), 'int'), 'string'))).toBe('CAST(CAST(i AS INT) AS STRING)');
    expect(columnName(cast(col('i'), 'decimal(12,3)'))).toBe('i');
  });

  it('names decimal, date and timestamp literals as Spark prints them', () => {
    const l = (literal: unknown) => autoName({ expr_type: 'literal', literal });
    expect(l({ literal_type: 'decimal', decimal: { value: '1.50', precision: 3, scale: 2 } })).toBe('1.50');
    expect(l({ literal_type: 'date', date: 19782 })).toBe("DATE '2024-02-29'");
    expect(l({ literal_type: 'timestamp', timestamp: '1709168523000000' })).toBe("TIMESTAMP '2024-02-29 01:02:03'");
    expect(l({ literal_type: 'timestamp', timestamp: '1709168523005000' })).toBe("TIMESTAMP '2024-02-29 01:02:03.005'");
  });

  it('places the point of a decimal Arrow hands over unscaled', () => {
    const unscaled = (s: string) => ({ toString: () => s });
    expect(decimalText(unscaled('1234'), 'decimal(10,2)')).toBe('12.34');
    expect(decimalText(unscaled('-550'), 'decimal(10,2)')).toBe('-5.50');
    expect(decimalText(unscaled('5'), 'decimal(10,3)')).toBe('0.005');
    expect(decimalText(unscaled('7'), 'decimal(10,0)')).toBe('7');
    expect(decimalText('1.5', 'decimal(10,2)')).toBe('1.5');
  });

  it('marks a repeated name in a select list, and the client sees it unmarked', async () => {
    const sql = await compiler().relation({
      rel_type: 'project',
      project: { input: table('t', '1'), expressions: [fn('ln', col('x')), fn('log', col('x')), col('x'), col('x')] },
    });
    expect(sql).toContain('AS `ln(x)`');
    expect(sql).toContain('AS `ln(x)__lbx_dup_1`');
    expect(sql).toContain('AS `x__lbx_dup_1`');
    expect(clientName('ln(x)__lbx_dup_1')).toBe('ln(x)');
    expect(clientName('x_1')).toBe('x_1');
  });

  it('puts the USING columns of a join first, as Spark does', async () => {
    const sql = await compiler().relation({
      rel_type: 'join',
      join: { left: table('e', '1'), right: table('d', '2'), using_columns: ['dept'], join_type: 'JOIN_TYPE_INNER' },
    });
    expect(sql).toMatch(/^SELECT `dept`, \* EXCEPT \(`dept`\) FROM /);
  });

  it('groups by an aliased key, fills in grouping_id() and types grouping() as TINYINT', async () => {
    const key = { expr_type: 'alias', alias: { expr: fn('/', col('age'), lit(10)), name: ['decade'] } };
    const sql = await compiler().relation({
      rel_type: 'aggregate',
      aggregate: {
        input: table('e', '1'),
        group_type: 'GROUP_TYPE_CUBE',
        grouping_expressions: [key],
        aggregate_expressions: [fn('grouping_id'), fn('grouping', col('age'))],
      },
    });
    expect(sql).toContain('GROUP BY CUBE((`age` / 10))');
    expect(sql).toContain('(`age` / 10) AS `decade`');
    expect(sql).toContain('grouping_id((`age` / 10)) AS `grouping_id()`');
    expect(sql).toContain('CASE WHEN grouping(`age`) = 1 THEN 1Y ELSE 0Y END AS `grouping(age)`');
  });

  it('writes SOME/EVERY as bool_or/bool_and and nth_value ignoreNulls as IGNORE NULLS', () => {
    expect(exprSql(fn('some', col('b')), noPlans)).toBe('bool_or(`b`)');
    expect(exprSql(fn('every', col('b')), noPlans)).toBe('bool_and(`b`)');
    expect(exprSql(fn('count_if', col('b')), noPlans)).toBe('count(CASE WHEN `b` THEN 1 END)');
    const f = { expr_type: 'literal', literal: { literal_type: 'boolean', boolean: false } };
    const t = { expr_type: 'literal', literal: { literal_type: 'boolean', boolean: true } };
    expect(exprSql(fn('nth_value', col('x'), lit(2), f), noPlans)).toBe('nth_value(`x`, 2)');
    expect(exprSql(fn('nth_value', col('x'), lit(2), t), noPlans)).toBe('nth_value(`x`, 2) IGNORE NULLS');
  });

  it('types a decimal literal by its digits, widened to what the client sends', () => {
    const dec = (value: string) => literalSql({ literal_type: 'decimal', decimal: { value, precision: 10, scale: 0 } });
    expect(dec('1.50')).toBe("CAST('1.50' AS DECIMAL(10,2))");
    expect(dec('-0.001')).toBe("CAST('-0.001' AS DECIMAL(10,3))");
    expect(dec('123456789.123')).toBe("CAST('123456789.123' AS DECIMAL(12,3))");
  });

  it('writes extract(field, x) as Spark SQL extract(FIELD FROM x), an INT but for seconds', () => {
    const field = (v: string) => ({ expr_type: 'literal', literal: { literal_type: 'string', string: v } });
    expect(exprSql(fn('extract', field('YEAR'), col('ts')), noPlans)).toBe('CAST(extract(YEAR FROM `ts`) AS INT)');
    expect(exprSql(fn('extract', field('SECOND'), col('ts')), noPlans)).toBe('extract(SECOND FROM `ts`)');
    expect(autoName(fn('extract', field('YEAR'), col('ts')))).toBe('extract(YEAR FROM ts)');
  });

  it('names windows with the frame Spark resolves them to', () => {
    const order = (c: string, desc = false) => ({
      child: col(c),
      direction: desc ? 'SORT_DIRECTION_DESCENDING' : 'SORT_DIRECTION_ASCENDING',
    });
    const over = (f: unknown, w: Record<string, unknown>) => ({
      expr_type: 'window',
      window: { window_function: f, ...w },
    });
    expect(autoName(over(fn('rank'), { order_spec: [order('age')] }))).toBe(
      'RANK() OVER (ORDER BY age ASC NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)',
    );
    expect(autoName(over(fn('sum', col('age')), { partition_spec: [col('dept')] }))).toBe(
      'sum(age) OVER (PARTITION BY dept ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)',
    );
    expect(autoName(over(fn('sum', col('age')), { order_spec: [order('age', true)] }))).toBe(
      'sum(age) OVER (ORDER BY age DESC NULLS LAST RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)',
    );
    expect(autoName(over(fn('lag', col('age'), lit(2)), { order_spec: [order('age')] }))).toBe(
      'lag(age, 2, NULL) OVER (ORDER BY age ASC NULLS FIRST ROWS BETWEEN -2 FOLLOWING AND -2 FOLLOWING)',
    );
    const frame = {
      frame_type: 'FRAME_TYPE_ROW',
      lower: { value: lit(-1) },
      upper: { unbounded: true },
    };
    expect(autoName(over(fn('max', col('age')), { order_spec: [order('age')], frame_spec: frame }))).toBe(
      'max(age) OVER (ORDER BY age ASC NULLS FIRST ROWS BETWEEN -1 FOLLOWING AND UNBOUNDED FOLLOWING)',
    );
  });

  it('names sort orders, struct fields, array items and the functions Spark prints differently', () => {
    const extract = (c: unknown, k: unknown) => ({
      expr_type: 'unresolved_extract_value',
      unresolved_extract_value: { child: c, extraction: k },
    });
    const str = (v: string) => ({ expr_type: 'literal', literal: { literal_type: 'string', string: v } });
    expect(
      autoName({ expr_type: 'sort_order', sort_order: { child: col('n'), direction: 'SORT_DIRECTION_DESCENDING' } }),
    ).toBe('n DESC NULLS LAST');
    expect(autoName(extract(col('st'), str('x')))).toBe('st.x');
    expect(autoName(extract(col('arr'), lit(0)))).toBe('arr[0]');
    expect(autoName(fn('round', col('d')))).toBe('round(d, 0)');
    expect(autoName(fn('ceil', col('d'), lit(1)))).toBe('ceil(d, 1)');
    expect(autoName(fn('dateadd', col('dt'), lit(1)))).toBe('date_add(dt, 1)');
    const no = { expr_type: 'literal', literal: { literal_type: 'boolean', boolean: false } };
    expect(autoName(fn('first', col('x'), no))).toBe('first(x)');
  });

  it('names c["k"] c[k] when the input says c is a map', async () => {
    const env: CompileEnv = {
      params: {},
      columns: async () => ['m', 'st'],
      schema: async () => [
        { name: 'm', type: 'map<string,int>' },
        { name: 'st', type: 'struct<k:int>' },
      ],
    };
    const key = (c: string) => ({
      expr_type: 'unresolved_extract_value',
      unresolved_extract_value: {
        child: col(c),
        extraction: { expr_type: 'literal', literal: { literal_type: 'string', string: 'k' } },
      },
    });
    const sql = await new RelationCompiler(env).relation({
      rel_type: 'project',
      project: { input: table('t', '1'), expressions: [key('m'), key('st')] },
    });
    expect(sql).toContain('AS `m[k]`');
    expect(sql).toContain('AS `st.k`');
  });

  it('rebuilds a struct for withField/dropFields from the input struct type', async () => {
    const env: CompileEnv = {
      params: {},
      columns: async () => ['st'],
      schema: async () => [{ name: 'st', type: 'struct<x:int,y:string>' }],
    };
    const upd = (value?: unknown) => ({
      expr_type: 'update_fields',
      update_fields: { struct_expression: col('st'), field_name: 'y', ...(value ? { value_expression: value } : {}) },
    });
    const sql = await new RelationCompiler(env).relation({
      rel_type: 'project',
      project: { input: table('t', '1'), expressions: [upd(lit(1)), upd()] },
    });
    expect(sql).toContain(
      "CASE WHEN `st` IS NULL THEN NULL ELSE named_struct('x', `st`.`x`, 'y', 1) END AS `update_fields(st, WithField(1))`",
    );
    expect(sql).toContain("named_struct('x', `st`.`x`) END AS `update_fields(st, dropfield())`");
  });
});
