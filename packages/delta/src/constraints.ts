/**
 * Write-time enforcement of CHECK constraints (`delta.constraints.<name>` table properties), column
 * invariants (`delta.invariants` column metadata) and NOT NULL columns. The checks are folded into
 * the query that feeds the Parquet writer: a violating row makes DuckDB raise an error (`error()`),
 * so data streams through once and a failed write produces no files.
 */
import { LakeboxError } from '@lakebox/common';
import { sqlIdent, sqlString } from './duckdb.js';
import { isStruct, type StructField, type StructType } from './schema.js';
import { duckdbTypeName } from './types-duckdb.js';

export interface CheckConstraint {
  name: string;
  expression: string;
}

const MARK = '@@LAKEBOX@@';

/** CHECK constraints declared in a table's configuration. */
export function checkConstraints(conf: Record<string, string>): CheckConstraint[] {
  return Object.entries(conf)
    .filter(([k]) => k.toLowerCase().startsWith('delta.constraints.'))
    .map(([k, v]) => ({ name: k.slice('delta.constraints.'.length), expression: v }));
}

/** Column invariants (`delta.invariants` metadata: `{"expression":{"expression":"x > 3"}}`), as constraints. */
export function invariantConstraints(schema: StructType): CheckConstraint[] {
  const out: CheckConstraint[] = [];
  const walk = (fields: StructField[], prefix: string): void => {
    for (const f of fields) {
      const name = prefix ? `${prefix}.${f.name}` : f.name;
      const raw = f.metadata?.['delta.invariants'];
      if (typeof raw === 'string') {
        try {
          const parsed = JSON.parse(raw) as { expression?: { expression?: string } };
          const e = parsed.expression?.expression;
          if (e) out.push({ name: `EXPRESSION(${e})`, expression: e });
        } catch {
          throw new LakeboxError(
            'DELTA_INVALID_INVARIANT',
            `Column ${name} has an invalid delta.invariants value: ${raw}`,
          );
        }
      }
      if (isStruct(f.type)) walk(f.type.fields, name);
    }
  };
  walk(schema.fields, '');
  return out;
}

/**
 * Make a Spark SQL boolean expression usable in DuckDB: backtick identifiers become double-quoted.
 * (Spark functions DuckDB lacks are out of scope here; the SQL engine translates full expressions.)
 */
