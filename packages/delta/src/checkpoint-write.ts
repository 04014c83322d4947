/**
 * Writing classic single-file Parquet checkpoints (PROTOCOL.md, "Checkpoints"):
 * `_delta_log/<version>.checkpoint.parquet` holds the table state at a version (protocol,
 * metaData, live add files, unexpired remove tombstones, txn and domainMetadata actions; never
 * commitInfo or cdc), one action per row, columns being the action structs. `add.stats` stays a
 * JSON string and partitionValues are map<string,string>, which is what Spark and delta-rs read.
 * Then `_delta_log/_last_checkpoint` points at it.
 *
 * The Parquet file is written by DuckDB from newline-delimited JSON with an explicit schema, then
 * moved into place atomically, so a reader (or a crash) never sees half a checkpoint.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Action, Add, DomainMetadata, LastCheckpoint, Metadata, Protocol, Remove, Txn } from './actions.js';
import { sqlString, withConnection } from './duckdb.js';
import { LOG_DIR, padVersion, readLastCheckpoint } from './log.js';
import { loadSnapshot, type Snapshot } from './snapshot.js';
import type { ObjectStore } from './storage.js';
import { LocalObjectStore } from './storage-local.js';

const MAP = 'MAP(VARCHAR, VARCHAR)';
const DV =
  'STRUCT(storageType VARCHAR, pathOrInlineDv VARCHAR, "offset" INTEGER, sizeInBytes INTEGER, cardinality BIGINT)';

/** DuckDB types of the checkpoint columns (the action structs of PROTOCOL.md). */
export const CHECKPOINT_COLUMNS: ReadonlyArray<[string, string]> = [
  ['txn', 'STRUCT(appId VARCHAR, version BIGINT, lastUpdated BIGINT)'],
  [
    'add',
    `STRUCT(path VARCHAR, partitionValues ${MAP}, size BIGINT, modificationTime BIGINT, dataChange BOOLEAN, stats VARCHAR, tags ${MAP}, deletionVector ${DV}, baseRowId BIGINT, defaultRowCommitVersion BIGINT, clusteringProvider VARCHAR)`,
  ],
  [
    'remove',
    `STRUCT(path VARCHAR, deletionTimestamp BIGINT, dataChange BOOLEAN, extendedFileMetadata BOOLEAN, partitionValues ${MAP}, size BIGINT, tags ${MAP}, deletionVector ${DV}, baseRowId BIGINT, defaultRowCommitVersion BIGINT)`,
  ],
  [
    'metaData',
    `STRUCT(id VARCHAR, name VARCHAR, description VARCHAR, format STRUCT(provider VARCHAR, options ${MAP}), schemaString VARCHAR, partitionColumns VARCHAR[], configuration ${MAP}, createdTime BIGINT)`,
  ],
  [
    'protocol',
    'STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER, readerFeatures VARCHAR[], writerFeatures VARCHAR[])',
  ],
  ['domainMetadata', 'STRUCT(domain VARCHAR, configuration VARCHAR, removed BOOLEAN)'],
];

/** The extra column of a V2-spec checkpoint (tables with the v2Checkpoint feature). */
const CHECKPOINT_METADATA_COLUMN: [string, string] = ['checkpointMetadata', `STRUCT(version BIGINT, tags ${MAP})`];

function isV2(p: Protocol): boolean {
  return (p.readerFeatures ?? []).includes('v2Checkpoint') || (p.writerFeatures ?? []).includes('v2Checkpoint');
}

/** The table state a checkpoint records. */
export interface CheckpointState {
  version: number;
  protocol: Protocol;
  metadata: Metadata;
  adds: Add[];
  /** Tombstones to keep (already filtered for retention). */
  removes: Remove[];
  txns: Txn[];
  domainMetadata: DomainMetadata[];
}

export function checkpointPath(version: number): string {
  return `${LOG_DIR}${padVersion(version)}.checkpoint.parquet`;
}

/** Default retention of remove tombstones (`delta.deletedFileRetentionDuration`): one week. */
const DEFAULT_TOMBSTONE_RETENTION_MS = 7 * 24 * 3600 * 1000;

