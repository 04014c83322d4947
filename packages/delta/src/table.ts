/**
 * DeltaTable: the entry point for opening, creating and changing a Delta table. Reading goes
 * through snapshots (snapshot.ts); every change is a Transaction (transaction.ts).
 */
import { randomUUID } from 'node:crypto';
import { LakeboxError } from '@lakebox/common';
import type { LastCheckpoint, Metadata } from './actions.js';
import { checkpointStore } from './checkpoint-write.js';
import type { IsolationLevel } from './conflict.js';
import { assertWritable } from './protocol-select.js';
import { isStruct, serializeSchema, type StructType } from './schema.js';
import { latestVersion, loadSnapshot, type Snapshot } from './snapshot.js';
import type { ObjectStore } from './storage.js';
import { storeForLocation } from './storage-location.js';
import { Transaction, commitUser, type CommitResult, type CommitUser } from './transaction.js';

export interface CreateTableOptions extends CommitUser {
  schema: StructType;
  partitionColumns?: string[];
  configuration?: Record<string, string>;
  name?: string;
  description?: string;
  /** Open the existing table instead of failing when one is already there. */
  ifNotExists?: boolean;
  /** Recorded as the CREATE TABLE commit's `isManaged` parameter (catalog-managed location). */
  isManaged?: boolean;
}

function toStore(location: string | ObjectStore): ObjectStore {
  return typeof location === 'string' ? storeForLocation(location) : location;
}

function validateSchema(schema: StructType, partitionColumns: string[]): void {
  if (!schema || !isStruct(schema) || !Array.isArray(schema.fields)) {
    throw new LakeboxError('DELTA_INVALID_SCHEMA', 'a table schema must be a struct type with fields');
  }
  const seen = new Set<string>();
  for (const f of schema.fields) {
    const key = f.name.toLowerCase();
    if (seen.has(key)) {
      throw new LakeboxError(
        'DELTA_DUPLICATE_COLUMNS_FOUND',
        `found duplicate column(s) in the table schema: ${f.name}`,
        {
          sqlState: '42711',
        },
      );
    }
    seen.add(key);
  }
  const dupPart = partitionColumns.find((c, i) => partitionColumns.indexOf(c) !== i);
  if (dupPart !== undefined) {
    throw new LakeboxError('DELTA_DUPLICATE_COLUMNS_FOUND', `found duplicate partition column(s): ${dupPart}`, {
      sqlState: '42711',
    });
  }
  for (const c of partitionColumns) {
    const field = schema.fields.find((f) => f.name === c);
    if (!field) {
      throw new LakeboxError(
        'DELTA_PARTITION_COLUMN_NOT_FOUND',
        `partition column ${c} not found in schema [${schema.fields.map((f) => f.name).join(', ')}]`,
        { sqlState: '42703' },
      );
    }
    if (typeof field.type !== 'string') {
      throw new LakeboxError(
        'DELTA_INVALID_PARTITION_COLUMN_TYPE',
        `partition column ${c} has a complex type; partition by primitive columns`,
        {
          sqlState: '42996',
        },
      );
    }
  }
  if (partitionColumns.length > 0 && partitionColumns.length === schema.fields.length) {
    throw new LakeboxError(
      'DELTA_CANNOT_USE_ALL_COLUMNS_FOR_PARTITION',
      'cannot use all columns for partition columns',
      {
        sqlState: '428FT',
      },
    );
  }
}

export class DeltaTable {
  readonly store: ObjectStore;

  private constructor(store: ObjectStore) {
    this.store = store;
  }

  /** Open an existing table; DELTA_TABLE_NOT_FOUND when there is no `_delta_log` with commits. */
  static async open(location: string | ObjectStore): Promise<DeltaTable> {
    const store = toStore(location);
    if ((await latestVersion(store)) === undefined) {
      throw new LakeboxError(
        'DELTA_TABLE_NOT_FOUND',
        `${store.url} is not a Delta table: no _delta_log commits found`,
        {
          sqlState: '42P01',
          httpStatus: 404,
          details: { location: store.url },
        },
      );
    }
    return new DeltaTable(store);
  }

