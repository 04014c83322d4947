import type { DuckDBConnection, DuckDBResultReader } from '@duckdb/node-api';
import { LakeboxError } from '@lakebox/common';
import { audit } from '@lakebox/catalog';
import { duckdbInstance } from '@lakebox/delta';
import { buildTree, isWord, type Node } from './tree.js';
import { splitStatements, tokenize, type Token } from './lexer.js';
import { MACROS } from './functions.js';
import {
  Translator,
  refPlaceholder,
  setTypeNodes,
  type ParamValue,
  type TableRef,
  type TranslateContext,
} from './translate.js';
import { sparkTypeName } from './types.js';
import { toJsonValue } from './values.js';

setTypeNodes((t) => buildTree(tokenize(t)));

/** Who runs the statement and where unqualified names resolve. */
export interface Session {
  catalog: string;
  schema: string;
  user: string;
  /** What runs the statements, when known (lineage records it): e.g. `{ type: 'SPARK_CONNECT_SESSION', id }`. */
  entity?: { type: string; id: string; runId?: string };
  /** The SQL Statement API's statement id, when the statement came through it. */
  statementId?: string;
}

/** Resolves table references (through a metastore, or by path) to DuckDB SQL producing the rows. */
export interface TableResolver {
  /** DuckDB SQL (a SELECT or table function) for the table's rows, or throws TABLE_OR_VIEW_NOT_FOUND. */
  resolve(ref: TableRef, session: Session, conn: DuckDBConnection): Promise<string>;
  /** Make user-defined functions called by a query available on the connection. */
  prepareFunctions?(names: Iterable<string>, ctx: ExecContext): Promise<void>;
  /** Called before each statement runs (governance: a fresh privilege cache per statement). */
  beginStatement?(ctx: ExecContext): Promise<void>;
}

/** Statements other than queries (DDL, DML, utility) are handled by a StatementHandler. */
export interface StatementHandler {
  /** Handle a statement; return undefined when it is not one this handler knows. */
  handle(stmt: ParsedStatement, engine: SqlEngine, ctx: ExecContext): Promise<StatementResult | undefined>;
}

export interface ExecContext {
  session: Session;
  params: Record<string, ParamValue>;
  conn: DuckDBConnection;
}

export interface ParsedStatement {
  tokens: Token[];
  nodes: Node[];
  text: string;
}

export interface ResultColumn {
  name: string;
  /** Spark type name, e.g. `int`, `decimal(10,2)`, `array<string>`. */
  type: string;
}

export interface StatementResult {
  columns: ResultColumn[];
  /** JSON-friendly values: numbers (bigint beyond 2^53 as strings), strings, booleans, null, arrays, objects. */
  rows: unknown[][];
  /** For DML: rows affected. */
  numAffectedRows?: number;
}

export interface EngineOptions {
  resolver: TableResolver;
  handlers?: StatementHandler[];
}

let macrosReady: Promise<void> | undefined;

/**
 * Runs Spark SQL on DuckDB: translates each statement, resolves table references through the
 * TableResolver and executes. Non-query statements go to the registered handlers.
 */
export class SqlEngine {
  readonly resolver: TableResolver;
  readonly handlers: StatementHandler[];

  constructor(opts: EngineOptions) {
    this.resolver = opts.resolver;
    this.handlers = opts.handlers ?? [];
  }

  /** A DuckDB connection set up for Spark semantics. */
  async connect(): Promise<DuckDBConnection> {
    const db = await duckdbInstance();
    macrosReady ??= (async () => {
      const c = await db.connect();
      try {
        for (const m of MACROS) await c.run(m);
      } finally {
        c.closeSync();
      }
    })();
    await macrosReady;
    const conn = await db.connect();
    await conn.run("SET default_null_order = 'nulls_first_on_asc_last_on_desc'");
    await conn.run("SET TimeZone = 'UTC'");
    return conn;
  }

  /** Parse a script into statements (syntax errors carry line and column). */
  parse(sql: string): ParsedStatement[] {
    const tokens = tokenize(sql);
    return splitStatements(tokens).map((toks) => ({
      tokens: toks,
      nodes: buildTree(toks),
      text: sql.slice(
        toks[0].offset,
        toks[toks.length - 2] ? toks[toks.length - 2].offset + toks[toks.length - 2].raw.length : toks[0].offset,
      ),
    }));
  }

