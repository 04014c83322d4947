import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LakeboxError } from '@lakebox/common';
import type { StatementResult } from '@lakebox/engine';
import { autoName, exprSql, schemaFields, unsupported, type RelationCompiler } from './plan.js';
import { nestedParts } from './types.js';

/**
 * Python UDFs for Spark Connect, executed as Spark does: a Python worker process on the server
 * (udf_worker.py, one per session) receives the pickled function the client sent
 * (PythonUDF.command = cloudpickle of (func, return_type)). Rows go both ways as Parquet files in
 * a private temporary directory (DuckDB writes and reads them natively; the worker evaluates
 * Arrow batches of 10,000 rows), so no row passes through JavaScript.
 *
 * A relation whose expressions call UDFs is evaluated in layers: the input relation with the UDFs'
 * argument columns is computed by the engine, the worker appends one result column per UDF, and
 * the relation is compiled again over those rows with each UDF call replaced by its result column.
 * mapInPandas / mapInArrow and groupBy().applyInPandas send the whole input to the worker.
 */

type Msg = any;

const UDF = 'common_inline_user_defined_function';

/** PythonEvalType values (pyspark.util.PythonEvalType). */
const EVAL_TYPES: Record<number, string> = {
  100: 'SQL_BATCHED_UDF',
  101: 'SQL_ARROW_BATCHED_UDF',
  200: 'SQL_SCALAR_PANDAS_UDF',
  201: 'SQL_GROUPED_MAP_PANDAS_UDF',
  202: 'SQL_GROUPED_AGG_PANDAS_UDF',
  203: 'SQL_WINDOW_AGG_PANDAS_UDF',
  204: 'SQL_SCALAR_PANDAS_ITER_UDF',
  205: 'SQL_MAP_PANDAS_ITER_UDF',
  206: 'SQL_COGROUPED_MAP_PANDAS_UDF',
  207: 'SQL_MAP_ARROW_ITER_UDF',
  208: 'SQL_GROUPED_MAP_PANDAS_UDF_WITH_STATE',
  209: 'SQL_GROUPED_MAP_ARROW_UDF',
  210: 'SQL_COGROUPED_MAP_ARROW_UDF',
  211: 'SQL_TRANSFORM_WITH_STATE_PANDAS_UDF',
  300: 'SQL_TABLE_UDF',
  301: 'SQL_ARROW_TABLE_UDF',
};
const SCALAR_EVAL = new Set([100, 101, 200, 204]);
const GROUPED_AGG = 202;

const WORKER = fileURLToPath(new URL('./udf_worker.py', import.meta.url));

function evalName(t: number): string {
  return EVAL_TYPES[t] ?? `eval type ${t}`;
}

function unsupportedEval(t: number, where: string): LakeboxError {
  return unsupported(`Python UDF ${evalName(t)} (${t}) ${where}`);
}

/** One Python worker process: requests are answered in order, one at a time. */
class UdfWorker {
  private readonly proc: ChildProcess;
  private buf = Buffer.alloc(0);
  private waiting: { resolve: (v: { header: Msg; payload: Buffer }) => void; reject: (e: Error) => void }[] = [];
  private frames: Buffer[] = [];
  private stderr = '';
  private queue: Promise<unknown> = Promise.resolve();
  dead: string | undefined;

  constructor(python: string) {
    this.proc = spawn(python, ['-u', WORKER], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
    });
    this.proc.stdout!.on('data', (b: Buffer) => this.onData(b));
    this.proc.stderr!.on('data', (b: Buffer) => {
      this.stderr = (this.stderr + b.toString()).slice(-16384);
    });
    this.proc.stdin!.on('error', () => undefined);
    const fail = (why: string) => {
      if (this.dead) return;
      this.dead = why;
      const err = workerError(why, this.stderr);
      for (const w of this.waiting.splice(0)) w.reject(err);
    };
    this.proc.on('error', (e) => fail(`cannot start ${python}: ${e.message}`));
    this.proc.on('exit', (code, signal) => fail(`the Python worker exited with ${signal ?? code}`));
  }

  private onData(b: Buffer) {
    this.buf = Buffer.concat([this.buf, b]);
    while (this.buf.length >= 4) {
      const n = this.buf.readUInt32BE(0);
      if (this.buf.length < 4 + n) break;
      this.frames.push(this.buf.subarray(4, 4 + n));
      this.buf = this.buf.subarray(4 + n);
    }
    while (this.frames.length >= 2 && this.waiting.length) {
      const header = JSON.parse(this.frames.shift()!.toString());
      const payload = this.frames.shift()!;
      this.waiting.shift()!.resolve({ header, payload });
    }
  }

  /** Send a request (JSON header + Arrow IPC) and wait for its answer. */
  request(header: Msg, payload: Uint8Array): Promise<{ header: Msg; payload: Buffer }> {
    const run = () =>
      new Promise<{ header: Msg; payload: Buffer }>((resolve, reject) => {
        if (this.dead) return reject(workerError(this.dead, this.stderr));
        this.waiting.push({ resolve, reject });
        const h = Buffer.from(JSON.stringify(header));
        const len = (n: number) => {
          const b = Buffer.alloc(4);
          b.writeUInt32BE(n);
          return b;
        };
        this.proc.stdin!.write(Buffer.concat([len(h.length), h, len(payload.length), Buffer.from(payload)]));
      });
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  kill() {
    if (!this.dead) this.proc.kill('SIGKILL');
  }

  close() {
    if (this.dead) return;
    this.dead = 'closed';
    this.proc.stdin!.end();
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 2000);
    t.unref();
    this.proc.once('exit', () => clearTimeout(t));
  }
}

