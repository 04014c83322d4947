export type * from './actions.js';
export type { ObjectMeta, ObjectStore } from './storage.js';
export type { ArrayType, DataType, MapType, PrimitiveTypeName, StructField, StructType } from './schema.js';
export { isArray, isMap, isStruct, parseSchema, serializeSchema } from './schema.js';
export { LocalObjectStore } from './storage-local.js';
export { duckdbInstance, withConnection, sqlIdent, sqlString } from './duckdb.js';
export { LOG_DIR, commitPath, padVersion, listLog, readCommit, readLastCheckpoint, parseCommitText } from './log.js';
export type { LogListing, CheckpointInstance } from './log.js';
export { readCheckpoint, readParquetActions } from './checkpoint-read.js';
export { checkReadSupported, hasFeature, readerFeatures, SUPPORTED_READER_FEATURES } from './features.js';
export {
  Snapshot,
  loadSnapshot,
  latestVersion,
  tableStore,
  canonicalPath,
  fileKey,
  commitTimestamp,
  parseTimestamp,
  versionAtTimestamp,
  resolveSegment,
} from './snapshot.js';
export type { ColumnMappingMode, LogSegment } from './snapshot.js';
export { DeltaTable, checkpoint } from './table.js';
export type { CreateTableOptions } from './table.js';
export { Transaction, ENGINE_INFO, encodeOperationParameters } from './transaction.js';
export type { CommitOperation, CommitResult, IsolationLevel, ReadPredicate } from './transaction.js';
export { checkConflicts } from './conflict.js';
export type { CurrentTransactionInfo, WinningCommit } from './conflict.js';
export {
  writeCheckpoint,
  checkpointStore,
  checkpointStateOf,
  checkpointActions,
  checkpointPath,
} from './checkpoint-write.js';
export type { CheckpointState } from './checkpoint-write.js';
export {
  selectProtocol,
  assertWritable,
  featuresUsedBy,
  writerFeaturesOf,
  readerFeaturesOf,
  SUPPORTED_WRITER_FEATURES,
  TABLE_FEATURES,
} from './protocol-select.js';
