import { tableFromIPC } from 'apache-arrow';
import { LakeboxError } from '@lakebox/common';
import { DUPLICATE_MARK, nestedParts, sparkTypeOfArrow } from './types.js';

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
      // Spark types a decimal literal by its value, widened to the precision and scale the
      // client sends (PySpark sends decimal(10,0)): 1.50 is decimal(10,2).
      const d = l.decimal;
      const m = /^[+-]?(\d*)(?:\.(\d*))?$/.exec(String(d.value));
      if (!m) {
        const t = d.precision !== undefined ? ` AS DECIMAL(${d.precision},${d.scale ?? 0})` : ' AS DECIMAL(38,18)';
        return `CAST(${stringLit(d.value)}${t})`;
      }
      const frac = m[2] ?? '';
      const digits = ((m[1] ?? '') + frac).replace(/^0+/, '').length || 1;
      const scale = Math.max(frac.length, Number(d.scale ?? 0));
      const precision = Math.min(
        38,
        Math.max(digits, frac.length, Number(d.precision ?? 0), scale + digits - frac.length),
      );
      return `CAST(${stringLit(d.value)} AS DECIMAL(${precision},${scale}))`;
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
  // global_temp.v names a global temporary view, kept with the session's views.
  for (const [name] of used)
    query = query.replace(
      new RegExp(`\\bglobal_temp\\s*\\.\\s*(\`?)${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\1(?=$|\\W)`, 'gi'),
      quoteIdent(name),
    );
  const ctes = used.map(([name, sql]) => `${quoteIdent(name)} AS (${sql})`).join(', ');
  const m = /^\s*WITH\s+(RECURSIVE\s+)?/i.exec(query);
  if (m) return `WITH ${m[1] ?? ''}${ctes}, ${query.slice(m[0].length)}`;
  if (!/^\s*(SELECT|FROM|VALUES|TABLE|\()/i.test(query)) return query;
  return `WITH ${ctes} ${query}`;
}

export interface Compiler {
  /** Alias under which the relation with this plan id is visible, if any. */
  planAlias(planId: string | undefined): string | undefined;
  /** The grouping expressions of the aggregate being compiled (what `grouping_id()` means). */
  groupingKeys?: string;
}

/** An expression without its alias (`expr.alias("k")` as a grouping key). */
function unaliased(e: Msg): Msg {
  return e?.expr_type === 'alias' ? e.alias.expr : e;
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
    case 'update_fields': {
      // withField / dropFields: the struct rebuilt field by field (the compiler annotated the
      // struct's field names from the input's types, see RelationCompiler.annotateTypes).
      const u = e.update_fields;
      const fields = u.struct_fields as string[] | undefined;
      const name = String(u.field_name ?? '');
      if (!fields || name.includes('.')) throw unsupported('expression update_fields');
      const base = exprSql(u.struct_expression, c);
      const items = fields.filter((f) => f !== name || u.value_expression);
      if (u.value_expression && !fields.includes(name)) items.push(name);
      const value = (f: string) =>
        f === name && u.value_expression ? exprSql(u.value_expression, c) : `${base}.${quoteIdent(f)}`;
      const struct = `named_struct(${items.map((f) => `${stringLit(f)}, ${value(f)}`).join(', ')})`;
      return `CASE WHEN ${base} IS NULL THEN NULL ELSE ${struct} END`;
    }
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
  const lower = name.toLowerCase();
  // Spark ignores an alias inside an expression ((id % 3).alias("key") * 10); struct() keeps it as a field name.
  const args: string[] = (f.arguments ?? []).map((a: Msg) =>
    exprSql(a.expr_type === 'alias' && (a.alias.name ?? []).length === 1 && lower !== 'struct' ? a.alias.expr : a, c),
  );
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
    case 'some':
    case 'any':
      // SOME and ANY are keywords in Spark SQL text; bool_or is the same aggregate.
      if (args.length === 1) return `bool_or(${args[0]})`;
      break;
    case 'every':
      if (args.length === 1) return `bool_and(${args[0]})`;
      break;
    case 'count_if':
      // Spark's count_if is a BIGINT (DuckDB's is a HUGEINT).
      if (args.length === 1 && !f.is_distinct) return `count(CASE WHEN ${args[0]} THEN 1 END)`;
      break;
    case 'grouping':
      // Spark's grouping() is a TINYINT (0 or 1).
      return `CASE WHEN grouping(${args.join(', ')}) = 1 THEN 1Y ELSE 0Y END`;
    case 'grouping_id':
      // grouping_id() with no arguments: all the grouping expressions.
      if (!args.length && c.groupingKeys) return `grouping_id(${c.groupingKeys})`;
      break;
    case 'extract': {
      // extract(F.lit("YEAR"), ts): Spark SQL writes the field as a keyword.
      const field = f.arguments?.[0]?.literal?.string;
      if (args.length === 2 && /^[A-Za-z_]+$/.test(String(field ?? '')))
        return /^sec/i.test(String(field))
          ? `extract(${field} FROM ${args[1]})`
          : `CAST(extract(${field} FROM ${args[1]}) AS INT)`;
      break;
    }
    case 'nth_value':
      // nth_value(x, n, ignoreNulls): the flag is Spark SQL's IGNORE NULLS clause.
      if (args.length === 3) return `nth_value(${args[0]}, ${args[1]})${args[2] === 'true' ? ' IGNORE NULLS' : ''}`;
      break;
  }
  const distinct = f.is_distinct ? 'DISTINCT ' : '';
  if (lower === 'count' && args.length > 1 && f.is_distinct)
    // Spark counts the distinct tuples with no NULL member.
    return `count(DISTINCT CASE WHEN ${args.map((a) => `${a} IS NOT NULL`).join(' AND ')} THEN struct(${args.join(', ')}) END)`;
  const fname = /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : quoteName(name);
  return `${fname}(${distinct}${args.join(', ')})`;
}

/** Spark's text for the comparator array_sort(arr) gets by default (part of its column name). */
const ARRAY_SORT_DEFAULT =
  'lambdafunction((IF(((namedlambdavariable() IS NULL) AND (namedlambdavariable() IS NULL)), 0, ' +
  '(IF((namedlambdavariable() IS NULL), 1, (IF((namedlambdavariable() IS NULL), -1, ' +
  '(IF((namedlambdavariable() < namedlambdavariable()), -1, ' +
  '(IF((namedlambdavariable() > namedlambdavariable()), 1, 0)))))))))), ' +
  'namedlambdavariable(), namedlambdavariable())';

/** A timestamp literal's text in a column name: the fraction only as long as it needs to be. */
function literalTimestampName(micros: bigint): string {
  return isoTimestamp(micros).replace(/\.?0+$/, '');
}

/** A function argument's part of a column name (`struct(name, age AS a)` keeps the alias). */
function argName(a: Msg): string | undefined {
  if (a.expr_type === 'alias' && (a.alias.name ?? []).length === 1) {
    const inner = autoName(a.alias.expr);
    return inner === undefined ? undefined : `${inner} AS ${a.alias.name[0]}`;
  }
  return autoName(a);
}

/**
 * The name of a select-list item: autoName, except that a cast of a column keeps the column's
 * name (`df.i.cast("string")` is `i`), as Spark Connect names it.
 */
export function columnName(e: Msg): string | undefined {
  if (e.expr_type === 'cast' && e.cast.expr?.expr_type === 'unresolved_attribute') return autoName(e.cast.expr);
  return autoName(e);
}

