import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbedded, type EmbeddedSql } from '../src/index.js';

let dir: string;
let db: EmbeddedSql;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lakebox-hist-user-'));
  db = await openEmbedded({
    metastoreUrl: `sqlite:${dir}/metastore.db`,
    storageRoot: `${dir}/warehouse`,
    volumesRoot: `${dir}/volumes`,
    user: 'alice@example.com',
  });
});
afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('DESCRIBE HISTORY records who committed', () => {
  it('userName of the session user on CREATE/INSERT/UPDATE/DELETE/MERGE/OPTIMIZE; isManaged for managed tables', async () => {
    await db.run('CREATE TABLE h (k INT, v STRING)');
    await db.run("INSERT INTO h VALUES (1, 'a'), (2, 'b')");
    await db.run("UPDATE h SET v = 'z' WHERE k = 1");
    await db.run('DELETE FROM h WHERE k = 2');
    await db.run("MERGE INTO h USING (SELECT 3 AS k, 'c' AS v) s ON h.k = s.k WHEN NOT MATCHED THEN INSERT *");
    await db.run('ALTER TABLE h SET TBLPROPERTIES ("x.y" = "1")');
    const res = await db.run('DESCRIBE HISTORY h');
    const col = (n: string): number => res.columns.findIndex((c) => c.name === n);
    const hist = res.rows.map((r) => ({
      op: r[col('operation')],
      user: r[col('userName')],
      params: r[col('operationParameters')] as Record<string, string>,
    }));
    expect(hist.map((e) => e.op)).toEqual(['SET TBLPROPERTIES', 'MERGE', 'DELETE', 'UPDATE', 'WRITE', 'CREATE TABLE']);
    for (const e of hist) expect([e.op, e.user]).toEqual([e.op, 'alice@example.com']);
    expect(hist.at(-1)!.params.isManaged).toBe('true');

    const ext = path.join(dir, 'ext');
    await db.run(`CREATE TABLE e (k INT) LOCATION '${ext}'`);
    const eh = await db.run('DESCRIBE HISTORY e');
    const p = eh.rows[0]![col('operationParameters')] as Record<string, string>;
    expect(eh.rows[0]![col('operation')]).toBe('CREATE TABLE');
    expect(p.isManaged).toBe('false');

    await db.run('CREATE TABLE c AS SELECT 1 AS k');
    const ch = await db.run('DESCRIBE HISTORY c');
    expect(ch.rows[0]![col('userName')]).toBe('alice@example.com');
  });
});
