/**
 * Writing data files: a DuckDB query's rows become Parquet files in the table's directory, laid out
 * as Spark does (hive partition directories with escaped values, `part-00000-<uuid>-c000.<codec>.parquet`
 * names; random two-character prefixes instead of partition directories when column mapping is on),
 * and `add` actions with statistics. Nothing is committed here: the caller's transaction does that.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { LakeboxError } from '@lakebox/common';
import type { Add, AddCDCFile, Metadata, Remove } from './actions.js';
import { fieldId, physicalName } from './column-mapping.js';
import { constraintError, generatedColumns, withConstraintChecks, withGeneratedValues } from './constraints.js';
import { deleteRowsForWrite } from './dml.js';
import { sqlIdent, sqlString, withConnection } from './duckdb.js';
import { alignmentProjection, assignColumnMapping, reconcileSchema } from './schema-evolution.js';
import {
  isArray,
  isStruct,
  parseSchema,
  serializeSchema,
  type DataType,
  type StructField,
  type StructType,
} from './schema.js';
import { latestVersion, type Snapshot } from './snapshot.js';
import { storeForLocation } from './storage-location.js';
import { predicateSql, type Predicate } from './predicate.js';
import { DeltaTable } from './table.js';
import { Transaction, commitUser, type CommitUser } from './transaction.js';
import type { ObjectStore } from './storage.js';
import { buildStats, statsOptionsFromConfig, type RawColumnStats } from './stats.js';
import { deltaSchemaOfQuery, duckdbTypeName } from './types-duckdb.js';

export const HIVE_DEFAULT_PARTITION = '__HIVE_DEFAULT_PARTITION__';
export const DEFAULT_TARGET_FILE_SIZE = 128 * 1024 * 1024;

export type ColumnMapping = 'none' | 'name' | 'id';

export interface FileWriteSpec {
  /** Logical table schema (with column-mapping metadata when enabled). */
  schema: StructType;
  partitionColumns: string[];
  configuration: Record<string, string>;
  columnMappingMode: ColumnMapping;
  /** false for OPTIMIZE-style rewrites that do not change data. */
  dataChange: boolean;
  /**
   * All rows belong to this one partition (serialised values keyed by physical partition column
   * name), as in OPTIMIZE: no hive split is needed, so files can be cut at the target size and
   * the row order of the source is kept.
   */
  partitionValues?: Record<string, string | null>;
  /** Write change-data files (`_change_data/cdc-*.parquet`, with a `_change_type` column; the source must have it). */
  changeData?: boolean;
  /** Upper bound on the size of one file (DuckDB's FILE_SIZE_BYTES), default `delta.targetFileSize` or 128 MiB. */
  targetFileSize?: number;
}

/** A schema renamed to physical names (nested struct fields included). */
export function physicalSchema(schema: StructType, mode: ColumnMapping): StructType {
  if (mode === 'none') return schema;
  const conv = (t: DataType): DataType => {
    if (isStruct(t))
      return {
        type: 'struct',
        fields: t.fields.map((f) => ({ ...f, name: physicalName(f, mode), type: conv(f.type) })),
      };
    if (isArray(t)) return { ...t, elementType: conv(t.elementType) };
    if (typeof t === 'object' && t.type === 'map')
      return { ...t, keyType: conv(t.keyType), valueType: conv(t.valueType) };
    return t;
  };
  return conv(schema) as StructType;
}

/** Spark's escaping of a partition directory name component (ExternalCatalogUtils.escapePathName). */
export function escapePartitionPathPart(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || c === 0x7f || '"#%\'*/:=?\\{[]^'.includes(ch)) {
      out += `%${c.toString(16).toUpperCase().padStart(2, '0')}`;
    } else out += ch;
  }
  return out;
}

