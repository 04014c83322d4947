/**
 * DELETE, UPDATE and MERGE on Delta tables, copy-on-write: the files that hold affected rows are
 * rewritten without (or with changed) rows and removed in the same commit; files that cannot hold
 * affected rows are left alone. Conditions and expressions are DuckDB SQL over the table's logical
 * column names (MERGE: qualified by the source and target aliases).
 */
import { randomUUID } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { LakeboxError } from '@lakebox/common';
import type { Add, AddCDCFile, Remove } from './actions.js';
import { constraintError, withConstraintChecks, withGeneratedValues } from './constraints.js';
import { sqlIdent, sqlString } from './duckdb.js';
import { logicalValueSql, physicalName } from './column-mapping.js';
import { loadDeletionVector } from './deletion-vectors.js';
import { partitionValueSql } from './partition-values.js';
import { pruneFiles, type Predicate } from './predicate.js';
import { dataFilePath } from './scan.js';
import type { DataType, StructType } from './schema.js';
import type { Snapshot } from './snapshot.js';
import type { ObjectStore } from './storage.js';
import { storeForLocation } from './storage-location.js';
import { DeltaTable } from './table.js';
import { commitUser, type CommitUser, type Transaction } from './transaction.js';
import { deltaSchemaFromDuckDB, duckdbTypeName } from './types-duckdb.js';
import { reconcileSchema } from './schema-evolution.js';
import { parseSchema } from './schema.js';
import {
  conditionSql,
  discardDataFiles,
  metadataWithSchema,
  numRecordsOf,
  removeFor,
  writeDataFiles,
  userSqlError,
  withUtcConnection,
  type Condition,
} from './write.js';

export interface DmlOptions extends CommitUser {
  /** Run on this DuckDB connection (e.g. one holding temp tables a MERGE source refers to). */
  connection?: DuckDBConnection;
}

export interface DmlResult {
  version: number;
  /** Spark-style operation metrics as committed (numbers). */
  metrics: Record<string, number>;
}

function storeOf(target: DeltaTable | ObjectStore | string): ObjectStore {
  if (target instanceof DeltaTable) return target.store;
  return typeof target === 'string' ? storeForLocation(target) : target;
}

async function openTable(target: DeltaTable | ObjectStore | string): Promise<DeltaTable> {
  return target instanceof DeltaTable ? target : DeltaTable.open(storeOf(target));
}

/**
 * SQL reading the rows of `files` (deletion vectors applied) with the table's logical columns,
 * plus `__file` (the add path) and `__row` (row index in the Parquet file). Built from the read
 * side's pieces (file paths, deletion vectors, column mapping, partition values).
 */
