import type { Kysely, Migration } from 'kysely';
import { runMigrations } from '../db.js';

// Governance (authorization) tables, kept in the metastore database with their own migration
// history (`lakebox_authz_migrations`), so they evolve independently of the catalog's. The
// `grants` table itself was created by the catalog's 0001 migration. Never edit a migration once
// committed: add a new one.

const a0001: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createIndex('grants_principal_idx').ifNotExists().on('grants').column('principal').execute();
    await db.schema
      .createIndex('grants_securable_idx')
      .ifNotExists()
      .on('grants')
      .columns(['securable_type', 'securable_id'])
      .execute();
    // Owners of securables that live outside the metastore's own tables (experiments, registered models).
    await db.schema
      .createTable('securable_owners')
      .addColumn('securable_type', 'varchar(32)', (c) => c.notNull())
      .addColumn('securable_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('owner', 'varchar(255)', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('securable_owners_pk', ['securable_type', 'securable_id'])
      .execute();
    // Row filters (column_name '') and column masks of tables.
    await db.schema
      .createTable('table_policies')
      .addColumn('table_id', 'varchar(64)', (c) => c.notNull().references('tables.id').onDelete('cascade'))
      .addColumn('column_name', 'varchar(255)', (c) => c.notNull())
      .addColumn('kind', 'varchar(16)', (c) => c.notNull())
      .addColumn('function_name', 'varchar(800)', (c) => c.notNull())
      .addColumn('using_columns', 'text', (c) => c.notNull())
      .addColumn('created_by', 'varchar(255)', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('table_policies_pk', ['table_id', 'column_name'])
      .execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('table_policies').ifExists().execute();
    await db.schema.dropTable('securable_owners').ifExists().execute();
    await db.schema.dropIndex('grants_securable_idx').ifExists().execute();
    await db.schema.dropIndex('grants_principal_idx').ifExists().execute();
  },
};

export const authzMigrations: Record<string, Migration> = {
  '0001_authz': a0001,
};

export interface SecurableOwnersTable {
  securable_type: string;
  securable_id: string;
  owner: string;
  created_at: number;
}

export interface TablePoliciesTable {
  table_id: string;
  /** '' for the row filter, else the masked column (lower case) */
  column_name: string;
  /** ROW_FILTER | MASK */
  kind: string;
  /** three-part name of the SQL function */
  function_name: string;
  /** JSON array of the column names passed to the function (after the masked column, for masks) */
  using_columns: string;
  created_by: string;
  created_at: number;
}

/** Bring the governance tables to the latest version (openCatalog runs this after the catalog's migrations). */
export function migrateAuthz(db: Kysely<any>): Promise<string[]> {
  return runMigrations(db, authzMigrations, 'lakebox_authz_migrations');
}
