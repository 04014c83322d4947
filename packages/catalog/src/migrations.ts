import type { CreateTableBuilder, Kysely, Migration } from 'kysely';

// The catalog's schema history. Never edit a migration once committed: add a new one. Names sort
// in the order they run.

const audit = (t: CreateTableBuilder<any, any>): CreateTableBuilder<any, any> =>
  t
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'varchar(255)', (c) => c.notNull())
    .addColumn('updated_by', 'varchar(255)', (c) => c.notNull());

const m0001: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('principals')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
      .addColumn('kind', 'varchar(32)', (c) => c.notNull())
      .addColumn('is_admin', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('tokens')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('principal_id', 'varchar(64)', (c) => c.notNull().references('principals.id').onDelete('cascade'))
      .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
      .addColumn('token_prefix', 'varchar(32)', (c) => c.notNull())
      .addColumn('comment', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint')
      .addColumn('revoked_at', 'bigint')
      .addColumn('last_used_at', 'bigint')
      .execute();
    await db.schema.createIndex('tokens_principal_idx').on('tokens').column('principal_id').execute();

    await audit(
      db.schema
        .createTable('catalogs')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
        .addColumn('comment', 'text')
        .addColumn('owner', 'varchar(255)', (c) => c.notNull())
        .addColumn('properties', 'text', (c) => c.notNull())
        .addColumn('storage_root', 'text'),
    ).execute();

    await audit(
      db.schema
        .createTable('schemas')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('catalog_id', 'varchar(64)', (c) => c.notNull().references('catalogs.id').onDelete('cascade'))
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('comment', 'text')
        .addColumn('owner', 'varchar(255)', (c) => c.notNull())
        .addColumn('properties', 'text', (c) => c.notNull())
        .addColumn('storage_root', 'text'),
    )
      .addUniqueConstraint('schemas_catalog_name_uq', ['catalog_id', 'name'])
      .execute();

    await audit(
      db.schema
        .createTable('tables')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('schema_id', 'varchar(64)', (c) => c.notNull().references('schemas.id').onDelete('cascade'))
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('table_type', 'varchar(32)', (c) => c.notNull())
        .addColumn('data_source_format', 'varchar(32)')
        .addColumn('storage_location', 'text')
        .addColumn('view_definition', 'text')
        .addColumn('columns', 'text', (c) => c.notNull())
        .addColumn('comment', 'text')
        .addColumn('owner', 'varchar(255)', (c) => c.notNull())
        .addColumn('properties', 'text', (c) => c.notNull()),
    )
      .addUniqueConstraint('tables_schema_name_uq', ['schema_id', 'name'])
      .execute();

    await audit(
      db.schema
        .createTable('volumes')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('schema_id', 'varchar(64)', (c) => c.notNull().references('schemas.id').onDelete('cascade'))
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('volume_type', 'varchar(32)', (c) => c.notNull())
        .addColumn('storage_location', 'text', (c) => c.notNull())
        .addColumn('comment', 'text')
        .addColumn('owner', 'varchar(255)', (c) => c.notNull()),
    )
      .addUniqueConstraint('volumes_schema_name_uq', ['schema_id', 'name'])
      .execute();

    await audit(
      db.schema
        .createTable('functions')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('schema_id', 'varchar(64)', (c) => c.notNull().references('schemas.id').onDelete('cascade'))
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('parameters', 'text', (c) => c.notNull())
        .addColumn('return_type', 'text', (c) => c.notNull())
        .addColumn('routine_body', 'varchar(32)', (c) => c.notNull())
        .addColumn('routine_definition', 'text', (c) => c.notNull())
        .addColumn('is_deterministic', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('comment', 'text')
        .addColumn('owner', 'varchar(255)', (c) => c.notNull())
        .addColumn('properties', 'text', (c) => c.notNull()),
    )
      .addUniqueConstraint('functions_schema_name_uq', ['schema_id', 'name'])
      .execute();

    await db.schema
      .createTable('grants')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('securable_type', 'varchar(32)', (c) => c.notNull())
      .addColumn('securable_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('principal', 'varchar(255)', (c) => c.notNull())
      .addColumn('privilege', 'varchar(64)', (c) => c.notNull())
      .addColumn('granted_by', 'varchar(255)', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('grants_uq', ['securable_type', 'securable_id', 'principal', 'privilege'])
      .execute();
  },
  async down(db: Kysely<any>) {
    for (const t of ['grants', 'functions', 'volumes', 'tables', 'schemas', 'catalogs', 'tokens', 'principals']) {
      await db.schema.dropTable(t).ifExists().execute();
    }
  },
};

// Identity (governance): SCIM attributes on principals, nested group membership, web-UI sessions.
const m0002: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('principals').addColumn('display_name', 'varchar(255)').execute();
    await db.schema
      .alterTable('principals')
      .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
      .execute();
    await db.schema.alterTable('principals').addColumn('password_hash', 'text').execute();
    await db.schema.alterTable('principals').addColumn('external_id', 'varchar(255)').execute();
    await db.schema.alterTable('principals').addColumn('application_id', 'varchar(64)').execute();
    await db.schema
      .createTable('group_members')
      .addColumn('group_id', 'varchar(64)', (c) => c.notNull().references('principals.id').onDelete('cascade'))
      .addColumn('member_id', 'varchar(64)', (c) => c.notNull().references('principals.id').onDelete('cascade'))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('group_members_pk', ['group_id', 'member_id'])
      .execute();
    await db.schema.createIndex('group_members_member_idx').on('group_members').column('member_id').execute();
    await db.schema
      .createTable('sessions')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('principal_id', 'varchar(64)', (c) => c.notNull().references('principals.id').onDelete('cascade'))
      .addColumn('csrf_hash', 'varchar(64)', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('sessions_principal_idx').on('sessions').column('principal_id').execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('sessions').ifExists().execute();
    await db.schema.dropTable('group_members').ifExists().execute();
    for (const c of ['application_id', 'external_id', 'password_hash', 'active', 'display_name']) {
      await db.schema.alterTable('principals').dropColumn(c).execute();
    }
  },
};

export const metastoreMigrations: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_identity': m0002,
};
