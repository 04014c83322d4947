/**
 * Schema enforcement and evolution for writes: checking a data schema against a table schema,
 * merging new columns in (`mergeSchema`), building the projection that brings the data to the
 * table's shape, and assigning column-mapping ids / physical names to new columns.
 */
import { randomUUID } from 'node:crypto';
import { LakeboxError } from '@lakebox/common';
import { sqlIdent } from './duckdb.js';
import { isArray, isMap, isStruct, type DataType, type StructField, type StructType } from './schema.js';
import { sameType, simpleString, treeString } from './types-duckdb.js';

const INTEGRAL = ['byte', 'short', 'integer', 'long'];
const NUMERIC = [...INTEGRAL, 'float', 'double'];
const DATETIME = ['date', 'timestamp', 'timestamp_ntz'];

function isNumeric(t: DataType): boolean {
  return typeof t === 'string' && (NUMERIC.includes(t) || t.startsWith('decimal'));
}

/** Spark's type name in "Failed to merge incompatible data types X and Y". */
function sparkTypeName(t: DataType): string {
  if (isStruct(t))
    return `StructType(${t.fields.map((f) => `StructField(${f.name},${sparkTypeName(f.type)},${f.nullable})`).join(',')})`;
  if (isArray(t)) return `ArrayType(${sparkTypeName(t.elementType)},${t.containsNull})`;
  if (isMap(t)) return `MapType(${sparkTypeName(t.keyType)},${sparkTypeName(t.valueType)},${t.valueContainsNull})`;
  const m = /^decimal\((\d+),\s*(\d+)\)$/.exec(t);
  if (m) return `DecimalType(${m[1]},${m[2]})`;
  const names: Record<string, string> = {
    string: 'StringType',
    long: 'LongType',
    integer: 'IntegerType',
    short: 'ShortType',
    byte: 'ByteType',
    float: 'FloatType',
    double: 'DoubleType',
    boolean: 'BooleanType',
    binary: 'BinaryType',
    date: 'DateType',
    timestamp: 'TimestampType',
    timestamp_ntz: 'TimestampNTZType',
  };
  return names[t] ?? t;
}

/** Whether data of type `from` can be stored in a column of type `to` by an implicit cast. */
export function canStoreAs(from: DataType, to: DataType): boolean {
  if (sameType(from, to)) return true;
  if (isNumeric(from) && isNumeric(to)) return true;
  if (typeof from === 'string' && typeof to === 'string' && DATETIME.includes(from) && DATETIME.includes(to))
    return true;
  if (isStruct(from) && isStruct(to)) {
    return from.fields.every((f) => {
      const g = to.fields.find((x) => x.name.toLowerCase() === f.name.toLowerCase());
      return g !== undefined && canStoreAs(f.type, g.type);
    });
  }
  if (isArray(from) && isArray(to)) return canStoreAs(from.elementType, to.elementType);
  if (isMap(from) && isMap(to)) return canStoreAs(from.keyType, to.keyType) && canStoreAs(from.valueType, to.valueType);
  return false;
}

function mergeFailure(path: string, a: DataType, b: DataType): LakeboxError {
  return new LakeboxError(
    'DELTA_FAILED_TO_MERGE_FIELDS',
    `Failed to merge fields '${path}' and '${path}'. Failed to merge incompatible data types ${sparkTypeName(a)} and ${sparkTypeName(b)} ` +
      `(table column ${path}: ${simpleString(a)}, data column ${path}: ${simpleString(b)}).`,
    { sqlState: '22005', details: { column: path, tableType: simpleString(a), dataType: simpleString(b) } },
  );
}

function schemaMismatch(
  table: StructType,
  data: StructType,
  tableId: string | undefined,
  extra: string[],
): LakeboxError {
  return new LakeboxError(
    '_LEGACY_ERROR_TEMP_DELTA_0007',
    `A schema mismatch detected when writing to the Delta table${tableId ? ` (Table ID: ${tableId})` : ''}.\n` +
      `To enable schema migration using DataFrameWriter or DataStreamWriter, please set: '.option("mergeSchema", "true")'.\n` +
      `For other operations, set the session configuration spark.databricks.delta.schema.autoMerge.enabled to "true".\n\n` +
      `Data columns not in the table: ${extra.join(', ')}\n\n` +
      `Table schema:\n${treeString(table)}\n\nData schema:\n${treeString(data)}\n`,
    { details: { extraColumns: extra } },
  );
}

function mergeFields(
  tableFields: StructField[],
  dataFields: StructField[],
  merge: boolean,
  prefix: string,
  extra: string[],
): StructField[] {
  const out = tableFields.map((f) => ({ ...f }));
  for (const d of dataFields) {
    const name = prefix ? `${prefix}.${d.name}` : d.name;
    const i = out.findIndex((f) => f.name.toLowerCase() === d.name.toLowerCase());
    if (i < 0) {
      if (merge) out.push({ ...d, nullable: true, metadata: {} });
      else extra.push(name);
      continue;
    }
    const t = out[i]!;
    out[i] = { ...t, type: mergeType(t.type, d.type, merge, name, extra) };
  }
  return out;
}

