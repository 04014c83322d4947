import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { withConnection, sqlString } from '../src/duckdb.js';
import { readCommit } from '../src/log.js';
import { optimizeTable } from '../src/optimize.js';
import { restoreTable } from '../src/restore.js';
import { readRows } from '../src/scan.js';
import { DeltaTable } from '../src/table.js';
import { vacuumTable } from '../src/vacuum.js';
import { writeToTable } from '../src/write.js';
import { deleteFromTable, updateTable } from '../src/dml.js';
import { expectError, tableDir } from './support.js';

const loc = tableDir('lakebox-maint-test-');

async function ids(t: string): Promise<number[]> {
  const snap = await (await DeltaTable.open(t)).snapshot();
  return (await readRows(snap)).map((r) => Number(r.id)).sort((a, b) => a - b);
}

describe('OPTIMIZE', () => {
  it('compacts small files per partition without changing the data', async () => {
    const t = loc('compact');
    for (let i = 0; i < 4; i++) {
      await writeToTable(
        t,
        { sql: `SELECT (${i} * 10 + r)::BIGINT AS id, (r % 2)::INTEGER AS p FROM range(10) t(r)` },
        { partitionBy: ['p'] },
      );
    }
    const before = await (await DeltaTable.open(t)).snapshot();
    expect(before.activeFiles()).toHaveLength(8);
    const r = await optimizeTable(t);
    expect(r.metrics).toMatchObject({ numFilesRemoved: 8, numFilesAdded: 2, partitionsOptimized: 2 });
    const after = await (await DeltaTable.open(t)).snapshot();
    expect(after.activeFiles()).toHaveLength(2);
    expect(await ids(t)).toEqual([...Array(40).keys()]);
    const commit = await readCommit(after.store, r.version);
    expect(commit.find((a) => a.commitInfo)!.commitInfo!.operation).toBe('OPTIMIZE');
    expect(commit.filter((a) => a.add).every((a) => a.add!.dataChange === false)).toBe(true);
    expect(commit.filter((a) => a.remove).every((a) => a.remove!.dataChange === false)).toBe(true);
    // nothing left to compact: no commit
    expect((await optimizeTable(t)).version).toBe(r.version);
  });

  it('restricts compaction to partitions matching WHERE and rejects data columns there', async () => {
    const t = loc('compact-where');
    for (let i = 0; i < 3; i++)
      await writeToTable(
        t,
        { sql: `SELECT r::BIGINT AS id, (r % 2)::INTEGER AS p FROM range(4) t(r)` },
        { partitionBy: ['p'] },
      );
    const r = await optimizeTable(t, { where: 'p = 1' });
    expect(r.metrics).toMatchObject({ numFilesRemoved: 3, numFilesAdded: 1 });
    expect((await (await DeltaTable.open(t)).snapshot()).activeFiles()).toHaveLength(4);
    await expectError(optimizeTable(t, { where: 'id > 1' }), 'DELTA_NON_PARTITION_COLUMN_REFERENCE');
    await expectError(optimizeTable(t, { zOrderBy: ['p'] }), 'DELTA_ZORDERING_ON_PARTITION_COLUMN');
  });

  it('ZORDER BY lays rows out along the Z curve', async () => {
    const t = loc('zorder');
    // 16 grid points in 4 files, shuffled
    const pts: [number, number][] = [];
    for (let x = 0; x < 4; x++) for (let y = 0; y < 4; y++) pts.push([x, y]);
    const shuffled = [...pts].sort((a, b) => ((a[0] * 7 + a[1] * 13) % 16) - ((b[0] * 7 + b[1] * 13) % 16));
    for (let i = 0; i < 4; i++) {
      await writeToTable(t, { rows: shuffled.slice(i * 4, i * 4 + 4).map(([x, y]) => ({ x, y, id: x * 4 + y })) });
    }
    const r = await optimizeTable(t, { zOrderBy: ['x', 'y'] });
    expect(r.metrics.numFilesAdded).toBe(1);
    const snap = await (await DeltaTable.open(t)).snapshot();
    const file = path.join(t, decodeURIComponent(snap.activeFiles()[0]!.path));
    const order = await withConnection(async (c) =>
      (await c.runAndReadAll(`SELECT x, y FROM read_parquet(${sqlString(file)})`))
        .getRowObjectsJson()
        .map((o) => [Number(o.x), Number(o.y)]),
    );
    const z = ([x, y]: [number, number]): number => ((x & 2) << 2) | ((y & 2) << 1) | ((x & 1) << 1) | (y & 1);
    expect(order).toEqual([...pts].sort((a, b) => z(a) - z(b)));
    expect(await ids(t)).toEqual([...Array(16).keys()]);
  });
});

