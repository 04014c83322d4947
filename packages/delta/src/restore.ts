/**
 * RESTORE TABLE ... TO VERSION AS OF n / TIMESTAMP AS OF t: one commit that adds back the files
 * live at the target version and removes those added since, restoring the target's metadata
 * (the protocol is never downgraded).
 */
import { LakeboxError } from '@lakebox/common';
import type { Add } from './actions.js';
import { listLog } from './log.js';
import { fileKey, versionAtTimestamp, loadSnapshot } from './snapshot.js';
import type { ObjectStore } from './storage.js';
import { storeForLocation } from './storage-location.js';
import { DeltaTable } from './table.js';
import { commitUser, type CommitUser } from './transaction.js';
import { removeFor } from './write.js';
import { dataFilePath } from './scan.js';

export interface RestoreResult {
  version: number;
  metrics: {
    tableSizeAfterRestore: number;
    numOfFilesAfterRestore: number;
    numRemovedFiles: number;
    numRestoredFiles: number;
    removedFilesSize: number;
    restoredFilesSize: number;
  };
}

function storeOf(target: DeltaTable | ObjectStore | string): ObjectStore {
  if (target instanceof DeltaTable) return target.store;
  return typeof target === 'string' ? storeForLocation(target) : target;
}

async function fileExists(store: ObjectStore, a: Add): Promise<boolean> {
  if (/^[a-z][a-z0-9+.-]*:/i.test(a.path)) {
    try {
      await dataFilePath(store, a.path);
      return true;
    } catch {
      return false;
    }
  }
  let rel = a.path;
  try {
    rel = decodeURIComponent(a.path);
  } catch {
    // keep as is
  }
  return (await store.head(rel)) !== undefined;
}

/** Restore the table to an earlier version (or the version current at a timestamp). */
export async function restoreTable(
  target: DeltaTable | ObjectStore | string,
  to: { version: number } | { timestamp: number | string | Date },
  opts: CommitUser = {},
): Promise<RestoreResult> {
  const table = target instanceof DeltaTable ? target : await DeltaTable.open(storeOf(target));
  const txn = await table.startTransaction();
  const current = txn.readSnapshot;
  const version = 'version' in to ? to.version : await versionAtTimestamp(table.store, to.timestamp);
  const listing = await listLog(table.store);
  const versions = [...listing.commits.keys()];
  const earliest = listing.checkpoints.length
    ? Math.min(...listing.checkpoints.map((c) => c.version), ...versions)
    : Math.min(...versions);
  if (!Number.isInteger(version) || version < 0 || version > current.version || version < earliest) {
    throw new LakeboxError(
      'DELTA_CANNOT_RESTORE_TABLE_VERSION',
      `Cannot restore table to version ${version}. Available versions: [${earliest}, ${current.version}].`,
      { sqlState: '22003' },
    );
  }
  let targetSnap;
  try {
    targetSnap = await loadSnapshot(table.store, { version });
  } catch (e) {
    throw new LakeboxError(
      'DELTA_CANNOT_RESTORE_TABLE_VERSION',
      `Cannot restore table to version ${version}: ${(e as Error).message}`,
      { cause: e },
    );
  }
  const currentFiles = new Map(current.activeFiles().map((a) => [fileKey(a), a]));
  const targetFiles = new Map(targetSnap.activeFiles().map((a) => [fileKey(a), a]));
  const toRestore = [...targetFiles.entries()].filter(([k]) => !currentFiles.has(k)).map(([, a]) => a);
  const toRemove = [...currentFiles.entries()].filter(([k]) => !targetFiles.has(k)).map(([, a]) => a);

  // Files vacuumed since cannot come back.
  const missing: string[] = [];
  for (const a of toRestore) if (!(await fileExists(table.store, a))) missing.push(a.path);
  if (missing.length) {
    throw new LakeboxError(
      'DELTA_RESTORE_MISSED_DATA_FILES',
      `Cannot restore to version ${version}: ${missing.length} data file(s) it references were deleted (e.g. by VACUUM), such as ${missing.slice(0, 3).join(', ')}.`,
      { details: { missing: missing.slice(0, 100) } },
    );
  }

  txn.readWholeTable();
  const now = Date.now();
  txn.addFiles(toRestore.map((a) => ({ ...a, dataChange: true, modificationTime: a.modificationTime })));
  txn.removeFiles(toRemove.map((a) => removeFor(a, now)));
  if (JSON.stringify(targetSnap.metadata) !== JSON.stringify(current.metadata)) txn.updateMetadata(targetSnap.metadata);

  const size = (xs: Add[]): number => xs.reduce((n, a) => n + a.size, 0);
  const after = [...targetFiles.values()];
  const metrics = {
    tableSizeAfterRestore: size(after),
    numOfFilesAfterRestore: after.length,
    numRemovedFiles: toRemove.length,
    numRestoredFiles: toRestore.length,
    removedFilesSize: size(toRemove),
    restoredFilesSize: size(toRestore),
  };
  const r = await txn.commit({
    operation: 'RESTORE',
    ...commitUser(opts),
    operationParameters: 'version' in to ? { version } : { timestamp: String(to.timestamp) },
    operationMetrics: metrics,
    isBlindAppend: false,
  });
  return { version: r.version, metrics };
}
