/**
 * Optimistic transactions on a Delta table (PROTOCOL.md, "Delta Log Entries" / "Commit
 * Provenance"). A transaction starts from a read snapshot, collects actions and records what it
 * depended on (files, predicates, the whole table). `commit` writes
 * `_delta_log/<readVersion + 1>.json` with the store's atomic put-if-absent; when another writer
 * took that version first, the winning commits are read and checked for conflicts (conflict.ts)
 * and the commit is retried at the next free version, a bounded number of times.
 *
 * After a successful commit at a multiple of `delta.checkpointInterval` (default 10) a
 * checkpoint is written; a failed checkpoint never fails the commit.
 */
import { randomUUID } from 'node:crypto';
import { LakeboxError, VERSION } from '@lakebox/common';
import type {
  Action,
  Add,
  AddCDCFile,
  CommitInfo,
  DomainMetadata,
  Metadata,
  Protocol,
  Remove,
  Txn,
} from './actions.js';
import { checkpointStore } from './checkpoint-write.js';
import { checkConflicts, type CurrentTransactionInfo, type IsolationLevel } from './conflict.js';
import { commitPath, readCommit } from './log.js';
import { pruneFiles, validatePredicate, type Predicate } from './predicate.js';
import { assertWritable, sameProtocol, selectProtocol } from './protocol-select.js';
import { parseSchema } from './schema.js';
import { canonicalPath, type Snapshot } from './snapshot.js';
import type { ObjectStore } from './storage.js';

export type { IsolationLevel } from './conflict.js';

/**
 * A read predicate: decides whether a (concurrently added) file falls inside what was read.
 * Either a function, or a scan Predicate (predicate.ts), evaluated against the file's partition
 * values and statistics the way scans prune files.
 */
export type ReadPredicate = ((file: Add) => boolean) | Predicate;

/** Who commits: written to commitInfo (`userId`, `userName`) as Spark / Databricks do. */
export interface CommitUser {
  userId?: string;
  userName?: string;
}

/** The commitInfo user fields of `u` (only those set). */
export function commitUser(u: CommitUser | undefined): CommitUser {
  return {
    ...(u?.userId !== undefined ? { userId: u.userId } : {}),
    ...(u?.userName !== undefined ? { userName: u.userName } : {}),
  };
}

export interface CommitOperation extends CommitUser {
  /** Spark's operation name: WRITE, CREATE TABLE, DELETE, UPDATE, MERGE, OPTIMIZE, ... */
  operation: string;
  /** Values are stored JSON-encoded (strings as-is), as Spark does. */
  operationParameters?: Record<string, unknown>;
  operationMetrics?: Record<string, string | number>;
  /** Pass false to record a commit as not a blind append even when it only adds files. */
  isBlindAppend?: boolean;
}

export interface CommitResult {
  /** The version committed, or the read version when the commit was skipped. */
  version: number;
  /** True when setAppTransaction's version was already recorded: nothing was written. */
  skipped?: boolean;
  /** Number of put-if-absent attempts (1 when no other writer interfered). */
  attempts?: number;
  /** Present when a checkpoint was attempted after this commit. */
  checkpoint?: { written: boolean; error?: string };
}

export const ENGINE_INFO = `Lakebox/${VERSION}`;
export const DEFAULT_CHECKPOINT_INTERVAL = 10;
/** How many times a commit is retried at a newer version before giving up. */
export const MAX_COMMIT_ATTEMPTS = 1000;

/** Spark stores operation parameters as strings: strings as they are, everything else as JSON. */
export function encodeOperationParameters(params: Record<string, unknown> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}

function encodeMetrics(m: Record<string, string | number> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m)) out[k] = String(v);
  return out;
}

const isTrue = (v: string | undefined): boolean => v?.toLowerCase() === 'true';

/**
 * Guard the log against malformed file actions: a path, a size, partition values keyed by exactly
 * the (physical) partition columns, and no path added or removed twice in one commit.
 */