function workerError(why: string, stderr: string): LakeboxError {
  const tail = stderr.trim().split('\n').slice(-5).join('\n');
  return new LakeboxError('PYTHON_UDF_ERROR', `Python UDF worker unavailable: ${why}${tail ? `\n${tail}` : ''}`, {
    sqlState: '39000',
  });
}

/** Python workers, one per Spark Connect session (started on first use). */
export class UdfWorkers {
  private workers = new Map<string, UdfWorker>();
  constructor(private readonly python: string = process.env.LAKEBOX_PYTHON || 'python3') {}

  private dirs = new Map<string, string>();
  private seq = 0;

  /** A new file name in the session's private temporary directory. */
  file(sessionId: string, what: string): string {
    let d = this.dirs.get(sessionId);
    if (!d) {
      d = fs.mkdtempSync(path.join(os.tmpdir(), 'lakebox-udf-'));
      this.dirs.set(sessionId, d);
    }
    return path.join(d, `${what}-${++this.seq}.parquet`);
  }

  async call(sessionId: string, header: Msg, payload: Uint8Array = new Uint8Array()): Promise<Buffer> {
    let w = this.workers.get(sessionId);
    if (!w || w.dead) {
      w = new UdfWorker(this.python);
      this.workers.set(sessionId, w);
    }
    const r = await w.request({ batch_size: 10_000, ...header }, payload);
    if (!r.header.ok) {
      const tb = String(r.header.error ?? r.header.message ?? 'failed').trimEnd();
      throw new LakeboxError(
        'PYTHON_EXCEPTION',
        `An exception was thrown from the Python worker. Please see the stack trace below.\n${tb}`,
        { sqlState: '38000' },
      );
    }
    return r.payload;
  }

  /**
   * Delete the session's result files no temporary view reads (`keep`: the views' SQL), and
   * forget their relation names. Called when no operation of the session is running.
   */
  sweep(sessionId: string, session: object, keep: string) {
    const d = this.dirs.get(sessionId);
    const rels = (session as { computedRelations?: Map<string, string> }).computedRelations;
    if (!d || !rels) return;
    for (const [name, sql] of rels) {
      if (keep.includes(name)) continue;
      const file = /read_parquet\('([^']+)'\)/.exec(sql)?.[1];
      if (file) fs.rmSync(file, { force: true });
      rels.delete(name);
    }
  }

  /** Kill the session's worker (Interrupt): its running request fails, the next call starts a new one. */
  interrupt(sessionId: string) {
    this.workers.get(sessionId)?.kill();
    this.workers.delete(sessionId);
  }

  close(sessionId: string) {
    this.workers.get(sessionId)?.close();
    this.workers.delete(sessionId);
    const d = this.dirs.get(sessionId);
    if (d) fs.rmSync(d, { recursive: true, force: true });
    this.dirs.delete(sessionId);
  }

  closeAll() {
    for (const id of new Set([...this.workers.keys(), ...this.dirs.keys()])) this.close(id);
  }
}

/** What the UDF compiler needs from the server: the session's worker and the engine. */
export interface UdfContext {
  workers: UdfWorkers;
  sessionId: string;
  /** Functions registered with spark.udf.register by lower-case name (UDTFs: `table:<name>`). */
  registered: Map<string, Msg>;
  /** Run a compiled Spark SQL query (with the compile's parameters). */
  run(sql: string): Promise<StatementResult>;
  /** Write a compiled Spark SQL query's rows to a Parquet file. */
  exportParquet(sql: string, file: string): Promise<void>;
  /** A relation reading a Parquet file the worker wrote (a name the engine resolves). */
  importParquet(file: string): Msg;
  /** Whether the session's user is an administrator (see LAKEBOX_PYTHON_UDFS). */
  isAdmin?(): Promise<boolean>;
}

/**
 * A Python UDF is arbitrary code run by the server's Python, outside the catalog's governance (it
 * could read any file the server can). LAKEBOX_PYTHON_UDFS: `admins` (default) lets only
 * administrators run them, `all` every user, `off` nobody.
 */
async function authorizeUdf(ctx: UdfContext): Promise<void> {
  const policy = (process.env.LAKEBOX_PYTHON_UDFS ?? 'admins').trim().toLowerCase();
  if (policy === 'all') return;
  if (policy !== 'off' && ctx.isAdmin && (await ctx.isAdmin())) return;
  throw new LakeboxError(
    'PERMISSION_DENIED',
    policy === 'off'
      ? 'Python UDFs are disabled on this server (LAKEBOX_PYTHON_UDFS=off).'
      : "Python UDFs run arbitrary code in the server's Python worker, outside the catalog's governance: " +
          'only administrators may run them unless the server sets LAKEBOX_PYTHON_UDFS=all.',
    { httpStatus: 403, sqlState: '42501' },
  );
}

/** A relation reading a Parquet file the worker wrote, under a name the session's engine resolves. */
export function importParquet(session: object, file: string): Msg {
  const holder = session as { computedRelations?: Map<string, string> };
  holder.computedRelations ??= new Map();
  const name = `__lbx_udf_rel_${path.basename(file, '.parquet').replace(/\W/g, '_')}`;
  holder.computedRelations.set(name.toLowerCase(), `SELECT * FROM read_parquet('${file.replaceAll("'", "''")}')`);
  return { rel_type: 'read', read: { read_type: 'named_table', named_table: { unparsed_identifier: name } } };
}

