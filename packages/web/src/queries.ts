import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Kysely, Migration } from 'kysely';
import { LakeboxError } from '@lakebox/common';
import { runMigrations } from '@lakebox/catalog';
import { principalOf } from '@lakebox/server';

// Saved SQL queries of the web workspace (with their chart), kept in the metastore database.
// Never edit a committed migration: add a new one.
export const webMigrations: Record<string, Migration> = {
  '0001_saved_queries': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('web_saved_queries')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('owner', 'varchar(255)', (c) => c.notNull())
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('sql_text', 'text', (c) => c.notNull())
        .addColumn('chart', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('web_saved_queries_owner').on('web_saved_queries').columns(['owner']).execute();
    },
  },
};

interface SavedQueryRow {
  id: string;
  owner: string;
  name: string;
  sql_text: string;
  chart: string | null;
  created_at: number;
  updated_at: number;
}

interface WebTables {
  web_saved_queries: SavedQueryRow;
}

function queryJson(r: SavedQueryRow): Record<string, unknown> {
  return {
    id: r.id,
    name: r.name,
    sql: r.sql_text,
    chart: r.chart ? JSON.parse(r.chart) : null,
    owner: r.owner,
    created_at: Number(r.created_at),
    updated_at: Number(r.updated_at),
  };
}

function bodyFields(body: unknown, partial: boolean): { name?: string; sql?: string; chart?: string | null } {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new LakeboxError('INVALID_PARAMETER_VALUE', 'the request body must be a JSON object');
  const b = body as Record<string, unknown>;
  const out: { name?: string; sql?: string; chart?: string | null } = {};
  if (b.name !== undefined || !partial) {
    if (typeof b.name !== 'string' || !b.name.trim())
      throw new LakeboxError('INVALID_PARAMETER_VALUE', 'name is required (a non-empty string)');
    if (b.name.length > 255) throw new LakeboxError('INVALID_PARAMETER_VALUE', 'name is longer than 255 characters');
    out.name = b.name.trim();
  }
  if (b.sql !== undefined || !partial) {
    if (typeof b.sql !== 'string' || !b.sql.trim())
      throw new LakeboxError('INVALID_PARAMETER_VALUE', 'sql is required (a non-empty string)');
    out.sql = b.sql;
  }
  if (b.chart !== undefined) {
    if (b.chart !== null && (typeof b.chart !== 'object' || Array.isArray(b.chart)))
      throw new LakeboxError('INVALID_PARAMETER_VALUE', 'chart must be an object or null');
    out.chart = b.chart === null ? null : JSON.stringify(b.chart);
  }
  return out;
}

/**
 * `/api/2.0/lakebox/queries`: list, create, get, update (PATCH) and delete the caller's saved
 * queries. Every route requires a token; a principal sees only its own queries.
 */
export async function savedQueryRoutes(app: FastifyInstance, opts: { db: Kysely<any> }): Promise<void> {
  await runMigrations(opts.db, webMigrations, 'lakebox_web_migrations');
  const db = opts.db as Kysely<WebTables>;
  const find = async (owner: string, id: string): Promise<SavedQueryRow> => {
    const row = await db
      .selectFrom('web_saved_queries')
      .selectAll()
      .where('id', '=', id)
      .where('owner', '=', owner)
      .executeTakeFirst();
    if (!row) throw new LakeboxError('RESOURCE_DOES_NOT_EXIST', `Saved query '${id}' not found`, { httpStatus: 404 });
    return row;
  };

  app.get('/', async (request) => {
    const owner = principalOf(request).name;
    const rows = await db
      .selectFrom('web_saved_queries')
      .selectAll()
      .where('owner', '=', owner)
      .orderBy('updated_at', 'desc')
      .execute();
    return { queries: rows.map(queryJson) };
  });

  app.post('/', async (request) => {
    const owner = principalOf(request).name;
    const f = bodyFields(request.body, false);
    const now = Date.now();
    const row: SavedQueryRow = {
      id: randomUUID(),
      owner,
      name: f.name!,
      sql_text: f.sql!,
      chart: f.chart ?? null,
      created_at: now,
      updated_at: now,
    };
    await db.insertInto('web_saved_queries').values(row).execute();
    return queryJson(row);
  });

  app.get<{ Params: { id: string } }>('/:id', async (request) =>
    queryJson(await find(principalOf(request).name, request.params.id)),
  );

  app.patch<{ Params: { id: string } }>('/:id', async (request) => {
    const owner = principalOf(request).name;
    const row = await find(owner, request.params.id);
    const f = bodyFields(request.body, true);
    const next: SavedQueryRow = {
      ...row,
      ...(f.name !== undefined ? { name: f.name } : {}),
      ...(f.sql !== undefined ? { sql_text: f.sql } : {}),
      ...(f.chart !== undefined ? { chart: f.chart } : {}),
      updated_at: Math.max(Date.now(), Number(row.updated_at) + 1),
    };
    await db
      .updateTable('web_saved_queries')
      .set({ name: next.name, sql_text: next.sql_text, chart: next.chart, updated_at: next.updated_at })
      .where('id', '=', row.id)
      .execute();
    return queryJson(next);
  });

  app.delete<{ Params: { id: string } }>('/:id', async (request) => {
    const owner = principalOf(request).name;
    const row = await find(owner, request.params.id);
    await db.deleteFrom('web_saved_queries').where('id', '=', row.id).execute();
    return {};
  });
}