export async function scanFilesSql(conn: DuckDBConnection, snapshot: Snapshot, files: Add[]): Promise<string> {
  const schema = snapshot.schema;
  const mode = snapshot.columnMappingMode;
  const parts = new Set(snapshot.partitionColumns.map((c) => c.toLowerCase()));
  const partFields = schema.fields.filter((f) => parts.has(f.name.toLowerCase()));
  if (files.length === 0) {
    return `SELECT ${[
      ...schema.fields.map((f) => `CAST(NULL AS ${duckdbTypeName(f.type)}) AS ${sqlIdent(f.name)}`),
      'CAST(NULL AS VARCHAR) AS __file',
      'CAST(NULL AS BIGINT) AS __row',
    ].join(', ')} WHERE false`;
  }
  const locals: string[] = [];
  const dvs: (number[] | undefined)[] = [];
  for (const f of files) {
    locals.push(await dataFilePath(snapshot.store, f.path));
    dvs.push(f.deletionVector ? await loadDeletionVector(snapshot.store, f.deletionVector) : undefined);
  }
  const hasDv = dvs.some((d) => d !== undefined && d.length > 0);
  const list = `[${[...new Set(locals)].map(sqlString).join(', ')}]`;
  const present = new Set(
    (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${list}, union_by_name = true)`))
      .getRowObjectsJson()
      .map((r) => String(r.column_name)),
  );
  const cols: string[] = [];
  for (const f of schema.fields) {
    if (parts.has(f.name.toLowerCase())) {
      cols.push(`__pv.${sqlIdent(`__pv_${partFields.indexOf(f)}`)} AS ${sqlIdent(f.name)}`);
      continue;
    }
    const phys = physicalName(f, mode);
    cols.push(
      present.has(phys)
        ? `${logicalValueSql(`__p.${sqlIdent(phys)}`, f.type, mode)} AS ${sqlIdent(f.name)}`
        : `CAST(NULL AS ${duckdbTypeName(f.type)}) AS ${sqlIdent(f.name)}`,
    );
  }
  const values = files
    .map((a, i) => {
      const pvs = a.partitionValues ?? {};
      const pv = partFields.map((f) => {
        const key = physicalName(f, mode);
        return partitionValueSql(key in pvs ? pvs[key] : pvs[f.name], f.type);
      });
      const dv = dvs[i];
      const dvSql = dv && dv.length > 0 ? `[${dv.join(', ')}]::BIGINT[]` : 'CAST(NULL AS BIGINT[])';
      return `(${[sqlString(locals[i]!), sqlString(a.path), dvSql, ...pv].join(', ')})`;
    })
    .join(', ');
  const pvCols = ['__fn', '__path', '__dv', ...partFields.map((_, i) => `__pv_${i}`)].join(', ');
  const dvWhere = hasDv ? ' WHERE __pv.__dv IS NULL OR NOT list_contains(__pv.__dv, __p.file_row_number)' : '';
  return (
    `SELECT ${cols.join(', ')}, __pv.__path AS __file, __p.file_row_number AS __row ` +
    `FROM read_parquet(${list}, filename = true, file_row_number = true, union_by_name = true) AS __p ` +
    `JOIN (VALUES ${values}) AS __pv(${pvCols}) ON __p.filename = __pv.__fn${dvWhere}`
  );
}

function tableColumns(schema: StructType): string {
  return schema.fields.map((f) => sqlIdent(f.name)).join(', ');
}

function fileWriteSpec(snapshot: Snapshot, dataChange = true) {
  return {
    schema: snapshot.schema,
    partitionColumns: snapshot.partitionColumns,
    configuration: snapshot.metadata.configuration ?? {},
    columnMappingMode: snapshot.columnMappingMode,
    dataChange,
  };
}

/** Write rows (table's logical columns) as new files, enforcing constraints. */
async function writeRows(conn: DuckDBConnection, snapshot: Snapshot, sql: string): Promise<Add[]> {
  // Generated columns follow the values they are computed from.
  const checked = withConstraintChecks(
    withGeneratedValues(sql, snapshot.schema),
    snapshot.schema,
    snapshot.metadata.configuration ?? {},
  );
  try {
    return await writeDataFiles(conn, snapshot.store, checked, fileWriteSpec(snapshot));
  } catch (e) {
    throw constraintError(e);
  }
}

function predicateColumns(p: Predicate, out: string[] = []): string[] {
  if (p.op === 'and' || p.op === 'or') {
    for (const a of p.args) predicateColumns(a, out);
  } else if (p.op === 'not') predicateColumns(p.arg, out);
  else if ('column' in p) out.push(p.column);
  return out;
}

/**
 * The files that may hold rows matching `cond`, and whether they match entirely (a condition on
 * partition columns only, decided per file without reading data).
 */
async function candidateFiles(
  conn: DuckDBConnection,
  snapshot: Snapshot,
  cond: Condition,
): Promise<{ files: Add[]; whole: boolean }> {
  const all = snapshot.activeFiles();
  const parts = new Set(snapshot.partitionColumns.map((c) => c.toLowerCase()));
  if (typeof cond !== 'string') {
    const files = pruneFiles(snapshot, cond);
    const cols = predicateColumns(cond);
    return { files, whole: parts.size > 0 && cols.every((c) => parts.has(c.toLowerCase())) };
  }
  if (onlyPartitionColumns(cond, snapshot)) {
    const hit = await filesMatchingPartitions(conn, snapshot, all, cond);
    return { files: all.filter((a) => hit.has(a.path)), whole: true };
  }
  return { files: all, whole: false };
}

function cdfEnabled(snapshot: Snapshot): boolean {
  return (snapshot.metadata.configuration?.['delta.enableChangeDataFeed'] ?? '').toLowerCase() === 'true';
}

/** Write change-data rows (table columns plus `_change_type`) as `_change_data/` files. */
async function writeChanges(conn: DuckDBConnection, snapshot: Snapshot, sql: string): Promise<AddCDCFile[]> {
  const adds = await writeDataFiles(conn, snapshot.store, sql, {
    ...fileWriteSpec(snapshot),
    dataChange: false,
    changeData: true,
  });
  return adds.map((a) => ({ path: a.path, partitionValues: a.partitionValues, size: a.size, dataChange: false }));
}

/** Whether a condition mentions only partition columns (so it can be decided per file). */
function onlyPartitionColumns(cond: string, snapshot: Snapshot): boolean {
  const parts = new Set(snapshot.partitionColumns.map((c) => c.toLowerCase()));
  const dataCols = snapshot.schema.fields
    .filter((f) => !parts.has(f.name.toLowerCase()))
    .map((f) => f.name.toLowerCase());
  const words = cond.toLowerCase().match(/[a-z_][a-z0-9_]*/g) ?? [];
  return parts.size > 0 && !words.some((w) => dataCols.includes(w));
}

/** Files whose partition values satisfy a partition-only condition. */
async function filesMatchingPartitions(
  conn: DuckDBConnection,
  snapshot: Snapshot,
  files: Add[],
  cond: string,
): Promise<Set<string>> {
  if (files.length === 0) return new Set();
  const mode = snapshot.columnMappingMode;
  const partFields = snapshot.partitionColumns.map((c) =>
    snapshot.schema.fields.find((f) => f.name.toLowerCase() === c.toLowerCase())!,
  );
  const values = files
    .map(
      (a) =>
        `(${[sqlString(a.path), ...partFields.map((f) => partitionValueSql(a.partitionValues?.[physicalName(f, mode)] ?? null, f.type))].join(', ')})`,
    )
    .join(', ');
  const cols = ['__path', ...partFields.map((f) => sqlIdent(f.name))].join(', ');
  const rows = (
    await conn.runAndReadAll(`SELECT __path FROM (VALUES ${values}) AS __f(${cols}) WHERE (${cond}) IS TRUE`)
  ).getRowObjectsJson();
  return new Set(rows.map((r) => String(r.__path)));
}

interface RewriteOutcome {
  removes: Remove[];
  adds: Add[];
  cdc: AddCDCFile[];
  deletedRows: number;
  copiedRows: number;
  removedBytes: number;
}

/**
 * Remove the rows matching `cond` from the snapshot's files (used by DELETE and replaceWhere).
 * Files entirely matching are dropped; files partly matching are rewritten with the other rows.
 */
async function deleteMatching(
  conn: DuckDBConnection,
  txn: Transaction,
  snapshot: Snapshot,
  condition: Condition | undefined,
): Promise<RewriteOutcome> {
  const now = Date.now();
  const all = snapshot.activeFiles();
  const whole = (gone: Add[]): RewriteOutcome => ({
    removes: gone.map((a) => removeFor(a, now)),
    adds: [],
    cdc: [],
    deletedRows: gone.reduce((n, a) => n + numRecordsOf(a) - (a.deletionVector?.cardinality ?? 0), 0),
    copiedRows: 0,
    removedBytes: gone.reduce((n, a) => n + a.size, 0),
  });
  if (condition === undefined || (typeof condition === 'string' && isAlwaysTrue(condition))) {
    txn.readWholeTable();
    return whole(all);
  }
  const cond = conditionSql(condition);
  const cand = await candidateFiles(conn, snapshot, condition);
  txn.readFiles(cand.files);
  // A concurrently added file conflicts if it may hold matching rows (any file, for SQL text).
  txn.readPredicate(typeof condition === 'string' ? () => true : condition);
  if (cand.whole && !cand.files.some((f) => f.deletionVector)) return whole(cand.files);
  const files = cand.files;
  const {
    touched,
    touchedFiles,
    hit: deletedRows,
    copied: copiedRows,
  } = await matchingFiles(conn, snapshot, files, cond);
  let adds: Add[] = [];
  let cdc: AddCDCFile[] = [];
  const partial = touchedFiles.filter((a) => touched.get(a.path)!.hit < touched.get(a.path)!.total);
  if (partial.length) {
    const scanPartial = await scanFilesSql(conn, snapshot, partial);
    adds = await writeRows(
      conn,
      snapshot,
      `SELECT ${tableColumns(snapshot.schema)} FROM (${scanPartial}) AS t WHERE (${cond}) IS NOT TRUE`,
    );
    // Copied rows make remove/add pairs that are not deletes: change data says what really changed.
    if (cdfEnabled(snapshot)) {
      const scanTouched = await scanFilesSql(conn, snapshot, touchedFiles);
      cdc = await writeChanges(
        conn,
        snapshot,
        `SELECT ${tableColumns(snapshot.schema)}, 'delete' AS _change_type FROM (${scanTouched}) AS t WHERE (${cond}) IS TRUE`,
      );
    }
  }
  return {
    removes: touchedFiles.map((a) => removeFor(a, now)),
    adds,
    cdc,
    deletedRows,
    copiedRows,
    removedBytes: touchedFiles.reduce((n, a) => n + a.size, 0),
  };
}

function isAlwaysTrue(cond: string): boolean {
  const t = cond.trim().toLowerCase();
  return t === 'true' || t === '1=1' || t === '1 = 1';
}

/** replaceWhere support for writes: the removes (and rewrites) that delete rows matching `cond`. */
export async function deleteRowsForWrite(
  conn: DuckDBConnection,
  txn: Transaction,
  snapshot: Snapshot,
  cond: Condition,
): Promise<{ removes: Remove[]; adds: Add[]; cdc: AddCDCFile[] }> {
  const r = await deleteMatching(conn, txn, snapshot, cond);
  return { removes: r.removes, adds: r.adds, cdc: r.cdc };
}

function sumSize(adds: Add[]): number {
  return adds.reduce((n, a) => n + a.size, 0);
}

async function commitDml(
  txn: Transaction,
  store: ObjectStore,
  adds: Add[],
  removes: Remove[],
  cdc: AddCDCFile[],
  operation: string,
  params: Record<string, unknown>,
  metrics: Record<string, number>,
  user: CommitUser,
): Promise<DmlResult> {
  if (adds.length === 0 && removes.length === 0) {
    return { version: txn.readVersion, metrics };
  }
  txn.addFiles(adds);
  txn.removeFiles(removes);
  if (cdc.length) txn.addCdc(cdc);
  try {
    const r = await txn.commit({
      operation,
      ...commitUser(user),
      operationParameters: params,
      operationMetrics: metrics,
      isBlindAppend: false,
    });
    return { version: r.version, metrics };
  } catch (e) {
    await discardDataFiles(store, [...adds, ...cdc.map((c) => ({ ...c, modificationTime: 0 }))]);
    throw e;
  }
}

/** DELETE FROM table [WHERE condition]. */
export async function deleteFromTable(
  target: DeltaTable | ObjectStore | string,
  condition?: Condition,
  opts: DmlOptions = {},
): Promise<DmlResult> {
  const table = await openTable(target);
  const run = async (conn: DuckDBConnection): Promise<DmlResult> => {
    const started = Date.now();
    const txn = await table.startTransaction();
    const snapshot = txn.readSnapshot;
    let r: RewriteOutcome;
    try {
      r = await deleteMatching(conn, txn, snapshot, condition);
    } catch (e) {
      throw constraintError(e);
    }
    const metrics = {
      numRemovedFiles: r.removes.length,
      numAddedFiles: r.adds.length,
      numDeletedRows: r.deletedRows,
      numCopiedRows: r.copiedRows,
      numAddedChangeFiles: r.cdc.length,
      numRemovedBytes: r.removedBytes,
      numAddedBytes: sumSize(r.adds),
      numDeletionVectorsAdded: 0,
      numDeletionVectorsRemoved: 0,
      executionTimeMs: Date.now() - started,
    };
    return commitDml(
      txn,
      table.store,
      r.adds,
      r.removes,
      r.cdc,
      'DELETE',
      { predicate: condition === undefined ? [] : [conditionSql(condition)] },
      metrics,
      opts,
    );
  };
  try {
    return await (opts.connection ? run(opts.connection) : withUtcConnection(run));
  } catch (e) {
    throw userSqlError(e);
  }
}

/** UPDATE table SET col = expr, ... [WHERE condition]. `set` maps column names to DuckDB SQL expressions. */
export async function updateTable(
  target: DeltaTable | ObjectStore | string,
  set: Record<string, string>,
  condition?: Condition,
  opts: DmlOptions = {},
): Promise<DmlResult> {
  const table = await openTable(target);
  const run = async (conn: DuckDBConnection): Promise<DmlResult> => {
    const started = Date.now();
    const txn = await table.startTransaction();
    const snapshot = txn.readSnapshot;
    const schema = snapshot.schema;
    const assignments = resolveAssignments(schema, set);
    const cond = condition === undefined ? 'true' : conditionSql(condition);
    const candidates =
      condition === undefined ? snapshot.activeFiles() : (await candidateFiles(conn, snapshot, condition)).files;
    txn.readFiles(candidates);
    txn.readPredicate(condition === undefined || typeof condition === 'string' ? () => true : condition);
    const { touchedFiles, hit: updated, copied } = await matchingFiles(conn, snapshot, candidates, cond);
    let adds: Add[] = [];
    let cdc: AddCDCFile[] = [];
    if (touchedFiles.length) {
      const scanT = await scanFilesSql(conn, snapshot, touchedFiles);
      const cols = schema.fields.map((f) => {
        const e = assignments.get(f.name);
        return e === undefined
          ? sqlIdent(f.name)
          : `CASE WHEN (${cond}) IS TRUE THEN CAST((${e}) AS ${duckdbTypeName(f.type)}) ELSE ${sqlIdent(f.name)} END AS ${sqlIdent(f.name)}`;
      });
      adds = await writeRows(conn, snapshot, `SELECT ${cols.join(', ')} FROM (${scanT}) AS t`);
      if (cdfEnabled(snapshot)) {
        const post = schema.fields.map((f) => {
          const e = assignments.get(f.name);
          return e === undefined
            ? sqlIdent(f.name)
            : `CAST((${e}) AS ${duckdbTypeName(f.type)}) AS ${sqlIdent(f.name)}`;
        });
        cdc = await writeChanges(
          conn,
          snapshot,
          `SELECT ${tableColumns(schema)}, 'update_preimage' AS _change_type FROM (${scanT}) AS t WHERE (${cond}) IS TRUE ` +
            `UNION ALL SELECT ${post.join(', ')}, 'update_postimage' AS _change_type FROM (${scanT}) AS t WHERE (${cond}) IS TRUE`,
        );
      }
    }
    const now = Date.now();
    const removes = touchedFiles.map((a) => removeFor(a, now));
    const metrics = {
      numRemovedFiles: removes.length,
      numAddedFiles: adds.length,
      numUpdatedRows: updated,
      numCopiedRows: copied,
      numAddedChangeFiles: cdc.length,
      numRemovedBytes: sumSize(touchedFiles),
      numAddedBytes: sumSize(adds),
      numDeletionVectorsAdded: 0,
      numDeletionVectorsRemoved: 0,
      executionTimeMs: Date.now() - started,
    };
    return commitDml(
      txn,
      table.store,
      adds,
      removes,
      cdc,
      'UPDATE',
      { predicate: condition === undefined ? [] : [conditionSql(condition)] },
      metrics,
      opts,
    );
  };
  try {
    return await (opts.connection ? run(opts.connection) : withUtcConnection(run));
  } catch (e) {
    throw userSqlError(e);
  }
}

function resolveAssignments(schema: StructType, set: Record<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(set)) {
    const f = schema.fields.find((x) => x.name.toLowerCase() === k.toLowerCase());
    if (!f) {
      throw new LakeboxError(
        'UNRESOLVED_COLUMN.WITH_SUGGESTION',
        `A column with name \`${k}\` cannot be resolved. Did you mean one of [${schema.fields.map((x) => `\`${x.name}\``).join(', ')}]?`,
        {
          sqlState: '42703',
        },
      );
    }
    out.set(f.name, v);
  }
  return out;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * MERGE file pruning: when the ON condition is a conjunction containing `target.p = source.x` for
 * a partition column p, only target files whose p is among the source's x values can match.
 */
async function pruneByPartitionEquality(
  conn: DuckDBConnection,
  snapshot: Snapshot,
  files: Add[],
  on: string,
  targetAlias: string,
  sourceAlias: string,
  srcTable: string,
): Promise<Add[]> {
  if (files.length === 0 || snapshot.partitionColumns.length === 0 || /\bor\b|\bnot\b/i.test(on)) return files;
  const ident = (name: string): string => `(?:"${escapeRe(name)}"|${escapeRe(name)})`;
  const srcCol = `(?:"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_]*))`;
  const mode = snapshot.columnMappingMode;
  let current = files;
  for (const pc of snapshot.partitionColumns) {
    const f = snapshot.schema.fields.find((x) => x.name.toLowerCase() === pc.toLowerCase());
    if (!f) continue;
    const t = `${ident(targetAlias)}\\.${ident(f.name)}`;
    const sc = `${ident(sourceAlias)}\\.${srcCol}`;
    const m =
      new RegExp(`${t}\\s*=\\s*${sc}(?![\\w.])`, 'i').exec(on) ??
      new RegExp(`${sc}\\s*=\\s*${t}(?![\\w.])`, 'i').exec(on);
    if (!m) continue;
    const col = m[1] !== undefined ? m[1].replaceAll('""', '"') : m[2]!;
    const values = current
      .map((a, i) => {
        const pvs = a.partitionValues ?? {};
        const key = physicalName(f, mode);
        return `(${i}, ${partitionValueSql(key in pvs ? pvs[key] : pvs[f.name], f.type)})`;
      })
      .join(', ');
    const keep = (
      await conn.runAndReadAll(
        `SELECT __i FROM (VALUES ${values}) AS __f(__i, __v) WHERE __v IN (SELECT CAST(${sqlIdent(col)} AS ${duckdbTypeName(f.type)}) FROM ${srcTable})`,
      )
    ).getRowObjectsJson();
    const idx = new Set(keep.map((r) => Number(r.__i)));
    current = current.filter((_, i) => idx.has(i));
  }
  return current;
}