/** Compute `rel` (compiled) into a Parquet file, send it to the worker, and read its answer back. */
async function throughWorker(ctx: UdfContext, sql: string, header: Msg, sql2?: string): Promise<Msg> {
  await authorizeUdf(ctx);
  const input = ctx.workers.file(ctx.sessionId, 'in');
  const input2 = sql2 !== undefined ? ctx.workers.file(ctx.sessionId, 'in') : undefined;
  const output = ctx.workers.file(ctx.sessionId, 'out');
  try {
    await ctx.exportParquet(sql, input);
    if (input2) await ctx.exportParquet(sql2!, input2);
    await ctx.workers.call(ctx.sessionId, { ...header, input, output, ...(input2 ? { input2 } : {}) });
  } finally {
    fs.rmSync(input, { force: true });
    if (input2) fs.rmSync(input2, { force: true });
  }
  return ctx.importParquet(output);
}

// ---- expression rewriting ---------------------------------------------------------------------

function isUdf(e: Msg): boolean {
  return e?.expr_type === UDF && !!e[UDF]?.python_udf;
}

/** Calls of functions registered by name become UDF calls (in place). */
function resolveRegistered(node: Msg, reg: Map<string, Msg>): void {
  if (!node || typeof node !== 'object' || !reg.size) return;
  if (Array.isArray(node)) {
    for (const x of node) resolveRegistered(x, reg);
    return;
  }
  const call =
    node.expr_type === 'unresolved_function' || node.expr_type === 'call_function'
      ? node[node.expr_type]
      : node.expr_type === 'expression_string'
        ? textCall(String(node.expression_string.expression))
        : undefined;
  const f = call && reg.get(String(call.function_name).toLowerCase());
  if (f) replaceWith(node, { expr_type: UDF, [UDF]: { ...f, arguments: call.arguments ?? [] } });
  for (const [k, v] of Object.entries(node)) if (k !== 'input' && v && typeof v === 'object') resolveRegistered(v, reg);
}

/** `expr("f(a, b + 1)")`: a text that is one function call, as its name and argument texts. */
function textCall(text: string): { function_name: string; arguments: Msg[] } | undefined {
  const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(([\s\S]*)\)\s*$/.exec(text);
  if (!m) return undefined;
  const args: string[] = [];
  let depth = 0;
  let quote = '';
  let cur = '';
  for (const ch of m[2]!) {
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === "'" || ch === '"' || ch === '`') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) return undefined;
    else if (ch === ',' && depth === 0) {
      args.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (depth !== 0 || quote) return undefined;
  if (cur.trim() || args.length) args.push(cur);
  return {
    function_name: m[1]!,
    arguments: args.map((a) => ({ expr_type: 'expression_string', expression_string: { expression: a.trim() } })),
  };
}

function hasUdf(node: Msg): boolean {
  if (!node || typeof node !== 'object' || Buffer.isBuffer(node)) return false;
  if (Array.isArray(node)) return node.some(hasUdf);
  if (isUdf(node)) return true;
  return Object.values(node).some(hasUdf);
}

/** UDF calls whose arguments call no UDF (the next layer to evaluate). */
function innermost(node: Msg, out: Msg[] = []): Msg[] {
  if (!node || typeof node !== 'object' || Buffer.isBuffer(node)) return out;
  if (Array.isArray(node)) {
    for (const x of node) innermost(x, out);
    return out;
  }
  if (isUdf(node) && !hasUdf(node[UDF].arguments ?? [])) {
    out.push(node);
    return out;
  }
  for (const v of Object.values(node)) innermost(v, out);
  return out;
}

function attr(name: string): Msg {
  return { expr_type: 'unresolved_attribute', unresolved_attribute: { unparsed_identifier: '`' + name + '`' } };
}

function alias(e: Msg, name: string): Msg {
  // a grouping key may carry its own alias (groupBy((df.id % 10).alias("k"))): the new one replaces it
  const inner = e?.expr_type === 'alias' && (e.alias.name ?? []).length === 1 ? e.alias.expr : e;
  return { expr_type: 'alias', alias: { expr: inner, name: [name] } };
}

function replaceWith(node: Msg, by: Msg) {
  for (const k of Object.keys(node)) delete node[k];
  Object.assign(node, by);
}

/** The column name Spark gives an unaliased UDF call: `name(arg, ...)`. */
function udfName(e: Msg): string {
  const f = e[UDF];
  // Spark shows keyword arguments as `name => value`
  const args = ((f.arguments ?? []) as Msg[]).map((a) =>
    a.expr_type === 'named_argument_expression'
      ? `${a.named_argument_expression.key} => ${autoName(a.named_argument_expression.value) ?? '?'}`
      : (autoName(a) ?? '?'),
  );
  return `${f.function_name ?? 'udf'}(${args.join(', ')})`;
}

/** Spark's name of an expression calling UDFs (`sum(f(x))`): each call stands as a column named `f(x)`. */
function nameWithUdfs(e: Msg): string | undefined {
  const copy = structuredClone(e);
  const visit = (n: Msg) => {
    if (!n || typeof n !== 'object' || Buffer.isBuffer(n)) return;
    if (Array.isArray(n)) return n.forEach(visit);
    Object.values(n).forEach(visit);
    if (isUdf(n)) replaceWith(n, attr(udfName(n)));
  };
  visit(copy);
  return autoName(copy);
}

/** Unaliased select-list items calling UDFs keep Spark's name once the calls are replaced. */
function nameTopLevel(list: Msg[] | undefined): void {
  for (const [i, e] of (list ?? []).entries()) {
    if (e?.expr_type === 'alias' || !hasUdf(e)) continue;
    const name = nameWithUdfs(e);
    if (name !== undefined) list![i] = alias(e, name);
  }
}

