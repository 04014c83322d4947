import { LakeboxError } from '@lakebox/common';
import { syntaxError, type Token } from './lexer.js';
import { DIVIDE_BY_ZERO_MESSAGE, FUNCTIONS } from './functions.js';
import { translateType } from './types.js';
import { firstToken, isGroup, isOp, isWord, splitCommas, type Group, type Node } from './tree.js';

/** Aggregates whose result type follows Spark's sum typing. */
const SUMS = new Set(['sum', 'try_sum']);
const INT_WINDOW = new Set(['row_number', 'rank', 'dense_rank', 'ntile']);

/** A table named in a query, to be resolved (through the metastore) before execution. */
export interface TableRef {
  /** Name parts as written: [table], [schema, table] or [catalog, schema, table]. */
  parts: string[];
  /** `delta.\`/path\`` form: the path. */
  path?: string;
  /** `parquet.\`/p\``, `csv.`, `json.`: read files directly. */
  fileFormat?: string;
  version?: number;
  timestamp?: string;
  /** Translated DuckDB boolean over this table's columns (the block's WHERE when it reads only this table). */
  filter?: string;
  /** The same WHERE clause as written (Spark SQL nodes), for partition pruning and file skipping. */
  filterNodes?: Node[];
  /** The alias the query gives this table. */
  alias?: string;
  token: Token;
}

export interface ParamValue {
  value: string | number | boolean | null;
  type?: string;
}

export interface TranslateContext {
  refs: TableRef[];
  params: Record<string, ParamValue>;
  /** CTE names visible at this point (not resolved as tables). */
  ctes: Set<string>;
  /** Functions called that are not Spark built-ins (user-defined SQL functions, or DuckDB's own). */
  unknownFunctions?: Set<string>;
}

/** The placeholder left in translated SQL for table reference `i`, replaced after resolution. */
export const refPlaceholder = (i: number) => `\u0001REF${i}\u0001`;

const CLAUSE_END = new Set([
  'WHERE',
  'GROUP',
  'HAVING',
  'ORDER',
  'LIMIT',
  'OFFSET',
  'QUALIFY',
  'WINDOW',
  'UNION',
  'INTERSECT',
  'EXCEPT',
  'MINUS',
  'SORT',
  'CLUSTER',
  'DISTRIBUTE',
  'ON',
  'USING',
  'PIVOT',
  'UNPIVOT',
  'LATERAL',
  'JOIN',
  'INNER',
  'LEFT',
  'RIGHT',
  'FULL',
  'CROSS',
  'NATURAL',
  'ANTI',
  'SEMI',
  'SELECT',
  'SET',
  'WHEN',
  'TABLESAMPLE',
  'VERSION',
  'TIMESTAMP',
  'FOR',
  'RETURNING',
]);

/**
 * Whether an operand starts after `prev`: `like(a, b)` is the function there, `x LIKE (...)` the
 * operator after an operand.
 */
function startsOperand(prev: Node | undefined): boolean {
  if (!prev) return true;
  if (prev.kind === 'op') return true;
  return isWord(
    prev,
    'SELECT',
    'WHERE',
    'AND',
    'OR',
    'NOT',
    'WHEN',
    'THEN',
    'ELSE',
    'ON',
    'HAVING',
    'BY',
    'CASE',
    'RETURN',
    'DISTINCT',
  );
}

/** Words after which a parenthesised group is not a function call. */
const NOT_FUNCTIONS = new Set([
  'IN',
  'EXISTS',
  'AS',
  'OVER',
  'VALUES',
  'USING',
  'FILTER',
  'ON',
  'AND',
  'OR',
  'NOT',
  'WHEN',
  'THEN',
  'ELSE',
  'SELECT',
  'FROM',
  'WHERE',
  'BY',
  'ROLLUP',
  'CUBE',
  'SETS',
  'PIVOT',
  'UNPIVOT',
  'TABLESAMPLE',
  'WITHIN',
  'ALL',
  'ANY',
  'SOME',
  'DISTINCT',
  'HAVING',
  'JOIN',
  'LATERAL',
  'INTO',
  'RETURN',
  'IS',
  'LIKE',
  'ILIKE',
  'BETWEEN',
  'CASE',
  'QUALIFY',
  'INTERVAL',
  'UNION',
  'EXCEPT',
  'INTERSECT',
  'MINUS',
  'LIMIT',
  'OFFSET',
  'GROUPING',
]);

const RESERVED_AFTER_TABLE = new Set([...CLAUSE_END, 'AS', 'WITH']);

