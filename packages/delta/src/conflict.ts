/**
 * Optimistic-concurrency conflict detection. When a transaction loses the race for a version, the
 * commits that won ("winning commits", everything between its read version and the version it
 * will retry at) are checked against what the transaction read and wrote. Rules (after Delta's
 * conflict checker, re-stated in our words):
 *
 *  1. A winning protocol change conflicts with a transaction that changes the protocol too, and any
 *     winning protocol we cannot write to ends the transaction.
 *  2. A winning metadata change (schema, properties, partitioning) conflicts with every transaction.
 *  3. Files added by a winning commit conflict when they fall in what the transaction read (the
 *     whole table, or a read predicate over partition values; on an unpartitioned table any read
 *     covers everything): under Serializable every added file counts; under WriteSerializable,
 *     files added by blind appends do not unless this transaction changes the metadata; under
 *     SnapshotIsolation none does. A blind append read nothing and never conflicts here.
 *  4. A file removed by a winning commit that the transaction read (or any removal when it read the
 *     whole table) -> DELTA_CONCURRENT_DELETE_READ.
 *  5. A file removed by both -> DELTA_CONCURRENT_DELETE_DELETE.
 *  6. A winning `txn` for an appId the transaction also sets -> DELTA_CONCURRENT_TRANSACTION.
 *  7. A winning domainMetadata for a domain the transaction also writes -> DELTA_CONCURRENT_TRANSACTION.
 *
 * Two blind appends never conflict.
 */
import { LakeboxError } from '@lakebox/common';
import type { Action, Add, CommitInfo, Protocol } from './actions.js';
import { canonicalPath } from './snapshot.js';

export type IsolationLevel = 'Serializable' | 'WriteSerializable' | 'SnapshotIsolation';

/** What the committing transaction read and wrote (the side of the check that can be retried). */
export interface CurrentTransactionInfo {
  isolationLevel: IsolationLevel;
  /** Only adds new files and read nothing: never has to see concurrent changes. */
  isBlindAppend: boolean;
  /** The table (at read time) has partition columns. */
  partitioned: boolean;
  /** It depends on every file of the table (readWholeTable, or a read with no predicate). */
  readWholeTable: boolean;
  /** Does an added file fall inside one of the transaction's read predicates? */
  addedFileMatchesReads: (add: Add) => boolean;
  /** Paths of files the transaction read (normalised with snapshot.ts `canonicalPath`). */
  readFilePaths: ReadonlySet<string>;
  /** Paths of files the transaction removes. */
  removedFilePaths: ReadonlySet<string>;
  /** appIds of txn actions the transaction writes (it depends on their previous version). */
  appIds: ReadonlySet<string>;
  /** Domains of domainMetadata actions the transaction writes. */
  domains: ReadonlySet<string>;
  changesMetadata: boolean;
  changesProtocol: boolean;
}

/** A winning commit, summarised. */
export interface WinningCommit {
  version: number;
  actions: Action[];
}

const SQLSTATE_CONCURRENT = '2D521';

function describe(commit: WinningCommit, info: CommitInfo | undefined): string {
  const op = info?.operation ? `${info.operation} ` : '';
  return `${op}at version ${commit.version}`;
}

function conflict(
  code: string,
  message: string,
  commit: WinningCommit,
  info: CommitInfo | undefined,
  details: Record<string, unknown> = {},
): LakeboxError {
  return new LakeboxError(
    code,
    `${message} Conflicting commit: ${describe(commit, info)}. Please try the operation again.`,
    {
      sqlState: SQLSTATE_CONCURRENT,
      httpStatus: 409,
      details: { conflictingVersion: commit.version, conflictingOperation: info?.operation, ...details },
    },
  );
}

/**
 * Throw the typed conflict error if `winner` conflicts with the current transaction; return
 * normally when the transaction may retry on top of it. `assertProtocolWritable` checks a winning
 * protocol (it throws DELTA_UNSUPPORTED_FEATURES_FOR_WRITE).
 */
