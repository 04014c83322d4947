import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { LakeboxError } from '@lakebox/common';
import { Authorizer, parsePrivilege, type Securable, type SecurableType } from '@lakebox/catalog/authz';
import type {
  CatalogInfo,
  ColumnInfo,
  FunctionInfo,
  FunctionParameter,
  SchemaInfo,
  TableInfo,
  TableType,
  VolumeInfo,
} from '@lakebox/catalog';
import { normalizeName, quoteName } from '@lakebox/catalog';
import { loadSnapshot, parseSchema, readCommit, simpleString, tableStore, type StructType } from '@lakebox/delta';
import { principalOf } from '../context.js';
import type { LakeboxPluginOptions } from '../context.js';
import { UcModelStore, type UcModel, type UcModelVersion } from './uc-models.js';
import { DeltaCommitStore, parseCommitInfo, parseVersion } from './uc-delta-commits.js';

// The Unity Catalog REST API (`/api/2.1/unity-catalog`), shaped after the open-source Unity Catalog
// server's OpenAPI spec: catalogs, schemas, tables (and staging tables), volumes, functions,
// registered models and model versions, permissions, temporary credentials; with paging tokens and
// Databricks-style errors. Every route authorizes through the governance Authorizer.

const audit = (x: { owner: string; createdAt: number; createdBy: string; updatedAt: number; updatedBy: string }) => ({
  owner: x.owner,
  created_at: x.createdAt,
  created_by: x.createdBy,
  updated_at: x.updatedAt,
  updated_by: x.updatedBy,
});

export function catalogJson(c: CatalogInfo): Record<string, unknown> {
  return {
    name: c.name,
    full_name: c.name,
    id: c.id,
    comment: c.comment ?? undefined,
    properties: c.properties,
    storage_root: c.storageRoot ?? undefined,
    catalog_type: c.name === 'system' ? 'SYSTEM_CATALOG' : 'MANAGED_CATALOG',
    ...audit(c),
  };
}

export function schemaJson(s: SchemaInfo): Record<string, unknown> {
  return {
    name: s.name,
    catalog_name: s.catalog,
    full_name: s.fullName,
    schema_id: s.id,
    comment: s.comment ?? undefined,
    properties: s.properties,
    storage_root: s.storageRoot ?? undefined,
    ...audit(s),
  };
}

const TYPE_NAMES: Record<string, string> = {
  tinyint: 'BYTE',
  byte: 'BYTE',
  smallint: 'SHORT',
  short: 'SHORT',
  int: 'INT',
  integer: 'INT',
  bigint: 'LONG',
  long: 'LONG',
  float: 'FLOAT',
  real: 'FLOAT',
  double: 'DOUBLE',
  decimal: 'DECIMAL',
  string: 'STRING',
  varchar: 'STRING',
  char: 'CHAR',
  binary: 'BINARY',
  boolean: 'BOOLEAN',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
  timestamp_ntz: 'TIMESTAMP_NTZ',
  array: 'ARRAY',
  map: 'MAP',
  struct: 'STRUCT',
  variant: 'VARIANT',
  interval: 'INTERVAL',
  void: 'NULL',
};

/** Unity Catalog's type_name for a Spark type text (`decimal(10,2)` -> DECIMAL). */
export function typeNameOf(typeText: string): string {
  const base = typeText
    .trim()
    .toLowerCase()
    .replace(/[<(\s].*$/s, '');
  return TYPE_NAMES[base] ?? 'USER_DEFINED_TYPE';
}

const SPARK_JSON_TYPES: Record<string, string> = {
  int: 'integer',
  bigint: 'long',
  smallint: 'short',
  tinyint: 'byte',
  real: 'float',
  dec: 'decimal',
  numeric: 'decimal',
};

/** The Spark JSON type of a simple type text (`bigint` -> `long`); complex types keep their text. */
function sparkJsonType(typeText: string): string {
  const t = typeText.trim().toLowerCase();
  return SPARK_JSON_TYPES[t] ?? t.replace(/^(dec|numeric)\(/, 'decimal(');
}

/** Unity Catalog's `type_json`: the column as a Spark StructField in JSON. */
export function structFieldJson(c: {
  name: string;
  typeText: string;
  typeJson?: string | null;
  nullable?: boolean;
  comment?: string | null;
}): string {
  const metadata = c.comment ? { comment: c.comment } : {};
  if (c.typeJson) {
    try {
      const v = JSON.parse(c.typeJson) as unknown;
      if (v && typeof v === 'object' && 'name' in v && 'type' in v) return c.typeJson;
      return JSON.stringify({ name: c.name, type: v, nullable: c.nullable !== false, metadata });
    } catch {
      // fall through: derive it from the type text
    }
  }
  return JSON.stringify({ name: c.name, type: sparkJsonType(c.typeText), nullable: c.nullable !== false, metadata });
}

/**
 * Storage locations as URLs, as Unity Catalog gives them: `/data/t` and Hadoop's `file:/data/t`
 * (what Spark sends) are `file:///data/t`.
 */
export function locationUrl(loc: string): string {
  if (/^file:\/(?!\/)/i.test(loc)) return 'file://' + loc.slice('file:'.length);
  return path.isAbsolute(loc) && !/^[a-z][a-z0-9+.-]*:/i.test(loc) ? pathToFileURL(loc).href : loc;
}

export function tableJson(t: TableInfo): Record<string, unknown> {
  return {
    name: t.name,
    catalog_name: t.catalog,
    schema_name: t.schema,
    full_name: t.fullName,
    table_id: t.id,
    table_type: t.tableType,
    data_source_format: t.dataSourceFormat ?? undefined,
    storage_location: t.storageLocation ? locationUrl(t.storageLocation) : undefined,
    view_definition: t.viewDefinition ?? undefined,
    columns: t.columns.map((c, i) => ({
      name: c.name,
      type_text: c.typeText,
      type_name: typeNameOf(c.typeText),
      type_json: structFieldJson(c),
      position: i,
      nullable: c.nullable,
      ...(c.comment ? { comment: c.comment } : {}),
      ...(c.partitionIndex !== undefined && c.partitionIndex !== null ? { partition_index: c.partitionIndex } : {}),
    })),
    comment: t.comment ?? undefined,
    properties: t.properties,
    ...audit(t),
  };
}

export function volumeJson(v: VolumeInfo): Record<string, unknown> {
  return {
    name: v.name,
    catalog_name: v.catalog,
    schema_name: v.schema,
    full_name: v.fullName,
    volume_id: v.id,
    volume_type: v.volumeType,
    storage_location: locationUrl(v.storageLocation),
    comment: v.comment ?? undefined,
    ...audit(v),
  };
}

export function functionJson(f: FunctionInfo): Record<string, unknown> {
  return {
    name: f.name,
    catalog_name: f.catalog,
    schema_name: f.schema,
    full_name: f.fullName,
    function_id: f.id,
    input_params: {
      parameters: f.parameters.map((p, i) => ({
        name: p.name,
        type_text: p.typeText,
        type_name: typeNameOf(p.typeText),
        type_json: structFieldJson(p),
        position: i,
        ...(p.defaultExpression ? { parameter_default: p.defaultExpression } : {}),
        ...(p.comment ? { comment: p.comment } : {}),
      })),
    },
    data_type: typeNameOf(f.returnType),
    full_data_type: f.returnType,
    routine_body: f.routineBody,
    routine_definition: f.routineDefinition,
    is_deterministic: f.isDeterministic,
    sql_data_access: 'CONTAINS_SQL',
    is_null_call: false,
    security_type: 'DEFINER',
    specific_name: f.name,
    parameter_style: 'S',
    comment: f.comment ?? undefined,
    properties: JSON.stringify(f.properties),
    ...audit(f),
  };
}

function obj(v: unknown): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v))
    throw new LakeboxError('MALFORMED_REQUEST', 'the request body must be a JSON object');
  return v as Record<string, unknown>;
}

