/**
 * Scans: a DuckDB query yielding the logical rows of a snapshot. Files are pruned with the
 * predicate (partition values and statistics), partition values become typed columns, physical
 * (column-mapped) names become logical ones, deletion vectors drop deleted rows (by
 * `file_row_number`), files written before a schema change are aligned by name, missing columns
 * are NULL, and every column is cast to its logical type (covering type widening).
 *
 * Run the SQL on a connection whose `TimeZone` is UTC (readRows does) so timestamps without a
 * time zone in old files are read as UTC instants.
 */
import { fileURLToPath } from 'node:url';
import { LakeboxError } from '@lakebox/common';
import type { Add } from './actions.js';
import { fieldId, logicalValueSql, physicalName } from './column-mapping.js';
import { parquetPathSql } from './checkpoint-read.js';
import { loadDeletionVector } from './deletion-vectors.js';
import { sqlIdent, sqlString, withConnection } from './duckdb.js';
import { duckdbType, partitionValueSql } from './partition-values.js';
import { predicateSql, pruneFiles, validatePredicate, type Predicate } from './predicate.js';
import { isArray, isMap, isStruct, type StructField } from './schema.js';
import type { Snapshot } from './snapshot.js';
import type { ObjectStore } from './storage.js';

export interface ScanOptions {
  filter?: Predicate;
  columns?: string[];
  /**
   * Time zone for timestamp partition values stored without one (wall-clock times of the writer,
   * which the log does not record; Spark reads them in its session time zone). Default UTC.
   */
  timeZone?: string;
}

/** A local file path DuckDB can read for an `add.path` (relative and URI-encoded, or absolute). */
export async function dataFilePath(store: ObjectStore, p: string): Promise<string> {
  if (/^file:/i.test(p)) return fileURLToPath(p.replace(/^file:(?!\/\/)/i, 'file://'));
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p)) {
    const storeUrl = store.url.endsWith('/') ? store.url : `${store.url}/`;
    if (p.startsWith(storeUrl)) return store.localPath(decodeURIComponent(p.slice(storeUrl.length)));
    throw new LakeboxError('DELTA_UNSUPPORTED_STORAGE', `data file ${p} is outside the table's storage (${store.url})`);
  }
  let rel: string;
  try {
    rel = decodeURIComponent(p);
  } catch {
    rel = p;
  }
  if (rel.startsWith('/')) return rel;
  return store.localPath(rel);
}

const FILE_COL = '__lakebox_file';
const PATH_COL = '__lakebox_path';
const DV_COL = '__lakebox_dv';

function resolveColumns(fields: StructField[], columns: string[] | undefined): StructField[] {
  if (!columns) return fields;
  return columns.map((c) => {
    const f = fields.find((x) => x.name === c) ?? fields.find((x) => x.name.toLowerCase() === c.toLowerCase());
    if (!f) {
      throw new LakeboxError(
        'UNRESOLVED_COLUMN',
        `column '${c}' does not exist; columns: ${fields.map((x) => x.name).join(', ')}`,
        {
          details: { column: c },
        },
      );
    }
    return f;
  });
}

/**
 * Top-level Parquet column names per data file. Delta data files are immutable (a rewrite gets a
 * new name), so the footers are read once per process and cached by path and size.
 */
const fileColumns = new Map<string, string[]>();
const FILE_COLUMNS_MAX = 200_000;

