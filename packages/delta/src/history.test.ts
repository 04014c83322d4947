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