/** Encode a relative file path as a URI path (what `add.path` holds). */
export function encodePathForLog(p: string): string {
  return p
    .split('/')
    .map((seg) => encodeURIComponent(seg).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/')
    .replace(/%3D/g, '=');
}

/** SQL producing Delta's serialised partition value (NULL for null / empty). */
export function partitionValueExprSql(expr: string, t: DataType): string {
  switch (t) {
    case 'string':
      return `NULLIF(CAST(${expr} AS VARCHAR), '')`;
    case 'timestamp':
      return `strftime(timezone('UTC', CAST(${expr} AS TIMESTAMPTZ)), '%Y-%m-%dT%H:%M:%S.%fZ')`;
    case 'timestamp_ntz':
      return `strftime(CAST(${expr} AS TIMESTAMP), '%Y-%m-%d %H:%M:%S.%f')`;
    case 'date':
      return `strftime(CAST(${expr} AS DATE), '%Y-%m-%d')`;
    case 'boolean':
    case 'byte':
    case 'short':
    case 'integer':
    case 'long':
    case 'float':
    case 'double':
      return `CAST(CAST(${expr} AS ${duckdbTypeName(t)}) AS VARCHAR)`;
    default:
      if (typeof t === 'string' && t.startsWith('decimal'))
        return `CAST(CAST(${expr} AS ${duckdbTypeName(t)}) AS VARCHAR)`;
      throw new LakeboxError(
        'DELTA_INVALID_PARTITION_COLUMN_TYPE',
        `Using column of type ${typeof t === 'string' ? t : t.type} as a partition column is not supported.`,
      );
  }
}

/** SQL casting `expr` to type `t`, renaming nested struct fields to physical names when column mapping is on. */
export function physicalValueSql(expr: string, t: DataType, mode: ColumnMapping, depth = 0): string {
  if (mode !== 'none' && isStruct(t)) {
    const parts = t.fields.map(
      (f) =>
        `${sqlIdent(physicalName(f, mode))} := ${physicalValueSql(`(${expr}).${sqlIdent(f.name)}`, f.type, mode, depth + 1)}`,
    );
    return `CASE WHEN (${expr}) IS NULL THEN NULL ELSE struct_pack(${parts.join(', ')}) END`;
  }
  if (mode !== 'none' && isArray(t) && isStruct(t.elementType)) {
    const v = `__e${depth}`;
    return `list_transform(${expr}, ${v} -> ${physicalValueSql(v, t.elementType, mode, depth + 1)})`;
  }
  return `CAST(${expr} AS ${duckdbTypeName(t)})`;
}

function fieldIdsSql(fields: StructField[], mode: ColumnMapping): string | undefined {
  const entries: string[] = [];
  for (const f of fields) {
    const id = fieldId(f);
    if (id === undefined) continue;
    if (isStruct(f.type)) {
      const inner = fieldIdsSql(f.type.fields, mode);
      const body = inner ? inner.slice(1, -1) : '';
      entries.push(`${sqlString(physicalName(f, mode))}: {__duckdb_field_id: ${id}${body ? `, ${body}` : ''}}`);
    } else {
      entries.push(`${sqlString(physicalName(f, mode))}: ${id}`);
    }
  }
  return entries.length ? `{${entries.join(', ')}}` : undefined;
}

const CODECS: Record<string, { duck: string; suffix: string }> = {
  zstd: { duck: 'zstd', suffix: '.zstd' },
  snappy: { duck: 'snappy', suffix: '.snappy' },
  gzip: { duck: 'gzip', suffix: '.gz' },
  lz4: { duck: 'lz4_raw', suffix: '.lz4raw' },
  lz4_raw: { duck: 'lz4_raw', suffix: '.lz4raw' },
  brotli: { duck: 'brotli', suffix: '.br' },
  none: { duck: 'uncompressed', suffix: '' },
  uncompressed: { duck: 'uncompressed', suffix: '' },
};

function codecFor(conf: Record<string, string>): { duck: string; suffix: string } {
  const name = (conf['delta.parquet.compression.codec'] ?? 'zstd').toLowerCase();
  const c = CODECS[name];
  if (!c) {
    throw new LakeboxError(
      'DELTA_INVALID_TABLE_PROPERTY',
      `Unsupported delta.parquet.compression.codec '${name}' (use zstd, snappy, gzip, lz4, brotli or none).`,
    );
  }
  return c;
}

function kvToRecord<T>(v: unknown): Record<string, T> {
  const out: Record<string, T> = {};
  if (Array.isArray(v)) for (const e of v as { key: string; value: T }[]) out[e.key] = e.value;
  else if (v && typeof v === 'object') Object.assign(out, v);
  return out;
}

function randomPrefix(): string {
  const chars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let s = '';
  for (let i = 0; i < 2; i++) s += chars[Math.floor(Math.random() * chars.length)];
  return s;
}

/**
 * Write the rows of `sourceSql` (whose columns carry the table's logical column names; missing
 * ones must already be filled with NULL) as data files of the table, returning their `add` actions.
 * Files are placed in the store before returning; on error, files already placed are deleted.
 */
export async function writeDataFiles(
  conn: DuckDBConnection,
  store: ObjectStore,
  sourceSql: string,
  spec: FileWriteSpec,
): Promise<Add[]> {
  const mode = spec.columnMappingMode;
  const partSet = new Set(spec.partitionColumns.map((c) => c.toLowerCase()));
  const partFields = spec.partitionColumns.map((c) => {
    const f = spec.schema.fields.find((x) => x.name.toLowerCase() === c.toLowerCase());
    if (!f) throw new LakeboxError('DELTA_COLUMN_NOT_FOUND', `Partition column ${c} is not in the table schema.`);
    return f;
  });
  const dataFields = spec.schema.fields.filter((f) => !partSet.has(f.name.toLowerCase()));
  if (spec.changeData) dataFields.push({ name: '_change_type', type: 'string', nullable: true, metadata: {} });
  if (dataFields.length === 0) {
    throw new LakeboxError(
      'DELTA_CANNOT_USE_ALL_COLUMNS_FOR_PARTITION',
      'Cannot use all columns for partition columns.',
    );
  }
  const select: string[] = dataFields.map(
    (f) => `${physicalValueSql(`__src.${sqlIdent(f.name)}`, f.type, mode)} AS ${sqlIdent(physicalName(f, mode))}`,
  );
  const fixed = spec.partitionValues;
  if (!fixed) {
    partFields.forEach((f, i) =>
      select.push(`${partitionValueExprSql(`__src.${sqlIdent(f.name)}`, f.type)} AS "__part_${i}"`),
    );
  }

  const codec = codecFor(spec.configuration);
  const target =
    spec.targetFileSize ??
    (spec.configuration['delta.targetFileSize']
      ? Number(spec.configuration['delta.targetFileSize'])
      : DEFAULT_TARGET_FILE_SIZE);
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'lakebox-write-'));
  const options = [
    'FORMAT parquet',
    `COMPRESSION ${codec.duck}`,
    'RETURN_STATS',
    `FILENAME_PATTERN ${sqlString(`${spec.changeData ? 'cdc' : 'part'}-00000-{uuid}-c000${codec.suffix}`)}`,
  ];
  // DuckDB cannot split files by size within hive partitions: one file per partition there.
  if (partFields.length && !fixed)
    options.push(`PARTITION_BY (${partFields.map((_, i) => `"__part_${i}"`).join(', ')})`);
  else options.push(`FILE_SIZE_BYTES ${Math.max(1024 * 1024, Math.floor(target))}`);
  if (mode !== 'none') {
    const ids = fieldIdsSql(dataFields, mode);
    if (ids) options.push(`FIELD_IDS ${ids}`);
  }
  const dataSchema = physicalSchema({ type: 'struct', fields: dataFields }, mode);
  const statsOpts = statsOptionsFromConfig(spec.configuration);
  const placed: string[] = [];
  try {
    const sql = `COPY (SELECT ${select.join(', ')} FROM (${sourceSql}) AS __src) TO ${sqlString(tmp)} (${options.join(', ')})`;
    const res = await conn.runAndReadAll(sql);
    const rows = res.getRowObjectsJson() as Record<string, unknown>[];
    const adds: Add[] = [];
    for (const r of rows) {
      const local = String(r.filename);
      const count = BigInt(String(r.count));
      if (count === 0n) {
        await fs.rm(local, { force: true });
        continue;
      }
      const keys = kvToRecord<string | null>(r.partition_keys);
      const partitionValues: Record<string, string | null> = {};
      const dirs: string[] = [];
      partFields.forEach((f, i) => {
        const pname = physicalName(f, mode);
        const raw = fixed ? (fixed[pname] ?? fixed[f.name] ?? null) : (keys[`__part_${i}`] ?? null);
        const v = raw === '' ? null : raw;
        partitionValues[pname] = v;
        dirs.push(
          `${escapePartitionPathPart(pname)}=${v === null ? HIVE_DEFAULT_PARTITION : escapePartitionPathPart(v)}`,
        );
      });
      let dir = dirs.join('/');
      if (spec.changeData) dir = dir ? `_change_data/${dir}` : '_change_data';
      if (mode !== 'none') dir = spec.changeData ? `_change_data/${randomPrefix()}` : randomPrefix();
      const rel = dir ? `${dir}/${path.basename(local)}` : path.basename(local);
      const colStats = kvToRecord<unknown>(r.column_statistics);
      const statsIn: Record<string, RawColumnStats> = {};
      for (const [k, v] of Object.entries(colStats)) statsIn[k] = kvToRecord<string>(v) as RawColumnStats;
      const size = Number(r.file_size_bytes);
      await store.putFile(rel, local);
      placed.push(rel);
      adds.push({
        path: encodePathForLog(rel),
        partitionValues,
        size,
        modificationTime: Date.now(),
        dataChange: spec.dataChange,
        ...(spec.changeData ? {} : { stats: buildStats(dataSchema, count, statsIn, statsOpts) }),
      });
    }
    return adds;
  } catch (e) {
    await Promise.all(placed.map((p) => store.delete(p).catch(() => undefined)));
    throw e;
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

/** Delete files written by `writeDataFiles` that will not be committed. */
export async function discardDataFiles(store: ObjectStore, adds: Add[]): Promise<void> {
  await Promise.all(adds.map((a) => store.delete(decodeURIComponent(a.path)).catch(() => undefined)));
}

// ---------------------------------------------------------------------------------------------
// writeToTable: DataFrameWriter-style writes (append / overwrite / replaceWhere / create).
// ---------------------------------------------------------------------------------------------

/** Rows to write: a DuckDB query (streamed), or JS objects (keys = column names). */
export type WriteSource = { sql: string } | { rows: Record<string, unknown>[] };

export type WriteMode = 'append' | 'overwrite' | 'errorIfExists' | 'ignore';

export interface WriteOptions extends CommitUser {
  mode?: WriteMode;
  /** Partition columns when the write creates (or, with overwriteSchema, replaces) the table. */
  partitionBy?: string[];
  /** Overwrite only rows matching this condition; written rows must match it too. */
  replaceWhere?: Condition;
  /** Add columns present in the data but not in the table. */
  mergeSchema?: boolean;
  /** With mode 'overwrite': replace the table schema (and partitioning) by the data's. */
  overwriteSchema?: boolean;
  /** Idempotent writes: skip when this application already committed this (or a later) version. */
  txnAppId?: string;
  txnVersion?: number;
  /** Table properties for a table the write creates. */
  configuration?: Record<string, string>;
  /** Name / description for a table the write creates. */
  name?: string;
  description?: string;
  /** Run on this DuckDB connection (e.g. one holding temp tables the source query refers to). */
  connection?: DuckDBConnection;
  /** Spark's `dataChange` option: false marks a rearrangement of existing data (default true). */
  dataChange?: boolean;
  /** The commit's operation name (default `WRITE`, as DataFrameWriter; SQL uses e.g. `CREATE TABLE AS SELECT`). */
  operation?: string;
  /** CREATE TABLE AS SELECT: recorded as the commit's `isManaged` parameter. */
  isManaged?: boolean;
}

export interface WriteResult {
  /** The version committed (or the current version when nothing was written). */
  version: number;
  /** True when nothing was committed: mode 'ignore' on an existing table, or a txn already applied. */
  skipped: boolean;
  numFiles: number;
  numOutputRows: number;
  numOutputBytes: number;
  numRemovedFiles: number;
}

/** A row condition: DuckDB SQL over the table's logical column names, or a structured predicate. */
export type Condition = string | Predicate;

/** The SQL text of a condition. */
export function conditionSql(c: Condition): string {
  return typeof c === 'string' ? c : predicateSql(c);
}

/** Turn JS row objects into a DuckDB query by way of a temporary newline-delimited JSON file. */
async function rowsSource(
  rows: Record<string, unknown>[],
  schema: StructType | undefined,
  tmpFiles: string[],
): Promise<string> {
  const file = path.join(os.tmpdir(), `lakebox-rows-${randomUUID()}.json`);
  tmpFiles.push(file);
  const text = rows
    .map((r) =>
      JSON.stringify(r, (_k, v: unknown) => {
        if (typeof v === 'bigint') return v.toString();
        // Binary travels as hex text (decoded with from_hex for binary columns of an existing table).
        if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
        return v;
      }),
    )
    .join('\n');
  await fs.writeFile(file, text);
  const names = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) names.add(k);
  if (rows.length === 0 && !schema) {
    throw new LakeboxError(
      'DELTA_EMPTY_DATA',
      'Cannot infer a schema from zero rows: create the table first or pass a query.',
    );
  }
  const tableFields = schema?.fields ?? [];
  // Columns the table knows get the table's type (so dates, decimals, timestamps parse exactly);
  // others are inferred by DuckDB.
  const known = [...names].filter((n) => tableFields.some((f) => f.name.toLowerCase() === n.toLowerCase()));
  if (rows.length === 0) {
    return `SELECT ${tableFields.map((f) => `CAST(NULL AS ${duckdbTypeName(f.type)}) AS ${sqlIdent(f.name)}`).join(', ')} WHERE false`;
  }
  if (known.length === names.size && known.length > 0) {
    const binary: string[] = [];
    const cols = known.map((n) => {
      const f = tableFields.find((x) => x.name.toLowerCase() === n.toLowerCase())!;
      if (f.type === 'binary') binary.push(n);
      return `${sqlString(n)}: ${sqlString(f.type === 'binary' ? 'VARCHAR' : duckdbTypeName(f.type))}`;
    });
    const read = `SELECT * FROM read_json(${sqlString(file)}, format = 'newline_delimited', columns = {${cols.join(', ')}})`;
    if (binary.length === 0) return read;
    return `SELECT * REPLACE (${binary.map((n) => `from_hex(${sqlIdent(n)}) AS ${sqlIdent(n)}`).join(', ')}) FROM (${read}) AS __rows`;
  }
  return `SELECT * FROM read_json(${sqlString(file)}, format = 'newline_delimited', sample_size = -1)`;
}

