/**
 * Delta log actions, as they appear (one JSON object per line) in `_delta_log/<version>.json`
 * and as rows of checkpoint files. Field names follow PROTOCOL.md exactly so that an action can
 * be serialised with JSON.stringify and read by Spark and delta-rs.
 */

export interface Protocol {
  minReaderVersion: number;
  minWriterVersion: number;
  /** Present only when minReaderVersion is 3. */
  readerFeatures?: string[];
  /** Present only when minWriterVersion is 7. */
  writerFeatures?: string[];
}

export interface Format {
  provider: string;
  options: Record<string, string>;
}

export interface Metadata {
  id: string;
  name?: string | null;
  description?: string | null;
  format: Format;
  /** JSON-serialised StructType (see schema.ts). */
  schemaString: string;
  partitionColumns: string[];
  createdTime?: number | null;
  configuration: Record<string, string>;
}

export interface DeletionVectorDescriptor {
  /** 'u' (relative path, UUID-based), 'i' (inline), 'p' (absolute path). */
  storageType: 'u' | 'i' | 'p';
  pathOrInlineDv: string;
  offset?: number;
  sizeInBytes: number;
  cardinality: number;
}

export interface Add {
  /** URI-encoded path relative to the table root (or absolute URI). */
  path: string;
  /** Partition column name (logical, or physical with column mapping) -> serialized value; null for NULL. */
  partitionValues: Record<string, string | null>;
  size: number;
  modificationTime: number;
  dataChange: boolean;
  /** JSON-serialised statistics: numRecords, minValues, maxValues, nullCount, tightBounds. */
  stats?: string | null;
  tags?: Record<string, string> | null;
  deletionVector?: DeletionVectorDescriptor | null;
  baseRowId?: number | null;
  defaultRowCommitVersion?: number | null;
  clusteringProvider?: string | null;
}

export interface Remove {
  path: string;
  deletionTimestamp?: number | null;
  dataChange: boolean;
  extendedFileMetadata?: boolean;
  partitionValues?: Record<string, string | null> | null;
  size?: number | null;
  stats?: string | null;
  tags?: Record<string, string> | null;
  deletionVector?: DeletionVectorDescriptor | null;
  baseRowId?: number | null;
  defaultRowCommitVersion?: number | null;
}

export interface AddCDCFile {
  path: string;
  partitionValues: Record<string, string | null>;
  size: number;
  dataChange: boolean;
  tags?: Record<string, string> | null;
}

export interface Txn {
  appId: string;
  version: number;
  lastUpdated?: number | null;
}

export interface CommitInfo {
  timestamp?: number;
  inCommitTimestamp?: number;
  operation?: string;
  operationParameters?: Record<string, unknown>;
  readVersion?: number;
  isolationLevel?: string;
  isBlindAppend?: boolean;
  operationMetrics?: Record<string, string>;
  engineInfo?: string;
  userId?: string;
  userName?: string;
  txnId?: string;
  [key: string]: unknown;
}

export interface DomainMetadata {
  domain: string;
  configuration: string;
  removed: boolean;
}

export interface CheckpointMetadata {
  version: number;
  tags?: Record<string, string> | null;
}

export interface Sidecar {
  path: string;
  sizeInBytes: number;
  modificationTime: number;
  tags?: Record<string, string> | null;
}

/** One line of a commit file / one row of a checkpoint: exactly one key is set. */
export interface Action {
  protocol?: Protocol;
  metaData?: Metadata;
  add?: Add;
  remove?: Remove;
  cdc?: AddCDCFile;
  txn?: Txn;
  commitInfo?: CommitInfo;
  domainMetadata?: DomainMetadata;
  checkpointMetadata?: CheckpointMetadata;
  sidecar?: Sidecar;
}

/** Contents of `_delta_log/_last_checkpoint`. */
export interface LastCheckpoint {
  version: number;
  size: number;
  parts?: number;
  sizeInBytes?: number;
  numOfAddFiles?: number;
  checkpointSchema?: unknown;
  checksum?: string;
  v2Checkpoint?: unknown;
}