function mergeType(table: DataType, data: DataType, merge: boolean, path: string, extra: string[]): DataType {
  if (isStruct(table) && isStruct(data)) {
    return { type: 'struct', fields: mergeFields(table.fields, data.fields, merge, path, extra) };
  }
  if (isArray(table) && isArray(data)) {
    return { ...table, elementType: mergeType(table.elementType, data.elementType, merge, `${path}.element`, extra) };
  }
  if (isMap(table) && isMap(data)) {
    return {
      ...table,
      keyType: mergeType(table.keyType, data.keyType, merge, `${path}.key`, extra),
      valueType: mergeType(table.valueType, data.valueType, merge, `${path}.value`, extra),
    };
  }
  if (!canStoreAs(data, table)) throw mergeFailure(path, table, data);
  return table;
}

/**
 * Check data against the table and (with `mergeSchema`) merge new columns into the table schema.
 * Columns missing from the data are allowed (written as NULL, subject to NOT NULL checks); extra
 * columns need mergeSchema; types must be implicitly castable. Returns the schema to write with,
 * and whether it differs from the table's.
 */
export function reconcileSchema(
  table: StructType,
  data: StructType,
  opts: { mergeSchema?: boolean; tableId?: string } = {},
): { schema: StructType; changed: boolean } {
  const extra: string[] = [];
  const fields = mergeFields(table.fields, data.fields, opts.mergeSchema === true, '', extra);
  if (extra.length) throw schemaMismatch(table, data, opts.tableId, extra);
  const schema: StructType = { type: 'struct', fields };
  return { schema, changed: JSON.stringify(schema) !== JSON.stringify(table) };
}

/**
 * SQL expression producing the value of table column type `target` from source expression `expr`
 * of type `source` (undefined: the column is absent, NULL). Struct fields are matched by name,
 * missing nested fields become NULL. The cast to the final type happens when files are written.
 */
export function alignExpr(expr: string | undefined, source: DataType | undefined, target: DataType): string {
  if (expr === undefined || source === undefined) return 'NULL';
  if (isStruct(target) && isStruct(source) && !sameType(source, target)) {
    const parts = target.fields.map((tf) => {
      const sf = source.fields.find((f) => f.name.toLowerCase() === tf.name.toLowerCase());
      return `${sqlIdent(tf.name)} := ${alignExpr(sf ? `(${expr}).${sqlIdent(sf.name)}` : undefined, sf?.type, tf.type)}`;
    });
    return `CASE WHEN (${expr}) IS NULL THEN NULL ELSE struct_pack(${parts.join(', ')}) END`;
  }
  if (isArray(target) && isArray(source) && isStruct(target.elementType) && !sameType(source, target)) {
    return `list_transform(${expr}, __x -> ${alignExpr('__x', source.elementType, target.elementType)})`;
  }
  return expr;
}

/** A SELECT list bringing rows of `data` schema (from relation alias `alias`) to the table schema's shape and names. */
export function alignmentProjection(table: StructType, data: StructType, alias = '__data'): string {
  return table.fields
    .map((tf) => {
      const df = data.fields.find((f) => f.name.toLowerCase() === tf.name.toLowerCase());
      const e = alignExpr(df ? `${alias}.${sqlIdent(df.name)}` : undefined, df?.type, tf.type);
      return `${e} AS ${sqlIdent(tf.name)}`;
    })
    .join(', ');
}

/**
 * Give every field without column-mapping metadata an id and a physical name (`col-<uuid>`),
 * continuing from `delta.columnMapping.maxColumnId`. Returns the new schema and max id.
 */
export function assignColumnMapping(
  schema: StructType,
  maxColumnId: number,
): { schema: StructType; maxColumnId: number } {
  let max = maxColumnId;
  const visit = (t: DataType): DataType => {
    if (isStruct(t)) {
      return {
        type: 'struct',
        fields: t.fields.map((f) => {
          const md = { ...f.metadata };
          if (md['delta.columnMapping.id'] === undefined) {
            md['delta.columnMapping.id'] = ++max;
            md['delta.columnMapping.physicalName'] = `col-${randomUUID()}`;
          }
          return { ...f, metadata: md, type: visit(f.type) };
        }),
      };
    }
    if (isArray(t)) return { ...t, elementType: visit(t.elementType) };
    if (isMap(t)) return { ...t, keyType: visit(t.keyType), valueType: visit(t.valueType) };
    return t;
  };
  // Ids already present may exceed the recorded maximum.
  const scan = (t: DataType): void => {
    if (isStruct(t)) {
      for (const f of t.fields) {
        const id = Number(f.metadata?.['delta.columnMapping.id']);
        if (Number.isFinite(id) && id > max) max = id;
        scan(f.type);
      }
    } else if (isArray(t)) scan(t.elementType);
    else if (isMap(t)) {
      scan(t.keyType);
      scan(t.valueType);
    }
  };
  scan(schema);
  return { schema: visit(schema) as StructType, maxColumnId: max };
}

/** Strip column-mapping metadata (for comparing or presenting logical schemas). */
export function logicalFieldNames(schema: StructType): string[] {
  return schema.fields.map((f) => f.name);
}