/**
 * The column name Spark gives an unaliased expression: Spark's `toPrettySQL` of the resolved
 * expression (the function's registered lower-case name, operators in parentheses, defaults
 * Spark fills in such as the position of regexp_replace). Undefined when Lakebox cannot tell.
 */
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
      if (l.literal_type === 'double' || l.literal_type === 'float') {
        const n = Number(l[l.literal_type]);
        return Number.isInteger(n) && Math.abs(n) < 1e7 ? n.toFixed(1) : String(n);
      }
      if (['integer', 'long', 'short', 'byte', 'boolean'].includes(l.literal_type)) return String(l[l.literal_type]);
      if (l.literal_type === 'decimal' && /^[+-]?\d*\.?\d+$/.test(String(l.decimal.value)))
        return String(l.decimal.value);
      if (l.literal_type === 'date') return `DATE '${isoDate(l.date)}'`;
      if (l.literal_type === 'timestamp') return `TIMESTAMP '${literalTimestampName(BigInt(l.timestamp))}'`;
      if (l.literal_type === 'timestamp_ntz') return `TIMESTAMP_NTZ '${literalTimestampName(BigInt(l.timestamp_ntz))}'`;
      return undefined;
    }
    case 'unresolved_named_lambda_variable':
      return 'namedlambdavariable()';
    case 'lambda_function': {
      const body = autoName(e.lambda_function.function);
      if (body === undefined) return undefined;
      const vars = (e.lambda_function.arguments ?? []).map(() => 'namedlambdavariable()');
      return `lambdafunction(${[body, ...vars].join(', ')})`;
    }
    case 'unresolved_function': {
      const f = e.unresolved_function;
      const name = f.function_name as string;
      const args: (string | undefined)[] = (f.arguments ?? []).map((a: Msg) => argName(a));
      if (args.some((a) => a === undefined)) return undefined;
      const lower = name.toLowerCase();
      const op = BINARY[name] ?? BINARY[lower];
      if (lower === 'like' && args.length === 2) return `${args[0]} LIKE ${args[1]}`;
      if (lower === 'rlike' && args.length === 2) return `RLIKE(${args[0]}, ${args[1]})`;
      if (lower === 'ilike' && args.length === 2) return `ilike(${args[0]}, ${args[1]})`;
      if (op && args.length === 2) return `(${args[0]} ${op} ${args[1]})`;
      if (lower === 'count' && args.length === 1 && args[0] === '*') return 'count(1)';
      if (lower === 'isnull') return `(${args[0]} IS NULL)`;
      if (lower === 'isnotnull') return `(${args[0]} IS NOT NULL)`;
      if (lower === 'not' || lower === '!') return `(NOT ${args[0]})`;
      if (lower === 'negative' || (lower === '-' && args.length === 1)) return `negative(${args[0]})`;
      if (lower === 'positive' || (lower === '+' && args.length === 1)) return `(+ ${args[0]})`;
      if (lower === '~' || lower === 'bitwise_not') return `~${args[0]}`;
      if (lower === 'in' && args.length >= 1) return `(${args[0]} IN (${args.slice(1).join(', ')}))`;
      if (lower === 'extract' && args.length === 2 && f.arguments[0]?.literal?.literal_type === 'string')
        return `extract(${args[0]} FROM ${args[1]})`;
      if (lower === 'when') {
        let s = 'CASE';
        for (let i = 0; i + 1 < args.length; i += 2) s += ` WHEN ${args[i]} THEN ${args[i + 1]}`;
        if (args.length % 2 === 1) s += ` ELSE ${args[args.length - 1]}`;
        return `${s} END`;
      }
      // Arguments Spark fills in, which its column name then shows.
      if (lower === 'regexp_replace' && args.length === 3) args.push('1');
      if ((lower === 'locate' || lower === 'position') && args.length === 2) args.push('1');
      if (lower === 'array_sort' && args.length === 1) args.push(ARRAY_SORT_DEFAULT);
      if (lower === 'aggregate' && args.length === 3)
        args.push('lambdafunction(namedlambdavariable(), namedlambdavariable())');
      if ((lower === 'explode' || lower === 'explode_outer') && args.length === 1) return 'col';
      if ((lower === 'round' || lower === 'bround') && args.length === 1) args.push('0');
      if ((lower === 'lag' || lower === 'lead') && args.length < 3) {
        if (args.length === 1) args.push('1');
        args.push('NULL');
      }
      // Flags and seeds Spark does not print: first(x, ignoreNulls), shuffle(x, seed).
      if (/^(first|last|first_value|last_value|any_value)$/.test(lower) && args.length === 2) args.pop();
      if (lower === 'shuffle' && args.length === 2) args.pop();
      const shown =
        lower === 'log' && args.length === 1
          ? 'ln'
          : (lower === 'ceil' || lower === 'floor') && args.length === 2
            ? lower
            : UPPER_NAMES.has(lower)
              ? lower === 'pow'
                ? 'POWER'
                : name.toUpperCase()
              : (CANONICAL_NAMES[lower] ?? lower);
      return `${shown}(${f.is_distinct ? 'DISTINCT ' : ''}${args.join(', ')})`;
    }
    case 'sort_order': {
      const inner = autoName(e.sort_order.child);
      return inner === undefined ? undefined : `${inner} ${sortOrderName(e.sort_order)}`;
    }
    case 'window':
      return windowName(e.window);
    case 'update_fields': {
      const u = e.update_fields;
      const base = argName(u.struct_expression);
      if (base === undefined) return undefined;
      if (!u.value_expression) return `update_fields(${base}, dropfield())`;
      const v = autoName(u.value_expression);
      return v === undefined ? undefined : `update_fields(${base}, WithField(${v}))`;
    }
    case 'unresolved_extract_value': {
      const x = e.unresolved_extract_value;
      const child = argName(x.child);
      const lit = x.extraction?.expr_type === 'literal' ? x.extraction.literal : undefined;
      if (child === undefined || !lit) return undefined;
      // A string key reads a struct field (`st.x`, as for getField); a number indexes an array.
      if (lit.literal_type === 'string') return x.map_key ? `${child}[${lit.string}]` : `${child}.${lit.string}`;
      const key = autoName(x.extraction);
      return key === undefined ? undefined : `${child}[${key}]`;
    }
    case 'unresolved_star':
      return '*';
    case 'cast': {
      const inner = argName(e.cast.expr);
      if (inner === undefined) return undefined;
      const t = e.cast.type ? typeName(e.cast.type) : String(e.cast.type_str ?? '');
      const up =
        ({ integer: 'int', long: 'bigint', short: 'smallint', byte: 'tinyint' } as Record<string, string>)[
          t.toLowerCase()
        ] ?? t;
      return `CAST(${inner} AS ${up.toUpperCase()})`;
    }
    default:
      return undefined;
  }
}

/** Aliases Spark names by the function they stand for. */
const CANONICAL_NAMES: Record<string, string> = {
  dateadd: 'date_add',
  current_database: 'current_schema',
  curdate: 'current_date',
  array_agg: 'collect_list',
};

/** `ASC NULLS FIRST` etc. of a sort order (Spark's defaults spelled out). */
function sortOrderName(s: Msg): string {
  const desc = s.direction === 'SORT_DIRECTION_DESCENDING';
  const nullsFirst =
    s.null_ordering === 'SORT_NULLS_FIRST' ? true : s.null_ordering === 'SORT_NULLS_LAST' ? false : !desc;
  return `${desc ? 'DESC' : 'ASC'} NULLS ${nullsFirst ? 'FIRST' : 'LAST'}`;
}

/** Window functions Spark prints in upper case (`RANK() OVER (...)`). */
const UPPER_WINDOW = new Set(['rank', 'dense_rank', 'percent_rank']);

/** A window frame boundary as Spark prints it: literal offsets are all `n FOLLOWING`. */
function boundaryName(b: Msg, lower: boolean): string | undefined {
  if (!b || b.current_row) return 'CURRENT ROW';
  if (b.unbounded) return lower ? 'UNBOUNDED PRECEDING' : 'UNBOUNDED FOLLOWING';
  const v = b.value?.expr_type === 'literal' ? Number(b.value.literal[b.value.literal.literal_type]) : NaN;
  if (!Number.isFinite(v)) return undefined;
  return v === 0 ? 'CURRENT ROW' : `${v} FOLLOWING`;
}

