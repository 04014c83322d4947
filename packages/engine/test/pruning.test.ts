import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbedded, type EmbeddedSql } from '../src/index.js';
import { Translator, type TranslateContext } from '../src/translate.js';

let dir: string;
let db: EmbeddedSql;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lakebox-prune-'));
  db = await openEmbedded({ metastoreUrl: `sqlite:${dir}/m.db`, storageRoot: `${dir}/w`, volumesRoot: `${dir}/v` });
  await db.run('CREATE TABLE ev (id INT, p STRING, x INT) PARTITIONED BY (p)');
  for (const [p, lo] of [
    ['a', 0],
    ['b', 100],
    ['c', 200],
  ] as const) {
    await db.run(`INSERT INTO ev SELECT id, '${p}', id FROM range(${lo}, ${lo + 10}) AS r(id)`);
  }
});
afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The DuckDB SQL a query's single table reference resolves to (shows which files are read). */
async function scanOf(sql: string): Promise<string> {
  const st = db.engine.parse(sql)[0];
  const ctx: TranslateContext = { refs: [], params: {}, ctes: new Set() };
  new Translator(ctx).query(st.nodes);
  expect(ctx.refs).toHaveLength(1);
  const conn = await db.engine.connect();
  try {
    return await db.lakehouse.resolve(ctx.refs[0], db.session, conn);
  } finally {
    conn.closeSync();
  }
}
const files = (s: string) => new Set(s.match(/'[^']*\.parquet'/g) ?? []).size;

describe('partition pruning and file skipping from the WHERE clause', () => {
  it('reads only matching partitions and files', async () => {
    expect(files(await scanOf('SELECT * FROM ev'))).toBe(3);
    expect(files(await scanOf("SELECT * FROM ev WHERE p = 'b'"))).toBe(1);
    expect(files(await scanOf("SELECT * FROM ev e WHERE e.p IN ('a', 'c') AND x > 0"))).toBe(2);
    // min/max statistics: x >= 205 can only be in partition c's file
    expect(files(await scanOf('SELECT * FROM ev WHERE x >= 205'))).toBe(1);
    expect(files(await scanOf('SELECT * FROM ev WHERE x BETWEEN 100 AND 109'))).toBe(1);
    // OR at the top level: no pruning (conservative), results still right
    expect(files(await scanOf("SELECT * FROM ev WHERE p = 'a' OR x = 105"))).toBe(3);
    expect((await db.run("SELECT count(*) FROM ev WHERE p = 'a' OR x = 105")).rows).toEqual([[11]]);
    expect((await db.run("SELECT sum(x) FROM ev WHERE p = 'b'")).rows).toEqual([[1045]]);
  });
  it('time travel by version and timestamp', async () => {
    expect((await db.run('SELECT count(*) FROM ev VERSION AS OF 1')).rows).toEqual([[10]]);
    expect((await db.run('SELECT count(*) FROM ev@v2')).rows).toEqual([[20]]);
    const hist = (await db.run('DESCRIBE HISTORY ev')).rows;
    const v1time = hist.find((r) => r[0] === 1)![1] as string;
    expect((await db.run(`SELECT count(*) FROM ev TIMESTAMP AS OF '${v1time}'`)).rows).toEqual([[10]]);
    const e = await db.run('SELECT * FROM ev VERSION AS OF 99').catch((x) => x);
    expect(e.code).toMatch(/VERSION/);
  });
});