// ---------------------------------------------------------------------------------------------
// MERGE
// ---------------------------------------------------------------------------------------------

export type MergeClause =
  | { when: 'matched'; condition?: string; action: 'update'; set: Record<string, string> | '*' }
  | { when: 'matched'; condition?: string; action: 'delete' }
  | { when: 'notMatched'; condition?: string; action: 'insert'; values: Record<string, string> | '*' }
  | { when: 'notMatchedBySource'; condition?: string; action: 'update'; set: Record<string, string> }
  | { when: 'notMatchedBySource'; condition?: string; action: 'delete' };

export interface MergeOptions extends DmlOptions {
  /** Alias of the source rows in conditions and expressions (default `source`). */
  sourceAlias?: string;
  /** Alias of the target table (default `target`). */
  targetAlias?: string;
  /**
   * Schema evolution (Spark's autoMerge): source columns missing from the target are added to the
   * table when a clause uses `*`.
   */
  mergeSchema?: boolean;
}

/**
 * MERGE INTO target USING (source) ON condition WHEN ... . `source.sql` is any DuckDB query; the
 * clauses are applied in order (the first whose condition holds wins), as in Spark.
 */
export async function mergeIntoTable(
  target: DeltaTable | ObjectStore | string,
  source: { sql: string },
  on: string,
  clauses: MergeClause[],
  opts: MergeOptions = {},
): Promise<DmlResult> {
  const table = await openTable(target);
  const S = sqlIdent(opts.sourceAlias ?? 'source');
  const T = sqlIdent(opts.targetAlias ?? 'target');
  if (clauses.length === 0) {
    throw new LakeboxError('DELTA_MERGE_MISSING_WHEN', 'There must be at least one WHEN clause in a MERGE statement.', {
      sqlState: '42601',
    });
  }
  const run = async (conn: DuckDBConnection): Promise<DmlResult> => {
    const started = Date.now();
    const txn = await table.startTransaction();
    const snapshot = txn.readSnapshot;
    let schema = snapshot.schema;
    let files = snapshot.activeFiles();
    txn.readWholeTable();
    let scan = '';
    const id = randomUUID().replaceAll('-', '');
    const src = `__merge_src_${id}`;
    const joined = `__merge_${id}`;
    const matched = clauses.filter((c) => c.when === 'matched');
    const notMatched = clauses.filter((c) => c.when === 'notMatched');
    const bySource = clauses.filter((c) => c.when === 'notMatchedBySource');
    const tag = (c: MergeClause): string => `${c.when}:${clauses.indexOf(c)}`;
    const caseOf = (cs: MergeClause[], otherwise: string): string =>
      cs.length === 0
        ? otherwise
        : `CASE ${cs.map((c) => `WHEN (${c.condition ?? 'true'}) IS TRUE THEN ${sqlString(tag(c))}`).join(' ')} ELSE ${otherwise} END`;
    const action =
      `CASE WHEN ${T}.__file IS NOT NULL AND ${S}.__src_row IS NOT NULL THEN ${caseOf(matched, "'keep'")} ` +
      `WHEN ${S}.__src_row IS NOT NULL THEN ${caseOf(notMatched, "'skip'")} ` +
      `ELSE ${caseOf(bySource, "'keep'")} END`;
    try {
      await conn.run(
        `CREATE TEMP TABLE ${src} AS SELECT *, row_number() OVER () AS __src_row FROM (${source.sql}) AS __s`,
      );
      const numSourceRows = Number(
        (await conn.runAndReadAll(`SELECT count(*) AS n FROM ${src}`)).getRowObjectsJson()[0]!.n,
      );
      const srcShape = await conn.runAndReadAll(`SELECT * FROM ${src} LIMIT 0`);
      const srcCols = srcShape.columnNames().filter((c) => c !== '__src_row');
      // Rows are written against `out`: the snapshot, or its evolved schema with autoMerge.
      let out: Snapshot = snapshot;
      const originalColumns = new Set(snapshot.schema.fields.map((f) => f.name));
      const usesStar = clauses.some((c) => ('set' in c && c.set === '*') || ('values' in c && c.values === '*'));
      if (opts.mergeSchema && usesStar) {
        const names = srcShape.columnNames();
        const types = srcShape.columnTypes();
        const keep = names.map((n, i) => [n, types[i]!] as const).filter(([n]) => n !== '__src_row');
        const srcSchema = deltaSchemaFromDuckDB(
          keep.map(([n]) => n),
          keep.map(([, t]) => t),
        );
        const rec = reconcileSchema(snapshot.schema, srcSchema, { mergeSchema: true, tableId: snapshot.metadata.id });
        if (rec.changed) {
          const metadata = metadataWithSchema(snapshot.metadata, rec.schema);
          txn.updateMetadata(metadata);
          schema = parseSchema(metadata.schemaString);
          out = Object.create(snapshot, { schema: { value: schema }, metadata: { value: metadata } }) as Snapshot;
        }
      }
      // `*` assigns every target column the source column of the same name (those the source has).
      const star = (): Record<string, string> =>
        Object.fromEntries(
          schema.fields.flatMap((f) => {
            const c = srcCols.find((x) => x.toLowerCase() === f.name.toLowerCase());
            return c === undefined ? [] : [[f.name, `${S}.${sqlIdent(c)}`]];
          }),
        );
      // Target rows can only match in partitions the source reaches through `target.p = source.x`.
      if (bySource.length === 0) {
        files = await pruneByPartitionEquality(
          conn,
          snapshot,
          files,
          on,
          opts.targetAlias ?? 'target',
          opts.sourceAlias ?? 'source',
          src,
        );
      }
      scan = await scanFilesSql(conn, snapshot, files);
      await conn.run(
        `CREATE TEMP TABLE ${joined} AS SELECT ${T}, ${S}, ${action} AS __action ` +
          `FROM (${scan}) AS ${T} FULL OUTER JOIN ${src} AS ${S} ON (${on})`,
      );
      // A target row matched by several source rows is ambiguous (Spark refuses to guess).
      if (matched.length > 0) {
        const dup = (
          await conn.runAndReadAll(
            `SELECT (${T}).__file AS f, (${T}).__row AS r, count(*) AS n FROM ${joined} WHERE (${T}).__file IS NOT NULL AND (${S}).__src_row IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1 LIMIT 1`,
          )
        ).getRowObjectsJson();
        if (dup.length) {
          throw new LakeboxError(
            'DELTA_MULTIPLE_SOURCE_ROW_MATCHING_TARGET_ROW_IN_MERGE',
            'Cannot perform Merge as multiple source rows matched and attempted to modify the same target row in the Delta table in possibly conflicting ways. ' +
              'By SQL semantics of Merge, when multiple source rows match on the same target row, the result may be ambiguous as it is unclear which source row ' +
              'should be used to update or delete the matching target row. You can preprocess the source table to eliminate the possibility of multiple matches.',
            { sqlState: '21506' },
          );
        }
      }
      const counts = new Map<string, number>();
      for (const r of (
        await conn.runAndReadAll(`SELECT __action, count(*) AS n FROM ${joined} GROUP BY 1`)
      ).getRowObjectsJson()) {
        counts.set(String(r.__action), Number(r.n));
      }
      const changing = clauses.filter((c) => c.when !== 'notMatched').map(tag);
      const touchedPaths = new Set<string>();
      if (changing.length) {
        const rows = (
          await conn.runAndReadAll(
            `SELECT DISTINCT (${T}).__file AS f FROM ${joined} WHERE __action IN (${changing.map(sqlString).join(', ')})`,
          )
        ).getRowObjectsJson();
        for (const r of rows) touchedPaths.add(String(r.f));
      }
      const touchedFiles = files.filter((a) => touchedPaths.has(a.path));

      // Output rows: rows of touched files (kept, updated; deleted ones dropped) plus inserts.
      const branches: string[] = [];
      const changes: string[] = [];
      const targetCol = (name: string): string =>
        originalColumns.has(name)
          ? `(${T}).${sqlIdent(name)}`
          : `CAST(NULL AS ${duckdbTypeName(schema.fields.find((f) => f.name === name)!.type)})`;
      const targetCols = schema.fields.map((f) => `${targetCol(f.name)} AS ${sqlIdent(f.name)}`).join(', ');
      const exprCtx = (e: string): string => e; // aliases resolve to the struct columns of the joined table
      const cast = (e: string, t: DataType): string => `CAST((${e}) AS ${duckdbTypeName(t)})`;
      if (touchedPaths.size) {
        const inTouched = `(${T}).__file IN (${[...touchedPaths].map(sqlString).join(', ')})`;
        branches.push(
          `SELECT ${schema.fields.map((f) => `${targetCol(f.name)} AS ${sqlIdent(f.name)}`).join(', ')} FROM ${joined} WHERE __action = 'keep' AND ${inTouched}`,
        );
        for (const c of clauses) {
          if (c.action !== 'update') continue;
          const set = c.set === '*' ? star() : c.set;
          const assigns = resolveAssignments(schema, set);
          const cols = schema.fields.map((f) => {
            const e = assigns.get(f.name);
            return `${e === undefined ? targetCol(f.name) : cast(exprCtx(e), f.type)} AS ${sqlIdent(f.name)}`;
          });
          branches.push(`SELECT ${cols.join(', ')} FROM ${joined} WHERE __action = ${sqlString(tag(c))}`);
          changes.push(
            `SELECT ${targetCols}, 'update_preimage' AS _change_type FROM ${joined} WHERE __action = ${sqlString(tag(c))}`,
            `SELECT ${cols.join(', ')}, 'update_postimage' AS _change_type FROM ${joined} WHERE __action = ${sqlString(tag(c))}`,
          );
        }
        for (const c of clauses) {
          if (c.action === 'delete')
            changes.push(
              `SELECT ${targetCols}, 'delete' AS _change_type FROM ${joined} WHERE __action = ${sqlString(tag(c))}`,
            );
        }
      }
      for (const c of notMatched) {
        if (c.action !== 'insert') continue;
        const values = c.values === '*' ? star() : c.values;
        const assigns = resolveAssignments(schema, values);
        const cols = schema.fields.map((f) => {
          const e = assigns.get(f.name);
          return `${e === undefined ? `CAST(NULL AS ${duckdbTypeName(f.type)})` : cast(e, f.type)} AS ${sqlIdent(f.name)}`;
        });
        branches.push(`SELECT ${cols.join(', ')} FROM ${joined} WHERE __action = ${sqlString(tag(c))}`);
        changes.push(
          `SELECT ${cols.join(', ')}, 'insert' AS _change_type FROM ${joined} WHERE __action = ${sqlString(tag(c))}`,
        );
      }
      let adds: Add[] = [];
      if (branches.length) adds = await writeRows(conn, out, branches.join(' UNION ALL '));
      // Change data is needed only when files are rewritten (an insert-only merge is a plain append).
      let cdc: AddCDCFile[] = [];
      if (touchedPaths.size && cdfEnabled(snapshot) && changes.length)
        cdc = await writeChanges(conn, out, changes.join(' UNION ALL '));
      const now = Date.now();
      const removes = touchedFiles.map((a) => removeFor(a, now));

      const sumOf = (pred: (c: MergeClause) => boolean): number =>
        clauses.filter(pred).reduce((n, c) => n + (counts.get(tag(c)) ?? 0), 0);
      const matchedUpdated = sumOf((c) => c.when === 'matched' && c.action === 'update');
      const matchedDeleted = sumOf((c) => c.when === 'matched' && c.action === 'delete');
      const bySourceUpdated = sumOf((c) => c.when === 'notMatchedBySource' && c.action === 'update');
      const bySourceDeleted = sumOf((c) => c.when === 'notMatchedBySource' && c.action === 'delete');
      const inserted = sumOf((c) => c.when === 'notMatched');
      let copied = 0;
      if (touchedPaths.size) {
        copied = Number(
          (
            await conn.runAndReadAll(
              `SELECT count(*) AS n FROM ${joined} WHERE __action = 'keep' AND (${T}).__file IN (${[...touchedPaths].map(sqlString).join(', ')})`,
            )
          ).getRowObjectsJson()[0]!.n,
        );
      }
      const metrics = {
        numSourceRows,
        numTargetRowsInserted: inserted,
        numTargetRowsUpdated: matchedUpdated + bySourceUpdated,
        numTargetRowsMatchedUpdated: matchedUpdated,
        numTargetRowsNotMatchedBySourceUpdated: bySourceUpdated,
        numTargetRowsDeleted: matchedDeleted + bySourceDeleted,
        numTargetRowsMatchedDeleted: matchedDeleted,
        numTargetRowsNotMatchedBySourceDeleted: bySourceDeleted,
        numTargetRowsCopied: copied,
        numOutputRows: adds.reduce((n, a) => n + numRecordsOf(a), 0),
        numTargetFilesAdded: adds.length,
        numTargetFilesRemoved: removes.length,
        numTargetChangeFilesAdded: cdc.length,
        numTargetBytesAdded: sumSize(adds),
        numTargetBytesRemoved: sumSize(touchedFiles),
        numTargetDeletionVectorsAdded: 0,
        numTargetDeletionVectorsRemoved: 0,
        executionTimeMs: Date.now() - started,
      };
      const describe = (cs: MergeClause[]): { predicate?: string; actionType: string }[] =>
        cs.map((c) => ({ ...(c.condition ? { predicate: c.condition } : {}), actionType: c.action }));
      const params = {
        predicate: on,
        matchedPredicates: describe(matched),
        notMatchedPredicates: describe(notMatched),
        notMatchedBySourcePredicates: describe(bySource),
      };
      return await commitDml(txn, table.store, adds, removes, cdc, 'MERGE', params, metrics, opts);
    } finally {
      await conn.run(`DROP TABLE IF EXISTS ${joined}`).catch(() => undefined);
      await conn.run(`DROP TABLE IF EXISTS ${src}`).catch(() => undefined);
    }
  };
  try {
    return await (opts.connection ? run(opts.connection) : withUtcConnection(run));
  } catch (e) {
    throw userSqlError(e);
  }
}

/**
 * The files among `files` holding rows where `cond` is true, with per-file counts of matching (`hit`)
 * and total rows, and the totals of matching rows and of the rows that a rewrite copies unchanged.
 */
async function matchingFiles(
  conn: DuckDBConnection,
  snapshot: Snapshot,
  files: Add[],
  cond: string,
): Promise<{ touched: Map<string, { hit: number; total: number }>; touchedFiles: Add[]; hit: number; copied: number }> {
  const scan = await scanFilesSql(conn, snapshot, files);
  const counts = (
    await conn.runAndReadAll(
      `SELECT __file, count(*) FILTER (WHERE (${cond}) IS TRUE) AS hit, count(*) AS total FROM (${scan}) AS t GROUP BY __file`,
    )
  ).getRowObjectsJson();
  const touched = new Map<string, { hit: number; total: number }>();
  for (const r of counts)
    if (Number(r.hit) > 0) touched.set(String(r.__file), { hit: Number(r.hit), total: Number(r.total) });
  let hit = 0;
  let copied = 0;
  for (const v of touched.values()) {
    hit += v.hit;
    copied += v.total - v.hit;
  }
  return { touched, touchedFiles: files.filter((a) => touched.has(a.path)), hit, copied };
}
