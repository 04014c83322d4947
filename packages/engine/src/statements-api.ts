import { randomUUID } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { LakeboxError } from '@lakebox/common';
import type { LakeboxFeature } from '@lakebox/server';
import { SqlEngine, type Session, type StatementResult } from './engine.js';
import { arrowStream } from './arrow.js';
import { Lakehouse } from './lakehouse.js';
import type { ParamValue } from './translate.js';

/**
 * The SQL Statement Execution API, compatible with Databricks' `/api/2.0/sql/statements`:
 * submit (waiting up to `wait_timeout`), poll, fetch result chunks, cancel. Results are inline
 * JSON_ARRAY (all values as strings, as Databricks sends them) or, with EXTERNAL_LINKS, CSV and
 * JSON_ARRAY and ARROW_STREAM (Arrow IPC stream) chunks served by this server.
 */
type State = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELED' | 'CLOSED';

interface Statement {
  id: string;
  owner: string;
  state: State;
  format: 'JSON_ARRAY' | 'CSV' | 'ARROW_STREAM';
  disposition: 'INLINE' | 'EXTERNAL_LINKS';
  result?: StatementResult;
  error?: { error_code: string; message: string };
  conn?: DuckDBConnection;
  done: Promise<void>;
  rowLimit?: number;
  truncated: boolean;
  createdAt: number;
}

export interface StatementsApiOptions {
  /** Rows per result chunk (default 10000). */
  chunkRows?: number;
  /** How long finished statements stay fetchable (ms, default 1 hour). */
  retentionMs?: number;
}

function typeName(t: string): { type_name: string; type_precision?: number; type_scale?: number } {
  const dec = /^decimal\((\d+),(\d+)\)$/.exec(t);
  if (dec) return { type_name: 'DECIMAL', type_precision: Number(dec[1]), type_scale: Number(dec[2]) };
  const base = t.replace(/<.*$/s, '').toUpperCase();
  const map: Record<string, string> = { INT: 'INT', BIGINT: 'LONG', SMALLINT: 'SHORT', TINYINT: 'BYTE', VOID: 'NULL' };
  return { type_name: map[base] ?? base };
}