export function checkConflicts(
  current: CurrentTransactionInfo,
  winner: WinningCommit,
  assertProtocolWritable: (p: Protocol) => void = () => {},
): void {
  let info: CommitInfo | undefined;
  let protocol: Protocol | undefined;
  let metadataChanged = false;
  const adds: Add[] = [];
  const removed: string[] = [];
  const appIds: string[] = [];
  const domains: string[] = [];
  for (const a of winner.actions) {
    if (a.commitInfo) info = a.commitInfo;
    else if (a.protocol) protocol = a.protocol;
    else if (a.metaData) metadataChanged = true;
    else if (a.add) adds.push(a.add);
    else if (a.remove) removed.push(canonicalPath(a.remove.path));
    else if (a.txn) appIds.push(a.txn.appId);
    else if (a.domainMetadata) domains.push(a.domainMetadata.domain);
  }

  // 1. protocol
  if (protocol) {
    assertProtocolWritable(protocol);
    if (current.changesProtocol) {
      throw conflict(
        'DELTA_PROTOCOL_CHANGED',
        'The protocol version of the Delta table was changed by a concurrent update.',
        winner,
        info,
      );
    }
  }
  // 2. metadata
  if (metadataChanged) {
    throw conflict(
      'DELTA_METADATA_CHANGED',
      'The metadata of the Delta table was changed by a concurrent update.',
      winner,
      info,
    );
  }
  // 3. concurrently added files inside what we read (a blind append read nothing)
  const winnerIsBlindAppend = info?.isBlindAppend === true;
  let addsToCheck: Add[];
  if (current.isBlindAppend || current.isolationLevel === 'SnapshotIsolation') addsToCheck = [];
  else if (current.isolationLevel === 'WriteSerializable' && !current.changesMetadata && winnerIsBlindAppend) {
    addsToCheck = [];
  } else addsToCheck = adds;
  if (addsToCheck.length > 0) {
    // Read predicates are evaluated against partition values; on an unpartitioned table every
    // read covers every file.
    const hit =
      current.readWholeTable || !current.partitioned
        ? addsToCheck[0]
        : addsToCheck.find((a) => current.addedFileMatchesReads(a));
    if (hit) {
      const where = Object.keys(hit.partitionValues ?? {}).length
        ? `partition [${Object.entries(hit.partitionValues)
            .map(([k, v]) => `${k}=${v ?? 'null'}`)
            .join(', ')}]`
        : 'the root of the table';
      throw conflict('DELTA_CONCURRENT_APPEND', `Files were added to ${where} by a concurrent update.`, winner, info, {
        path: hit.path,
      });
    }
  }
  // 4. concurrently removed files we read
  const deletedRead = removed.filter((p) => current.readFilePaths.has(p));
  if (deletedRead.length > 0 || (current.readWholeTable && removed.length > 0)) {
    throw conflict(
      'DELTA_CONCURRENT_DELETE_READ',
      `This transaction read data that a concurrent update deleted (${deletedRead[0] ?? removed[0]}).`,
      winner,
      info,
      { paths: deletedRead.length ? deletedRead : removed.slice(0, 10) },
    );
  }
  // 5. files removed by both
  const deletedTwice = removed.filter((p) => current.removedFilePaths.has(p));
  if (deletedTwice.length > 0) {
    throw conflict(
      'DELTA_CONCURRENT_DELETE_DELETE',
      `This transaction deletes data that a concurrent update already deleted (${deletedTwice[0]}).`,
      winner,
      info,
      { paths: deletedTwice },
    );
  }
  // 6. idempotent-write application ids
  const sameApp = appIds.filter((id) => current.appIds.has(id));
  if (sameApp.length > 0) {
    throw conflict(
      'DELTA_CONCURRENT_TRANSACTION',
      `A concurrent transaction wrote data for the same application id (${sameApp.join(', ')}).`,
      winner,
      info,
      { appIds: sameApp },
    );
  }
  // 7. domain metadata
  const sameDomain = domains.filter((d) => current.domains.has(d));
  if (sameDomain.length > 0) {
    throw conflict(
      'DELTA_CONCURRENT_TRANSACTION',
      `A concurrent transaction changed the same metadata domain (${sameDomain.join(', ')}).`,
      winner,
      info,
      { domains: sameDomain },
    );
  }
}
