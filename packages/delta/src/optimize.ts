/**
 * OPTIMIZE: compaction of small files (bin-packing per partition up to a target size) and
 * Z-ordering (rows of the chosen partitions rewritten in the order of a Z-order curve over the
 * normalised ranks of the given columns). Rewrites are `dataChange: false`, so streaming readers
 * and conflict detection treat them as layout changes only.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { LakeboxError } from '@lakebox/common';
import type { Add } from './actions.js';
import { physicalName } from './column-mapping.js';
import { scanFilesSql } from './dml.js';
import { sqlIdent } from './duckdb.js';
import { partitionValueSql } from './partition-values.js';
import type { Snapshot } from './snapshot.js';
import type { ObjectStore } from './storage.js';
import { storeForLocation } from './storage-location.js';
import { DeltaTable } from './table.js';
import { commitUser, type CommitUser } from './transaction.js';
import {
  conditionSql,
  discardDataFiles,
  removeFor,
  userSqlError,
  withUtcConnection,
  writeDataFiles,
  type Condition,
} from './write.js';

/** Spark's default for spark.databricks.delta.optimize.maxFileSize (1 GiB). */
export const DEFAULT_OPTIMIZE_TARGET_SIZE = 1024 * 1024 * 1024;

export interface OptimizeOptions extends CommitUser {
  /** Only files in partitions matching this condition (partition columns only). */
  where?: Condition;
  /** Z-order the rows of each selected partition by these (non-partition) columns. */
  zOrderBy?: string[];
  /** Target file size in bytes (default `delta.targetFileSize`, else 1 GiB). */
  targetSize?: number;
  /** Files at least this large are left alone by compaction (default: the target size). */
  minFileSize?: number;
  connection?: DuckDBConnection;
}

export interface OptimizeResult {
  /** The version committed, or the current version when there was nothing to do. */
  version: number;
  metrics: {
    numFilesAdded: number;
    numFilesRemoved: number;
    numBytesAdded: number;
    numBytesRemoved: number;
    partitionsOptimized: number;
    numBatches: number;
    totalConsideredFiles: number;
    totalFilesSkipped: number;
  };
}

function storeOf(target: DeltaTable | ObjectStore | string): ObjectStore {
  if (target instanceof DeltaTable) return target.store;
  return typeof target === 'string' ? storeForLocation(target) : target;
}