  /** Execute a script; the result is the last statement's. */
  async execute(
    sql: string,
    opts: { session?: Partial<Session>; params?: Record<string, ParamValue>; conn?: DuckDBConnection } = {},
  ): Promise<StatementResult> {
    const session = (
      opts.session && 'catalog' in opts.session && 'schema' in opts.session && 'user' in opts.session
        ? opts.session
        : { catalog: 'main', schema: 'default', user: 'anonymous', ...opts.session }
    ) as Session;
    const stmts = this.parse(sql);
    if (!stmts.length)
      throw new LakeboxError('PARSE_EMPTY_STATEMENT', 'Syntax error, unexpected empty statement', {
        sqlState: '42617',
      });
    const conn = opts.conn ?? (await this.connect());
    try {
      let last: StatementResult = { columns: [], rows: [] };
      for (const st of stmts) last = await this.executeStatement(st, { session, params: opts.params ?? {}, conn });
      return last;
    } finally {
      if (!opts.conn) conn.closeSync();
    }
  }

  /**
   * The columns (names and Spark types) of a query without running it: DuckDB prepares the
   * translated query. Unlike `SELECT * FROM (query) LIMIT 0`, this keeps repeated names as they
   * are (a subquery renames them `x_1`), as Spark's schema of such a query has them.
   */
  async describeQuery(
    sql: string,
    opts: { session?: Partial<Session>; params?: Record<string, ParamValue>; conn?: DuckDBConnection } = {},
  ): Promise<StatementResult['columns']> {
    const stmts = this.parse(sql);
    const st = stmts[0];
    if (stmts.length !== 1 || !st || !isQuery(st.nodes))
      return (await this.execute(`SELECT * FROM (${sql}) AS _describe LIMIT 0`, opts)).columns;
    const session = (
      opts.session && 'catalog' in opts.session && 'schema' in opts.session && 'user' in opts.session
        ? opts.session
        : { catalog: 'main', schema: 'default', user: 'anonymous', ...opts.session }
    ) as Session;
    const conn = opts.conn ?? (await this.connect());
    try {
      const ctx: ExecContext = { session, params: opts.params ?? {}, conn };
      await this.resolver.beginStatement?.(ctx);
      const duck = await this.translateQuery(st.nodes, ctx);
      const prepared = await conn.prepare(duck);
      return Array.from({ length: prepared.columnCount }, (_, i) => ({
        name: prepared.columnName(i),
        type: sparkTypeName(prepared.columnType(i).toString()),
      }));
    } catch (e) {
      throw mapDuckError(e, st.tokens, st.text);
    } finally {
      if (!opts.conn) conn.closeSync();
    }
  }

  async executeStatement(st: ParsedStatement, ctx: ExecContext): Promise<StatementResult> {
    try {
      await this.resolver.beginStatement?.(ctx);
      const r = await this.dispatch(st, ctx);
      auditStatement(st, ctx, undefined);
      return r;
    } catch (e) {
      const err = mapDuckError(e, st.tokens, st.text);
      auditStatement(st, ctx, err);
      throw err;
    }
  }

  private async dispatch(st: ParsedStatement, ctx: ExecContext): Promise<StatementResult> {
    if (isQuery(st.nodes)) return this.runQuery(st.nodes, ctx, st.tokens);
    for (const h of this.handlers) {
      const r = await h.handle(st, this, ctx);
      if (r) return r;
    }
    const head = st.tokens[0];
    if (head.kind !== 'ident' || !KNOWN_STATEMENTS.has(head.value.toUpperCase())) {
      throw new LakeboxError(
        'PARSE_SYNTAX_ERROR',
        `Syntax error at or near '${head.raw}' (line ${head.line}, pos ${head.col - 1})`,
        {
          sqlState: '42601',
          details: { line: head.line, column: head.col },
        },
      );
    }
    const words = st.tokens
      .slice(0, 3)
      .filter((t) => t.kind === 'ident')
      .map((t) => t.value.toUpperCase())
      .join(' ');
    throw new LakeboxError('UNSUPPORTED_FEATURE', `The statement ${words} ... is not supported by Lakebox`, {
      sqlState: '0A000',
      details: { line: st.tokens[0].line, column: st.tokens[0].col },
    });
  }