export function sparkExprToDuckDB(expr: string): string {
  let out = '';
  let i = 0;
  while (i < expr.length) {
    const ch = expr[i]!;
    if (ch === "'" || ch === '"') {
      // string literal: copy through (Spark allows "..." strings; DuckDB needs '...')
      let j = i + 1;
      let body = '';
      while (j < expr.length && expr[j] !== ch) {
        if (expr[j] === '\\' && j + 1 < expr.length) {
          body += expr[j + 1];
          j += 2;
          continue;
        }
        body += expr[j];
        j++;
      }
      out += sqlString(body);
      i = j + 1;
    } else if (ch === '`') {
      let j = i + 1;
      let id = '';
      while (j < expr.length) {
        if (expr[j] === '`') {
          if (expr[j + 1] === '`') {
            id += '`';
            j += 2;
            continue;
          }
          break;
        }
        id += expr[j];
        j++;
      }
      out += sqlIdent(id);
      i = j + 1;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

/** Column names (top level) an expression mentions. */
function referencedColumns(expr: string, schema: StructType): string[] {
  const lower = expr.toLowerCase();
  return schema.fields
    .map((f) => f.name)
    .filter((n) => {
      const re = new RegExp(
        `(^|[^A-Za-z0-9_])\`?${n.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\`?($|[^A-Za-z0-9_])`,
      );
      return re.test(lower);
    });
}

function raiseSql(code: string, messageSql: string): string {
  return `error(${sqlString(`${MARK}${code}${MARK}`)} || ${messageSql})`;
}

/** NOT NULL checks: top-level non-nullable columns, and non-nullable struct fields whose parent is present. */
function notNullChecks(schema: StructType, alias: string): string[] {
  const checks: string[] = [];
  const walk = (
    fields: StructField[],
    expr: (f: StructField) => string,
    prefix: string,
    guard: string | undefined,
  ): void => {
    for (const f of fields) {
      const e = expr(f);
      const name = prefix ? `${prefix}.${f.name}` : f.name;
      if (!f.nullable) {
        const cond = guard ? `(${guard}) IS NOT NULL AND ${e} IS NULL` : `${e} IS NULL`;
        checks.push(
          `WHEN ${cond} THEN ${raiseSql('DELTA_NOT_NULL_CONSTRAINT_VIOLATED', sqlString(`NOT NULL constraint violated for column: ${name}.`))}`,
        );
      }
      if (isStruct(f.type)) {
        const parent = e;
        walk(f.type.fields, (g) => `(${parent}).${sqlIdent(g.name)}`, name, parent);
      }
    }
  };
  walk(schema.fields, (f) => `${alias}.${sqlIdent(f.name)}`, '', undefined);
  return checks;
}

/**
 * Wrap `sourceSql` (columns named as the table's logical columns) so that reading it fails on the
 * first row violating a NOT NULL column, a CHECK constraint, an invariant or a generated column's
 * expression. As in Delta, a CHECK whose result is NULL is a violation too. Returns `sourceSql`
 * unchanged when there is nothing to check.
 */
export function withConstraintChecks(sourceSql: string, schema: StructType, conf: Record<string, string>): string {
  const alias = '__chk';
  const checks = notNullChecks(schema, alias);
  for (const c of [...checkConstraints(conf), ...invariantConstraints(schema)]) {
    const cols = referencedColumns(c.expression, schema);
    const values = cols.length
      ? cols
          .map((n) => `${sqlString(`\n - ${n} : `)} || coalesce(CAST(${alias}.${sqlIdent(n)} AS VARCHAR), 'null')`)
          .join(' || ')
      : "''";
    const prefix = sqlString(`CHECK constraint ${c.name} (${c.expression}) violated by row with values:`);
    checks.push(
      `WHEN (${sparkExprToDuckDB(c.expression)}) IS NOT TRUE THEN ${raiseSql('DELTA_VIOLATE_CONSTRAINT_WITH_VALUES', `${prefix} || ${values}`)}`,
    );
  }
  for (const g of generatedColumns(schema)) {
    const expr = sparkExprToDuckDB(g.expression);
    const values = [g.name, ...referencedColumns(g.expression, schema).filter((n) => n !== g.name)]
      .map((n) => `${sqlString(`\n - ${n} : `)} || coalesce(CAST(${alias}.${sqlIdent(n)} AS VARCHAR), 'null')`)
      .join(' || ');
    const prefix = sqlString(
      `CHECK constraint Generated Column (${g.name} <=> ${g.expression}) violated by row with values:`,
    );
    checks.push(
      `WHEN NOT (${alias}.${sqlIdent(g.name)} IS NOT DISTINCT FROM (${expr})) THEN ${raiseSql('DELTA_VIOLATE_CONSTRAINT_WITH_VALUES', `${prefix} || ${values}`)}`,
    );
  }
  if (checks.length === 0 || schema.fields.length === 0) return sourceSql;
  // The checks ride on the first column's value (a projection, evaluated after the source's own
  // filters and never pruned), so a violating row raises an error while the data streams through.
  const first = sqlIdent(schema.fields[0]!.name);
  return `SELECT * REPLACE (CASE ${checks.join(' ')} ELSE ${alias}.${first} END AS ${first}) FROM (${sourceSql}) AS ${alias}`;
}

/** Turn a DuckDB error raised by a constraint check into the LakeboxError it stands for (else return it unchanged). */
export function constraintError(e: unknown): unknown {
  const msg = e instanceof Error ? e.message : String(e);
  const i = msg.indexOf(MARK);
  if (i < 0) return e;
  const rest = msg.slice(i + MARK.length);
  const j = rest.indexOf(MARK);
  if (j < 0) return e;
  const code = rest.slice(0, j);
  const text = rest.slice(j + MARK.length);
  return new LakeboxError(code, text, { sqlState: code === 'DELTA_NOT_NULL_CONSTRAINT_VIOLATED' ? '23502' : '23001' });
}

/** Validate that a new CHECK constraint expression holds for existing rows (ALTER TABLE ADD CONSTRAINT). */
export function constraintViolationQuery(sourceSql: string, expression: string): string {
  return `SELECT count(*) AS n FROM (${sourceSql}) AS __c WHERE (${sparkExprToDuckDB(expression)}) IS NOT TRUE`;
}

/** Generated columns (`delta.generationExpression` column metadata, top level). */
export function generatedColumns(schema: StructType): { name: string; expression: string }[] {
  return schema.fields
    .filter((f) => typeof f.metadata?.['delta.generationExpression'] === 'string')
    .map((f) => ({ name: f.name, expression: f.metadata['delta.generationExpression'] as string }));
}

/**
 * Fill generated columns: those in `columns` (default all) get the value of their generation
 * expression, computed from the row's other columns.
 */
export function withGeneratedValues(sourceSql: string, schema: StructType, columns?: Set<string>): string {
  const gen = generatedColumns(schema).filter((g) => !columns || columns.has(g.name));
  if (gen.length === 0) return sourceSql;
  const repl = gen.map(
    (g) =>
      `CAST((${sparkExprToDuckDB(g.expression)}) AS ${duckdbTypeName(schema.fields.find((f) => f.name === g.name)!.type)}) AS ${sqlIdent(g.name)}`,
  );
  return `SELECT * REPLACE (${repl.join(', ')}) FROM (${sourceSql}) AS __gen`;
}