// The relations whose expressions may call UDFs, and where those expressions are.
const EXPR_FIELDS: Record<string, string[]> = {
  project: ['expressions'],
  filter: ['condition'],
  with_columns: ['aliases'],
  aggregate: ['aggregate_expressions', 'grouping_expressions'],
  sort: ['order'],
};

let layerSeq = 0;

/**
 * The compiler's hook: SQL for a relation that needs Python (it calls UDFs, or is mapInPandas,
 * mapInArrow, applyInPandas), or undefined for the compiler to handle it.
 */
export async function compileUdfRelation(
  rel: Msg,
  compiler: RelationCompiler,
  ctx: UdfContext,
): Promise<string | undefined> {
  switch (rel?.rel_type) {
    case 'map_partitions':
      return mapPartitions(rel.map_partitions, compiler, ctx);
    case 'group_map':
      return groupMap(rel.group_map, compiler, ctx);
    case 'co_group_map':
      return coGroupMap(rel.co_group_map, compiler, ctx);
    case 'common_inline_user_defined_table_function':
      return compiler.relation(await udtfRelation(rel.common_inline_user_defined_table_function, compiler, ctx));
  }
  if (rel?.rel_type === 'sql' && ctx.registered.size) {
    const sql = await sqlWithUdfs(rel, compiler, ctx);
    if (sql !== undefined) return sql;
  }
  const fields = EXPR_FIELDS[rel?.rel_type];
  if (!fields) return undefined;
  const body = rel[rel.rel_type];
  if (ctx.registered.size) for (const f of fields) resolveRegistered(body[f], ctx.registered);
  if (rel.rel_type === 'sort' && body.input?.rel_type === 'project') {
    // select(udf(...)).orderBy(...): the projection first, then the order over its columns.
    resolveRegistered(body.input.project.expressions, ctx.registered);
    if (hasUdf(body.input.project.expressions) && !hasUdf(body.order)) {
      const inner = await compiler.relation(body.input);
      return `SELECT * FROM (${inner}) AS _udf_sorted ORDER BY ${orderSql(body.order, compiler)}`;
    }
  }
  if (!fields.some((f) => hasUdf(body[f]))) return undefined;

  // deep copy of this node's own fields (not its input)
  const { input, ...own } = body;
  let node: Msg = structuredClone(own);
  let kind = rel.rel_type as string;
  windowAggs(node);
  const isWindowAgg = (u: Msg) => !!u[UDF].__lbx_window;
  if (
    kind === 'project' &&
    innermostAll(node.expressions).some((u) => evalType(u) === GROUPED_AGG && !isWindowAgg(u))
  ) {
    // select(grouped_agg_udf(...)): a global aggregate, as in Spark.
    kind = 'aggregate';
    node = { grouping_expressions: [], aggregate_expressions: node.expressions, group_type: 'GROUP_TYPE_GROUPBY' };
  }
  if (kind === 'project') nameTopLevel(node.expressions);
  if (kind === 'aggregate') nameTopLevel(node.aggregate_expressions);

  let cur: Msg = input;
  const layer = layerSeq++;
  for (let depth = 0; ; depth++) {
    const calls = innermost(fields.map((f) => node[f]));
    if (!calls.length) break;
    const prefix = `__lbx_udf_${layer}_${depth}_`;
    const grouped = calls.some((u) => evalType(u) === GROUPED_AGG && !isWindowAgg(u));
    if (grouped && kind !== 'aggregate') throw unsupportedEval(GROUPED_AGG, 'outside groupBy().agg() / select()');
    for (const u of calls) {
      const t = evalType(u);
      if (!SCALAR_EVAL.has(t) && t !== GROUPED_AGG) throw unsupportedEval(t, 'in an expression');
    }
    // the input plus each UDF's argument columns (and the grouping keys, for grouped-agg UDFs)
    const extra: Msg[] = [];
    const argIdx: number[][] = [];
    const argNames: (string | null)[][] = [];
    calls.forEach((u, k) => {
      const args = (u[UDF].arguments ?? []) as Msg[];
      // f(a=col): keyword arguments (NamedArgumentExpression)
      argNames.push(
        args.map((a) => (a.expr_type === 'named_argument_expression' ? String(a.named_argument_expression.key) : null)),
      );
      argIdx.push(
        args.map((a, j) => {
          const value = a.expr_type === 'named_argument_expression' ? a.named_argument_expression.value : a;
          extra.push(alias(value, `${prefix}a${k}_${j}`));
          return extra.length - 1;
        }),
      );
    });
    const keyIdx: number[] = [];
    if (grouped)
      for (const [j, g] of ((node.grouping_expressions ?? []) as Msg[]).entries()) {
        extra.push(alias(g, `${prefix}k${j}`));
        keyIdx.push(extra.length - 1);
      }
    // grouped-agg UDFs over a window: their partition keys
    const ownKeys = calls.map((u) =>
      isWindowAgg(u)
        ? ((u[UDF].__lbx_window as Msg[]).map((g, j) => {
            extra.push(alias(g, `${prefix}w${extra.length}_${j}`));
            return extra.length - 1;
          }) as number[])
        : undefined,
    );
    // ... and their ROWS frames' order columns
    const frames = calls.map((u) => {
      const fr = u[UDF].__lbx_frame;
      if (!fr) return undefined;
      return {
        lower: fr.lower,
        upper: fr.upper,
        order: (fr.order as Msg[]).map((o) => {
          extra.push(alias(o.expr, `${prefix}o${extra.length}`));
          return { col: extra.length - 1, desc: o.desc };
        }),
      };
    });
    const star = { expr_type: 'unresolved_star', unresolved_star: {} };
    const q = await compiler.relation({
      rel_type: 'project',
      project: { input: cur, expressions: [star, ...extra] },
    });
    const answer = await throughWorker(ctx, q, {
      kind: 'scalar',
      extra: extra.length,
      keys: keyIdx,
      udfs: calls.map((u, k) => ({
        command: Buffer.from(u[UDF].python_udf.command ?? []).toString('base64'),
        eval_type: evalType(u),
        args: argIdx[k]!,
        names: argNames[k]!,
        name: `${prefix}r${k}`,
        ...(ownKeys[k] ? { keys: ownKeys[k] } : {}),
        ...(frames[k] ? { frame: frames[k] } : {}),
      })),
    });
    cur = asInput(answer, cur);
    // each call becomes its result column (grouped-agg results repeat per row: first() of them)
    calls.forEach((u, k) => {
      const name = `${prefix}r${k}`;
      replaceWith(u, evalType(u) === GROUPED_AGG && !isWindowAgg(u) ? firstOf(attr(name)) : attr(name));
    });
  }
  const rewritten = { ...rel, rel_type: kind, [kind]: { ...node, input: cur } };
  if (kind !== rel.rel_type) delete rewritten[rel.rel_type];
  const sql = await compiler.relation(rewritten);
  const cols = (await ctx.run(`SELECT * FROM (${sql}) AS _udf_cols LIMIT 0`)).columns.map((c) => c.name);
  if (!cols.some((c) => c.startsWith('__lbx_udf_'))) return sql;
  const keepCols = cols.filter((c) => !c.startsWith('__lbx_udf_')).map((c) => '`' + c.replaceAll('`', '``') + '`');
  return `SELECT ${keepCols.join(', ')} FROM (${sql}) AS _udf_out`;
}

