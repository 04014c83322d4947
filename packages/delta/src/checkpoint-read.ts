/**
 * Reading checkpoints: classic (one Parquet file), multi-part, and V2 (JSON or Parquet top-level
 * file with sidecar Parquet files under `_delta_log/_sidecars/`). Parquet is read by DuckDB; each
 * action column comes back through `to_json` so that maps and nested structs keep their shape.
 */
import { LakeboxError } from '@lakebox/common';
import type { Action } from './actions.js';
import type { DuckDBConnection } from '@duckdb/node-api';
import { withConnection, sqlString } from './duckdb.js';
import { LOG_DIR, decodeUtf8, parseCommitText, type CheckpointInstance } from './log.js';
import type { ObjectStore } from './storage.js';

const ACTION_COLUMNS = [
  'protocol',
  'metaData',
  'add',
  'remove',
  'txn',
  'domainMetadata',
  'checkpointMetadata',
  'sidecar',
] as const;

/** All actions of a checkpoint, sidecars included. */
export async function readCheckpoint(store: ObjectStore, cp: CheckpointInstance): Promise<Action[]> {
  let actions: Action[];
  if (cp.format === 'json') {
    const file = cp.files[0]!.path;
    actions = parseCommitText(decodeUtf8(await getOrFail(store, file), file), file);
  } else {
    actions = await readParquetActions(
      store,
      cp.files.map((f) => f.path),
    );
  }
  const sidecars = actions.filter((a) => a.sidecar).map((a) => a.sidecar!);
  if (sidecars.length > 0) {
    const paths = sidecars.map((s) => sidecarPath(s.path));
    for (const p of paths) {
      if (!(await store.head(p))) {
        throw new LakeboxError(
          'DELTA_MISSING_PART_FILES',
          `sidecar file ${p} of checkpoint version ${cp.version} is missing`,
          {
            details: { path: p, version: cp.version },
          },
        );
      }
    }
    actions = actions.filter((a) => !a.sidecar).concat(await readParquetActions(store, paths));
  }
  return actions;
}

function sidecarPath(p: string): string {
  if (/^[a-z]+:/i.test(p)) {
    throw new LakeboxError('DELTA_UNSUPPORTED_SIDECAR_PATH', `absolute sidecar paths are not supported: ${p}`);
  }
  return `${LOG_DIR}_sidecars/${decodeURIComponent(p)}`;
}

async function getOrFail(store: ObjectStore, file: string): Promise<Uint8Array> {
  try {
    return await store.get(file);
  } catch (e) {
    if (e instanceof LakeboxError && e.code === 'OBJECT_NOT_FOUND') {
      throw new LakeboxError('DELTA_MISSING_PART_FILES', `checkpoint file ${file} is missing`, {
        details: { path: file },
      });
    }
    throw e;
  }
}

/**
 * A file path as a DuckDB `read_parquet` argument. DuckDB expands glob characters in paths, so a
 * file named `a[1]*.parquet` could silently match other files: escape them as one-character classes.
 */
export function parquetPathSql(p: string): string {
  return sqlString(p.replace(/[[\]*?{}]/g, (ch) => `[${ch}]`));
}

