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
export { PrincipalStore, generateToken, hashToken, TOKEN_PREFIX, ADMIN_USER } from './principals.js';
export type { Principal, TokenInfo } from './principals.js';
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
