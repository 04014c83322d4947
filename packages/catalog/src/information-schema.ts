import type { Metastore } from './metastore.js';
import { INFORMATION_SCHEMA, SYSTEM_CATALOG } from './names.js';

/**
 * Rows of the `information_schema` views (column names as in Databricks' information_schema),
 * answered from the metastore. The engine exposes them as SQL views; `catalog` restricts the rows
 * to one catalog (each catalog has its own information_schema in Databricks; `system` sees all).
 */
export type InformationSchemaView = 'catalogs' | 'schemata' | 'tables' | 'columns' | 'views' | 'volumes' | 'routines';

export const INFORMATION_SCHEMA_VIEWS: readonly InformationSchemaView[] = [
  'catalogs',
  'schemata',
  'tables',
  'columns',
  'views',
  'volumes',
  'routines',
];

export type InformationSchemaRow = Record<string, string | number | boolean | Date | null>;

const ts = (ms: number) => new Date(ms);

/** One information_schema view's rows. */
export async function informationSchemaRows(
  ms: Metastore,
  view: InformationSchemaView,
  opts: { catalog?: string } = {},
): Promise<InformationSchemaRow[]> {
  const all = await ms.listCatalogs();
  const only = opts.catalog?.toLowerCase();
  const catalogs = only && only !== SYSTEM_CATALOG ? all.filter((c) => c.name === only) : all;
  if (view === 'catalogs') {
    return catalogs.map((c) => ({
      catalog_name: c.name,
      catalog_owner: c.owner,
      comment: c.comment,
      created: ts(c.createdAt),
      created_by: c.createdBy,
      last_altered: ts(c.updatedAt),
      last_altered_by: c.updatedBy,
    }));
  }
  const rows: InformationSchemaRow[] = [];
  for (const c of catalogs) {
    for (const s of await ms.listSchemas(c.name)) {
      if (view === 'schemata') {
        rows.push({
          catalog_name: c.name,
          schema_name: s.name,
          schema_owner: s.owner,
          comment: s.comment,
          created: ts(s.createdAt),
          created_by: s.createdBy,
          last_altered: ts(s.updatedAt),
          last_altered_by: s.updatedBy,
        });
        continue;
      }
      if (s.name === INFORMATION_SCHEMA && c.name === SYSTEM_CATALOG) continue;
      if (view === 'volumes') {
        for (const v of await ms.listVolumes(c.name, s.name)) {
          rows.push({
            volume_catalog: c.name,
            volume_schema: s.name,
            volume_name: v.name,
            volume_type: v.volumeType,
            volume_owner: v.owner,
            comment: v.comment,
            storage_location: v.storageLocation,
            created: ts(v.createdAt),
            created_by: v.createdBy,
            last_altered: ts(v.updatedAt),
            last_altered_by: v.updatedBy,
          });
        }
        continue;
      }
      if (view === 'routines') {
        for (const f of await ms.listFunctions(c.name, s.name)) {
          rows.push({
            specific_catalog: c.name,
            specific_schema: s.name,
            specific_name: f.name,
            routine_catalog: c.name,
            routine_schema: s.name,
            routine_name: f.name,
            routine_type: 'FUNCTION',
            routine_owner: f.owner,
            data_type: f.returnType,
            full_data_type: f.returnType,
            routine_body: f.routineBody,
            routine_definition: f.routineDefinition,
            is_deterministic: f.isDeterministic ? 'YES' : 'NO',
            comment: f.comment,
            created: ts(f.createdAt),
            created_by: f.createdBy,
            last_altered: ts(f.updatedAt),
            last_altered_by: f.updatedBy,
          });
        }
        continue;
      }
      for (const t of await ms.listTables(c.name, s.name)) {
        const isView = t.tableType === 'VIEW' || t.tableType === 'MATERIALIZED_VIEW';
        if (view === 'tables') {
          rows.push({
            table_catalog: c.name,
            table_schema: s.name,
            table_name: t.name,
            table_type: t.tableType,
            is_insertable_into: isView ? 'NO' : 'YES',
            commit_action: 'PRESERVE',
            table_owner: t.owner,
            comment: t.comment,
            created: ts(t.createdAt),
            created_by: t.createdBy,
            last_altered: ts(t.updatedAt),
            last_altered_by: t.updatedBy,
            data_source_format: t.dataSourceFormat,
            storage_path: t.storageLocation,
          });
        } else if (view === 'views') {
          if (!isView) continue;
          rows.push({
            table_catalog: c.name,
            table_schema: s.name,
            table_name: t.name,
            view_definition: t.viewDefinition,
            check_option: 'NONE',
            is_updatable: 'NO',
            is_insertable_into: 'NO',
            sql_path: null,
            is_materialized: t.tableType === 'MATERIALIZED_VIEW',
          });
        } else if (view === 'columns') {
          t.columns.forEach((col, i) => {
            rows.push({
              table_catalog: c.name,
              table_schema: s.name,
              table_name: t.name,
              column_name: col.name,
              ordinal_position: i,
              column_default: null,
              is_nullable: col.nullable ? 'YES' : 'NO',
              full_data_type: col.typeText,
              data_type: col.typeText.replace(/[<(].*$/, '').toUpperCase(),
              comment: col.comment ?? null,
              partition_index: col.partitionIndex ?? null,
            });
          });
        }
      }
    }
  }
  return rows;
}