/** Read the action columns of Parquet checkpoint / sidecar files. */
export async function readParquetActions(store: ObjectStore, files: string[]): Promise<Action[]> {
  const locals: string[] = [];
  for (const f of files) locals.push(await store.localPath(f));
  const list = `[${locals.map(parquetPathSql).join(', ')}]`;
  let present: string[];
  try {
    present = await withConnection(async (conn) => {
      const d = await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${list}, union_by_name = true)`);
      return d.getRowObjectsJson().map((r) => String(r['column_name']));
    });
  } catch (e) {
    throw new LakeboxError(
      'DELTA_INVALID_CHECKPOINT',
      `cannot read checkpoint file(s) ${files.join(', ')}: ${(e as Error).message}`,
      {
        details: { paths: files },
        cause: e,
      },
    );
  }
  const cols = ACTION_COLUMNS.filter((c) => present.includes(c));
  if (cols.length === 0) return [];
  const src = `read_parquet(${list}, union_by_name = true, filename = '__lakebox_file', file_row_number = true)`;
  const fail = (e: unknown): LakeboxError =>
    new LakeboxError(
      'DELTA_INVALID_CHECKPOINT',
      `cannot read checkpoint file(s) ${files.join(', ')}: ${(e as Error).message}`,
      {
        details: { paths: files },
        cause: e,
      },
    );
  // The many file actions (add, remove) come back as JSON arrays of their fields; the rest
  // (protocol, metaData, txn, ...) are few and come back as one JSON object per action. The
  // queries run side by side, each on its own connection.
  const flat = cols.filter((c): c is 'add' | 'remove' => c === 'add' || c === 'remove');
  const rest = cols.filter((c) => c !== 'add' && c !== 'remove');
  try {
    const parts = await Promise.all([
      rest.length > 0 ? withConnection((c) => readOtherActions(c, src, rest)) : Promise.resolve([] as Action[]),
      ...flat.map((col) =>
        withConnection(async (c) => (await readFileActions(c, src, col)).map((obj) => ({ [col]: obj }) as Action)),
      ),
    ]);
    return parts.flat();
  } catch (e) {
    if (e instanceof LakeboxError) throw e;
    throw fail(e);
  }
}

/** The actions of the given (few-valued) columns, one JSON object per action. */
async function readOtherActions(conn: DuckDBConnection, src: string, cols: string[]): Promise<Action[]> {
  const line = `COALESCE(${cols.map((c) => `'{"${c}":' || to_json("${c}") || '}'`).join(', ')})`;
  const r = await conn.runAndReadAll(
    `SELECT string_agg(${line}, chr(10)) AS s FROM ${src} WHERE ${cols.map((c) => `"${c}" IS NOT NULL`).join(' OR ')} GROUP BY "__lakebox_file", file_row_number // 50000 ORDER BY "__lakebox_file", min(file_row_number)`,
  );
  const chunks = (r.getColumnsJS()[0] ?? []).filter((x): x is string => typeof x === 'string');
  const out: Action[] = [];
  for (const chunk of chunks) {
    for (const l of chunk.split('\n')) {
      if (l === '') continue;
      const a = JSON.parse(l) as Record<string, Record<string, unknown>>;
      const c = Object.keys(a)[0]!;
      const obj = stripNulls(a[c]!);
      normalise(c, obj);
      out.push({ [c]: obj } as Action);
    }
  }
  return out;
}

/**
 * The non-null `add` or `remove` actions of the source. Each row comes back as a JSON array of its
 * fields (json_array over the struct's fields is several times cheaper than to_json of the whole
 * struct), aggregated into a few large strings and parsed once per string.
 */
async function readFileActions(
  conn: DuckDBConnection,
  src: string,
  col: 'add' | 'remove',
): Promise<Record<string, unknown>[]> {
  const d = await conn.runAndReadAll(`DESCRIBE SELECT "${col}".* FROM ${src}`);
  const names = d.getRowObjectsJson().map((r) => String(r['column_name']));
  if (names.length === 0) return [];
  const row = `json_array(${names.map((n) => `"${col}"."${n.replaceAll('"', '""')}"`).join(', ')})::VARCHAR`;
  const r = await conn.runAndReadAll(
    `SELECT string_agg(${row}, chr(10)) AS s FROM ${src} WHERE "${col}" IS NOT NULL GROUP BY "__lakebox_file", file_row_number // 50000 ORDER BY "__lakebox_file", min(file_row_number)`,
  );
  const chunks = (r.getColumnsJS()[0] ?? []).filter((x): x is string => typeof x === 'string');
  const out: Record<string, unknown>[] = [];
  for (const chunk of chunks) {
    // JSON text never holds a raw newline, so the rows split cleanly.
    const rows = JSON.parse(`[${chunk.replaceAll('\n', ',')}]`) as unknown[][];
    for (const values of rows) {
      const o: Record<string, unknown> = {};
      for (let j = 0; j < names.length; j++) {
        const v = values[j];
        if (v === null || v === undefined) continue;
        const name = names[j]!;
        if (typeof v === 'object' && !Array.isArray(v) && !KEEP_NULLS.has(name))
          stripNulls(v as Record<string, unknown>);
        o[name] = v;
      }
      normalise(col, o);
      out.push(o);
    }
  }
  return out;
}

const KEEP_NULLS = new Set(['partitionValues', 'configuration', 'tags', 'options']);

/** Drop null-valued keys of an action (not inside maps such as partitionValues). */
function stripNulls(o: Record<string, unknown>): Record<string, unknown> {
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (v === null) delete o[k];
    else if (typeof v === 'object' && !Array.isArray(v) && !KEEP_NULLS.has(k)) {
      stripNulls(v as Record<string, unknown>);
    }
  }
  return o;
}

function normalise(col: string, o: Record<string, unknown>): void {
  if (col === 'add' || col === 'remove') {
    if (o['stats'] === undefined && o['stats_parsed'] !== undefined) o['stats'] = JSON.stringify(o['stats_parsed']);
    delete o['stats_parsed'];
    delete o['partitionValues_parsed'];
    if (col === 'add') o['partitionValues'] ??= {};
  } else if (col === 'metaData') {
    o['partitionColumns'] ??= [];
    o['configuration'] ??= {};
    const f = (o['format'] ??= { provider: 'parquet', options: {} }) as Record<string, unknown>;
    f['options'] ??= {};
  }
}