  /** Create a table (commit version 0 with protocol and metaData). */
  static async create(location: string | ObjectStore, opts: CreateTableOptions): Promise<DeltaTable> {
    const store = toStore(location);
    const partitionColumns = opts.partitionColumns ?? [];
    validateSchema(opts.schema, partitionColumns);
    const table = new DeltaTable(store);
    const exists = async (): Promise<DeltaTable> => {
      if (opts.ifNotExists) return table;
      throw new LakeboxError('DELTA_TABLE_ALREADY_EXISTS', `a Delta table already exists at ${store.url}`, {
        sqlState: '42P07',
        httpStatus: 409,
        details: { location: store.url },
      });
    };
    if ((await latestVersion(store)) !== undefined) return exists();
    const configuration = { ...(opts.configuration ?? {}) };
    const metadata: Metadata = {
      id: randomUUID(),
      ...(opts.name !== undefined ? { name: opts.name } : {}),
      ...(opts.description !== undefined ? { description: opts.description } : {}),
      format: { provider: 'parquet', options: {} },
      schemaString: serializeSchema(opts.schema),
      partitionColumns,
      configuration,
      createdTime: Date.now(),
    };
    const txn = new Transaction(store, undefined);
    txn.updateMetadata(metadata);
    try {
      await txn.commit({
        operation: 'CREATE TABLE',
        ...commitUser(opts),
        operationParameters: {
          isManaged: String(opts.isManaged === true),
          ...(opts.description !== undefined ? { description: opts.description } : {}),
          partitionBy: partitionColumns,
          properties: configuration,
        },
      });
    } catch (e) {
      if (e instanceof LakeboxError && e.code === 'DELTA_TABLE_ALREADY_EXISTS') return exists();
      throw e;
    }
    return table;
  }

  get url(): string {
    return this.store.url;
  }

  /** The latest snapshot, or the one at a version / timestamp (time travel). */
  snapshot(opts: { version?: number; timestamp?: number | string | Date } = {}): Promise<Snapshot> {
    return loadSnapshot(this.store, opts);
  }

  /** The newest committed version. */
  async version(): Promise<number> {
    const v = await latestVersion(this.store);
    if (v === undefined)
      throw new LakeboxError('DELTA_TABLE_NOT_FOUND', `${this.store.url} is not a Delta table`, { httpStatus: 404 });
    return v;
  }

  /**
   * Start a transaction on the latest snapshot (or the one given). The isolation level defaults
   * to the table's `delta.isolationLevel`, else WriteSerializable. Refuses tables with writer
   * features we do not support (DELTA_UNSUPPORTED_FEATURES_FOR_WRITE).
   */
  async startTransaction(opts: { isolationLevel?: IsolationLevel; snapshot?: Snapshot } = {}): Promise<Transaction> {
    const snapshot = opts.snapshot ?? (await this.snapshot());
    assertWritable(snapshot.protocol, snapshot.metadata);
    const configured = snapshot.metadata.configuration?.['delta.isolationLevel'];
    const level =
      opts.isolationLevel ??
      (configured === 'Serializable' || configured === 'WriteSerializable' ? configured : 'WriteSerializable');
    return new Transaction(this.store, snapshot, level);
  }

  /** Write a checkpoint at `version` (default: latest). */
  checkpoint(version?: number): Promise<LastCheckpoint> {
    return checkpointStore(this.store, version);
  }
}

/** Write a checkpoint of a table explicitly (at its latest version unless one is given). */
export async function checkpoint(table: DeltaTable | ObjectStore | string, version?: number): Promise<LastCheckpoint> {
  const store = table instanceof DeltaTable ? table.store : toStore(table);
  return checkpointStore(store, version);
}

export type { CommitResult };