function validateFileActions(metadata: Metadata, adds: Add[], removes: Remove[]): void {
  const mode = metadata.configuration?.['delta.columnMapping.mode']?.toLowerCase();
  const fields = parseSchema(metadata.schemaString).fields;
  const expected = (metadata.partitionColumns ?? []).map((c) => {
    const f = fields.find((x) => x.name === c);
    const physical = f?.metadata?.['delta.columnMapping.physicalName'];
    return (mode === 'name' || mode === 'id') && typeof physical === 'string' ? physical : c;
  });
  const want = [...expected].sort().join('\u0000');
  const bad = (msg: string): LakeboxError => new LakeboxError('DELTA_INVALID_FILE_ACTION', msg);
  for (const [kind, list] of [
    ['add', adds],
    ['remove', removes],
  ] as const) {
    const seen = new Set<string>();
    for (const a of list) {
      if (typeof a.path !== 'string' || a.path === '') throw bad(`${kind} action without a path`);
      const key = canonicalPath(a.path);
      if (seen.has(key)) {
        throw new LakeboxError(
          'DELTA_DUPLICATE_ACTIONS_FOUND',
          `file operation '${kind}' for path ${a.path} was specified several times`,
          { sqlState: '2D521' },
        );
      }
      seen.add(key);
    }
  }
  for (const a of adds) {
    if (typeof a.size !== 'number' || !Number.isFinite(a.size) || a.size < 0) {
      throw bad(`add action for ${a.path} has an invalid size`);
    }
    if (!a.partitionValues || typeof a.partitionValues !== 'object') {
      throw bad(`add action for ${a.path} has no partitionValues`);
    }
    const got = Object.keys(a.partitionValues).sort().join('\u0000');
    if (got !== want) {
      throw bad(
        `add action for ${a.path} has partition values for [${Object.keys(a.partitionValues).join(', ')}] but the table is partitioned by [${expected.join(', ')}]`,
      );
    }
  }
}

export class Transaction {
  readonly store: ObjectStore;
  readonly isolationLevel: IsolationLevel;
  readonly txnId = randomUUID();
  private readonly snapshot: Snapshot | undefined;
  private readonly adds: Add[] = [];
  private readonly removes: Remove[] = [];
  private readonly cdcs: AddCDCFile[] = [];
  private readonly domains = new Map<string, DomainMetadata>();
  private newMetadata: Metadata | undefined;
  private newProtocol: Protocol | undefined;
  private appTxn: Txn | undefined;
  private wholeTable = false;
  private readonly readPaths = new Set<string>();
  private readonly readPredicates: ((file: Add) => boolean)[] = [];
  private readAnything = false;
  private committed = false;

  /** `snapshot` undefined: the transaction creates the table (it commits version 0). */
  constructor(
    store: ObjectStore,
    snapshot: Snapshot | undefined,
    isolationLevel: IsolationLevel = 'WriteSerializable',
  ) {
    this.store = store;
    this.snapshot = snapshot;
    this.isolationLevel = isolationLevel;
  }

  /** The snapshot the transaction read. Throws for a table-creating transaction. */
  get readSnapshot(): Snapshot {
    if (!this.snapshot) {
      throw new LakeboxError('DELTA_TABLE_NOT_FOUND', 'this transaction creates the table: there is no read snapshot');
    }
    return this.snapshot;
  }

  /** The version read (-1 when the transaction creates the table). */
  get readVersion(): number {
    return this.snapshot?.version ?? -1;
  }

  /** The metadata the commit will have (updated or read). */
  get metadata(): Metadata {
    const m = this.newMetadata ?? this.snapshot?.metadata;
    if (!m) throw new LakeboxError('DELTA_METADATA_ABSENT', 'a table-creating transaction needs updateMetadata()');
    return m;
  }

  /** The protocol the commit will have (explicit update, upgraded for the features the metadata uses). */
  get protocol(): Protocol {
    const base = this.newProtocol ?? this.snapshot?.protocol;
    return selectProtocol(this.metadata, { current: base, usesDomainMetadata: this.domains.size > 0 });
  }

  addFiles(adds: Add[]): void {
    this.assertOpen();
    this.adds.push(...adds);
  }

  removeFiles(removes: Remove[]): void {
    this.assertOpen();
    this.removes.push(...removes);
  }

  addCdc(files: AddCDCFile[]): void {
    this.assertOpen();
    this.cdcs.push(...files);
  }

  /** Set (or, with removed: true, delete) domain metadata. */
  addDomainMetadata(dm: DomainMetadata | DomainMetadata[]): void {
    this.assertOpen();
    for (const d of Array.isArray(dm) ? dm : [dm]) this.domains.set(d.domain, d);
  }

  updateMetadata(m: Metadata): void {
    this.assertOpen();
    this.newMetadata = m;
  }

  updateProtocol(p: Protocol): void {
    this.assertOpen();
    this.newProtocol = p;
  }

  /** Record `version` for `appId` (idempotent writes): a version already recorded skips the commit. */
  setAppTransaction(appId: string, version: number): void {
    this.assertOpen();
    if (!Number.isInteger(version) || version < 0) {
      throw new LakeboxError(
        'DELTA_INVALID_APP_TRANSACTION',
        `invalid txn version ${version} for application ${appId}`,
      );
    }
    this.appTxn = { appId, version, lastUpdated: Date.now() };
  }

