import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { LakeboxError } from '@lakebox/common';
import { audit, type Principal, type PrincipalStore } from '@lakebox/catalog';
import {
  Lakehouse,
  isQuery,
  recordQueryLineage,
  writeToTable,
  type Session,
  type SqlEngine,
  type StatementResult,
} from '@lakebox/engine';
import { catalogSql } from './catalog.js';
import { arrowIpc } from './arrow.js';
import { SPARK_DEFAULTS, isModifiable } from './config.js';
import { toGrpcError } from './errors.js';
import { SparkConnectForwarder, type ForwardOptions } from './forward.js';
import {
  RelationCompiler,
  exprSql,
  mapEntries,
  quoteIdent,
  quoteName,
  typeName,
  unsupported,
  type CompileEnv,
} from './plan.js';
import { sparkConnectService } from './proto.js';
import { htmlString, showString } from './show.js';
import { UdfWorkers, compileUdfRelation, importParquet } from './udf.js';
import { clientName, dataTypeProto, schemaProto, wireSparkType } from './types.js';

type Msg = any;
/** The engine's DuckDB connection (one per running operation, so that Interrupt can cancel it). */
type DuckDBConnection = Awaited<ReturnType<SqlEngine['connect']>>;

/** The Spark version Lakebox answers to `spark.version` (the protocol it speaks). */
export const SPARK_VERSION = '4.0.1';

interface ConnectSession {
  id: string;
  serverSideId: string;
  user: string;
  conf: Map<string, string>;
  sql: Session;
  /** Temporary views: lower-case name -> compiled SQL, and the parameters that SQL uses. */
  views: Map<string, string>;
  viewParams: CompileEnv['params'];
  /** Operations running now: their DuckDB connection (Interrupt cancels its query) and tags. */
  running: Map<string, { conn: DuckDBConnection; tags: string[]; interrupted: boolean }>;
}

interface Operation {
  sessionId: string;
  user: string;
  responses: Msg[];
  createdAt: number;
}

export interface SparkConnectOptions {
  engine: SqlEngine;
  principals: PrincipalStore;
  /** Forwarding of sessions to a remote Spark Connect server (forward.ts). */
  forward?: ForwardOptions;
  log?: { debug?(o: unknown, msg?: string): void; error(o: unknown, msg?: string): void };
}

/** The SparkConnectService implementation over the SQL engine. */
export class SparkConnectServer {
  private sessions = new Map<string, ConnectSession>();
  /** Responses of reattachable operations, kept until ReleaseExecute (or 15 minutes). */
  private operations = new Map<string, Operation>();
  private server: grpc.Server | undefined;
  private forwarder: SparkConnectForwarder | undefined;
  /** Python UDF workers (one per session) and spark.udf.register'ed functions by session id. */
  private udfWorkers = new UdfWorkers();
  private udfRegistry = new Map<string, Map<string, Msg>>();

  constructor(private readonly opts: SparkConnectOptions) {}

