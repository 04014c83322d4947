export type * from './actions.js';
export type { ObjectMeta, ObjectStore } from './storage.js';
export type { ArrayType, DataType, MapType, PrimitiveTypeName, StructField, StructType } from './schema.js';
export { isArray, isMap, isStruct, parseSchema, serializeSchema } from './schema.js';
export { LocalObjectStore } from './storage-local.js';
export { S3ObjectStore } from './storage-s3.js';
export type { S3StoreOptions } from './storage-s3.js';
export { storeForLocation } from './storage-location.js';
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
export type { CommitOperation, CommitResult, CommitUser, IsolationLevel, ReadPredicate } from './transaction.js';
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
export {
  duckdbType,
  serializePartitionValue,
  parsePartitionValue,
  formatPartitionValue,
  partitionValueSql,
  parseTimestampValue,
  zonedToUtcMicros,
} from './partition-values.js';
export {
  loadDeletionVector,
  decodeRoaringBitmapArray,
  encodeRoaringBitmapArray,
  z85Decode,
  z85Encode,
  dvRelativePath,
} from './deletion-vectors.js';
export { physicalName, fieldId, logicalValueSql } from './column-mapping.js';
export { pruneFiles, predicateSql, validatePredicate } from './predicate.js';
export type { Predicate, ComparisonOp } from './predicate.js';
export { scanSql, readRows, dataFilePath } from './scan.js';
export type { ScanOptions } from './scan.js';
export { readHistory } from './history.js';
export type { HistoryEntry } from './history.js';
export {
  writeToTable,
  writeDataFiles,
  discardDataFiles,
  physicalSchema,
  escapePartitionPathPart,
  encodePathForLog,
  partitionValueExprSql,
  removeFor,
  numRecordsOf,
  conditionSql,
  withUtcConnection,
  userSqlError,
  HIVE_DEFAULT_PARTITION,
} from './write.js';
export type { Condition, FileWriteSpec, WriteMode, WriteOptions, WriteResult, WriteSource } from './write.js';
export {
  buildStats,
  truncateMaxString,
  truncateMinString,
  formatTimestampStat,
  statsOptionsFromConfig,
} from './stats.js';
export type { StatsOptions } from './stats.js';
export {
  checkConstraints,
  invariantConstraints,
  withConstraintChecks,
  constraintError,
  constraintViolationQuery,
  generatedColumns,
  sparkExprToDuckDB,
} from './constraints.js';
export { reconcileSchema, canStoreAs, alignmentProjection, assignColumnMapping } from './schema-evolution.js';
export {
  deltaTypeFromDuckDB,
  deltaSchemaFromDuckDB,
  deltaSchemaOfQuery,
  duckdbTypeName,
  simpleString,
  treeString,
} from './types-duckdb.js';
export { deleteFromTable, updateTable, mergeIntoTable, scanFilesSql } from './dml.js';
export type { DmlOptions, DmlResult, MergeClause, MergeOptions } from './dml.js';
export { optimizeTable, binPack, zOrderSql, DEFAULT_OPTIMIZE_TARGET_SIZE } from './optimize.js';
export type { OptimizeOptions, OptimizeResult } from './optimize.js';
export { vacuumTable, parseIntervalHours, DEFAULT_RETENTION_HOURS } from './vacuum.js';
export type { VacuumOptions, VacuumResult } from './vacuum.js';
export { restoreTable } from './restore.js';
export type { RestoreResult } from './restore.js';