/** Parse a Delta interval property such as `interval 7 days` / `7 days` / `168 hours` into ms. */
export function parseIntervalMs(value: string | undefined, fallback: number): number {
  if (!value) return fallback;
  const m = /^\s*(?:interval\s+)?(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(value);
  if (!m) return fallback;
  const n = Number(m[1]);
  const unit = m[2]!.toLowerCase().replace(/s$/, '');
  const ms: Record<string, number> = {
    millisecond: 1,
    second: 1000,
    minute: 60_000,
    hour: 3_600_000,
    day: 86_400_000,
    week: 7 * 86_400_000,
  };
  return ms[unit] !== undefined ? n * ms[unit] : fallback;
}

/** The state of `snapshot` as a checkpoint records it (tombstones past retention dropped). */
export function checkpointStateOf(snapshot: Snapshot, now = Date.now()): CheckpointState {
  const retention = parseIntervalMs(
    snapshot.metadata.configuration?.['delta.deletedFileRetentionDuration'],
    DEFAULT_TOMBSTONE_RETENTION_MS,
  );
  const removes = snapshot.tombstones().filter((r) => Number(r.deletionTimestamp ?? 0) > now - retention);
  return {
    version: snapshot.version,
    protocol: snapshot.protocol,
    metadata: snapshot.metadata,
    adds: snapshot.activeFiles(),
    removes,
    txns: snapshot.appTransactions(),
    domainMetadata: [...snapshot.domainMetadata().values()],
  };
}

const pick = <T extends object>(o: T, keys: (keyof T)[]): Partial<T> => {
  const out: Partial<T> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
};

/** The rows of a checkpoint, in the order Spark writes them. */
export function checkpointActions(state: CheckpointState): Action[] {
  const protocol: Protocol = {
    minReaderVersion: state.protocol.minReaderVersion,
    minWriterVersion: state.protocol.minWriterVersion,
  };
  // With reader 3 / writer 7 the feature lists must be present (possibly empty), not null.
  if (state.protocol.minReaderVersion >= 3) protocol.readerFeatures = state.protocol.readerFeatures ?? [];
  if (state.protocol.minWriterVersion >= 7) protocol.writerFeatures = state.protocol.writerFeatures ?? [];
  const m = state.metadata;
  const metaData: Metadata = {
    id: m.id,
    name: m.name ?? null,
    description: m.description ?? null,
    format: { provider: m.format?.provider ?? 'parquet', options: m.format?.options ?? {} },
    schemaString: m.schemaString,
    partitionColumns: m.partitionColumns ?? [],
    configuration: m.configuration ?? {},
    createdTime: m.createdTime ?? null,
  };
  const actions: Action[] = [{ protocol }, { metaData }];
  // A V2-spec checkpoint (v2Checkpoint feature) names its version; we write it with classic naming
  // and no sidecars, which the protocol allows.
  if (isV2(state.protocol)) actions.push({ checkpointMetadata: { version: state.version } });
  for (const t of state.txns) actions.push({ txn: pick(t, ['appId', 'version', 'lastUpdated']) as Txn });
  for (const d of state.domainMetadata) {
    if (!d.removed)
      actions.push({ domainMetadata: { domain: d.domain, configuration: d.configuration, removed: false } });
  }
  // `delta.checkpoint.writeStatsAsJson = false` leaves add.stats out of checkpoints.
  const statsAsJson = state.metadata.configuration?.['delta.checkpoint.writeStatsAsJson']?.toLowerCase() !== 'false';
  for (const a of state.adds) {
    actions.push({
      add: {
        ...(pick(a, [
          'path',
          'partitionValues',
          'size',
          'modificationTime',
          'stats',
          'tags',
          'deletionVector',
          'baseRowId',
          'defaultRowCommitVersion',
          'clusteringProvider',
        ]) as Add),
        partitionValues: a.partitionValues ?? {},
        ...(statsAsJson ? {} : { stats: null }),
        // Checkpointed files are the table's state, not a change.
        dataChange: false,
      },
    });
  }
  for (const r of state.removes) {
    actions.push({
      remove: {
        // Tombstones in a checkpoint carry no stats.
        ...(pick(r, [
          'path',
          'deletionTimestamp',
          'extendedFileMetadata',
          'partitionValues',
          'size',
          'tags',
          'deletionVector',
          'baseRowId',
          'defaultRowCommitVersion',
        ]) as Remove),
        dataChange: false,
      },
    });
  }
  return actions;
}

/**
 * Write the checkpoint for `state` into `store` and point `_last_checkpoint` at it (unless that
 * already names a newer checkpoint). Returns what `_last_checkpoint` records.
 */
export async function writeCheckpoint(store: ObjectStore, state: CheckpointState): Promise<LastCheckpoint> {
  const actions = checkpointActions(state);
  const scratch = await fs.mkdtemp(path.join(tmpdir(), 'lbx-ckpt-'));
  const jsonFile = path.join(scratch, 'actions.json');
  // Write the Parquet file next to its destination on a local store, so the final rename is atomic.
  const local = store instanceof LocalObjectStore;
  const target = checkpointPath(state.version);
  const parquetFile = local
    ? path.join(store.root, LOG_DIR, `.tmp-${randomUUID()}.checkpoint.parquet`)
    : path.join(scratch, 'checkpoint.parquet');
  try {
    await fs.writeFile(jsonFile, actions.map((a) => JSON.stringify(a)).join('\n') + '\n');
    const schema = isV2(state.protocol) ? [...CHECKPOINT_COLUMNS, CHECKPOINT_METADATA_COLUMN] : CHECKPOINT_COLUMNS;
    const columns = schema.map(([name, type]) => `${sqlString(name)}: ${sqlString(type)}`).join(', ');
    const cols = schema.map(([name]) => `"${name}"`).join(', ');
    await withConnection(async (conn) => {
      await conn.run(
        `COPY (SELECT ${cols} FROM read_json(${sqlString(jsonFile)}, format = 'newline_delimited', columns = {${columns}}, maximum_object_size = 1073741824))
         TO ${sqlString(parquetFile)} (FORMAT parquet, COMPRESSION snappy)`,
      );
    });
    const fh = await fs.open(parquetFile, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    const sizeInBytes = (await fs.stat(parquetFile)).size;
    if (local) await fs.rename(parquetFile, path.join(store.root, target));
    else await store.putFile(target, parquetFile);
    const last: LastCheckpoint = {
      version: state.version,
      size: actions.length,
      sizeInBytes,
      numOfAddFiles: state.adds.length,
    };
    const previous = await readLastCheckpoint(store);
    if (!previous || previous.version <= state.version) {
      await store.put(`${LOG_DIR}_last_checkpoint`, new TextEncoder().encode(JSON.stringify(last)));
    }
    return last;
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
    if (local) await fs.rm(parquetFile, { force: true });
  }
}

/** Write a checkpoint of the table in `store` at `version` (default: the latest). */
export async function checkpointStore(store: ObjectStore, version?: number): Promise<LastCheckpoint> {
  const snapshot = await loadSnapshot(store, version === undefined ? {} : { version });
  return writeCheckpoint(store, checkpointStateOf(snapshot));
}
