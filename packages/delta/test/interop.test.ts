import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSnapshot, tableStore } from '../src/snapshot.js';
import { readRows } from '../src/scan.js';
import { writeToTable } from '../src/write.js';
import { deleteFromTable, mergeIntoTable, updateTable } from '../src/dml.js';
import { optimizeTable } from '../src/optimize.js';
import { restoreTable } from '../src/restore.js';
import { vacuumTable } from '../src/vacuum.js';
import { PythonPeer } from '../../../tests/support/python.js';
import { canonRows, rowSet, type Canon } from '../../../tests/support/rows.js';
import { MIXED_SCHEMA, mixedRows, valuesSql } from '../../../tests/support/tables.js';

// Interoperability with the real peers, both directions: tables written by delta-rs (deltalake)
// and by Apache Spark + delta-spark are read by Lakebox, and tables Lakebox writes are read by
// both peers; contents are compared in full. One Python process (one JVM) serves the whole file.

type Rows = Record<string, Canon>[];
interface PeerRead {
  columns: string[];
  rows: Rows;
  version?: number;
}

let peer: PythonPeer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lakebox-interop-'));
  peer = PythonPeer.start();
});

afterAll(async () => {
  await peer?.close();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

async function lakebox(location: string, opts: { version?: number } = {}) {
  const snap = await loadSnapshot(tableStore(location), opts);
  const rows = canonRows(snap.schema, await readRows(snap));
  return { snap, rows, set: rowSet(rows) };
}

const rsRead = (p: string, version?: number): Promise<PeerRead> =>
  peer.call<PeerRead>('rs_read', { path: p, ...(version !== undefined ? { version } : {}) });
const sparkRead = (p: string, version?: number): Promise<PeerRead> =>
  peer.call<PeerRead>('spark_read', { path: p, ...(version !== undefined ? { version } : {}) });
const spark = (statements: string[]): Promise<unknown> => peer.call('spark_sql', { statements });

/** Rows with `extra` columns set to null where missing (schema evolution). */
function withColumns(rows: Rows, cols: string[]): Rows {
  return rows.map((r) => Object.fromEntries(cols.map((c) => [c, r[c] ?? null])));
}

describe('tables written by delta-rs are read by Lakebox', () => {
  it('partitioned, after DELETE/UPDATE/MERGE/OPTIMIZE, checkpointed, schema evolved; with time travel', async () => {
    const t = path.join(dir, 'rs_mixed');
    const schema = MIXED_SCHEMA;
    const call = (op: string, args: Record<string, unknown>) =>
      peer.call<{ version: number }>(op, { path: t, ...args });

    // The same operations applied to a model of the table, so every version has a known content.
    const versions: Rows[] = [];
    let model = mixedRows(0, 30);
    await call('rs_write', { rows: model, schema, mode: 'append', partition_by: ['region'] });
    versions.push(model);
    model = [...model, ...mixedRows(30, 60)];
    await call('rs_write', { rows: mixedRows(30, 60), schema, mode: 'append' });
    versions.push(model);
    model = model.filter((r) => (r.id as number) % 4 !== 0);
    await call('rs_delete', { predicate: 'id % 4 = 0' });
    versions.push(model);
    model = model.map((r) => ((r.qty as number) > 80 ? { ...r, note: 'upd' } : r));
    await call('rs_update', { updates: { note: "'upd'" }, predicate: 'qty > 80' });
    versions.push(model);
    const src: Rows = mixedRows(55, 70).map((r) => ({ ...r, amount: -1.5 }));
    const srcIds = new Set(src.map((r) => r.id));
    model = [...model.filter((r) => !srcIds.has(r.id)), ...src];
    await call('rs_merge', { rows: src, schema, predicate: 't.id = s.id' });
    versions.push(model);
    model = [...model, ...mixedRows(70, 75)];
    await call('rs_write', { rows: mixedRows(70, 75), schema, mode: 'append' });
    versions.push(model);
    // Compaction rewrites the files (same rows) in a new version; then a checkpoint at it.
    expect((await call('rs_optimize', {})).version).toBe(versions.length);
    versions.push(model);
    await call('rs_checkpoint', {});
    const evolved: [string, string][] = [...schema, ['extra', 'string']];
    const extraRows = mixedRows(75, 80).map((r) => ({ ...r, extra: `e${String(r.id)}` }));
    await call('rs_write', { rows: extraRows, schema: evolved, mode: 'append', schema_mode: 'merge' });
    model = [...withColumns(model, [...schema.map(([n]) => n), 'extra']), ...extraRows];
    versions.push(model);

    const latest = await lakebox(t);
    expect(latest.snap.version).toBe(versions.length - 1);
    expect(latest.snap.partitionColumns).toEqual(['region']);
    expect(latest.snap.segment.checkpoint?.version).toBe(6);
    expect(latest.set).toEqual(rowSet(model));
    // delta-rs agrees with the model too (the model is not just our own reading).
    expect(rowSet((await rsRead(t)).rows)).toEqual(rowSet(model));
    for (const v of [0, 2, 3, 4, 6]) {
      expect((await lakebox(t, { version: v })).set, `version ${v}`).toEqual(rowSet(versions[v]));
    }
  });
});

describe('tables written by Spark (delta-spark) are read by Lakebox', () => {
  const p = (name: string): string => path.join(dir, name);
  const tbl = (name: string): string => `delta.\`${p(name)}\``;

  beforeAll(async () => {
    const ckptInserts = Array.from({ length: 5 }, (_, k) => `INSERT INTO ${tbl('sp_ckpt')} VALUES (${k}, 'g${k % 3}')`);
    const v2Inserts = Array.from({ length: 3 }, (_, k) => `INSERT INTO ${tbl('sp_v2ckpt')} VALUES (${k}, ${k * 10})`);
    // All Spark writing in one request: one JVM, one batch.
    await spark([
      // Deletion vectors: DELETE and UPDATE mark rows deleted instead of rewriting files.
      `CREATE TABLE ${tbl('sp_dv')} (id BIGINT, part STRING, v DOUBLE, s STRING) USING delta PARTITIONED BY (part)
         TBLPROPERTIES ('delta.enableDeletionVectors' = 'true')`,
      `INSERT INTO ${tbl('sp_dv')} SELECT id, IF(id % 2 = 0, 'even', 'odd'), id * 0.5, concat('s', id) FROM range(0, 200)`,
      `DELETE FROM ${tbl('sp_dv')} WHERE id % 10 = 3`,
      `UPDATE ${tbl('sp_dv')} SET s = 'updated' WHERE id % 10 = 4`,
      // Column mapping by name: rename, drop, and re-add a column under a dropped name.
      `CREATE TABLE ${tbl('sp_cm_name')} (id BIGINT, first_name STRING, age INT, city STRING) USING delta
         PARTITIONED BY (city) TBLPROPERTIES ('delta.columnMapping.mode' = 'name')`,
      `INSERT INTO ${tbl('sp_cm_name')} VALUES (1, 'ann', 30, 'oslo'), (2, 'bob', 40, 'rome'), (3, 'cy', 50, 'oslo')`,
      `ALTER TABLE ${tbl('sp_cm_name')} RENAME COLUMN first_name TO name`,
      `ALTER TABLE ${tbl('sp_cm_name')} DROP COLUMN age`,
      `ALTER TABLE ${tbl('sp_cm_name')} ADD COLUMNS (age STRING)`,
      `INSERT INTO ${tbl('sp_cm_name')} (id, name, city, age) VALUES (4, 'dee', 'rome', 'forty')`,
      // Column mapping by id.
      `CREATE TABLE ${tbl('sp_cm_id')} (id BIGINT, a STRING, b DOUBLE) USING delta
         TBLPROPERTIES ('delta.columnMapping.mode' = 'id')`,
      `INSERT INTO ${tbl('sp_cm_id')} VALUES (1, 'x', 1.5), (2, 'y', 2.5)`,
      `ALTER TABLE ${tbl('sp_cm_id')} RENAME COLUMN a TO a2`,
      `INSERT INTO ${tbl('sp_cm_id')} (id, a2, b) VALUES (3, 'z', 3.5)`,
      // Classic checkpoints (every 3 commits, to keep the batch short: versions 3 and 6).
      `CREATE TABLE ${tbl('sp_ckpt')} (id BIGINT, g STRING) USING delta TBLPROPERTIES ('delta.checkpointInterval' = '3')`,
      ...ckptInserts,
      `DELETE FROM ${tbl('sp_ckpt')} WHERE id = 2`,
      // V2 checkpoints (at version 2).
      `CREATE TABLE ${tbl('sp_v2ckpt')} (id BIGINT, x INT) USING delta
         TBLPROPERTIES ('delta.checkpointPolicy' = 'v2', 'delta.checkpointInterval' = '2')`,
      ...v2Inserts,
      // Partition values that need escaping, NULL partitions, typed partition columns.
      `CREATE TABLE ${tbl('sp_parts')} (id INT, p_str STRING, p_date DATE, p_ts TIMESTAMP, p_int INT) USING delta
         PARTITIONED BY (p_str, p_date, p_ts, p_int)`,
      `INSERT INTO ${tbl('sp_parts')} VALUES
         (1, 'a b', DATE'2024-01-02', TIMESTAMP'2024-01-02 03:04:05', 1),
         (2, 'x=y/z%25', DATE'1999-12-31', TIMESTAMP'1999-12-31 23:59:59.123', NULL),
         (3, NULL, NULL, NULL, 3),
         (4, 'ünïcödé', DATE'2024-02-29', TIMESTAMP'2024-02-29 12:00:00', -7)`,
      // Nested and less common types.
      `CREATE TABLE ${tbl('sp_types')} (id INT, arr ARRAY<INT>, st STRUCT<a: INT, b: STRING>, m MAP<STRING, INT>,
         dec DECIMAL(12,3), bin BINARY, f FLOAT, sh SMALLINT, tsn TIMESTAMP_NTZ) USING delta`,
      `INSERT INTO ${tbl('sp_types')} VALUES
         (1, array(1, 2, 3), named_struct('a', 1, 'b', 'x'), map('k1', 1, 'k2', 2), 123.456, X'CAFE', 1.5, 7,
          TIMESTAMP_NTZ'2024-05-06 07:08:09.123'),
         (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
         (3, array(), named_struct('a', NULL, 'b', NULL), map(), -0.5, X'', -2.25, -1, TIMESTAMP_NTZ'1970-01-01 00:00:00')`,
    ]);
  });

  async function sameAsSpark(name: string) {
    const ours = await lakebox(p(name));
    const theirs = await sparkRead(p(name));
    expect(ours.set).toEqual(rowSet(theirs.rows));
    expect(ours.snap.schema.fields.map((f) => f.name)).toEqual(theirs.columns);
    return ours;
  }

  it('deletion vectors (DELETE and UPDATE)', async () => {
    const ours = await sameAsSpark('sp_dv');
    expect(ours.snap.activeFiles().some((a) => a.deletionVector)).toBe(true);
    expect(ours.snap.protocol.readerFeatures).toContain('deletionVectors');
    const expected: Rows = [];
    for (let id = 0; id < 200; id++) {
      if (id % 10 === 3) continue;
      expected.push({ id, part: id % 2 === 0 ? 'even' : 'odd', v: id * 0.5, s: id % 10 === 4 ? 'updated' : `s${id}` });
    }
    expect(ours.set).toEqual(rowSet(expected));

    // Lakebox appends and deletes (rewriting files that carry Spark's deletion vectors); Spark
    // reads the result.
    await writeToTable(
      p('sp_dv'),
      { sql: `SELECT 1000::BIGINT AS id, 'even' AS part, 500.0::DOUBLE AS v, 'lakebox' AS s` },
      { mode: 'append' },
    );
    await deleteFromTable(p('sp_dv'), 'id % 10 = 5');
    const expected2 = [...expected, { id: 1000, part: 'even', v: 500, s: 'lakebox' }].filter(
      (r) => (r.id as number) % 10 !== 5,
    );
    expect((await lakebox(p('sp_dv'))).set).toEqual(rowSet(expected2));
    expect(rowSet((await sparkRead(p('sp_dv'))).rows)).toEqual(rowSet(expected2));
  });

  it('column mapping by name, with renamed, dropped and re-added columns', async () => {
    const ours = await sameAsSpark('sp_cm_name');
    expect(ours.snap.columnMappingMode).toBe('name');
    expect(ours.set).toEqual(
      rowSet([
        { id: 1, name: 'ann', city: 'oslo', age: null },
        { id: 2, name: 'bob', city: 'rome', age: null },
        { id: 3, name: 'cy', city: 'oslo', age: null },
        { id: 4, name: 'dee', city: 'rome', age: 'forty' },
      ]),
    );
    // Lakebox appends to Spark's column-mapped table; Spark reads the row back by logical names.
    await writeToTable(
      p('sp_cm_name'),
      { sql: `SELECT 5::BIGINT AS id, 'eve' AS name, 'oslo' AS city, 'fifty' AS age` },
      { mode: 'append' },
    );
    const back = await sparkRead(p('sp_cm_name'));
    expect(back.rows.find((r) => r.id === 5)).toEqual({ id: 5, name: 'eve', city: 'oslo', age: 'fifty' });
    expect(back.rows).toHaveLength(5);
  });

  it('column mapping by id, with a renamed column', async () => {
    const ours = await sameAsSpark('sp_cm_id');
    expect(ours.snap.columnMappingMode).toBe('id');
    expect(ours.set).toEqual(
      rowSet([
        { id: 1, a2: 'x', b: 1.5 },
        { id: 2, a2: 'y', b: 2.5 },
        { id: 3, a2: 'z', b: 3.5 },
      ]),
    );
  });

  it('classic checkpoints, and time travel before and after them', async () => {
    const ours = await sameAsSpark('sp_ckpt');
    expect(ours.snap.version).toBe(6);
    expect(ours.snap.segment.checkpoint?.version).toBe(6);
    const all = Array.from({ length: 5 }, (_, k) => ({ id: k, g: `g${k % 3}` }));
    expect(ours.set).toEqual(rowSet(all.filter((r) => r.id !== 2)));
    const v2 = await lakebox(p('sp_ckpt'), { version: 2 });
    expect(v2.snap.segment.checkpoint).toBeUndefined();
    expect(v2.set).toEqual(rowSet(all.slice(0, 2)));
    const v4 = await lakebox(p('sp_ckpt'), { version: 4 });
    expect(v4.snap.segment.checkpoint?.version).toBe(3);
    expect(v4.set).toEqual(rowSet(all.slice(0, 4)));
    expect(v4.set).toEqual(rowSet((await sparkRead(p('sp_ckpt'), 4)).rows));
  });

  it('V2 checkpoints', async () => {
    const ours = await sameAsSpark('sp_v2ckpt');
    expect(ours.snap.segment.checkpoint?.kind).toBe('v2');
    expect(ours.snap.segment.checkpoint?.version).toBe(2);
    expect(ours.set).toEqual(rowSet(Array.from({ length: 3 }, (_, k) => ({ id: k, x: k * 10 }))));
  });

  it('partition values with escaping, NULLs, dates and timestamps', async () => {
    const ours = await sameAsSpark('sp_parts');
    expect(ours.snap.partitionColumns).toEqual(['p_str', 'p_date', 'p_ts', 'p_int']);
    expect(ours.rows.find((r) => r.id === 2)).toEqual({
      id: 2,
      p_str: 'x=y/z%25',
      p_date: '1999-12-31',
      p_ts: '1999-12-31T23:59:59.123000Z',
      p_int: null,
    });
  });

  it('nested types, decimals, binary, float, smallint, timestamp_ntz', async () => {
    const ours = await sameAsSpark('sp_types');
    expect(ours.rows.find((r) => r.id === 1)).toEqual({
      id: 1,
      arr: [1, 2, 3],
      st: { a: 1, b: 'x' },
      m: [
        ['k1', 1],
        ['k2', 2],
      ],
      dec: '123.456',
      bin: 'cafe',
      f: 1.5,
      sh: 7,
      tsn: '2024-05-06T07:08:09.123000Z',
    });
  });
});

describe('tables written by Lakebox are read by delta-rs and Spark', () => {
  it('partitioned; DELETE/UPDATE/MERGE/OPTIMIZE, checkpoint, schema evolution, time travel, RESTORE, VACUUM', async () => {
    const t = path.join(dir, 'lb_mixed');
    const schema = MIXED_SCHEMA;
    const versions: Rows[] = [];
    let model = mixedRows(0, 40);
    await writeToTable(t, { sql: valuesSql(schema, model) }, { mode: 'append', partitionBy: ['region'] });
    versions.push(model);
    // Small appends up to and past version 10, where Lakebox writes a checkpoint.
    for (let k = 0; k < 6; k++) {
      const add = mixedRows(40 + k * 5, 45 + k * 5);
      await writeToTable(t, { sql: valuesSql(schema, add) }, { mode: 'append' });
      model = [...model, ...add];
      versions.push(model);
    }
    await deleteFromTable(t, 'id % 4 = 0');
    model = model.filter((r) => (r.id as number) % 4 !== 0);
    versions.push(model);
    await updateTable(t, { note: "'upd'" }, 'qty > 80');
    model = model.map((r) => ((r.qty as number) > 80 ? { ...r, note: 'upd' } : r));
    versions.push(model);
    const src: Rows = mixedRows(60, 80).map((r) => ({ ...r, amount: -1.5 }));
    await mergeIntoTable(t, { sql: valuesSql(schema, src) }, 'target.id = source.id', [
      { when: 'matched', action: 'update', set: '*' },
      { when: 'notMatched', action: 'insert', values: '*' },
    ]);
    const srcIds = new Set(src.map((r) => r.id));
    model = [...model.filter((r) => !srcIds.has(r.id)), ...src];
    versions.push(model);
    // OPTIMIZE compacts the small files (same rows) at version 10, where the checkpoint goes.
    const opt = await optimizeTable(t);
    expect(opt.version).toBe(versions.length);
    expect(opt.metrics.numFilesRemoved).toBeGreaterThan(opt.metrics.numFilesAdded);
    versions.push(model);
    const evolved: [string, string][] = [...schema, ['extra', 'string']];
    const extraRows = mixedRows(80, 85).map((r) => ({ ...r, extra: `e${String(r.id)}` }));
    await writeToTable(t, { sql: valuesSql(evolved, extraRows) }, { mode: 'append', mergeSchema: true });
    model = [
      ...withColumns(
        model,
        evolved.map(([n]) => n),
      ),
      ...extraRows,
    ];
    versions.push(model);

    const ours = await lakebox(t);
    expect(ours.snap.version).toBe(versions.length - 1);
    expect(ours.set).toEqual(rowSet(model));
    expect(ours.snap.segment.checkpoint?.version).toBe(10);
    const rs = await rsRead(t);
    expect(rs.version).toBe(versions.length - 1);
    expect(rowSet(rs.rows)).toEqual(rowSet(model));
    const sp = await sparkRead(t);
    expect(rowSet(sp.rows)).toEqual(rowSet(model));
    expect(sp.columns).toEqual(evolved.map(([n]) => n));
    for (const v of [0, 5, 8]) {
      expect(rowSet((await rsRead(t, v)).rows), `delta-rs version ${v}`).toEqual(rowSet(versions[v]));
      expect(rowSet((await sparkRead(t, v)).rows), `Spark version ${v}`).toEqual(rowSet(versions[v]));
    }
    // Spark keeps writing to the table Lakebox created, and Lakebox reads Spark's commit.
    await spark([`INSERT INTO delta.\`${t}\` (id, region, note) VALUES (5000, 'amer', 'from spark')`]);
    const after = await lakebox(t);
    expect(after.snap.version).toBe(versions.length);
    expect(after.rows.find((r) => r.id === 5000)).toMatchObject({ region: 'amer', note: 'from spark', qty: null });

    // RESTORE to the MERGE result (rows and schema), then VACUUM the files no version needs.
    const restored = await restoreTable(t, { version: 9 });
    expect(restored.version).toBe(versions.length + 1);
    const vac = await vacuumTable(t, { retentionHours: 0, enforceRetentionDuration: false });
    expect(vac.numDeletedFiles).toBeGreaterThan(0);
    const final = await lakebox(t);
    expect(final.set).toEqual(rowSet(versions[9]));
    expect(final.snap.schema.fields.map((f) => f.name)).toEqual(schema.map(([n]) => n));
    expect(rowSet((await rsRead(t)).rows)).toEqual(rowSet(versions[9]));
    const spFinal = await sparkRead(t);
    expect(rowSet(spFinal.rows)).toEqual(rowSet(versions[9]));
    expect(spFinal.columns).toEqual(schema.map(([n]) => n));
  });

  it('column mapping (name) written by Lakebox reads the same in both peers', async () => {
    const t = path.join(dir, 'lb_cm');
    const schema: [string, string][] = [
      ['id', 'long'],
      ['my col', 'string'],
      ['part', 'string'],
    ];
    const rows: Rows = [
      { id: 1, 'my col': 'a', part: 'p1' },
      { id: 2, 'my col': null, part: 'p2' },
      { id: 3, 'my col': 'c', part: 'p1' },
    ];
    await writeToTable(
      t,
      { sql: valuesSql(schema, rows) },
      { mode: 'append', partitionBy: ['part'], configuration: { 'delta.columnMapping.mode': 'name' } },
    );
    const ours = await lakebox(t);
    expect(ours.snap.columnMappingMode).toBe('name');
    expect(rowSet((await rsRead(t)).rows)).toEqual(rowSet(rows));
    expect(rowSet((await sparkRead(t)).rows)).toEqual(rowSet(rows));
  });
});
