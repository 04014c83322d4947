import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Kysely, Transaction } from 'kysely';
import { LakeboxError } from '@lakebox/common';
import { isUniqueViolation } from './db.js';
import * as E from './errors.js';
import {
  DEFAULT_CATALOG,
  DEFAULT_SCHEMA,
  INFORMATION_SCHEMA,
  SYSTEM_CATALOG,
  normalizeName,
  quoteName,
  suggestNames,
} from './names.js';
import type {
  CatalogsTable,
  FunctionsTable,
  MetastoreDatabase,
  SchemasTable,
  TablesTable,
  VolumesTable,
} from './tables.js';

export type TableType = 'MANAGED' | 'EXTERNAL' | 'VIEW' | 'MATERIALIZED_VIEW' | 'STREAMING_TABLE';
/** Session-level temporary views are kept by the engine, never stored here; the type names them. */
export type TemporaryViewType = 'TEMPORARY_VIEW';
export type VolumeType = 'MANAGED' | 'EXTERNAL';

export interface ColumnInfo {
  name: string;
  /** Spark SQL type text, e.g. `bigint`, `decimal(10,2)`, `array<string>` */
  typeText: string;
  /** The Delta/Spark JSON type, when known */
  typeJson?: string;
  nullable: boolean;
  comment?: string | null;
  /** 0-based position among the partition columns, when the table is partitioned by this column */
  partitionIndex?: number | null;
}

interface Audit {
  owner: string;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  updatedBy: string;
}

export interface CatalogInfo extends Audit {
  id: string;
  name: string;
  comment: string | null;
  properties: Record<string, string>;
  storageRoot: string | null;
}

export interface SchemaInfo extends Audit {
  id: string;
  catalog: string;
  name: string;
  fullName: string;
  comment: string | null;
  properties: Record<string, string>;
  storageRoot: string | null;
}

export interface TableInfo extends Audit {
  id: string;
  catalog: string;
  schema: string;
  name: string;
  fullName: string;
  tableType: TableType;
  dataSourceFormat: string | null;
  storageLocation: string | null;
  viewDefinition: string | null;
  columns: ColumnInfo[];
  comment: string | null;
  properties: Record<string, string>;
}

export interface VolumeInfo extends Audit {
  id: string;
  catalog: string;
  schema: string;
  name: string;
  fullName: string;
  volumeType: VolumeType;
  storageLocation: string;
  comment: string | null;
}

export interface FunctionParameter {
  name: string;
  typeText: string;
  comment?: string | null;
  defaultExpression?: string | null;
}

export interface FunctionInfo extends Audit {
  id: string;
  catalog: string;
  schema: string;
  name: string;
  fullName: string;
  parameters: FunctionParameter[];
  returnType: string;
  routineBody: 'SQL';
  routineDefinition: string;
  isDeterministic: boolean;
  comment: string | null;
  properties: Record<string, string>;
}

export interface MetastoreOptions {
  /** Root directory of managed tables: `<storageRoot>/<catalog>/<schema>/<table>`. */
  storageRoot: string;
  /** Root directory of managed volumes: `<volumesRoot>/<catalog>/<schema>/<volume>`. */
  volumesRoot: string;
}

type Db = Kysely<MetastoreDatabase> | Transaction<MetastoreDatabase>;

