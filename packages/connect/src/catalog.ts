import { LakeboxError } from '@lakebox/common';
import { FUNCTIONS, type Session, type StatementResult } from '@lakebox/engine';
import { quoteIdent, quoteName, splitName, stringLit, typeName, unsupported } from './plan.js';

type Msg = any;

/** What `spark.catalog.*` needs from the server: the session, its temporary views, and SQL. */
export interface CatalogContext {
  /** The engine session (USE changes its catalog and schema). */
  session: Session;
  views: Map<string, string>;
  run(sql: string): Promise<StatementResult>;
}

type Col = [name: string, type: string];

/** Rows as a Spark SQL query with these columns and types (the result of a catalog call). */
export function valuesSql(cols: Col[], rows: unknown[][]): string {
  const lit = (v: unknown, t: string): string => {
    if (v === null || v === undefined) return `CAST(NULL AS ${t})`;
    if (t === 'boolean') return v ? 'true' : 'false';
    if (t === 'array<string>') return `CAST(array(${(v as string[]).map((x) => stringLit(x)).join(', ')}) AS ${t})`;
    return `CAST(${stringLit(String(v))} AS ${t})`;
  };
  const names = cols.map(([n]) => quoteIdent(n));
  if (!rows.length)
    return `SELECT ${cols.map(([n, t]) => `CAST(NULL AS ${t}) AS ${quoteIdent(n)}`).join(', ')} WHERE false`;
  const values = rows.map((r) => `(${cols.map(([, t], i) => lit(r[i], t)).join(', ')})`).join(', ');
  return `SELECT * FROM VALUES ${values} AS _catalog(${names.join(', ')})`;
}

/** Spark's catalog patterns: `*` is any run of characters, `|` separates alternatives. */
export function patternMatches(pattern: string | undefined, name: string): boolean {
  if (!pattern) return true;
  return pattern.split('|').some((p) => {
    const re = new RegExp(
      '^' +
        p
          .trim()
          .split('*')
          .map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*') +
        '$',
      'i',
    );
    return re.test(name);
  });
}

const TABLE_COLS: Col[] = [
  ['name', 'string'],
  ['catalog', 'string'],
  ['namespace', 'array<string>'],
  ['description', 'string'],
  ['tableType', 'string'],
  ['isTemporary', 'boolean'],
];
const DB_COLS: Col[] = [
  ['name', 'string'],
  ['catalog', 'string'],
  ['description', 'string'],
  ['locationUri', 'string'],
];
const FN_COLS: Col[] = [
  ['name', 'string'],
  ['catalog', 'string'],
  ['namespace', 'array<string>'],
  ['description', 'string'],
  ['className', 'string'],
  ['isTemporary', 'boolean'],
];
const NONE = 'SELECT true AS `result` WHERE false';
const bool = (b: boolean) => valuesSql([['result', 'boolean']], [[b]]);

/** The table name qualified by a database name (`listColumns(t, db)`). */
function qualified(table: string, db: string | undefined): string[] {
  const parts = splitName(table);
  return db ? [...splitName(db), ...parts] : parts;
}

async function exists(ctx: CatalogContext, sql: string): Promise<boolean> {
  try {
    await ctx.run(sql);
    return true;
  } catch (e) {
    if (e instanceof LakeboxError && /NOT_FOUND|NOT_EXIST/.test(e.code)) return false;
    throw e;
  }
}

function tableRow(ctx: CatalogContext, parts: string[]): unknown[] {
  const name = parts[parts.length - 1]!;
  const view = parts.length === 1 && ctx.views.has(name.toLowerCase());
  if (view) return [name, null, [], null, 'TEMPORARY', true];
  const cat = parts.length === 3 ? parts[0]! : ctx.session.catalog;
  const sch = parts.length >= 2 ? parts[parts.length - 2]! : ctx.session.schema;
  return [name, cat, [sch], null, 'MANAGED', false];
}

