/**
 * Mapping between Delta (Spark) data types and DuckDB types, both ways: a Delta schema from the
 * result types of a DuckDB query (create table, schema checks) and DuckDB type names for a Delta
 * schema (casting data to the table's types before it is written, reading with typed columns).
 */
import { DuckDBTypeId, type DuckDBConnection, type DuckDBType } from '@duckdb/node-api';
import { LakeboxError } from '@lakebox/common';
import { duckdbType } from './partition-values.js';
import { isArray, isMap, isStruct, type DataType, type StructField, type StructType } from './schema.js';

function unsupported(what: string, column: string): LakeboxError {
  return new LakeboxError(
    'DELTA_UNSUPPORTED_DATA_TYPES',
    `Column ${column} has type ${what}, which Delta tables cannot store.`,
    {
      details: { column, type: what },
    },
  );
}

/** The Delta type for a DuckDB type (nullable everywhere: DuckDB results carry no nullability). */
export function deltaTypeFromDuckDB(t: DuckDBType, column = '?'): DataType {
  switch (t.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return 'boolean';
    case DuckDBTypeId.TINYINT:
      return 'byte';
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.UTINYINT:
      return 'short';
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.USMALLINT:
      return 'integer';
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UINTEGER:
      return 'long';
    case DuckDBTypeId.UBIGINT:
      return 'decimal(20,0)';
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
      return 'decimal(38,0)';
    case DuckDBTypeId.FLOAT:
      return 'float';
    case DuckDBTypeId.DOUBLE:
      return 'double';
    case DuckDBTypeId.DECIMAL:
      return `decimal(${t.width},${t.scale})`;
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.ENUM:
    case DuckDBTypeId.UUID:
    case DuckDBTypeId.STRING_LITERAL:
      return 'string';
    case DuckDBTypeId.BLOB:
      return 'binary';
    case DuckDBTypeId.DATE:
      return 'date';
    case DuckDBTypeId.TIMESTAMP_TZ:
      return 'timestamp';
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
      return 'timestamp_ntz';
    case DuckDBTypeId.INTEGER_LITERAL:
      return 'integer';
    case DuckDBTypeId.SQLNULL:
      // An untyped NULL column (e.g. `SELECT NULL AS x`): Spark would call it void; store as string.
      return 'string';
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return { type: 'array', elementType: deltaTypeFromDuckDB(t.valueType, `${column}.element`), containsNull: true };
    case DuckDBTypeId.MAP:
      return {
        type: 'map',
        keyType: deltaTypeFromDuckDB(t.keyType, `${column}.key`),
        valueType: deltaTypeFromDuckDB(t.valueType, `${column}.value`),
        valueContainsNull: true,
      };
    case DuckDBTypeId.STRUCT:
      return {
        type: 'struct',
        fields: t.entryNames.map((name, i) => ({
          name,
          type: deltaTypeFromDuckDB(t.entryTypes[i]!, `${column}.${name}`),
          nullable: true,
          metadata: {},
        })),
      };
    default:
      throw unsupported(t.toString(), column);
  }
}

/** A Delta schema (all columns nullable) for the named columns and DuckDB types of a result. */
export function deltaSchemaFromDuckDB(names: readonly string[], types: readonly DuckDBType[]): StructType {
  const seen = new Set<string>();
  for (const n of names) {
    const k = n.toLowerCase();
    if (seen.has(k)) {
      throw new LakeboxError('DELTA_DUPLICATE_COLUMNS_FOUND', `Found duplicate column(s) in the data to save: ${n}`);
    }
    seen.add(k);
  }
  return {
    type: 'struct',
    fields: names.map((name, i) => ({
      name,
      type: deltaTypeFromDuckDB(types[i]!, name),
      nullable: true,
      metadata: {},
    })),
  };
}

/** Column names and types of a query's result, without running it. */
export async function describeQuery(
  conn: DuckDBConnection,
  sql: string,
): Promise<{ names: string[]; types: DuckDBType[] }> {
  const res = await conn.run(`SELECT * FROM (${sql}) LIMIT 0`);
  return { names: res.columnNames(), types: res.columnTypes() };
}

/** The Delta schema of a query's result. */
export async function deltaSchemaOfQuery(conn: DuckDBConnection, sql: string): Promise<StructType> {
  const { names, types } = await describeQuery(conn, sql);
  return deltaSchemaFromDuckDB(names, types);
}

const DECIMAL_RE = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/;

/**
 * DuckDB SQL type name for a Delta type a writer may store: the one mapping of partition-values.ts,
 * refusing `void` (and anything else Delta cannot store) with DELTA_UNSUPPORTED_DATA_TYPES.
 */
export function duckdbTypeName(t: DataType): string {
  if (t === 'void') throw unsupported('void', '?');
  try {
    return duckdbType(t);
  } catch (e) {
    if (e instanceof LakeboxError) throw unsupported(typeof t === 'string' ? t : JSON.stringify(t), '?');
    throw e;
  }
}

/** Spark's simple string for a type (`bigint`, `struct<a:int>`...), for messages. */
export function simpleString(t: DataType): string {
  if (isStruct(t)) return `struct<${t.fields.map((f) => `${f.name}:${simpleString(f.type)}`).join(',')}>`;
  if (isArray(t)) return `array<${simpleString(t.elementType)}>`;
  if (isMap(t)) return `map<${simpleString(t.keyType)},${simpleString(t.valueType)}>`;
  switch (t) {
    case 'long':
      return 'bigint';
    case 'integer':
      return 'int';
    case 'short':
      return 'smallint';
    case 'byte':
      return 'tinyint';
    default:
      return String(t);
  }
}

/** A schema as Spark's tree string, e.g. "root\n |-- id: long (nullable = true)". */
export function treeString(schema: StructType): string {
  const lines = ['root'];
  const walk = (fields: StructField[], prefix: string): void => {
    for (const f of fields) {
      const t = f.type;
      const name = isStruct(t) ? 'struct' : isArray(t) ? 'array' : isMap(t) ? 'map' : String(t);
      lines.push(`${prefix}-- ${f.name}: ${name} (nullable = ${f.nullable})`);
      if (isStruct(t)) walk(t.fields, `${prefix}    |`);
    }
  };
  walk(schema.fields, ' |');
  return lines.join('\n');
}

/** Whether two types are the same ignoring nullability and field metadata. */
export function sameType(a: DataType, b: DataType): boolean {
  if (isStruct(a) || isStruct(b)) {
    if (!isStruct(a) || !isStruct(b) || a.fields.length !== b.fields.length) return false;
    return a.fields.every((f, i) => {
      const g = b.fields[i]!;
      return f.name.toLowerCase() === g.name.toLowerCase() && sameType(f.type, g.type);
    });
  }
  if (isArray(a) || isArray(b)) return isArray(a) && isArray(b) && sameType(a.elementType, b.elementType);
  if (isMap(a) || isMap(b)) {
    return isMap(a) && isMap(b) && sameType(a.keyType, b.keyType) && sameType(a.valueType, b.valueType);
  }
  return normalizePrimitive(a) === normalizePrimitive(b);
}

function normalizePrimitive(t: string): string {
  const m = DECIMAL_RE.exec(t);
  return m ? `decimal(${m[1]},${m[2]})` : t === 'decimal' ? 'decimal(10,0)' : t;
}