/**
 * `grouped_agg_udf(x).over(Window.partitionBy(k))` (an unbounded window): the UDF's value per
 * partition, repeated on each row. The window node becomes the UDF call, marked with its keys.
 */
function windowAggs(node: Msg): void {
  if (!node || typeof node !== 'object' || Buffer.isBuffer(node)) return;
  if (Array.isArray(node)) return node.forEach(windowAggs);
  if (node.expr_type === 'window' && isUdf(node.window.window_function)) {
    const w = node.window;
    const u = w.window_function;
    if (evalType(u) !== GROUPED_AGG) throw unsupportedEval(evalType(u), 'over a window');
    const f = w.frame_spec;
    const framed = f && f.frame_type && f.frame_type !== 'FRAME_TYPE_UNDEFINED';
    const order = (w.order_spec ?? []) as Msg[];
    if (framed && f.frame_type !== 'FRAME_TYPE_ROW')
      throw unsupportedEval(203, 'over a RANGE window frame (use rowsBetween)');
    if (order.length && !framed) throw unsupportedEval(203, 'over an ordered window without rowsBetween(...)');
    const bound = (b: Msg): number | null => {
      if (!b || b.current_row) return 0;
      if (b.unbounded) return null;
      const v = b.value;
      if (v?.expr_type !== 'literal') throw unsupportedEval(203, 'with a non-literal window frame boundary');
      return Number(v.literal[v.literal.literal_type]);
    };
    const frame = framed
      ? {
          order: order.map((o) => ({ expr: o.child, desc: o.direction === 'SORT_DIRECTION_DESCENDING' })),
          lower: bound(f.lower),
          upper: bound(f.upper),
        }
      : undefined;
    replaceWith(node, {
      ...u,
      [UDF]: { ...u[UDF], __lbx_window: w.partition_spec ?? [], ...(frame ? { __lbx_frame: frame } : {}) },
    });
  }
  Object.values(node).forEach(windowAggs);
}

function innermostAll(list: Msg): Msg[] {
  const out: Msg[] = [];
  const walk = (n: Msg) => {
    if (!n || typeof n !== 'object' || Buffer.isBuffer(n)) return;
    if (Array.isArray(n)) return n.forEach(walk);
    if (isUdf(n)) out.push(n);
    Object.values(n).forEach(walk);
  };
  walk(list);
  return out;
}

function evalType(u: Msg): number {
  return Number(u[UDF].python_udf.eval_type ?? 100);
}

function firstOf(e: Msg): Msg {
  return { expr_type: 'unresolved_function', unresolved_function: { function_name: 'first', arguments: [e] } };
}

function orderSql(order: Msg[], compiler: RelationCompiler): string {
  return (order ?? []).map((o) => exprSql({ expr_type: 'sort_order', sort_order: o }, compiler)).join(', ');
}

/** Rows the worker answered as the new input, visible under the replaced input's plan id / alias. */
function asInput(local: Msg, replaced: Msg): Msg {
  if (replaced?.rel_type === 'subquery_alias')
    return { rel_type: 'subquery_alias', subquery_alias: { ...replaced.subquery_alias, input: local } };
  return { ...local, ...(replaced?.common ? { common: replaced.common } : {}) };
}

async function mapPartitions(m: Msg, compiler: RelationCompiler, ctx: UdfContext): Promise<string> {
  const f = m.func?.[UDF] ?? m.func;
  const py = f?.python_udf;
  if (!py) throw unsupported('mapPartitions with a non-Python function');
  const t = Number(py.eval_type);
  if (t !== 205 && t !== 207) throw unsupportedEval(t, 'in mapInPandas/mapInArrow');
  const answer = await throughWorker(ctx, await compiler.relation(m.input), {
    kind: 'map',
    eval_type: t,
    command: Buffer.from(py.command ?? []).toString('base64'),
  });
  return compiler.relation(answer);
}

