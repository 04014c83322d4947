import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { LakeboxError } from '@lakebox/common';
import { LineageStore, type ColumnLineageRow, type TableLineageRow } from '@lakebox/catalog';
import { Authorizer } from '@lakebox/catalog/authz';
import { principalOf } from '../context.js';
import type { LakeboxPluginOptions } from '../context.js';

// The lineage API in Databricks' shapes: GET /api/2.0/lineage-tracking/table-lineage and
// /column-lineage give a table's (or column's) direct upstreams and downstreams, as drawn by the
// web UI one hop at a time. Only tables the caller may see are named.

interface TableLineageQuery {
  table_name?: string;
  include_entity_lineage?: string | boolean;
}
interface ColumnLineageQuery {
  table_name?: string;
  column_name?: string;
}

const iso = (ms: number) => new Date(Number(ms)).toISOString();

function params<T extends object>(request: FastifyRequest): T {
  // Databricks clients send these as query parameters or as a JSON body on GET
  const body = request.body && typeof request.body === 'object' ? request.body : {};
  return { ...(body as object), ...(request.query as object) } as T;
}

function tableName(v: unknown): string {
  if (typeof v !== 'string' || v.split('.').length !== 3 || v.split('.').some((p) => !p))
    throw new LakeboxError('INVALID_PARAMETER_VALUE', 'table_name must be a full name: catalog.schema.table');
  return v.toLowerCase();
}