/** The column name of `f.over(w)`: Spark prints the window with the frame it resolves to. */
function windowName(w: Msg): string | undefined {
  const fn = w.window_function;
  const f = fn?.expr_type === 'unresolved_function' ? fn.unresolved_function : undefined;
  const lower = String(f?.function_name ?? '').toLowerCase();
  let head = autoName(fn);
  if (head === undefined) return undefined;
  if (UPPER_WINDOW.has(lower)) head = head.replace(/^[a-z_]+/, (m) => m.toUpperCase());
  const parts: string[] = [];
  const partition = ((w.partition_spec ?? []) as Msg[]).map((p) => argName(p));
  const order = ((w.order_spec ?? []) as Msg[]).map((o) => {
    const n = argName(o.child);
    return n === undefined ? undefined : `${n} ${sortOrderName(o)}`;
  });
  if ([...partition, ...order].some((x) => x === undefined)) return undefined;
  if (partition.length) parts.push(`PARTITION BY ${partition.join(', ')}`);
  if (order.length) parts.push(`ORDER BY ${order.join(', ')}`);
  const fr = w.frame_spec;
  if (fr && fr.frame_type && fr.frame_type !== 'FRAME_TYPE_UNDEFINED') {
    const lo = boundaryName(fr.lower, true);
    const hi = boundaryName(fr.upper, false);
    if (lo === undefined || hi === undefined) return undefined;
    parts.push(`${fr.frame_type === 'FRAME_TYPE_ROW' ? 'ROWS' : 'RANGE'} BETWEEN ${lo} AND ${hi}`);
  } else if (lower === 'lag' || lower === 'lead') {
    const off = Number(f.arguments?.[1]?.literal?.[f.arguments?.[1]?.literal?.literal_type] ?? 1);
    const k = lower === 'lag' ? -off : off;
    parts.push(`ROWS BETWEEN ${k} FOLLOWING AND ${k} FOLLOWING`);
  } else if (/^(rank|dense_rank|percent_rank|row_number|ntile)$/.test(lower)) {
    parts.push('ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW');
  } else if (order.length || lower === 'cume_dist') {
    parts.push('RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW');
  } else {
    parts.push('ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING');
  }
  return `${head} OVER (${parts.join(' ')})`;
}

/** Functions whose default column name Spark prints in upper case (`SIN(x)`, `CEIL(x)`). */
const UPPER_NAMES = new Set([
  'sin',
  'cos',
  'tan',
  'asin',
  'acos',
  'atan',
  'sinh',
  'cosh',
  'tanh',
  'asinh',
  'acosh',
  'atanh',
  'sec',
  'csc',
  'cot',
  'exp',
  'expm1',
  'log10',
  'log2',
  'log1p',
  'log',
  'cbrt',
  'sqrt',
  'ceil',
  'floor',
  'signum',
  'degrees',
  'radians',
  'hypot',
  'atan2',
  'pow',
  'power',
  'pi',
  'e',
  'spark_partition_id',
  'regexp_like',
  'regexp',
]);