async function groupMap(g: Msg, compiler: RelationCompiler, ctx: UdfContext): Promise<string> {
  const f = g.func?.[UDF] ?? g.func;
  const py = f?.python_udf;
  if (!py) throw unsupported('groupBy().applyInPandas with a non-Python function');
  const t = Number(py.eval_type);
  if (t !== 201 && t !== 209) throw unsupportedEval(t, 'in groupBy().apply');
  if (g.initial_input || g.is_map_groups_with_state) throw unsupported('applyInPandasWithState');
  const args = (f.arguments ?? []) as Msg[];
  const keys = ((g.grouping_expressions ?? []) as Msg[]).map((k, j) => alias(k, `__lbx_key_${j}`));
  const q = await compiler.relation({
    rel_type: 'project',
    project: {
      input: g.input,
      expressions: [...(args.length ? args : [{ expr_type: 'unresolved_star', unresolved_star: {} }]), ...keys],
    },
  });
  const answer = await throughWorker(ctx, q, {
    kind: 'group_map',
    eval_type: t,
    command: Buffer.from(py.command ?? []).toString('base64'),
    extra: keys.length,
    keys: keys.map((_, j) => j),
  });
  return compiler.relation(answer);
}

// ---- spark.sql("SELECT f(x) FROM t") with functions registered by spark.udf.register ----------

interface TextCall {
  name: string;
  start: number;
  /** Index of the opening and the closing parenthesis. */
  open: number;
  close: number;
}

/** Visit the characters of SQL text outside quotes and comments, with the parenthesis depth. */
function scan(text: string, visit: (i: number, depth: number) => boolean | void): void {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'" || c === '"' || c === '`') {
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === '\\' && c !== '`') i++;
      continue;
    }
    if (c === '-' && text[i + 1] === '-') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === '(') depth++;
    if (visit(i, depth) === true) return;
    if (c === ')') depth--;
  }
}

