/**
 * Reading checkpoints: classic (one Parquet file), multi-part, and V2 (JSON or Parquet top-level
 * file with sidecar Parquet files under `_delta_log/_sidecars/`). Parquet is read by DuckDB; each
 * action column comes back through `to_json` so that maps and nested structs keep their shape.
 */
import { LakeboxError } from '@lakebox/common';
import type { Action } from './actions.js';
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
  return withConnection(async (conn) => {
    let present: string[];
    try {
      const d = await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${list}, union_by_name = true)`);
      present = d.getRowObjectsJson().map((r) => String(r['column_name']));
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
    // One JSON line per action, aggregated into a few large strings: far cheaper than
    // materialising every (mostly NULL) column of every row in JS.
    const line = `COALESCE(${cols.map((c) => `'{"${c}":' || to_json("${c}") || '}'`).join(', ')})`;
    const src = `read_parquet(${list}, union_by_name = true, filename = '__lakebox_file', file_row_number = true)`;
    let chunks: string[];
    try {
      const r = await conn.runAndReadAll(
        `SELECT string_agg(${line}, chr(10)) AS s FROM ${src} GROUP BY "__lakebox_file", file_row_number // 50000 ORDER BY "__lakebox_file", min(file_row_number)`,
      );
      chunks = (r.getColumnsJS()[0] ?? []).filter((x): x is string => typeof x === 'string');
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
  });
}

/** Drop null-valued keys of an action (not inside maps such as partitionValues). */
function stripNulls(o: Record<string, unknown>): Record<string, unknown> {
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (v === null) delete o[k];
    else if (
      typeof v === 'object' &&
      !Array.isArray(v) &&
      k !== 'partitionValues' &&
      k !== 'configuration' &&
      k !== 'tags' &&
      k !== 'options'
    ) {
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
