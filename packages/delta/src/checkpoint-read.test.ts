import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Action } from './actions.js';
import { sqlString, withConnection } from './duckdb.js';
import { LOG_DIR, commitPath, multipartCheckpointPath, padVersion } from './log.js';
import { loadSnapshot } from './snapshot.js';
import { LocalObjectStore } from './storage-local.js';

const ACTION_TYPES = {
  protocol:
    'STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER, readerFeatures VARCHAR[], writerFeatures VARCHAR[])',
  metaData:
    'STRUCT(id VARCHAR, "name" VARCHAR, description VARCHAR, format STRUCT(provider VARCHAR, "options" MAP(VARCHAR, VARCHAR)), schemaString VARCHAR, partitionColumns VARCHAR[], "configuration" MAP(VARCHAR, VARCHAR), createdTime BIGINT)',
  txn: 'STRUCT(appId VARCHAR, "version" BIGINT, lastUpdated BIGINT)',
  add: 'STRUCT(path VARCHAR, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT, modificationTime BIGINT, dataChange BOOLEAN, stats VARCHAR, tags MAP(VARCHAR, VARCHAR))',
  remove: 'STRUCT(path VARCHAR, deletionTimestamp BIGINT, dataChange BOOLEAN)',
  domainMetadata: 'STRUCT("domain" VARCHAR, "configuration" VARCHAR, removed BOOLEAN)',
  checkpointMetadata: 'STRUCT("version" BIGINT, tags MAP(VARCHAR, VARCHAR))',
  sidecar: 'STRUCT(path VARCHAR, sizeInBytes BIGINT, modificationTime BIGINT, tags MAP(VARCHAR, VARCHAR))',
};

let dir: string;
let store: LocalObjectStore;

/** Write actions as a Parquet checkpoint (one action per row, Delta's checkpoint schema). */
async function writeCheckpointParquet(
  rel: string,
  actions: Action[],
  columns: (keyof typeof ACTION_TYPES)[],
): Promise<void> {
  const json = path.join(dir, `.tmp-${Math.random().toString(36).slice(2)}.json`);
  await fs.writeFile(json, actions.map((a) => JSON.stringify(a)).join('\n') + '\n');
  const cols = `{${columns.map((c) => `${sqlString(c)}: ${sqlString(ACTION_TYPES[c])}`).join(', ')}}`;
  const out = path.join(dir, rel);
  await fs.mkdir(path.dirname(out), { recursive: true });
  await withConnection((c) =>
    c.run(
      `COPY (SELECT * FROM read_json(${sqlString(json)}, columns = ${cols}, format = 'newline_delimited')) TO ${sqlString(out)} (FORMAT parquet)`,
    ),
  );
  await fs.rm(json);
}
async function writeCommit(v: number, actions: Action[]): Promise<void> {
  await store.put(commitPath(v), new TextEncoder().encode(actions.map((a) => JSON.stringify(a)).join('\n')));
}