/** Calls of the registered functions in SQL text. */
function textCalls(text: string, names: Set<string>): TextCall[] {
  const calls: TextCall[] = [];
  const opens: { name: string; start: number; open: number; depth: number }[] = [];
  scan(text, (i, depth) => {
    const c = text[i]!;
    if (c === '(') {
      const m = /([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(text.slice(Math.max(0, i - 200), i));
      const before = m ? text[i - m[0].length - 1] : undefined;
      if (m && names.has(m[1]!.toLowerCase()) && before !== '.')
        opens.push({ name: m[1]!.toLowerCase(), start: i - m[0].length, open: i, depth });
    } else if (c === ')') {
      const o = opens.length ? opens[opens.length - 1] : undefined;
      if (o && o.depth === depth) {
        opens.pop();
        calls.push({ name: o.name, start: o.start, open: o.open, close: i });
      }
    }
  });
  return calls;
}

/** The top-level comma-separated parts of SQL text. */
function splitTop(text: string): string[] {
  const parts: string[] = [];
  let last = 0;
  scan(text, (i, depth) => {
    if (text[i] === ',' && depth === 0) {
      parts.push(text.slice(last, i));
      last = i + 1;
    }
  });
  parts.push(text.slice(last));
  return parts;
}

/** Index of the first top-level keyword matching `re` (a word boundary before it), or -1. */
function topKeyword(text: string, re: RegExp): number {
  let at = -1;
  scan(text, (i, depth) => {
    if (depth !== 0 || (i > 0 && /[\w.]/.test(text[i - 1]!))) return;
    if (re.test(text.slice(i, i + 20))) {
      at = i;
      return true;
    }
  });
  return at;
}

async function sqlWithUdfs(rel: Msg, compiler: RelationCompiler, ctx: UdfContext): Promise<string | undefined> {
  const tables = new Set([...ctx.registered.keys()].filter((k) => k.startsWith('table:')).map((k) => k.slice(6)));
  const names = new Set([...ctx.registered.keys()].filter((k) => !k.startsWith('table:')));
  let query = String(rel.sql.query);
  // registered UDTFs (`FROM f(1, 'a')`): each call becomes the relation of its rows
  const tcalls = textCalls(query, tables).sort((a, b) => b.start - a.start);
  for (const c of tcalls) {
    if (tcalls.some((d) => d !== c && d.start > c.open && d.close < c.close))
      throw unsupported('a Python UDTF call inside another one');
    const f = ctx.registered.get(`table:${c.name}`)!;
    const lateral = /,\s*LATERAL\s*$/i.exec(query.slice(0, c.start));
    if (lateral) {
      // FROM <left>, LATERAL f(args of left's columns): f's rows for each row of <left>
      const before = query.slice(0, lateral.index);
      const from = topKeyword(before, /^FROM\b/i);
      const stripped = before.slice(from + 4).replace(/\([^()]*\)/g, '');
      if (from < 0 || /\bJOIN\b/i.test(stripped) || (!/^\s*VALUES\b/i.test(stripped) && stripped.includes(',')))
        throw unsupported('lateral Python UDTF calls other than FROM <one relation>, LATERAL f(...)');
      const left = before.slice(from + 4);
      const args = splitTop(query.slice(c.open + 1, c.close))
        .filter((x, _, all) => x.trim() || all.length > 1)
        .map((x) => ({ expr_type: 'expression_string', expression_string: { expression: x.trim() } }));
      const r = await udtfRelation({ ...f, arguments: args }, compiler, ctx, {
        rel_type: 'sql',
        sql: { ...rel.sql, query: `SELECT * FROM ${left}` },
      });
      query = `${before.slice(0, from)}FROM ${r.read.named_table.unparsed_identifier}${query.slice(c.close + 1)}`;
      continue;
    }
    const args = splitTop(query.slice(c.open + 1, c.close))
      .filter((x, _, all) => x.trim() || all.length > 1)
      .map((x) => ({ expr_type: 'expression_string', expression_string: { expression: x.trim() } }));
    const r = await udtfRelation({ ...f, arguments: args }, compiler, ctx);
    query = query.slice(0, c.start) + r.read.named_table.unparsed_identifier + query.slice(c.close + 1);
  }
  if (tcalls.length) rel = { ...rel, sql: { ...rel.sql, query } };
  if (!textCalls(query, names).length) return tcalls.length ? compiler.relation(rel) : undefined;
  const shape = () =>
    unsupported(
      'registered Python UDFs in SQL other than SELECT <list> FROM ... [WHERE ...] [ORDER BY ...] [LIMIT n] ' +
        '(use them in DataFrame expressions, or in the select list of such a query)',
    );
  const m = /^\s*SELECT\s/i.exec(query);
  if (!m) throw shape();
  const body = query.slice(m[0].length);
  let from = topKeyword(body, /^FROM\b/i);
  // SELECT f('x') without FROM: over one row
  let rest = from < 0 ? ' (SELECT 1 AS `__lbx_udf_one`) AS _one ' : body.slice(from + 4);
  if (from < 0) from = body.length;
  if (topKeyword(rest, /^(GROUP\s+BY|HAVING|UNION|INTERSECT|EXCEPT|MINUS|WINDOW|QUALIFY)\b/i) >= 0) throw shape();
  const tailAt = topKeyword(rest, /^(ORDER\s+BY|LIMIT|OFFSET)\b/i);
  const tail = tailAt >= 0 ? rest.slice(tailAt) : '';
  rest = tailAt >= 0 ? rest.slice(0, tailAt) : rest;
  if (textCalls(rest + ' ' + tail, names).length) throw shape();
  const items = splitTop(body.slice(0, from)).map((text) => {
    const a = /\s+AS\s+(`(?:[^`]|``)+`|[A-Za-z_][A-Za-z0-9_]*)\s*$/i.exec(text);
    const expr = a ? text.slice(0, a.index) : text;
    // Spark names an unaliased expression by its text, string literals without their quotes
    const shown = expr.trim().replace(/'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g, (_m, x, y) => x ?? y);
    const name = a ? a[1]! : textCalls(expr, names).length ? '`' + shown.replaceAll('`', '``') + '`' : '';
    return { expr, name };
  });

  let cur: Msg = { ...rel, sql: { ...rel.sql, query: `SELECT * FROM ${rest}` } };
  const layer = layerSeq++;
  for (let depth = 0; ; depth++) {
    // the innermost calls of each item (their arguments call no registered function)
    const per = items.map((it) => {
      const calls = textCalls(it.expr, names);
      return calls.filter((c) => !calls.some((d) => d !== c && d.start > c.open && d.close < c.close));
    });
    if (!per.some((c) => c.length)) break;
    const prefix = `__lbx_udf_${layer}_${depth}_`;
    const extra: Msg[] = [];
    const udfs: Msg[] = [];
    per.forEach((calls, i) =>
      calls.forEach((c) => {
        const f = ctx.registered.get(c.name)!;
        const t = Number(f.python_udf.eval_type ?? 100);
        if (!SCALAR_EVAL.has(t)) throw unsupportedEval(t, 'in SQL');
        const args = splitTop(items[i]!.expr.slice(c.open + 1, c.close)).filter(
          (x, j, all) => x.trim() || all.length > 1,
        );
        const k = udfs.length;
        udfs.push({
          command: Buffer.from(f.python_udf.command ?? []).toString('base64'),
          eval_type: t,
          args: args.map((x) => {
            extra.push(
              alias(
                { expr_type: 'expression_string', expression_string: { expression: x.trim() } },
                `${prefix}a${extra.length}`,
              ),
            );
            return extra.length - 1;
          }),
          name: `${prefix}r${k}`,
        });
      }),
    );
    const q = await compiler.relation({
      rel_type: 'project',
      project: { input: cur, expressions: [{ expr_type: 'unresolved_star', unresolved_star: {} }, ...extra] },
    });
    cur = await throughWorker(ctx, q, { kind: 'scalar', extra: extra.length, keys: [], udfs });
    // replace the calls by their result columns (from the end, so that offsets stay valid)
    let k = 0;
    per.forEach((calls, i) => {
      const named = calls.map((c) => ({ c, col: `\`${prefix}r${k++}\`` }));
      for (const { c, col } of [...named].sort((a, b) => b.c.start - a.c.start))
        items[i]!.expr = items[i]!.expr.slice(0, c.start) + col + items[i]!.expr.slice(c.close + 1);
    });
  }
  const list = items.map((it) => `${it.expr.trim()}${it.name ? ` AS ${it.name}` : ''}`).join(', ');
  return `SELECT ${list} FROM (${await compiler.relation(cur)}) AS _udf_sql ${tail}`;
}

// ---- Python UDTFs ------------------------------------------------------------------------------

/** A DataType proto as Spark's JSON form (what pyspark's _parse_datatype_json_string reads). */
export function typeJson(dt: Msg): unknown {
  const k = dt?.kind;
  switch (k) {
    case 'integer':
    case 'long':
    case 'short':
    case 'byte':
    case 'string':
    case 'double':
    case 'float':
    case 'boolean':
    case 'binary':
    case 'date':
    case 'timestamp':
    case 'timestamp_ntz':
    case 'null':
      return k;
    case 'decimal':
      return `decimal(${dt.decimal.precision ?? 10},${dt.decimal.scale ?? 0})`;
    case 'array':
      return {
        type: 'array',
        elementType: typeJson(dt.array.element_type),
        containsNull: dt.array.contains_null ?? true,
      };
    case 'map':
      return {
        type: 'map',
        keyType: typeJson(dt.map.key_type),
        valueType: typeJson(dt.map.value_type),
        valueContainsNull: dt.map.value_contains_null ?? true,
      };
    case 'struct':
      return {
        type: 'struct',
        fields: ((dt.struct.fields ?? []) as Msg[]).map((f) => ({
          name: f.name,
          type: typeJson(f.data_type),
          nullable: f.nullable ?? true,
          metadata: {},
        })),
      };
    case 'unparsed': {
      // a DDL string: "a int, b string" (a struct) or one type
      const ddl = String(dt.unparsed.data_type_string);
      try {
        const fields = schemaFields(ddl);
        return {
          type: 'struct',
          fields: fields.map(([name, t]) => ({ name, type: nameJson(t), nullable: true, metadata: {} })),
        };
      } catch {
        return nameJson(ddl);
      }
    }
    default:
      throw unsupported(`a Python UDTF returning ${k}`);
  }
}

/** A Spark type name (`int`, `array<string>`, `decimal(10,2)`) as Spark's JSON form. */
function nameJson(t: string): unknown {
  const s = t.trim();
  const lower = s.toLowerCase();
  if (/^(array|map|struct)</.test(lower)) {
    const p = nestedParts(s);
    if (p.kind === 'array') return { type: 'array', elementType: nameJson(p.element), containsNull: true };
    if (p.kind === 'map')
      return { type: 'map', keyType: nameJson(p.key), valueType: nameJson(p.value), valueContainsNull: true };
    return {
      type: 'struct',
      fields: p.fields.map(([name, ft]) => ({ name, type: nameJson(ft), nullable: true, metadata: {} })),
    };
  }
  const simple: Record<string, string> = {
    int: 'integer',
    integer: 'integer',
    bigint: 'long',
    long: 'long',
    smallint: 'short',
    short: 'short',
    tinyint: 'byte',
    byte: 'byte',
    real: 'float',
    void: 'null',
  };
  if (/^decimal\s*\(/.test(lower)) return lower.replace(/\s+/g, '');
  if (lower === 'decimal') return 'decimal(10,0)';
  return simple[lower] ?? (/^(var)?char\(/.test(lower) ? 'string' : lower);
}

/** A UDTF call (constant or per-row arguments of its input-less select) as a computed relation. */
async function udtfRelation(f: Msg, compiler: RelationCompiler, ctx: UdfContext, lateralInput?: Msg): Promise<Msg> {
  const py = f.python_udtf;
  if (!py) throw unsupported('a table function that is not a Python UDTF');
  const t = Number(py.eval_type ?? 300);
  if (t !== 300 && t !== 301) throw unsupportedEval(t, 'as a table function');
  if (!py.return_type) throw unsupported('Python UDTFs without a returnType (analyze())');
  const args = (f.arguments ?? []) as Msg[];
  if (hasKind(args, 'subquery_expression') || hasKind(args, 'named_argument_expression'))
    throw unsupported('Python UDTFs with TABLE or named arguments');
  const star = { expr_type: 'unresolved_star', unresolved_star: {} };
  const q = await compiler.relation({
    rel_type: 'project',
    project: lateralInput
      ? { input: lateralInput, expressions: [star, ...args.map((a, j) => alias(a, `__lbx_udtf_a${j}`))] }
      : { expressions: args.map((a, j) => alias(a, `__lbx_udtf_a${j}`)) },
  });
  return throughWorker(ctx, q, {
    kind: 'udtf',
    lateral: !!lateralInput,
    command: Buffer.from(py.command ?? []).toString('base64'),
    return_type: JSON.stringify(typeJson(py.return_type)),
    extra: args.length,
  });
}

function hasKind(node: Msg, kind: string): boolean {
  if (!node || typeof node !== 'object' || Buffer.isBuffer(node)) return false;
  if (Array.isArray(node)) return node.some((n) => hasKind(n, kind));
  if (node.expr_type === kind) return true;
  return Object.values(node).some((n) => hasKind(n, kind));
}

/** df1.groupBy(k).cogroup(df2.groupBy(k)).applyInPandas(f, schema): f(left, right) per key. */
async function coGroupMap(g: Msg, compiler: RelationCompiler, ctx: UdfContext): Promise<string> {
  const f = g.func?.[UDF] ?? g.func;
  const py = f?.python_udf;
  if (!py) throw unsupported('cogroup().applyInPandas with a non-Python function');
  const t = Number(py.eval_type);
  if (t !== 206) throw unsupportedEval(t, 'in cogroup().apply');
  const star = { expr_type: 'unresolved_star', unresolved_star: {} };
  const side = async (input: Msg, keys: Msg[]) => {
    const aliased = keys.map((k, j) => alias(k, `__lbx_key_${j}`));
    return compiler.relation({ rel_type: 'project', project: { input, expressions: [star, ...aliased] } });
  };
  const lk = (g.input_grouping_expressions ?? []) as Msg[];
  const rk = (g.other_grouping_expressions ?? []) as Msg[];
  if (lk.length !== rk.length) throw unsupported('cogroup() with different numbers of grouping keys');
  const answer = await throughWorker(
    ctx,
    await side(g.input, lk),
    { kind: 'cogroup', command: Buffer.from(py.command ?? []).toString('base64'), extra: lk.length },
    await side(g.other, rk),
  );
  return compiler.relation(answer);
}