export function removeFor(a: Add, now: number, dataChange = true): Remove {
  return {
    path: a.path,
    deletionTimestamp: now,
    dataChange,
    extendedFileMetadata: true,
    partitionValues: a.partitionValues,
    size: a.size,
    ...(a.stats ? { stats: a.stats } : {}),
    ...(a.tags ? { tags: a.tags } : {}),
    ...(a.deletionVector ? { deletionVector: a.deletionVector } : {}),
    ...(a.baseRowId !== undefined && a.baseRowId !== null ? { baseRowId: a.baseRowId } : {}),
    ...(a.defaultRowCommitVersion !== undefined && a.defaultRowCommitVersion !== null
      ? { defaultRowCommitVersion: a.defaultRowCommitVersion }
      : {}),
  };
}

function storeOf(target: DeltaTable | ObjectStore | string): ObjectStore {
  if (target instanceof DeltaTable) return target.store;
  return typeof target === 'string' ? storeForLocation(target) : target;
}

function modeName(m: WriteMode): string {
  return { append: 'Append', overwrite: 'Overwrite', errorIfExists: 'ErrorIfExists', ignore: 'Ignore' }[m];
}

function columnMappingOf(conf: Record<string, string>): ColumnMapping {
  const m = (conf['delta.columnMapping.mode'] ?? 'none').toLowerCase();
  return m === 'name' || m === 'id' ? m : 'none';
}

