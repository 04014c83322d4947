import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { LakeboxError } from '@lakebox/common';
import {
  ADMIN_USER,
  addAuditSink,
  auditUserName,
  type AuditEvent,
  type ColumnInfo,
  type Metastore,
} from '@lakebox/catalog';
import { DeltaTable, writeToTable, type StructType } from '@lakebox/delta';

// system.access.audit: one row per API call and per statement, modelled on Databricks' audit log
// system table (event_time, event_date, service_name, action_name, user_identity, request_params,
// response, source_ip_address, user_agent, request_id) plus Lakebox's `allowed` decision and the
// securable touched (object_type, object_name). Partitioned by event_date.

export const AUDIT_SCHEMA = 'access';
export const AUDIT_TABLE = 'audit';

const FIELDS: Array<[name: string, type: StructType['fields'][number]['type'], comment: string]> = [
  ['event_id', 'string', 'Unique id of the event'],
  ['event_time', 'timestamp', 'When the call was answered (UTC)'],
  ['event_date', 'date', 'UTC date of event_time (partition column)'],
  ['service_name', 'string', 'Surface: unityCatalog, sql, sparkConnect, mlflow, accounts, tokens, workspace, ...'],
  ['action_name', 'string', 'What was done: an API operation, a statement kind, login, ...'],
  ['request_id', 'string', 'The X-Request-Id of the HTTP call (or the statement/operation id)'],
  [
    'user_identity',
    {
      type: 'struct',
      fields: [
        { name: 'email', type: 'string', nullable: true, metadata: {} },
        { name: 'subject_name', type: 'string', nullable: true, metadata: {} },
      ],
    },
    'Who: user name (email) and principal name; null when unauthenticated',
  ],
  ['source_ip_address', 'string', 'Client address'],
  ['user_agent', 'string', 'Client User-Agent'],
  ['object_type', 'string', 'Securable type touched (TABLE, SCHEMA, CATALOG, ...), when known'],
  ['object_name', 'string', 'Full name (or id) of the securable, when known'],
  ['allowed', 'boolean', 'false when authentication or authorization refused the call'],
  [
    'request_params',
    { type: 'map', keyType: 'string', valueType: 'string', valueContainsNull: true },
    'Route and query parameters, statement text (never tokens or passwords)',
  ],
  [
    'response',
    {
      type: 'struct',
      fields: [
        { name: 'status_code', type: 'integer', nullable: true, metadata: {} },
        { name: 'error_message', type: 'string', nullable: true, metadata: {} },
        { name: 'result', type: 'string', nullable: true, metadata: {} },
      ],
    },
    'HTTP status (or equivalent), error class and message',
  ],
];

export const AUDIT_DELTA_SCHEMA: StructType = {
  type: 'struct',
  fields: FIELDS.map(([name, type, comment]) => ({
    name,
    type,
    nullable: name !== 'event_id' && name !== 'event_time' && name !== 'event_date',
    metadata: { comment },
  })),
};

const typeText = (t: StructType['fields'][number]['type']): string => {
  if (typeof t === 'string') return t === 'integer' ? 'int' : t;
  if (t.type === 'struct') return `struct<${t.fields.map((f) => `${f.name}:${typeText(f.type)}`).join(',')}>`;
  if (t.type === 'map') return `map<${typeText(t.keyType)},${typeText(t.valueType)}>`;
  return `array<${typeText(t.elementType)}>`;
};

export const AUDIT_COLUMNS: ColumnInfo[] = FIELDS.map(([name, type, comment]) => ({
  name,
  typeText: typeText(type),
  typeJson: JSON.stringify(type),
  nullable: name !== 'event_id' && name !== 'event_time' && name !== 'event_date',
  comment,
  partitionIndex: name === 'event_date' ? 0 : null,
}));

/** A row of system.access.audit as written (JSON-friendly). */
export interface AuditRow {
  event_id: string;
  event_time: string;
  event_date: string;
  service_name: string;
  action_name: string;
  request_id: string | null;
  user_identity: { email: string | null; subject_name: string | null } | null;
  source_ip_address: string | null;
  user_agent: string | null;
  object_type: string | null;
  object_name: string | null;
  allowed: boolean;
  request_params: Record<string, string>;
  response: { status_code: number | null; error_message: string | null; result: string | null };
}

const SECRET_KEY = /token|password|secret|credential|authorization|cookie/i;
const clip = (s: string | null | undefined, n = 2000): string | null =>
  s === undefined || s === null ? null : s.length > n ? `${s.slice(0, n)}…` : s;