  async listen(host: string, port: number): Promise<number> {
    const server = new grpc.Server({
      'grpc.max_receive_message_length': 128 * 1024 * 1024,
      'grpc.max_send_message_length': 128 * 1024 * 1024,
    });
    const service = sparkConnectService();
    this.forwarder = new SparkConnectForwarder(this.opts.forward ?? {}, (metadata) => this.principal({ metadata }));
    server.addService(service, this.forwarder.wrap(service, this.handlers()));
    const bound = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
        err
          ? reject(
              new LakeboxError(
                'PORT_IN_USE',
                `Spark Connect cannot listen on ${host}:${port} (${err.message}): choose another port with ` +
                  `--spark-connect-port, LAKEBOX_SPARK_CONNECT_PORT or sparkConnect.port, or disable it with ` +
                  `LAKEBOX_SPARK_CONNECT_ENABLED=false`,
              ),
            )
          : resolve(p),
      ),
    );
    this.server = server;
    return bound;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    this.forwarder?.close();
    this.udfWorkers.closeAll();
    if (!s) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        s.forceShutdown();
        resolve();
      }, 2000);
      s.tryShutdown(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  private async principal(call: { metadata: grpc.Metadata }): Promise<Principal> {
    const h = call.metadata.get('authorization')[0];
    const m = typeof h === 'string' ? /^Bearer\s+(.+)$/i.exec(h.trim()) : null;
    if (!m)
      throw new LakeboxError('UNAUTHENTICATED', 'a token is required: connect with sc://host:port/;token=<token>', {
        httpStatus: 401,
      });
    return this.opts.principals.authenticate(m[1]!.trim());
  }

  private session(req: Msg, user: string): ConnectSession {
    const id = req.session_id as string;
    if (!id) throw new LakeboxError('INVALID_HANDLE.FORMAT', 'session_id is required', { sqlState: 'HY000' });
    let s = this.sessions.get(id);
    if (!s) {
      s = {
        id,
        serverSideId: randomUUID(),
        user,
        conf: new Map(),
        sql: { catalog: 'main', schema: 'default', user, entity: { type: 'SPARK_CONNECT_SESSION', id } },
        views: new Map(),
        viewParams: {},
        running: new Map(),
      };
      this.sessions.set(id, s);
    } else if (s.user !== user) {
      throw new LakeboxError('INVALID_HANDLE.SESSION_NOT_FOUND', `Session ${id} not found`, { sqlState: 'HY000' });
    }
    const observed = req.client_observed_server_side_session_id as string | undefined;
    if (observed && observed !== s.serverSideId)
      throw new LakeboxError(
        'INVALID_HANDLE.SESSION_CHANGED',
        `The existing Spark server driver instance has restarted`,
        {
          sqlState: 'HY000',
        },
      );
    return s;
  }

  private unary(fn: (req: Msg, user: string) => Promise<Msg>): grpc.handleUnaryCall<Msg, Msg> {
    return (call, callback) => {
      (async () => fn(call.request, (await this.principal(call)).name))().then(
        (res) => callback(null, res),
        (e: unknown) => {
          this.logUnexpected(e);
          callback(toGrpcError(e));
        },
      );
    };
  }

  private logUnexpected(e: unknown) {
    if (!(e instanceof LakeboxError)) this.opts.log?.error({ err: e }, 'spark connect: unexpected error');
  }

  private handlers(): grpc.UntypedServiceImplementation {
    const notSupported = (what: string) =>
      this.unary(async () => {
        throw unsupported(what);
      });
    return {
      ExecutePlan: (call: grpc.ServerWritableStream<Msg, Msg>) => {
        void this.executePlan(call).catch((e: unknown) => this.logUnexpected(e));
      },
      ReattachExecute: (call: grpc.ServerWritableStream<Msg, Msg>) => {
        void this.reattach(call).catch((e: unknown) => this.logUnexpected(e));
      },
      AnalyzePlan: this.unary((req, user) => this.analyze(req, user)),
      Config: this.unary(async (req, user) => this.config(req, user)),
      ReleaseExecute: this.unary(async (req, user) => {
        const s = this.session(req, user);
        const op = req.operation_id as string;
        if (req.release === 'release_all') this.operations.delete(op);
        else if (req.release === 'release_until') {
          const o = this.operations.get(op);
          const i = o?.responses.findIndex((r) => r.response_id === req.release_until.response_id) ?? -1;
          if (o && i >= 0) o.responses = o.responses.slice(i + 1);
        }
        return { session_id: s.id, server_side_session_id: s.serverSideId, operation_id: op };
      }),
      ReleaseSession: this.unary(async (req, user) => {
        const s = this.sessions.get(req.session_id);
        if (s && s.user === user) {
          this.sessions.delete(req.session_id);
          this.udfWorkers.close(req.session_id);
          this.udfRegistry.delete(req.session_id);
        }
        return { session_id: req.session_id, server_side_session_id: s?.serverSideId ?? '' };
      }),
      Interrupt: this.unary(async (req, user) => {
        const s = this.session(req, user);
        const ids: string[] = [];
        for (const [id, op] of s.running) {
          const hit =
            req.interrupt_type === 'INTERRUPT_TYPE_ALL' ||
            (req.interrupt_type === 'INTERRUPT_TYPE_OPERATION_ID' && req.operation_id === id) ||
            (req.interrupt_type === 'INTERRUPT_TYPE_TAG' && op.tags.includes(req.operation_tag));
          if (!hit) continue;
          op.interrupted = true;
          op.conn.interrupt();
          ids.push(id);
        }
        // a Python UDF the operation is running stops with its worker (a new one starts on next use)
        if (ids.length) this.udfWorkers.interrupt(s.id);
        return { session_id: s.id, server_side_session_id: s.serverSideId, interrupted_ids: ids };
      }),
      AddArtifacts: (call: grpc.ServerReadableStream<Msg, Msg>, callback: grpc.sendUnaryData<Msg>) => {
        call.on('data', () => undefined);
        call.on('end', () => callback(toGrpcError(unsupported('AddArtifacts (addArtifact, addPyFile, addArchive)'))));
        call.on('error', () => undefined);
      },
      ArtifactStatus: notSupported('ArtifactStatus'),
      FetchErrorDetails: notSupported('FetchErrorDetails'),
      CloneSession: notSupported('CloneSession'),
    };
  }

  // ---- ExecutePlan -------------------------------------------------------------------------

  private async executePlan(call: grpc.ServerWritableStream<Msg, Msg>): Promise<void> {
    const req = call.request;
    // governance: one system.access.audit event per ExecutePlan (SQL inside also gets its own)
    const audited = { user: null as string | null, operationId: (req.operation_id as string) || randomUUID() };
    const auditPlan = (e?: unknown) => {
      const le = e instanceof LakeboxError ? e : undefined;
      audit({
        user: audited.user,
        service: 'sparkConnect',
        action: req.plan?.command ? 'ExecutePlan.command' : 'ExecutePlan.relation',
        allowed: !(le && (le.code === 'PERMISSION_DENIED' || le.httpStatus === 401 || le.httpStatus === 403)),
        status: e === undefined ? 200 : (le?.httpStatus ?? 500),
        errorCode: e === undefined ? null : (le?.code ?? 'INTERNAL_ERROR'),
        errorMessage: le?.message ?? null,
        requestId: audited.operationId,
        sourceIp: call.getPeer(),
        params: { session_id: String(req.session_id ?? '') },
      });
    };
    try {
      const user = (await this.principal(call)).name;
      audited.user = user;
      const s = this.session(req, user);
      const operationId = audited.operationId;
      const reattachable = (req.request_options ?? []).some((o: Msg) => o.reattach_options?.reattachable);
      const base = { session_id: s.id, server_side_session_id: s.serverSideId, operation_id: operationId };
      const responses: Msg[] = [];
      const push = (body: Msg) => responses.push({ ...base, response_id: randomUUID(), ...body });
      const conn = await this.opts.engine.connect();
      const op = { conn, tags: (req.tags ?? []) as string[], interrupted: false };
      s.running.set(operationId, op);
      try {
        await this.run(req.plan, s, push, conn);
      } catch (e) {
        if (op.interrupted)
          throw new LakeboxError('OPERATION_CANCELED', `Operation ${operationId} has been cancelled.`, {
            sqlState: 'HY008',
          });
        throw e;
      } finally {
        s.running.delete(operationId);
        conn.closeSync();
        if (!s.running.size) this.udfWorkers.sweep(s.id, s.sql, [...s.views.values()].join('\n'));
      }
      if (op.interrupted)
        throw new LakeboxError('OPERATION_CANCELED', `Operation ${operationId} has been cancelled.`, {
          sqlState: 'HY008',
        });
      push({ result_complete: {} });
      if (reattachable) {
        this.sweep();
        this.operations.set(operationId, { sessionId: s.id, user, responses: [...responses], createdAt: Date.now() });
      }
      for (const r of responses) call.write(r);
      call.end();
      auditPlan();
    } catch (e) {
      auditPlan(e);
      this.logUnexpected(e);
      call.emit('error', toGrpcError(e));
    }
  }

  private async reattach(call: grpc.ServerWritableStream<Msg, Msg>): Promise<void> {
    const req = call.request;
    try {
      const user = (await this.principal(call)).name;
      this.session(req, user);
      const op = this.operations.get(req.operation_id);
      if (!op || op.user !== user)
        throw new LakeboxError('INVALID_HANDLE.OPERATION_NOT_FOUND', `Operation ${req.operation_id} not found`, {
          sqlState: 'HY000',
        });
      let rest = op.responses;
      if (req.last_response_id) {
        const i = rest.findIndex((r) => r.response_id === req.last_response_id);
        rest = i >= 0 ? rest.slice(i + 1) : rest;
      }
      for (const r of rest) call.write(r);
      call.end();
    } catch (e) {
      this.logUnexpected(e);
      call.emit('error', toGrpcError(e));
    }
  }

  private sweep() {
    const now = Date.now();
    for (const [id, o] of this.operations) if (now - o.createdAt > 15 * 60_000) this.operations.delete(id);
  }

  private env(s: ConnectSession, conn?: DuckDBConnection): CompileEnv {
    const env: CompileEnv = {
      params: { ...s.viewParams },
      views: s.views,
      columns: async (sql, params) =>
        (await this.sql(`SELECT * FROM (${sql}) AS _cols LIMIT 0`, s, params, conn)).columns.map((c) => c.name),
      schema: async (sql, params) =>
        (await this.sql(`SELECT * FROM (${sql}) AS _cols LIMIT 0`, s, params, conn)).columns,
      rows: async (sql, params) => (await this.sql(sql, s, params, conn)).rows,
      catalog: (c) => catalogSql(c, { session: s.sql, views: s.views, run: (text) => this.sql(text, s, {}, conn) }),
      udf: (rel, compiler) =>
        compileUdfRelation(rel, compiler, {
          workers: this.udfWorkers,
          sessionId: s.id,
          registered: this.udfRegistry.get(s.id) ?? new Map(),
          run: (text) => this.sql(text, s, env.params, conn),
          exportParquet: async (text, file) => {
            const own = conn ?? (await this.opts.engine.connect());
            try {
              const ctx = { session: s.sql, params: env.params, conn: own };
              const duck = await this.opts.engine.translateQuery(this.opts.engine.parse(text)[0]!.nodes, ctx);
              await own.run(`COPY (${duck}) TO '${file.replaceAll("'", "''")}' (FORMAT parquet)`);
            } finally {
              if (!conn) own.closeSync();
            }
          },
          importParquet: (file) => importParquet(s.sql, file),
          isAdmin: async () => (await this.opts.principals.getPrincipal(s.user))?.isAdmin === true,
        }),
    };
    return env;
  }

  private sql(
    text: string,
    s: ConnectSession,
    params: CompileEnv['params'] = {},
    conn?: DuckDBConnection,
  ): Promise<StatementResult> {
    this.opts.log?.debug?.({ sql: text }, 'spark connect: running');
    return this.opts.engine.execute(text, { session: s.sql, params, ...(conn ? { conn } : {}) });
  }

  /** Compile a relation to Spark SQL and run it. */
  private async query(
    rel: Msg,
    s: ConnectSession,
    wrap?: (sql: string) => string,
    conn?: DuckDBConnection,
  ): Promise<StatementResult> {
    const env = this.env(s, conn);
    const sql = await new RelationCompiler(env).relation(rel);
    return this.sql(wrap ? wrap(sql) : sql, s, env.params, conn);
  }

  /**
   * A result as Arrow batches of at most spark.sql.execution.arrow.maxRecordsPerBatch rows (and
   * about 4 MiB), so that large results reach the client in several responses.
   */
  private batches(r: StatementResult, s?: ConnectSession): Msg[] {
    const columns = r.columns.map((c) => ({ name: c.name, type: wireSparkType(c.type) }));
    const conf = Number(s?.conf.get('spark.sql.execution.arrow.maxRecordsPerBatch') ?? 10_000);
    const maxRows = Number.isFinite(conf) && conf > 0 ? conf : 10_000;
    const out: Msg[] = [];
    let start = 0;
    do {
      let n = Math.min(maxRows, r.rows.length - start);
      let data = Buffer.from(arrowIpc(r.columns, r.rows.slice(start, start + n)));
      while (data.length > 4 * 1024 * 1024 && n > 1) {
        n = Math.ceil(n / 2);
        data = Buffer.from(arrowIpc(r.columns, r.rows.slice(start, start + n)));
      }
      out.push({
        arrow_batch: { row_count: String(n), data, start_offset: String(start) },
        ...(start === 0 ? { schema: schemaProto(columns) } : {}),
      });
      start += n;
    } while (start < r.rows.length);
    return out;
  }

  private batch(r: StatementResult): Msg {
    return this.batches(r)[0];
  }

  private async run(plan: Msg, s: ConnectSession, push: (m: Msg) => void, conn?: DuckDBConnection): Promise<void> {
    if (!plan) throw unsupported('an ExecutePlan request without a plan');
    if (plan.op_type === 'root') {
      const root = plan.root;
      if (root.rel_type === 'show_string') {
        const sh = root.show_string;
        const n = Number(sh.num_rows ?? 20);
        const r = await this.query(sh.input, s, (q) => `SELECT * FROM (${q}) AS _show LIMIT ${n + 1}`, conn);
        // truncate=False arrives as 0, which proto3 leaves off the wire
        const text = showString(r, n, Number(sh.truncate ?? 0), !!sh.vertical);
        push(this.batch({ columns: [{ name: 'show_string', type: 'string' }], rows: [[text]] }));
        return;
      }
      if (root.rel_type === 'html_string') {
        const h = root.html_string;
        const n = Number(h.num_rows ?? 20);
        const r = await this.query(h.input, s, (q) => `SELECT * FROM (${q}) AS _show LIMIT ${n + 1}`, conn);
        push(
          this.batch({
            columns: [{ name: 'html_string', type: 'string' }],
            rows: [[htmlString(r, n, Number(h.truncate ?? 0))]],
          }),
        );
        return;
      }
      for (const b of this.batches(await this.query(root, s, undefined, conn), s)) push(b);
      return;
    }
    const cmd = plan.command;
    switch (cmd?.command_type) {
      case 'sql_command':
        return this.sqlCommand(cmd.sql_command, s, push, conn);
      case 'write_operation':
        await this.write(cmd.write_operation, s, conn);
        return;
      case 'write_operation_v2':
        await this.writeV2(cmd.write_operation_v2, s, conn);
        return;
      case 'register_function': {
        // spark.udf.register(name, f): later calls of `name` in DataFrame expressions run the UDF
        const f = cmd.register_function;
        if (!f.python_udf) throw unsupported('registering a non-Python function');
        if (!this.udfRegistry.has(s.id)) this.udfRegistry.set(s.id, new Map());
        this.udfRegistry.get(s.id)!.set(String(f.function_name).toLowerCase(), f);
        return;
      }
      case 'register_table_function': {
        // spark.udtf.register(name, f): `SELECT * FROM name(...)` in spark.sql runs the UDTF
        const f = cmd.register_table_function;
        if (!f.python_udtf) throw unsupported('registering a non-Python table function');
        if (!this.udfRegistry.has(s.id)) this.udfRegistry.set(s.id, new Map());
        this.udfRegistry.get(s.id)!.set(`table:${String(f.function_name).toLowerCase()}`, f);
        return;
      }
      case 'create_dataframe_view': {
        const v = cmd.create_dataframe_view;
        const name = String(v.name);
        const key = name.toLowerCase();
        if (s.views.has(key) && !v.replace)
          throw new LakeboxError(
            'TEMP_TABLE_OR_VIEW_ALREADY_EXISTS',
            `Cannot create the temporary view \`${name}\` because it already exists.`,
            { sqlState: '42P07' },
          );
        const env = this.env(s, conn);
        const sql = await new RelationCompiler(env).relation(v.input);
        // Resolve now, so a view that cannot run fails here as in Spark.
        await this.sql(`SELECT * FROM (${sql}) AS _view LIMIT 0`, s, env.params, conn);
        Object.assign(s.viewParams, env.params);
        s.views.set(key, sql);
        return;
      }
      default:
        throw unsupported(`command ${cmd?.command_type ?? '(empty)'}`);
    }
  }

  private async sqlCommand(c: Msg, s: ConnectSession, push: (m: Msg) => void, conn?: DuckDBConnection): Promise<void> {
    const input: Msg =
      c.input ??
      ({
        rel_type: 'sql',
        sql: {
          query: c.sql,
          args: c.args,
          pos_args: c.pos_args,
          named_arguments: c.named_arguments,
          pos_arguments: c.pos_arguments,
        },
      } as Msg);
    if (input.rel_type !== 'sql') throw unsupported(`sql command with a ${input.rel_type} input`);
    const stmts = this.opts.engine.parse(input.sql.query);
    if (stmts.length === 1 && isQuery(stmts[0]!.nodes)) {
      // A query stays lazy: the client executes the relation when an action runs.
      push({ sql_command_result: { relation: input } });
      return;
    }
    const env = this.env(s, conn);
    const sql = await new RelationCompiler(env).relation(input);
    const r = await this.sql(sql, s, env.params, conn);
    push({
      sql_command_result: {
        relation: { rel_type: 'local_relation', local_relation: { data: Buffer.from(arrowIpc(r.columns, r.rows)) } },
      },
    });
  }

  private async write(w: Msg, s: ConnectSession, conn?: DuckDBConnection): Promise<void> {
    if (w.bucket_by || (w.sort_column_names ?? []).length) throw unsupported('bucketBy/sortBy in DataFrameWriter');
    const fmt = String(w.source ?? '').toLowerCase();
    const options = new Map(mapEntries(w.options).map(([k, v]) => [k.toLowerCase(), String(v)]));
    const partitionBy = (w.partitioning_columns ?? []) as string[];
    const env = this.env(s, conn);
    const q = await new RelationCompiler(env).relation(w.input);
    const mode = (w.mode ?? 'SAVE_MODE_UNSPECIFIED') as string;
    if (w.save_type === 'path')
      return this.writePath(String(w.path), fmt || 'delta', mode, q, env, s, options, partitionBy, conn);
    if (w.save_type !== 'table') throw unsupported('DataFrameWriter.save() without a path or table');
    if (fmt && fmt !== 'delta') throw unsupported(`saveAsTable with format '${fmt}' (tables are Delta)`);
    const name = quoteName(w.table.table_name);
    const partitioned = partitionBy.length ? ` PARTITIONED BY (${partitionBy.map(quoteIdent).join(', ')})` : '';
    const replaceWhere = options.get('replacewhere');
    const mergeSchema = /^true$/i.test(options.get('mergeschema') ?? '');
    const exists = () =>
      this.sql(`DESCRIBE TABLE ${name}`, s, {}, conn).then(
        () => true,
        (e: unknown) => {
          if (e instanceof LakeboxError && /NOT_FOUND/.test(e.code)) return false;
          throw e;
        },
      );
    let sql: string;
    if (w.table.save_method === 'TABLE_SAVE_METHOD_INSERT_INTO') {
      sql = `INSERT ${mode === 'SAVE_MODE_OVERWRITE' ? 'OVERWRITE' : 'INTO'} ${name} ${q}`;
    } else if (mode === 'SAVE_MODE_OVERWRITE') {
      sql = replaceWhere
        ? `INSERT INTO ${name} REPLACE WHERE ${replaceWhere} ${q}`
        : `CREATE OR REPLACE TABLE ${name}${partitioned} AS ${q}`;
    } else if (mode === 'SAVE_MODE_IGNORE') sql = `CREATE TABLE IF NOT EXISTS ${name}${partitioned} AS ${q}`;
    else if (mode === 'SAVE_MODE_APPEND') {
      if (await exists()) {
        if (mergeSchema) {
          // New columns join the table's schema: a Delta write with mergeSchema at the table's location.
          const detail = await this.sql(`DESCRIBE DETAIL ${name}`, s, {}, conn);
          const loc = String(detail.rows[0]![detail.columns.findIndex((c) => c.name === 'location')]);
          const full = String(
            detail.rows[0]![detail.columns.findIndex((c) => c.name === 'name')] ?? w.table.table_name,
          );
          const lake = this.opts.engine.resolver;
          if (lake instanceof Lakehouse) await lake.gov.require(s.sql, 'MODIFY', { type: 'TABLE', name: full });
          await this.deltaWrite(loc, q, env, s, { mode: 'append', mergeSchema: true }, conn);
          return;
        }
        sql = `INSERT INTO ${name} BY NAME ${q}`;
      } else sql = `CREATE TABLE ${name}${partitioned} AS ${q}`;
    } else sql = `CREATE TABLE ${name}${partitioned} AS ${q}`;
    await this.sql(sql, s, env.params, conn);
  }

  /** Run a compiled query and write its rows to a Delta table at `location`. */
  private async deltaWrite(
    location: string,
    q: string,
    env: CompileEnv,
    s: ConnectSession,
    opts: Parameters<typeof writeToTable>[2],
    conn?: DuckDBConnection,
  ): Promise<void> {
    const own = conn ?? (await this.opts.engine.connect());
    try {
      const ctx = { session: s.sql, params: env.params, conn: own };
      const duck = await this.opts.engine.translateQuery(this.opts.engine.parse(q)[0]!.nodes, ctx);
      await writeToTable(location, { sql: duck }, { ...opts, connection: own, userName: s.sql.user });
      const lake = this.opts.engine.resolver;
      if (lake instanceof Lakehouse) await recordQueryLineage(lake, q, location, ctx);
    } finally {
      if (!conn) own.closeSync();
    }
  }

  /** DataFrameWriter.save(path): Delta through the Delta writer, Parquet/CSV/JSON files through DuckDB. */
  private async writePath(
    path: string,
    fmt: string,
    mode: string,
    q: string,
    env: CompileEnv,
    s: ConnectSession,
    options: Map<string, string>,
    partitionBy: string[],
    conn?: DuckDBConnection,
  ): Promise<void> {
    const lake = this.opts.engine.resolver;
    if (lake instanceof Lakehouse) await lake.gov.requirePath(s.sql, path, true);
    const exists = fs.existsSync(path);
    if (fmt === 'delta') {
      const replaceWhere = options.get('replacewhere');
      const m: Record<string, 'append' | 'overwrite' | 'errorIfExists' | 'ignore'> = {
        SAVE_MODE_APPEND: 'append',
        SAVE_MODE_OVERWRITE: 'overwrite',
        SAVE_MODE_IGNORE: 'ignore',
      };
      let cond: string | undefined;
      if (replaceWhere)
        cond = this.opts.engine.translateExpr(this.opts.engine.parse(replaceWhere)[0]!.nodes, {
          session: s.sql,
          params: {},
        });
      await this.deltaWrite(
        path,
        q,
        env,
        s,
        {
          mode: m[mode] ?? 'errorIfExists',
          ...(partitionBy.length ? { partitionBy } : {}),
          ...(cond ? { replaceWhere: cond } : {}),
          mergeSchema: /^true$/i.test(options.get('mergeschema') ?? ''),
          overwriteSchema: /^true$/i.test(options.get('overwriteschema') ?? ''),
        },
        conn,
      );
      return;
    }
    if (!['parquet', 'csv', 'json'].includes(fmt)) throw unsupported(`writing format '${fmt}'`);
    if (exists && (mode === 'SAVE_MODE_ERROR_IF_EXISTS' || mode === 'SAVE_MODE_UNSPECIFIED'))
      throw new LakeboxError(
        'PATH_ALREADY_EXISTS',
        `Path ${path} already exists. Set mode as "overwrite" to overwrite the existing path.`,
        {
          sqlState: '42K04',
        },
      );
    if (exists && mode === 'SAVE_MODE_IGNORE') return;
    if (exists && mode === 'SAVE_MODE_OVERWRITE') fs.rmSync(path, { recursive: true, force: true });
    fs.mkdirSync(path, { recursive: true });
    const own = conn ?? (await this.opts.engine.connect());
    try {
      const ctx = { session: s.sql, params: env.params, conn: own };
      const duck = await this.opts.engine.translateQuery(this.opts.engine.parse(q)[0]!.nodes, ctx);
      const copts = [`FORMAT ${fmt === 'json' ? 'json' : fmt}`];
      if (fmt === 'csv') {
        copts.push(`HEADER ${/^true$/i.test(options.get('header') ?? 'false') ? 'true' : 'false'}`);
        const sep = options.get('sep') ?? options.get('delimiter');
        if (sep) copts.push(`DELIMITER '${sep.replaceAll("'", "''")}'`);
      }
      const lit = (x: string) => `'${x.replaceAll("'", "''")}'`;
      if (partitionBy.length) {
        copts.push(`PARTITION_BY (${partitionBy.map((c) => `"${c.replaceAll('"', '""')}"`).join(', ')})`);
        copts.push('APPEND', `FILENAME_PATTERN ${lit(`part-{uuid}`)}`);
        await own.run(`COPY (${duck}) TO ${lit(path)} (${copts.join(', ')})`);
      } else {
        const file = `${path.replace(/\/$/, '')}/part-00000-${randomUUID()}.${fmt === 'parquet' ? 'snappy.parquet' : fmt}`;
        await own.run(`COPY (${duck}) TO ${lit(file)} (${copts.join(', ')})`);
      }
    } finally {
      if (!conn) own.closeSync();
    }
  }

  /** df.writeTo(table).create()/append()/overwrite(cond)/createOrReplace()/replace(). */
  private async writeV2(w: Msg, s: ConnectSession, conn?: DuckDBConnection): Promise<void> {
    const provider = String(w.provider ?? 'delta').toLowerCase();
    if (provider !== 'delta') throw unsupported(`writeTo(...).using('${provider}') (tables are Delta)`);
    const env = this.env(s, conn);
    const compiler = new RelationCompiler(env);
    const q = await compiler.relation(w.input);
    const name = quoteName(w.table_name);
    const parts = ((w.partitioning_columns ?? []) as Msg[]).map((e) => {
      if (e.expr_type !== 'unresolved_attribute') throw unsupported('writeTo partitionedBy with transforms');
      return quoteName(e.unresolved_attribute.unparsed_identifier);
    });
    const props = mapEntries(w.table_properties).map(
      ([k, v]) => `'${k.replaceAll("'", "\\'")}' = '${String(v).replaceAll("'", "\\'")}'`,
    );
    const spec =
      (parts.length ? ` PARTITIONED BY (${parts.join(', ')})` : '') +
      (props.length ? ` TBLPROPERTIES (${props.join(', ')})` : '');
    let sql: string;
    switch (w.mode) {
      case 'MODE_CREATE':
        sql = `CREATE TABLE ${name}${spec} AS ${q}`;
        break;
      case 'MODE_CREATE_OR_REPLACE':
        sql = `CREATE OR REPLACE TABLE ${name}${spec} AS ${q}`;
        break;
      case 'MODE_REPLACE':
        await this.sql(`DESCRIBE TABLE ${name}`, s, {}, conn).catch((e: unknown) => {
          if (e instanceof LakeboxError && /NOT_FOUND/.test(e.code))
            throw new LakeboxError('TABLE_OR_VIEW_NOT_FOUND', `Table ${w.table_name} cannot be found.`, {
              sqlState: '42P01',
            });
          throw e;
        });
        sql = `CREATE OR REPLACE TABLE ${name}${spec} AS ${q}`;
        break;
      case 'MODE_APPEND':
        sql = `INSERT INTO ${name} BY NAME ${q}`;
        break;
      case 'MODE_OVERWRITE':
        sql = w.overwrite_condition
          ? `INSERT INTO ${name} REPLACE WHERE ${exprSql(w.overwrite_condition, compiler)} ${q}`
          : `INSERT OVERWRITE ${name} ${q}`;
        break;
      default:
        throw unsupported(`writeTo mode ${w.mode}`);
    }
    await this.sql(sql, s, env.params, conn);
  }

  // ---- AnalyzePlan -------------------------------------------------------------------------

  private async analyze(req: Msg, user: string): Promise<Msg> {
    const s = this.session(req, user);
    const base = { session_id: s.id, server_side_session_id: s.serverSideId };
    const columnsOf = async (plan: Msg) => {
      if (plan?.op_type !== 'root') throw unsupported('analyzing a command');
      // Prepared, not run: a select list may repeat a name (a subquery would rename it x_1).
      const env = this.env(s);
      const sql = await new RelationCompiler(env).relation(plan.root);
      const cols = await this.opts.engine.describeQuery(sql, { session: s.sql, params: env.params });
      return cols.map((c) => ({ name: c.name, type: wireSparkType(c.type) }));
    };
    switch (req.analyze) {
      case 'schema':
        return { ...base, schema: { schema: schemaProto(await columnsOf(req.schema.plan)) } };
      case 'spark_version':
        return { ...base, spark_version: { version: SPARK_VERSION } };
      case 'is_local':
        return { ...base, is_local: { is_local: req.is_local.plan?.root?.rel_type === 'local_relation' } };
      case 'is_streaming':
        return { ...base, is_streaming: { is_streaming: false } };
      case 'explain': {
        const plan = req.explain.plan;
        if (plan?.op_type !== 'root') throw unsupported('explaining a command');
        const sql = await new RelationCompiler(this.env(s)).relation(plan.root);
        return { ...base, explain: { explain_string: `== Physical Plan ==\nLakebox Spark SQL:\n${sql}\n` } };
      }
      case 'tree_string': {
        const cols = await columnsOf(req.tree_string.plan);
        const text =
          'root\n' + cols.map((c) => ` |-- ${clientName(c.name)}: ${treeType(c.type)} (nullable = true)\n`).join('');
        return { ...base, tree_string: { tree_string: text } };
      }
      case 'ddl_parse':
        return { ...base, ddl_parse: { parsed: ddlParse(req.ddl_parse.ddl_string) } };
      case 'persist':
        // Nothing to cache: every action recomputes from the latest snapshot (accepted, no-op).
        return { ...base, persist: {} };
      case 'unpersist':
        return { ...base, unpersist: {} };
      case 'get_storage_level':
        return {
          ...base,
          get_storage_level: {
            storage_level: {
              use_disk: false,
              use_memory: false,
              use_off_heap: false,
              deserialized: false,
              replication: 1,
            },
          },
        };
      case 'same_semantics': {
        const env = this.env(s);
        const a = await new RelationCompiler(env).relation(req.same_semantics.target_plan?.root);
        const b = await new RelationCompiler(this.env(s)).relation(req.same_semantics.other_plan?.root);
        return { ...base, same_semantics: { result: a === b } };
      }
      case 'semantic_hash': {
        const sql = await new RelationCompiler(this.env(s)).relation(req.semantic_hash.plan?.root);
        let h = 0;
        for (let i = 0; i < sql.length; i++) h = (Math.imul(31, h) + sql.charCodeAt(i)) | 0;
        return { ...base, semantic_hash: { result: h } };
      }
      case 'input_files': {
        const files: string[] = [];
        const walk = (r: Msg) => {
          if (!r || typeof r !== 'object') return;
          if (r.rel_type === 'read' && r.read?.read_type === 'data_source')
            files.push(...(r.read.data_source.paths ?? []));
          for (const v of Object.values(r)) if (v && typeof v === 'object') walk(v);
        };
        walk(req.input_files.plan?.root);
        return { ...base, input_files: { files } };
      }
      default:
        throw unsupported(`AnalyzePlan ${req.analyze ?? '(empty)'}`);
    }
  }

  // ---- Config ------------------------------------------------------------------------------

  private config(req: Msg, user: string): Msg {
    const s = this.session(req, user);
    const op = req.operation ?? {};
    const get = (k: string) => s.conf.get(k) ?? SPARK_DEFAULTS[k];
    const kv = (key: string, value: string | undefined) => (value === undefined ? { key } : { key, value });
    let pairs: Msg[] = [];
    switch (op.op_type) {
      case 'set':
        for (const p of op.set.pairs ?? []) {
          if (!isModifiable(p.key) && !op.set.silent && p.key.startsWith('spark.sql.'))
            throw new LakeboxError(
              'CANNOT_MODIFY_CONFIG',
              `Cannot modify the value of the static Spark config: "${p.key}".`,
              {
                sqlState: '46110',
              },
            );
          if (p.value === undefined) s.conf.delete(p.key);
          else s.conf.set(p.key, p.value);
        }
        break;
      case 'get':
        pairs = (op.get.keys ?? []).map((k: string) => {
          const v = get(k);
          if (v === undefined)
            throw new LakeboxError('SQL_CONF_NOT_FOUND', `The SQL config "${k}" cannot be found.`, {
              sqlState: '42K0I',
            });
          return kv(k, v);
        });
        break;
      case 'get_with_default':
        pairs = (op.get_with_default.pairs ?? []).map((p: Msg) =>
          kv(p.key, s.conf.get(p.key) ?? p.value ?? SPARK_DEFAULTS[p.key]),
        );
        break;
      case 'get_option':
        pairs = (op.get_option.keys ?? []).map((k: string) => kv(k, get(k)));
        break;
      case 'get_all': {
        const prefix = (op.get_all.prefix as string | undefined) ?? '';
        const all = new Map([...Object.entries(SPARK_DEFAULTS), ...s.conf]);
        pairs = [...all].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => kv(k, v));
        break;
      }
      case 'unset':
        for (const k of op.unset.keys ?? []) s.conf.delete(k);
        break;
      case 'is_modifiable':
        pairs = (op.is_modifiable.keys ?? []).map((k: string) => kv(k, String(isModifiable(k))));
        break;
      default:
        throw unsupported(`Config operation ${op.op_type ?? '(empty)'}`);
    }
    return { session_id: s.id, server_side_session_id: s.serverSideId, pairs, warnings: [] };
  }
}