const parseProps = (s: string | null): Record<string, string> => (s ? (JSON.parse(s) as Record<string, string>) : {});
const audit = (r: {
  owner: string;
  created_at: number;
  created_by: string;
  updated_at: number;
  updated_by: string;
}): Audit => ({
  owner: r.owner,
  createdAt: r.created_at,
  createdBy: r.created_by,
  updatedAt: r.updated_at,
  updatedBy: r.updated_by,
});
function checkProps(p: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(p ?? {})) out[k] = String(v);
  return out;
}
const isRemote = (loc: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(loc) && !loc.startsWith('file://');
const localPath = (loc: string) => (loc.startsWith('file://') ? new URL(loc).pathname : loc);

/**
 * The metastore: catalogs, schemas, tables and views, volumes and SQL functions, kept in the
 * metastore database (SQLite or PostgreSQL through Kysely). Every mutation records who made it.
 */
export class Metastore {
  constructor(
    readonly db: Kysely<MetastoreDatabase>,
    readonly options: MetastoreOptions,
  ) {}

  // ---------- start-up ----------

  /** Create the default catalog `main` with schema `default`, and the reserved `system` catalog. Idempotent. */
  async bootstrap(owner: string): Promise<void> {
    for (const c of [DEFAULT_CATALOG, SYSTEM_CATALOG]) {
      if (!(await this.findCatalog(this.db, c))) {
        await this.insertCatalog(c, owner, {
          comment: c === SYSTEM_CATALOG ? 'System catalog (reserved, read-only)' : 'Default catalog',
        }).catch((e) => {
          if (!isUniqueViolation(e)) throw e;
        });
      }
    }
    await this.createSchema(
      { catalog: DEFAULT_CATALOG, name: DEFAULT_SCHEMA, owner, comment: 'Default schema' },
      { ifNotExists: true },
    );
    const sys = (await this.findCatalog(this.db, SYSTEM_CATALOG))!;
    if (!(await this.findSchema(this.db, sys.id, INFORMATION_SCHEMA))) {
      await this.insertSchema(this.db, sys, INFORMATION_SCHEMA, owner, { comment: 'Information schema' }).catch((e) => {
        if (!isUniqueViolation(e)) throw e;
      });
    }
  }

  // ---------- catalogs ----------

  async createCatalog(
    req: {
      name: string;
      owner: string;
      comment?: string | null;
      properties?: Record<string, string>;
      storageRoot?: string | null;
    },
    opts: { ifNotExists?: boolean } = {},
  ): Promise<CatalogInfo> {
    const name = normalizeName(req.name, 'catalog');
    if (name === SYSTEM_CATALOG) throw E.readOnlyCatalog(name);
    const existing = await this.findCatalog(this.db, name);
    if (existing) {
      if (opts.ifNotExists) return this.toCatalog(existing);
      throw E.catalogAlreadyExists(name);
    }
    try {
      // Like Databricks, a new catalog comes with an (empty) `default` schema.
      const row = await this.db.transaction().execute(async (trx) => {
        const r = await this.insertCatalog(name, req.owner, req, trx);
        await this.insertSchema(trx, r, DEFAULT_SCHEMA, req.owner, { comment: 'Default schema' });
        return r;
      });
      return this.toCatalog(row);
    } catch (e) {
      if (isUniqueViolation(e)) {
        if (opts.ifNotExists) return this.getCatalog(name);
        throw E.catalogAlreadyExists(name);
      }
      throw e;
    }
  }

  async getCatalog(name: string): Promise<CatalogInfo> {
    return this.toCatalog(await this.requireCatalog(this.db, name));
  }

  async listCatalogs(): Promise<CatalogInfo[]> {
    const rows = await this.db.selectFrom('catalogs').selectAll().orderBy('name').execute();
    return rows.map((r) => this.toCatalog(r));
  }

  async updateCatalog(
    name: string,
    by: string,
    changes: { newName?: string; comment?: string | null; owner?: string; properties?: Record<string, string> },
  ): Promise<CatalogInfo> {
    const row = await this.requireCatalog(this.db, name);
    if (row.name === SYSTEM_CATALOG) throw E.readOnlyCatalog(row.name);
    const newName = changes.newName !== undefined ? normalizeName(changes.newName, 'catalog') : row.name;
    if (newName === SYSTEM_CATALOG) throw E.readOnlyCatalog(newName);
    try {
      await this.db
        .updateTable('catalogs')
        .set({
          name: newName,
          ...(changes.comment !== undefined ? { comment: changes.comment } : {}),
          ...(changes.owner !== undefined ? { owner: changes.owner } : {}),
          ...(changes.properties !== undefined ? { properties: JSON.stringify(checkProps(changes.properties)) } : {}),
          updated_at: Date.now(),
          updated_by: by,
        })
        .where('id', '=', row.id)
        .execute();
    } catch (e) {
      if (isUniqueViolation(e)) throw E.catalogAlreadyExists(newName);
      throw e;
    }
    return this.getCatalog(newName);
  }

  async dropCatalog(name: string, opts: { ifExists?: boolean; cascade?: boolean } = {}): Promise<void> {
    const n = normalizeName(name, 'catalog');
    if (n === SYSTEM_CATALOG) throw E.readOnlyCatalog(n);
    const row = await this.findCatalog(this.db, n);
    if (!row) {
      if (opts.ifExists) return;
      throw E.catalogNotFound(n, await this.catalogSuggestions(n));
    }
    const schemas = await this.db
      .selectFrom('schemas')
      .select(['id', 'name'])
      .where('catalog_id', '=', row.id)
      .execute();
    // Like Databricks: a catalog holding only its (empty) default schema may be dropped without CASCADE.
    const blocking = schemas.filter((s) => s.name !== DEFAULT_SCHEMA);
    if (!opts.cascade && blocking.length > 0) throw E.catalogNotEmpty(n);
    const managed: string[] = [];
    await this.db.transaction().execute(async (trx) => {
      for (const s of schemas) {
        if (!opts.cascade && (await this.schemaHasObjects(trx, s.id))) throw E.catalogNotEmpty(n);
        managed.push(...(await this.deleteSchemaContents(trx, s.id)));
      }
      await trx.deleteFrom('schemas').where('catalog_id', '=', row.id).execute();
      await trx.deleteFrom('catalogs').where('id', '=', row.id).execute();
    });
    this.purge(managed);
  }

  // ---------- schemas ----------

  async createSchema(
    req: {
      catalog: string;
      name: string;
      owner: string;
      comment?: string | null;
      properties?: Record<string, string>;
      storageRoot?: string | null;
    },
    opts: { ifNotExists?: boolean } = {},
  ): Promise<SchemaInfo> {
    const cat = await this.requireCatalog(this.db, req.catalog);
    if (cat.name === SYSTEM_CATALOG) throw E.readOnlyCatalog(cat.name);
    const name = normalizeName(req.name, 'schema');
    const existing = await this.findSchema(this.db, cat.id, name);
    if (existing) {
      if (opts.ifNotExists) return this.toSchema(existing, cat.name);
      throw E.schemaAlreadyExists(cat.name, name);
    }
    try {
      return this.toSchema(await this.insertSchema(this.db, cat, name, req.owner, req), cat.name);
    } catch (e) {
      if (isUniqueViolation(e)) {
        if (opts.ifNotExists) return this.getSchema(cat.name, name);
        throw E.schemaAlreadyExists(cat.name, name);
      }
      throw e;
    }
  }

  async getSchema(catalog: string, name: string): Promise<SchemaInfo> {
    const { cat, schema } = await this.requireSchema(this.db, catalog, name);
    return this.toSchema(schema, cat.name);
  }

  async schemaExists(catalog: string, name: string): Promise<boolean> {
    const cat = await this.findCatalog(this.db, normalizeName(catalog, 'catalog'));
    return !!cat && !!(await this.findSchema(this.db, cat.id, normalizeName(name, 'schema')));
  }

  async listSchemas(catalog: string): Promise<SchemaInfo[]> {
    const cat = await this.requireCatalog(this.db, catalog);
    const rows = await this.db
      .selectFrom('schemas')
      .selectAll()
      .where('catalog_id', '=', cat.id)
      .orderBy('name')
      .execute();
    return rows.map((r) => this.toSchema(r, cat.name));
  }

  async updateSchema(
    catalog: string,
    name: string,
    by: string,
    changes: { newName?: string; comment?: string | null; owner?: string; properties?: Record<string, string> },
  ): Promise<SchemaInfo> {
    const { cat, schema } = await this.requireSchema(this.db, catalog, name);
    if (cat.name === SYSTEM_CATALOG) throw E.readOnlyCatalog(cat.name);
    const newName = changes.newName !== undefined ? normalizeName(changes.newName, 'schema') : schema.name;
    try {
      await this.db
        .updateTable('schemas')
        .set({
          name: newName,
          ...(changes.comment !== undefined ? { comment: changes.comment } : {}),
          ...(changes.owner !== undefined ? { owner: changes.owner } : {}),
          ...(changes.properties !== undefined ? { properties: JSON.stringify(checkProps(changes.properties)) } : {}),
          updated_at: Date.now(),
          updated_by: by,
        })
        .where('id', '=', schema.id)
        .execute();
    } catch (e) {
      if (isUniqueViolation(e)) throw E.schemaAlreadyExists(cat.name, newName);
      throw e;
    }
    return this.getSchema(cat.name, newName);
  }

  /** Drop a schema. Without `cascade` it must be empty. Managed tables' and volumes' local data are deleted. */
  async dropSchema(catalog: string, name: string, opts: { ifExists?: boolean; cascade?: boolean } = {}): Promise<void> {
    const cat = await this.requireCatalog(this.db, catalog);
    if (cat.name === SYSTEM_CATALOG) throw E.readOnlyCatalog(cat.name);
    const n = normalizeName(name, 'schema');
    const schema = await this.findSchema(this.db, cat.id, n);
    if (!schema) {
      if (opts.ifExists) return;
      throw E.schemaNotFound(cat.name, n, await this.schemaSuggestions(cat.id, n));
    }
    const managed = await this.db.transaction().execute(async (trx) => {
      if (!opts.cascade && (await this.schemaHasObjects(trx, schema.id))) throw E.schemaNotEmpty(cat.name, n);
      const m = await this.deleteSchemaContents(trx, schema.id);
      await trx.deleteFrom('schemas').where('id', '=', schema.id).execute();
      return m;
    });
    this.purge(managed);
  }

  // ---------- tables and views ----------

  /** Where a managed table's files live: `<storage root>/<catalog>/<schema>/<table>` (or under the schema's or catalog's own root). */
  async managedTableLocation(catalog: string, schema: string, table: string): Promise<string> {
    const { cat, schema: s } = await this.requireSchema(this.db, catalog, schema);
    return path.join(this.schemaRoot(cat, s), normalizeName(table, 'table'));
  }

  /**
   * Register a table or view. MANAGED tables get a location under the storage root unless one is
   * given; EXTERNAL tables need `storageLocation`; views need `viewDefinition`. With `orReplace`
   * an existing object of the same kind (table vs view) is replaced, keeping its id.
   */
  async createTable(
    req: {
      catalog: string;
      schema: string;
      name: string;
      owner: string;
      tableType: TableType;
      dataSourceFormat?: string | null;
      storageLocation?: string | null;
      viewDefinition?: string | null;
      columns?: ColumnInfo[];
      comment?: string | null;
      properties?: Record<string, string>;
    },
    opts: { ifNotExists?: boolean; orReplace?: boolean } = {},
  ): Promise<TableInfo> {
    const { cat, schema } = await this.requireSchema(this.db, req.catalog, req.schema);
    if (cat.name === SYSTEM_CATALOG) throw E.readOnlyCatalog(cat.name);
    const name = normalizeName(req.name, 'table');
    const isView = req.tableType === 'VIEW' || req.tableType === 'MATERIALIZED_VIEW';
    if (!['MANAGED', 'EXTERNAL', 'VIEW', 'MATERIALIZED_VIEW', 'STREAMING_TABLE'].includes(req.tableType)) {
      throw new LakeboxError('INVALID_PARAMETER_VALUE', `unknown table type ${req.tableType}`);
    }
    if (isView && !req.viewDefinition)
      throw new LakeboxError('INVALID_PARAMETER_VALUE', 'a view needs its SQL text (view_definition)');
    if (req.tableType === 'EXTERNAL' && !req.storageLocation) {
      throw new LakeboxError(
        'INVALID_PARAMETER_VALUE',
        `the external table ${quoteName(cat.name, schema.name, name)} needs a LOCATION`,
      );
    }
    const location =
      req.tableType === 'VIEW' ? null : (req.storageLocation ?? path.join(this.schemaRoot(cat, schema), name));
    const now = Date.now();
    const columns = (req.columns ?? []).map((c) => ({ ...c, nullable: c.nullable !== false }));
    const row: TablesTable = {
      id: randomUUID(),
      schema_id: schema.id,
      name,
      table_type: req.tableType,
      data_source_format: isView ? null : (req.dataSourceFormat ?? 'DELTA').toUpperCase(),
      storage_location: location,
      view_definition: req.viewDefinition ?? null,
      columns: JSON.stringify(columns),
      comment: req.comment ?? null,
      owner: req.owner,
      properties: JSON.stringify(checkProps(req.properties)),
      created_at: now,
      updated_at: now,
      created_by: req.owner,
      updated_by: req.owner,
    };
    const existing = await this.findTable(this.db, schema.id, name);
    if (existing) {
      if (opts.ifNotExists) return this.toTable(existing, cat.name, schema.name);
      const existingIsView = existing.table_type === 'VIEW' || existing.table_type === 'MATERIALIZED_VIEW';
      if (!opts.orReplace) throw E.tableAlreadyExists(cat.name, schema.name, name);
      if (existingIsView !== isView) {
        throw E.wrongObjectType(quoteName(cat.name, schema.name, name), existing.table_type, isView ? 'VIEW' : 'TABLE');
      }
      const { id: _id, created_at: _c, created_by: _cb, ...rest } = row;
      await this.db
        .updateTable('tables')
        .set({ ...rest, owner: existing.owner })
        .where('id', '=', existing.id)
        .execute();
      return this.getTable(cat.name, schema.name, name);
    }
    try {
      await this.db.insertInto('tables').values(row).execute();
    } catch (e) {
      if (isUniqueViolation(e)) {
        if (opts.ifNotExists) return this.getTable(cat.name, schema.name, name);
        throw E.tableAlreadyExists(cat.name, schema.name, name);
      }
      throw e;
    }
    return this.toTable(row, cat.name, schema.name);
  }

  /** Register a view (`CREATE [OR REPLACE] VIEW`). */
  createView(
    req: {
      catalog: string;
      schema: string;
      name: string;
      owner: string;
      sql: string;
      columns?: ColumnInfo[];
      comment?: string | null;
      properties?: Record<string, string>;
    },
    opts: { ifNotExists?: boolean; orReplace?: boolean } = {},
  ): Promise<TableInfo> {
    return this.createTable({ ...req, tableType: 'VIEW', viewDefinition: req.sql }, opts);
  }

  async getTable(catalog: string, schema: string, name: string): Promise<TableInfo> {
    const { cat, schema: s } = await this.requireSchema(this.db, catalog, schema, name);
    const n = normalizeName(name, 'table');
    const row = await this.findTable(this.db, s.id, n);
    if (!row) throw E.tableNotFound(cat.name, s.name, n, await this.tableSuggestions(s.id, n));
    return this.toTable(row, cat.name, s.name);
  }

  async tableExists(catalog: string, schema: string, name: string): Promise<boolean> {
    const cat = await this.findCatalog(this.db, normalizeName(catalog, 'catalog'));
    const s = cat && (await this.findSchema(this.db, cat.id, normalizeName(schema, 'schema')));
    return !!s && !!(await this.findTable(this.db, s.id, normalizeName(name, 'table')));
  }

  async listTables(catalog: string, schema: string, opts: { pattern?: string } = {}): Promise<TableInfo[]> {
    const { cat, schema: s } = await this.requireSchema(this.db, catalog, schema);
    let q = this.db.selectFrom('tables').selectAll().where('schema_id', '=', s.id);
    if (opts.pattern) q = q.where('name', 'like', opts.pattern.toLowerCase().replaceAll('*', '%'));
    const rows = await q.orderBy('name').execute();
    return rows.map((r) => this.toTable(r, cat.name, s.name));
  }

  async updateTable(
    catalog: string,
    schema: string,
    name: string,
    by: string,
    changes: {
      newName?: string;
      comment?: string | null;
      owner?: string;
      properties?: Record<string, string>;
      columns?: ColumnInfo[];
      viewDefinition?: string;
      storageLocation?: string;
    },
  ): Promise<TableInfo> {
    const current = await this.getTable(catalog, schema, name);
    if (current.catalog === SYSTEM_CATALOG) throw E.readOnlyCatalog(current.catalog);
    const newName = changes.newName !== undefined ? normalizeName(changes.newName, 'table') : current.name;
    try {
      await this.db
        .updateTable('tables')
        .set({
          name: newName,
          ...(changes.comment !== undefined ? { comment: changes.comment } : {}),
          ...(changes.owner !== undefined ? { owner: changes.owner } : {}),
          ...(changes.properties !== undefined ? { properties: JSON.stringify(checkProps(changes.properties)) } : {}),
          ...(changes.columns !== undefined ? { columns: JSON.stringify(changes.columns) } : {}),
          ...(changes.viewDefinition !== undefined ? { view_definition: changes.viewDefinition } : {}),
          ...(changes.storageLocation !== undefined ? { storage_location: changes.storageLocation } : {}),
          updated_at: Date.now(),
          updated_by: by,
        })
        .where('id', '=', current.id)
        .execute();
    } catch (e) {
      if (isUniqueViolation(e)) throw E.tableAlreadyExists(current.catalog, current.schema, newName);
      throw e;
    }
    return this.getTable(current.catalog, current.schema, newName);
  }

  /**
   * Drop a table or view and return what was dropped (undefined with `ifExists` when absent). The
   * files of a MANAGED table on local disk are deleted unless `keepData`; EXTERNAL data is never touched.
   */
  async dropTable(
    catalog: string,
    schema: string,
    name: string,
    opts: { ifExists?: boolean; keepData?: boolean; expect?: 'TABLE' | 'VIEW' } = {},
  ): Promise<TableInfo | undefined> {
    const t = await orMissing(this.getTable(catalog, schema, name), opts.ifExists, 'TABLE_OR_VIEW_NOT_FOUND');
    if (!t) return undefined;
    if (t.catalog === SYSTEM_CATALOG) throw E.readOnlyCatalog(t.catalog);
    const isView = t.tableType === 'VIEW' || t.tableType === 'MATERIALIZED_VIEW';
    if (opts.expect === 'VIEW' && !isView) throw E.wrongObjectType(t.fullName, t.tableType, 'VIEW');
    if (opts.expect === 'TABLE' && isView) throw E.wrongObjectType(t.fullName, t.tableType, 'TABLE');
    await this.db.deleteFrom('tables').where('id', '=', t.id).execute();
    if (t.tableType === 'MANAGED' && t.storageLocation && !opts.keepData) this.purge([t.storageLocation]);
    return t;
  }

  // ---------- volumes ----------

  async createVolume(
    req: {
      catalog: string;
      schema: string;
      name: string;
      owner: string;
      volumeType?: VolumeType;
      storageLocation?: string | null;
      comment?: string | null;
    },
    opts: { ifNotExists?: boolean } = {},
  ): Promise<VolumeInfo> {
    const { cat, schema } = await this.requireSchema(this.db, req.catalog, req.schema);
    if (cat.name === SYSTEM_CATALOG) throw E.readOnlyCatalog(cat.name);
    const name = normalizeName(req.name, 'volume');
    const type = req.volumeType ?? 'MANAGED';
    if (type === 'EXTERNAL' && !req.storageLocation) {
      throw new LakeboxError(
        'INVALID_PARAMETER_VALUE',
        `the external volume ${quoteName(cat.name, schema.name, name)} needs a LOCATION`,
      );
    }
    const existing = await this.findInSchema('volumes', schema.id, name);
    if (existing) {
      if (opts.ifNotExists) return this.toVolume(existing, cat.name, schema.name);
      throw E.volumeAlreadyExists(cat.name, schema.name, name);
    }
    const location =
      type === 'MANAGED' ? path.join(this.options.volumesRoot, cat.name, schema.name, name) : req.storageLocation!;
    const now = Date.now();
    const row: VolumesTable = {
      id: randomUUID(),
      schema_id: schema.id,
      name,
      volume_type: type,
      storage_location: location,
      comment: req.comment ?? null,
      owner: req.owner,
      created_at: now,
      updated_at: now,
      created_by: req.owner,
      updated_by: req.owner,
    };
    await this.insertUnique('volumes', row, () => E.volumeAlreadyExists(cat.name, schema.name, name));
    if (type === 'MANAGED') fs.mkdirSync(location, { recursive: true });
    return this.toVolume(row, cat.name, schema.name);
  }

  async getVolume(catalog: string, schema: string, name: string): Promise<VolumeInfo> {
    const { row, cat, schema: s } = await this.requireInSchema('volumes', catalog, schema, name, E.volumeNotFound);
    return this.toVolume(row, cat, s);
  }

  async listVolumes(catalog: string, schema: string): Promise<VolumeInfo[]> {
    const { rows, cat, schema: s } = await this.listInSchema('volumes', catalog, schema);
    return rows.map((r) => this.toVolume(r, cat, s));
  }

  /** Drop a volume; a managed volume's files are deleted. */
  async dropVolume(catalog: string, schema: string, name: string, opts: { ifExists?: boolean } = {}): Promise<void> {
    const v = await orMissing(this.getVolume(catalog, schema, name), opts.ifExists, 'VOLUME_NOT_FOUND');
    if (!v) return;
    await this.db.deleteFrom('volumes').where('id', '=', v.id).execute();
    if (v.volumeType === 'MANAGED') this.purge([v.storageLocation]);
  }

  /** The row of the volume or function `name` in a schema, or its not-found error naming close matches. */
  private async requireInSchema<T extends 'volumes' | 'functions'>(
    table: T,
    catalog: string,
    schema: string,
    name: string,
    notFound: (catalog: string, schema: string, name: string, suggestions: string[]) => LakeboxError,
  ): Promise<{ row: MetastoreDatabase[T]; cat: string; schema: string }> {
    const { cat, schema: s } = await this.requireSchema(this.db, catalog, schema);
    const n = normalizeName(name, table === 'volumes' ? 'volume' : 'function');
    const row = await this.findInSchema(table, s.id, n);
    if (!row) {
      const names = await this.childTables
        .selectFrom(table as 'volumes' | 'functions')
        .select('name')
        .where('schema_id', '=', s.id)
        .execute();
      throw notFound(
        cat.name,
        s.name,
        n,
        suggestNames(
          n,
          names.map((r) => r.name),
        ),
      );
    }
    return { row, cat: cat.name, schema: s.name };
  }

  /** The metastore seen as holding only volumes and functions, for the lookups they share. */
  private get childTables(): Kysely<Pick<MetastoreDatabase, 'volumes' | 'functions'>> {
    return this.db as unknown as Kysely<Pick<MetastoreDatabase, 'volumes' | 'functions'>>;
  }

  private async findInSchema<T extends 'volumes' | 'functions'>(
    table: T,
    schemaId: string,
    name: string,
  ): Promise<MetastoreDatabase[T] | undefined> {
    const row = await this.childTables
      .selectFrom(table as 'volumes' | 'functions')
      .selectAll()
      .where('schema_id', '=', schemaId)
      .where('name', '=', name)
      .executeTakeFirst();
    return row as MetastoreDatabase[T] | undefined;
  }

  /** Insert a new volume or function; a concurrent creation of the same name gives `alreadyExists()`. */
  private async insertUnique<T extends 'volumes' | 'functions'>(
    table: T,
    row: MetastoreDatabase[T],
    alreadyExists: () => LakeboxError,
  ): Promise<void> {
    try {
      await this.childTables
        .insertInto(table as 'volumes' | 'functions')
        .values(row as VolumesTable & FunctionsTable)
        .execute();
    } catch (e) {
      if (isUniqueViolation(e)) throw alreadyExists();
      throw e;
    }
  }

  /** The rows of a schema's volumes or functions, by name. */
  private async listInSchema<T extends 'volumes' | 'functions'>(
    table: T,
    catalog: string,
    schema: string,
  ): Promise<{ rows: MetastoreDatabase[T][]; cat: string; schema: string }> {
    const { cat, schema: s } = await this.requireSchema(this.db, catalog, schema);
    const rows = await this.childTables
      .selectFrom(table as 'volumes' | 'functions')
      .selectAll()
      .where('schema_id', '=', s.id)
      .orderBy('name')
      .execute();
    return { rows: rows as MetastoreDatabase[T][], cat: cat.name, schema: s.name };
  }

  // ---------- SQL functions ----------

  async createFunction(
    req: {
      catalog: string;
      schema: string;
      name: string;
      owner: string;
      parameters: FunctionParameter[];
      returnType: string;
      routineDefinition: string;
      isDeterministic?: boolean;
      comment?: string | null;
      properties?: Record<string, string>;
    },
    opts: { ifNotExists?: boolean; orReplace?: boolean } = {},
  ): Promise<FunctionInfo> {
    const { cat, schema } = await this.requireSchema(this.db, req.catalog, req.schema);
    if (cat.name === SYSTEM_CATALOG) throw E.readOnlyCatalog(cat.name);
    const name = normalizeName(req.name, 'function');
    const now = Date.now();
    const row: FunctionsTable = {
      id: randomUUID(),
      schema_id: schema.id,
      name,
      parameters: JSON.stringify(req.parameters.map((p) => ({ ...p, name: p.name }))),
      return_type: req.returnType,
      routine_body: 'SQL',
      routine_definition: req.routineDefinition,
      is_deterministic: req.isDeterministic === false ? 0 : 1,
      comment: req.comment ?? null,
      owner: req.owner,
      properties: JSON.stringify(checkProps(req.properties)),
      created_at: now,
      updated_at: now,
      created_by: req.owner,
      updated_by: req.owner,
    };
    const existing = await this.findInSchema('functions', schema.id, name);
    if (existing) {
      if (opts.ifNotExists) return this.toFunction(existing, cat.name, schema.name);
      if (!opts.orReplace) throw E.routineAlreadyExists(cat.name, schema.name, name);
      const { id: _id, created_at: _c, created_by: _cb, ...rest } = row;
      await this.db
        .updateTable('functions')
        .set({ ...rest, owner: existing.owner })
        .where('id', '=', existing.id)
        .execute();
      return this.getFunction(cat.name, schema.name, name);
    }
    await this.insertUnique('functions', row, () => E.routineAlreadyExists(cat.name, schema.name, name));
    return this.toFunction(row, cat.name, schema.name);
  }

  async getFunction(catalog: string, schema: string, name: string): Promise<FunctionInfo> {
    const { row, cat, schema: s } = await this.requireInSchema('functions', catalog, schema, name, E.routineNotFound);
    return this.toFunction(row, cat, s);
  }

  async listFunctions(catalog: string, schema: string): Promise<FunctionInfo[]> {
    const { rows, cat, schema: s } = await this.listInSchema('functions', catalog, schema);
    return rows.map((r) => this.toFunction(r, cat, s));
  }

  async dropFunction(catalog: string, schema: string, name: string, opts: { ifExists?: boolean } = {}): Promise<void> {
    const f = await orMissing(this.getFunction(catalog, schema, name), opts.ifExists, 'ROUTINE_NOT_FOUND');
    if (f) await this.db.deleteFrom('functions').where('id', '=', f.id).execute();
  }

  // ---------- system tables ----------

  /**
   * Register a managed Delta table of the reserved `system` catalog (e.g. `system.access.audit`),
   * creating its schema when missing. For Lakebox's own writers only: SQL and the APIs cannot
   * create or change objects in `system`. Idempotent; returns the table.
   */
  async ensureSystemTable(req: {
    schema: string;
    name: string;
    owner: string;
    columns: ColumnInfo[];
    comment?: string | null;
    schemaComment?: string | null;
    properties?: Record<string, string>;
  }): Promise<TableInfo> {
    const cat = await this.findCatalog(this.db, SYSTEM_CATALOG);
    if (!cat) throw E.catalogNotFound(SYSTEM_CATALOG);
    const schemaName = normalizeName(req.schema, 'schema');
    const name = normalizeName(req.name, 'table');
    let schema = await this.findSchema(this.db, cat.id, schemaName);
    if (!schema) {
      schema = await this.insertSchema(this.db, cat, schemaName, req.owner, {
        comment: req.schemaComment ?? null,
      }).catch(async (e) => {
        if (!isUniqueViolation(e)) throw e;
        return (await this.findSchema(this.db, cat.id, schemaName))!;
      });
    }
    const existing = await this.findTable(this.db, schema.id, name);
    if (existing) return this.toTable(existing, cat.name, schema.name);
    const now = Date.now();
    const row: TablesTable = {
      id: randomUUID(),
      schema_id: schema.id,
      name,
      table_type: 'MANAGED',
      data_source_format: 'DELTA',
      storage_location: path.join(this.schemaRoot(cat, schema), name),
      view_definition: null,
      columns: JSON.stringify(req.columns.map((c) => ({ ...c, nullable: c.nullable !== false }))),
      comment: req.comment ?? null,
      owner: req.owner,
      properties: JSON.stringify(checkProps(req.properties)),
      created_at: now,
      updated_at: now,
      created_by: req.owner,
      updated_by: req.owner,
    };
    try {
      await this.db.insertInto('tables').values(row).execute();
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      return this.toTable((await this.findTable(this.db, schema.id, name))!, cat.name, schema.name);
    }
    return this.toTable(row, cat.name, schema.name);
  }

  // ---------- internals ----------

  private schemaRoot(cat: CatalogsTable, schema: SchemasTable): string {
    if (schema.storage_root) return schema.storage_root;
    if (cat.storage_root) return path.join(cat.storage_root, schema.name);
    return path.join(this.options.storageRoot, cat.name, schema.name);
  }

  private async insertCatalog(
    name: string,
    owner: string,
    req: { comment?: string | null; properties?: Record<string, string>; storageRoot?: string | null },
    db: Db = this.db,
  ): Promise<CatalogsTable> {
    const now = Date.now();
    const row: CatalogsTable = {
      id: randomUUID(),
      name,
      comment: req.comment ?? null,
      owner,
      properties: JSON.stringify(checkProps(req.properties)),
      storage_root: req.storageRoot ?? null,
      created_at: now,
      updated_at: now,
      created_by: owner,
      updated_by: owner,
    };
    await db.insertInto('catalogs').values(row).execute();
    return row;
  }

  private async insertSchema(
    db: Db,
    cat: CatalogsTable,
    name: string,
    owner: string,
    req: { comment?: string | null; properties?: Record<string, string>; storageRoot?: string | null },
  ): Promise<SchemasTable> {
    const now = Date.now();
    const row: SchemasTable = {
      id: randomUUID(),
      catalog_id: cat.id,
      name,
      comment: req.comment ?? null,
      owner,
      properties: JSON.stringify(checkProps(req.properties)),
      storage_root: req.storageRoot ?? null,
      created_at: now,
      updated_at: now,
      created_by: owner,
      updated_by: owner,
    };
    await db.insertInto('schemas').values(row).execute();
    return row;
  }

  private findCatalog(db: Db, name: string): Promise<CatalogsTable | undefined> {
    return db.selectFrom('catalogs').selectAll().where('name', '=', name).executeTakeFirst();
  }

  private findSchema(db: Db, catalogId: string, name: string): Promise<SchemasTable | undefined> {
    return db
      .selectFrom('schemas')
      .selectAll()
      .where('catalog_id', '=', catalogId)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  private findTable(db: Db, schemaId: string, name: string): Promise<TablesTable | undefined> {
    return db
      .selectFrom('tables')
      .selectAll()
      .where('schema_id', '=', schemaId)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  private async requireCatalog(db: Db, name: string): Promise<CatalogsTable> {
    const n = normalizeName(name, 'catalog');
    const row = await this.findCatalog(db, n);
    if (!row) throw E.catalogNotFound(n, await this.catalogSuggestions(n));
    return row;
  }

  /**
   * The schema, or SCHEMA_NOT_FOUND. When `forTable` is given a missing catalog or schema is
   * reported as TABLE_OR_VIEW_NOT_FOUND, as Spark does for a qualified table name.
   */
  private async requireSchema(
    db: Db,
    catalog: string,
    schema: string,
    forTable?: string,
  ): Promise<{ cat: CatalogsTable; schema: SchemasTable }> {
    const cn = normalizeName(catalog, 'catalog');
    const sn = normalizeName(schema, 'schema');
    const cat = await this.findCatalog(db, cn);
    if (!cat) {
      if (forTable !== undefined) throw E.tableNotFound(cn, sn, normalizeName(forTable, 'table'));
      throw E.catalogNotFound(cn, await this.catalogSuggestions(cn));
    }
    const s = await this.findSchema(db, cat.id, sn);
    if (!s) {
      if (forTable !== undefined) throw E.tableNotFound(cn, sn, normalizeName(forTable, 'table'));
      throw E.schemaNotFound(cn, sn, await this.schemaSuggestions(cat.id, sn));
    }
    return { cat, schema: s };
  }

  private async catalogSuggestions(name: string): Promise<string[]> {
    const rows = await this.db.selectFrom('catalogs').select('name').execute();
    return suggestNames(
      name,
      rows.map((r) => r.name),
    );
  }

  private async schemaSuggestions(catalogId: string, name: string): Promise<string[]> {
    const rows = await this.db.selectFrom('schemas').select('name').where('catalog_id', '=', catalogId).execute();
    return suggestNames(
      name,
      rows.map((r) => r.name),
    );
  }

  private async tableSuggestions(schemaId: string, name: string): Promise<string[]> {
    const rows = await this.db.selectFrom('tables').select('name').where('schema_id', '=', schemaId).execute();
    return suggestNames(
      name,
      rows.map((r) => r.name),
    );
  }

  private async schemaHasObjects(db: Db, schemaId: string): Promise<boolean> {
    for (const t of ['tables', 'volumes', 'functions'] as const) {
      const r = await db.selectFrom(t).select('id').where('schema_id', '=', schemaId).limit(1).executeTakeFirst();
      if (r) return true;
    }
    return false;
  }

  /** Delete a schema's objects; returns the local locations of managed data to remove afterwards. */
  private async deleteSchemaContents(db: Db, schemaId: string): Promise<string[]> {
    const tables = await db
      .selectFrom('tables')
      .select(['storage_location', 'table_type'])
      .where('schema_id', '=', schemaId)
      .execute();
    const volumes = await db
      .selectFrom('volumes')
      .select(['storage_location', 'volume_type'])
      .where('schema_id', '=', schemaId)
      .execute();
    await db.deleteFrom('tables').where('schema_id', '=', schemaId).execute();
    await db.deleteFrom('volumes').where('schema_id', '=', schemaId).execute();
    await db.deleteFrom('functions').where('schema_id', '=', schemaId).execute();
    return [
      ...tables.filter((t) => t.table_type === 'MANAGED' && t.storage_location).map((t) => t.storage_location!),
      ...volumes.filter((v) => v.volume_type === 'MANAGED').map((v) => v.storage_location),
    ];
  }

  /** Remove managed data on local disk (remote object stores are left to their own lifecycle). */
  private purge(locations: string[]): void {
    for (const loc of locations) {
      if (isRemote(loc)) continue;
      fs.rmSync(localPath(loc), { recursive: true, force: true });
    }
  }

  private toCatalog(r: CatalogsTable): CatalogInfo {
    return {
      id: r.id,
      name: r.name,
      comment: r.comment,
      properties: parseProps(r.properties),
      storageRoot: r.storage_root,
      ...audit(r),
    };
  }

  private toSchema(r: SchemasTable, catalog: string): SchemaInfo {
    return {
      id: r.id,
      catalog,
      name: r.name,
      fullName: `${catalog}.${r.name}`,
      comment: r.comment,
      properties: parseProps(r.properties),
      storageRoot: r.storage_root,
      ...audit(r),
    };
  }

  private toTable(r: TablesTable, catalog: string, schema: string): TableInfo {
    return {
      id: r.id,
      catalog,
      schema,
      name: r.name,
      fullName: `${catalog}.${schema}.${r.name}`,
      tableType: r.table_type as TableType,
      dataSourceFormat: r.data_source_format,
      storageLocation: r.storage_location,
      viewDefinition: r.view_definition,
      columns: JSON.parse(r.columns) as ColumnInfo[],
      comment: r.comment,
      properties: parseProps(r.properties),
      ...audit(r),
    };
  }

  private toVolume(r: VolumesTable, catalog: string, schema: string): VolumeInfo {
    return {
      id: r.id,
      catalog,
      schema,
      name: r.name,
      fullName: `${catalog}.${schema}.${r.name}`,
      volumeType: r.volume_type as VolumeType,
      storageLocation: r.storage_location,
      comment: r.comment,
      ...audit(r),
    };
  }

  private toFunction(r: FunctionsTable, catalog: string, schema: string): FunctionInfo {
    return {
      id: r.id,
      catalog,
      schema,
      name: r.name,
      fullName: `${catalog}.${schema}.${r.name}`,
      parameters: JSON.parse(r.parameters) as FunctionParameter[],
      returnType: r.return_type,
      routineBody: 'SQL',
      routineDefinition: r.routine_definition,
      isDeterministic: Number(r.is_deterministic) === 1,
      comment: r.comment,
      properties: parseProps(r.properties),
      ...audit(r),
    };
  }
}

/** The awaited object, or undefined when `ifExists` is set and it failed with `code` (the IF EXISTS forms). */
async function orMissing<T>(p: Promise<T>, ifExists: boolean | undefined, code: string): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (ifExists && e instanceof LakeboxError && e.code === code) return undefined;
    throw e;
  }
}