function cellString(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function parseWait(s: string | undefined): number {
  if (s === undefined) return 10_000;
  const m = /^(\d+)s$/.exec(s);
  const n = m ? Number(m[1]) : NaN;
  if (!m || (n !== 0 && (n < 5 || n > 50))) {
    throw new LakeboxError('INVALID_PARAMETER_VALUE', `wait_timeout must be 0s or between 5s and 50s, got ${s}`);
  }
  return n * 1000;
}

export function sqlStatementsFeature(opts: StatementsApiOptions = {}): LakeboxFeature {
  const chunkRows = opts.chunkRows ?? 10_000;
  const retention = opts.retentionMs ?? 3_600_000;
  return {
    name: 'sql-statements',
    prefix: '/api/2.0/sql/statements',
    plugin: async (app, o) => {
      const lakehouse = new Lakehouse(o.metastore);
      const engine = new SqlEngine({ resolver: lakehouse, handlers: [lakehouse] });
      lakehouse.engine = engine;
      const statements = new Map<string, Statement>();
      const principalName = (req: { lakebox: { principal: { name: string } } | null }) => {
        if (!req.lakebox)
          throw new LakeboxError('UNAUTHENTICATED', 'this request is not authenticated', { httpStatus: 401 });
        return req.lakebox.principal.name;
      };
      const get = (req: any, id: string): Statement => {
        const st = statements.get(id);
        if (!st || st.owner !== principalName(req)) {
          throw new LakeboxError('RESOURCE_DOES_NOT_EXIST', `Statement ${id} not found`, { httpStatus: 404 });
        }
        return st;
      };
      const chunkCount = (st: Statement) => Math.max(1, Math.ceil((st.result?.rows.length ?? 0) / chunkRows));
      const chunkInfo = (st: Statement, i: number) => {
        const total = st.result!.rows.length;
        const row_offset = i * chunkRows;
        return { chunk_index: i, row_offset, row_count: Math.max(0, Math.min(chunkRows, total - row_offset)) };
      };
      const chunk = (st: Statement, i: number, base: string) => {
        const info = chunkInfo(st, i);
        const next =
          i + 1 < chunkCount(st)
            ? { next_chunk_index: i + 1, next_chunk_internal_link: `${base}/${st.id}/result/chunks/${i + 1}` }
            : {};
        if (st.disposition === 'EXTERNAL_LINKS') {
          return {
            external_links: [
              {
                ...info,
                byte_count: 0,
                external_link: `${base}/${st.id}/result/chunks/${i}/data`,
                expiration: new Date(st.createdAt + retention).toISOString(),
                ...next,
              },
            ],
          };
        }
        const rows = st.result!.rows.slice(info.row_offset, info.row_offset + info.row_count);
        return { ...info, ...next, data_array: rows.map((r) => r.map(cellString)) };
      };
      const view = (st: Statement, base: string) => {
        const out: Record<string, unknown> = {
          statement_id: st.id,
          status: { state: st.state, ...(st.error ? { error: st.error } : {}) },
        };
        if (st.state === 'SUCCEEDED' && st.result) {
          const n = chunkCount(st);
          out.manifest = {
            format: st.format,
            schema: {
              column_count: st.result.columns.length,
              columns: st.result.columns.map((c, i) => ({
                name: c.name,
                type_text: c.type.toUpperCase(),
                position: i,
                ...typeName(c.type),
              })),
            },
            total_chunk_count: n,
            chunks: Array.from({ length: n }, (_, i) => chunkInfo(st, i)),
            total_row_count: st.result.rows.length,
            truncated: st.truncated,
          };
          out.result = chunk(st, 0, base);
        }
        return out;
      };
      const baseOf = (req: any) => `${req.routeOptions?.url?.startsWith('/api') ? '' : ''}/api/2.0/sql/statements`;
      const sweep = () => {
        const now = Date.now();
        for (const [id, st] of statements)
          if (now - st.createdAt > retention && st.state !== 'RUNNING' && st.state !== 'PENDING') statements.delete(id);
      };

      app.post('/', async (req, reply) => {
        sweep();
        const owner = principalName(req as any);
        const body = (req.body ?? {}) as Record<string, any>;
        if (typeof body.statement !== 'string' || !body.statement.trim())
          throw new LakeboxError('INVALID_PARAMETER_VALUE', 'statement is required');
        const format = (body.format ?? 'JSON_ARRAY') as Statement['format'];
        const disposition = (body.disposition ?? 'INLINE') as Statement['disposition'];
        if (!['JSON_ARRAY', 'CSV', 'ARROW_STREAM'].includes(format))
          throw new LakeboxError('INVALID_PARAMETER_VALUE', `unknown format ${format}`);
        if (!['INLINE', 'EXTERNAL_LINKS'].includes(disposition))
          throw new LakeboxError('INVALID_PARAMETER_VALUE', `unknown disposition ${disposition}`);
        if (format !== 'JSON_ARRAY' && disposition === 'INLINE') {
          throw new LakeboxError(
            'INVALID_PARAMETER_VALUE',
            `${format} results need disposition EXTERNAL_LINKS (INLINE supports JSON_ARRAY only)`,
          );
        }
        const wait = parseWait(body.wait_timeout);
        const params: Record<string, ParamValue> = {};
        for (const p of (body.parameters ?? []) as { name: string; value?: string | null; type?: string }[])
          params[p.name] = { value: p.value ?? null, ...(p.type ? { type: p.type } : {}) };
        const session: Session = { catalog: body.catalog ?? 'main', schema: body.schema ?? 'default', user: owner };
        const st: Statement = {
          id: randomUUID(),
          owner,
          state: 'PENDING',
          format,
          disposition,
          truncated: false,
          createdAt: Date.now(),
          done: Promise.resolve(),
        };
        if (body.row_limit !== undefined) st.rowLimit = Number(body.row_limit);
        statements.set(st.id, st);
        st.done = (async () => {
          const conn = await engine.connect();
          st.conn = conn;
          if ((st.state as State) === 'CANCELED') return conn.closeSync();
          st.state = 'RUNNING';
          session.statementId = st.id;
          session.entity ??= { type: 'SQL_STATEMENT', id: st.id };
          try {
            const r = await engine.execute(body.statement, { session, params, conn });
            if (st.rowLimit !== undefined && r.rows.length > st.rowLimit) {
              r.rows = r.rows.slice(0, st.rowLimit);
              st.truncated = true;
            }
            if ((st.state as State) !== 'CANCELED') {
              st.result = r;
              st.state = 'SUCCEEDED';
            }
          } catch (e) {
            if ((st.state as State) !== 'CANCELED') {
              st.state = 'FAILED';
              st.error =
                e instanceof LakeboxError
                  ? { error_code: e.code, message: e.message }
                  : { error_code: 'INTERNAL_ERROR', message: String((e as Error).message ?? e) };
            }
          } finally {
            st.conn = undefined;
            conn.closeSync();
          }
        })();
        if (wait > 0) {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([st.done, new Promise((r) => (timer = setTimeout(r, wait)))]);
          clearTimeout(timer);
          if ((st.state === 'PENDING' || st.state === 'RUNNING') && body.on_wait_timeout === 'CANCEL') {
            st.state = 'CANCELED';
            st.conn?.interrupt();
          }
        }
        return reply.send(view(st, baseOf(req)));
      });

      app.get('/:id', async (req) => view(get(req, (req.params as { id: string }).id), baseOf(req)));

      app.get('/:id/result/chunks/:index', async (req) => {
        const { id, index } = req.params as { id: string; index: string };
        const st = get(req, id);
        const i = Number(index);
        if (st.state !== 'SUCCEEDED' || !st.result)
          throw new LakeboxError('INVALID_STATE', `Statement ${id} is ${st.state}`, { httpStatus: 400 });
        if (!Number.isInteger(i) || i < 0 || i >= chunkCount(st))
          throw new LakeboxError('INVALID_PARAMETER_VALUE', `chunk_index ${index} is out of range`);
        return chunk(st, i, baseOf(req));
      });

      app.get('/:id/result/chunks/:index/data', async (req, reply) => {
        const { id, index } = req.params as { id: string; index: string };
        const st = get(req, id);
        if (st.state !== 'SUCCEEDED' || !st.result)
          throw new LakeboxError('INVALID_STATE', `Statement ${id} is ${st.state}`, { httpStatus: 400 });
        const info = chunkInfo(st, Number(index));
        const rows = st.result.rows.slice(info.row_offset, info.row_offset + info.row_count);
        if (st.format === 'CSV') {
          const esc = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
          const lines = rows.map((r) =>
            r.map((v) => (v === null || v === undefined ? '' : esc(cellString(v)!))).join(','),
          );
          return reply.type('text/csv').send(lines.join('\n') + (lines.length ? '\n' : ''));
        }
        if (st.format === 'ARROW_STREAM')
          return reply
            .type('application/vnd.apache.arrow.stream')
            .send(Buffer.from(arrowStream(st.result.columns, rows)));
        return reply.type('application/json').send(JSON.stringify(rows.map((r) => r.map(cellString))));
      });

      app.post('/:id/cancel', async (req) => {
        const st = get(req, (req.params as { id: string }).id);
        if (st.state === 'PENDING' || st.state === 'RUNNING') {
          st.state = 'CANCELED';
          st.conn?.interrupt();
        }
        return {};
      });

      app.delete('/:id', async (req) => {
        const st = get(req, (req.params as { id: string }).id);
        if (st.state === 'PENDING' || st.state === 'RUNNING') st.conn?.interrupt();
        st.state = 'CLOSED';
        st.result = undefined;
        return {};
      });

      app.addHook('onClose', async () => {
        for (const st of statements.values()) st.conn?.interrupt();
        await Promise.allSettled([...statements.values()].map((s) => s.done));
      });
    },
  };
}
