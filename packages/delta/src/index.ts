export type * from './actions.js';
export type { ObjectMeta, ObjectStore } from './storage.js';
export type { ArrayType, DataType, MapType, PrimitiveTypeName, StructField, StructType } from './schema.js';
export { isArray, isMap, isStruct, parseSchema, serializeSchema } from './schema.js';
export { LocalObjectStore } from './storage-local.js';
export { duckdbInstance, withConnection, sqlIdent, sqlString } from './duckdb.js';
