import * as fs from 'node:fs';
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type Migration, type MigrationProvider } from 'kysely';
import { LakeboxError } from '@lakebox/common';
import { metastoreMigrations } from './migrations.js';
import type { MetastoreDatabase } from './tables.js';

/** Which SQL database holds the metastore. */
export type MetastoreDialect = 'sqlite' | 'postgres';

export interface MetastoreDbOptions {
  /**
   * `postgres://user:pass@host:port/db` (or `postgresql://`) for PostgreSQL; `sqlite:/path/file.db`
   * or a plain file path for SQLite; `:memory:` for a throw-away SQLite database.
   */
  url: string;
}

/** An open metastore database: one Kysely instance shared by every package in the process. */
export interface MetastoreDb {
  db: Kysely<MetastoreDatabase>;
  dialect: MetastoreDialect;
  /** The URL with any password masked, for logs. */
  displayUrl: string;
  close(): Promise<void>;
}

const PG_INT8 = 20;
const PG_NUMERIC = 1700;

/** Open (and create, for SQLite) the metastore database. Does not run migrations: see `migrateMetastore`. */
export function openMetastoreDb(opts: MetastoreDbOptions): MetastoreDb {
  const url = opts.url;
  if (/^postgres(ql)?:\/\//i.test(url)) {
    const pool = new pg.Pool({
      connectionString: url,
      max: 10,
      // BIGINT columns (timestamps in ms, sizes) come back as JS numbers, not strings: every value
      // we store fits in 2^53.
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
          if (oid === PG_INT8 || oid === PG_NUMERIC) return (v: string) => Number(v);
          return pg.types.getTypeParser(oid, format as 'text');
        }) as typeof pg.types.getTypeParser,
      },
    });
    // An idle client that loses its connection must not crash the process.
    pool.on('error', () => {});
    const db = new Kysely<MetastoreDatabase>({ dialect: new PostgresDialect({ pool }) });
    return {
      db,
      dialect: 'postgres',
      displayUrl: url.replace(/\/\/([^:@/]+):([^@/]*)@/, '//$1:***@'),
      close: () => db.destroy(),
    };
  }
  const file = url.startsWith('sqlite:') ? url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '') : url;
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  let database: BetterSqlite3.Database;
  try {
    database = new BetterSqlite3(file);
  } catch (e) {
    throw new LakeboxError(
      'METASTORE_UNAVAILABLE',
      `cannot open the metastore database ${file}: ${(e as Error).message}`,
      {
        httpStatus: 503,
        cause: e,
      },
    );
  }
  database.pragma('journal_mode = WAL');
  // WAL's recommended setting: a commit is not fsynced on its own (the WAL is synced at checkpoints),
  // so a crash of the machine may lose the last commits but never corrupts the database.
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  const db = new Kysely<MetastoreDatabase>({ dialect: new SqliteDialect({ database }) });
  return { db, dialect: 'sqlite', displayUrl: `sqlite:${file}`, close: () => db.destroy() };
}

/**
 * Run a set of in-code migrations, in name order, recording them in `tableName`. Each package that
 * keeps tables in the metastore database (the catalog itself, MLflow, ...) passes its own
 * migrations and its own table name, so their histories stay independent.
 */
export async function runMigrations(
  db: Kysely<any>,
  migrations: Record<string, Migration>,
  tableName: string,
): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: tableName,
    migrationLockTableName: `${tableName}_lock`,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new LakeboxError(
      'METASTORE_MIGRATION_FAILED',
      `metastore migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? String(error)}`,
      { httpStatus: 500, cause: error },
    );
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Bring the catalog's own tables to the latest version. */
export function migrateMetastore(db: Kysely<MetastoreDatabase>): Promise<string[]> {
  return runMigrations(db, metastoreMigrations, 'lakebox_catalog_migrations');
}

/** True when `e` is a unique-constraint violation from either backend. */
export function isUniqueViolation(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