/** Metadata for a schema change: new column-mapping ids for new fields when mapping is on. */
export function metadataWithSchema(base: Metadata, schema: StructType, partitionColumns?: string[]): Metadata {
  const conf = { ...base.configuration };
  let s = schema;
  if (columnMappingOf(conf) !== 'none') {
    const r = assignColumnMapping(schema, Number(conf['delta.columnMapping.maxColumnId'] ?? 0));
    s = r.schema;
    conf['delta.columnMapping.maxColumnId'] = String(r.maxColumnId);
  }
  return {
    ...base,
    schemaString: serializeSchema(s),
    configuration: conf,
    ...(partitionColumns ? { partitionColumns } : {}),
  };
}

function checkPartitionBy(schema: StructType, partitionBy: string[]): string[] {
  return partitionBy.map((c) => {
    const f = schema.fields.find((x) => x.name.toLowerCase() === c.toLowerCase());
    if (!f) {
      throw new LakeboxError(
        'DELTA_PARTITION_COLUMN_NOT_FOUND',
        `Partition column \`${c}\` not found in schema [${schema.fields.map((x) => x.name).join(', ')}]`,
        {
          sqlState: '42703',
        },
      );
    }
    return f.name;
  });
}

/** Spark's replaceWhere check, folded into the data like a constraint. */
function withReplaceWhereCheck(sourceSql: string, schema: StructType, cond: string): string {
  const first = sqlIdent(schema.fields[0]!.name);
  const msg = sqlString(
    `@@LAKEBOX@@DELTA_REPLACE_WHERE_MISMATCH@@LAKEBOX@@Written data does not conform to partial table overwrite condition or constraint '${cond}'.`,
  );
  return `SELECT * REPLACE (CASE WHEN (${cond}) IS NOT TRUE THEN error(${msg}) ELSE __rw.${first} END AS ${first}) FROM (${sourceSql}) AS __rw`;
}