export function toAuditRow(e: AuditEvent): AuditRow {
  const time = new Date(e.time ?? Date.now());
  const name = auditUserName(e.user);
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.params ?? {})) {
    if (v === undefined || v === null) continue;
    params[k] = SECRET_KEY.test(k) ? '[redacted]' : clip(String(v))!;
  }
  return {
    event_id: randomUUID(),
    event_time: time.toISOString(),
    event_date: time.toISOString().slice(0, 10),
    service_name: e.service,
    action_name: clip(e.action, 500)!,
    request_id: e.requestId ?? null,
    user_identity: name === null ? null : { email: name, subject_name: name },
    source_ip_address: e.sourceIp ?? null,
    user_agent: clip(e.userAgent, 500),
    object_type: e.objectType ?? null,
    object_name: clip(e.objectName, 1000),
    allowed: e.allowed,
    request_params: params,
    response: {
      status_code: e.status ?? null,
      error_message:
        e.errorCode || e.errorMessage
          ? clip(`${e.errorCode ?? ''}${e.errorCode && e.errorMessage ? ': ' : ''}${e.errorMessage ?? ''}`)
          : null,
      result: null,
    },
  };
}

export interface AuditLogOptions {
  metastore: Metastore;
  log: FastifyBaseLogger;
  /** How often queued events are written (default 2000 ms). */
  flushIntervalMs?: number;
  /** Write at once when this many events are queued (default 2000). */
  batchSize?: number;
  /** Drop the oldest events beyond this many when writes keep failing (default 200,000). */
  maxQueued?: number;
}

/**
 * The background appender: `record()` only queues; a timer (and a full batch) writes the queue as
 * one Delta commit to system.access.audit, one write at a time. `close()` stops the timer and
 * writes what is left (called on server shutdown).
 */
export class AuditLog {
  private queue: AuditRow[] = [];
  private writing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private location: string | undefined;
  private removeSink: (() => void) | undefined;
  private dropped = 0;
  private closed = false;
  /** Events written so far (for tests and metrics). */
  written = 0;

  constructor(private readonly opts: AuditLogOptions) {}

  /** Register the table, start the timer and receive events sent with `audit()` from any package. */
  start(): this {
    const interval = this.opts.flushIntervalMs ?? 2000;
    this.timer = setInterval(() => void this.flush(), interval);
    this.timer.unref();
    this.removeSink = addAuditSink((e) => this.record(e));
    return this;
  }

  record(e: AuditEvent): void {
    if (this.closed) return;
    let row: AuditRow;
    try {
      row = toAuditRow(e);
    } catch (err) {
      this.opts.log.warn({ err }, 'audit: could not record an event');
      return;
    }
    this.queue.push(row);
    const max = this.opts.maxQueued ?? 200_000;
    if (this.queue.length > max) {
      const n = this.queue.length - max;
      this.queue.splice(0, n);
      this.dropped += n;
    }
    if (this.queue.length >= (this.opts.batchSize ?? 2000)) void this.flush();
  }

  /** The table's location, registering it in the metastore and creating the Delta table on first use. */
  async tableLocation(): Promise<string> {
    if (this.location) return this.location;
    const info = await this.opts.metastore.ensureSystemTable({
      schema: AUDIT_SCHEMA,
      name: AUDIT_TABLE,
      owner: ADMIN_USER,
      columns: AUDIT_COLUMNS,
      comment: 'Audit log: every API call and statement (who, when, what, on which object, allowed or denied)',
      schemaComment: 'Access: audit log and lineage',
    });
    await DeltaTable.create(info.storageLocation!, {
      schema: AUDIT_DELTA_SCHEMA,
      partitionColumns: ['event_date'],
      name: AUDIT_TABLE,
      description: 'Lakebox audit log',
      ifNotExists: true,
    });
    this.location = info.storageLocation!;
    return this.location;
  }

  /** Write everything queued now (resolves when written or, on failure, re-queued and logged). */
  flush(): Promise<void> {
    this.writing = this.writing.then(async () => {
      if (this.queue.length === 0) return;
      const rows = this.queue;
      this.queue = [];
      try {
        const location = await this.tableLocation();
        await writeToTable(location, { rows: rows as unknown as Record<string, unknown>[] }, { mode: 'append' });
        this.written += rows.length;
        if (this.dropped > 0) {
          this.opts.log.error(
            { dropped: this.dropped },
            'audit: events were dropped while the audit table was unwritable',
          );
          this.dropped = 0;
        }
      } catch (err) {
        this.queue = rows.concat(this.queue);
        this.opts.log.error({ err }, 'audit: could not write to system.access.audit; will retry');
      }
    });
    return this.writing;
  }

  /** Stop receiving events and write what is queued. */
  async close(): Promise<void> {
    if (this.closed) return this.writing;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.removeSink?.();
    await this.flush();
  }
}

// ---- the HTTP hook -------------------------------------------------------------------------