  /** Translate a query to DuckDB SQL with its table references resolved. */
  async translateQuery(nodes: Node[], ctx: ExecContext): Promise<string> {
    const tctx: TranslateContext = { refs: [], params: ctx.params, ctes: new Set(), unknownFunctions: new Set() };
    let sql = new Translator(tctx).query(nodes);
    sql = await this.resolveRefs(sql, tctx.refs, ctx);
    if (tctx.unknownFunctions!.size && this.resolver.prepareFunctions)
      await this.resolver.prepareFunctions(tctx.unknownFunctions!, ctx);
    return substituteSession(sql, ctx.session);
  }

  /** Translate an expression (no table references). */
  translateExpr(nodes: Node[], ctx: Pick<ExecContext, 'params' | 'session'>): string {
    const tctx: TranslateContext = { refs: [], params: ctx.params, ctes: new Set() };
    return substituteSession(new Translator(tctx).expr(nodes), ctx.session);
  }

  async resolveRefs(sql: string, refs: TableRef[], ctx: ExecContext): Promise<string> {
    for (let i = 0; i < refs.length; i++) {
      const rel = await this.resolver.resolve(refs[i], ctx.session, ctx.conn);
      sql = sql.replace(refPlaceholder(i), `(${rel})`);
    }
    return sql;
  }

  async runQuery(nodes: Node[], ctx: ExecContext, tokens: Token[]): Promise<StatementResult> {
    const sql = await this.translateQuery(nodes, ctx);
    return this.runDuck(sql, ctx.conn, tokens);
  }

  /** Run DuckDB SQL and convert the result; DuckDB errors become Spark error classes. */
  async runDuck(sql: string, conn: DuckDBConnection, tokens?: Token[]): Promise<StatementResult> {
    let res: DuckDBResultReader;
    try {
      res = await conn.runAndReadAll(sql);
    } catch (e) {
      throw mapDuckError(e, tokens, sql);
    }
    return convertResult(res);
  }
}

/** Governance: one system.access.audit row per executed statement (queued; never fails the statement). */
function auditStatement(st: ParsedStatement, ctx: ExecContext, err: unknown): void {
  const words = st.tokens.filter((t) => t.kind === 'ident').slice(0, 2);
  const first = (words[0]?.value ?? '').toUpperCase();
  const action = ['CREATE', 'DROP', 'ALTER', 'SHOW', 'DESCRIBE'].includes(first)
    ? `${first} ${(words[1]?.value ?? '').toUpperCase()}`.trim()
    : first || 'STATEMENT';
  const e = err instanceof LakeboxError ? err : undefined;
  const denied = e !== undefined && (e.code === 'PERMISSION_DENIED' || e.httpStatus === 403);
  const s = ctx.session;
  audit({
    user: s.user,
    service: s.entity?.type === 'SPARK_CONNECT_SESSION' ? 'sparkConnect' : 'sql',
    action,
    allowed: !denied,
    status: err === undefined ? 200 : (e?.httpStatus ?? 500),
    errorCode: err === undefined ? null : (e?.code ?? 'INTERNAL_ERROR'),
    errorMessage: e?.message ?? null,
    requestId: s.statementId ?? null,
    params: {
      statement: st.text,
      ...(s.statementId ? { statement_id: s.statementId } : {}),
      ...(s.entity ? { entity_type: s.entity.type, entity_id: s.entity.id } : {}),
    },
  });
}

export function convertResult(res: DuckDBResultReader): StatementResult {
  const names = res.columnNames();
  const types = res.columnTypes();
  const columns = names.map((name, i) => ({ name, type: sparkTypeName(types[i].toString()) }));
  const rows = res.getRows().map((r) => r.map((v, i) => toJsonValue(v, types[i])));
  return { columns, rows };
}

function substituteSession(sql: string, s: Session): string {
  const lit = (x: string) => x.replaceAll("'", "''");
  return sql
    .replaceAll("'__LAKEBOX_CATALOG__'", `'${lit(s.catalog)}'`)
    .replaceAll("'__LAKEBOX_SCHEMA__'", `'${lit(s.schema)}'`)
    .replaceAll("'__LAKEBOX_USER__'", `'${lit(s.user)}'`);
}