const schema = JSON.stringify({ type: 'struct', fields: [{ name: 'id', type: 'long', nullable: true, metadata: {} }] });
const protocol: Action = { protocol: { minReaderVersion: 1, minWriterVersion: 2 } };
const v2protocol: Action = {
  protocol: {
    minReaderVersion: 3,
    minWriterVersion: 7,
    readerFeatures: ['v2Checkpoint'],
    writerFeatures: ['v2Checkpoint'],
  },
};
const meta: Action = {
  metaData: {
    id: 'tbl',
    format: { provider: 'parquet', options: {} },
    schemaString: schema,
    partitionColumns: [],
    configuration: { k: 'v' },
    createdTime: 1,
  },
};
const add = (p: string): Action => ({
  add: { path: p, partitionValues: {}, size: 1, modificationTime: 1, dataChange: true, stats: '{"numRecords":1}' },
});

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lakebox-cp-'));
  store = new LocalObjectStore(dir);
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('checkpoints', () => {
  it('classic checkpoint + later commits, with commits before it cleaned up', async () => {
    await writeCheckpointParquet(
      `${LOG_DIR}${padVersion(5)}.checkpoint.parquet`,
      [
        protocol,
        meta,
        add('a'),
        add('b'),
        { remove: { path: 'old', deletionTimestamp: 3, dataChange: true } },
        { txn: { appId: 'app', version: 4 } },
      ],
      ['protocol', 'metaData', 'add', 'remove', 'txn'],
    );
    await store.put(`${LOG_DIR}_last_checkpoint`, new TextEncoder().encode(JSON.stringify({ version: 5, size: 6 })));
    await writeCommit(5, [{ commitInfo: { timestamp: 5000 } }]);
    await writeCommit(6, [{ commitInfo: { timestamp: 6000 } }, add('c'), { remove: { path: 'a', dataChange: true } }]);
    const s = await loadSnapshot(store);
    expect(s.version).toBe(6);
    expect(s.segment.checkpoint?.version).toBe(5);
    expect(
      s
        .activeFiles()
        .map((f) => f.path)
        .sort(),
    ).toEqual(['b', 'c']);
    expect(
      s
        .tombstones()
        .map((f) => f.path)
        .sort(),
    ).toEqual(['a', 'old']);
    expect(s.appTransactionVersion('app')).toBe(4);
    expect(s.tableProperties()).toEqual({ k: 'v' });
    expect(s.activeFiles().find((f) => f.path === 'b')).toEqual({
      path: 'b',
      partitionValues: {},
      size: 1,
      modificationTime: 1,
      dataChange: true,
      stats: '{"numRecords":1}',
    });
    const at5 = await loadSnapshot(store, { version: 5 });
    expect(at5.timestamp).toBe(5000);
    expect(
      at5
        .activeFiles()
        .map((f) => f.path)
        .sort(),
    ).toEqual(['a', 'b']);
    await expect(loadSnapshot(store, { version: 4 })).rejects.toMatchObject({ code: 'DELTA_VERSION_NOT_FOUND' });
    expect((await loadSnapshot(store, { timestamp: 5500 })).version).toBe(5);
    expect((await loadSnapshot(store, { timestamp: 6000 })).version).toBe(6);
    await expect(loadSnapshot(store, { timestamp: 4000 })).rejects.toMatchObject({
      code: 'DELTA_TIMESTAMP_EARLIER_THAN_COMMIT_RETENTION',
    });
  });

  it('multi-part checkpoint', async () => {
    const cols: (keyof typeof ACTION_TYPES)[] = ['protocol', 'metaData', 'add'];
    await writeCheckpointParquet(multipartCheckpointPath(2, 1, 2), [protocol, meta, add('a')], cols);
    await writeCheckpointParquet(multipartCheckpointPath(2, 2, 2), [add('b'), add('c')], cols);
    await store.put(
      `${LOG_DIR}_last_checkpoint`,
      new TextEncoder().encode(JSON.stringify({ version: 2, size: 5, parts: 2 })),
    );
    const s = await loadSnapshot(store);
    expect(s.version).toBe(2);
    expect(s.segment.checkpoint?.kind).toBe('multipart');
    expect(
      s
        .activeFiles()
        .map((f) => f.path)
        .sort(),
    ).toEqual(['a', 'b', 'c']);
  });

  it('V2 checkpoint in JSON with Parquet sidecars', async () => {
    await writeCheckpointParquet(`${LOG_DIR}_sidecars/s1.parquet`, [add('a'), add('b')], ['add', 'remove']);
    await writeCheckpointParquet(
      `${LOG_DIR}_sidecars/s2.parquet`,
      [add('c'), { remove: { path: 'gone', deletionTimestamp: 1, dataChange: true } }],
      ['add', 'remove'],
    );
    const top: Action[] = [
      { checkpointMetadata: { version: 3 } },
      v2protocol,
      meta,
      { domainMetadata: { domain: 'd', configuration: '{"x":1}', removed: false } },
      { sidecar: { path: 's1.parquet', sizeInBytes: 1, modificationTime: 1 } },
      { sidecar: { path: 's2.parquet', sizeInBytes: 1, modificationTime: 1 } },
    ];
    await store.put(
      `${LOG_DIR}${padVersion(3)}.checkpoint.3a0d65cd-4056-49b8-937b-95f9e3ee90e5.json`,
      new TextEncoder().encode(top.map((a) => JSON.stringify(a)).join('\n')),
    );
    await writeCommit(4, [{ commitInfo: { timestamp: 4 } }, add('d')]);
    const s = await loadSnapshot(store);
    expect(s.version).toBe(4);
    expect(s.segment.checkpoint?.kind).toBe('v2');
    expect(
      s
        .activeFiles()
        .map((f) => f.path)
        .sort(),
    ).toEqual(['a', 'b', 'c', 'd']);
    expect(s.tombstones().map((f) => f.path)).toEqual(['gone']);
    expect(s.domainMetadata().get('d')?.configuration).toBe('{"x":1}');

    await fs.rm(path.join(dir, LOG_DIR, '_sidecars/s2.parquet'));
    await expect(loadSnapshot(store)).rejects.toMatchObject({
      code: 'DELTA_MISSING_PART_FILES',
      message: expect.stringContaining('_sidecars/s2.parquet'),
    });
  });

  it('V2 checkpoint in Parquet', async () => {
    await writeCheckpointParquet(`${LOG_DIR}_sidecars/s1.parquet`, [add('a')], ['add', 'remove']);
    await writeCheckpointParquet(
      `${LOG_DIR}${padVersion(1)}.checkpoint.0b5c2a57-9b1c-4e8e-9c8e-2d5d1a2c3b4f.parquet`,
      [
        { checkpointMetadata: { version: 1 } },
        v2protocol,
        meta,
        add('top'),
        { sidecar: { path: 's1.parquet', sizeInBytes: 1, modificationTime: 1 } },
      ],
      ['checkpointMetadata', 'protocol', 'metaData', 'add', 'sidecar'],
    );
    const s = await loadSnapshot(store);
    expect(s.version).toBe(1);
    expect(
      s
        .activeFiles()
        .map((f) => f.path)
        .sort(),
    ).toEqual(['a', 'top']);
  });
});
