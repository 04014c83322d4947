import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Action } from './actions.js';
import { readHistory } from './history.js';
import { commitPath } from './log.js';
import { LocalObjectStore } from './storage-local.js';

let dir: string;
let store: LocalObjectStore;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lakebox-hist-'));
  store = new LocalObjectStore(dir);
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});
const put = (v: number, a: Action[]): Promise<void> =>
  store.put(commitPath(v), new TextEncoder().encode(a.map((x) => JSON.stringify(x)).join('\n')));

describe('readHistory', () => {
  it('lists commits newest first from commitInfo, honouring limit and in-commit timestamps', async () => {
    await put(0, [
      {
        commitInfo: {
          timestamp: 1000,
          operation: 'CREATE TABLE',
          userName: 'ann',
          isBlindAppend: true,
          operationParameters: { mode: 'ErrorIfExists' },
        },
      },
    ]);
    await put(1, [
      {
        commitInfo: {
          timestamp: 2000,
          inCommitTimestamp: 1999,
          operation: 'WRITE',
          readVersion: 0,
          operationMetrics: { numFiles: '2' },
        },
      },
    ]);
    await put(2, [{ add: { path: 'x', partitionValues: {}, size: 1, modificationTime: 1, dataChange: true } }]); // no commitInfo
    const h = await readHistory(store);
    expect(h.map((e) => [e.version, e.operation, e.timestamp])).toEqual([
      [2, undefined, expect.any(Number)],
      [1, 'WRITE', 1999],
      [0, 'CREATE TABLE', 1000],
    ]);
    expect(h[1]).toMatchObject({ readVersion: 0, operationMetrics: { numFiles: '2' } });
    expect(h[2]).toMatchObject({
      userName: 'ann',
      isBlindAppend: true,
      operationParameters: { mode: 'ErrorIfExists' },
    });
    expect((await readHistory(store, { limit: 2 })).map((e) => e.version)).toEqual([2, 1]);
    await expect(readHistory(new LocalObjectStore(path.join(dir, 'none')))).rejects.toMatchObject({
      code: 'DELTA_MISSING_DELTA_TABLE',
    });
  });
});

describe('commit user and isManaged', () => {
  it('every write path records userId/userName in commitInfo; CREATE TABLE records isManaged', async () => {
    const { DeltaTable } = await import('./table.js');
    const { writeToTable } = await import('./write.js');
    const { deleteFromTable, updateTable, mergeIntoTable } = await import('./dml.js');
    const { optimizeTable } = await import('./optimize.js');
    const { restoreTable } = await import('./restore.js');
    const { vacuumTable } = await import('./vacuum.js');
    const u = { userId: '42', userName: 'ann@example.com' };
    const schema = {
      type: 'struct' as const,
      fields: [{ name: 'id', type: 'long' as const, nullable: true, metadata: {} }],
    };
    await DeltaTable.create(store, { schema, isManaged: true, ...u });
    await writeToTable(store, { sql: 'SELECT 1::BIGINT AS id UNION ALL SELECT 2' }, { mode: 'append', ...u });
    await updateTable(store, { id: 'id + 10' }, 'id = 1', u);
    await deleteFromTable(store, 'id = 2', u);
    await mergeIntoTable(
      store,
      { sql: 'SELECT 5::BIGINT AS id' },
      'target.id = source.id',
      [{ when: 'notMatched', action: 'insert', values: '*' }],
      u,
    );
    await optimizeTable(store, u);
    await restoreTable(store, { version: 1 }, u);
    await vacuumTable(store, { retentionHours: 0, enforceRetentionDuration: false, ...u });
    await writeToTable(store, { sql: 'SELECT 7::BIGINT AS id' }, { mode: 'append' });
    const h = await readHistory(store);
    expect(h[0]!.userName).toBeUndefined();
    const named = h.slice(1).reverse();
    expect(named.map((e) => e.operation)).toEqual(
      expect.arrayContaining([
        'CREATE TABLE',
        'WRITE',
        'UPDATE',
        'DELETE',
        'MERGE',
        'RESTORE',
        'VACUUM START',
        'VACUUM END',
      ]),
    );
    for (const e of named) expect([e.operation, e.userName]).toEqual([e.operation, 'ann@example.com']);
    expect(named[0]!.operationParameters.isManaged).toBe('true');
    const raw = new TextDecoder().decode(await store.get(commitPath(0)));
    expect(JSON.parse(raw.split('\n')[0]!).commitInfo).toMatchObject({ userId: '42', userName: 'ann@example.com' });
  });

  it('CREATE TABLE defaults isManaged to false and omits the user fields', async () => {
    const { DeltaTable } = await import('./table.js');
    await DeltaTable.create(store, {
      schema: { type: 'struct', fields: [{ name: 'id', type: 'long', nullable: true, metadata: {} }] },
    });
    const [e] = await readHistory(store);
    expect(e!.operationParameters.isManaged).toBe('false');
    const raw = new TextDecoder().decode(await store.get(commitPath(0)));
    expect(JSON.parse(raw.split('\n')[0]!).commitInfo).not.toHaveProperty('userName');
  });
});