function q(id: string): string {
  return `"${id.replaceAll('"', '""')}"`;
}
function sqlLit(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

function paramSql(p: ParamValue | undefined, name: string, tok: Token): string {
  if (!p) {
    throw new LakeboxError(
      'UNBOUND_SQL_PARAMETER',
      `Found the unbound parameter: ${name}. Please supply a value for it.`,
      {
        sqlState: '42P02',
        details: { line: tok.line, column: tok.col },
      },
    );
  }
  if (p.value === null) return p.type ? `CAST(NULL AS ${translateTypeString(p.type)})` : 'NULL';
  if (typeof p.value === 'number') return String(p.value);
  if (typeof p.value === 'boolean') return p.value ? 'TRUE' : 'FALSE';
  const t = (p.type ?? 'STRING').toUpperCase();
  if (t === 'STRING') return sqlLit(p.value);
  return `CAST(${sqlLit(p.value)} AS ${translateTypeString(t)})`;
}

export function translateTypeString(t: string): string {
  // Avoid a circular import: the type string is tokenised here.
  const nodes = typeNodes(t);
  return translateType(nodes).sql;
}
let typeNodesImpl: ((t: string) => Node[]) | undefined;
export function setTypeNodes(f: (t: string) => Node[]) {
  typeNodesImpl = f;
}
function typeNodes(t: string): Node[] {
  if (!typeNodesImpl) throw new Error('type tokenizer not set');
  return typeNodesImpl(t);
}

/** Render one token as DuckDB SQL. */
function tokenSql(t: Token, ctx: TranslateContext): string {
  switch (t.kind) {
    case 'qident':
      return q(t.value);
    case 'string':
      return sqlLit(t.value);
    case 'param':
      return paramSql(ctx.params[t.value], t.value, t);
    case 'number': {
      const m = /^(.*?)(BD|bd|[LlSsYyDdFf])?$/.exec(t.value)!;
      const num = m[1];
      const suf = (m[2] ?? '').toUpperCase();
      if (suf === 'L') return `CAST(${num} AS BIGINT)`;
      if (suf === 'S') return `CAST(${num} AS SMALLINT)`;
      if (suf === 'Y') return `CAST(${num} AS TINYINT)`;
      if (suf === 'D') return `CAST(${num} AS DOUBLE)`;
      if (suf === 'F') return `CAST(${num} AS FLOAT)`;
      if (suf === 'BD') {
        const digits = num.replace('.', '').replace(/^0+/, '') || '0';
        const scale = num.includes('.') ? num.split('.')[1].length : 0;
        return `CAST(${num} AS DECIMAL(${Math.max(digits.length, scale, 1)},${scale}))`;
      }
      if (/[eE]/.test(num)) return `CAST(${num} AS DOUBLE)`;
      if (!num.includes('.')) {
        const v = BigInt(num);
        if (v > 2147483647n && v <= 9223372036854775807n) return `CAST(${num} AS BIGINT)`;
        if (v > 9223372036854775807n) return `CAST(${num} AS DECIMAL(${num.length},0))`;
      }
      return num;
    }
    case 'op':
      if (t.value === '==') return '=';
      if (t.value === '!') return 'NOT';
      return t.value;
    default:
      return t.value;
  }
}

/** Join SQL pieces with sensible spacing. */
function join(pieces: string[]): string {
  let out = '';
  for (const p of pieces) {
    if (!p) continue;
    if (out === '' || p === '.' || out.endsWith('.') || p.startsWith('[') || p === ',') out += p;
    else out += ' ' + p;
  }
  return out;
}

export class Translator {
  /** Depth of PIVOT (...) clauses being translated. */
  private inPivot = 0;
  constructor(readonly ctx: TranslateContext) {}

  /** Translate a query (SELECT / WITH / VALUES / FROM-first / set operations). */
  query(nodes: Node[]): string {
    return this.seq(nodes, false);
  }

  /** Translate an expression. */
  expr(nodes: Node[]): string {
    return this.seq(nodes, true);
  }

  private groupSql(g: Group, inFunc: boolean): string {
    const first = g.items[0];
    const isQuery =
      isWord(first, 'SELECT', 'WITH', 'VALUES', 'FROM') ||
      (isGroup(first) && g.items.length > 1 && isWord(g.items[1], 'UNION', 'EXCEPT', 'INTERSECT'));
    const inner = isQuery ? this.query(g.items) : this.seq(g.items, inFunc);
    return g.open.value === '[' ? `[${inner}]` : `(${inner})`;
  }

  /** A generic run of nodes: expressions, clauses, nested queries. */
  private seq(nodes: Node[], exprOnly: boolean): string {
    const out: string[] = [];
    let i = 0;
    let fromMode = false;
    let afterSelect = false;
    let groupByStart = -1;
    // CTE names declared in this WITH
    if (isWord(nodes[0], 'WITH')) {
      for (let k = 1; k < nodes.length; k++) {
        const nk = nodes[k];
        if ((nk.kind === 'ident' || nk.kind === 'qident') && isWord(nodes[k + 1], 'AS') && isGroup(nodes[k + 2]))
          this.ctx.ctes.add(nk.value.toLowerCase());
        if ((nk.kind === 'ident' || nk.kind === 'qident') && isGroup(nodes[k + 1]) && isWord(nodes[k + 2], 'AS'))
          this.ctx.ctes.add(nk.value.toLowerCase());
      }
    }
    let lastFromStart = -1;
    let refsInBlock: number[] = [];
    let joinsInBlock = 0;
    while (i < nodes.length) {
      const nd = nodes[i];
      // Group: subquery, expression or subscript
      if (isGroup(nd)) {
        if (nd.open.value === '[') {
          // subscript: Spark arrays are 0-based
          const inner = nd.items;
          if (inner.length === 1 && inner[0].kind === 'string') out.push(`[${this.expr(inner)}]`);
          else out.push(`[(${this.expr(inner)}) + 1]`);
        } else if (isWord(nodes[i - 1], 'PIVOT')) {
          // DuckDB's PIVOT takes plain aggregates: no Spark result-type wrapping inside
          this.inPivot++;
          try {
            out.push(this.groupSql(nd, false));
          } finally {
            this.inPivot--;
          }
        } else out.push(this.groupSql(nd, false));
        i++;
        continue;
      }
      const t = nd as Token;
      const up = t.kind === 'ident' ? t.value.toUpperCase() : '';
      if (!exprOnly && up === 'SELECT') {
        afterSelect = true;
        fromMode = false;
        refsInBlock = [];
        joinsInBlock = 0;
        out.push('SELECT');
        i++;
        continue;
      }
      if (!exprOnly && (up === 'FROM' || up === 'JOIN')) {
        if (up === 'FROM') {
          lastFromStart = out.length;
          afterSelect = false;
        } else joinsInBlock++;
        fromMode = true;
        out.push(up);
        i = this.tableRef(nodes, i + 1, out, refsInBlock);
        continue;
      }
      if (!exprOnly && fromMode && isOp(t, ',')) {
        joinsInBlock++;
        out.push(',');
        i = this.tableRef(nodes, i + 1, out, refsInBlock);
        continue;
      }
      if (!exprOnly && up === 'LATERAL' && isWord(nodes[i + 1], 'VIEW')) {
        i = this.lateralView(nodes, i + 2, out);
        joinsInBlock++;
        continue;
      }
      if (!exprOnly && up === 'WHERE' && fromMode) {
        fromMode = false;
        // capture the WHERE clause for file skipping when the block reads exactly one table
        const end = this.clauseEnd(nodes, i + 1);
        const cond = this.expr(nodes.slice(i + 1, end));
        out.push('WHERE', cond);
        if (
          refsInBlock.length === 1 &&
          joinsInBlock === 0 &&
          !nodes.slice(i + 1, end).some((x) => isGroup(x) && isWord(x.items[0], 'SELECT', 'WITH'))
        ) {
          this.ctx.refs[refsInBlock[0]].filter = cond;
          this.ctx.refs[refsInBlock[0]].filterNodes = nodes.slice(i + 1, end);
        }
        i = end;
        continue;
      }
      if (
        up &&
        CLAUSE_END.has(up) &&
        ![
          'ON',
          'USING',
          'JOIN',
          'LATERAL',
          'INNER',
          'LEFT',
          'RIGHT',
          'FULL',
          'CROSS',
          'NATURAL',
          'ANTI',
          'SEMI',
          'PIVOT',
          'UNPIVOT',
          'TIMESTAMP',
          'VERSION',
          'FOR',
          'WHEN',
          'SET',
          'TABLESAMPLE',
        ].includes(up)
      ) {
        fromMode = false;
      }
      if (!exprOnly && (up === 'SORT' || up === 'CLUSTER') && isWord(nodes[i + 1], 'BY')) {
        out.push('ORDER BY');
        i += 2;
        continue;
      }
      if (!exprOnly && up === 'DISTRIBUTE' && isWord(nodes[i + 1], 'BY')) {
        // no-op in a single engine: skip the expression list
        const end = this.clauseEnd(nodes, i + 2);
        i = end;
        continue;
      }
      if (up === 'LEFT' && isWord(nodes[i + 1], 'SEMI', 'ANTI')) {
        out.push((nodes[i + 1] as Token).value.toUpperCase());
        i += 2;
        continue;
      }
      if (up === 'MINUS') {
        out.push('EXCEPT');
        i++;
        continue;
      }
      if (up === 'GROUP' && isWord(nodes[i + 1], 'BY')) {
        out.push('GROUP BY');
        groupByStart = out.length;
        i += 2;
        continue;
      }
      if (up === 'WITH' && isWord(nodes[i + 1], 'ROLLUP', 'CUBE') && groupByStart >= 0) {
        const kind = (nodes[i + 1] as Token).value.toUpperCase();
        const items = out.splice(groupByStart);
        out.push(`${kind}(${join(items)})`);
        i += 2;
        continue;
      }
      if (
        up === 'EXCEPT' &&
        isGroup(nodes[i + 1]) &&
        i > 0 &&
        (isOp(nodes[i - 1], '*') || afterSelect) &&
        !isWord((nodes[i + 1] as Group).items[0], 'SELECT')
      ) {
        out.push('EXCLUDE');
        i++;
        continue;
      }
      if (up === 'DIV' || isOp(t, '/', '%')) {
        // Spark's ANSI mode: a zero divisor raises DIVIDE_BY_ZERO (DuckDB gives NULL or Infinity)
        const end = operandEnd(nodes, i + 1);
        out.push(
          up === 'DIV' ? '//' : t.value,
          nonZeroDivisor(this.seq(nodes.slice(i + 1, end), true), nodes.slice(i + 1, end)),
        );
        i = end;
        continue;
      }
      if (
        isOp(t, '<=>') ||
        ((up === 'RLIKE' || up === 'REGEXP') && !(isGroup(nodes[i + 1]) && startsOperand(nodes[i - 1]))) ||
        (up === 'NOT' && isWord(nodes[i + 1], 'RLIKE', 'REGEXP'))
      ) {
        const neg = up === 'NOT';
        const opTok = neg ? nodes[i + 1] : t;
        // left operand: back to the last boolean-level boundary
        let b = out.length;
        while (
          b > 0 &&
          !/^(AND|OR|NOT|WHEN|THEN|ELSE|WHERE|ON|HAVING|SELECT|,|CASE|QUALIFY|BY|RETURN)$/i.test(out[b - 1])
        )
          b--;
        const left = join(out.splice(b));
        const start = i + (neg ? 2 : 1);
        let e = start;
        while (
          e < nodes.length &&
          !isWord(
            nodes[e],
            'AND',
            'OR',
            'THEN',
            'WHEN',
            'ELSE',
            'END',
            'FROM',
            'WHERE',
            'GROUP',
            'ORDER',
            'HAVING',
            'LIMIT',
            'AS',
          ) &&
          !isOp(nodes[e], ',')
        )
          e++;
        const right = this.expr(nodes.slice(start, e));
        if (isOp(opTok, '<=>')) out.push(`(${left} IS NOT DISTINCT FROM ${right})`);
        else out.push(`${neg ? 'NOT ' : ''}regexp_matches(${left}, ${right})`);
        i = e;
        continue;
      }
      if ((up === 'CAST' || up === 'TRY_CAST') && isGroup(nodes[i + 1])) {
        out.push(this.cast(up, nodes[i + 1] as Group));
        i += 2;
        continue;
      }
      if (isOp(t, '::')) {
        const ty = translateType(nodes, i + 1);
        const prev = out.pop() ?? '';
        out.push(`CAST(${integralSource(prev, ty.sql, true)} AS ${ty.sql})`);
        i += 1 + ty.used;
        continue;
      }
      if (up === 'INTERVAL') {
        i = this.interval(nodes, i + 1, out);
        continue;
      }
      if (
        (up === 'DATE' || up === 'TIMESTAMP' || up === 'TIMESTAMP_NTZ' || up === 'TIMESTAMP_LTZ') &&
        nodes[i + 1]?.kind === 'string'
      ) {
        out.push(`${up === 'DATE' ? 'DATE' : 'TIMESTAMP'} ${sqlLit((nodes[i + 1] as Token).value)}`);
        i += 2;
        continue;
      }
      if (up === 'X' && nodes[i + 1]?.kind === 'string' && (nodes[i + 1] as Token).offset === t.offset + 1) {
        out.push(`unhex(${sqlLit((nodes[i + 1] as Token).value)})`);
        i += 2;
        continue;
      }
      // lambda: x -> body (within an argument)
      if ((t.kind === 'ident' || t.kind === 'qident') && isOp(nodes[i + 1], '->')) {
        out.push(`lambda ${q(t.value)}: ${this.expr(nodes.slice(i + 2))}`);
        i = nodes.length;
        continue;
      }
      // function call (exists(arr, x -> ...) is the higher-order function, EXISTS (SELECT ...) the predicate)
      const existsFn =
        up === 'EXISTS' &&
        isGroup(nodes[i + 1]) &&
        !isWord((nodes[i + 1] as Group).items[0], 'SELECT', 'WITH', 'FROM', 'VALUES');
      if (existsFn) {
        out.push(this.call(t, nodes[i + 1] as Group));
        i += 2;
        continue;
      }
      if (
        (t.kind === 'ident' || t.kind === 'qident') &&
        isGroup(nodes[i + 1]) &&
        (nodes[i + 1] as Group).open.value === '(' &&
        (!NOT_FUNCTIONS.has(up) ||
          ((up === 'LIKE' || up === 'ILIKE') && startsOperand(nodes[i - 1])) ||
          // filter(arr, x -> ...) the function, not an aggregate's FILTER (WHERE ...)
          (up === 'FILTER' && !isWord((nodes[i + 1] as Group).items[0], 'WHERE'))) &&
        !isOp(nodes[i - 1], '.')
      ) {
        const fname = t.value.toLowerCase();
        if (t.kind === 'ident' && SUMS.has(fname) && FUNCTIONS[fname] && !this.inPivot) {
          out.push(this.sparkSum(fname, t, nodes, i));
          i = this.aggregateEnd(nodes, i + 2);
          continue;
        }
        if (t.kind === 'ident' && INT_WINDOW.has(fname) && isWord(nodes[i + 2], 'OVER')) {
          // Spark's ranking functions return INT (DuckDB: BIGINT)
          const end = this.aggregateEnd(nodes, i + 2);
          out.push(
            `CAST(${this.call(t, nodes[i + 1] as Group)} ${this.seq(nodes.slice(i + 2, end), true)} AS INTEGER)`,
          );
          i = end;
          continue;
        }
        let callSql = this.call(t, nodes[i + 1] as Group);
        if (isWord(nodes[i + 2], 'IGNORE', 'RESPECT') && isWord(nodes[i + 3], 'NULLS')) {
          // Spark's fn(x) IGNORE NULLS OVER (...): DuckDB takes the clause inside the call
          callSql = callSql.replace(/\)$/, ` ${(nodes[i + 2] as Token).value.toUpperCase()} NULLS)`);
          nodes = [...nodes.slice(0, i + 2), ...nodes.slice(i + 4)];
        }
        if (isWord(nodes[i + 2], 'OVER') && /^(first|last)(_value)?$/.test(fname))
          // first/last(x, true) as a window function: DuckDB's IGNORE NULLS (FILTER is aggregate-only)
          callSql = callSql.replace(
            /^(first|last)\(([\s\S]*)\) FILTER \(WHERE \2 IS NOT NULL\)$/,
            '$1_value($2 IGNORE NULLS)',
          );
        out.push(callSql);
        i += 2;
        // Spark: count(*) FILTER (...) / OVER (...) pass through via the generic path
        continue;
      }
      if (
        t.kind === 'ident' &&
        /^(current_date|current_timestamp|current_user|current_catalog|current_schema|current_database)$/i.test(
          t.value,
        ) &&
        !isGroup(nodes[i + 1])
      ) {
        out.push(this.call(t, { kind: 'group', open: t, close: t, items: [] }));
        i++;
        continue;
      }
      // generic token
      if (isOp(t, '.')) {
        out.push('.');
        i++;
        continue;
      }
      out.push(tokenSql(t, this.ctx));
      i++;
    }
    void lastFromStart;
    return join(out);
  }

  /** Index of the end of a clause beginning at `i` (next top-level clause keyword). */
  private clauseEnd(nodes: Node[], i: number): number {
    let e = i;
    let caseDepth = 0;
    while (e < nodes.length) {
      const n = nodes[e];
      if (isWord(n, 'CASE')) caseDepth++;
      if (isWord(n, 'END') && caseDepth > 0) caseDepth--;
      if (
        caseDepth === 0 &&
        isWord(
          n,
          'GROUP',
          'HAVING',
          'ORDER',
          'LIMIT',
          'OFFSET',
          'QUALIFY',
          'WINDOW',
          'UNION',
          'INTERSECT',
          'EXCEPT',
          'MINUS',
          'SORT',
          'CLUSTER',
          'DISTRIBUTE',
          'WHEN',
          'RETURNING',
        )
      )
        break;
      e++;
    }
    return e;
  }

  private interval(nodes: Node[], i: number, out: string[]): number {
    // INTERVAL '1' DAY | INTERVAL 1 DAY | INTERVAL '1 day' | INTERVAL 1 DAY 2 HOURS
    const parts: string[] = [];
    while (i < nodes.length) {
      const v = nodes[i];
      if (v && (v.kind === 'number' || v.kind === 'string' || isOp(v, '-'))) {
        let val: string;
        let step = 1;
        if (isOp(v, '-')) {
          val = '-' + (nodes[i + 1] as Token).value;
          step = 2;
        } else val = (v as Token).value;
        const unit = nodes[i + step];
        if (
          unit &&
          unit.kind === 'ident' &&
          /^(YEARS?|MONTHS?|WEEKS?|DAYS?|HOURS?|MINUTES?|SECONDS?|MILLISECONDS?|MICROSECONDS?)$/i.test(unit.value)
        ) {
          let un = unit.value.toUpperCase().replace(/S$/, '');
          let used = step + 1;
          if (isWord(nodes[i + used], 'TO')) {
            // DAY TO SECOND etc.: let DuckDB parse the string
            used += 2;
            parts.push(`INTERVAL ${sqlLit(val)}`);
            i += used;
            continue;
          }
          if (un === 'WEEK') {
            un = 'DAY';
            val = String(Number(val) * 7);
          }
          parts.push(`INTERVAL ${sqlLit(val)} ${un}`);
          i += used;
          continue;
        }
        if (v.kind === 'string') {
          parts.push(`INTERVAL ${sqlLit(val)}`);
          i += 1;
          continue;
        }
      }
      break;
    }
    if (!parts.length) {
      const tok = nodes[i] ? firstToken(nodes[i]) : undefined;
      throw syntaxError('Invalid INTERVAL literal', tok ?? { line: 1, col: 1 });
    }
    out.push(parts.length === 1 ? parts[0] : `(${parts.join(' + ')})`);
    return i;
  }

  private cast(kind: string, g: Group): string {
    const items = g.items;
    let asIdx = -1;
    for (let k = items.length - 1; k >= 0; k--)
      if (isWord(items[k], 'AS')) {
        asIdx = k;
        break;
      }
    if (asIdx < 0) throw syntaxError(`${kind} needs AS <type>`, g.open);
    const e = this.expr(items.slice(0, asIdx));
    const ty = translateType(items, asIdx + 1).sql;
    return `${kind}(${integralSource(temporalSource(e, ty), ty, kind === 'CAST')} AS ${ty})`;
  }

  /** Index after an aggregate call at `start - 2` and its FILTER (...) and OVER (...) / OVER name. */
  private aggregateEnd(nodes: Node[], start: number): number {
    let j = start;
    if (isWord(nodes[j], 'FILTER') && isGroup(nodes[j + 1])) j += 2;
    if (isWord(nodes[j], 'OVER') && nodes[j + 1]) j += 2;
    return j;
  }

  /**
   * sum()/try_sum() with Spark's result type: DuckDB sums integers into HUGEINT, Spark into BIGINT
   * (with ARITHMETIC_OVERFLOW past its range in ANSI mode; try_sum gives NULL). The macros pick
   * the overload by the argument's type and keep DuckDB's sum for the others.
   */
  private sparkSum(name: string, nameTok: Token, nodes: Node[], i: number): string {
    const g = nodes[i + 1] as Group;
    const end = this.aggregateEnd(nodes, i + 2);
    const tail = end > i + 2 ? ` ${this.seq(nodes.slice(i + 2, end), true)}` : '';
    const agg = `${this.call(nameTok, g)}${tail}`;
    const rawArgs = g.items.length ? splitCommas(g.items) : [];
    if (rawArgs.length !== 1) return agg;
    const arg = isWord(rawArgs[0][0], 'DISTINCT') ? rawArgs[0].slice(1) : rawArgs[0];
    return `${name === 'try_sum' ? 'spark_try_sum' : 'spark_sum'}(${this.expr(arg)}, ${agg})`;
  }

  private call(nameTok: Token, g: Group): string {
    const name = nameTok.value.toLowerCase();
    const rawArgs = g.items.length ? splitCommas(g.items) : [];
    // count(*), count(DISTINCT a, b)
    if (name === 'count' && rawArgs.length === 1 && rawArgs[0].length === 1 && isOp(rawArgs[0][0], '*'))
      return 'count(*)';
    let distinct = false;
    if (rawArgs[0] && isWord(rawArgs[0][0], 'DISTINCT')) {
      distinct = true;
      rawArgs[0] = rawArgs[0].slice(1);
    }
    if (name === 'struct') return this.structCall(rawArgs);
    if ((name === 'position' || name === 'locate') && rawArgs.length === 1) {
      const inIdx = rawArgs[0].findIndex((x) => isWord(x, 'IN'));
      if (inIdx > 0)
        return `instr(${this.expr(rawArgs[0].slice(inIdx + 1))}, ${this.expr(rawArgs[0].slice(0, inIdx))})`;
    }
    if (
      name === 'extract' &&
      rawArgs.length === 1 &&
      isWord(rawArgs[0][0], 'SECOND', 'SECONDS', 'S', 'SEC', 'SECS') &&
      isWord(rawArgs[0][1], 'FROM')
    )
      // Spark's EXTRACT(SECOND FROM ts) keeps the fraction: DECIMAL(8,6)
      return `CAST(date_part('microseconds', CAST(${this.expr(rawArgs[0].slice(2))} AS TIMESTAMP)) / 1000000 AS DECIMAL(8,6))`;
    if (name === 'trim' && rawArgs.length === 1 && rawArgs[0].some((x) => isWord(x, 'FROM'))) {
      const a = rawArgs[0];
      const fr = a.findIndex((x) => isWord(x, 'FROM'));
      let k = 0;
      let fn = 'trim';
      if (isWord(a[0], 'BOTH', 'LEADING', 'TRAILING')) {
        fn = isWord(a[0], 'LEADING') ? 'ltrim' : isWord(a[0], 'TRAILING') ? 'rtrim' : 'trim';
        k = 1;
      }
      const chars = fr > k ? this.expr(a.slice(k, fr)) : "' '";
      return `${fn}(${this.expr(a.slice(fr + 1))}, ${chars})`;
    }
    if (name === 'overlay' && rawArgs.length === 1) {
      const a = rawArgs[0];
      const pl = a.findIndex((x) => isWord(x, 'PLACING'));
      const fr = a.findIndex((x) => isWord(x, 'FROM'));
      const fo = a.findIndex((x) => isWord(x, 'FOR'));
      if (pl > 0 && fr > pl) {
        const len = fo > fr ? `, ${this.expr(a.slice(fo + 1))}` : '';
        return `spark_overlay(${this.expr(a.slice(0, pl))}, ${this.expr(a.slice(pl + 1, fr))}, ${this.expr(a.slice(fr + 1, fo > fr ? fo : a.length))}${len})`;
      }
    }
    // lambdas: (x, y) -> body
    const args = rawArgs.map((a) => {
      if (isGroup(a[0]) && isOp(a[1], '->')) {
        const params = splitCommas(a[0].items).map((p) => q((p[0] as Token).value));
        return `lambda ${params.join(', ')}: ${this.expr(a.slice(2))}`;
      }
      return this.expr(a);
    });
    const spec = FUNCTIONS[name];
    if (!spec) {
      this.ctx.unknownFunctions?.add(name);
      // Unknown to Lakebox: let DuckDB decide (user-defined SQL functions are macros with this name).
      return `${nameTok.kind === 'qident' ? q(nameTok.value) : nameTok.value}(${distinct ? 'DISTINCT ' : ''}${args.join(', ')})`;
    }
    if (typeof spec.emit === 'string') return `${spec.emit}(${distinct ? 'DISTINCT ' : ''}${args.join(', ')})`;
    if (distinct) {
      if (name === 'collect_set' || name === 'collect_list' || name === 'array_agg')
        return `coalesce(list(DISTINCT ${args[0]}) FILTER (WHERE ${args[0]} IS NOT NULL), [])`;
      // Spark's listagg/string_agg delimiter defaults to '' (DuckDB's to ',')
      if ((name === 'listagg' || name === 'string_agg') && args.length === 1)
        return `string_agg(DISTINCT ${args[0]}, '')`;
      return `${name}(DISTINCT ${args.join(', ')})`;
    }
    return spec.emit(args);
  }

  private structCall(rawArgs: Node[][]): string {
    // field names: `expr AS name`, a column's name, or col1, col2 ...
    const fields = rawArgs.map((a, k) => {
      const asIdx = a.findIndex((x) => isWord(x, 'AS'));
      if (asIdx >= 0) return `${q((a[asIdx + 1] as Token).value)} := ${this.expr(a.slice(0, asIdx))}`;
      const last = a[a.length - 1];
      const fname =
        a.length === 1 && (last.kind === 'ident' || last.kind === 'qident')
          ? last.value
          : a.length >= 3 && isOp(a[a.length - 2], '.') && !isGroup(last)
            ? last.value
            : `col${k + 1}`;
      return `${q(fname)} := ${this.expr(a)}`;
    });
    return `struct_pack(${fields.join(', ')})`;
  }

  /** Parse a table reference at nodes[i]; push its SQL; return the index after it. */
  private tableRef(nodes: Node[], i: number, out: string[], refsInBlock: number[]): number {
    const nd = nodes[i];
    if (nd === undefined)
      throw syntaxError('Syntax error: expected a table after FROM', (nodes[i - 1] as Token) ?? { line: 1, col: 1 });
    if (isWord(nd, 'LATERAL')) {
      out.push('LATERAL');
      return this.tableRef(nodes, i + 1, out, refsInBlock);
    }
    if (isGroup(nd)) {
      out.push(this.groupSql(nd, false));
      return this.alias(nodes, i + 1, out, undefined);
    }
    if (isWord(nd, 'VALUES')) {
      const rows: string[] = [];
      let k = i + 1;
      for (;;) {
        const r = nodes[k];
        if (isGroup(r)) rows.push(`(${this.expr(r.items)})`);
        else if (r) rows.push(`(${tokenSql(r, this.ctx)})`);
        else break;
        k++;
        if (isOp(nodes[k], ',')) k++;
        else break;
      }
      out.push(`(VALUES ${rows.join(', ')})`);
      return this.alias(nodes, k, out, undefined);
    }
    if (nd.kind !== 'ident' && nd.kind !== 'qident') throw syntaxError(`Syntax error at or near '${nd.raw}'`, nd);
    // table-valued function
    if (isGroup(nodes[i + 1]) && nd.kind === 'ident') {
      out.push(this.tableFunction(nd, nodes[i + 1] as Group));
      return this.alias(nodes, i + 2, out, undefined);
    }
    const parts: string[] = [nd.value];
    let k = i + 1;
    while (isOp(nodes[k], '.') && nodes[k + 1] && (nodes[k + 1].kind === 'ident' || nodes[k + 1].kind === 'qident')) {
      parts.push((nodes[k + 1] as Token).value);
      k += 2;
    }
    const ref: TableRef = { parts, token: nd };
    if (parts.length === 2 && nodes[k - 1].kind === 'qident' && /^(delta|parquet|csv|json)$/i.test(parts[0])) {
      ref.path = parts[1];
      if (!/^delta$/i.test(parts[0])) ref.fileFormat = parts[0].toLowerCase();
    }
    // t@v3 / t@20240101...
    if (isOp(nodes[k], '@') && nodes[k + 1]) {
      const v = (nodes[k + 1] as Token).value;
      if (/^v\d+$/i.test(v)) ref.version = Number(v.slice(1));
      else ref.timestamp = v;
      k += 2;
    }
    // [FOR] VERSION|TIMESTAMP AS OF x
    let m = k;
    if (isWord(nodes[m], 'FOR')) m++;
    if (
      isWord(nodes[m], 'VERSION', 'TIMESTAMP', 'SYSTEM_VERSION', 'SYSTEM_TIME') &&
      isWord(nodes[m + 1], 'AS') &&
      isWord(nodes[m + 2], 'OF')
    ) {
      const kind = (nodes[m] as Token).value.toUpperCase();
      const valNode = nodes[m + 3];
      if (!valNode) throw syntaxError('Expected a version or timestamp after AS OF', nodes[m] as Token);
      let end = m + 4;
      let valSql: string;
      if (valNode.kind === 'number' || valNode.kind === 'string' || valNode.kind === 'param')
        valSql =
          valNode.kind === 'param' ? paramSql(this.ctx.params[valNode.value], valNode.value, valNode) : valNode.value;
      else {
        // expression, e.g. current_timestamp() - INTERVAL 1 DAY: take until alias/clause
        while (
          end < nodes.length &&
          !(
            nodes[end].kind === 'ident' &&
            RESERVED_AFTER_TABLE.has((nodes[end] as Token).value.toUpperCase()) &&
            !isWord(nodes[end], 'INTERVAL')
          ) &&
          !isOp(nodes[end], ',')
        )
          end++;
        valSql = this.expr(nodes.slice(m + 3, end));
      }
      if (kind === 'VERSION' || kind === 'SYSTEM_VERSION') {
        const v = Number(valSql.replace(/^'|'$/g, ''));
        if (!Number.isInteger(v)) throw syntaxError('VERSION AS OF needs an integer', firstToken(valNode));
        ref.version = v;
      } else ref.timestamp = valSql.replace(/^'(.*)'$/s, '$1');
      k = end;
    }
    const cte =
      parts.length === 1 &&
      this.ctx.ctes.has(parts[0].toLowerCase()) &&
      ref.version === undefined &&
      ref.timestamp === undefined;
    if (cte) {
      out.push(q(parts[0]));
      return this.alias(nodes, k, out, undefined);
    }
    const idx = this.ctx.refs.length;
    this.ctx.refs.push(ref);
    refsInBlock.push(idx);
    out.push(refPlaceholder(idx));
    return this.alias(nodes, k, out, ref.path ? 'delta_path' : parts[parts.length - 1], ref);
  }

  /** Optional alias (+ column list) after a table reference; a default alias keeps `t.col` working. */
  private alias(nodes: Node[], k: number, out: string[], defaultAlias: string | undefined, ref?: TableRef): number {
    let aliasTok: Node | undefined;
    if (isWord(nodes[k], 'AS')) {
      aliasTok = nodes[k + 1];
      k += 2;
    } else if (
      nodes[k] &&
      (nodes[k].kind === 'qident' ||
        (nodes[k].kind === 'ident' &&
          !RESERVED_AFTER_TABLE.has((nodes[k] as Token).value.toUpperCase()) &&
          !isWord(
            nodes[k],
            'LEFT',
            'RIGHT',
            'FULL',
            'INNER',
            'CROSS',
            'NATURAL',
            'ANTI',
            'SEMI',
            'JOIN',
            'WHERE',
            'ON',
          )))
    ) {
      aliasTok = nodes[k];
      k++;
    }
    if (ref) ref.alias = aliasTok && aliasTok.kind !== 'group' ? aliasTok.value : defaultAlias;
    if (aliasTok && aliasTok.kind !== 'group') {
      let s = `AS ${q(aliasTok.value)}`;
      if (isGroup(nodes[k])) {
        s += `(${splitCommas((nodes[k] as Group).items)
          .map((c) => q((c[0] as Token).value))
          .join(', ')})`;
        k++;
      }
      out.push(s);
    } else if (defaultAlias) out.push(`AS ${q(defaultAlias)}`);
    return k;
  }

  private tableFunction(nameTok: Token, g: Group): string {
    const name = nameTok.value.toLowerCase();
    const args = g.items.length ? splitCommas(g.items) : [];
    if (name === 'range') {
      const a = args.map((x) => this.expr(x));
      return `(SELECT range AS id FROM range(${a.join(', ')}))`;
    }
    if (name === 'explode' || name === 'explode_outer') return `(SELECT unnest(${this.expr(args[0])}) AS col)`;
    if (name === 'posexplode' || name === 'posexplode_outer') {
      const a = this.expr(args[0]);
      return `(SELECT unnest(range(len(${a}))) AS pos, unnest(${a}) AS col)`;
    }
    // governance: table functions that read files or the engine's state are checked before running
    this.ctx.unknownFunctions?.add(name);
    if (name === 'read_files') return this.readFiles(args);
    return `${name}(${args.map((x) => this.expr(x)).join(', ')})`;
  }

  private readFiles(args: Node[][]): string {
    const path = this.expr(args[0] ?? []);
    const opts: Record<string, string> = {};
    for (const a of args.slice(1)) {
      // key => value
      const key = (a[0] as Token).value.toLowerCase();
      opts[key] = this.expr(a.slice(2));
    }
    const fmt =
      (opts.format ?? '').replace(/'/g, '').toLowerCase() ||
      (/\.csv'$/i.test(path) ? 'csv' : /\.json'$/i.test(path) ? 'json' : 'parquet');
    if (fmt === 'csv') {
      const header = opts.header ? `, header = ${opts.header}` : ', header = false';
      const sep = opts.sep ?? opts.delimiter;
      return `read_csv(${path}${header}${sep ? `, delim = ${sep}` : ''}, auto_detect = true)`;
    }
    if (fmt === 'json') return `read_json_auto(${path})`;
    if (fmt === 'parquet') return `read_parquet(${path}, union_by_name = true)`;
    throw new LakeboxError('UNSUPPORTED_FEATURE', `read_files: unsupported format ${fmt}`, { sqlState: '0A000' });
  }

  /** LATERAL VIEW [OUTER] gen(args) tbl [AS] c1[, c2] */
  private lateralView(nodes: Node[], i: number, out: string[]): number {
    let outer = false;
    if (isWord(nodes[i], 'OUTER')) {
      outer = true;
      i++;
    }
    const fn = nodes[i] as Token;
    const g = nodes[i + 1];
    if (!fn || fn.kind !== 'ident' || !isGroup(g))
      throw syntaxError('LATERAL VIEW needs a generator function', fn ?? (nodes[i - 1] as Token));
    i += 2;
    let tbl = 'lv';
    if (nodes[i] && !isWord(nodes[i], 'AS') && (nodes[i].kind === 'ident' || nodes[i].kind === 'qident')) {
      tbl = (nodes[i] as Token).value;
      i++;
    }
    if (isWord(nodes[i], 'AS')) i++;
    const cols: string[] = [];
    while (
      nodes[i] &&
      (nodes[i].kind === 'ident' || nodes[i].kind === 'qident') &&
      !CLAUSE_END.has((nodes[i] as Token).value.toUpperCase())
    ) {
      cols.push((nodes[i] as Token).value);
      i++;
      if (
        isOp(nodes[i], ',') &&
        nodes[i + 1] &&
        !isGroup(nodes[i + 1]) &&
        !isWord(nodes[i + 1], 'LATERAL') &&
        !isGroup(nodes[i + 2])
      )
        i++;
      else break;
    }
    const arg = this.expr(g.items);
    const name = fn.value.toLowerCase();
    let sel: string;
    if (name === 'explode' || name === 'explode_outer') {
      sel =
        cols.length === 2
          ? `SELECT unnest(map_keys(${arg})) AS ${q(cols[0])}, unnest(map_values(${arg})) AS ${q(cols[1])}`
          : `SELECT unnest(${arg}) AS ${q(cols[0] ?? 'col')}`;
    } else if (name === 'posexplode' || name === 'posexplode_outer') {
      sel = `SELECT unnest(range(len(${arg}))) AS ${q(cols[0] ?? 'pos')}, unnest(${arg}) AS ${q(cols[1] ?? 'col')}`;
    } else if (name === 'inline' || name === 'inline_outer') {
      sel = `SELECT unnest(${arg}, recursive := true)`;
    } else
      throw new LakeboxError('UNSUPPORTED_FEATURE', `LATERAL VIEW ${fn.value} is not supported`, { sqlState: '0A000' });
    out.push(
      `${outer || name.endsWith('_outer') ? 'LEFT JOIN' : 'CROSS JOIN'} LATERAL (${sel}) AS ${q(tbl)}${outer || name.endsWith('_outer') ? ' ON TRUE' : ''}`,
    );
    return i;
  }
}

/** A divisor that raises DIVIDE_BY_ZERO when it is zero; non-zero number literals stay as they are. */
export function nonZeroDivisor(sql: string, nodes: Node[]): string {
  const only = nodes.length === 1 ? nodes[0] : undefined;
  if (only?.kind === 'number' && Number(only.value.replace(/(BD|bd|[LlSsYyDdFf])$/, '')) !== 0) return sql;
  return `(CASE WHEN (${sql}) = 0 THEN error(${sqlLit(DIVIDE_BY_ZERO_MESSAGE)}) ELSE ${sql} END)`;
}

/** End (exclusive) of the operand starting at `i` that binds tighter than `*`, `/`, `%`, `div`. */
export function operandEnd(nodes: Node[], i: number): number {
  let j = i;
  while (isOp(nodes[j], '-', '+', '~')) j++;
  const t = nodes[j];
  if (!t) return j;
  if (isWord(t, 'CASE')) {
    let depth = 0;
    for (; j < nodes.length; j++) {
      if (isWord(nodes[j], 'CASE')) depth++;
      else if (isWord(nodes[j], 'END') && --depth === 0) return j + 1;
    }
    return j;
  }
  if (isWord(t, 'DATE', 'TIMESTAMP', 'TIMESTAMP_NTZ', 'TIMESTAMP_LTZ') && nodes[j + 1]?.kind === 'string') return j + 2;
  j++;
  if (t.kind === 'ident' || t.kind === 'qident') {
    while (isOp(nodes[j], '.') && nodes[j + 1] && !isGroup(nodes[j + 1])) j += 2;
    if (isGroup(nodes[j]) && (nodes[j] as Group).open.value === '(') {
      j++;
      if (isWord(nodes[j], 'FILTER') && isGroup(nodes[j + 1])) j += 2;
      if (isWord(nodes[j], 'OVER') && nodes[j + 1]) j += 2;
    }
  }
  for (;;) {
    if (isGroup(nodes[j]) && (nodes[j] as Group).open.value === '[') j++;
    else if (isOp(nodes[j], '.') && nodes[j + 1] && !isGroup(nodes[j + 1])) j += 2;
    else if (isOp(nodes[j], '::')) j += 1 + translateType(nodes, j + 1).used;
    else return j;
  }
}

const SPARK_INTEGRAL: Record<string, string> = {
  TINYINT: 'TINYINT',
  SMALLINT: 'SMALLINT',
  INTEGER: 'INT',
  BIGINT: 'BIGINT',
};

/** The operand of a cast between numbers and timestamps (seconds since the epoch in Spark). */
function temporalSource(e: string, ty: string): string {
  if (e.trim().toUpperCase() === 'NULL') return e;
  const t = ty.toUpperCase();
  if (t === 'TIMESTAMP') return `spark_to_timestamp(${e})`;
  if (t === 'DOUBLE' || t === 'FLOAT') return `spark_to_fractional(${e})`;
  return e;
}

/** The operand of a cast to an integral type, with Spark's truncation and ANSI string checks (spark_to_integral). */
function integralSource(e: string, ty: string, strict: boolean): string {
  const spark = SPARK_INTEGRAL[ty.toUpperCase()];
  return spark && e.trim().toUpperCase() !== 'NULL' ? `spark_to_integral(${e}, '${spark}', ${strict})` : e;
}