/** The physical top-level columns present in at least one of the files. */
async function presentColumns(files: { local: string; size: number }[]): Promise<Set<string>> {
  const key = (f: { local: string; size: number }): string => `${f.size}:${f.local}`;
  const missing = [...new Map(files.filter((f) => !fileColumns.has(key(f))).map((f) => [f.local, f])).values()];
  if (missing.length > 0) {
    const rows = await withConnection(async (conn) => {
      try {
        const r = await conn.runAndReadAll(
          `SELECT file_name, name, num_children FROM parquet_schema([${missing.map((f) => parquetPathSql(f.local)).join(', ')}])`,
        );
        return r.getRowObjectsJson();
      } catch (e) {
        throw new LakeboxError(
          'DELTA_FAILED_READ_FILE',
          `cannot read the table's Parquet files: ${(e as Error).message}`,
          {
            cause: e,
          },
        );
      }
    });
    const byFile = new Map<string, { name: string; children: number }[]>();
    for (const r of rows) {
      const f = String(r['file_name']);
      let list = byFile.get(f);
      if (!list) byFile.set(f, (list = []));
      list.push({ name: String(r['name']), children: Number(r['num_children'] ?? 0) });
    }
    if (fileColumns.size + missing.length > FILE_COLUMNS_MAX) fileColumns.clear();
    for (const f of missing) {
      const schema = byFile.get(f.local) ?? [];
      // Depth-first schema elements: the root, then each top-level field followed by its subtree.
      const skip = (i: number): number => {
        let j = i + 1;
        for (let k = 0; k < (schema[i]?.children ?? 0); k++) j = skip(j);
        return j;
      };
      const names: string[] = [];
      for (let i = 1, k = 0; k < (schema[0]?.children ?? 0) && i < schema.length; k++) {
        names.push(schema[i]!.name);
        i = skip(i);
      }
      fileColumns.set(key(f), names);
    }
  }
  const out = new Set<string>();
  for (const f of files) for (const c of fileColumns.get(key(f)) ?? []) out.add(c);
  return out;
}

