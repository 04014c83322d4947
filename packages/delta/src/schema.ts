/**
 * Delta's schema serialisation (PROTOCOL.md, "Schema Serialization Format"): the JSON form of
 * Spark's StructType, stored in `metaData.schemaString`.
 */

export type PrimitiveTypeName =
  | 'string'
  | 'long'
  | 'integer'
  | 'short'
  | 'byte'
  | 'float'
  | 'double'
  | 'boolean'
  | 'binary'
  | 'date'
  | 'timestamp'
  | 'timestamp_ntz'
  | 'variant'
  /** `decimal(p,s)` */
  | `decimal(${number},${number})`
  | 'decimal';

export interface StructType {
  type: 'struct';
  fields: StructField[];
}

export interface ArrayType {
  type: 'array';
  elementType: DataType;
  containsNull: boolean;
}

export interface MapType {
  type: 'map';
  keyType: DataType;
  valueType: DataType;
  valueContainsNull: boolean;
}

export type DataType = PrimitiveTypeName | string | StructType | ArrayType | MapType;

export interface StructField {
  name: string;
  type: DataType;
  nullable: boolean;
  /** Column metadata: e.g. `delta.columnMapping.id`, `delta.columnMapping.physicalName`, `comment`, `delta.invariants`. */
  metadata: Record<string, unknown>;
}

export function isStruct(t: DataType): t is StructType {
  return typeof t === 'object' && t.type === 'struct';
}
export function isArray(t: DataType): t is ArrayType {
  return typeof t === 'object' && t.type === 'array';
}
export function isMap(t: DataType): t is MapType {
  return typeof t === 'object' && t.type === 'map';
}

export function parseSchema(schemaString: string): StructType {
  const s = JSON.parse(schemaString) as StructType;
  return s;
}

export function serializeSchema(schema: StructType): string {
  return JSON.stringify(schema);
}
