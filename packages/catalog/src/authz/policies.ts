import type { Kysely } from 'kysely';
import type { AuthzDatabase } from './authorizer.js';

/** A table's row filter and column masks: SQL functions applied whenever the table is read. */
export interface TablePolicies {
  /** `function(columns...)` must be true for a row to be visible. */
  rowFilter?: { functionName: string; columns: string[] };
  /** By masked column (lower case): the value read is `function(column, using...)`. */
  masks: Map<string, { functionName: string; using: string[] }>;
}

const ROW_FILTER = '';

/** Row filters and column masks, stored per table id (they go away with the table). */
export class PolicyStore {
  private readonly db: Kysely<AuthzDatabase>;
  constructor(db: Kysely<any>) {
    this.db = db as Kysely<AuthzDatabase>;
  }

  async get(tableId: string): Promise<TablePolicies> {
    const rows = await this.db.selectFrom('table_policies').selectAll().where('table_id', '=', tableId).execute();
    const out: TablePolicies = { masks: new Map() };
    for (const r of rows) {
      const cols = JSON.parse(r.using_columns) as string[];
      if (r.kind === 'ROW_FILTER') out.rowFilter = { functionName: r.function_name, columns: cols };
      else out.masks.set(r.column_name, { functionName: r.function_name, using: cols });
    }
    return out;
  }

  async setRowFilter(tableId: string, functionName: string, columns: string[], by: string): Promise<void> {
    await this.put(tableId, ROW_FILTER, 'ROW_FILTER', functionName, columns, by);
  }

  async dropRowFilter(tableId: string): Promise<void> {
    await this.db
      .deleteFrom('table_policies')
      .where('table_id', '=', tableId)
      .where('column_name', '=', ROW_FILTER)
      .execute();
  }

  async setColumnMask(
    tableId: string,
    column: string,
    functionName: string,
    using: string[],
    by: string,
  ): Promise<void> {
    await this.put(tableId, column.toLowerCase(), 'MASK', functionName, using, by);
  }

  async dropColumnMask(tableId: string, column: string): Promise<void> {
    await this.db
      .deleteFrom('table_policies')
      .where('table_id', '=', tableId)
      .where('column_name', '=', column.toLowerCase())
      .execute();
  }

  private async put(
    tableId: string,
    column: string,
    kind: string,
    functionName: string,
    columns: string[],
    by: string,
  ): Promise<void> {
    const row = {
      table_id: tableId,
      column_name: column,
      kind,
      function_name: functionName,
      using_columns: JSON.stringify(columns),
      created_by: by,
      created_at: Date.now(),
    };
    await this.db
      .insertInto('table_policies')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['table_id', 'column_name']).doUpdateSet({
          kind,
          function_name: functionName,
          using_columns: row.using_columns,
          created_by: by,
          created_at: row.created_at,
        }),
      )
      .execute();
  }
}