/** Statement keywords Spark knows: anything else is a syntax error, these are "not supported". */
const KNOWN_STATEMENTS = new Set(
  'ADD ALTER ANALYZE APPLY CACHE CALL CLEAR CLONE COMMENT CONVERT COPY CREATE DECLARE DELETE DENY DESC DESCRIBE DROP EXECUTE EXPLAIN FSCK GENERATE GRANT INSERT LIST LOAD MERGE MSCK OPTIMIZE REFRESH REORG REPAIR REPLACE RESET RESTORE REVOKE SET SHOW SYNC TRUNCATE UNCACHE UNDROP UNSET UPDATE USE VACUUM'.split(
    ' ',
  ),
);

export function isQuery(nodes: Node[]): boolean {
  const f = nodes[0];
  if (!f) return false;
  if (f.kind === 'group') return true;
  return isWord(f, 'SELECT', 'WITH', 'VALUES', 'FROM', 'TABLE');
}

/** Map a DuckDB error to a LakeboxError with a Spark error class. */
export function mapDuckError(e: unknown, tokens: Token[] | undefined, sql: string): LakeboxError {
  if (e instanceof LakeboxError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  const first = msg.split('\n')[0];
  let m = /Referenced column "([^"]+)" (?:was )?not found[^\n]*(?:[\s\S]*Candidate bindings: ([^\n]*))?/.exec(msg);
  if (m) {
    const cands = (m[2] ?? '')
      .split(',')
      .map((s) => s.trim().replace(/^"|"$/g, ''))
      .filter(Boolean)
      .map((c) => `\`${c.replaceAll('"', '').replaceAll('.', '`.`')}\``);
    const pos = tokens ? positionOf(tokens, m[1]) : undefined;
    return new LakeboxError(
      cands.length ? 'UNRESOLVED_COLUMN.WITH_SUGGESTION' : 'UNRESOLVED_COLUMN.WITHOUT_SUGGESTION',
      `A column, variable, or function parameter with name \`${m[1]}\` cannot be resolved.${cands.length ? ` Did you mean one of the following? [${cands.join(', ')}]` : ''}${pos ? ` (line ${pos.line}, pos ${pos.col - 1})` : ''}`,
      {
        sqlState: '42703',
        details: { name: m[1], suggestions: cands, ...(pos ? { line: pos.line, column: pos.col } : {}) },
      },
    );
  }
  m =
    /Parser Error: syntax error at or near "([^"]*)"/.exec(msg) ??
    /Parser Error: syntax error at end of input/.exec(msg);
  if (m) {
    const near = m[1];
    const pos =
      tokens && near !== undefined ? positionOf(tokens, near) : tokens ? tokens[tokens.length - 1] : undefined;
    return new LakeboxError(
      'PARSE_SYNTAX_ERROR',
      `Syntax error at or near ${near !== undefined ? `'${near}'` : 'end of input'}${pos ? ` (line ${pos.line}, pos ${pos.col - 1})` : ''}`,
      { sqlState: '42601', details: pos ? { line: pos.line, column: pos.col } : undefined },
    );
  }
  m = /Ambiguous reference to column name "([^"]+)"/.exec(msg);
  if (m) {
    const ref = `\`${m[1]}\``;
    return new LakeboxError('AMBIGUOUS_REFERENCE', `Reference ${ref} is ambiguous, could be: [${ref}, ${ref}].`, {
      sqlState: '42704',
    });
  }
  m = /(?:Scalar|Aggregate|Table) Function with name "?([\w$]+)"? does not exist/.exec(msg);
  if (m) {
    return new LakeboxError(
      'UNRESOLVED_ROUTINE',
      `Cannot resolve routine \`${m[1]}\` on search path [\`system\`.\`builtin\`, \`system\`.\`session\`].`,
      {
        sqlState: '42883',
      },
    );
  }
  // INT128 is never a Spark type: it is the HUGEINT of a sum narrowed back to Spark's BIGINT
  if (/^Conversion Error: Type INT128 .* out of range/.test(first))
    return new LakeboxError('ARITHMETIC_OVERFLOW', `long overflow: ${first.replace(/^Conversion Error: /, '')}`, {
      sqlState: '22003',
    });
  // Spark error classes raised by the generated SQL through DuckDB's error(): '[CLASS] message SQLSTATE: xxxxx'
  m = /^Invalid Input Error: \[([A-Z_.]+)\] (.*) SQLSTATE: (\w{5})$/.exec(first);
  if (m) return new LakeboxError(m[1], m[2], { sqlState: m[3] });
  if (/^Invalid Input Error: Could not parse string .* according to format specifier/.test(first))
    return new LakeboxError('CANNOT_PARSE_TIMESTAMP', first.replace(/^Invalid Input Error: /, ''), {
      sqlState: '22007',
    });
  if (/^Conversion Error: .*out of range for the destination type/.test(first))
    return new LakeboxError('CAST_OVERFLOW', first.replace(/^Conversion Error: /, ''), { sqlState: '22003' });
  if (
    /^Conversion Error: (Could not cast value .* to DECIMAL|Casting value .* to type DECIMAL.* out of range)/.test(
      first,
    )
  )
    return new LakeboxError('NUMERIC_VALUE_OUT_OF_RANGE.WITH_SUGGESTION', first.replace(/^Conversion Error: /, ''), {
      sqlState: '22003',
    });
  m = /^Conversion Error: Unimplemented type for cast \((\w+)[^>]* -> (\w+)/.exec(first);
  if (m && castMismatch(m[1], m[2]))
    return new LakeboxError(
      `DATATYPE_MISMATCH.${castMismatch(m[1], m[2])}`,
      `Cannot resolve the cast due to data type mismatch: cannot cast "${m[1]}" to "${m[2]}".`,
      { sqlState: '42K09' },
    );
  if (/^Conversion Error/.test(first))
    return new LakeboxError('CAST_INVALID_INPUT', first.replace(/^Conversion Error: /, ''), { sqlState: '22018' });
  if (/^Out of Range Error/.test(first))
    return new LakeboxError('ARITHMETIC_OVERFLOW', first.replace(/^Out of Range Error: /, ''), { sqlState: '22003' });
  if (/^Binder Error: No function matches/.test(first)) {
    return new LakeboxError(
      'DATATYPE_MISMATCH',
      msg
        .split('\n')
        .slice(0, 2)
        .join(' ')
        .replace(/^Binder Error: /, ''),
      { sqlState: '42K09' },
    );
  }
  if (/column .* must appear in the GROUP BY clause/.test(first))
    return new LakeboxError('MISSING_AGGREGATION', first.replace(/^Binder Error: /, ''), { sqlState: '42803' });
  if (/^INTERRUPT/.test(first))
    return new LakeboxError('OPERATION_CANCELED', 'The statement was canceled', { sqlState: 'HY008' });
  if (/^(Binder|Catalog|Parser|Invalid Input|Not implemented) Error/.test(first)) {
    return new LakeboxError('INVALID_SQL', first, {
      sqlState: '42000',
      cause: e,
      details: { duckdb_sql: sql.slice(0, 2000) },
    });
  }
  return new LakeboxError('INTERNAL_ERROR', first, { httpStatus: 500, cause: e });
}

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|FLOAT|DOUBLE|DECIMAL)$/;

/** Spark's DATATYPE_MISMATCH sub-class for a cast it refuses at analysis (undefined: Spark allows it). */
function castMismatch(from: string, to: string): string | undefined {
  if ((NUMERIC.test(from) && to === 'DATE') || (from === 'DATE' && NUMERIC.test(to)))
    return 'CAST_WITH_FUNC_SUGGESTION';
  if (from === 'BOOLEAN' && to === 'DATE') return 'CAST_WITHOUT_SUGGESTION';
  if ((from === 'BOOLEAN' && to === 'TIMESTAMP') || (/^(DATE|TIMESTAMP)$/.test(from) && to === 'BOOLEAN'))
    return 'CAST_WITH_CONF_SUGGESTION';
  return undefined;
}

function positionOf(tokens: Token[], text: string): Token | undefined {
  const t = text.toLowerCase();
  return (
    tokens.find((k) => k.value.toLowerCase() === t || k.raw.toLowerCase() === t) ??
    tokens.find((k) => k.value.toLowerCase().includes(t))
  );
}
