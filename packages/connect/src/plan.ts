import { tableFromIPC } from 'apache-arrow';
import { LakeboxError } from '@lakebox/common';
import { sparkTypeOfArrow } from './types.js';

type Msg = any;

export function unsupported(what: string): LakeboxError {
  return new LakeboxError('UNSUPPORTED_FEATURE', `Spark Connect ${what} is not supported by Lakebox yet`, {
    sqlState: '0A000',
  });
}

/** Entries of a protobuf map field (a descriptor-set loader yields the repeated entry messages). */
export function mapEntries(m: unknown): [string, Msg][] {
  if (!m) return [];
  if (Array.isArray(m)) return m.map((e: Msg) => [String(e.key), e.value]);
  return Object.entries(m as Record<string, Msg>);
}

/** Quote one identifier part with backticks. */
export function quoteIdent(s: string): string {
  return '`' + s.replaceAll('`', '``') + '`';
}

/** Split a Spark multi-part name (`a.b`, `` `x.y`.z ``) into parts. */
export function splitName(s: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let inQ = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '`') {
      if (inQ && s[i + 1] === '`') {
        cur += '`';
        i++;
      } else inQ = !inQ;
    } else if (c === '.' && !inQ) {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  return parts;
}

export function quoteName(s: string): string {
  return splitName(s).map(quoteIdent).join('.');
}

