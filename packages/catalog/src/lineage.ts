import { randomUUID } from 'node:crypto';
import type { Kysely, Migration } from 'kysely';
import { runMigrations } from './db.js';

// Table and column lineage, kept in the metastore database in its own tables (with their own
// migration history, so they evolve independently of the catalog's). One row per edge; one
// lineage event (a statement or a DataFrame write) shares an event_id across its rows.

/** What wrote the target: a notebook, a job, a SQL statement, a Spark Connect session, ... */
export interface LineageEntity {
  /** e.g. NOTEBOOK, JOB, SQL_STATEMENT, SPARK_CONNECT_SESSION */
  type: string;
  id: string;
  runId?: string;
}

/** A table-like lineage node: a catalog table or view, or a path. */
export interface LineageNode {
  /** `catalog.schema.table` for catalog objects; null for a path. */
  fullName: string | null;
  /** For a path (e.g. `delta.\`/data/t\``, a parquet file), the path. */
  path?: string | null;
  /** TABLE, VIEW, PATH */
  type: string;
}

export interface LineageEvent {
  /** Tables read by the statement (all of them: projections, filters, joins). */
  sources: LineageNode[];
  target: LineageNode;
  /** Column edges: which source columns feed each target column. */
  columns: { target: string; sources: { table: LineageNode; column: string }[] }[];
  createdBy: string;
  /** ms since the epoch; default now */
  eventTime?: number;
  entity?: LineageEntity | null;
  statementId?: string | null;
}

export interface TableLineageRow {
  event_id: string;
  record_id: string;
  event_time: number;
  created_by: string;
  entity_type: string | null;
  entity_id: string | null;
  entity_run_id: string | null;
  statement_id: string | null;
  source_table_full_name: string | null;
  source_path: string | null;
  source_type: string;
  target_table_full_name: string | null;
  target_path: string | null;
  target_type: string;
}

export interface ColumnLineageRow extends TableLineageRow {
  source_column_name: string;
  target_column_name: string;
}

interface LineageDatabase {
  lineage_tables: TableLineageRow;
  lineage_columns: ColumnLineageRow;
}

const common = (t: any) =>
  t
    .addColumn('record_id', 'varchar(64)', (c: any) => c.primaryKey())
    .addColumn('event_id', 'varchar(64)', (c: any) => c.notNull())
    .addColumn('event_time', 'bigint', (c: any) => c.notNull())
    .addColumn('created_by', 'varchar(255)', (c: any) => c.notNull())
    .addColumn('entity_type', 'varchar(64)')
    .addColumn('entity_id', 'varchar(255)')
    .addColumn('entity_run_id', 'varchar(255)')
    .addColumn('statement_id', 'varchar(255)')
    .addColumn('source_table_full_name', 'varchar(800)')
    .addColumn('source_path', 'text')
    .addColumn('source_type', 'varchar(32)', (c: any) => c.notNull())
    .addColumn('target_table_full_name', 'varchar(800)')
    .addColumn('target_path', 'text')
    .addColumn('target_type', 'varchar(32)', (c: any) => c.notNull());

export const lineageMigrations: Record<string, Migration> = {
  '0001_lineage': {
    async up(db: Kysely<any>) {
      await common(db.schema.createTable('lineage_tables')).execute();
      await common(db.schema.createTable('lineage_columns'))
        .addColumn('source_column_name', 'varchar(255)', (c: any) => c.notNull())
        .addColumn('target_column_name', 'varchar(255)', (c: any) => c.notNull())
        .execute();
      for (const t of ['lineage_tables', 'lineage_columns']) {
        await db.schema.createIndex(`${t}_source_idx`).on(t).column('source_table_full_name').execute();
        await db.schema.createIndex(`${t}_target_idx`).on(t).column('target_table_full_name').execute();
      }
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('lineage_columns').ifExists().execute();
      await db.schema.dropTable('lineage_tables').ifExists().execute();
    },
  },
};

const migrated = new WeakMap<object, Promise<unknown>>();

/** Bring the lineage tables to the latest version (once per database handle). */
export function migrateLineage(db: Kysely<any>): Promise<unknown> {
  let p = migrated.get(db);
  if (!p) {
    p = runMigrations(db, lineageMigrations, 'lakebox_lineage_migrations');
    p.catch(() => migrated.delete(db));
    migrated.set(db, p);
  }
  return p;
}

const nodeKey = (n: LineageNode) => n.fullName ?? `path:${n.path ?? ''}`;