  /** The operation depended on every file of the table. */
  readWholeTable(): void {
    this.wholeTable = true;
    this.readAnything = true;
  }

  /** The operation depended on these files (a concurrent removal of one is a conflict). */
  readFiles(adds: Add[]): void {
    for (const a of adds) this.readPaths.add(canonicalPath(a.path));
    this.readAnything = true;
  }

  /**
   * The operation read the files matching `p` (undefined: the whole table). A file added
   * concurrently that matches is a conflict (Serializable / WriteSerializable).
   */
  readPredicate(p?: ReadPredicate): void {
    if (p === undefined) this.readWholeTable();
    else {
      this.readPredicates.push(typeof p === 'function' ? p : this.fileMatcher(p));
      this.readAnything = true;
    }
  }

  /** A Predicate as a per-file test: the scan's pruning applied to that one file. */
  private fileMatcher(p: Predicate): (file: Add) => boolean {
    const snapshot = this.readSnapshot;
    validatePredicate(p, snapshot.schema.fields);
    return (file) => {
      const oneFile = Object.create(snapshot, { activeFiles: { value: () => [file] } }) as Snapshot;
      return pruneFiles(oneFile, p).length > 0;
    };
  }

  private assertOpen(): void {
    if (this.committed)
      throw new LakeboxError('DELTA_TRANSACTION_ALREADY_COMMITTED', 'this transaction was already committed');
  }

