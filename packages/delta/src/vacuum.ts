/**
 * VACUUM: delete files in the table directory that the current snapshot does not reference and
 * that are older than the retention period (default `delta.deletedFileRetentionDuration`, 7 days).
 * Never touches `_delta_log/` or other hidden paths (names starting with `_` or `.`, except
 * partition directories and `_change_data/`), files of the snapshot, deletion vectors in use, or files removed within
 * the retention period. Like Spark, it refuses a retention shorter than the table's unless told.
 */
import { LakeboxError } from '@lakebox/common';
import type { Add, Remove } from './actions.js';
import { dvRelativePath } from './deletion-vectors.js';
import type { ObjectStore } from './storage.js';
import { storeForLocation } from './storage-location.js';
import { canonicalPath } from './snapshot.js';
import { DeltaTable } from './table.js';
import { commitUser, type CommitUser } from './transaction.js';

export const DEFAULT_RETENTION_HOURS = 7 * 24;

export interface VacuumOptions extends CommitUser {
  /** Keep files removed (or written) less than this many hours ago (default: the table's retention). */
  retentionHours?: number;
  /** List what would be deleted without deleting. */
  dryRun?: boolean;
  /** false allows a retention below the table's (Spark: retentionDurationCheck.enabled=false). */
  enforceRetentionDuration?: boolean;
  /** Clock for tests. */
  now?: number;
}

export interface VacuumResult {
  /** Paths (relative to the table root) deleted, or that would be with dryRun. */
  files: string[];
  numDeletedFiles: number;
  sizeOfDataToDelete: number;
  dryRun: boolean;
}

/** Parse Spark's `interval 7 days` / `7 days` / `168 hours` into hours. */
export function parseIntervalHours(s: string): number {
  const m = /^\s*(?:interval\s+)?(\d+(?:\.\d+)?)\s*(second|minute|hour|day|week)s?\s*$/i.exec(s);
  if (!m)
    throw new LakeboxError('DELTA_INVALID_TABLE_PROPERTY', `cannot parse the interval '${s}' (e.g. 'interval 7 days')`);
  const n = Number(m[1]);
  const unit = m[2]!.toLowerCase();
  const factor: Record<string, number> = { second: 1 / 3600, minute: 1 / 60, hour: 1, day: 24, week: 168 };
  return n * factor[unit]!;
}

function storeOf(target: DeltaTable | ObjectStore | string): ObjectStore {
  if (target instanceof DeltaTable) return target.store;
  return typeof target === 'string' ? storeForLocation(target) : target;
}

function isHidden(path: string, partitionColumns: string[]): boolean {
  return path.split('/').some((seg, i, all) => {
    if (!(seg.startsWith('_') || seg.startsWith('.'))) return false;
    // Change data files are vacuumed like data files (never referenced by the snapshot itself).
    if (i === 0 && seg === '_change_data' && all.length > 1) return false;
    if (i === all.length - 1) return true;
    const eq = seg.indexOf('=');
    return !(eq > 0 && partitionColumns.some((c) => c === seg.slice(0, eq)));
  });
}

function relPath(p: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(p)) return undefined;
  return canonicalPath(p);
}

function dvPath(a: Add | Remove): string | undefined {
  const dv = a.deletionVector;
  if (!dv || dv.storageType !== 'u') return undefined;
  return dvRelativePath(dv);
}

/** VACUUM table [RETAIN n HOURS] [DRY RUN]. */
export async function vacuumTable(
  target: DeltaTable | ObjectStore | string,
  opts: VacuumOptions = {},
): Promise<VacuumResult> {
  const table = target instanceof DeltaTable ? target : await DeltaTable.open(storeOf(target));
  // startTransaction refuses tables with features we cannot write (covers vacuumProtocolCheck:
  // VACUUM must understand every reader and writer feature of the table).
  const txn = await table.startTransaction();
  const snapshot = txn.readSnapshot;
  const conf = snapshot.metadata.configuration ?? {};
  const tableRetention = conf['delta.deletedFileRetentionDuration']
    ? parseIntervalHours(conf['delta.deletedFileRetentionDuration'])
    : DEFAULT_RETENTION_HOURS;
  const retention = opts.retentionHours ?? tableRetention;
  if (!(retention >= 0))
    throw new LakeboxError('DELTA_VACUUM_RETENTION_PERIOD_NEGATIVE', 'Retention for vacuum cannot be less than 0.');
  if (opts.enforceRetentionDuration !== false && retention < tableRetention) {
    throw new LakeboxError(
      'DELTA_VACUUM_RETENTION_PERIOD_TOO_SHORT',
      `Are you sure you would like to vacuum files with such a low retention period (${retention} hours)? If you have writers that are ` +
        `currently writing to this table, there is a risk that you may corrupt the state of your Delta table. If you are certain that there ` +
        `are no operations being performed on this table, such as insert/upsert/delete/optimize, then you may turn off this check by ` +
        `setting enforceRetentionDuration to false. The table's retention is ${tableRetention} hours ` +
        `(delta.deletedFileRetentionDuration).`,
    );
  }
  const now = opts.now ?? Date.now();
  const cutoff = now - retention * 3600 * 1000;
  const keep = new Set<string>();
  for (const a of snapshot.activeFiles()) {
    const p = relPath(a.path);
    if (p) keep.add(p);
    const dv = dvPath(a);
    if (dv) keep.add(dv);
  }
  for (const r of snapshot.tombstones()) {
    if ((r.deletionTimestamp ?? 0) > cutoff) {
      const p = relPath(r.path);
      if (p) keep.add(p);
      const dv = dvPath(r);
      if (dv) keep.add(dv);
    }
  }
  const all = await table.store.list('');
  const candidates = all.filter(
    (o) =>
      !o.path.startsWith('_delta_log/') &&
      !isHidden(o.path, snapshot.partitionColumns) &&
      !keep.has(o.path) &&
      o.lastModified < cutoff,
  );
  const files = candidates.map((o) => o.path).sort();
  const sizeOfDataToDelete = candidates.reduce((n, o) => n + o.size, 0);
  if (opts.dryRun) return { files, numDeletedFiles: 0, sizeOfDataToDelete, dryRun: true };

  const startTxn = await table.startTransaction();
  await startTxn.commit({
    operation: 'VACUUM START',
    ...commitUser(opts),
    operationParameters: {
      retentionCheckEnabled: opts.enforceRetentionDuration !== false,
      specifiedRetentionMillis: Math.round(retention * 3600 * 1000),
      defaultRetentionMillis: Math.round(tableRetention * 3600 * 1000),
    },
    operationMetrics: { numFilesToDelete: files.length, sizeOfDataToDelete },
    isBlindAppend: false,
  });
  let deleted = 0;
  const queue = [...files];
  const worker = async (): Promise<void> => {
    for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
      await table.store.delete(p);
      deleted++;
    }
  };
  let status = 'COMPLETED';
  try {
    await Promise.all(Array.from({ length: 8 }, worker));
  } catch (e) {
    status = 'FAILED';
    throw e;
  } finally {
    const endTxn = await table.startTransaction();
    await endTxn.commit({
      operation: 'VACUUM END',
      ...commitUser(opts),
      operationParameters: { status },
      operationMetrics: { numDeletedFiles: deleted, numVacuumedDirectories: 0 },
      isBlindAppend: false,
    });
  }
  return { files, numDeletedFiles: deleted, sizeOfDataToDelete, dryRun: false };
}
