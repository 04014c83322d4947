import { describe, expect, it } from 'vitest';
import { LakeboxError } from '@lakebox/common';
import { RelationCompiler, exprSql, literalSql, splitName, withViews, type CompileEnv } from './plan.js';

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
      .relation({ rel_type: 'sample', sample: {} })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LakeboxError);
    expect(err).toMatchObject({ code: 'UNSUPPORTED_FEATURE', message: expect.stringContaining('relation sample') });
  });
});