function partitionKey(a: Add): string {
  return JSON.stringify(Object.entries(a.partitionValues ?? {}).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}

/** Group files into bins of at most `target` bytes (largest first); only bins worth rewriting. */
export function binPack(files: Add[], target: number): Add[][] {
  const sorted = [...files].sort((a, b) => b.size - a.size);
  const bins: { files: Add[]; size: number }[] = [];
  for (const f of sorted) {
    const bin = bins.find((b) => b.size + f.size <= target);
    if (bin) {
      bin.files.push(f);
      bin.size += f.size;
    } else bins.push({ files: [f], size: f.size });
  }
  // A lone file is rewritten only to purge its deletion vector.
  return bins.filter((b) => b.files.length > 1 || b.files[0]!.deletionVector).map((b) => b.files);
}

/**
 * Rows of `sourceSql` ordered along a Z-order curve over `columns`: each column's dense rank is
 * scaled to `bits` bits and the bits of all columns are interleaved (most significant first).
 */
export function zOrderSql(sourceSql: string, columns: string[], outColumns: string[]): string {
  const n = columns.length;
  const bits = Math.max(1, Math.min(16, Math.floor(120 / Math.max(1, n))));
  const ranks = columns
    .map((c, i) => `dense_rank() OVER (ORDER BY ${sqlIdent(c)} ASC NULLS FIRST) - 1 AS __r${i}`)
    .join(', ');
  const scaled = columns
    .map((_, i) => `CAST(floor(__r${i} * ${2 ** bits}.0 / (max(__r${i}) OVER () + 1)) AS HUGEINT) AS __s${i}`)
    .join(', ');
  const terms: string[] = [];
  for (let b = bits - 1; b >= 0; b--) {
    for (let i = 0; i < n; i++) terms.push(`(((__s${i} >> ${b}) & 1) << ${b * n + (n - 1 - i)})`);
  }
  const out = outColumns.map(sqlIdent).join(', ');
  return (
    `SELECT ${out} FROM (SELECT *, ${terms.join(' | ')} AS __z FROM (SELECT *, ${scaled} FROM ` +
    `(SELECT *, ${ranks} FROM (${sourceSql}) AS __z0) AS __z1) AS __z2) AS __z3 ORDER BY __z`
  );
}

async function selectFiles(conn: DuckDBConnection, snapshot: Snapshot, where: Condition | undefined): Promise<Add[]> {
  const files = snapshot.activeFiles();
  if (where === undefined) return files;
  const sql = conditionSql(where);
  const parts = snapshot.partitionColumns;
  const partLower = new Set(parts.map((p) => p.toLowerCase()));
  const dataCols = snapshot.schema.fields.filter((f) => !partLower.has(f.name.toLowerCase())).map((f) => f.name);
  const words = sql.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? [];
  const bad = dataCols.find((c) => words.some((w) => w.toLowerCase() === c.toLowerCase()));
  if (bad !== undefined || parts.length === 0) {
    throw new LakeboxError(
      'DELTA_NON_PARTITION_COLUMN_REFERENCE',
      `Predicate references non-partition column '${bad ?? sql}'. Only the partition columns may be referenced: [${parts.join(', ')}]`,
      { sqlState: '42P10' },
    );
  }
  if (files.length === 0) return files;
  const mode = snapshot.columnMappingMode;
  const partFields = parts.map((c) => snapshot.schema.fields.find((f) => f.name.toLowerCase() === c.toLowerCase())!);
  const values = files
    .map(
      (a, i) =>
        `(${[String(i), ...partFields.map((f) => partitionValueSql(a.partitionValues?.[physicalName(f, mode)] ?? null, f.type))].join(', ')})`,
    )
    .join(', ');
  const cols = ['__i', ...partFields.map((f) => sqlIdent(f.name))].join(', ');
  const rows = (
    await conn.runAndReadAll(`SELECT __i FROM (VALUES ${values}) AS __f(${cols}) WHERE (${sql}) IS TRUE`)
  ).getRowObjectsJson();
  return rows.map((r) => files[Number(r.__i)]!);
}

/** OPTIMIZE table [WHERE partition predicate] [ZORDER BY (cols)]. */
export async function optimizeTable(
  target: DeltaTable | ObjectStore | string,
  opts: OptimizeOptions = {},
): Promise<OptimizeResult> {
  const table = target instanceof DeltaTable ? target : await DeltaTable.open(storeOf(target));
  const run = async (conn: DuckDBConnection): Promise<OptimizeResult> => {
    const txn = await table.startTransaction();
    const snapshot = txn.readSnapshot;
    const conf = snapshot.metadata.configuration ?? {};
    const targetSize =
      opts.targetSize ??
      (conf['delta.targetFileSize'] ? Number(conf['delta.targetFileSize']) : DEFAULT_OPTIMIZE_TARGET_SIZE);
    const minFileSize = opts.minFileSize ?? targetSize;
    const zCols = (opts.zOrderBy ?? []).map((c) => {
      const f = snapshot.schema.fields.find((x) => x.name.toLowerCase() === c.toLowerCase());
      if (!f) {
        throw new LakeboxError(
          'DELTA_COLUMN_NOT_FOUND',
          `Column ${c} does not exist in the table [${snapshot.schema.fields.map((x) => x.name).join(', ')}]`,
          {
            sqlState: '42703',
          },
        );
      }
      if (snapshot.partitionColumns.some((p) => p.toLowerCase() === f.name.toLowerCase())) {
        throw new LakeboxError(
          'DELTA_ZORDERING_ON_PARTITION_COLUMN',
          `${f.name} is a partition column. Z-Ordering can only be performed on data columns`,
          {
            sqlState: '42P10',
          },
        );
      }
      return f.name;
    });
    const considered = await selectFiles(conn, snapshot, opts.where);
    const byPartition = new Map<string, Add[]>();
    for (const f of considered) {
      const k = partitionKey(f);
      byPartition.set(k, [...(byPartition.get(k) ?? []), f]);
    }
    const jobs: Add[][] = [];
    for (const files of byPartition.values()) {
      if (zCols.length) {
        // Z-ordering rewrites every file of the partition (a single file is re-sorted too).
        if (files.length > 0) jobs.push(files);
      } else {
        jobs.push(
          ...binPack(
            files.filter((f) => f.size < minFileSize || f.deletionVector),
            targetSize,
          ),
        );
      }
    }
    const spec = {
      schema: snapshot.schema,
      partitionColumns: snapshot.partitionColumns,
      configuration: conf,
      columnMappingMode: snapshot.columnMappingMode,
      dataChange: false,
      targetFileSize: targetSize,
    };
    const adds: Add[] = [];
    const removed: Add[] = [];
    try {
      for (const job of jobs) {
        const scan = await scanFilesSql(conn, snapshot, job);
        const cols = snapshot.schema.fields.map((f) => sqlIdent(f.name)).join(', ');
        const sql = zCols.length
          ? zOrderSql(
              scan,
              zCols,
              snapshot.schema.fields.map((f) => f.name),
            )
          : `SELECT ${cols} FROM (${scan}) AS s`;
        adds.push(
          ...(await writeDataFiles(conn, snapshot.store, sql, {
            ...spec,
            partitionValues: job[0]!.partitionValues ?? {},
          })),
        );
        removed.push(...job);
      }
      const version = snapshot.version;
      const sum = (xs: Add[]): number => xs.reduce((n, a) => n + a.size, 0);
      const metrics = {
        numFilesAdded: adds.length,
        numFilesRemoved: removed.length,
        numBytesAdded: sum(adds),
        numBytesRemoved: sum(removed),
        partitionsOptimized: new Set(removed.map(partitionKey)).size,
        numBatches: jobs.length ? 1 : 0,
        totalConsideredFiles: considered.length,
        totalFilesSkipped: considered.length - removed.length,
      };
      if (removed.length === 0) return { version, metrics };
      const now = Date.now();
      txn.readFiles(removed);
      txn.addFiles(adds);
      txn.removeFiles(removed.map((a) => removeFor(a, now, false)));
      const sizes = adds.map((a) => a.size).sort((a, b) => a - b);
      const pct = (p: number): number => sizes[Math.min(sizes.length - 1, Math.floor(p * sizes.length))] ?? 0;
      const r = await txn.commit({
        operation: 'OPTIMIZE',
        ...commitUser(opts),
        operationParameters: {
          predicate: opts.where === undefined ? [] : [conditionSql(opts.where)],
          zOrderBy: zCols,
          clusterBy: [],
          auto: false,
        },
        operationMetrics: {
          numAddedFiles: adds.length,
          numRemovedFiles: removed.length,
          numAddedBytes: metrics.numBytesAdded,
          numRemovedBytes: metrics.numBytesRemoved,
          minFileSize: sizes[0] ?? 0,
          p25FileSize: pct(0.25),
          p50FileSize: pct(0.5),
          p75FileSize: pct(0.75),
          maxFileSize: sizes[sizes.length - 1] ?? 0,
          numDeletionVectorsRemoved: removed.filter((a) => a.deletionVector).length,
        },
        isBlindAppend: false,
      });
      return { version: r.version, metrics };
    } catch (e) {
      await discardDataFiles(snapshot.store, adds);
      throw e;
    }
  };
  try {
    return await (opts.connection ? run(opts.connection) : withUtcConnection(run));
  } catch (e) {
    throw userSqlError(e);
  }
}