/**
 * Write rows to a Delta table at `target`, creating it when absent (Spark's DataFrameWriter
 * semantics for modes, mergeSchema, overwriteSchema, replaceWhere and idempotent txn writes).
 */
export async function writeToTable(
  target: DeltaTable | ObjectStore | string,
  source: WriteSource,
  opts: WriteOptions = {},
): Promise<WriteResult> {
  const store = storeOf(target);
  const mode = opts.mode ?? 'append';
  const exists = (await latestVersion(store)) !== undefined;
  if (exists && mode === 'errorIfExists') {
    throw new LakeboxError('DELTA_TABLE_ALREADY_EXISTS', `A Delta table already exists at ${store.url}.`, {
      sqlState: '42P07',
      httpStatus: 409,
    });
  }
  const run = async (conn: DuckDBConnection): Promise<WriteResult> => {
    let txn: Transaction;
    let snapshot: Snapshot | undefined;
    if (exists) {
      const table = await DeltaTable.open(store);
      txn = await table.startTransaction();
      snapshot = txn.readSnapshot;
      const done = {
        version: snapshot.version,
        skipped: true,
        numFiles: 0,
        numOutputRows: 0,
        numOutputBytes: 0,
        numRemovedFiles: 0,
      };
      if (mode === 'ignore') return done;
      if (opts.txnAppId !== undefined && opts.txnVersion !== undefined) {
        const recorded = snapshot.appTransactionVersion(opts.txnAppId);
        if (recorded !== undefined && opts.txnVersion <= recorded) return done;
      }
    } else {
      txn = new Transaction(store, undefined);
    }
    const tmpFiles: string[] = [];
    let adds: Add[] = [];
    let rewritten: Add[] = [];
    let cdc: AddCDCFile[] = [];
    try {
      const tableSchemaForRows =
        snapshot && !(mode === 'overwrite' && opts.overwriteSchema) ? snapshot.schema : undefined;
      const sourceSql = 'sql' in source ? source.sql : await rowsSource(source.rows, tableSchemaForRows, tmpFiles);
      const dataSchema = await deltaSchemaOfQuery(conn, sourceSql);

      // The metadata the commit will carry.
      let metadata: Metadata;
      let metadataChanged = false;
      if (!snapshot || (mode === 'overwrite' && opts.overwriteSchema)) {
        if (snapshot && opts.replaceWhere !== undefined) {
          throw new LakeboxError(
            'DELTA_REPLACE_WHERE_WITH_OVERWRITE_SCHEMA',
            "'replaceWhere' cannot be used with 'overwriteSchema'.",
          );
        }
        const partitionColumns = checkPartitionBy(dataSchema, opts.partitionBy ?? []);
        const base: Metadata = snapshot
          ? { ...snapshot.metadata }
          : {
              id: randomUUID(),
              ...(opts.name !== undefined ? { name: opts.name } : {}),
              ...(opts.description !== undefined ? { description: opts.description } : {}),
              format: { provider: 'parquet', options: {} },
              schemaString: '',
              partitionColumns,
              configuration: { ...(opts.configuration ?? {}) },
              createdTime: Date.now(),
            };
        if (snapshot) {
          // A replaced schema starts column mapping afresh.
          base.configuration = { ...base.configuration };
        }
        metadata = metadataWithSchema(base, dataSchema, partitionColumns);
        metadataChanged = true;
      } else {
        if (opts.partitionBy && opts.partitionBy.length > 0) {
          const given = opts.partitionBy.map((c) => c.toLowerCase()).join(',');
          const have = snapshot.partitionColumns.map((c) => c.toLowerCase()).join(',');
          if (given !== have) {
            throw new LakeboxError(
              'DELTA_PARTITION_COLUMNS_MISMATCH',
              `Partition columns do not match the partition columns of the table.\nGiven: [${opts.partitionBy.join(', ')}]\nTable: [${snapshot.partitionColumns.join(', ')}]`,
            );
          }
        }
        const rec = reconcileSchema(snapshot.schema, dataSchema, {
          mergeSchema: opts.mergeSchema,
          tableId: snapshot.metadata.id,
        });
        metadata = snapshot.metadata;
        if (rec.changed) {
          metadata = metadataWithSchema(snapshot.metadata, rec.schema);
          metadataChanged = true;
        }
      }
      const schema = parseSchema(metadata.schemaString);
      const conf = metadata.configuration ?? {};
      if (metadataChanged) txn.updateMetadata(metadata);

      let aligned = `SELECT ${alignmentProjection(schema, dataSchema)} FROM (${sourceSql}) AS __data`;
      // Generated columns the data does not provide are computed from the other columns.
      const missingGenerated = new Set(
        generatedColumns(schema)
          .map((g) => g.name)
          .filter((n) => !dataSchema.fields.some((f) => f.name.toLowerCase() === n.toLowerCase())),
      );
      if (missingGenerated.size) aligned = withGeneratedValues(aligned, schema, missingGenerated);
      aligned = withConstraintChecks(aligned, schema, conf);
      const replaceWhere =
        opts.replaceWhere !== undefined && mode === 'overwrite' && snapshot ? opts.replaceWhere : undefined;
      if (replaceWhere !== undefined) aligned = withReplaceWhereCheck(aligned, schema, conditionSql(replaceWhere));

      try {
        adds = await writeDataFiles(conn, store, aligned, {
          schema,
          partitionColumns: metadata.partitionColumns,
          configuration: conf,
          columnMappingMode: columnMappingOf(conf),
          dataChange: opts.dataChange !== false,
        });
      } catch (e) {
        throw constraintError(e);
      }

      // What the write replaces.
      let removes: Remove[] = [];
      const now = Date.now();
      if (snapshot && mode === 'overwrite') {
        if (replaceWhere !== undefined) {
          const r = await deleteRowsForWrite(conn, txn, snapshot, replaceWhere);
          removes = r.removes;
          rewritten = r.adds;
          cdc = r.cdc;
          // With change data, the new rows are inserts of this commit too.
          if (cdc.length) {
            const inserted = await writeDataFiles(
              conn,
              store,
              `SELECT *, 'insert' AS _change_type FROM (${aligned}) AS __ins`,
              {
                schema,
                partitionColumns: metadata.partitionColumns,
                configuration: conf,
                columnMappingMode: columnMappingOf(conf),
                dataChange: false,
                changeData: true,
              },
            );
            cdc.push(
              ...inserted.map((a) => ({
                path: a.path,
                partitionValues: a.partitionValues,
                size: a.size,
                dataChange: false,
              })),
            );
          }
        } else {
          txn.readWholeTable();
          removes = snapshot.activeFiles().map((a) => removeFor(a, now, opts.dataChange !== false));
        }
      }
      txn.addFiles([...rewritten, ...adds]);
      txn.removeFiles(removes);
      if (cdc.length) txn.addCdc(cdc);
      if (opts.txnAppId !== undefined && opts.txnVersion !== undefined)
        txn.setAppTransaction(opts.txnAppId, opts.txnVersion);
      const numOutputRows = adds.reduce((n, a) => n + numRecordsOf(a), 0);
      const numOutputBytes = adds.reduce((n, a) => n + a.size, 0);
      const params: Record<string, unknown> = { mode: modeName(mode), partitionBy: metadata.partitionColumns };
      if (replaceWhere !== undefined) params.predicate = [conditionSql(replaceWhere)];
      const result = await txn.commit({
        operation: opts.operation ?? 'WRITE',
        ...commitUser(opts),
        operationParameters:
          opts.operation === 'CREATE TABLE AS SELECT' || opts.operation === 'CREATE OR REPLACE TABLE AS SELECT'
            ? { ...params, isManaged: String(opts.isManaged === true), description: opts.description, properties: conf }
            : params,
        operationMetrics: {
          numFiles: adds.length,
          numOutputRows,
          numOutputBytes,
          ...(removes.length ? { numRemovedFiles: removes.length } : {}),
        },
        isBlindAppend: !(snapshot && mode === 'overwrite'),
      });
      if (result.skipped) {
        await discardDataFiles(store, [...adds, ...rewritten, ...cdc.map((c) => ({ ...c, modificationTime: 0 }))]);
        return {
          version: result.version,
          skipped: true,
          numFiles: 0,
          numOutputRows: 0,
          numOutputBytes: 0,
          numRemovedFiles: 0,
        };
      }
      return {
        version: result.version,
        skipped: false,
        numFiles: adds.length,
        numOutputRows,
        numOutputBytes,
        numRemovedFiles: removes.length,
      };
    } catch (e) {
      await discardDataFiles(store, [...adds, ...rewritten, ...cdc.map((c) => ({ ...c, modificationTime: 0 }))]);
      throw e;
    } finally {
      await Promise.all(tmpFiles.map((f) => fs.rm(f, { force: true })));
    }
  };
  try {
    return await (opts.connection ? run(opts.connection) : withUtcConnection(run));
  } catch (e) {
    throw userSqlError(e);
  }
}

