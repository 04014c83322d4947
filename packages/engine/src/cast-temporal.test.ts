import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDBConnection } from '@duckdb/node-api';
import { isLakeboxError, LakeboxError } from '@lakebox/common';
import { SqlEngine, type TableResolver } from './engine.js';

// Spark casts between numbers and timestamps as seconds since the epoch.
const resolver: TableResolver = {
  async resolve(ref) {
    throw new LakeboxError('TABLE_OR_VIEW_NOT_FOUND', `no table ${ref.parts.join('.')}`);
  },
};

let engine: SqlEngine;
let conn: DuckDBConnection;
const q = async (sql: string) => (await engine.execute(sql, { conn })).rows;

beforeAll(async () => {
  engine = new SqlEngine({ resolver });
  conn = await engine.connect();
});
afterAll(() => conn.closeSync());

describe('casts between numbers and timestamps', () => {
  it('reads a number as seconds since the epoch', async () => {
    const [row] = await q(
      "SELECT CAST(86400 AS TIMESTAMP), CAST(1.5D AS TIMESTAMP), CAST(CAST(2 AS BIGINT) AS TIMESTAMP), CAST(CAST('0.25' AS DECIMAL(4,2)) AS TIMESTAMP)",
    );
    expect(row!.map(String)).toEqual([
      '1970-01-02 00:00:00',
      '1970-01-01 00:00:01.5',
      '1970-01-01 00:00:02',
      '1970-01-01 00:00:00.25',
    ]);
  });

  it('gives a timestamp as whole seconds (floor) to integers and with the fraction to doubles', async () => {
    const ts = "TIMESTAMP'2024-01-15 10:30:00.750'";
    expect(await q(`SELECT CAST(${ts} AS BIGINT), CAST(${ts} AS INT), CAST(${ts} AS DOUBLE)`)).toEqual([
      [1705314600, 1705314600, 1705314600.75],
    ]);
    expect(await q("SELECT CAST(TIMESTAMP'1969-12-31 23:59:59.5' AS BIGINT)")).toEqual([[-1]]);
  });

  it('still refuses to cast a date to a number', async () => {
    await expect(q("SELECT CAST(DATE'2024-01-01' AS INT)")).rejects.toSatisfy(isLakeboxError);
  });
});
