/**
 * Snapshots: the state of a Delta table at one version, reconstructed by log replay
 * (PROTOCOL.md, "Action Reconciliation") from the newest usable checkpoint plus the commits after it.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LakeboxError } from '@lakebox/common';
import type { Action, Add, CommitInfo, DomainMetadata, Metadata, Protocol, Remove } from './actions.js';
import { readCheckpoint } from './checkpoint-read.js';
import { checkReadSupported } from './features.js';
import {
  LOG_DIR,
  commitPath,
  listLog,
  readCommit,
  readLastCheckpoint,
  type CheckpointInstance,
  type LogListing,
} from './log.js';
import { parseSchema, type StructType } from './schema.js';
import type { ObjectMeta, ObjectStore } from './storage.js';
import { LocalObjectStore } from './storage-local.js';
import { S3ObjectStore } from './storage-s3.js';

export type ColumnMappingMode = 'none' | 'name' | 'id';

/** The files a snapshot was built from. */
export interface LogSegment {
  version: number;
  checkpoint?: CheckpointInstance;
  /** Commit files after the checkpoint, ascending, up to `version`. */
  commits: { version: number; meta: ObjectMeta }[];
}

/** Canonical form of a file path for reconciliation: URI-decoded, `file:` scheme removed. */
export function canonicalPath(p: string): string {
  if (!p.includes('%') && !/^file:/i.test(p)) return p;
  let s = p;
  if (/^file:/i.test(s)) s = s.replace(/^file:(\/\/(?=\/))?/i, '');
  try {
    s = decodeURIComponent(s);
  } catch {
    // keep the raw path: a malformed escape cannot match anything else anyway
  }
  return s;
}

/** Key identifying a logical file: path plus deletion vector (PROTOCOL.md, "Action Reconciliation"). */
export function fileKey(a: Pick<Add, 'path' | 'deletionVector'>): string {
  const dv = a.deletionVector;
  const dvId = dv
    ? `${dv.storageType}${dv.pathOrInlineDv}${dv.offset !== undefined && dv.offset !== null ? `@${dv.offset}` : ''}`
    : '';
  return `${canonicalPath(a.path)}\u0000${dvId}`;
}

export class Snapshot {
  readonly store: ObjectStore;
  readonly version: number;
  readonly protocol: Protocol;
  readonly metadata: Metadata;
  readonly schema: StructType;
  readonly partitionColumns: string[];
  readonly timestamp: number;
  readonly columnMappingMode: ColumnMappingMode;
  readonly segment: LogSegment;
  private readonly files: Map<string, Add>;
  private readonly removed: Map<string, Remove>;
  private readonly txns: Map<string, number>;
  private readonly domains: Map<string, DomainMetadata>;