function reqString(b: Record<string, unknown>, key: string): string {
  const v = b[key];
  if (typeof v !== 'string' || v.length === 0)
    throw new LakeboxError('INVALID_PARAMETER_VALUE', `${key} is required (a non-empty string)`);
  return v;
}

function optString(b: Record<string, unknown>, key: string): string | undefined {
  const v = b[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new LakeboxError('INVALID_PARAMETER_VALUE', `${key} must be a string`);
  return v;
}

function props(b: Record<string, unknown>): Record<string, string> | undefined {
  const v = b.properties;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v))
    throw new LakeboxError('INVALID_PARAMETER_VALUE', 'properties must be an object of strings');
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
}

function splitFullName(full: string, parts: number, what: string): string[] {
  const p = full.split('.');
  if (p.length !== parts || p.some((x) => !x)) {
    throw new LakeboxError(
      'INVALID_PARAMETER_VALUE',
      `'${full}' is not a valid ${what} full name (${parts} dot-separated parts)`,
    );
  }
  return p;
}

const truthy = (v: unknown) => v === true || String(v).toLowerCase() === 'true';

// ---- paging: lists are ordered by name; a page token is the last name of the previous page.

const MAX_PAGE = 1000;

interface PageQuery {
  max_results?: string;
  page_token?: string;
}

