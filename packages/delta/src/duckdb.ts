import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

/**
 * The process-wide in-memory DuckDB that reads and writes Parquet for the Delta package.
 * One instance, many connections: each concurrent operation takes its own connection
 * (`withConnection`) so that DuckDB's MVCC and threads work for us.
 */
let instance: Promise<DuckDBInstance> | undefined;

export function duckdbInstance(): Promise<DuckDBInstance> {
  instance ??= DuckDBInstance.create(':memory:', {
    // Never reach for the network: extensions we need (parquet, json, icu) are bundled.
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'true',
  });
  return instance;
}

export async function withConnection<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  const db = await duckdbInstance();
  const conn = await db.connect();
  try {
    return await fn(conn);
  } finally {
    conn.closeSync();
  }
}

/** Quote a string as a SQL literal. */
export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** Quote an identifier for DuckDB. */
export function sqlIdent(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}