export function stringLit(s: string): string {
  return "'" + s.replaceAll('\\', '\\\\').replaceAll("'", "\\'") + "'";
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
function isoDate(days: number): string {
  const d = new Date(days * 86_400_000);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}
function isoTimestamp(micros: bigint): string {
  const ms = Number(micros / 1000n);
  const frac = ((micros % 1_000_000n) + 1_000_000n) % 1_000_000n;
  const d = new Date(ms);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${String(frac).padStart(6, '0')}`
  );
}

/** Spark type name of a DataType proto (for casts and typed nulls). */
export function typeName(dt: Msg): string {
  const k = dt?.kind;
  switch (k) {
    case 'null':
      return 'void';
    case 'boolean':
    case 'binary':
    case 'string':
    case 'date':
    case 'timestamp':
    case 'float':
    case 'double':
      return k;
    case 'timestamp_ntz':
      return 'timestamp_ntz';
    case 'byte':
      return 'tinyint';
    case 'short':
      return 'smallint';
    case 'integer':
      return 'int';
    case 'long':
      return 'bigint';
    case 'decimal':
      return `decimal(${dt.decimal.precision ?? 10},${dt.decimal.scale ?? 0})`;
    case 'array':
      return `array<${typeName(dt.array.element_type)}>`;
    case 'map':
      return `map<${typeName(dt.map.key_type)},${typeName(dt.map.value_type)}>`;
    case 'struct':
      return `struct<${(dt.struct.fields ?? []).map((f: Msg) => `${quoteIdent(f.name)}:${typeName(f.data_type)}`).join(',')}>`;
    case 'unparsed':
      return dt.unparsed.data_type_string;
    default:
      throw unsupported(`data type ${k}`);
  }
}

/** A literal as Spark SQL text. */
export function literalSql(l: Msg): string {
  switch (l.literal_type) {
    case 'null':
      return l.null?.kind && l.null.kind !== 'null' ? `CAST(NULL AS ${typeName(l.null)})` : 'NULL';
    case 'boolean':
      return l.boolean ? 'true' : 'false';
    case 'byte':
      return `${l.byte}Y`;
    case 'short':
      return `${l.short}S`;
    case 'integer':
      return String(l.integer);
    case 'long':
      return `${l.long}L`;
    case 'float':
      return Number.isFinite(l.float) ? `CAST(${l.float} AS FLOAT)` : `CAST('${l.float}' AS FLOAT)`;
    case 'double':
      return Number.isFinite(l.double) ? `${l.double}D` : `CAST('${l.double}' AS DOUBLE)`;
    case 'decimal': {
      const d = l.decimal;
      const t = d.precision !== undefined ? ` AS DECIMAL(${d.precision},${d.scale ?? 0})` : ' AS DECIMAL(38,18)';
      return `CAST(${stringLit(d.value)}${t})`;
    }
    case 'string':
      return stringLit(l.string);
    case 'binary':
      return `X'${Buffer.from(l.binary).toString('hex')}'`;
    case 'date':
      return `DATE'${isoDate(l.date)}'`;
    case 'timestamp':
      return `TIMESTAMP'${isoTimestamp(BigInt(l.timestamp))}'`;
    case 'timestamp_ntz':
      return `TIMESTAMP_NTZ'${isoTimestamp(BigInt(l.timestamp_ntz))}'`;
    case 'array':
      return `array(${(l.array.elements ?? []).map(literalSql).join(', ')})`;
    default:
      throw unsupported(`literal of type ${l.literal_type}`);
  }
}

const BINARY: Record<string, string> = {
  '==': '=',
  '<=>': '<=>',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
  '+': '+',
  '-': '-',
  '*': '*',
  '/': '/',
  '%': '%',
  and: 'AND',
  or: 'OR',
  '&': '&',
  '|': '|',
  '^': '^',
  like: 'LIKE',
  ilike: 'ILIKE',
  rlike: 'RLIKE',
};

/**
 * A query that names temporary views gets them as common table expressions (a CTE shadows a
 * table of the same name, as a temporary view does in Spark).
 */
export function withViews(query: string, views: Map<string, string> | undefined): string {
  if (!views?.size) return query;
  const used = [...views].filter(([name]) =>
    new RegExp(`(^|\\W)${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|\\W)`, 'i').test(query),
  );
  if (!used.length) return query;
  const ctes = used.map(([name, sql]) => `${quoteIdent(name)} AS (${sql})`).join(', ');
  const m = /^\s*WITH\s+(RECURSIVE\s+)?/i.exec(query);
  if (m) return `WITH ${m[1] ?? ''}${ctes}, ${query.slice(m[0].length)}`;
  if (!/^\s*(SELECT|FROM|VALUES|TABLE|\()/i.test(query)) return query;
  return `WITH ${ctes} ${query}`;
}

export interface Compiler {
  /** Alias under which the relation with this plan id is visible, if any. */
  planAlias(planId: string | undefined): string | undefined;
}

/** An expression as Spark SQL text. */
export function exprSql(e: Msg, c: Compiler): string {
  switch (e.expr_type) {
    case 'literal':
      return literalSql(e.literal);
    case 'unresolved_attribute': {
      const a = e.unresolved_attribute;
      const name = a.unparsed_identifier as string;
      const alias = c.planAlias(a.plan_id);
      if (name === '*') return alias ? `${alias}.*` : '*';
      return alias ? `${alias}.${quoteName(name)}` : quoteName(name);
    }
    case 'unresolved_star': {
      const t = e.unresolved_star.unparsed_target as string | undefined;
      const alias = c.planAlias(e.unresolved_star.plan_id);
      if (alias) return `${alias}.*`;
      return t ? `${quoteName(t.replace(/\.\*$/, ''))}.*` : '*';
    }
    case 'expression_string':
      return `(${e.expression_string.expression})`;
    case 'alias': {
      const names: string[] = e.alias.name ?? [];
      const inner = exprSql(e.alias.expr, c);
      if (names.length === 1) return `${inner} AS ${quoteIdent(names[0]!)}`;
      return `${inner} AS (${names.map(quoteIdent).join(', ')})`;
    }
    case 'cast': {
      const t = e.cast.type ? typeName(e.cast.type) : e.cast.type_str;
      const fn = e.cast.eval_mode === 'EVAL_MODE_TRY' ? 'TRY_CAST' : 'CAST';
      return `${fn}(${exprSql(e.cast.expr, c)} AS ${t})`;
    }
    case 'sort_order': {
      const s = e.sort_order;
      const dir = s.direction === 'SORT_DIRECTION_DESCENDING' ? ' DESC' : ' ASC';
      const nulls =
        s.null_ordering === 'SORT_NULLS_FIRST'
          ? ' NULLS FIRST'
          : s.null_ordering === 'SORT_NULLS_LAST'
            ? ' NULLS LAST'
            : '';
      return `${exprSql(s.child, c)}${dir}${nulls}`;
    }
    case 'unresolved_function':
      return functionSql(e.unresolved_function, c);
    case 'unresolved_extract_value': {
      const x = e.unresolved_extract_value;
      const ex = x.extraction;
      if (ex.expr_type === 'literal' && ex.literal.literal_type === 'string')
        return `${exprSql(x.child, c)}.${quoteIdent(ex.literal.string)}`;
      return `${exprSql(x.child, c)}[${exprSql(ex, c)}]`;
    }
    case 'lambda_function': {
      const l = e.lambda_function;
      const vars = (l.arguments ?? []).map((v: Msg) => quoteIdent(v.name_parts.join('.')));
      return `(${vars.join(', ')}) -> ${exprSql(l.function, c)}`;
    }
    case 'window':
      return windowSql(e.window, c);
    case 'unresolved_named_lambda_variable':
      return quoteIdent(e.unresolved_named_lambda_variable.name_parts.join('.'));
    default:
      throw unsupported(`expression ${e.expr_type}`);
  }
}

function boundarySql(b: Msg, lower: boolean, c: Compiler): string {
  if (!b || b.current_row) return 'CURRENT ROW';
  if (b.unbounded) return lower ? 'UNBOUNDED PRECEDING' : 'UNBOUNDED FOLLOWING';
  const v = b.value;
  if (v?.expr_type === 'literal') {
    const n = Number(v.literal[v.literal.literal_type]);
    if (n === 0) return 'CURRENT ROW';
    return n < 0 ? `${-n} PRECEDING` : `${n} FOLLOWING`;
  }
  return `${exprSql(v, c)} ${lower ? 'PRECEDING' : 'FOLLOWING'}`;
}

function windowSql(w: Msg, c: Compiler): string {
  const parts: string[] = [];
  if ((w.partition_spec ?? []).length)
    parts.push(`PARTITION BY ${w.partition_spec.map((e: Msg) => exprSql(e, c)).join(', ')}`);
  if ((w.order_spec ?? []).length)
    parts.push(
      `ORDER BY ${w.order_spec.map((o: Msg) => exprSql({ expr_type: 'sort_order', sort_order: o }, c)).join(', ')}`,
    );
  const f = w.frame_spec;
  if (f && f.frame_type && f.frame_type !== 'FRAME_TYPE_UNDEFINED') {
    const kind = f.frame_type === 'FRAME_TYPE_ROW' ? 'ROWS' : 'RANGE';
    parts.push(`${kind} BETWEEN ${boundarySql(f.lower, true, c)} AND ${boundarySql(f.upper, false, c)}`);
  }
  return `${exprSql(w.window_function, c)} OVER (${parts.join(' ')})`;
}

function functionSql(f: Msg, c: Compiler): string {
  const name = f.function_name as string;
  const args: string[] = (f.arguments ?? []).map((a: Msg) => exprSql(a, c));
  const lower = name.toLowerCase();
  if (BINARY[lower] && args.length === 2) return `(${args[0]} ${BINARY[lower]} ${args[1]})`;
  if (BINARY[name] && args.length === 2) return `(${args[0]} ${BINARY[name]} ${args[1]})`;
  switch (lower) {
    case '!':
    case 'not':
      return `(NOT ${args[0]})`;
    case 'negative':
      return `(- ${args[0]})`;
    case '-':
      if (args.length === 1) return `(- ${args[0]})`;
      break;
    case 'isnull':
      return `(${args[0]} IS NULL)`;
    case 'isnotnull':
      return `(${args[0]} IS NOT NULL)`;
    case 'in':
      return `(${args[0]} IN (${args.slice(1).join(', ')}))`;
    case 'when': {
      let s = 'CASE';
      for (let i = 0; i + 1 < args.length; i += 2) s += ` WHEN ${args[i]} THEN ${args[i + 1]}`;
      if (args.length % 2 === 1) s += ` ELSE ${args[args.length - 1]}`;
      return s + ' END';
    }
    case 'startswith':
    case 'endswith':
    case 'contains':
      return `${lower}(${args.join(', ')})`;
  }
  const distinct = f.is_distinct ? 'DISTINCT ' : '';
  const fname = /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : quoteName(name);
  return `${fname}(${distinct}${args.join(', ')})`;
}

/** The column name Spark gives an unaliased expression (the common cases). */
export function autoName(e: Msg): string | undefined {
  switch (e.expr_type) {
    case 'unresolved_attribute': {
      const parts = splitName(e.unresolved_attribute.unparsed_identifier);
      return parts[parts.length - 1];
    }
    case 'literal': {
      const l = e.literal;
      if (l.literal_type === 'string') return l.string;
      if (l.literal_type === 'null') return 'NULL';
      if (['integer', 'long', 'short', 'byte', 'double', 'float', 'boolean'].includes(l.literal_type))
        return String(l[l.literal_type]);
      return undefined;
    }
    case 'unresolved_function': {
      const f = e.unresolved_function;
      const name = f.function_name as string;
      const args = (f.arguments ?? []).map((a: Msg) => autoName(a));
      if (args.some((a: string | undefined) => a === undefined)) return undefined;
      const op = BINARY[name] ?? BINARY[name.toLowerCase()];
      if (op && args.length === 2) return `(${args[0]} ${op === '=' ? '=' : op} ${args[1]})`;
      if (name === 'count' && args.length === 1 && args[0] === '*') return 'count(1)';
      const lower = name.toLowerCase();
      if (lower === 'isnull') return `(${args[0]} IS NULL)`;
      if (lower === 'isnotnull') return `(${args[0]} IS NOT NULL)`;
      if (lower === 'not' || lower === '!') return `(NOT ${args[0]})`;
      return `${name}(${f.is_distinct ? 'DISTINCT ' : ''}${args.join(', ')})`;
    }
    case 'unresolved_star':
      return '*';
    default:
      return undefined;
  }
}

/** A select-list item: the expression with Spark's default name when it has none. */
function selectItem(e: Msg, c: Compiler): string {
  // selectExpr("a * 2 AS b"): the text may carry its own alias, so it is not parenthesised.
  if (e.expr_type === 'expression_string') return e.expression_string.expression;
  const sql = exprSql(e, c);
  if (
    e.expr_type === 'alias' ||
    e.expr_type === 'unresolved_attribute' ||
    e.expr_type === 'unresolved_star' ||
    e.expr_type === 'expression_string'
  )
    return sql;
  const n = autoName(e);
  return n !== undefined ? `${sql} AS ${quoteIdent(n)}` : sql;
}

const JOIN: Record<string, string> = {
  JOIN_TYPE_UNSPECIFIED: 'INNER JOIN',
  JOIN_TYPE_INNER: 'INNER JOIN',
  JOIN_TYPE_FULL_OUTER: 'FULL OUTER JOIN',
  JOIN_TYPE_LEFT_OUTER: 'LEFT OUTER JOIN',
  JOIN_TYPE_RIGHT_OUTER: 'RIGHT OUTER JOIN',
  JOIN_TYPE_LEFT_ANTI: 'LEFT ANTI JOIN',
  JOIN_TYPE_LEFT_SEMI: 'LEFT SEMI JOIN',
  JOIN_TYPE_CROSS: 'CROSS JOIN',
};

export interface CompileEnv {
  /** SQL parameters of `spark.sql(query, args)` relations (collected while compiling). */
  params: Record<string, { value: string | number | boolean | null; type?: string }>;
  /** The session's temporary views (createOrReplaceTempView), by lower-case name: their SQL. */
  views?: Map<string, string>;
  /** Column names of a compiled query (for withColumn, withColumnRenamed, drop). */
  columns(sql: string, params: CompileEnv['params']): Promise<string[]>;
}

/** A literal as an engine query parameter. */
export function literalParam(l: Msg): { value: string | number | boolean | null; type?: string } {
  switch (l.literal_type) {
    case 'null':
      return { value: null, ...(l.null?.kind && l.null.kind !== 'null' ? { type: typeName(l.null) } : {}) };
    case 'boolean':
      return { value: Boolean(l.boolean) };
    case 'byte':
    case 'short':
    case 'integer':
      return { value: Number(l[l.literal_type]), type: typeName({ kind: l.literal_type }) };
    case 'long':
      return { value: String(l.long), type: 'BIGINT' };
    case 'float':
    case 'double':
      return { value: String(l[l.literal_type]), type: l.literal_type.toUpperCase() };
    case 'decimal':
      return { value: l.decimal.value, type: `DECIMAL(${l.decimal.precision ?? 38},${l.decimal.scale ?? 18})` };
    case 'string':
      return { value: l.string };
    case 'date':
      return { value: isoDate(l.date), type: 'DATE' };
    case 'timestamp':
      return { value: isoTimestamp(BigInt(l.timestamp)), type: 'TIMESTAMP' };
    case 'timestamp_ntz':
      return { value: isoTimestamp(BigInt(l.timestamp_ntz)), type: 'TIMESTAMP_NTZ' };
    default:
      throw unsupported(`SQL parameter of type ${l.literal_type}`);
  }
}

/** Local rows (Arrow IPC from createDataFrame) as a Spark SQL VALUES query. */
function localRelationSql(lr: Msg): string {
  if (!lr.data || !lr.data.length) {
    if (lr.schema) throw unsupported('an empty LocalRelation with only a schema');
    return 'SELECT 1 WHERE false';
  }
  const table = tableFromIPC(new Uint8Array(lr.data));
  const fields = table.schema.fields;
  const types = fields.map((f) => sparkTypeOfArrow(f.type));
  const cols = fields.map((f) => quoteIdent(f.name));
  const value = (v: unknown, t: string): string => {
    if (v === null || v === undefined) return `CAST(NULL AS ${t})`;
    switch (t) {
      case 'boolean':
        return v ? 'true' : 'false';
      case 'tinyint':
      case 'smallint':
      case 'int':
      case 'bigint':
        return `CAST(${String(v)} AS ${t})`;
      case 'float':
      case 'double':
        return Number.isFinite(v as number) ? `CAST(${String(v)} AS ${t})` : `CAST('${String(v)}' AS ${t})`;
      case 'date':
        return `DATE'${isoDate(Math.floor(Number(v) / 86_400_000))}'`;
      case 'timestamp':
      case 'timestamp_ntz':
        return `CAST(TIMESTAMP'${isoTimestamp(BigInt(Math.round(Number(v) * 1000)))}' AS ${t})`;
      case 'string':
        return stringLit(String(v));
      case 'binary':
        return `X'${Buffer.from(v as Uint8Array).toString('hex')}'`;
      default:
        if (t.startsWith('decimal')) return `CAST(${stringLit(String(v))} AS ${t})`;
        throw unsupported(`createDataFrame column of type ${t}`);
    }
  };
  if (table.numRows === 0) {
    return `SELECT ${fields.map((_, i) => `CAST(NULL AS ${types[i]}) AS ${cols[i]}`).join(', ')} WHERE false`;
  }
  const rows: string[] = [];
  const columns = fields.map((_, i) => table.getChildAt(i)!);
  for (let r = 0; r < table.numRows; r++) {
    rows.push(`(${columns.map((col, i) => value(col.get(r), types[i]!)).join(', ')})`);
  }
  return `SELECT * FROM VALUES ${rows.join(', ')} AS _local(${cols.join(', ')})`;
}

/**
 * Compiles a Spark Connect relation tree to one Spark SQL query, which the engine translates and
 * runs. Each relation becomes a subquery; relations with a plan id are aliased `_p<id>` so that
 * columns a client qualifies by DataFrame (`df1.id` in a join condition) resolve.
 */
export class RelationCompiler implements Compiler {
  private n = 0;
  constructor(readonly env: CompileEnv) {}

  /** Aliases of the relations the current relation reads directly. */
  private visible = new Set<string>();

  planAlias(planId: string | undefined): string | undefined {
    if (planId === undefined || planId === null) return undefined;
    const alias = `_p${planId}`;
    return this.visible.has(alias) ? alias : undefined;
  }

  async relation(rel: Msg): Promise<string> {
    const saved = this.visible;
    this.visible = new Set();
    try {
      return await this.compile(rel);
    } finally {
      this.visible = saved;
    }
  }

  private async sub(rel: Msg): Promise<string> {
    const sql = await this.relation(rel);
    return `(${sql}) AS ${this.aliasFor(rel)}`;
  }

  private aliasFor(rel: Msg): string {
    const id = rel.common?.plan_id;
    const alias = id !== undefined && id !== null ? `_p${id}` : `_s${this.n++}`;
    this.visible.add(alias);
    return alias;
  }

  private exprs(list: Msg[] | undefined): string {
    return (list ?? []).map((e) => selectItem(e, this)).join(', ');
  }

  private async compile(rel: Msg): Promise<string> {
    switch (rel.rel_type) {
      case 'sql': {
        const s = rel.sql;
        for (const [k, v] of mapEntries(s.args)) this.env.params[k] = literalParam(v);
        for (const [k, v] of mapEntries(s.named_arguments)) {
          if (v.expr_type !== 'literal') throw unsupported('spark.sql arguments other than literals');
          this.env.params[k] = literalParam(v.literal);
        }
        if ((s.pos_args ?? []).length || (s.pos_arguments ?? []).length)
          throw unsupported('spark.sql with positional arguments');
        return withViews(s.query, this.env.views);
      }
      case 'read': {
        const r = rel.read;
        if (r.read_type === 'named_table') {
          const parts = splitName(r.named_table.unparsed_identifier);
          const view = this.env.views?.get(parts[parts.length - 1]!.toLowerCase());
          if (view !== undefined && (parts.length === 1 || (parts.length === 2 && parts[0] === 'global_temp')))
            return view;
          return `SELECT * FROM ${quoteName(r.named_table.unparsed_identifier)}`;
        }
        const ds = r.data_source;
        const fmt = String(ds.format ?? 'delta').toLowerCase();
        if (!['parquet', 'csv', 'json', 'delta'].includes(fmt)) throw unsupported(`data source format '${fmt}'`);
        const paths: string[] = ds.paths ?? [];
        if (paths.length !== 1) throw unsupported('reading other than exactly one path');
        if (fmt === 'csv' && mapEntries(ds.options).length)
          throw unsupported('CSV read options (header, inferSchema, ...)');
        return `SELECT * FROM ${fmt}.${quoteIdent(paths[0]!)}`;
      }
      case 'project': {
        const p = rel.project;
        if (!p.input) return `SELECT ${this.exprs(p.expressions)}`;
        const from = await this.sub(p.input);
        return `SELECT ${this.exprs(p.expressions)} FROM ${from}`;
      }
      case 'filter': {
        const from = await this.sub(rel.filter.input);
        return `SELECT * FROM ${from} WHERE ${exprSql(rel.filter.condition, this)}`;
      }
      case 'sort': {
        const from = await this.sub(rel.sort.input);
        return `SELECT * FROM ${from} ORDER BY ${(rel.sort.order ?? []).map((o: Msg) => exprSql({ expr_type: 'sort_order', sort_order: o }, this)).join(', ')}`;
      }
      case 'limit':
        return `SELECT * FROM ${await this.sub(rel.limit.input)} LIMIT ${Number(rel.limit.limit ?? 0)}`;
      case 'offset':
        return `SELECT * FROM ${await this.sub(rel.offset.input)} LIMIT ALL OFFSET ${Number(rel.offset.offset ?? 0)}`;
      case 'tail':
        throw unsupported('tail()');
      case 'aggregate': {
        const a = rel.aggregate;
        const from = await this.sub(a.input);
        const keys = (a.grouping_expressions ?? []) as Msg[];
        const items = [...keys, ...((a.aggregate_expressions ?? []) as Msg[])];
        const keySql = keys.map((k) => exprSql(k, this)).join(', ');
        switch (a.group_type ?? 'GROUP_TYPE_GROUPBY') {
          case 'GROUP_TYPE_GROUPBY':
            return `SELECT ${this.exprs(items)} FROM ${from}${keys.length ? ` GROUP BY ${keySql}` : ''}`;
          case 'GROUP_TYPE_ROLLUP':
            return `SELECT ${this.exprs(items)} FROM ${from} GROUP BY ROLLUP(${keySql})`;
          case 'GROUP_TYPE_CUBE':
            return `SELECT ${this.exprs(items)} FROM ${from} GROUP BY CUBE(${keySql})`;
          default:
            throw unsupported(`aggregate ${a.group_type}`);
        }
      }
      case 'join': {
        const j = rel.join;
        const left = await this.sub(j.left);
        const right = await this.sub(j.right);
        const type = JOIN[j.join_type ?? 'JOIN_TYPE_UNSPECIFIED'];
        if (!type) throw unsupported(`join type ${j.join_type}`);
        let on = '';
        if (j.using_columns?.length) on = ` USING (${j.using_columns.map(quoteIdent).join(', ')})`;
        else if (j.join_condition) on = ` ON ${exprSql(j.join_condition, this)}`;
        else if (type !== 'CROSS JOIN') return `SELECT * FROM ${left} CROSS JOIN ${right}`;
        return `SELECT * FROM ${left} ${type} ${right}${on}`;
      }
      case 'set_op': {
        const s = rel.set_op;
        const op =
          { SET_OP_TYPE_UNION: 'UNION', SET_OP_TYPE_INTERSECT: 'INTERSECT', SET_OP_TYPE_EXCEPT: 'EXCEPT' }[
            s.set_op_type as string
          ] ?? undefined;
        if (!op) throw unsupported(`set operation ${s.set_op_type}`);
        if (s.by_name) throw unsupported('unionByName');
        return `SELECT * FROM ${await this.sub(s.left_input)} ${op} ${s.is_all ? 'ALL ' : 'DISTINCT '}SELECT * FROM ${await this.sub(s.right_input)}`;
      }
      case 'local_relation':
        return localRelationSql(rel.local_relation);
      case 'range': {
        const r = rel.range;
        const start = BigInt(r.start ?? 0);
        const end = BigInt(r.end);
        const step = BigInt(r.step ?? 1);
        return `SELECT * FROM range(${start}, ${end}, ${step})`;
      }
      case 'subquery_alias':
        return `SELECT * FROM (${await this.relation(rel.subquery_alias.input)}) AS ${quoteIdent(rel.subquery_alias.alias)}`;
      case 'to_df': {
        const names = (rel.to_df.column_names ?? []) as string[];
        const inner = await this.relation(rel.to_df.input);
        return `SELECT * FROM (${inner}) AS ${this.aliasFor(rel.to_df.input)}(${names.map(quoteIdent).join(', ')})`;
      }
      case 'with_columns': {
        const w = rel.with_columns;
        const inner = await this.relation(w.input);
        const have = await this.env.columns(inner, this.env.params);
        const alias = this.aliasFor(w.input);
        const added = new Map<string, string>();
        for (const a of (w.aliases ?? []) as Msg[]) {
          if ((a.name ?? []).length !== 1) throw unsupported('withColumns with multi-part names');
          added.set(a.name[0].toLowerCase(), `${exprSql(a.expr, this)} AS ${quoteIdent(a.name[0])}`);
        }
        const items = have.map((c) => {
          const x = added.get(c.toLowerCase());
          if (x) added.delete(c.toLowerCase());
          return x ?? quoteIdent(c);
        });
        items.push(...added.values());
        return `SELECT ${items.join(', ')} FROM (${inner}) AS ${alias}`;
      }
      case 'with_columns_renamed': {
        const w = rel.with_columns_renamed;
        const renames = new Map<string, string>();
        for (const [k, v] of mapEntries(w.rename_columns_map)) renames.set(k.toLowerCase(), v);
        for (const r of (w.renames ?? []) as Msg[]) renames.set(String(r.col_name).toLowerCase(), r.new_col_name);
        const inner = await this.relation(w.input);
        const have = await this.env.columns(inner, this.env.params);
        const items = have.map((c) => {
          const n = renames.get(c.toLowerCase());
          return n !== undefined ? `${quoteIdent(c)} AS ${quoteIdent(n)}` : quoteIdent(c);
        });
        return `SELECT ${items.join(', ')} FROM (${inner}) AS ${this.aliasFor(w.input)}`;
      }
      case 'drop': {
        const d = rel.drop;
        const inner = await this.relation(d.input);
        const alias = this.aliasFor(d.input);
        const have = await this.env.columns(inner, this.env.params);
        const gone = new Set<string>(((d.column_names ?? []) as string[]).map((c) => c.toLowerCase()));
        for (const e of (d.columns ?? []) as Msg[]) {
          if (e.expr_type !== 'unresolved_attribute') throw unsupported('drop() of an expression');
          const parts = splitName(e.unresolved_attribute.unparsed_identifier);
          gone.add(parts[parts.length - 1]!.toLowerCase());
        }
        const keep = have.filter((c) => !gone.has(c.toLowerCase()));
        return `SELECT ${keep.map(quoteIdent).join(', ')} FROM (${inner}) AS ${alias}`;
      }
      case 'deduplicate': {
        const d = rel.deduplicate;
        if (d.column_names?.length && !d.all_columns_as_keys) throw unsupported('dropDuplicates(subset)');
        return `SELECT DISTINCT * FROM ${await this.sub(d.input)}`;
      }
      case 'show_string':
        throw unsupported('show_string below the root');
      default:
        throw unsupported(`relation ${rel.rel_type ?? '(empty)'}`);
    }
  }
}
