import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { startLakebox, type RunningLakebox } from '../support/lakebox.js';

// A new user's first session, as the README tells it: `lakebox start` on a fresh data directory,
// then `lakebox sql -e` against the running server with the printed admin token, creating a
// partitioned Delta table, inserting, MERGE, time travel and DESCRIBE HISTORY.

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../packages/cli/bin/lakebox.js', import.meta.url));
let server: RunningLakebox | undefined;

afterAll(async () => {
  await server?.stop();
});

describe('a new user, following the README', () => {
  it('creates, fills, merges, time-travels and inspects a partitioned Delta table through a running server', async () => {
    server = await startLakebox({ prefix: 'lbx-newuser-' });
    const { base: url, token } = server;
    const sql = async (statement: string): Promise<Record<string, unknown>[]> => {
      const { stdout } = await run(process.execPath, [
        bin,
        'sql',
        '--server',
        url,
        '--token',
        token,
        '--format',
        'json',
        '-e',
        statement,
      ]);
      return JSON.parse(stdout);
    };

    await sql(
      'CREATE TABLE main.default.trips (id BIGINT, city STRING, fare DOUBLE) USING DELTA PARTITIONED BY (city)',
    );
    await sql("INSERT INTO main.default.trips VALUES (1, 'Oslo', 10.5), (2, 'Lima', 7.0), (3, 'Oslo', 3.25)");
    await sql(
      `MERGE INTO main.default.trips t
       USING (SELECT 2 AS id, 'Lima' AS city, 8.0 AS fare UNION ALL SELECT 4, 'Pune', 5.5) s
       ON t.id = s.id
       WHEN MATCHED THEN UPDATE SET fare = s.fare
       WHEN NOT MATCHED THEN INSERT *`,
    );

    const now = await sql('SELECT id, city, fare FROM main.default.trips ORDER BY id');
    expect(now).toEqual([
      { id: 1, city: 'Oslo', fare: 10.5 },
      { id: 2, city: 'Lima', fare: 8 },
      { id: 3, city: 'Oslo', fare: 3.25 },
      { id: 4, city: 'Pune', fare: 5.5 },
    ]);
    const before = await sql('SELECT id, fare FROM main.default.trips VERSION AS OF 1 ORDER BY id');
    expect(before).toEqual([
      { id: 1, fare: 10.5 },
      { id: 2, fare: 7 },
      { id: 3, fare: 3.25 },
    ]);
    const perCity = await sql('SELECT city, count(*) AS n FROM main.default.trips GROUP BY city ORDER BY city');
    expect(perCity.map((r) => [r.city, Number(r.n)])).toEqual([
      ['Lima', 1],
      ['Oslo', 2],
      ['Pune', 1],
    ]);

    const history = await sql('DESCRIBE HISTORY main.default.trips');
    expect(history.map((h) => [Number(h.version), h.operation])).toEqual([
      [2, 'MERGE'],
      [1, 'WRITE'],
      [0, 'CREATE TABLE'],
    ]);

    // the table is a plain Delta table on disk, partitioned by city
    const detail = await sql('DESCRIBE DETAIL main.default.trips');
    expect(detail[0].partitionColumns).toEqual(['city']);

    const code = await server.stop();
    server = undefined;
    expect(code).toBe(0);
  });
});