declare module 'fastify' {
  interface FastifyRequest {
    /** Extra audit fields a route sets (e.g. the user name of a failed login, the statement). */
    lakeboxAudit?: Partial<AuditEvent>;
    lakeboxAuditError?: { code: string; message: string };
  }
  interface FastifyInstance {
    /** This server's audit log (system.access.audit). */
    lakeboxAudit: AuditLog;
  }
}

const SERVICES: Array<[RegExp, string]> = [
  [/^\/api\/2\.1\/unity-catalog\//, 'unityCatalog'],
  [/^\/api\/2\.0\/unity-catalog\//, 'unityCatalog'],
  [/^\/api\/2\.0\/sql\//, 'databrickssql'],
  [/^\/(ajax-)?api\/2\.0\/mlflow(-artifacts)?\//, 'mlflow'],
  [/^\/api\/2\.0\/preview\/scim\//, 'accounts'],
  [/^\/api\/2\.0\/lakebox\/(login|logout|password)/, 'accounts'],
  [/^\/api\/2\.0\/token(-management)?\//, 'tokens'],
  [/^\/api\/2\.0\/lineage-tracking\//, 'lineageTracking'],
  [/^\/api\/2\.0\/fs\//, 'filesystem'],
];

export function serviceOf(url: string): string {
  for (const [re, s] of SERVICES) if (re.test(url)) return s;
  return 'workspace';
}

const OBJECT_TYPES: Record<string, string> = {
  catalogs: 'CATALOG',
  schemas: 'SCHEMA',
  tables: 'TABLE',
  volumes: 'VOLUME',
  functions: 'FUNCTION',
  models: 'REGISTERED_MODEL',
  'registered-models': 'REGISTERED_MODEL',
  experiments: 'EXPERIMENT',
  Users: 'USER',
  Groups: 'GROUP',
  ServicePrincipals: 'SERVICE_PRINCIPAL',
};

function objectOf(request: FastifyRequest): { objectType: string | null; objectName: string | null } {
  const params = (request.params ?? {}) as Record<string, unknown>;
  const q = (request.query ?? {}) as Record<string, unknown>;
  const pick = (o: Record<string, unknown>) =>
    ['full_name', 'full', 'name', 'id', 'token_id', 'experiment_id', 'table_name', 'securable_full_name']
      .map((k) => o[k])
      .find((v) => typeof v === 'string' && v !== '') as string | undefined;
  const name = pick(params) ?? pick(q) ?? null;
  const seg = (request.routeOptions.url ?? '').split('/').find((s) => OBJECT_TYPES[s] !== undefined);
  return { objectType: seg ? OBJECT_TYPES[seg]! : null, objectName: name };
}

function flatParams(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const src of [request.params, request.query] as unknown[]) {
    if (!src || typeof src !== 'object') continue;
    for (const [k, v] of Object.entries(src as Record<string, unknown>)) {
      if (v === undefined || v === null) continue;
      out[k] = typeof v === 'string' ? v : JSON.stringify(v);
    }
  }
  return out;
}

/** Routes not worth an audit row (liveness probes). */
const UNAUDITED = new Set(['/health']);

/**
 * Records every HTTP call (also refused and unknown ones) in the audit log when the response
 * has been sent, so requests never wait for the audit table. Flushes on server close.
 */
export const auditPlugin = fp(
  async (app: FastifyInstance, opts: Omit<AuditLogOptions, 'log'>) => {
    const log = new AuditLog({ ...opts, log: app.log }).start();
    app.decorate('lakeboxAudit', log);
    app.decorateRequest('lakeboxAudit', undefined);
    app.decorateRequest('lakeboxAuditError', undefined);
    app.addHook('onError', async (request, _reply, error) => {
      request.lakeboxAuditError =
        error instanceof LakeboxError
          ? { code: error.code, message: error.message }
          : { code: 'INTERNAL_ERROR', message: 'internal error' };
    });
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url;
      if (route !== undefined && UNAUDITED.has(route)) return;
      const p = request.lakebox?.principal;
      const status = reply.statusCode;
      const err = request.lakeboxAuditError;
      const extra = request.lakeboxAudit ?? {};
      log.record({
        user: p ? { name: p.name, id: p.id } : null,
        service: serviceOf(request.url),
        action: `${request.method} ${route ?? request.url.split('?')[0]}`,
        allowed: status !== 401 && status !== 403 && status !== 429,
        status,
        errorCode: err?.code ?? null,
        errorMessage: err?.message ?? null,
        ...objectOf(request),
        requestId: request.id,
        sourceIp: request.ip,
        userAgent: request.headers['user-agent'] ?? null,
        ...extra,
        params: { ...flatParams(request), ...(extra.params ?? {}) },
      });
    });
    app.addHook('onClose', async () => {
      await log.close();
    });
  },
  { name: 'lakebox-audit' },
);