export const lineageRoutes: FastifyPluginAsync<LakeboxPluginOptions> = async (app, opts) => {
  const store = new LineageStore(opts.db);
  const authorizer = new Authorizer(opts.db);

  /** Lineage of a table: the caller must see the table; neighbours they may not see are left out. */
  const scopeFor = async (request: FastifyRequest, table: string) => {
    const scope = authorizer.scope(principalOf(request));
    if (!(await scope.canSee({ type: 'TABLE', name: table }))) {
      throw new LakeboxError('PERMISSION_DENIED', `User does not have permission to see table '${table}'.`, {
        httpStatus: 403,
      });
    }
    const seen = new Map<string, Promise<boolean>>();
    return (name: string | null): Promise<boolean> => {
      if (!name) return Promise.resolve(true);
      let p = seen.get(name);
      if (!p) seen.set(name, (p = scope.canSee({ type: 'TABLE', name }).catch(() => false)));
      return p;
    };
  };

  const tableInfo = (full: string | null, path: string | null, type: string, at: number) => {
    if (!full) return { fileInfo: { path, securable_type: 'PATH', lineage_timestamp: iso(at) } };
    const [catalog_name, schema_name, name] = full.split('.');
    return {
      tableInfo: {
        name,
        catalog_name,
        schema_name,
        table_type: type === 'VIEW' ? 'VIEW' : 'TABLE',
        lineage_timestamp: iso(at),
      },
    };
  };

  /** The entities that made the edges, grouped as Databricks does (Spark Connect sessions: a Lakebox addition). */
  const ENTITY_KEYS: Record<string, [string, string]> = {
    NOTEBOOK: ['notebookInfos', 'notebook_id'],
    JOB: ['jobInfos', 'job_id'],
    SQL_STATEMENT: ['queryInfos', 'query_id'],
    SPARK_CONNECT_SESSION: ['sessionInfos', 'session_id'],
  };
  const entityInfos = (rows: TableLineageRow[]) => {
    const out: Record<string, Record<string, string>[]> = {};
    for (const [type, [key, idKey]] of Object.entries(ENTITY_KEYS)) {
      const ids = [...new Set(rows.filter((r) => r.entity_type === type && r.entity_id).map((r) => r.entity_id!))];
      if (ids.length) out[key] = ids.map((id) => ({ [idKey]: id }));
    }
    return out;
  };

  /** One entry per neighbour node, newest event first, with the entities that made the edges. */
  function neighbours(rows: TableLineageRow[], side: 'source' | 'target', withEntities: boolean) {
    const groups = new Map<string, TableLineageRow[]>();
    for (const r of rows) {
      const k =
        side === 'source'
          ? (r.source_table_full_name ?? `path:${r.source_path}`)
          : (r.target_table_full_name ?? `path:${r.target_path}`);
      groups.set(k, [...(groups.get(k) ?? []), r]);
    }
    return [...groups.values()].map((g) => {
      const newest = g.reduce((a, b) => (Number(b.event_time) > Number(a.event_time) ? b : a));
      const info =
        side === 'source'
          ? tableInfo(newest.source_table_full_name, newest.source_path, newest.source_type, newest.event_time)
          : tableInfo(newest.target_table_full_name, newest.target_path, newest.target_type, newest.event_time);
      return { ...info, ...(withEntities ? entityInfos(g) : {}) };
    });
  }

  app.get('/api/2.0/lineage-tracking/table-lineage', async (request) => {
    const q = params<TableLineageQuery>(request);
    const table = tableName(q.table_name);
    const may = await scopeFor(request, table);
    const withEntities = q.include_entity_lineage === true || String(q.include_entity_lineage) === 'true';
    const keep = async (rows: TableLineageRow[], side: 'source' | 'target') => {
      const out: TableLineageRow[] = [];
      for (const r of rows)
        if (await may(side === 'source' ? r.source_table_full_name : r.target_table_full_name)) out.push(r);
      return out;
    };
    const up = await keep(
      (await store.tableLineage({ target: table })).filter((r) => r.source_table_full_name !== table),
      'source',
    );
    const down = await keep(
      (await store.tableLineage({ source: table })).filter((r) => r.target_table_full_name !== table),
      'target',
    );
    return { upstreams: neighbours(up, 'source', withEntities), downstreams: neighbours(down, 'target', withEntities) };
  });

  app.get('/api/2.0/lineage-tracking/column-lineage', async (request) => {
    const q = params<ColumnLineageQuery>(request);
    const table = tableName(q.table_name);
    if (typeof q.column_name !== 'string' || !q.column_name)
      throw new LakeboxError('INVALID_PARAMETER_VALUE', 'column_name is required');
    const column = q.column_name.toLowerCase();
    const may = await scopeFor(request, table);
    const rows = await store.columnLineage({ table });
    const cols = (side: 'source' | 'target') => {
      const seen = new Map<string, ColumnLineageRow>();
      for (const r of rows) {
        const here = side === 'source' ? 'target' : 'source';
        if (r[`${here}_table_full_name`] !== table || r[`${here}_column_name`].toLowerCase() !== column) continue;
        if (r.source_table_full_name === r.target_table_full_name && r.source_column_name === r.target_column_name)
          continue;
        const k = `${r[`${side}_table_full_name`] ?? r[`${side}_path`]}\u0000${r[`${side}_column_name`]}`;
        const prev = seen.get(k);
        if (!prev || Number(r.event_time) > Number(prev.event_time)) seen.set(k, r);
      }
      return [...seen.values()];
    };
    const shape = async (list: ColumnLineageRow[], side: 'source' | 'target') => {
      const out: Record<string, unknown>[] = [];
      for (const r of list) {
        const full = r[`${side}_table_full_name`];
        if (!(await may(full))) continue;
        const [catalog_name, schema_name, table_name] = (full ?? '').split('.');
        out.push({
          name: r[`${side}_column_name`],
          ...(full ? { catalog_name, schema_name, table_name } : { path: r[`${side}_path`] }),
          table_type: r[`${side}_type`] === 'VIEW' ? 'VIEW' : full ? 'TABLE' : 'PATH',
          lineage_timestamp: iso(r.event_time),
        });
      }
      return out;
    };
    return {
      upstream_cols: await shape(cols('source'), 'source'),
      downstream_cols: await shape(cols('target'), 'target'),
    };
  });
};