/** A `spark.catalog.*` call as a query over its result rows. */
export async function catalogSql(c: Msg, ctx: CatalogContext): Promise<string> {
  const s = ctx.session;
  const body = c[c.cat_type] ?? {};
  switch (c.cat_type) {
    case 'current_catalog':
      return valuesSql([['current_catalog', 'string']], [[s.catalog]]);
    case 'set_current_catalog':
      await ctx.run(`USE CATALOG ${quoteIdent(body.catalog_name)}`);
      return NONE;
    case 'list_catalogs': {
      const r = await ctx.run('SHOW CATALOGS');
      const rows = r.rows.filter((x) => patternMatches(body.pattern, String(x[0]))).map((x) => [x[0], null]);
      return valuesSql(
        [
          ['name', 'string'],
          ['description', 'string'],
        ],
        rows,
      );
    }
    case 'current_database':
      return valuesSql([['current_database', 'string']], [[s.schema]]);
    case 'set_current_database':
      await ctx.run(`USE SCHEMA ${quoteName(body.db_name)}`);
      return NONE;
    case 'list_databases': {
      const r = await ctx.run(`SHOW SCHEMAS IN ${quoteIdent(s.catalog)}`);
      const rows = r.rows
        .filter((x) => patternMatches(body.pattern, String(x[0])))
        .map((x) => [x[0], s.catalog, null, null]);
      return valuesSql(DB_COLS, rows);
    }
    case 'get_database':
    case 'database_exists': {
      const parts = splitName(body.db_name);
      const cat = parts.length > 1 ? parts[0]! : s.catalog;
      const name = parts[parts.length - 1]!;
      const r = await ctx.run(`SHOW SCHEMAS IN ${quoteIdent(cat)}`);
      const found = r.rows.some((x) => String(x[0]).toLowerCase() === name.toLowerCase());
      if (c.cat_type === 'database_exists') return bool(found);
      if (!found)
        throw new LakeboxError('SCHEMA_NOT_FOUND', `The schema \`${cat}\`.\`${name}\` cannot be found.`, {
          sqlState: '42704',
        });
      return valuesSql(DB_COLS, [[name, cat, null, null]]);
    }
    case 'list_tables': {
      const db = body.db_name as string | undefined;
      const target = db ? quoteName(db) : `${quoteIdent(s.catalog)}.${quoteIdent(s.schema)}`;
      const r = await ctx.run(`SHOW TABLES IN ${target}`);
      const parts = db ? splitName(db) : [s.catalog, s.schema];
      const cat = parts.length > 1 ? parts[0]! : s.catalog;
      const sch = parts[parts.length - 1]!;
      const rows: unknown[][] = r.rows
        .filter((x) => patternMatches(body.pattern, String(x[1])))
        .map((x) => [x[1], cat, [sch], null, 'MANAGED', false]);
      for (const v of [...ctx.views.keys()].sort())
        if (patternMatches(body.pattern, v)) rows.push([v, null, [], null, 'TEMPORARY', true]);
      return valuesSql(TABLE_COLS, rows);
    }
    case 'get_table':
    case 'table_exists': {
      const parts = qualified(body.table_name, body.db_name);
      const isView = parts.length === 1 && ctx.views.has(parts[0]!.toLowerCase());
      const found = isView || (await exists(ctx, `DESCRIBE TABLE ${parts.map((p) => quoteIdent(p)).join('.')}`));
      if (c.cat_type === 'table_exists') return bool(found);
      if (!found)
        throw new LakeboxError(
          'TABLE_OR_VIEW_NOT_FOUND',
          `The table or view \`${parts.join('`.`')}\` cannot be found.`,
          { sqlState: '42P01' },
        );
      return valuesSql(TABLE_COLS, [tableRow(ctx, parts)]);
    }
    case 'list_columns': {
      const parts = qualified(body.table_name, body.db_name);
      const name = parts.map((p) => quoteIdent(p)).join('.');
      const view = parts.length === 1 ? ctx.views.get(parts[0]!.toLowerCase()) : undefined;
      const r = view
        ? await ctx.run(`SELECT * FROM (${view}) AS _v LIMIT 0`).then((x) => ({
            rows: x.columns.map((col) => [col.name, col.type]),
          }))
        : await ctx.run(`DESCRIBE TABLE ${name}`);
      let partitions: string[] = [];
      if (!view) {
        const detail = await ctx.run(`DESCRIBE DETAIL ${name}`).catch(() => undefined);
        const i = detail?.columns.findIndex((col) => col.name === 'partitionColumns') ?? -1;
        if (detail && i >= 0) partitions = ((detail.rows[0]?.[i] as string[] | null) ?? []).map((p) => p.toLowerCase());
      }
      const rows = r.rows
        .filter((x) => x[0] && !String(x[0]).startsWith('#'))
        .map((x) => [x[0], null, x[1], true, partitions.includes(String(x[0]).toLowerCase()), false, false]);
      return valuesSql(
        [
          ['name', 'string'],
          ['description', 'string'],
          ['dataType', 'string'],
          ['nullable', 'boolean'],
          ['isPartition', 'boolean'],
          ['isBucket', 'boolean'],
          ['isCluster', 'boolean'],
        ],
        rows,
      );
    }
    case 'list_functions': {
      const names = Object.keys(FUNCTIONS)
        .filter((n) => patternMatches(body.pattern, n))
        .sort();
      return valuesSql(
        FN_COLS,
        names.map((n) => [n, null, [], null, null, true]),
      );
    }
    case 'function_exists':
    case 'get_function': {
      const n = String(body.function_name).toLowerCase();
      const found = n in FUNCTIONS;
      if (c.cat_type === 'function_exists') return bool(found);
      if (!found)
        throw new LakeboxError('UNRESOLVED_ROUTINE', `Cannot resolve routine \`${n}\`.`, { sqlState: '42883' });
      return valuesSql(FN_COLS, [[n, null, [], null, null, true]]);
    }
    case 'create_table':
    case 'create_external_table': {
      const name = quoteName(body.table_name);
      const source = String(body.source ?? 'delta').toLowerCase();
      if (source !== 'delta') throw unsupported(`spark.catalog.createTable with source '${source}' (tables are Delta)`);
      const fields = (body.schema?.struct?.fields ?? []) as Msg[];
      const cols = fields.map((f) => `${quoteIdent(f.name)} ${typeName(f.data_type)}`).join(', ');
      const path = body.path ?? (Array.isArray(body.options) ? undefined : body.options?.path);
      let sql = `CREATE TABLE ${name}${cols ? ` (${cols})` : ''} USING DELTA`;
      if (body.description) sql += ` COMMENT ${stringLit(body.description)}`;
      if (path) sql += ` LOCATION ${stringLit(path)}`;
      await ctx.run(sql);
      return `SELECT * FROM ${name}`;
    }
    case 'drop_temp_view':
    case 'drop_global_temp_view': {
      const key = String(body.view_name).toLowerCase();
      const had = ctx.views.delete(key);
      return bool(had);
    }
    case 'is_cached':
      return bool(false);
    case 'cache_table':
    case 'uncache_table':
    case 'refresh_table':
    case 'recover_partitions': {
      // Nothing to cache or refresh: every read sees the latest Delta snapshot. The table must exist.
      const parts = splitName(body.table_name);
      if (!(parts.length === 1 && ctx.views.has(parts[0]!.toLowerCase())))
        await ctx.run(`DESCRIBE TABLE ${parts.map((p) => quoteIdent(p)).join('.')}`);
      return NONE;
    }
    case 'clear_cache':
    case 'refresh_by_path':
      return NONE;
    default:
      throw unsupported(`spark.catalog operation ${c.cat_type ?? '(empty)'}`);
  }
}