function treeType(t: string): string {
  const m: Record<string, string> = { int: 'integer', bigint: 'long', smallint: 'short', tinyint: 'byte' };
  return m[t] ?? t;
}

/** A DDL schema string (`a INT, b STRING` or a single type) as a DataType proto. */
function ddlParse(ddl: string): Msg {
  const text = ddl.trim();
  const fields: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of text) {
    if (c === '<' || c === '(') depth++;
    if (c === '>' || c === ')') depth--;
    if (c === ',' && depth === 0) {
      fields.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  if (cur.trim()) fields.push(cur.trim());
  const named = fields.map((f) => /^(`(?:[^`]|``)+`|[A-Za-z_][\w]*)\s*:?\s+(.+)$/.exec(f));
  if (named.every((m) => m)) {
    return {
      struct: {
        fields: named.map((m) => ({
          name: m![1]!.startsWith('`') ? m![1]!.slice(1, -1).replaceAll('``', '`') : m![1]!,
          data_type: dataTypeProto(normalizeType(m![2]!)),
          nullable: !/\bNOT\s+NULL\b/i.test(m![2]!),
        })),
      },
    };
  }
  return dataTypeProto(normalizeType(text));
}

function normalizeType(t: string): string {
  const s = t
    .replace(/\s+NOT\s+NULL\b/i, '')
    .trim()
    .toLowerCase();
  const m: Record<string, string> = {
    integer: 'int',
    long: 'bigint',
    short: 'smallint',
    byte: 'tinyint',
    real: 'float',
  };
  return m[s] ?? s;
}

export { typeName };