  /** Commit; retries on a newer version when the concurrent commits do not conflict. */
  async commit(op: CommitOperation): Promise<CommitResult> {
    this.assertOpen();
    this.committed = true;
    const snapshot = this.snapshot;
    const metadata = this.metadata;
    const protocol = this.protocol;
    const creating = snapshot === undefined;

    assertWritable(protocol, metadata);
    if (snapshot) assertWritable(snapshot.protocol, snapshot.metadata);

    // Idempotent writes: this application's batch is already in the table.
    if (this.appTxn && snapshot) {
      const recorded = snapshot.appTransactionVersion(this.appTxn.appId);
      if (recorded !== undefined && this.appTxn.version <= recorded) {
        return { version: snapshot.version, skipped: true, attempts: 0 };
      }
    }

    // delta.appendOnly: no data may be removed (compaction, dataChange=false, is fine).
    const appendOnly =
      isTrue(metadata.configuration?.['delta.appendOnly']) ||
      isTrue(snapshot?.metadata.configuration?.['delta.appendOnly']);
    if (appendOnly && this.removes.some((r) => r.dataChange !== false)) {
      throw new LakeboxError(
        'DELTA_CANNOT_MODIFY_APPEND_ONLY',
        'this table is configured to only allow appends (delta.appendOnly = true); to allow updates or deletes set it to false',
        { sqlState: '42809' },
      );
    }
    if (creating && (this.removes.length > 0 || this.readAnything)) {
      throw new LakeboxError('DELTA_TABLE_NOT_FOUND', 'a table-creating transaction cannot read or remove files');
    }
    validateFileActions(metadata, this.adds, this.removes);

    const changesMetadata = this.newMetadata !== undefined;
    const changesProtocol = creating || !sameProtocol(protocol, snapshot.protocol);
    const onlyAdds = this.removes.length === 0;
    const isBlindAppend = onlyAdds && !this.readAnything && op.isBlindAppend !== false;

    const now = Date.now();
    const removes = this.removes.map((r) => ({ ...r, deletionTimestamp: r.deletionTimestamp ?? now }));
    // In-commit timestamps (feature inCommitTimestamp): commitInfo carries a timestamp strictly
    // greater than the previous commit's; enabling them on an existing table records from which
    // version on (the enablement properties are filled in per attempt, as the version may move).
    const ict = isTrue(metadata.configuration?.['delta.enableInCommitTimestamps']);
    const enablesIct = ict && !creating && !isTrue(snapshot.metadata.configuration?.['delta.enableInCommitTimestamps']);
    let lastTimestamp = snapshot?.timestamp ?? 0;
    const bodyFor = (version: number, inCommitTimestamp: number | undefined): Action[] => {
      const body: Action[] = [];
      if (changesProtocol) body.push({ protocol });
      if (changesMetadata || creating) {
        body.push({
          metaData: enablesIct
            ? {
                ...metadata,
                configuration: {
                  ...metadata.configuration,
                  'delta.inCommitTimestampEnablementVersion': String(version),
                  'delta.inCommitTimestampEnablementTimestamp': String(inCommitTimestamp),
                },
              }
            : metadata,
        });
      }
      if (this.appTxn) body.push({ txn: this.appTxn });
      for (const d of this.domains.values()) body.push({ domainMetadata: d });
      for (const r of removes) body.push({ remove: r });
      for (const a of this.adds) body.push({ add: a });
      for (const c of this.cdcs) body.push({ cdc: c });
      return body;
    };

    const current: CurrentTransactionInfo = {
      isolationLevel: this.isolationLevel,
      isBlindAppend,
      partitioned: (snapshot?.partitionColumns.length ?? 0) > 0,
      readWholeTable: this.wholeTable,
      addedFileMatchesReads: (a) => this.readPredicates.some((p) => p(a)),
      readFilePaths: this.readPaths,
      removedFilePaths: new Set(removes.map((r) => canonicalPath(r.path))),
      appIds: new Set(this.appTxn ? [this.appTxn.appId] : []),
      domains: new Set(this.domains.keys()),
      changesMetadata,
      changesProtocol,
    };

    let version = this.readVersion + 1;
    for (let attempt = 1; attempt <= MAX_COMMIT_ATTEMPTS; attempt++) {
      const timestamp = Date.now();
      const inCommitTimestamp = ict ? Math.max(timestamp, lastTimestamp + 1) : undefined;
      const commitInfo: CommitInfo = {
        ...(inCommitTimestamp !== undefined ? { inCommitTimestamp } : {}),
        timestamp,
        ...commitUser(op),
        operation: op.operation,
        operationParameters: encodeOperationParameters(op.operationParameters),
        ...(creating ? {} : { readVersion: this.readVersion }),
        isolationLevel: this.isolationLevel,
        isBlindAppend,
        operationMetrics: encodeMetrics(op.operationMetrics),
        engineInfo: ENGINE_INFO,
        txnId: this.txnId,
      };
      const actions = [{ commitInfo }, ...bodyFor(version, inCommitTimestamp)];
      const text = actions.map((a) => JSON.stringify(a)).join('\n') + '\n';
      if (await this.store.putIfAbsent(commitPath(version), new TextEncoder().encode(text))) {
        const result: CommitResult = { version, attempts: attempt };
        const checkpoint = await this.maybeCheckpoint(version, metadata);
        if (checkpoint) result.checkpoint = checkpoint;
        return result;
      }
      if (creating) {
        throw new LakeboxError(
          'DELTA_TABLE_ALREADY_EXISTS',
          `a Delta table was created concurrently at ${this.store.url}`,
          {
            sqlState: '42P07',
            httpStatus: 409,
          },
        );
      }
      // Lost the race: check every commit that won, up to the newest, then retry after it.
      for (;;) {
        let winner: Action[];
        try {
          winner = await readCommit(this.store, version);
        } catch (e) {
          if (e instanceof LakeboxError && e.code === 'DELTA_VERSION_NOT_FOUND') break;
          throw e;
        }
        const wci = winner.find((a) => a.commitInfo)?.commitInfo;
        if (wci?.txnId === this.txnId) {
          // Our own earlier attempt landed (e.g. an object store acknowledged the write late).
          return { version, attempts: attempt };
        }
        checkConflicts(current, { version, actions: winner }, (p) => assertWritable(p));
        const wts = wci?.inCommitTimestamp ?? wci?.timestamp;
        if (typeof wts === 'number') lastTimestamp = Math.max(lastTimestamp, wts);
        version++;
      }
    }
    throw new LakeboxError(
      'DELTA_MAX_COMMIT_RETRIES_EXCEEDED',
      `gave up committing to ${this.store.url} after ${MAX_COMMIT_ATTEMPTS} attempts: too many concurrent writers`,
      { httpStatus: 409 },
    );
  }

  private async maybeCheckpoint(version: number, metadata: Metadata): Promise<CommitResult['checkpoint']> {
    const raw = metadata.configuration?.['delta.checkpointInterval'];
    const parsed = raw === undefined ? NaN : Number.parseInt(raw, 10);
    const interval = Number.isInteger(parsed) && parsed > 0 ? parsed : DEFAULT_CHECKPOINT_INTERVAL;
    if (version === 0 || version % interval !== 0) return undefined;
    try {
      await checkpointStore(this.store, version);
      return { written: true };
    } catch (e) {
      // The commit is durable; a missing checkpoint only makes the next read replay more JSON.
      return { written: false, error: e instanceof Error ? e.message : String(e) };
    }
  }
}