/** A DuckDB SELECT producing the snapshot's logical rows (after pruning, filtering and projection). */
export async function scanSql(snapshot: Snapshot, opts: ScanOptions = {}): Promise<string> {
  const fields = snapshot.schema.fields.filter((f) => f.type !== 'void');
  if (opts.filter) validatePredicate(opts.filter, fields);
  const outFields = resolveColumns(fields, opts.columns);
  const files = pruneFiles(snapshot, opts.filter, opts.timeZone === undefined ? {} : { timeZone: opts.timeZone });
  const where = opts.filter ? ` WHERE ${predicateSql(opts.filter, fields)}` : '';
  const outCols = outFields.map((f) => sqlIdent(f.name)).join(', ') || '*';
  if (files.length === 0) {
    const cols = fields.map((f) => `CAST(NULL AS ${duckdbType(f.type)}) AS ${sqlIdent(f.name)}`).join(', ');
    return `SELECT ${outCols} FROM (SELECT ${cols}) AS t WHERE FALSE`;
  }
  const mode = snapshot.columnMappingMode;
  const partCols = new Set(snapshot.partitionColumns);
  const partFields = fields.filter((f) => partCols.has(f.name));
  const locals: string[] = [];
  const dvs: (number[] | undefined)[] = [];
  for (const f of files) {
    locals.push(await dataFilePath(snapshot.store, f.path));
    dvs.push(f.deletionVector ? await loadDeletionVector(snapshot.store, f.deletionVector) : undefined);
  }
  const hasDv = dvs.some((d) => d !== undefined && d.length > 0);
  // Column mapping 'id': match Parquet columns by field id (DuckDB's `schema` parameter), which
  // also yields NULL for columns a file lacks. Nested types are matched by physical name.
  const dataFields = fields.filter((f) => !partCols.has(f.name));
  const byId =
    mode === 'id' &&
    dataFields.length > 0 &&
    dataFields.every((f) => fieldId(f) !== undefined && !isStruct(f.type) && !isArray(f.type) && !isMap(f.type));
  const present = byId
    ? new Set(dataFields.map((f) => physicalName(f, mode)))
    : await presentColumns(files.map((f, i) => ({ local: locals[i]!, size: Number(f.size ?? 0) })));
  const needJoin = hasDv || partFields.length > 0;

  const proj: string[] = [];
  for (const f of fields) {
    if (partCols.has(f.name)) {
      proj.push(`p.${sqlIdent(`__lakebox_pv${partFields.indexOf(f)}`)} AS ${sqlIdent(f.name)}`);
      continue;
    }
    const phys = physicalName(f, mode);
    if (present.has(phys)) proj.push(`${logicalValueSql(`d.${sqlIdent(phys)}`, f.type, mode)} AS ${sqlIdent(f.name)}`);
    else proj.push(`CAST(NULL AS ${duckdbType(f.type)}) AS ${sqlIdent(f.name)}`);
  }
  const fileList = `[${[...new Set(locals)].map(parquetPathSql).join(', ')}]`;
  const schemaParam = byId
    ? `schema = MAP {${dataFields
        .map(
          (f) =>
            `${fieldId(f)}: {name: ${sqlString(physicalName(f, mode))}, type: ${sqlString(duckdbType(f.type))}, default_value: NULL}`,
        )
        .join(', ')}}`
    : 'union_by_name = true';
  let from = `read_parquet(${fileList}, ${schemaParam}${needJoin ? `, filename = ${sqlString(FILE_COL)}` : ''}${hasDv ? ', file_row_number = true' : ''}) AS d`;
  if (partFields.length > 0) {
    const rows = files.map((f: Add, i) => {
      const vals = [sqlString(locals[i]!)];
      for (const pf of partFields) {
        const key = physicalName(pf, mode);
        const pv = f.partitionValues ?? {};
        const raw = key in pv ? pv[key] : pv[pf.name];
        vals.push(partitionValueSql(raw, pf.type, opts.timeZone));
      }
      return `(${vals.join(', ')})`;
    });
    const names = [PATH_COL, ...partFields.map((_, i) => `__lakebox_pv${i}`)].map(sqlIdent).join(', ');
    from += ` JOIN (VALUES ${rows.join(', ')}) AS p(${names}) ON d.${sqlIdent(FILE_COL)} = p.${sqlIdent(PATH_COL)}`;
  }
  if (hasDv) {
    // Deleted rows: an anti-join on (file, row number), linear in rows + deletions. The row
    // numbers travel as one string literal per file: parsing a huge list literal is slow.
    const dvRows = files
      .map((_, i) => (dvs[i] && dvs[i]!.length > 0 ? `(${sqlString(locals[i]!)}, '${dvs[i]!.join(',')}')` : undefined))
      .filter((x): x is string => x !== undefined);
    from +=
      ` ANTI JOIN (SELECT v.${sqlIdent(PATH_COL)}, CAST(unnest(string_split(v.${sqlIdent(DV_COL)}, ',')) AS BIGINT) AS __lakebox_row FROM (VALUES ${dvRows.join(', ')}) AS v(${sqlIdent(PATH_COL)}, ${sqlIdent(DV_COL)})) AS x` +
      ` ON d.${sqlIdent(FILE_COL)} = x.${sqlIdent(PATH_COL)} AND d.file_row_number = x.__lakebox_row`;
  }
  return `SELECT ${outCols} FROM (SELECT ${proj.join(', ')} FROM ${from}) AS t${where}`;
}

/** The snapshot's logical rows as JS objects (BIGINT as bigint, timestamps as Date, ...). */
export async function readRows(snapshot: Snapshot, opts: ScanOptions = {}): Promise<Record<string, unknown>[]> {
  const sql = await scanSql(snapshot, opts);
  return withConnection(async (conn) => {
    await conn.run(`SET TimeZone = 'UTC'`);
    try {
      const r = await conn.runAndReadAll(sql);
      return r.getRowObjectsJS() as Record<string, unknown>[];
    } catch (e) {
      throw new LakeboxError(
        'DELTA_FAILED_READ_FILE',
        `cannot read the rows of ${snapshot.store.url}: ${(e as Error).message}`,
        { cause: e },
      );
    }
  });
}
