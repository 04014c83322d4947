export { openMetastoreDb, migrateMetastore, runMigrations, isUniqueViolation } from './db.js';
export type { MetastoreDb, MetastoreDbOptions, MetastoreDialect } from './db.js';
export type { MetastoreDatabase } from './tables.js';
export { metastoreMigrations } from './migrations.js';
export { Metastore } from './metastore.js';
export type {
  CatalogInfo,
  ColumnInfo,
  FunctionInfo,
  FunctionParameter,
  MetastoreOptions,
  SchemaInfo,
  TableInfo,
  TableType,
  TemporaryViewType,
  VolumeInfo,
  VolumeType,
} from './metastore.js';
export {
  PrincipalStore,
  generateToken,
  hashToken,
  TOKEN_PREFIX,
  ADMIN_USER,
  ADMINS_GROUP,
  SESSION_TTL_MS,
  groupsOf,
} from './principals.js';
export type { Principal, PrincipalRecord, GroupMember, TokenInfo } from './principals.js';
export { hashPassword, verifyPassword } from './passwords.js';
export { audit, addAuditSink, auditUserName } from './audit.js';
export type { AuditEvent, AuditSink } from './audit.js';
export {
  DEFAULT_CATALOG,
  DEFAULT_SCHEMA,
  SYSTEM_CATALOG,
  INFORMATION_SCHEMA,
  normalizeName,
  parseQualifiedName,
  quoteName,
  levenshtein,
  suggestNames,
} from './names.js';
export { informationSchemaRows, INFORMATION_SCHEMA_VIEWS } from './information-schema.js';
export type { InformationSchemaRow, InformationSchemaView } from './information-schema.js';
export { openCatalog } from './open.js';
export type { OpenCatalog } from './open.js';
export { LineageStore, migrateLineage, lineageMigrations } from './lineage.js';
export type {
  ColumnLineageRow,
  LineageEntity,
  LineageEvent,
  LineageNode,
  LineageQuery,
  TableLineageRow,
} from './lineage.js';
