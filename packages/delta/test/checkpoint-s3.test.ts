/**
 * Transactions and checkpoints on S3-compatible storage (a real MinIO started here): the
 * checkpoint written after every `delta.checkpointInterval` commits is uploaded whole and found by
 * a fresh reader even when the commits it covers are gone; a conflicting pair of transactions from
 * two separate S3 clients fails cleanly for one of them.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLakeboxError } from '@lakebox/common';
import { checkpointPath } from '../src/checkpoint-write.js';
import { commitPath, readLastCheckpoint } from '../src/log.js';
import { readRows } from '../src/scan.js';
import { loadSnapshot } from '../src/snapshot.js';
import { S3ObjectStore } from '../src/storage-s3.js';
import { DeltaTable } from '../src/table.js';
import { writeToTable } from '../src/write.js';
import { startMinio, type S3Server } from '../../../tests/support/minio.js';

let server: S3Server;
let cacheDir: string;
const bucket = 'lakebox-txn-test';

function store(prefix: string): S3ObjectStore {
  return new S3ObjectStore(bucket, prefix, {
    endpoint: server.endpoint,
    region: server.region,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    cacheDir,
  });
}

beforeAll(async () => {
  server = await startMinio();
  await server.createBucket(bucket);
  cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'lakebox-txn-s3-cache-'));
});

afterAll(async () => {
  await server?.stop();
  if (cacheDir) await fs.rm(cacheDir, { recursive: true, force: true });
});

describe('transactions on S3 (MinIO)', () => {
  it('writes checkpoints a fresh reader uses, with the commits they cover deleted', async () => {
    const prefix = `tables/${randomUUID()}`;
    const t = await DeltaTable.create(store(prefix), {
      schema: { type: 'struct', fields: [{ name: 'id', type: 'long', nullable: true, metadata: {} }] },
      configuration: { 'delta.checkpointInterval': '3' },
    });
    for (let i = 0; i < 4; i++) {
      await writeToTable(
        t,
        { sql: `SELECT (range + ${i * 10})::BIGINT AS id FROM range(${i + 1})` },
        { mode: 'append' },
      );
    }
    const s = store(prefix);
    expect(await s.head(checkpointPath(3))).toBeDefined();
    expect(await readLastCheckpoint(s)).toMatchObject({ version: 3, numOfAddFiles: 3, size: 5 });
    for (let v = 0; v < 3; v++) await s.delete(commitPath(v));
    const snap = await loadSnapshot(store(prefix));
    expect(snap.version).toBe(4);
    expect(snap.segment.checkpoint?.version).toBe(3);
    const ids = (await readRows(snap)).map((r) => Number(r.id)).sort((a, b) => a - b);
    expect(ids).toEqual([0, 10, 11, 20, 21, 22, 30, 31, 32, 33]);
  });

  it('two clients removing the same file: one commits, the other gets a typed conflict', async () => {
    const prefix = `tables/${randomUUID()}`;
    await DeltaTable.create(store(prefix), {
      schema: { type: 'struct', fields: [{ name: 'id', type: 'long', nullable: true, metadata: {} }] },
    });
    await writeToTable(store(prefix), { sql: 'SELECT range::BIGINT AS id FROM range(3)' }, { mode: 'append' });
    const [a, b] = await Promise.all([DeltaTable.open(store(prefix)), DeltaTable.open(store(prefix))]);
    const [ta, tb] = await Promise.all([a.startTransaction(), b.startTransaction()]);
    const file = ta.readSnapshot.activeFiles()[0]!;
    for (const txn of [ta, tb]) {
      txn.readFiles([file]);
      txn.removeFiles([{ path: file.path, dataChange: true, partitionValues: {}, size: file.size }]);
    }
    const results = await Promise.allSettled([ta.commit({ operation: 'DELETE' }), tb.commit({ operation: 'DELETE' })]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(1);
    expect(failed).toHaveLength(1);
    expect(isLakeboxError(failed[0]!.reason, 'DELTA_CONCURRENT_DELETE_READ')).toBe(true);
    const snap = await loadSnapshot(store(prefix));
    expect(snap.version).toBe(2);
    expect(snap.activeFiles()).toHaveLength(0);
  });
});