  constructor(init: {
    store: ObjectStore;
    version: number;
    protocol: Protocol;
    metadata: Metadata;
    timestamp: number;
    segment: LogSegment;
    files: Map<string, Add>;
    removed: Map<string, Remove>;
    txns: Map<string, number>;
    domains: Map<string, DomainMetadata>;
  }) {
    this.store = init.store;
    this.version = init.version;
    this.protocol = init.protocol;
    this.metadata = init.metadata;
    this.timestamp = init.timestamp;
    this.segment = init.segment;
    this.files = init.files;
    this.removed = init.removed;
    this.txns = init.txns;
    this.domains = init.domains;
    if (typeof init.metadata.schemaString !== 'string') {
      throw new LakeboxError(
        'DELTA_INVALID_LOG_FILE',
        `the metaData action of the Delta table at ${init.store.url} has no schemaString`,
      );
    }
    try {
      this.schema = parseSchema(init.metadata.schemaString);
    } catch (e) {
      throw new LakeboxError(
        'DELTA_INVALID_LOG_FILE',
        `the table schema in ${init.store.url} is not valid JSON: ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
    this.partitionColumns = [...(init.metadata.partitionColumns ?? [])];
    const mode = init.metadata.configuration?.['delta.columnMapping.mode'] ?? 'none';
    if (mode !== 'none' && mode !== 'name' && mode !== 'id') {
      throw new LakeboxError('DELTA_MODE_NOT_SUPPORTED', `unknown column mapping mode '${mode}' in ${init.store.url}`);
    }
    this.columnMappingMode = mode;
  }

  /** Live data files after log replay (insertion order of the log). */
  activeFiles(): Add[] {
    return [...this.files.values()];
  }

  /** Remove actions still known to the log (tombstones). */
  tombstones(): Remove[] {
    return [...this.removed.values()];
  }

  appTransactionVersion(appId: string): number | undefined {
    return this.txns.get(appId);
  }

  /** Every application transaction (idempotent-write watermark): what a checkpoint records. */
  appTransactions(): { appId: string; version: number }[] {
    return [...this.txns].map(([appId, version]) => ({ appId, version }));
  }

  /** Live (not removed) domain metadata, by domain. */
  domainMetadata(): Map<string, DomainMetadata> {
    return new Map(this.domains);
  }

  tableProperties(): Record<string, string> {
    return { ...(this.metadata.configuration ?? {}) };
  }

  /** Number of live files and their total size in bytes. */
  sizeInfo(): { numFiles: number; sizeInBytes: number } {
    let sizeInBytes = 0;
    for (const f of this.files.values()) sizeInBytes += Number(f.size ?? 0);
    return { numFiles: this.files.size, sizeInBytes };
  }
}

/** A store for a table location: a local path, a `file://` URL or `s3://bucket/prefix`. */
export function tableStore(location: string): ObjectStore {
  if (/^s3a?:\/\//i.test(location)) return S3ObjectStore.fromUrl(location);
  if (/^file:/i.test(location)) return new LocalObjectStore(fileURLToPath(location));
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    throw new LakeboxError('DELTA_UNSUPPORTED_STORAGE', `unsupported table location scheme: ${location}`);
  }
  return new LocalObjectStore(path.resolve(location));
}

/** The newest version of the table, or undefined when there is no Delta table at the store. */
export async function latestVersion(store: ObjectStore): Promise<number | undefined> {
  const hint = await readLastCheckpoint(store);
  let listing = await listLog(store, hint?.version ?? 0);
  let v = maxVersion(listing);
  if (v === undefined && listing.partial) {
    listing = await listLog(store, 0);
    v = maxVersion(listing);
  }
  return v;
}

function maxVersion(l: LogListing): number | undefined {
  let v: number | undefined;
  for (const k of l.commits.keys()) if (v === undefined || k > v) v = k;
  for (const c of l.checkpoints) if (v === undefined || c.version > v) v = c.version;
  return v;
}

function notATable(store: ObjectStore): LakeboxError {
  return new LakeboxError(
    'DELTA_MISSING_DELTA_TABLE',
    `${store.url} is not a Delta table: no commits found in ${LOG_DIR}`,
    {
      httpStatus: 404,
      details: { location: store.url },
    },
  );
}

/** Find the checkpoint and commits that make up `target` (or the latest version). */
export async function resolveSegment(store: ObjectStore, target?: number): Promise<LogSegment> {
  if (target !== undefined && (!Number.isInteger(target) || target < 0)) {
    throw new LakeboxError(
      'DELTA_VERSION_NOT_FOUND',
      `cannot time travel to version ${target}: versions are non-negative integers`,
    );
  }
  const hint = await readLastCheckpoint(store);
  let listing: LogListing | undefined;
  if (hint && (target === undefined || hint.version <= target)) {
    const l = await listLog(store, hint.version);
    // Use the partial listing only when the hinted checkpoint is really there and complete.
    if (l.checkpoints.some((c) => c.version === hint.version)) listing = l;
  }
  listing ??= await listLog(store, 0);
  return segmentFromListing(store, listing, target);
}

export function segmentFromListing(store: ObjectStore, listing: LogListing, target?: number): LogSegment {
  const latest = maxVersion(listing);
  if (latest === undefined) {
    const [cv, missing] = [...listing.incompleteCheckpoints.entries()].pop() ?? [];
    if (cv !== undefined && missing) {
      throw new LakeboxError(
        'DELTA_MISSING_PART_FILES',
        `couldn't find all part files of the checkpoint version ${cv}: missing ${missing.join(', ')}`,
        {
          details: { version: cv, missing },
        },
      );
    }
    throw notATable(store);
  }
  const earliestCommit = Math.min(...listing.commits.keys());
  if (target !== undefined && target > latest) {
    throw new LakeboxError(
      'DELTA_VERSION_NOT_FOUND',
      `cannot time travel Delta table to version ${target}: available versions are [${earliestAvailable(listing)}, ${latest}]`,
      { details: { version: target, latest }, httpStatus: 404 },
    );
  }
  const v = target ?? latest;
  let checkpoint: CheckpointInstance | undefined;
  for (const c of listing.checkpoints) if (c.version <= v) checkpoint = c;
  const start = checkpoint ? checkpoint.version + 1 : 0;
  const commits: LogSegment['commits'] = [];
  for (let i = start; i <= v; i++) {
    const meta = listing.commits.get(i);
    if (meta) {
      commits.push({ version: i, meta });
      continue;
    }
    // A gap. Name the cause precisely.
    for (const [cv, missing] of listing.incompleteCheckpoints) {
      if (cv >= i && cv <= v) {
        throw new LakeboxError(
          'DELTA_MISSING_PART_FILES',
          `couldn't find all part files of the checkpoint version ${cv}: missing ${missing.join(', ')}`,
          { details: { version: cv, missing } },
        );
      }
    }
    if (i === 0 && target !== undefined && Number.isFinite(earliestCommit) && earliestCommit > 0) {
      throw new LakeboxError(
        'DELTA_VERSION_NOT_FOUND',
        `cannot time travel Delta table to version ${target}: available versions are [${earliestAvailable(listing)}, ${latest}]`,
        { details: { version: target, latest }, httpStatus: 404 },
      );
    }
    throw new LakeboxError(
      'DELTA_VERSIONS_NOT_CONTIGUOUS',
      `versions are not contiguous in ${store.url}: commit file ${commitPath(i)} is missing` +
        (checkpoint ? ` (after checkpoint ${checkpoint.version})` : ' and no checkpoint covers it'),
      { details: { path: commitPath(i), missingVersion: i } },
    );
  }
  return { version: v, ...(checkpoint ? { checkpoint } : {}), commits };
}

/** The oldest version that can be reconstructed from the listing. */
export function earliestAvailable(listing: LogListing): number {
  if (listing.commits.has(0)) return 0;
  const first = listing.checkpoints[0];
  if (first) return first.version;
  return Math.min(...listing.commits.keys());
}

/** The commit timestamp of one commit's actions (in-commit timestamp, commitInfo, file time). */
export function commitTimestamp(actions: Action[], fileTime: number): number {
  const ci = actions.find((a) => a.commitInfo)?.commitInfo as CommitInfo | undefined;
  const t = ci?.inCommitTimestamp ?? ci?.timestamp;
  return typeof t === 'number' && Number.isFinite(t) ? t : fileTime;
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Replay a log segment into a snapshot. */
export async function snapshotFromSegment(store: ObjectStore, segment: LogSegment): Promise<Snapshot> {
  const files = new Map<string, Add>();
  const removed = new Map<string, Remove>();
  const txns = new Map<string, number>();
  const domains = new Map<string, DomainMetadata>();
  let protocol: Protocol | undefined;
  let metadata: Metadata | undefined;
  let timestamp: number | undefined;

  const apply = (actions: Action[]): void => {
    for (const a of actions) {
      if (a.add) {
        const k = fileKey(a.add);
        files.delete(k); // re-insert to keep log order
        files.set(k, a.add);
        removed.delete(k);
      } else if (a.remove) {
        const k = fileKey(a.remove);
        files.delete(k);
        removed.set(k, a.remove);
      } else if (a.metaData) metadata = a.metaData;
      else if (a.protocol) protocol = a.protocol;
      else if (a.txn) txns.set(a.txn.appId, Number(a.txn.version));
      else if (a.domainMetadata) {
        if (a.domainMetadata.removed) domains.delete(a.domainMetadata.domain);
        else domains.set(a.domainMetadata.domain, a.domainMetadata);
      }
    }
  };

  const cp = segment.checkpoint;
  const [cpActions, commitActions] = await Promise.all([
    cp ? readCheckpoint(store, cp) : Promise.resolve([] as Action[]),
    mapLimit(segment.commits, 16, (c) => readCommit(store, c.version)),
  ]);
  if (cp) {
    apply(cpActions);
    if (!protocol) {
      throw new LakeboxError(
        'DELTA_STATE_RECOVER_ERROR',
        `the protocol of the Delta table could not be recovered: checkpoint ${cp.files[0]!.path} has no protocol action`,
        {
          details: { path: cp.files[0]!.path },
        },
      );
    }
    if (!metadata) {
      throw new LakeboxError(
        'DELTA_STATE_RECOVER_ERROR',
        `the metadata of the Delta table could not be recovered: checkpoint ${cp.files[0]!.path} has no metaData action`,
        {
          details: { path: cp.files[0]!.path },
        },
      );
    }
  }
  segment.commits.forEach((c, i) => apply(commitActions[i]!));
  const last = segment.commits[segment.commits.length - 1];
  if (last && last.version === segment.version)
    timestamp = commitTimestamp(commitActions[commitActions.length - 1]!, last.meta.lastModified);
  else if (cp) {
    // The snapshot version is the checkpoint's: take the commit's time when its file still exists.
    try {
      const actions = await readCommit(store, cp.version);
      const meta = await store.head(commitPath(cp.version));
      timestamp = commitTimestamp(actions, meta?.lastModified ?? cp.files[0]!.lastModified);
    } catch {
      timestamp = cp.files[0]!.lastModified;
    }
  }
  if (!protocol) {
    throw new LakeboxError(
      'DELTA_STATE_RECOVER_ERROR',
      `the protocol of the Delta table at ${store.url} could not be recovered: no protocol action in the log up to version ${segment.version}`,
    );
  }
  checkReadSupported(protocol, store.url);
  if (!metadata) {
    throw new LakeboxError(
      'DELTA_STATE_RECOVER_ERROR',
      `the metadata of the Delta table at ${store.url} could not be recovered: no metaData action in the log up to version ${segment.version}`,
    );
  }
  return new Snapshot({
    store,
    version: segment.version,
    protocol,
    metadata,
    timestamp: timestamp ?? 0,
    segment,
    files,
    removed,
    txns,
    domains,
  });
}

/** Parse a time-travel timestamp: epoch ms, Date, or an ISO-8601 / `YYYY-MM-DD[ HH:MM:SS[.fff]]` string (UTC unless it has a zone). */
export function parseTimestamp(ts: number | string | Date): number {
  let ms: number;
  if (ts instanceof Date) ms = ts.getTime();
  else if (typeof ts === 'number') ms = ts;
  else {
    const s = ts.trim();
    let iso = s;
    if (/^\d{4}-\d{2}-\d{2}$/.test(s)) iso = `${s}T00:00:00Z`;
    else if (/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(s)) iso = `${s.replace(' ', 'T')}Z`;
    else if (/^\d{4}-\d{2}-\d{2} /.test(s)) iso = s.replace(' ', 'T');
    ms = /^\d{4}-\d{2}-\d{2}/.test(iso) ? Date.parse(iso) : NaN;
  }
  if (!Number.isFinite(ms)) {
    throw new LakeboxError(
      'DELTA_TIMESTAMP_INVALID',
      `the provided timestamp (${String(ts)}) cannot be converted to a valid timestamp`,
    );
  }
  return ms;
}

/** The newest version whose commit timestamp is at or before `ts` (binary search over the log). */
export async function versionAtTimestamp(store: ObjectStore, ts: number | string | Date): Promise<number> {
  const ms = parseTimestamp(ts);
  // Most time travel is recent: search the commits from the last checkpoint on first, and list
  // the whole log only when the timestamp is older than those.
  const hint = await readLastCheckpoint(store);
  let listing = await listLog(store, hint?.version ?? 0);
  const tsOf = async (v: number): Promise<number> =>
    commitTimestamp(await readCommit(store, v), listing.commits.get(v)!.lastModified);
  if (listing.partial) {
    const recent = [...listing.commits.keys()].sort((a, b) => a - b);
    if (recent.length === 0 || ms < (await tsOf(recent[0]!))) listing = await listLog(store, 0);
  }
  const latest = maxVersion(listing);
  if (latest === undefined) throw notATable(store);
  const earliest = listing.partial ? Math.min(...listing.commits.keys()) : earliestAvailable(listing);
  const versions = [...listing.commits.keys()].filter((v) => v >= earliest).sort((a, b) => a - b);
  if (versions.length === 0) throw notATable(store);
  const first = await tsOf(versions[0]!);
  if (ms < first) {
    throw new LakeboxError(
      'DELTA_TIMESTAMP_EARLIER_THAN_COMMIT_RETENTION',
      `the provided timestamp (${new Date(ms).toISOString()}) is before the earliest version available to this table (${new Date(first).toISOString()}, version ${versions[0]})`,
      { details: { timestamp: ms, earliest: first } },
    );
  }
  const lastTs = await tsOf(versions[versions.length - 1]!);
  if (ms > lastTs) {
    throw new LakeboxError(
      'DELTA_TIMESTAMP_GREATER_THAN_COMMIT',
      `the provided timestamp (${new Date(ms).toISOString()}) is after the latest version available to this table (${new Date(lastTs).toISOString()}, version ${versions[versions.length - 1]}); use a timestamp before or at it`,
      { details: { timestamp: ms, latest: lastTs } },
    );
  }
  let lo = 0;
  let hi = versions.length - 1; // invariant: ts(versions[lo]) <= ms
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if ((await tsOf(versions[mid]!)) <= ms) lo = mid;
    else hi = mid - 1;
  }
  return versions[lo]!;
}

/** Load the snapshot at the latest version, a given version, or the version current at a timestamp. */
export async function loadSnapshot(
  store: ObjectStore,
  opts: { version?: number; timestamp?: number | string | Date } = {},
): Promise<Snapshot> {
  if (opts.version !== undefined && opts.timestamp !== undefined) {
    throw new LakeboxError(
      'DELTA_ONEOF_IN_TIMETRAVEL',
      'specify either a version or a timestamp for time travel, not both',
    );
  }
  const target = opts.timestamp !== undefined ? await versionAtTimestamp(store, opts.timestamp) : opts.version;
  const segment = await resolveSegment(store, target);
  return snapshotFromSegment(store, segment);
}
