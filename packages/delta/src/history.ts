/**
 * Table history (`DESCRIBE HISTORY`): one entry per commit, newest first, from each commit's
 * `commitInfo` action.
 */
import type { CommitInfo } from './actions.js';
import { listLog, readCommit, readLastCheckpoint } from './log.js';
import { commitTimestamp } from './snapshot.js';
import type { ObjectStore } from './storage.js';
import { LakeboxError } from '@lakebox/common';

export interface HistoryEntry {
  version: number;
  /** Commit time in ms (in-commit timestamp, commitInfo.timestamp or the file's modification time). */
  timestamp: number;
  operation: string | undefined;
  operationParameters: Record<string, unknown>;
  userName: string | undefined;
  operationMetrics: Record<string, string>;
  readVersion: number | undefined;
  isBlindAppend: boolean | undefined;
  isolationLevel: string | undefined;
  engineInfo: string | undefined;
  userMetadata: string | undefined;
}

/** The commits of the table, newest first (at most `limit`). */
export async function readHistory(store: ObjectStore, opts: { limit?: number } = {}): Promise<HistoryEntry[]> {
  // With a limit, list only the tail of the log (from the last checkpoint, or further back if needed).
  let listing = await listLog(store, opts.limit === undefined ? 0 : ((await readLastCheckpoint(store))?.version ?? 0));
  if (listing.partial) {
    const latest = Math.max(-1, ...listing.commits.keys());
    const from = Math.max(0, latest - (opts.limit ?? 0) + 1);
    if (latest < 0 || from < Math.min(...listing.commits.keys())) listing = await listLog(store, latest < 0 ? 0 : from);
  }
  if (listing.commits.size === 0 && listing.checkpoints.length === 0) {
    throw new LakeboxError(
      'DELTA_MISSING_DELTA_TABLE',
      `${store.url} is not a Delta table: no commits found in _delta_log/`,
      {
        httpStatus: 404,
      },
    );
  }
  let versions = [...listing.commits.keys()].sort((a, b) => b - a);
  if (opts.limit !== undefined) versions = versions.slice(0, Math.max(0, opts.limit));
  const out: HistoryEntry[] = [];
  for (const v of versions) {
    const actions = await readCommit(store, v);
    const ci = (actions.find((a) => a.commitInfo)?.commitInfo ?? {}) as CommitInfo;
    out.push({
      version: v,
      timestamp: commitTimestamp(actions, listing.commits.get(v)!.lastModified),
      operation: typeof ci.operation === 'string' ? ci.operation : undefined,
      operationParameters: (ci.operationParameters as Record<string, unknown> | undefined) ?? {},
      userName: typeof ci.userName === 'string' ? ci.userName : undefined,
      operationMetrics: ci.operationMetrics ?? {},
      readVersion: typeof ci.readVersion === 'number' ? ci.readVersion : undefined,
      isBlindAppend: typeof ci.isBlindAppend === 'boolean' ? ci.isBlindAppend : undefined,
      isolationLevel: typeof ci.isolationLevel === 'string' ? ci.isolationLevel : undefined,
      engineInfo: typeof ci.engineInfo === 'string' ? ci.engineInfo : undefined,
      userMetadata: typeof ci['userMetadata'] === 'string' ? ci['userMetadata'] : undefined,
    });
  }
  return out;
}