describe('RESTORE', () => {
  it('restores an earlier version, by version and by timestamp', async () => {
    const t = loc('restore');
    await writeToTable(t, { sql: `SELECT r::BIGINT AS id FROM range(3) t(r)` }); // v0
    await writeToTable(t, { sql: `SELECT (r + 3)::BIGINT AS id FROM range(3) t(r)` }); // v1
    await deleteFromTable(t, 'id < 2'); // v2
    const r = await restoreTable(t, { version: 1 });
    expect(r.version).toBe(3);
    expect(r.metrics).toMatchObject({ numRestoredFiles: 1, numRemovedFiles: 1, numOfFilesAfterRestore: 2 });
    expect(await ids(t)).toEqual([0, 1, 2, 3, 4, 5]);
    const table = await DeltaTable.open(t);
    const v0 = await table.snapshot({ version: 0 });
    await restoreTable(t, { timestamp: v0.timestamp });
    expect(await ids(t)).toEqual([0, 1, 2]);
    const commit = await readCommit(table.store, 4);
    expect(commit.find((a) => a.commitInfo)!.commitInfo!.operation).toBe('RESTORE');
    await expectError(restoreTable(t, { version: 99 }), 'DELTA_CANNOT_RESTORE_TABLE_VERSION');
  });
});

describe('VACUUM', () => {
  it('deletes only unreferenced files older than the retention, and refuses short retention', async () => {
    const t = loc('vacuum');
    await writeToTable(
      t,
      { sql: `SELECT r::BIGINT AS id, (r % 2)::INTEGER AS p FROM range(6) t(r)` },
      { partitionBy: ['p'] },
    );
    await writeToTable(t, { sql: `SELECT 100::BIGINT AS id, 0 AS p` }, { mode: 'overwrite', replaceWhere: 'p = 0' });
    const table = await DeltaTable.open(t);
    const snap = await table.snapshot();
    const live = snap.activeFiles().map((a) => decodeURIComponent(a.path));
    const stray = path.join(t, 'p=1', 'stray.parquet');
    await fs.writeFile(stray, 'x');
    await fs.writeFile(path.join(t, '_hidden.txt'), 'keep me');

    // within the retention period nothing may go
    expect((await vacuumTable(t, { dryRun: true })).files).toEqual([]);
    await expectError(vacuumTable(t, { retentionHours: 1 }), 'DELTA_VACUUM_RETENTION_PERIOD_TOO_SHORT');

    // eight days later the removed file and the stray file are past the retention
    const later = Date.now() + 8 * 24 * 3600 * 1000;
    const dry = await vacuumTable(t, { dryRun: true, now: later });
    expect(dry.files).toHaveLength(2);
    expect(dry.files).toContain('p=1/stray.parquet');
    for (const f of dry.files) expect(live).not.toContain(f);
    const done = await vacuumTable(t, { now: later });
    expect(done.numDeletedFiles).toBe(2);
    await expect(fs.access(stray)).rejects.toThrow();
    await fs.access(path.join(t, '_hidden.txt'));
    for (const f of live) await fs.access(path.join(t, f));
    expect(await ids(t)).toEqual([1, 3, 5, 100]);
    const v = await table.version();
    const ops = [await readCommit(table.store, v - 1), await readCommit(table.store, v)].map(
      (c) => c.find((a) => a.commitInfo)!.commitInfo!.operation,
    );
    expect(ops).toEqual(['VACUUM START', 'VACUUM END']);
    // with the check disabled a zero retention is allowed (nothing unreferenced is left)
    expect((await vacuumTable(t, { retentionHours: 0, enforceRetentionDuration: false, dryRun: true })).files).toEqual(
      [],
    );
    // restoring to the first version now fails: its files are gone
    await expectError(restoreTable(t, { version: 0 }), 'DELTA_RESTORE_MISSED_DATA_FILES');
  });

  it('also removes expired change data files', async () => {
    const t = loc('vacuum-cdf');
    await writeToTable(
      t,
      { sql: `SELECT r::BIGINT AS id, 'a' AS v FROM range(4) t(r)` },
      { configuration: { 'delta.enableChangeDataFeed': 'true' } },
    );
    await updateTable(t, { v: "'b'" }, 'id = 1');
    const later = Date.now() + 8 * 24 * 3600 * 1000;
    const dry = await vacuumTable(t, { dryRun: true, now: later });
    expect(dry.files.filter((f) => f.startsWith('_change_data/'))).toHaveLength(1);
    expect(dry.files.filter((f) => !f.startsWith('_change_data/'))).toHaveLength(1);
    expect((await vacuumTable(t, { now: later })).numDeletedFiles).toBe(2);
    expect(await ids(t)).toEqual([0, 1, 2, 3]);
  });
});
