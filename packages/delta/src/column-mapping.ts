/**
 * Column mapping (PROTOCOL.md, "Column Mapping"): with mode `name` or `id`, Parquet files and
 * statistics use each field's physical name (`delta.columnMapping.physicalName`) and field id
 * (`delta.columnMapping.id`); readers present the logical names from the schema.
 */
import { sqlIdent } from './duckdb.js';
import { duckdbType } from './partition-values.js';
import { isArray, isMap, isStruct, type DataType, type StructField } from './schema.js';

export type ColumnMappingModeName = 'none' | 'name' | 'id';

export function physicalName(field: StructField, mode: ColumnMappingModeName): string {
  if (mode === 'none') return field.name;
  const p = field.metadata?.['delta.columnMapping.physicalName'];
  return typeof p === 'string' && p !== '' ? p : field.name;
}

export function fieldId(field: StructField): number | undefined {
  const id = field.metadata?.['delta.columnMapping.id'];
  return typeof id === 'number' ? id : undefined;
}

/** Does any nested field below `t` have a physical name different from its logical one? */
function needsRename(t: DataType, mode: ColumnMappingModeName): boolean {
  if (mode === 'none') return false;
  if (isStruct(t)) return t.fields.some((f) => physicalName(f, mode) !== f.name || needsRename(f.type, mode));
  if (isArray(t)) return needsRename(t.elementType, mode);
  if (isMap(t)) return needsRename(t.keyType, mode) || needsRename(t.valueType, mode);
  return false;
}

/**
 * A DuckDB expression turning the physical value `expr` (nested fields under physical names)
 * into the logical value of type `t` (nested fields under logical names), cast to the logical
 * type (which also widens types changed by type widening).
 */
export function logicalValueSql(expr: string, t: DataType, mode: ColumnMappingModeName, depth = 0): string {
  if (!needsRename(t, mode)) return `CAST(${expr} AS ${duckdbType(t)})`;
  if (isStruct(t)) {
    const parts = t.fields.map(
      (f) =>
        `${sqlIdent(f.name)} := ${logicalValueSql(`(${expr}).${sqlIdent(physicalName(f, mode))}`, f.type, mode, depth + 1)}`,
    );
    return `CASE WHEN (${expr}) IS NULL THEN NULL ELSE struct_pack(${parts.join(', ')}) END`;
  }
  const v = `__lb_e${depth}`;
  if (isArray(t)) return `list_transform(${expr}, lambda ${v}: ${logicalValueSql(v, t.elementType, mode, depth + 1)})`;
  if (isMap(t)) {
    const k = logicalValueSql(`${v}.key`, t.keyType, mode, depth + 1);
    const val = logicalValueSql(`${v}.value`, t.valueType, mode, depth + 1);
    return `map_from_entries(list_transform(map_entries(${expr}), lambda ${v}: struct_pack(key := ${k}, value := ${val})))`;
  }
  return `CAST(${expr} AS ${duckdbType(t)})`;
}

/** Resolve a (possibly dotted) logical column path to its physical path. */
export function physicalPath(
  fields: StructField[],
  logicalPath: string[],
  mode: ColumnMappingModeName,
): { path: string[]; type: DataType } | undefined {
  let cur = fields;
  const out: string[] = [];
  let type: DataType | undefined;
  for (let i = 0; i < logicalPath.length; i++) {
    const f =
      cur.find((x) => x.name === logicalPath[i]) ??
      cur.find((x) => x.name.toLowerCase() === logicalPath[i]!.toLowerCase());
    if (!f) return undefined;
    out.push(physicalName(f, mode));
    type = f.type;
    if (i < logicalPath.length - 1) {
      if (!isStruct(f.type)) return undefined;
      cur = f.type.fields;
    }
  }
  return type === undefined ? undefined : { path: out, type };
}