/**
 * A fresh connection with the session time zone set to UTC, so that conversions between
 * timestamps and text or dates do not depend on the machine's zone (a caller's own connection
 * is used as it is).
 */
export async function withUtcConnection<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  return withConnection(async (conn) => {
    await conn.run(`SET TimeZone = 'UTC'`);
    return fn(conn);
  });
}

const DUCKDB_ERRORS: [RegExp, string, string][] = [
  [
    /^Binder Error: .*(not found|does not have a column|Referenced column|could not find|Could not find|not in the)/s,
    'UNRESOLVED_COLUMN.WITH_SUGGESTION',
    '42703',
  ],
  [/^Binder Error:/, 'DATATYPE_MISMATCH', '42K09'],
  [/^Parser Error:/, 'PARSE_SYNTAX_ERROR', '42601'],
  [/^Conversion Error:/, 'CAST_INVALID_INPUT', '22018'],
  [/^Out of Range Error:/, 'NUMERIC_VALUE_OUT_OF_RANGE', '22003'],
  [/^Catalog Error: .*Function/s, 'UNRESOLVED_ROUTINE', '42883'],
  [/^Catalog Error:/, 'TABLE_OR_VIEW_NOT_FOUND', '42P01'],
  [/^Invalid Input Error:/, 'INVALID_INPUT', '22023'],
];

/**
 * A DuckDB error caused by the caller's SQL (a condition, an expression, the source query) as a
 * LakeboxError with the closest Spark error class; other errors are returned unchanged.
 */
export function userSqlError(e: unknown): unknown {
  const c = constraintError(e);
  if (c !== e || !(e instanceof Error) || e instanceof LakeboxError) return c;
  for (const [re, code, sqlState] of DUCKDB_ERRORS) {
    if (re.test(e.message)) return new LakeboxError(code, e.message, { sqlState, cause: e });
  }
  return e;
}

/** numRecords from an add's stats (0 when absent). */
export function numRecordsOf(a: Add): number {
  if (!a.stats) return 0;
  try {
    return Number((JSON.parse(a.stats) as { numRecords?: number }).numRecords ?? 0);
  } catch {
    return 0;
  }
}