/** A select-list item: the expression with Spark's default name when it has none. */
function selectItem(e: Msg, c: Compiler): string {
  // selectExpr("a * 2 AS b"): the text may carry its own alias, so it is not parenthesised.
  if (e.expr_type === 'expression_string') return e.expression_string.expression;
  // select(col.asc()): the value is the column's (the sort order only names it).
  const sql = exprSql(e.expr_type === 'sort_order' ? e.sort_order.child : e, c);
  if (
    e.expr_type === 'alias' ||
    e.expr_type === 'unresolved_attribute' ||
    e.expr_type === 'unresolved_star' ||
    e.expr_type === 'expression_string'
  )
    return sql;
  const n = columnName(e);
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
  /** Column names and Spark types of a compiled query (na, stat, to_schema, unionByName...). */
  schema?(sql: string, params: CompileEnv['params']): Promise<{ name: string; type: string }[]>;
  /** Rows of a compiled query (crosstab and pivot values, freqItems). */
  rows?(sql: string, params: CompileEnv['params']): Promise<unknown[][]>;
  /** A `spark.catalog.*` relation as a query (the server knows the session and the metastore). */
  catalog?(c: Msg): Promise<string>;
  /** Python UDFs (udf.ts): SQL for a relation that calls them, or undefined when it does not. */
  udf?(rel: Msg, compiler: RelationCompiler): Promise<string | undefined>;
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

/** A Spark type name from the JSON form of a Spark DataType (`StructType.json()`). */
export function jsonTypeName(t: Msg): string {
  if (typeof t === 'string') {
    const m: Record<string, string> = {
      integer: 'int',
      long: 'bigint',
      short: 'smallint',
      byte: 'tinyint',
      null: 'void',
      timestamp_ntz: 'timestamp_ntz',
    };
    return m[t] ?? t;
  }
  switch (t.type) {
    case 'array':
      return `array<${jsonTypeName(t.elementType)}>`;
    case 'map':
      return `map<${jsonTypeName(t.keyType)},${jsonTypeName(t.valueType)}>`;
    case 'struct':
      return `struct<${(t.fields ?? []).map((f: Msg) => `${quoteIdent(f.name)}:${jsonTypeName(f.type)}`).join(',')}>`;
    default:
      throw unsupported(`schema type ${JSON.stringify(t)}`);
  }
}

/** A createDataFrame schema string (JSON of a StructType, or DDL) as [name, type] pairs. */
export function schemaFields(schema: string): [string, string][] {
  const text = schema.trim();
  if (text.startsWith('{')) {
    const j = JSON.parse(text);
    if (j.type !== 'struct') return [['value', jsonTypeName(j)]];
    return (j.fields ?? []).map((f: Msg) => [String(f.name), jsonTypeName(f.type)] as [string, string]);
  }
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '<' || ch === '(') depth++;
    if (ch === '>' || ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) parts.push(cur.trim());
  return parts.map((f) => {
    const m = /^(`(?:[^`]|``)+`|[A-Za-z_]\w*)\s*:?\s+(.+)$/.exec(f);
    if (!m) throw unsupported(`createDataFrame schema '${schema}'`);
    const name = m[1]!.startsWith('`') ? m[1]!.slice(1, -1).replaceAll('``', '`') : m[1]!;
    return [name, m[2]!.replace(/\s+NOT\s+NULL\b/i, '').trim()];
  });
}

/** One value received in Arrow (createDataFrame) as a Spark SQL literal of type `t`. */
export function arrowValueSql(v: unknown, t: string): string {
  if (v === null || v === undefined) return `CAST(NULL AS ${t})`;
  if (/^(array|map|struct)</.test(t)) {
    const p = nestedParts(t);
    if (p.kind === 'array') {
      const items = [...(v as Iterable<unknown>)].map((x) => arrowValueSql(x, p.element));
      return items.length ? `array(${items.join(', ')})` : `CAST(array() AS ${t})`;
    }
    if (p.kind === 'map') {
      const entries: [unknown, unknown][] =
        v instanceof Map ? [...v.entries()] : [...(v as Iterable<[unknown, unknown]>)].map((e) => [e[0], e[1]]);
      const items = entries.map(([k, x]) => `${arrowValueSql(k, p.key)}, ${arrowValueSql(x, p.value)}`);
      return items.length ? `map(${items.join(', ')})` : `CAST(map() AS ${t})`;
    }
    const row = v as Record<string, unknown>;
    return `named_struct(${p.fields.map(([n, ft]) => `${stringLit(n)}, ${arrowValueSql(row[n], ft)}`).join(', ')})`;
  }
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
    case 'void':
      return 'NULL';
    default:
      if (t.startsWith('decimal')) return `CAST(${stringLit(decimalText(v, t))} AS ${t})`;
      throw unsupported(`createDataFrame column of type ${t}`);
  }
}

/**
 * A decimal received in Arrow as decimal text. Arrow JS hands a decimal cell over as its unscaled
 * 128-bit integer (`DecimalBigNum`, whose string is `1234` for 12.34 at scale 2); the type's scale
 * places the point.
 */
export function decimalText(v: unknown, t: string): string {
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  const scale = Number(/^decimal\(\d+,\s*(\d+)\)$/.exec(t)?.[1] ?? 0);
  const raw = String(v);
  if (!/^-?\d+$/.test(raw) || scale === 0) return raw;
  const neg = raw.startsWith('-');
  const digits = (neg ? raw.slice(1) : raw).padStart(scale + 1, '0');
  return `${neg ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/** Local rows (Arrow IPC from createDataFrame) as a Spark SQL VALUES query. */
function localRelationSql(lr: Msg): string {
  if (!lr.data || !lr.data.length) {
    if (lr.schema) {
      const fields = schemaFields(String(lr.schema));
      return `SELECT ${fields.map(([n, t]) => `CAST(NULL AS ${t}) AS ${quoteIdent(n)}`).join(', ')} WHERE false`;
    }
    return 'SELECT 1 WHERE false';
  }
  const table = tableFromIPC(new Uint8Array(lr.data));
  const fields = table.schema.fields;
  const types = fields.map((f) => sparkTypeOfArrow(f.type));
  const cols = fields.map((f) => quoteIdent(f.name));
  if (!fields.length) return 'SELECT 1 AS `_empty` WHERE false';
  if (table.numRows === 0) {
    return `SELECT ${fields.map((_, i) => `CAST(NULL AS ${types[i]}) AS ${cols[i]}`).join(', ')} WHERE false`;
  }
  const rows: string[] = [];
  const columns = fields.map((_, i) => table.getChildAt(i)!);
  for (let r = 0; r < table.numRows; r++) {
    rows.push(`(${columns.map((col, i) => arrowValueSql(col.get(r), types[i]!)).join(', ')})`);
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
  groupingKeys?: string;
  constructor(readonly env: CompileEnv) {}

  /** Aliases of the relations the current relation reads directly, by plan id. */
  private visible = new Map<string, string>();

  planAlias(planId: string | undefined): string | undefined {
    if (planId === undefined || planId === null) return undefined;
    return this.visible.get(String(planId));
  }

  async relation(rel: Msg): Promise<string> {
    const saved = this.visible;
    this.visible = new Map();
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
    // df.alias("a"): columns qualified as `a.x` resolve against the aliased relation.
    const alias =
      rel.rel_type === 'subquery_alias'
        ? quoteIdent(rel.subquery_alias.alias)
        : id !== undefined && id !== null
          ? `_p${id}`
          : `_s${this.n++}`;
    if (id !== undefined && id !== null) this.visible.set(String(id), alias);
    return alias;
  }

  /**
   * The FROM clause for an input: a join stays inline, so that the relations it joins (and their
   * aliases, `df.alias("a")`) stay visible to the select, filter or aggregate above it.
   */
  private async fromOf(rel: Msg): Promise<string> {
    if (rel?.rel_type === 'join') return this.joinFrom(rel.join);
    return this.sub(rel);
  }

  private async joinFrom(j: Msg): Promise<string> {
    const left = await this.fromOf(j.left);
    const right = await this.sub(j.right);
    const type = JOIN[j.join_type ?? 'JOIN_TYPE_UNSPECIFIED'];
    if (!type) throw unsupported(`join type ${j.join_type}`);
    if (j.using_columns?.length)
      return `${left} ${type} ${right} USING (${j.using_columns.map(quoteIdent).join(', ')})`;
    if (j.join_condition) return `${left} ${type} ${right} ON ${exprSql(j.join_condition, this)}`;
    return `${left} CROSS JOIN ${right}`;
  }

  /**
   * `c["k"]` is named `c[k]` when c is a map and `c.k` when it is a struct; for the select items
   * of that shape, the input's column types tell which (the expression is marked `map_key`).
   */
  private async markMapKeys(list: Msg[] | undefined, from: string): Promise<void> {
    const keyed = (list ?? []).filter(
      (e) =>
        e.expr_type === 'unresolved_extract_value' &&
        e.unresolved_extract_value.extraction?.literal?.literal_type === 'string' &&
        e.unresolved_extract_value.child?.expr_type === 'unresolved_attribute',
    );
    const updates: Msg[] = [];
    const walk = (e: Msg) => {
      if (!e || typeof e !== 'object') return;
      if (e.expr_type === 'update_fields') updates.push(e.update_fields);
      for (const v of Object.values(e)) if (v && typeof v === 'object') walk(v as Msg);
    };
    (list ?? []).forEach(walk);
    if ((!keyed.length && !updates.length) || !this.env.schema) return;
    const have = await this.schemaOf(`SELECT * FROM ${from}`);
    // The field names of each withField/dropFields struct, innermost first.
    const fieldsOf = (x: Msg): string[] | undefined => {
      if (x?.expr_type === 'unresolved_attribute') {
        const parts = splitName(x.unresolved_attribute.unparsed_identifier);
        const c = parts.length === 1 ? have.find((h) => h.name.toLowerCase() === parts[0]!.toLowerCase()) : undefined;
        if (!c || !/^struct</i.test(c.type)) return undefined;
        const p = nestedParts(c.type);
        return p.kind === 'struct' ? p.fields.map(([n]) => n) : undefined;
      }
      if (x?.expr_type === 'update_fields') {
        const u = x.update_fields;
        const inner = fieldsOf(u.struct_expression);
        if (!inner) return undefined;
        u.struct_fields = inner;
        const name = String(u.field_name ?? '');
        if (!u.value_expression) return inner.filter((f) => f !== name);
        return inner.includes(name) ? inner : [...inner, name];
      }
      return undefined;
    };
    for (const u of updates) fieldsOf({ expr_type: 'update_fields', update_fields: u });
    for (const e of keyed) {
      const parts = splitName(e.unresolved_extract_value.child.unresolved_attribute.unparsed_identifier);
      const c = parts.length === 1 ? have.find((h) => h.name.toLowerCase() === parts[0]!.toLowerCase()) : undefined;
      if (c && /^map</i.test(c.type)) e.unresolved_extract_value.map_key = true;
    }
  }

  private async schemaOf(sql: string): Promise<{ name: string; type: string }[]> {
    if (this.env.schema) return this.env.schema(sql, this.env.params);
    return (await this.env.columns(sql, this.env.params)).map((name) => ({ name, type: 'string' }));
  }

  private async rowsOf(sql: string): Promise<unknown[][]> {
    if (!this.env.rows) throw unsupported('queries while compiling (no engine)');
    return this.env.rows(sql, this.env.params);
  }

  private exprs(list: Msg[] | undefined): string {
    // Spark lets a select list repeat a name (`select(F.ln("x"), F.log("x"))`); DuckDB renames
    // repeats (`ln(x)_1`) once the query is a subquery. A repeated name gets a marker suffix here,
    // which clientName() takes off again in the schema and the Arrow batches the client receives.
    const seen = new Map<string, number>();
    return (list ?? [])
      .map((e) => {
        const name = e.expr_type === 'alias' ? (e.alias.name ?? [])[0] : columnName(e);
        if (name === undefined || name === '*' || (e.alias?.name ?? []).length > 1) return selectItem(e, this);
        const k = seen.get(name.toLowerCase()) ?? 0;
        seen.set(name.toLowerCase(), k + 1);
        if (k === 0) return selectItem(e, this);
        const inner = e.expr_type === 'alias' ? e.alias.expr : e.expr_type === 'sort_order' ? e.sort_order.child : e;
        return `${exprSql(inner, this)} AS ${quoteIdent(`${name}${DUPLICATE_MARK}${k}`)}`;
      })
      .join(', ');
  }

  private async compile(rel: Msg): Promise<string> {
    if (this.env.udf) {
      const udfSql = await this.env.udf(rel, this);
      if (udfSql !== undefined) return udfSql;
    }
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
        // select() of no columns (isEmpty): SQL needs one, so a placeholder stands in.
        const list = () => ((p.expressions ?? []).length ? this.exprs(p.expressions) : '1 AS `_empty`');
        if (!p.input) return `SELECT ${list()}`;
        if (p.input.rel_type === 'sort' && p.input.sort.input?.rel_type === 'join') {
          // join(...).sort(...).select(...): one SELECT, so that the join's aliases stay visible.
          const from = await this.fromOf(p.input.sort.input);
          const order = (p.input.sort.order ?? []).map((o: Msg) =>
            exprSql({ expr_type: 'sort_order', sort_order: o }, this),
          );
          return `SELECT ${list()} FROM ${from} ORDER BY ${order.join(', ')}`;
        }
        const from = await this.fromOf(p.input);
        if ((p.expressions ?? []).some((e: Msg) => e.expr_type === 'unresolved_regex')) {
          // df.colRegex("`(a|b)`"): the input's columns whose names match.
          const have = await this.schemaOf(`SELECT * FROM ${from}`);
          const expanded = (p.expressions as Msg[]).flatMap((e) => {
            if (e.expr_type !== 'unresolved_regex') return [e];
            const re = javaRegex(String(e.unresolved_regex.col_name));
            return have
              .filter((h) => re.test(h.name))
              .map((h) => ({
                expr_type: 'unresolved_attribute',
                unresolved_attribute: { unparsed_identifier: quoteIdent(h.name), plan_id: e.unresolved_regex.plan_id },
              }));
          });
          return `SELECT ${this.exprs(expanded)} FROM ${from}`;
        }
        await this.markMapKeys(p.expressions, from);
        return `SELECT ${list()} FROM ${from}`;
      }
      case 'filter': {
        const from = await this.fromOf(rel.filter.input);
        return `SELECT * FROM ${from} WHERE ${exprSql(rel.filter.condition, this)}`;
      }
      case 'sort': {
        const input = rel.sort.input;
        if (input?.rel_type === 'project' && input.project.input) {
          // select(...).orderBy(c): Spark sorts by input columns the projection dropped too, so the
          // sort shares the projection's SELECT (ORDER BY sees output aliases and input columns).
          const from = await this.fromOf(input.project.input);
          const order = (rel.sort.order ?? []).map((o: Msg) =>
            exprSql({ expr_type: 'sort_order', sort_order: o }, this),
          );
          return `SELECT ${this.exprs(input.project.expressions)} FROM ${from} ORDER BY ${order.join(', ')}`;
        }
        const from = await this.fromOf(rel.sort.input);
        return `SELECT * FROM ${from} ORDER BY ${(rel.sort.order ?? []).map((o: Msg) => exprSql({ expr_type: 'sort_order', sort_order: o }, this)).join(', ')}`;
      }
      case 'limit':
        return `SELECT * FROM ${await this.sub(rel.limit.input)} LIMIT ${Number(rel.limit.limit ?? 0)}`;
      case 'offset':
        return `SELECT * FROM ${await this.sub(rel.offset.input)} LIMIT ALL OFFSET ${Number(rel.offset.offset ?? 0)}`;
      case 'tail': {
        const t = rel.tail;
        const inner = await this.relation(t.input);
        const cols = (await this.schemaOf(inner)).map((c) => quoteIdent(c.name)).join(', ');
        const numbered = `SELECT *, row_number() OVER (ORDER BY 1) AS __lbx_rn FROM (${inner}) AS ${this.aliasFor(t.input)}`;
        return `SELECT ${cols} FROM (SELECT * FROM (${numbered}) AS _t ORDER BY __lbx_rn DESC LIMIT ${Number(t.limit ?? 0)}) AS _t ORDER BY __lbx_rn`;
      }
      case 'sample':
        return this.sample(rel.sample);
      case 'hint':
        // Hints guide Spark's planner; the single-node engine has nothing to tune (accepted, no-op).
        return `SELECT * FROM ${await this.sub(rel.hint.input)}`;
      case 'repartition':
        return `SELECT * FROM ${await this.sub(rel.repartition.input)}`;
      case 'repartition_by_expression':
        return `SELECT * FROM ${await this.sub(rel.repartition_by_expression.input)}`;
      case 'unpivot':
        return this.unpivot(rel.unpivot);
      case 'to_schema':
        return this.toSchema(rel.to_schema);
      case 'fill_na':
        return this.fillNa(rel.fill_na);
      case 'drop_na':
        return this.dropNa(rel.drop_na);
      case 'replace':
        return this.replaceNa(rel.replace);
      case 'describe':
        return this.describe(rel.describe.input, ['count', 'mean', 'stddev', 'min', 'max'], rel.describe.cols ?? []);
      case 'summary': {
        const st = (rel.summary.statistics ?? []) as string[];
        return this.describe(
          rel.summary.input,
          st.length ? st : ['count', 'mean', 'stddev', 'min', '25%', '50%', '75%', 'max'],
          [],
        );
      }
      case 'corr': {
        const c = rel.corr;
        const method = String(c.method ?? 'pearson').toLowerCase();
        if (method !== 'pearson') throw unsupported(`corr(method='${method}') (only pearson)`);
        return `SELECT corr(CAST(${quoteName(c.col1)} AS DOUBLE), CAST(${quoteName(c.col2)} AS DOUBLE)) AS corr FROM ${await this.sub(c.input)}`;
      }
      case 'cov': {
        const c = rel.cov;
        return `SELECT covar_samp(CAST(${quoteName(c.col1)} AS DOUBLE), CAST(${quoteName(c.col2)} AS DOUBLE)) AS cov FROM ${await this.sub(c.input)}`;
      }
      case 'crosstab':
        return this.crosstab(rel.crosstab);
      case 'freq_items':
        return this.freqItems(rel.freq_items);
      case 'approx_quantile':
        return this.approxQuantile(rel.approx_quantile);
      case 'sample_by':
        return this.sampleBy(rel.sample_by);
      case 'with_relations':
        return this.withRelations(rel.with_relations);
      case 'catalog':
        if (!this.env.catalog) throw unsupported('spark.catalog here');
        return this.env.catalog(rel.catalog);
      case 'aggregate': {
        const a = rel.aggregate;
        const from = await this.fromOf(a.input);
        const keys = (a.grouping_expressions ?? []) as Msg[];
        const items = [...keys, ...((a.aggregate_expressions ?? []) as Msg[])];
        // groupBy(expr.alias("k")): the select list names the key, GROUP BY repeats the expression.
        const keySql = keys.map((k) => exprSql(unaliased(k), this)).join(', ');
        this.groupingKeys = keySql;
        switch (a.group_type ?? 'GROUP_TYPE_GROUPBY') {
          case 'GROUP_TYPE_GROUPBY':
            return `SELECT ${this.exprs(items)} FROM ${from}${keys.length ? ` GROUP BY ${keySql}` : ''}`;
          case 'GROUP_TYPE_ROLLUP':
            return `SELECT ${this.exprs(items)} FROM ${from} GROUP BY ROLLUP(${keySql})`;
          case 'GROUP_TYPE_CUBE':
            return `SELECT ${this.exprs(items)} FROM ${from} GROUP BY CUBE(${keySql})`;
          case 'GROUP_TYPE_GROUPING_SETS': {
            const sets = ((a.grouping_sets ?? []) as Msg[]).map(
              (g) => `(${((g.grouping_set ?? []) as Msg[]).map((e) => exprSql(unaliased(e), this)).join(', ')})`,
            );
            return `SELECT ${this.exprs(items)} FROM ${from} GROUP BY GROUPING SETS (${sets.join(', ')})`;
          }
          case 'GROUP_TYPE_PIVOT':
            return this.pivot(a, from, keys);
          default:
            throw unsupported(`aggregate ${a.group_type}`);
        }
      }
      case 'join': {
        // join(other, "k"): Spark puts the USING columns first, then the other columns of each side.
        const keys = ((rel.join.using_columns ?? []) as string[]).map(quoteIdent).join(', ');
        const list = keys ? `${keys}, * EXCEPT (${keys})` : '*';
        return `SELECT ${list} FROM ${await this.joinFrom(rel.join)}`;
      }
      case 'set_op': {
        const s = rel.set_op;
        const op =
          { SET_OP_TYPE_UNION: 'UNION', SET_OP_TYPE_INTERSECT: 'INTERSECT', SET_OP_TYPE_EXCEPT: 'EXCEPT' }[
            s.set_op_type as string
          ] ?? undefined;
        if (!op) throw unsupported(`set operation ${s.set_op_type}`);
        if (s.by_name) {
          if (op !== 'UNION') throw unsupported(`${op} by name`);
          return this.unionByName(s);
        }
        return `SELECT * FROM ${await this.sub(s.left_input)} ${op} ${s.is_all ? 'ALL ' : 'DISTINCT '}SELECT * FROM ${await this.sub(s.right_input)}`;
      }
      case 'local_relation':
        return localRelationSql(rel.local_relation);
      case 'range': {
        const r = rel.range;
        const start = BigInt(r.start ?? 0);
        const end = BigInt(r.end ?? 0);
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
        await this.markMapKeys(
          ((w.aliases ?? []) as Msg[]).map((a) => a.expr),
          `(${inner}) AS ${alias}`,
        );
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
        // dropDuplicatesWithinWatermark on a batch DataFrame is dropDuplicates (no state to expire).
        const d = rel.deduplicate;
        if (!d.column_names?.length || d.all_columns_as_keys)
          return `SELECT DISTINCT * FROM ${await this.sub(d.input)}`;
        const inner = await this.relation(d.input);
        const have = await this.schemaOf(inner);
        const keys = (d.column_names as string[]).map((k) => {
          const c = have.find((h) => h.name.toLowerCase() === k.toLowerCase());
          if (!c) throw unresolvedColumn(k, have);
          return quoteIdent(c.name);
        });
        const cols = have.map((c) => quoteIdent(c.name)).join(', ');
        return `SELECT ${cols} FROM (SELECT *, row_number() OVER (PARTITION BY ${keys.join(', ')} ORDER BY 1) AS __lbx_rn FROM (${inner}) AS ${this.aliasFor(d.input)}) AS _d WHERE __lbx_rn = 1`;
      }
      case 'show_string':
        throw unsupported('show_string below the root');
      default:
        throw unsupported(`relation ${rel.rel_type ?? '(empty)'}`);
    }
  }

  private async sample(sm: Msg): Promise<string> {
    if (sm.with_replacement) throw unsupported('sample(withReplacement=True)');
    const inner = await this.relation(sm.input);
    const cols = (await this.schemaOf(inner)).map((c) => quoteIdent(c.name)).join(', ');
    const lo = Number(sm.lower_bound ?? 0);
    const hi = Number(sm.upper_bound ?? 1);
    const seed = sm.seed !== undefined && sm.seed !== null ? String(sm.seed) : String(Math.floor(Math.random() * 1e9));
    // A deterministic uniform value per row from the seed and the row's position: the same seed
    // gives the same sample, and randomSplit's disjoint [lower, upper) ranges partition the rows.
    const u = `(pmod(hash(__lbx_rn, ${seed}L), 1000003) / 1000003.0D)`;
    return `SELECT ${cols} FROM (SELECT *, row_number() OVER (ORDER BY 1) AS __lbx_rn FROM (${inner}) AS ${this.aliasFor(sm.input)}) AS _sm WHERE ${u} >= ${lo}D AND ${u} < ${hi}D`;
  }

  private async sampleBy(sb: Msg): Promise<string> {
    const inner = await this.relation(sb.input);
    const cols = (await this.schemaOf(inner)).map((c) => quoteIdent(c.name)).join(', ');
    const seed = sb.seed !== undefined && sb.seed !== null ? String(sb.seed) : '0';
    const u = `(pmod(hash(__lbx_rn, ${seed}L), 1000003) / 1000003.0D)`;
    const key = exprSql(sb.col, this);
    const whens = ((sb.fractions ?? []) as Msg[])
      .map((f) => `WHEN ${literalSql(f.stratum)} THEN ${u} < ${Number(f.fraction ?? 0)}D`)
      .join(' ');
    return `SELECT ${cols} FROM (SELECT *, row_number() OVER (ORDER BY 1) AS __lbx_rn FROM (${inner}) AS ${this.aliasFor(sb.input)}) AS _sb WHERE CASE ${key} ${whens} ELSE false END`;
  }

  private async unpivot(u: Msg): Promise<string> {
    const inner = await this.relation(u.input);
    const alias = this.aliasFor(u.input);
    const have = await this.schemaOf(inner);
    const ids = ((u.ids ?? []) as Msg[]).map((e) => ({ sql: exprSql(e, this), name: autoName(e) }));
    let values: { sql: string; name: string }[];
    if (u.values && (u.values.values ?? []).length) {
      values = (u.values.values as Msg[]).map((e) => ({
        sql: exprSql(e, this),
        name: autoName(e) ?? exprSql(e, this),
      }));
    } else {
      const idNames = new Set(ids.map((i) => i.name?.toLowerCase()));
      values = have
        .filter((c) => !idNames.has(c.name.toLowerCase()))
        .map((c) => ({ sql: quoteIdent(c.name), name: c.name }));
    }
    if (!values.length)
      throw new LakeboxError(
        'UNPIVOT_REQUIRES_VALUE_COLUMNS',
        'At least one value column needs to be specified for UNPIVOT, all columns specified as ids.',
        { sqlState: '42K0A' },
      );
    const varName = quoteIdent(u.variable_column_name ?? 'variable');
    const valName = quoteIdent(u.value_column_name ?? 'value');
    const idSel = ids.map((i) => (i.name ? `${i.sql} AS ${quoteIdent(i.name)}` : i.sql));
    const idOut = ids.map((i) => (i.name ? quoteIdent(i.name) : i.sql));
    // One branch per value column, ordered as Spark emits them: by input row, then by value column.
    const numbered = `SELECT *, row_number() OVER (ORDER BY 1) AS __lbx_rn FROM (${inner}) AS ${alias}`;
    const branches = values.map(
      (v, k) =>
        `SELECT ${[...idSel, `${stringLit(v.name)} AS ${varName}`, `${v.sql} AS ${valName}`, '__lbx_rn', `${k} AS __lbx_k`].join(', ')} FROM (${numbered}) AS ${alias}`,
    );
    return `SELECT ${[...idOut, varName, valName].join(', ')} FROM (${branches.join(' UNION ALL ')}) AS _u ORDER BY __lbx_rn, __lbx_k`;
  }

  private async toSchema(t: Msg): Promise<string> {
    const inner = await this.relation(t.input);
    const have = await this.schemaOf(inner);
    const fields = (t.schema?.struct?.fields ?? []) as Msg[];
    const items = fields.map((f) => {
      const c = have.find((h) => h.name.toLowerCase() === String(f.name).toLowerCase());
      if (!c) throw unresolvedColumn(f.name, have);
      return `CAST(${quoteIdent(c.name)} AS ${typeName(f.data_type)}) AS ${quoteIdent(f.name)}`;
    });
    return `SELECT ${items.join(', ')} FROM (${inner}) AS ${this.aliasFor(t.input)}`;
  }

  /** The columns a na function applies to: the named ones, or all of them. */
  private naColumns(have: { name: string; type: string }[], cols: string[] | undefined) {
    if (!cols?.length) return have;
    return cols.map((k) => {
      const c = have.find((h) => h.name.toLowerCase() === k.toLowerCase());
      if (!c) throw unresolvedColumn(k, have);
      return c;
    });
  }

  private async fillNa(f: Msg): Promise<string> {
    const inner = await this.relation(f.input);
    const have = await this.schemaOf(inner);
    const values = (f.values ?? []) as Msg[];
    const cols = this.naColumns(have, f.cols);
    const fill = new Map<string, Msg>();
    if (values.length === 1) {
      for (const c of cols) if (fillApplies(values[0], c.type, !!f.cols?.length)) fill.set(c.name, values[0]);
    } else {
      if (values.length !== cols.length) throw unsupported('fillna with differing numbers of columns and values');
      cols.forEach((c, i) => {
        if (fillApplies(values[i], c.type, true)) fill.set(c.name, values[i]);
      });
    }
    const items = have.map((c) => {
      const v = fill.get(c.name);
      const q = quoteIdent(c.name);
      if (!v) return q;
      const nan = c.type === 'double' || c.type === 'float' ? `nanvl(${q}, NULL)` : q;
      return `coalesce(${nan}, CAST(${literalSql(v)} AS ${c.type})) AS ${q}`;
    });
    return `SELECT ${items.join(', ')} FROM (${inner}) AS ${this.aliasFor(f.input)}`;
  }

  private async dropNa(d: Msg): Promise<string> {
    const inner = await this.relation(d.input);
    const have = await this.schemaOf(inner);
    const cols = this.naColumns(have, d.cols);
    const min = d.min_non_nulls !== undefined && d.min_non_nulls !== null ? Number(d.min_non_nulls) : cols.length;
    const nonNull = cols.map((c) => {
      const q = quoteIdent(c.name);
      const ok =
        c.type === 'double' || c.type === 'float' ? `${q} IS NOT NULL AND NOT isnan(${q})` : `${q} IS NOT NULL`;
      return `CASE WHEN ${ok} THEN 1 ELSE 0 END`;
    });
    const cond = nonNull.length ? `(${nonNull.join(' + ')}) >= ${min}` : 'true';
    return `SELECT * FROM (${inner}) AS ${this.aliasFor(d.input)} WHERE ${cond}`;
  }

  private async replaceNa(r: Msg): Promise<string> {
    const inner = await this.relation(r.input);
    const have = await this.schemaOf(inner);
    const cols = new Set(this.naColumns(have, r.cols).map((c) => c.name));
    const reps = (r.replacements ?? []) as Msg[];
    const items = have.map((c) => {
      const q = quoteIdent(c.name);
      if (!cols.has(c.name)) return q;
      const applicable = reps.filter(
        (x) => replaceApplies(x.old_value, c.type) && replaceApplies(x.new_value, c.type, true),
      );
      if (!applicable.length) return q;
      const whens = applicable
        .map((x) => {
          const cond = x.old_value.literal_type === 'null' ? `${q} IS NULL` : `${q} = ${literalSql(x.old_value)}`;
          return `WHEN ${cond} THEN CAST(${literalSql(x.new_value)} AS ${c.type})`;
        })
        .join(' ');
      return `CASE ${whens} ELSE ${q} END AS ${q}`;
    });
    return `SELECT ${items.join(', ')} FROM (${inner}) AS ${this.aliasFor(r.input)}`;
  }

  /** describe() and summary(): one row per statistic, one string column per input column. */
  private async describe(input: Msg, stats: string[], names: string[]): Promise<string> {
    const inner = await this.relation(input);
    const have = await this.schemaOf(inner);
    const alias = this.aliasFor(input);
    const cols = names.length
      ? this.naColumns(have, names)
      : have.filter((c) => isNumericType(c.type) || c.type === 'string');
    const branches = stats.map((st) => {
      const vals = cols.map((c) => {
        const q = quoteIdent(c.name);
        const num = isNumericType(c.type);
        const lower = st.toLowerCase();
        let e: string;
        if (lower === 'count') e = `count(${q})`;
        else if (lower === 'mean') e = num ? `avg(${q})` : 'NULL';
        else if (lower === 'stddev') e = num ? `stddev_samp(${q})` : 'NULL';
        else if (lower === 'min') e = `min(${q})`;
        else if (lower === 'max') e = `max(${q})`;
        else if (lower === 'count_distinct') e = `count(DISTINCT ${q})`;
        else if (lower === 'approx_count_distinct') e = `approx_count_distinct(${q})`;
        else if (/^\d+(\.\d+)?%$/.test(st)) e = num ? `percentile(${q}, ${Number(st.slice(0, -1)) / 100}D)` : 'NULL';
        else
          throw new LakeboxError('INVALID_PARAMETER_VALUE.STATISTIC', `${st} is not a recognised statistic.`, {
            sqlState: '22023',
          });
        return `CAST(${e} AS STRING) AS ${q}`;
      });
      return `SELECT ${[`${stringLit(st)} AS \`summary\``, ...vals].join(', ')} FROM (${inner}) AS ${alias}`;
    });
    // Keep the statistics in the order asked for.
    return `SELECT ${['`summary`', ...cols.map((c) => quoteIdent(c.name))].join(', ')} FROM (${branches
      .map((b, i) => `SELECT *, ${i} AS __lbx_k FROM (${b}) AS _b${i}`)
      .join(' UNION ALL ')}) AS _d ORDER BY __lbx_k`;
  }

  private async crosstab(c: Msg): Promise<string> {
    const inner = await this.relation(c.input);
    const alias = this.aliasFor(c.input);
    const c1 = quoteName(c.col1);
    const c2 = quoteName(c.col2);
    const distinct = await this.rowsOf(
      `SELECT DISTINCT CAST(${c2} AS STRING) AS v FROM (${inner}) AS ${alias} ORDER BY v NULLS FIRST`,
    );
    const cols = distinct.map((r) => {
      const v = r[0] as string | null;
      const cond = v === null ? `${c2} IS NULL` : `CAST(${c2} AS STRING) = ${stringLit(v)}`;
      return `count(CASE WHEN ${cond} THEN 1 END) AS ${quoteIdent(v ?? 'null')}`;
    });
    const key = `coalesce(CAST(${c1} AS STRING), 'null')`;
    return `SELECT ${[`${key} AS ${quoteIdent(`${c.col1}_${c.col2}`)}`, ...cols].join(', ')} FROM (${inner}) AS ${alias} GROUP BY ${key}`;
  }

  private async freqItems(f: Msg): Promise<string> {
    const inner = await this.relation(f.input);
    const alias = this.aliasFor(f.input);
    const support = f.support !== undefined && f.support !== null ? Number(f.support) : 0.01;
    const have = await this.schemaOf(inner);
    const total = Number((await this.rowsOf(`SELECT count(*) FROM (${inner}) AS ${alias}`))[0]?.[0] ?? 0);
    const items: string[] = [];
    for (const name of (f.cols ?? []) as string[]) {
      const c = this.naColumns(have, [name])[0]!;
      const q = quoteIdent(c.name);
      // Exact counts: every value more frequent than support (Spark's sketch may add false positives).
      items.push(
        `(SELECT collect_list(v) FROM (SELECT ${q} AS v FROM (${inner}) AS ${alias} GROUP BY ${q} HAVING count(*) > ${support * total}D ORDER BY count(*) DESC, v) AS _f) AS ${quoteIdent(`${c.name}_freqItems`)}`,
      );
    }
    return `SELECT ${items.join(', ')}`;
  }

  private async approxQuantile(a: Msg): Promise<string> {
    const inner = await this.relation(a.input);
    const probs = ((a.probabilities ?? []) as number[]).map((p) =>
      Number.isInteger(Number(p)) ? Number(p).toFixed(1) : String(Number(p)),
    );
    const per = ((a.cols ?? []) as string[]).map(
      (c) =>
        `array(${probs.map((p) => `percentile_approx(CAST(${quoteName(c)} AS DOUBLE), ${p}, 1000000)`).join(', ')})`,
    );
    return `SELECT array(${per.join(', ')}) AS approx_quantile FROM (${inner}) AS ${this.aliasFor(a.input)}`;
  }

  private async unionByName(s: Msg): Promise<string> {
    const left = await this.relation(s.left_input);
    const right = await this.relation(s.right_input);
    const lc = await this.schemaOf(left);
    const rc = await this.schemaOf(right);
    const find = (cols: { name: string; type: string }[], n: string) =>
      cols.find((c) => c.name.toLowerCase() === n.toLowerCase());
    const missing = (side: string, n: string) =>
      new LakeboxError(
        'NUM_COLUMNS_MISMATCH',
        `Cannot resolve column name "${n}" among (${(side === 'left' ? rc : lc).map((c) => c.name).join(', ')}) in unionByName.`,
        { sqlState: '42826' },
      );
    const names = lc.map((c) => c.name);
    for (const c of rc) {
      if (!find(lc, c.name)) {
        if (!s.allow_missing_columns) throw missing('left', c.name);
        names.push(c.name);
      }
    }
    const side = (cols: { name: string; type: string }[], other: { name: string; type: string }[]) =>
      names
        .map((n) => {
          const c = find(cols, n);
          if (c) return quoteIdent(c.name);
          if (!s.allow_missing_columns) throw missing('right', n);
          return `CAST(NULL AS ${find(other, n)!.type}) AS ${quoteIdent(n)}`;
        })
        .join(', ');
    const la = this.aliasFor(s.left_input);
    const ra = this.aliasFor(s.right_input);
    return `SELECT ${side(lc, rc)} FROM (${left}) AS ${la} UNION ${s.is_all === false ? 'DISTINCT' : 'ALL'} SELECT ${side(rc, lc)} FROM (${right}) AS ${ra}`;
  }

  private async pivot(a: Msg, from: string, keys: Msg[]): Promise<string> {
    const pv = a.pivot;
    const pcol = exprSql(pv.col, this);
    let values = ((pv.values ?? []) as Msg[]).map((l) => ({ sql: literalSql(l), name: literalName(l) }));
    if (!values.length) {
      const rows = await this.rowsOf(`SELECT DISTINCT ${pcol} AS v FROM ${from} ORDER BY v NULLS FIRST`);
      values = rows.map((r) => {
        const v = r[0];
        if (v === null || v === undefined) return { sql: 'NULL', name: 'null' };
        return typeof v === 'number' || typeof v === 'boolean'
          ? { sql: String(v), name: String(v) }
          : { sql: stringLit(String(v)), name: String(v) };
      });
    }
    const aggs = (a.aggregate_expressions ?? []) as Msg[];
    const items = keys.map((k) => selectItem(k, this));
    for (const v of values) {
      const cond = v.sql === 'NULL' ? `${pcol} IS NULL` : `${pcol} = ${v.sql}`;
      for (const agg of aggs) {
        const inner = agg.expr_type === 'alias' ? agg.alias.expr : agg;
        const aggName = agg.expr_type === 'alias' ? agg.alias.name[0] : (autoName(agg) ?? exprSql(agg, this));
        const name = aggs.length === 1 ? v.name : `${v.name}_${aggName}`;
        // A (group, value) pair with no rows is NULL in Spark's pivot, also for a count.
        const fname = String(inner.unresolved_function?.function_name ?? '').toLowerCase();
        const filtered = `${exprSql(inner, this)} FILTER (WHERE ${cond})`;
        const cell = /^(count|count_if|approx_count_distinct)$/.test(fname)
          ? `CASE WHEN count(*) FILTER (WHERE ${cond}) > 0 THEN ${filtered} END`
          : filtered;
        items.push(`${cell} AS ${quoteIdent(name)}`);
      }
    }
    const keySql = keys.map((k) => exprSql(unaliased(k), this)).join(', ');
    return `SELECT ${items.join(', ')} FROM ${from}${keys.length ? ` GROUP BY ${keySql}` : ''}`;
  }

  private async withRelations(w: Msg): Promise<string> {
    // spark.sql("... {df} ...", df=df): the references are named subqueries the query reads.
    const ctes: string[] = [];
    for (const r of (w.references ?? []) as Msg[]) {
      if (r.rel_type !== 'subquery_alias') throw unsupported(`a ${r.rel_type} reference in WithRelations`);
      ctes.push(`${quoteIdent(r.subquery_alias.alias)} AS (${await this.relation(r.subquery_alias.input)})`);
    }
    const root = await this.relation(w.root);
    if (!ctes.length) return root;
    const m = /^\s*WITH\s+(RECURSIVE\s+)?/i.exec(root);
    if (m) return `WITH ${m[1] ?? ''}${ctes.join(', ')}, ${root.slice(m[0].length)}`;
    return `WITH ${ctes.join(', ')} ${root}`;
  }
}

const NUMERIC = /^(tinyint|smallint|int|bigint|float|double|decimal\(.*\))$/;
function isNumericType(t: string): boolean {
  return NUMERIC.test(t);
}

function literalName(l: Msg): string {
  const v = l[l.literal_type];
  return l.literal_type === 'null' ? 'null' : String(v);
}

function literalKind(l: Msg): 'number' | 'string' | 'boolean' | 'null' | 'other' {
  const t = l?.literal_type;
  if (['byte', 'short', 'integer', 'long', 'float', 'double', 'decimal'].includes(t)) return 'number';
  if (t === 'string') return 'string';
  if (t === 'boolean') return 'boolean';
  if (t === 'null') return 'null';
  return 'other';
}

/** Whether fillna's value applies to a column of this type (Spark: numbers to numeric, ...). */
function fillApplies(v: Msg, type: string, named: boolean): boolean {
  const k = literalKind(v);
  if (k === 'number') return isNumericType(type);
  if (k === 'string') return type === 'string';
  if (k === 'boolean') return type === 'boolean';
  return named;
}

function replaceApplies(v: Msg, type: string, isNew = false): boolean {
  const k = literalKind(v);
  if (k === 'null') return true;
  if (k === 'number') return isNumericType(type);
  if (k === 'string') return type === 'string';
  if (k === 'boolean') return type === 'boolean';
  return isNew;
}

function unresolvedColumn(name: string, have: { name: string }[]): LakeboxError {
  return new LakeboxError(
    'UNRESOLVED_COLUMN.WITH_SUGGESTION',
    `A column, variable, or function parameter with name \`${name}\` cannot be resolved. Did you mean one of the following? [${have
      .map((h) => quoteIdent(h.name))
      .join(', ')}].`,
    { sqlState: '42703' },
  );
}

/** A Java column regex (`colRegex`) as a JavaScript one matching a whole name. */
function javaRegex(pattern: string): RegExp {
  let p = pattern.trim();
  if (p.startsWith('`') && p.endsWith('`')) p = p.slice(1, -1);
  // Possessive quantifiers (`(a)?+`, `x*+`) become atomic groups, emulated with a lookahead
  // capture and a back reference: `(?=(?<pN>(a)?))\k<pN>`.
  let n = 0;
  for (;;) {
    const m = /(?<!\\)([?*+]|\{\d+(?:,\d*)?\})\+/.exec(p);
    if (!m) break;
    const q = m.index;
    let start = q - 1;
    if (p[start] === ')') {
      let depth = 0;
      for (; start >= 0; start--) {
        if (p[start] === ')' && p[start - 1] !== '\\') depth++;
        else if (p[start] === '(' && p[start - 1] !== '\\' && --depth === 0) break;
      }
    } else if (p[start - 1] === '\\') start--;
    if (start < 0) break;
    const name = `p${n++}`;
    p = `${p.slice(0, start)}(?=(?<${name}>${p.slice(start, q)}${m[1]}))\\k<${name}>${p.slice(q + m[0].length)}`;
  }
  try {
    return new RegExp(`^(?:${p})$`);
  } catch (e) {
    throw new LakeboxError('INVALID_PARAMETER_VALUE.PATTERN', `colRegex: ${(e as Error).message}`, {
      sqlState: '22023',
    });
  }
}
