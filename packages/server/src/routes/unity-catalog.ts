import type { FastifyPluginAsync } from 'fastify';
import { LakeboxError } from '@lakebox/common';
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
import { principalOf } from '../context.js';
import type { LakeboxPluginOptions } from '../context.js';

// Unity Catalog REST shapes (a minimal subset: catalogs, schemas, tables; list/get/create/delete).

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

export function tableJson(t: TableInfo): Record<string, unknown> {
  return {
    name: t.name,
    catalog_name: t.catalog,
    schema_name: t.schema,
    full_name: t.fullName,
    table_id: t.id,
    table_type: t.tableType,
    data_source_format: t.dataSourceFormat ?? undefined,
    storage_location: t.storageLocation ?? undefined,
    view_definition: t.viewDefinition ?? undefined,
    columns: t.columns.map((c, i) => ({
      name: c.name,
      type_text: c.typeText,
      type_name: typeNameOf(c.typeText),
      ...(c.typeJson ? { type_json: c.typeJson } : {}),
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
    storage_location: v.storageLocation,
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

export const unityCatalogRoutes: FastifyPluginAsync<LakeboxPluginOptions> = async (app, opts) => {
  const ms = opts.metastore;

  // ---- catalogs
  app.get('/catalogs', async () => ({ catalogs: (await ms.listCatalogs()).map(catalogJson) }));
  app.post('/catalogs', async (request) => {
    const b = obj(request.body);
    const c = await ms.createCatalog({
      name: reqString(b, 'name'),
      owner: principalOf(request).name,
      comment: optString(b, 'comment') ?? null,
      properties: props(b),
      storageRoot: optString(b, 'storage_root') ?? null,
    });
    return catalogJson(c);
  });
  app.get<{ Params: { name: string } }>('/catalogs/:name', async (request) =>
    catalogJson(await ms.getCatalog(request.params.name)),
  );
  app.patch<{ Params: { name: string } }>('/catalogs/:name', async (request) => {
    const b = obj(request.body);
    const c = await ms.updateCatalog(request.params.name, principalOf(request).name, {
      newName: optString(b, 'new_name'),
      comment: optString(b, 'comment'),
      owner: optString(b, 'owner'),
      properties: props(b),
    });
    return catalogJson(c);
  });
  app.delete<{ Params: { name: string }; Querystring: { force?: string } }>('/catalogs/:name', async (request) => {
    principalOf(request);
    await ms.dropCatalog(request.params.name, { cascade: truthy(request.query.force) });
    return {};
  });

  // ---- schemas
  app.get<{ Querystring: { catalog_name?: string } }>('/schemas', async (request) => {
    const catalog = request.query.catalog_name;
    if (!catalog) throw new LakeboxError('INVALID_PARAMETER_VALUE', 'catalog_name is required');
    return { schemas: (await ms.listSchemas(catalog)).map(schemaJson) };
  });
  app.post('/schemas', async (request) => {
    const b = obj(request.body);
    const s = await ms.createSchema({
      catalog: reqString(b, 'catalog_name'),
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
    return schemaJson(await ms.getSchema(c!, s!));
  });
  app.patch<{ Params: { full: string } }>('/schemas/:full', async (request) => {
    const [c, s] = splitFullName(request.params.full, 2, 'schema');
    const b = obj(request.body);
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
    await ms.dropSchema(c!, s!, { cascade: truthy(request.query.force) });
    return {};
  });

  // ---- tables
  app.get<{ Querystring: { catalog_name?: string; schema_name?: string } }>('/tables', async (request) => {
    const { catalog_name, schema_name } = request.query;
    if (!catalog_name || !schema_name)
      throw new LakeboxError('INVALID_PARAMETER_VALUE', 'catalog_name and schema_name are required');
    return { tables: (await ms.listTables(catalog_name, schema_name)).map(tableJson) };
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
    const t = await ms.createTable({
      catalog: reqString(b, 'catalog_name'),
      schema: reqString(b, 'schema_name'),
      name: reqString(b, 'name'),
      owner: principalOf(request).name,
      tableType,
      dataSourceFormat: optString(b, 'data_source_format') ?? null,
      storageLocation: optString(b, 'storage_location') ?? null,
      viewDefinition: optString(b, 'view_definition') ?? null,
      columns,
      comment: optString(b, 'comment') ?? null,
      properties: props(b),
    });
    return tableJson(t);
  });
  app.get<{ Params: { full: string } }>('/tables/:full', async (request) => {
    const [c, s, t] = splitFullName(request.params.full, 3, 'table');
    return tableJson(await ms.getTable(c!, s!, t!));
  });
  app.delete<{ Params: { full: string } }>('/tables/:full', async (request) => {
    const [c, s, t] = splitFullName(request.params.full, 3, 'table');
    await ms.dropTable(c!, s!, t!);
    return {};
  });

  // ---- volumes
  app.get<{ Querystring: { catalog_name?: string; schema_name?: string } }>('/volumes', async (request) => {
    const { catalog_name, schema_name } = request.query;
    if (!catalog_name || !schema_name)
      throw new LakeboxError('INVALID_PARAMETER_VALUE', 'catalog_name and schema_name are required');
    return { volumes: (await ms.listVolumes(catalog_name, schema_name)).map(volumeJson) };
  });
  app.post('/volumes', async (request) => {
    const b = obj(request.body);
    const type = (optString(b, 'volume_type') ?? 'MANAGED').toUpperCase();
    if (type !== 'MANAGED' && type !== 'EXTERNAL')
      throw new LakeboxError('INVALID_PARAMETER_VALUE', 'volume_type must be MANAGED or EXTERNAL');
    const v = await ms.createVolume({
      catalog: reqString(b, 'catalog_name'),
      schema: reqString(b, 'schema_name'),
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
    return volumeJson(await ms.getVolume(c!, s!, v!));
  });
  app.delete<{ Params: { full: string } }>('/volumes/:full', async (request) => {
    const [c, s, v] = splitFullName(request.params.full, 3, 'volume');
    await ms.dropVolume(c!, s!, v!);
    return {};
  });

  // ---- SQL functions
  app.get<{ Querystring: { catalog_name?: string; schema_name?: string } }>('/functions', async (request) => {
    const { catalog_name, schema_name } = request.query;
    if (!catalog_name || !schema_name)
      throw new LakeboxError('INVALID_PARAMETER_VALUE', 'catalog_name and schema_name are required');
    return { functions: (await ms.listFunctions(catalog_name, schema_name)).map(functionJson) };
  });
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
    const f = await ms.createFunction({
      catalog: reqString(fi, 'catalog_name'),
      schema: reqString(fi, 'schema_name'),
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
    return functionJson(await ms.getFunction(c!, s!, f!));
  });
  app.delete<{ Params: { full: string } }>('/functions/:full', async (request) => {
    const [c, s, f] = splitFullName(request.params.full, 3, 'function');
    await ms.dropFunction(c!, s!, f!);
    return {};
  });
};