export interface LineageQuery {
  /** Rows whose source or target is this table (full name, lower case). */
  table?: string;
  /** Only rows whose target is this table. */
  target?: string;
  /** Only rows whose source is this table. */
  source?: string;
  /** For column rows: the column of `table`/`target`/`source`. */
  column?: string;
  limit?: number;
}

/** Records and answers lineage. Writes are append-only. */
export class LineageStore {
  private readonly db: Kysely<LineageDatabase>;
  constructor(db: Kysely<any>) {
    this.db = db as Kysely<LineageDatabase>;
  }

  ready(): Promise<unknown> {
    return migrateLineage(this.db);
  }

  /** Store one event's edges (a table edge per distinct source, a column edge per source column). */
  async record(ev: LineageEvent): Promise<{ eventId: string; tableEdges: number; columnEdges: number }> {
    await this.ready();
    const eventId = randomUUID();
    const base = {
      event_id: eventId,
      event_time: ev.eventTime ?? Date.now(),
      created_by: ev.createdBy,
      entity_type: ev.entity?.type ?? null,
      entity_id: ev.entity?.id ?? null,
      entity_run_id: ev.entity?.runId ?? null,
      statement_id: ev.statementId ?? null,
      target_table_full_name: ev.target.fullName,
      target_path: ev.target.path ?? null,
      target_type: ev.target.type,
    };
    const src = (n: LineageNode) => ({
      source_table_full_name: n.fullName,
      source_path: n.path ?? null,
      source_type: n.type,
    });
    const seen = new Set<string>();
    const tables: TableLineageRow[] = [];
    for (const s of ev.sources) {
      if (seen.has(nodeKey(s))) continue;
      seen.add(nodeKey(s));
      tables.push({ ...base, record_id: randomUUID(), ...src(s) });
    }
    const cols: ColumnLineageRow[] = [];
    const seenCol = new Set<string>();
    for (const c of ev.columns) {
      for (const s of c.sources) {
        const k = `${nodeKey(s.table)}\u0000${s.column}\u0000${c.target}`;
        if (seenCol.has(k)) continue;
        seenCol.add(k);
        cols.push({
          ...base,
          record_id: randomUUID(),
          ...src(s.table),
          source_column_name: s.column,
          target_column_name: c.target,
        });
      }
    }
    await this.db.transaction().execute(async (trx) => {
      for (let i = 0; i < tables.length; i += 200)
        await trx
          .insertInto('lineage_tables')
          .values(tables.slice(i, i + 200))
          .execute();
      for (let i = 0; i < cols.length; i += 100)
        await trx
          .insertInto('lineage_columns')
          .values(cols.slice(i, i + 100))
          .execute();
    });
    return { eventId, tableEdges: tables.length, columnEdges: cols.length };
  }

  async tableLineage(q: LineageQuery = {}): Promise<TableLineageRow[]> {
    await this.ready();
    let sel = this.db.selectFrom('lineage_tables').selectAll();
    if (q.table)
      sel = sel.where((eb) =>
        eb.or([eb('source_table_full_name', '=', q.table!), eb('target_table_full_name', '=', q.table!)]),
      );
    if (q.target) sel = sel.where('target_table_full_name', '=', q.target);
    if (q.source) sel = sel.where('source_table_full_name', '=', q.source);
    return sel
      .orderBy('event_time', 'desc')
      .orderBy('record_id')
      .limit(q.limit ?? 100_000)
      .execute();
  }

  async columnLineage(q: LineageQuery = {}): Promise<ColumnLineageRow[]> {
    await this.ready();
    let sel = this.db.selectFrom('lineage_columns').selectAll();
    if (q.table) {
      const t = q.table;
      const c = q.column;
      sel = sel.where((eb) =>
        eb.or([
          eb.and([eb('source_table_full_name', '=', t), ...(c ? [eb('source_column_name', '=', c)] : [])]),
          eb.and([eb('target_table_full_name', '=', t), ...(c ? [eb('target_column_name', '=', c)] : [])]),
        ]),
      );
    }
    if (q.target) {
      sel = sel.where('target_table_full_name', '=', q.target);
      if (q.column && !q.table) sel = sel.where('target_column_name', '=', q.column);
    }
    if (q.source) {
      sel = sel.where('source_table_full_name', '=', q.source);
      if (q.column && !q.table && !q.target) sel = sel.where('source_column_name', '=', q.column);
    }
    return sel
      .orderBy('event_time', 'desc')
      .orderBy('record_id')
      .limit(q.limit ?? 100_000)
      .execute();
  }
}
