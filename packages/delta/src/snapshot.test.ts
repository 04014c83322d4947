import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isLakeboxError } from '@lakebox/common';
import type { Action } from './actions.js';
import { commitPath } from './log.js';
import { canonicalPath, latestVersion, loadSnapshot, tableStore } from './snapshot.js';
import { LocalObjectStore } from './storage-local.js';

const schema = JSON.stringify({ type: 'struct', fields: [{ name: 'id', type: 'long', nullable: true, metadata: {} }] });
const meta = (config: Record<string, string> = {}): Action => ({
  metaData: {
    id: 't',
    format: { provider: 'parquet', options: {} },
    schemaString: schema,
    partitionColumns: [],
    configuration: config,
  },
});
const proto: Action = { protocol: { minReaderVersion: 1, minWriterVersion: 2 } };
const add = (p: string): Action => ({
  add: { path: p, partitionValues: {}, size: 10, modificationTime: 1, dataChange: true },
});
const remove = (p: string): Action => ({ remove: { path: p, deletionTimestamp: 5, dataChange: true } });
const info = (ts: number): Action => ({ commitInfo: { timestamp: ts, operation: 'WRITE' } });

let dir: string;
let store: LocalObjectStore;
async function commit(v: number, actions: Action[]): Promise<void> {
  await store.put(commitPath(v), new TextEncoder().encode(actions.map((a) => JSON.stringify(a)).join('\n') + '\n'));
}

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lakebox-snap-'));
  store = new LocalObjectStore(dir);
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('loadSnapshot', () => {
  it('replays adds, removes, txn, domain metadata and metadata changes', async () => {
    await commit(0, [info(1000), proto, meta(), add('a.parquet'), add('b.parquet')]);
    await commit(1, [info(2000), remove('a.parquet'), add('c%20d.parquet'), { txn: { appId: 'app', version: 7 } }]);
    await commit(2, [
      info(3000),
      meta({ 'delta.appendOnly': 'true' }),
      { domainMetadata: { domain: 'd1', configuration: '{}', removed: false } },
      { domainMetadata: { domain: 'd2', configuration: '{}', removed: false } },
    ]);
    await commit(3, [info(4000), { domainMetadata: { domain: 'd2', configuration: '{}', removed: true } }]);
    const s = await loadSnapshot(store);
    expect(s.version).toBe(3);
    expect(s.timestamp).toBe(4000);
    expect(s.activeFiles().map((f) => f.path)).toEqual(['b.parquet', 'c%20d.parquet']);
    expect(s.tombstones().map((f) => f.path)).toEqual(['a.parquet']);
    expect(s.appTransactionVersion('app')).toBe(7);
    expect(s.appTransactionVersion('other')).toBeUndefined();
    expect([...s.domainMetadata().keys()]).toEqual(['d1']);
    expect(s.tableProperties()).toEqual({ 'delta.appendOnly': 'true' });
    expect(s.schema.fields[0]!.name).toBe('id');
    expect(s.columnMappingMode).toBe('none');
    expect(await latestVersion(store)).toBe(3);

    const s1 = await loadSnapshot(store, { version: 1 });
    expect(s1.activeFiles().map((f) => f.path)).toEqual(['b.parquet', 'c%20d.parquet']);
    expect(s1.tableProperties()).toEqual({});
    expect((await loadSnapshot(store, { timestamp: 2500 })).version).toBe(1);
    expect((await loadSnapshot(store, { timestamp: new Date(3000) })).version).toBe(2);
    expect((await loadSnapshot(store, { timestamp: '1970-01-01 00:00:01' })).version).toBe(0);
  });

  it('re-adding a removed file makes it live again; paths are compared canonically', async () => {
    await commit(0, [info(1), proto, meta(), add('/x/with%20space'), add('foo')]);
    await commit(1, [info(2), remove('file:///x/with%20space'), remove('foo')]);
    await commit(2, [info(3), add('foo')]);
    const s = await loadSnapshot(store);
    expect(s.activeFiles().map((f) => f.path)).toEqual(['foo']);
    expect(canonicalPath('file:/a/b%20c')).toBe('/a/b c');
    expect(canonicalPath('file:///a/b')).toBe('/a/b');
  });

  it('names time-travel errors as Spark does', async () => {
    await commit(0, [info(1000), proto, meta()]);
    await commit(1, [info(2000), add('a')]);
    const code = async (p: Promise<unknown>): Promise<string | undefined> => {
      try {
        await p;
        return undefined;
      } catch (e) {
        return isLakeboxError(e) ? e.code : 'not a LakeboxError';
      }
    };
    expect(await code(loadSnapshot(store, { version: 5 }))).toBe('DELTA_VERSION_NOT_FOUND');
    expect(await code(loadSnapshot(store, { version: -1 }))).toBe('DELTA_VERSION_NOT_FOUND');
    expect(await code(loadSnapshot(store, { timestamp: 5000 }))).toBe('DELTA_TIMESTAMP_GREATER_THAN_COMMIT');
    expect(await code(loadSnapshot(store, { timestamp: 10 }))).toBe('DELTA_TIMESTAMP_EARLIER_THAN_COMMIT_RETENTION');
    expect(await code(loadSnapshot(store, { timestamp: 'yesterday' }))).toBe('DELTA_TIMESTAMP_INVALID');
    expect(await code(loadSnapshot(tableStore(path.join(dir, 'nope'))))).toBe('DELTA_MISSING_DELTA_TABLE');
    expect(await latestVersion(tableStore(path.join(dir, 'nope')))).toBeUndefined();
  });

  it('refuses unknown reader features by name', async () => {
    await commit(0, [
      info(1),
      {
        protocol: {
          minReaderVersion: 3,
          minWriterVersion: 7,
          readerFeatures: ['deletionVectors', 'fancyNewThing'],
          writerFeatures: [],
        },
      },
      meta(),
    ]);
    await expect(loadSnapshot(store)).rejects.toThrow(/fancyNewThing/);
    await expect(loadSnapshot(store)).rejects.toMatchObject({ code: 'DELTA_UNSUPPORTED_FEATURES_FOR_READ' });
  });
});
