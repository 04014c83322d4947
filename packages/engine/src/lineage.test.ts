import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbedded, type EmbeddedSql } from './embedded.js';

// Lineage captured from executed statements, read back through system.access.* with SQL.

let e: EmbeddedSql;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakebox-lineage-'));
  e = await openEmbedded({
    metastoreUrl: ':memory:',
    storageRoot: path.join(dir, 'tables'),
    volumesRoot: path.join(dir, 'volumes'),
    user: 'ann',
  });
  await e.run('CREATE TABLE raw (id BIGINT, name STRING, amount DOUBLE, country STRING)');
  await e.run("INSERT INTO raw VALUES (1, 'a', 10, 'fr'), (2, 'b', -1, 'de'), (3, 'c', 5, 'fr')");
  await e.run('CREATE TABLE dim (code STRING, region STRING)');
  await e.run("INSERT INTO dim VALUES ('fr', 'eu'), ('de', 'eu')");
});

afterAll(async () => {
  await e?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Column edges into `target` as `source_table.column -> target_column` strings, sorted. */
async function columnEdges(target: string): Promise<string[]> {
  const r = await e.run(
    `SELECT source_table_name, source_column_name, target_column_name FROM system.access.column_lineage
     WHERE target_table_full_name = 'main.default.${target}'`,
  );
  return [...new Set(r.rows.map((x) => `${x[0]}.${x[1]} -> ${x[2]}`))].sort();
}
async function tableSources(target: string): Promise<string[]> {
  const r = await e.run(
    `SELECT DISTINCT source_table_full_name FROM system.access.table_lineage WHERE target_table_full_name = 'main.default.${target}'`,
  );
  return r.rows.map((x) => String(x[0])).sort();
}

describe('lineage from SQL statements', () => {
  it('records nothing for INSERT ... VALUES (no source tables)', async () => {
    expect(await tableSources('raw')).toEqual([]);
  });

  it('follows columns through expressions and filters (CTAS)', async () => {
    await e.run(
      'CREATE TABLE cleaned AS SELECT id, upper(name) AS name, amount * 1.2 AS amount_eur, country FROM raw WHERE amount > 0',
    );
    expect(await tableSources('cleaned')).toEqual(['main.default.raw']);
    expect(await columnEdges('cleaned')).toEqual([
      'raw.amount -> amount_eur',
      'raw.country -> country',
      'raw.id -> id',
      'raw.name -> name',
    ]);
  });

  it('follows columns through CTEs, stars, joins, aggregates and subqueries', async () => {
    await e.run(`CREATE TABLE agg AS
      WITH c AS (SELECT * FROM cleaned)
      SELECT d.region, sum(c.amount_eur) AS total, count(*) AS n,
             (SELECT max(id) FROM raw) AS max_raw_id
      FROM c JOIN dim d ON c.country = d.code GROUP BY d.region`);
    expect(await tableSources('agg')).toEqual(['main.default.cleaned', 'main.default.dim', 'main.default.raw']);
    expect(await columnEdges('agg')).toEqual([
      'cleaned.amount_eur -> total',
      'dim.region -> region',
      'raw.id -> max_raw_id',
    ]);
  });

  it('maps INSERT columns by position and by an explicit column list; UNION reads both sides', async () => {
    await e.run('CREATE TABLE names (n STRING, src STRING)');
    await e.run("INSERT INTO names (src, n) SELECT 'raw', name FROM raw UNION ALL SELECT region, code FROM dim");
    expect(await columnEdges('names')).toEqual(['dim.code -> n', 'dim.region -> src', 'raw.name -> n']);
  });

  it('records MERGE assignments and UPDATE expressions, with the user and time', async () => {
    await e.run('CREATE TABLE target (code STRING, region STRING, hits BIGINT)');
    await e.run(`MERGE INTO target t USING dim s ON t.code = s.code
      WHEN MATCHED THEN UPDATE SET region = s.region
      WHEN NOT MATCHED THEN INSERT (code, region, hits) VALUES (s.code, lower(s.region), 0)`);
    expect(await columnEdges('target')).toEqual(['dim.code -> code', 'dim.region -> region']);
    await e.run('UPDATE target SET hits = length(code) + hits');
    expect(await columnEdges('target')).toEqual(['dim.code -> code', 'dim.region -> region', 'target.code -> hits']);
    const r = await e.run(
      "SELECT created_by, event_time, event_date, source_type, target_type FROM system.access.table_lineage WHERE target_table_name = 'target'",
    );
    expect(r.rows.length).toBe(2);
    for (const row of r.rows) {
      expect(row[0]).toBe('ann');
      expect(Date.now() - Date.parse(`${String(row[1]).replace(' ', 'T')}Z`)).toBeLessThan(3_600_000);
      expect(row.slice(3)).toEqual(['TABLE', 'TABLE']);
    }
  });

  it('treats a view as a lineage node of its own and sees through temporary views', async () => {
    await e.run("CREATE VIEW fr AS SELECT id, name AS who FROM raw WHERE country = 'fr'");
    expect(await columnEdges('fr')).toEqual(['raw.id -> id', 'raw.name -> who']);
    await e.run('CREATE TEMPORARY VIEW tmp AS SELECT who AS w FROM fr');
    await e.run('CREATE TABLE from_view AS SELECT w AS person FROM tmp');
    expect(await columnEdges('from_view')).toEqual(['fr.who -> person']);
    const t = await e.run(
      "SELECT source_type FROM system.access.table_lineage WHERE target_table_full_name = 'main.default.from_view'",
    );
    expect(t.rows).toEqual([['VIEW']]);
  });
});