function paged<T>(items: T[], key: (t: T) => string, q: PageQuery): { items: T[]; next_page_token?: string } {
  let max = MAX_PAGE;
  if (q.max_results !== undefined && q.max_results !== '') {
    const n = Number(q.max_results);
    if (!Number.isInteger(n) || n < 0)
      throw new LakeboxError('INVALID_PARAMETER_VALUE', 'max_results must be a non-negative integer');
    if (n > 0) max = Math.min(n, MAX_PAGE);
  }
  let rest = [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  if (q.page_token) {
    let after: string;
    try {
      after = Buffer.from(q.page_token, 'base64url').toString('utf8');
    } catch {
      throw new LakeboxError('INVALID_PARAMETER_VALUE', 'page_token is not valid');
    }
    rest = rest.filter((t) => key(t) > after);
  }
  const page = rest.slice(0, max);
  return {
    items: page,
    ...(rest.length > max ? { next_page_token: Buffer.from(key(page[page.length - 1]!)).toString('base64url') } : {}),
  };
}

function listJson<T>(field: string, items: T[], key: (t: T) => string, q: PageQuery, json: (t: T) => unknown) {
  const p = paged(items, key, q);
  return { [field]: p.items.map(json), ...(p.next_page_token ? { next_page_token: p.next_page_token } : {}) };
}

// ---- registered models and model versions

export function modelJson(m: UcModel): Record<string, unknown> {
  return {
    name: m.name,
    catalog_name: m.catalog,
    schema_name: m.schema,
    full_name: m.fullName,
    storage_location: locationUrl(m.storageLocation),
    comment: m.comment ?? undefined,
    owner: m.owner,
    created_at: m.createdAt,
    created_by: m.createdBy,
    updated_at: m.updatedAt,
    updated_by: m.updatedBy,
    id: m.id,
  };
}

export function modelVersionJson(v: UcModelVersion): Record<string, unknown> {
  return {
    model_name: v.modelName,
    catalog_name: v.catalog,
    schema_name: v.schema,
    version: v.version,
    source: v.source,
    run_id: v.runId ?? undefined,
    status: v.status,
    storage_location: locationUrl(v.storageLocation),
    comment: v.comment ?? undefined,
    created_at: v.createdAt,
    created_by: v.createdBy,
    updated_at: v.updatedAt,
    updated_by: v.updatedBy,
    id: v.id,
  };
}

// ---- permissions: Unity Catalog's securable types and privilege spellings

const SECURABLES: Record<string, SecurableType> = {
  metastore: 'METASTORE',
  catalog: 'CATALOG',
  schema: 'SCHEMA',
  table: 'TABLE',
  function: 'FUNCTION',
  volume: 'VOLUME',
  registered_model: 'REGISTERED_MODEL',
};

function securableOf(type: string, fullName: string): Securable {
  const t = SECURABLES[type.toLowerCase()];
  if (!t)
    throw new LakeboxError(
      'INVALID_PARAMETER_VALUE',
      `securable_type must be one of ${Object.keys(SECURABLES).join(', ')}, not '${type}'`,
    );
  return t === 'METASTORE' ? { type: t } : { type: t, name: fullName };
}

// ---- temporary credentials

const CREDENTIAL_TTL_MS = 60 * 60 * 1000;

/** Temporary credentials for a storage location: the URL, plus the configured S3 keys for s3:// locations. */
function credentialsFor(location: string): Record<string, unknown> {
  const isS3 = /^s3a?:\/\//i.test(location);
  const url = isS3 || /^[a-z][a-z0-9+.-]*:\/\//i.test(location) ? location : locationUrl(location);
  const out: Record<string, unknown> = { url, expiration_time: Date.now() + CREDENTIAL_TTL_MS };
  if (isS3) {
    const id = process.env.AWS_ACCESS_KEY_ID;
    const secret = process.env.AWS_SECRET_ACCESS_KEY;
    if (!id || !secret)
      throw new LakeboxError(
        'CREDENTIALS_NOT_CONFIGURED',
        'no S3 credentials are configured on the server (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)',
        { httpStatus: 400 },
      );
    out.aws_temp_credentials = {
      access_key_id: id,
      secret_access_key: secret,
      ...(process.env.AWS_SESSION_TOKEN ? { session_token: process.env.AWS_SESSION_TOKEN } : {}),
    };
  }
  return out;
}

/**
 * The columns of the Delta table at a local location, for a table registered without columns:
 * Delta Lake's catalog (the Unity Catalog Spark connector goes through it) registers tables with an
 * empty schema, the schema being in the Delta log it has just written. Empty when there is no
 * readable Delta table there (or it is not on the local file system).
 */
export async function deltaColumns(location: string): Promise<ColumnInfo[]> {
  const url = locationUrl(location);
  if (!/^file:/i.test(url)) return [];
  const store = tableStore(url);
  let schema: StructType;
  let partitions: string[];
  try {
    const snap = await loadSnapshot(store);
    schema = snap.schema;
    partitions = snap.partitionColumns;
  } catch {
    // a table Lakebox cannot read (a catalogManaged one, say): the schema of its first commit, which
    // is the one the client has just written when it registers a new table
    try {
      const meta = (await readCommit(store, 0)).find((a) => a.metaData)?.metaData;
      if (!meta) return [];
      schema = parseSchema(meta.schemaString);
      partitions = meta.partitionColumns ?? [];
    } catch {
      return [];
    }
  }
  return schema.fields.map((f) => ({
    name: f.name,
    typeText: simpleString(f.type),
    typeJson: JSON.stringify(f),
    nullable: f.nullable,
    comment: typeof f.metadata?.comment === 'string' ? f.metadata.comment : null,
    partitionIndex: partitions.includes(f.name) ? partitions.indexOf(f.name) : null,
  }));
}

// ---- staging tables

/** A staging table: a managed location handed out before the client registers the table. */
export interface StagingTable {
  id: string;
  catalog: string;
  schema: string;
  name: string;
  /** The location as a URL (`file:///...`). */
  location: string;
  creator: string;
  createdAt: number;
}

/** The table property in which Unity Catalog clients keep a managed table's staging id. */
export const UC_TABLE_ID_PROPERTY = 'io.unitycatalog.tableId';

/** How long a staging table waits for its POST /tables (Unity Catalog keeps them a day too). */
export const STAGING_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * The staging tables handed out and not yet registered, in memory: a staging table lives for the
 * seconds between a client's first Delta commit and its POST /tables, so a server restart in
 * between only makes that client retry its CREATE TABLE.
 */
export class StagingTables {
  private readonly byId = new Map<string, StagingTable>();

  constructor(private readonly now: () => number = Date.now) {}

  add(t: Omit<StagingTable, 'id' | 'createdAt'>): string {
    this.expire();
    const id = randomUUID();
    this.byId.set(id, { ...t, id, createdAt: this.now() });
    return id;
  }

  get(id: string): StagingTable | undefined {
    this.expire();
    return this.byId.get(id);
  }

  /** The staging table of `catalog.schema.name` at `location` (a URL or a path), if one is pending. */
  find(catalog: string, schema: string, name: string, location: string): StagingTable | undefined {
    this.expire();
    const url = locationUrl(location);
    for (const t of this.byId.values())
      if (t.catalog === catalog && t.schema === schema && t.name === name && sameLocation(t.location, url)) return t;
    return undefined;
  }

  delete(id: string): void {
    this.byId.delete(id);
  }

  private expire(): void {
    const cutoff = this.now() - STAGING_TTL_MS;
    for (const [id, t] of this.byId) if (t.createdAt < cutoff) this.byId.delete(id);
  }
}

/** Two location URLs name the same place (`file:/x`, `file:///x` and `file:///x/` are one). */
function sameLocation(a: string, b: string): boolean {
  const norm = (u: string) => locationUrl(u).replace(/\/+$/, '');
  return norm(a) === norm(b);
}

export const unityCatalogRoutes: FastifyPluginAsync<LakeboxPluginOptions> = async (app, opts) => {
  const ms = opts.metastore;
  // Unity Catalog clients send `Content-Type: application/json` with an empty DELETE body.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body);
    if (!text.trim()) return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new LakeboxError('MALFORMED_REQUEST', 'the request body is not valid JSON'), undefined);
    }
  });
  const authorizer = new Authorizer(opts.db);
  const models = new UcModelStore(opts.db, ms);
  const staging = new StagingTables();
  const commits = new DeltaCommitStore(opts.db);
  /** The authorization scope of this request (cached privileges for its lifetime). */
  const authz = (request: FastifyRequest) => authorizer.scope(principalOf(request));
  /** A not-found error's "did you mean" names, cut down to those the caller may see. */
  const visibleSuggestions = async (scope: ReturnType<typeof authz>, e: unknown): Promise<unknown> => {
    if (!(e instanceof LakeboxError) || !e.details || !Array.isArray(e.details.suggestions)) return e;
    const d = e.details as { catalog?: string; schema?: string; suggestions: string[] };
    const kinds: Record<string, [SecurableType, string[]]> = {
      CATALOG_NOT_FOUND: ['CATALOG', []],
      SCHEMA_NOT_FOUND: ['SCHEMA', [d.catalog ?? '']],
      TABLE_OR_VIEW_NOT_FOUND: ['TABLE', [d.catalog ?? '', d.schema ?? '']],
      VOLUME_NOT_FOUND: ['VOLUME', [d.catalog ?? '', d.schema ?? '']],
      ROUTINE_NOT_FOUND: ['FUNCTION', [d.catalog ?? '', d.schema ?? '']],
    };
    const kind = kinds[e.code];
    if (!kind) return e;
    const [type, prefix] = kind;
    const kept: string[] = [];
    for (const x of d.suggestions) if (await scope.canSee({ type, name: [...prefix, x].join('.') })) kept.push(x);
    if (kept.length === d.suggestions.length) return e;
    const base = e.message.replace(/ Did you mean one of the following\? \[.*\]\.$/s, '');
    const hint = kept.length
      ? ` Did you mean one of the following? [${kept.map((k) => quoteName(...prefix, k)).join(', ')}].`
      : '';
    return new LakeboxError(e.code, base + hint, {
      ...(e.sqlState ? { sqlState: e.sqlState } : {}),
      httpStatus: e.httpStatus,
      details: { ...e.details, suggestions: kept },
    });
  };

  /**
   * Fetch an object the caller may see. A missing object is the metastore's 404 (with its
   * suggestions) only for callers who may see its parent; anyone else gets PERMISSION_DENIED, so
   * names do not leak through the difference.
   */
  const visible = async <T>(request: FastifyRequest, s: Securable, fetch: () => Promise<T>): Promise<T> => {
    const scope = authz(request);
    if (await scope.canSee(s)) return fetch();
    const parts = (s.name ?? '').split('.');
    const parent: Securable | undefined =
      s.type === 'CATALOG' || s.type === 'METASTORE'
        ? undefined
        : parts.length === 3
          ? { type: 'SCHEMA', name: parts.slice(0, 2).join('.') }
          : { type: 'CATALOG', name: parts[0] };
    const { missing } = await scope.path(s);
    if (missing && (!parent || (await scope.canSee(parent)))) {
      try {
        return await fetch();
      } catch (e) {
        throw await visibleSuggestions(scope, e);
      }
    }
    throw new LakeboxError(
      'PERMISSION_DENIED',
      `User does not have permission to see ${s.type.toLowerCase().replace('_', ' ')} '${s.name ?? ''}'.`,
      { httpStatus: 403 },
    );
  };

  // ---- catalogs
  app.get<{ Querystring: PageQuery }>('/catalogs', async (request) => {
    const visible = await authz(request).filterVisible(await ms.listCatalogs(), (c) => ({
      type: 'CATALOG',
      name: c.name,
    }));
    return listJson('catalogs', visible, (c) => c.name, request.query, catalogJson);
  });
  app.post('/catalogs', async (request) => {
    const b = obj(request.body);
    await authz(request).require('CREATE CATALOG', { type: 'METASTORE' });
    const c = await ms.createCatalog({
      name: reqString(b, 'name'),
      owner: principalOf(request).name,
      comment: optString(b, 'comment') ?? null,
      properties: props(b),
      storageRoot: optString(b, 'storage_root') ?? null,
    });
    return catalogJson(c);
  });
  app.get<{ Params: { name: string } }>('/catalogs/:name', async (request) => {
    const name = request.params.name;
    return catalogJson(await visible(request, { type: 'CATALOG', name }, () => ms.getCatalog(name)));
  });
  app.patch<{ Params: { name: string } }>('/catalogs/:name', async (request) => {
    const b = obj(request.body);
    await authz(request).requireManage({ type: 'CATALOG', name: request.params.name });
    const c = await ms.updateCatalog(request.params.name, principalOf(request).name, {
      newName: optString(b, 'new_name'),
      comment: optString(b, 'comment'),
      owner: optString(b, 'owner'),
      properties: props(b),
    });
    return catalogJson(c);
  });
  app.delete<{ Params: { name: string }; Querystring: { force?: string } }>('/catalogs/:name', async (request) => {
    await authz(request).requireManage({ type: 'CATALOG', name: request.params.name });
    await ms.dropCatalog(request.params.name, { cascade: truthy(request.query.force) });
    return {};
  });

  // ---- schemas
  app.get<{ Querystring: { catalog_name?: string } & PageQuery }>('/schemas', async (request) => {
    const catalog = request.query.catalog_name;
    if (!catalog) throw new LakeboxError('INVALID_PARAMETER_VALUE', 'catalog_name is required');
    await authz(request).require('USE CATALOG', { type: 'CATALOG', name: catalog });
    const visible = await authz(request).filterVisible(await ms.listSchemas(catalog), (s) => ({
      type: 'SCHEMA',
      name: s.fullName,
    }));
    return listJson('schemas', visible, (s) => s.name, request.query, schemaJson);
  });
  app.post('/schemas', async (request) => {
    const b = obj(request.body);
    const catalog = reqString(b, 'catalog_name');
    await authz(request).require(['USE CATALOG', 'CREATE SCHEMA'], { type: 'CATALOG', name: catalog });
    const s = await ms.createSchema({
      catalog,
      name: reqString(b, 'name'),
      owner: principalOf(request).name,
      comment: optString(b, 'comment') ?? null,
      properties: props(b),
      storageRoot: optString(b, 'storage_root') ?? null,
    });
    return schemaJson(s);
  });
  app.get<{ Params: { full: string } }>('/schemas/:full', async (request) => {
    const [c, s] = splitFullName(request.params.full, 2, 'schema');
    return schemaJson(
      await visible(request, { type: 'SCHEMA', name: request.params.full }, () => ms.getSchema(c!, s!)),
    );
  });
  app.patch<{ Params: { full: string } }>('/schemas/:full', async (request) => {
    const [c, s] = splitFullName(request.params.full, 2, 'schema');
    const b = obj(request.body);
    await authz(request).requireManage({ type: 'SCHEMA', name: request.params.full });
    return schemaJson(
      await ms.updateSchema(c!, s!, principalOf(request).name, {
        newName: optString(b, 'new_name'),
        comment: optString(b, 'comment'),
        owner: optString(b, 'owner'),
        properties: props(b),
      }),
    );
  });
  app.delete<{ Params: { full: string }; Querystring: { force?: string } }>('/schemas/:full', async (request) => {
    const [c, s] = splitFullName(request.params.full, 2, 'schema');
    await authz(request).requireManage({ type: 'SCHEMA', name: request.params.full });
    await ms.dropSchema(c!, s!, { cascade: truthy(request.query.force) });
    return {};
  });

  // ---- tables
  const listable = async (request: FastifyRequest, catalog?: string, schema?: string) => {
    if (!catalog || !schema)
      throw new LakeboxError('INVALID_PARAMETER_VALUE', 'catalog_name and schema_name are required');
    await authz(request).require('USE SCHEMA', { type: 'SCHEMA', name: `${catalog}.${schema}` });
    return [catalog, schema] as const;
  };
  app.get<{ Querystring: { catalog_name?: string; schema_name?: string } & PageQuery }>('/tables', async (request) => {
    const [c, s] = await listable(request, request.query.catalog_name, request.query.schema_name);
    const visible = await authz(request).filterVisible(await ms.listTables(c, s), (t) => ({
      type: 'TABLE',
      name: t.fullName,
    }));
    return listJson('tables', visible, (t) => t.name, request.query, tableJson);
  });
  app.post('/tables', async (request) => {
    const b = obj(request.body);
    const rawCols = b.columns ?? [];
    if (!Array.isArray(rawCols)) throw new LakeboxError('INVALID_PARAMETER_VALUE', 'columns must be an array');
    const columns: ColumnInfo[] = rawCols.map((c: unknown, i: number) => {
      const col = obj(c);
      const typeText = optString(col, 'type_text') ?? optString(col, 'type_name')?.toLowerCase();
      if (!typeText) throw new LakeboxError('INVALID_PARAMETER_VALUE', `columns[${i}] needs type_text`);
      return {
        name: reqString(col, 'name'),
        typeText,
        ...(optString(col, 'type_json') ? { typeJson: optString(col, 'type_json') } : {}),
        nullable: col.nullable !== false,
        comment: optString(col, 'comment') ?? null,
        partitionIndex: typeof col.partition_index === 'number' ? col.partition_index : null,
      };
    });
    const tableType = (optString(b, 'table_type') ?? 'MANAGED').toUpperCase() as TableType;
    const catalog = reqString(b, 'catalog_name');
    const schema = reqString(b, 'schema_name');
    const name = reqString(b, 'name');
    await authz(request).require(['USE SCHEMA', tableType === 'VIEW' ? 'CREATE VIEW' : 'CREATE TABLE'], {
      type: 'SCHEMA',
      name: `${catalog}.${schema}`,
    });
    // A MANAGED table's files belong to Lakebox (DROP TABLE deletes them): its location is the one
    // Lakebox chose, either given by a staging table for this name or left to the server.
    const location = optString(b, 'storage_location');
    const staged =
      tableType === 'MANAGED' && location
        ? staging.find(
            normalizeName(catalog, 'catalog'),
            normalizeName(schema, 'schema'),
            normalizeName(name, 'table'),
            location,
          )
        : undefined;
    if (tableType === 'MANAGED' && location && !staged) {
      const own = pathToFileURL(await ms.managedTableLocation(catalog, schema, name)).href;
      if (!sameLocation(own, locationUrl(location)))
        throw new LakeboxError(
          'INVALID_PARAMETER_VALUE',
          `The storage location of the managed table '${catalog}.${schema}.${name}' must be the staging ` +
            `location given by POST /staging-tables for it (or left out); '${location}' is not.`,
        );
    }
    const t = await ms.createTable({
      catalog,
      schema,
      name,
      owner: principalOf(request).name,
      tableType,
      dataSourceFormat: optString(b, 'data_source_format')?.toUpperCase() ?? null,
      storageLocation: staged ? fileURLToPath(staged.location) : (location ?? null),
      viewDefinition: optString(b, 'view_definition') ?? null,
      columns:
        columns.length || tableType === 'VIEW' || !(staged?.location ?? location)
          ? columns
          : await deltaColumns(staged?.location ?? location!),
      comment: optString(b, 'comment') ?? null,
      properties: { ...props(b), ...(staged ? { [UC_TABLE_ID_PROPERTY]: staged.id } : {}) },
    });
    if (staged) staging.delete(staged.id);
    return tableJson(t);
  });
  // Staging tables (managed-table creation by clients that write the data first, as the Unity
  // Catalog Spark connector does): a location under the schema's managed root, promoted by a later
  // POST /tables of a MANAGED table there. Until then the staging id gets table credentials for its
  // creator (the client writes the first Delta commit before registering the table).
  app.post('/staging-tables', async (request) => {
    const b = obj(request.body);
    const catalog = reqString(b, 'catalog_name');
    const schema = reqString(b, 'schema_name');
    const name = reqString(b, 'name');
    await authz(request).require(['USE SCHEMA', 'CREATE TABLE'], { type: 'SCHEMA', name: `${catalog}.${schema}` });
    if (await ms.tableExists(catalog, schema, name))
      throw new LakeboxError('TABLE_ALREADY_EXISTS', `Table '${catalog}.${schema}.${name}' already exists.`, {
        httpStatus: 409,
      });
    const location = pathToFileURL(await ms.managedTableLocation(catalog, schema, name)).href;
    const id = staging.add({
      catalog: normalizeName(catalog, 'catalog'),
      schema: normalizeName(schema, 'schema'),
      name: normalizeName(name, 'table'),
      location,
      creator: principalOf(request).name,
    });
    return { id, catalog_name: catalog, schema_name: schema, name, staging_location: location };
  });
  app.get<{ Params: { full: string } }>('/tables/:full', async (request) => {
    const [c, s, t] = splitFullName(request.params.full, 3, 'table');
    return tableJson(
      await visible(request, { type: 'TABLE', name: request.params.full }, () => ms.getTable(c!, s!, t!)),
    );
  });
  app.delete<{ Params: { full: string } }>('/tables/:full', async (request) => {
    const [c, s, t] = splitFullName(request.params.full, 3, 'table');
    await authz(request).requireManage({ type: 'TABLE', name: request.params.full });
    const dropped = await ms.dropTable(c!, s!, t!);
    if (dropped) await commits.drop(dropped.id);
    return {};
  });

  // ---- volumes
  app.get<{ Querystring: { catalog_name?: string; schema_name?: string } & PageQuery }>('/volumes', async (request) => {
    const [c, s] = await listable(request, request.query.catalog_name, request.query.schema_name);
    const visible = await authz(request).filterVisible(await ms.listVolumes(c, s), (v) => ({
      type: 'VOLUME',
      name: v.fullName,
    }));
    return listJson('volumes', visible, (v) => v.name, request.query, volumeJson);
  });
  app.post('/volumes', async (request) => {
    const b = obj(request.body);
    const type = (optString(b, 'volume_type') ?? 'MANAGED').toUpperCase();
    if (type !== 'MANAGED' && type !== 'EXTERNAL')
      throw new LakeboxError('INVALID_PARAMETER_VALUE', 'volume_type must be MANAGED or EXTERNAL');
    const catalog = reqString(b, 'catalog_name');
    const schema = reqString(b, 'schema_name');
    await authz(request).require(['USE SCHEMA', 'CREATE VOLUME'], { type: 'SCHEMA', name: `${catalog}.${schema}` });
    const v = await ms.createVolume({
      catalog,
      schema,
      name: reqString(b, 'name'),
      owner: principalOf(request).name,
      volumeType: type,
      storageLocation: optString(b, 'storage_location') ?? null,
      comment: optString(b, 'comment') ?? null,
    });
    return volumeJson(v);
  });
  app.get<{ Params: { full: string } }>('/volumes/:full', async (request) => {
    const [c, s, v] = splitFullName(request.params.full, 3, 'volume');
    return volumeJson(
      await visible(request, { type: 'VOLUME', name: request.params.full }, () => ms.getVolume(c!, s!, v!)),
    );
  });
  app.patch<{ Params: { full: string } }>('/volumes/:full', async (request) => {
    const [c, s, v] = splitFullName(request.params.full, 3, 'volume');
    const b = obj(request.body);
    const newName = optString(b, 'new_name');
    const comment = optString(b, 'comment');
    const owner = optString(b, 'owner');
    await authz(request).requireManage({ type: 'VOLUME', name: request.params.full });
    const current = await ms.getVolume(c!, s!, v!);
    const name = newName !== undefined ? normalizeName(newName, 'volume') : current.name;
    if (name !== current.name && (await ms.listVolumes(c!, s!)).some((x) => x.name === name))
      throw new LakeboxError('VOLUME_ALREADY_EXISTS', `Volume '${c}.${s}.${name}' already exists.`, {
        httpStatus: 409,
      });
    await opts.db
      .updateTable('volumes')
      .set({
        name,
        ...(comment !== undefined ? { comment } : {}),
        ...(owner !== undefined ? { owner } : {}),
        updated_at: Date.now(),
        updated_by: principalOf(request).name,
      })
      .where('id', '=', current.id)
      .execute();
    return volumeJson(await ms.getVolume(current.catalog, current.schema, name));
  });
  app.delete<{ Params: { full: string } }>('/volumes/:full', async (request) => {
    const [c, s, v] = splitFullName(request.params.full, 3, 'volume');
    await authz(request).requireManage({ type: 'VOLUME', name: request.params.full });
    await ms.dropVolume(c!, s!, v!);
    return {};
  });

  // ---- SQL functions
  app.get<{ Querystring: { catalog_name?: string; schema_name?: string } & PageQuery }>(
    '/functions',
    async (request) => {
      const [c, s] = await listable(request, request.query.catalog_name, request.query.schema_name);
      const visible = await authz(request).filterVisible(await ms.listFunctions(c, s), (f) => ({
        type: 'FUNCTION',
        name: f.fullName,
      }));
      return listJson('functions', visible, (f) => f.name, request.query, functionJson);
    },
  );
  app.post('/functions', async (request) => {
    const fi = obj(obj(request.body).function_info);
    const body = (optString(fi, 'routine_body') ?? 'SQL').toUpperCase();
    if (body !== 'SQL')
      throw new LakeboxError('INVALID_PARAMETER_VALUE', `only SQL functions are supported, not routine_body ${body}`);
    const rawParams = obj(fi.input_params).parameters ?? [];
    if (!Array.isArray(rawParams))
      throw new LakeboxError('INVALID_PARAMETER_VALUE', 'input_params.parameters must be an array');
    const parameters: FunctionParameter[] = rawParams.map((p: unknown, i: number) => {
      const q = obj(p);
      const typeText = optString(q, 'type_text') ?? optString(q, 'type_name')?.toLowerCase();
      if (!typeText) throw new LakeboxError('INVALID_PARAMETER_VALUE', `input_params.parameters[${i}] needs type_text`);
      return {
        name: reqString(q, 'name'),
        typeText,
        ...(optString(q, 'parameter_default') ? { defaultExpression: optString(q, 'parameter_default') } : {}),
        ...(optString(q, 'comment') ? { comment: optString(q, 'comment') } : {}),
      };
    });
    const returnType = optString(fi, 'full_data_type') ?? optString(fi, 'data_type')?.toLowerCase();
    if (!returnType) throw new LakeboxError('INVALID_PARAMETER_VALUE', 'full_data_type (or data_type) is required');
    const catalog = reqString(fi, 'catalog_name');
    const schema = reqString(fi, 'schema_name');
    await authz(request).require(['USE SCHEMA', 'CREATE FUNCTION'], {
      type: 'SCHEMA',
      name: `${catalog}.${schema}`,
    });
    const f = await ms.createFunction({
      catalog,
      schema,
      name: reqString(fi, 'name'),
      owner: principalOf(request).name,
      parameters,
      returnType,
      routineDefinition: reqString(fi, 'routine_definition'),
      isDeterministic: fi.is_deterministic !== false,
      comment: optString(fi, 'comment') ?? null,
    });
    return functionJson(f);
  });
  app.get<{ Params: { full: string } }>('/functions/:full', async (request) => {
    const [c, s, f] = splitFullName(request.params.full, 3, 'function');
    return functionJson(
      await visible(request, { type: 'FUNCTION', name: request.params.full }, () => ms.getFunction(c!, s!, f!)),
    );
  });
  app.delete<{ Params: { full: string } }>('/functions/:full', async (request) => {
    const [c, s, f] = splitFullName(request.params.full, 3, 'function');
    await authz(request).requireManage({ type: 'FUNCTION', name: request.params.full });
    await ms.dropFunction(c!, s!, f!);
    return {};
  });

  // ---- registered models and model versions
  const modelSecurable = (full: string): Securable => ({ type: 'REGISTERED_MODEL', name: full.toLowerCase() });
  app.get<{ Querystring: { catalog_name?: string; schema_name?: string } & PageQuery }>('/models', async (request) => {
    const { catalog_name, schema_name } = request.query;
    if (schema_name && !catalog_name)
      throw new LakeboxError('INVALID_PARAMETER_VALUE', 'schema_name needs catalog_name');
    const visible = await authz(request).filterVisible(await models.list(catalog_name, schema_name), (m) =>
      modelSecurable(m.fullName),
    );
    return listJson('registered_models', visible, (m) => m.fullName, request.query, modelJson);
  });
  app.post('/models', async (request) => {
    const b = obj(request.body);
    const catalog = reqString(b, 'catalog_name');
    const schema = reqString(b, 'schema_name');
    await authz(request).require(['USE SCHEMA', 'CREATE MODEL'], { type: 'SCHEMA', name: `${catalog}.${schema}` });
    const owner = principalOf(request).name;
    const m = await models.create({
      catalog,
      schema,
      name: reqString(b, 'name'),
      comment: optString(b, 'comment') ?? null,
      owner,
    });
    await authorizer.registerOwner(modelSecurable(m.fullName), owner);
    return modelJson(m);
  });
  app.get<{ Params: { full: string } }>('/models/:full', async (request) => {
    splitFullName(request.params.full, 3, 'registered model');
    return modelJson(
      await visible(request, modelSecurable(request.params.full), () => models.get(request.params.full)),
    );
  });
  app.patch<{ Params: { full: string } }>('/models/:full', async (request) => {
    splitFullName(request.params.full, 3, 'registered model');
    const b = obj(request.body);
    await authz(request).requireManage(modelSecurable(request.params.full));
    const before = await models.get(request.params.full);
    const m = await models.update(request.params.full, principalOf(request).name, {
      comment: optString(b, 'comment'),
      newName: optString(b, 'new_name'),
      owner: optString(b, 'owner'),
    });
    if (m.fullName !== before.fullName) {
      await authorizer.forget(modelSecurable(before.fullName));
      await authorizer.registerOwner(modelSecurable(m.fullName), m.owner);
    } else if (optString(b, 'owner')) await authorizer.registerOwner(modelSecurable(m.fullName), m.owner);
    return modelJson(m);
  });
  app.delete<{ Params: { full: string }; Querystring: { force?: string } }>('/models/:full', async (request) => {
    splitFullName(request.params.full, 3, 'registered model');
    await authz(request).requireManage(modelSecurable(request.params.full));
    await models.delete(request.params.full, truthy(request.query.force));
    await authorizer.forget(modelSecurable(request.params.full));
    return {};
  });
  app.post('/models/versions', async (request) => {
    const b = obj(request.body);
    const catalog = reqString(b, 'catalog_name');
    const schema = reqString(b, 'schema_name');
    const model = reqString(b, 'model_name');
    await authz(request).require('MODIFY', modelSecurable(`${catalog}.${schema}.${model}`));
    const v = await models.createVersion({
      catalog,
      schema,
      model,
      source: reqString(b, 'source'),
      runId: optString(b, 'run_id') ?? null,
      comment: optString(b, 'comment') ?? null,
      by: principalOf(request).name,
    });
    return modelVersionJson(v);
  });
  app.get<{ Params: { full: string }; Querystring: PageQuery }>('/models/:full/versions', async (request) => {
    splitFullName(request.params.full, 3, 'registered model');
    const versions = await visible(request, modelSecurable(request.params.full), () =>
      models.listVersions(request.params.full),
    );
    const p = paged(versions, (v) => String(v.version).padStart(12, '0'), request.query);
    return {
      model_versions: p.items.map(modelVersionJson),
      ...(p.next_page_token ? { next_page_token: p.next_page_token } : {}),
    };
  });
  const versionOf = (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1)
      throw new LakeboxError('INVALID_PARAMETER_VALUE', `version must be a positive integer, not '${v}'`);
    return n;
  };
  app.get<{ Params: { full: string; version: string } }>('/models/:full/versions/:version', async (request) => {
    const version = versionOf(request.params.version);
    return modelVersionJson(
      await visible(request, modelSecurable(request.params.full), () =>
        models.getVersion(request.params.full, version),
      ),
    );
  });
  app.patch<{ Params: { full: string; version: string } }>('/models/:full/versions/:version', async (request) => {
    const b = obj(request.body);
    await authz(request).require('MODIFY', modelSecurable(request.params.full));
    return modelVersionJson(
      await models.updateVersion(request.params.full, versionOf(request.params.version), principalOf(request).name, {
        comment: optString(b, 'comment'),
      }),
    );
  });
  app.delete<{ Params: { full: string; version: string } }>('/models/:full/versions/:version', async (request) => {
    await authz(request).requireManage(modelSecurable(request.params.full));
    await models.deleteVersion(request.params.full, versionOf(request.params.version));
    return {};
  });
  app.patch<{ Params: { full: string; version: string } }>(
    '/models/:full/versions/:version/finalize',
    async (request) => {
      await authz(request).require('MODIFY', modelSecurable(request.params.full));
      const v = await models.getVersion(request.params.full, versionOf(request.params.version));
      if (v.status !== 'PENDING_REGISTRATION')
        throw new LakeboxError(
          'INVALID_STATE',
          `Model version ${v.version} of '${request.params.full}' is ${v.status}, not PENDING_REGISTRATION.`,
          { httpStatus: 400 },
        );
      return modelVersionJson(
        await models.updateVersion(request.params.full, v.version, principalOf(request).name, { status: 'READY' }),
      );
    },
  );

  // ---- permissions (onto the authorizer's grants)
  const permissionsJson = async (request: FastifyRequest, s: Securable, principal?: string) => {
    const grants = await authorizer.listGrants(principalOf(request), s, principal ? { principal } : {});
    const by = new Map<string, string[]>();
    for (const g of grants) by.set(g.principal, [...(by.get(g.principal) ?? []), g.privilege]);
    return {
      privilege_assignments: [...by].map(([p, privileges]) => ({ principal: p, privileges })),
    };
  };
  app.get<{ Params: { type: string; full: string }; Querystring: { principal?: string } }>(
    '/permissions/:type/:full',
    async (request) =>
      permissionsJson(request, securableOf(request.params.type, request.params.full), request.query.principal),
  );
  app.patch<{ Params: { type: string; full: string } }>('/permissions/:type/:full', async (request) => {
    const s = securableOf(request.params.type, request.params.full);
    const changes = obj(request.body).changes;
    if (!Array.isArray(changes)) throw new LakeboxError('INVALID_PARAMETER_VALUE', 'changes must be an array');
    const who = principalOf(request);
    for (const raw of changes) {
      const ch = obj(raw);
      const principal = reqString(ch, 'principal');
      const list = (k: string): string[] => {
        const v = ch[k] ?? [];
        if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
          throw new LakeboxError('INVALID_PARAMETER_VALUE', `${k} must be an array of privileges`);
        return (v as string[]).map((p) => parsePrivilege(p));
      };
      const add = list('add');
      const remove = list('remove');
      if (add.length) await authorizer.grant(who, s, principal, add);
      if (remove.length) await authorizer.revoke(who, s, principal, remove);
    }
    return permissionsJson(request, s);
  });

  /**
   * The table with Unity Catalog id `id`: Lakebox's table id, or the staging id a table made from a
   * staging table keeps in its properties (clients use that one for credentials and commits).
   */
  const tableById = async (id: string) => {
    const byWhere = (where: 'id' | 'staging') =>
      opts.db
        .selectFrom('tables')
        .innerJoin('schemas', 'schemas.id', 'tables.schema_id')
        .innerJoin('catalogs', 'catalogs.id', 'schemas.catalog_id')
        .select(['tables.name as t', 'schemas.name as s', 'catalogs.name as c'])
        .where(
          where === 'id' ? 'tables.id' : 'tables.properties',
          where === 'id' ? '=' : 'like',
          where === 'id' ? id : `%${JSON.stringify(UC_TABLE_ID_PROPERTY)}:${JSON.stringify(id)}%`,
        )
        .executeTakeFirst();
    return (await byWhere('id')) ?? (/^[0-9a-f-]{36}$/i.test(id) ? await byWhere('staging') : undefined);
  };

  // ---- temporary credentials
  const operation = (b: Record<string, unknown>, allowed: string[]): string => {
    const op = reqString(b, 'operation').toUpperCase();
    if (!allowed.includes(op))
      throw new LakeboxError('INVALID_PARAMETER_VALUE', `operation must be one of ${allowed.join(', ')}`);
    return op;
  };
  app.post('/temporary-table-credentials', async (request) => {
    const b = obj(request.body);
    const id = reqString(b, 'table_id');
    const op = operation(b, ['READ', 'READ_WRITE']);
    const pending = staging.get(id);
    if (pending) {
      // a staging table: its creator writes the first commit before registering it
      if (pending.creator !== principalOf(request).name)
        throw new LakeboxError('PERMISSION_DENIED', `User does not own the staging table '${id}'.`, {
          httpStatus: 403,
        });
      await authz(request).require(['USE SCHEMA', 'CREATE TABLE'], {
        type: 'SCHEMA',
        name: `${pending.catalog}.${pending.schema}`,
      });
      return credentialsFor(pending.location);
    }
    const row = await tableById(id);
    if (!row)
      throw new LakeboxError('TABLE_DOES_NOT_EXIST', `Table with id '${id}' does not exist.`, { httpStatus: 404 });
    const full = `${row.c}.${row.s}.${row.t}`;
    await authz(request).require(op === 'READ' ? 'SELECT' : ['SELECT', 'MODIFY'], { type: 'TABLE', name: full });
    const t = await ms.getTable(row.c, row.s, row.t);
    if (!t.storageLocation)
      throw new LakeboxError('INVALID_PARAMETER_VALUE', `Table '${full}' has no storage location (a view?).`);
    return credentialsFor(t.storageLocation);
  });
  app.post('/temporary-volume-credentials', async (request) => {
    const b = obj(request.body);
    const id = reqString(b, 'volume_id');
    const op = operation(b, ['READ_VOLUME', 'WRITE_VOLUME']);
    const row = await opts.db
      .selectFrom('volumes')
      .innerJoin('schemas', 'schemas.id', 'volumes.schema_id')
      .innerJoin('catalogs', 'catalogs.id', 'schemas.catalog_id')
      .select(['volumes.name as v', 'schemas.name as s', 'catalogs.name as c', 'volumes.storage_location as loc'])
      .where('volumes.id', '=', id)
      .executeTakeFirst();
    if (!row)
      throw new LakeboxError('VOLUME_DOES_NOT_EXIST', `Volume with id '${id}' does not exist.`, { httpStatus: 404 });
    await authz(request).require(op === 'READ_VOLUME' ? 'READ VOLUME' : 'WRITE VOLUME', {
      type: 'VOLUME',
      name: `${row.c}.${row.s}.${row.v}`,
    });
    return credentialsFor(row.loc);
  });
  app.post('/temporary-model-version-credentials', async (request) => {
    const b = obj(request.body);
    const full = `${reqString(b, 'catalog_name')}.${reqString(b, 'schema_name')}.${reqString(b, 'model_name')}`;
    const op = operation(b, ['READ_MODEL_VERSION', 'READ_WRITE_MODEL_VERSION']);
    await authz(request).require(op === 'READ_MODEL_VERSION' ? 'EXECUTE' : 'MODIFY', modelSecurable(full));
    const v = await models.getVersion(full, versionOf(String(b.version)));
    if (op === 'READ_WRITE_MODEL_VERSION' && v.status !== 'PENDING_REGISTRATION')
      throw new LakeboxError('INVALID_STATE', `Model version ${v.version} of '${full}' is finalized (read only).`, {
        httpStatus: 400,
      });
    return credentialsFor(v.storageLocation);
  });
  app.post('/temporary-path-credentials', async (request) => {
    const b = obj(request.body);
    const url = reqString(b, 'url');
    operation(b, ['PATH_READ', 'PATH_READ_WRITE', 'PATH_CREATE_TABLE']);
    // No external locations in Lakebox yet: paths outside tables and volumes are for administrators.
    await authz(request).require('MANAGE', { type: 'METASTORE' });
    return credentialsFor(url);
  });

  // ---- catalog-managed Delta commits (Delta's `catalogManaged` table feature)
  /** The managed Delta table a commits request names (by id, checked against its location). */
  const commitTable = async (request: FastifyRequest, b: Record<string, unknown>, write: boolean) => {
    const id = reqString(b, 'table_id');
    const uri = reqString(b, 'table_uri');
    const row = await tableById(id);
    if (!row)
      throw new LakeboxError('TABLE_DOES_NOT_EXIST', `Table with id '${id}' does not exist.`, { httpStatus: 404 });
    const full = `${row.c}.${row.s}.${row.t}`;
    await authz(request).require(write ? ['SELECT', 'MODIFY'] : 'SELECT', { type: 'TABLE', name: full });
    const t = await ms.getTable(row.c, row.s, row.t);
    if (t.tableType !== 'MANAGED' || (t.dataSourceFormat ?? 'DELTA') !== 'DELTA' || !t.storageLocation)
      throw new LakeboxError('INVALID_PARAMETER_VALUE', `Table '${full}' is not a managed Delta table.`);
    if (!sameLocation(locationUrl(t.storageLocation), locationUrl(uri)))
      throw new LakeboxError(
        'INVALID_PARAMETER_VALUE',
        `table_uri '${uri}' is not the location of table '${full}' (${locationUrl(t.storageLocation)}).`,
      );
    return t;
  };
  // Delta's client sends GET with a JSON body, which fastify does not parse for GET.
  const getBody = async (request: FastifyRequest): Promise<Record<string, unknown>> => {
    if (request.body !== undefined) return obj(request.body);
    let text = '';
    for await (const chunk of request.raw) {
      text += String(chunk);
      if (text.length > 64 * 1024) throw new LakeboxError('INVALID_PARAMETER_VALUE', 'the request body is too large');
    }
    if (!text.trim()) return {};
    try {
      return obj(JSON.parse(text));
    } catch {
      throw new LakeboxError('MALFORMED_REQUEST', 'the request body is not valid JSON');
    }
  };
  app.get('/delta/preview/commits', async (request) => {
    const b = await getBody(request);
    const t = await commitTable(request, b, false);
    if (b.start_version === undefined || b.start_version === null)
      throw new LakeboxError('INVALID_PARAMETER_VALUE', 'Field can not be null: start_version');
    const start = parseVersion(b.start_version, 'start_version');
    const end =
      b.end_version === undefined || b.end_version === null ? undefined : parseVersion(b.end_version, 'end_version');
    return commits.getCommits(t.id, start, end);
  });
  app.post('/delta/preview/commits', async (request) => {
    const b = obj(request.body);
    const t = await commitTable(request, b, true);
    const info = b.commit_info === undefined || b.commit_info === null ? undefined : parseCommitInfo(b.commit_info);
    const backfilled =
      b.latest_backfilled_version === undefined || b.latest_backfilled_version === null
        ? undefined
        : parseVersion(b.latest_backfilled_version, 'latest_backfilled_version');
    await commits.commit(t.id, info, backfilled);
    return {};
  });

  app.get('/metastore_summary', async (request) => {
    principalOf(request);
    return { metastore_id: 'lakebox', name: 'lakebox', owner: 'admins' };
  });
};
