import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLakeboxError } from '@lakebox/common';
import { S3ObjectStore } from '../src/storage-s3.js';
import { loadSnapshot, tableStore } from '../src/snapshot.js';
import { readRows } from '../src/scan.js';
import { writeToTable } from '../src/write.js';
import { deleteFromTable } from '../src/dml.js';
import { startMinio, type S3Server } from '../../../tests/support/minio.js';
import { PythonPeer } from '../../../tests/support/python.js';
import { canonRows, rowSet, type Canon } from '../../../tests/support/rows.js';
import { MIXED_SCHEMA, mixedRows, valuesSql } from '../../../tests/support/tables.js';

// The S3 object store against a real S3-compatible server (MinIO) started by this file.

let server: S3Server;
let cacheDir: string;
const bucket = 'lakebox-s3-test';

function store(prefix: string, extra: Partial<ConstructorParameters<typeof S3ObjectStore>[2]> = {}): S3ObjectStore {
  return new S3ObjectStore(bucket, prefix, {
    endpoint: server.endpoint,
    region: server.region,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    cacheDir,
    ...extra,
  });
}

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

beforeAll(async () => {
  server = await startMinio();
  await server.createBucket(bucket);
  cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'lakebox-s3-cache-'));
});

afterAll(async () => {
  await server?.stop();
  if (cacheDir) await fs.rm(cacheDir, { recursive: true, force: true });
});

describe('S3ObjectStore on MinIO', () => {
  it('puts, gets, heads, lists and deletes objects under the table prefix', async () => {
    const s = store(`t-${randomUUID()}`);
    await s.put('_delta_log/00000000000000000000.json', bytes('{"a":1}\n'));
    await s.put('_delta_log/00000000000000000001.json', bytes('{"a":2}\n'));
    await s.put('part=1/f.parquet', bytes('PAR1'));
    expect(text(await s.get('_delta_log/00000000000000000001.json'))).toBe('{"a":2}\n');
    const h = await s.head('part=1/f.parquet');
    expect(h?.size).toBe(4);
    expect(h?.lastModified).toBeGreaterThan(Date.now() - 3_600_000);
    expect(await s.head('missing')).toBeUndefined();

    expect((await s.list('_delta_log/')).map((o) => o.path)).toEqual([
      '_delta_log/00000000000000000000.json',
      '_delta_log/00000000000000000001.json',
    ]);
    expect(
      (await s.list('_delta_log/', { startAfter: '_delta_log/00000000000000000000.json' })).map((o) => o.path),
    ).toEqual(['_delta_log/00000000000000000001.json']);
    expect((await s.list('')).length).toBe(3);
    // A sibling prefix that starts with the same characters is not part of this table.
    const sib = new S3ObjectStore(bucket, `${s.prefix.slice(0, -1)}x`, { client: s.client });
    await sib.put('other', bytes('x'));
    expect((await s.list('')).length).toBe(3);

    await s.delete('part=1/f.parquet');
    await s.delete('part=1/f.parquet'); // absent: no error
    expect(await s.head('part=1/f.parquet')).toBeUndefined();
    const err = await s.get('part=1/f.parquet').catch((e: unknown) => e);
    expect(isLakeboxError(err, 'OBJECT_NOT_FOUND')).toBe(true);
  });

  it('pages through listings (ListObjectsV2 continuation) with startAfter', async () => {
    const s = store(`t-${randomUUID()}`, { listPageSize: 7 });
    const names = Array.from({ length: 30 }, (_, i) => `_delta_log/${String(i).padStart(20, '0')}.json`);
    await Promise.all(names.map((n) => s.put(n, bytes(n))));
    expect((await s.list('_delta_log/')).map((o) => o.path)).toEqual(names);
    expect((await s.list('_delta_log/', { startAfter: names[12] })).map((o) => o.path)).toEqual(names.slice(13));
  });

  it('putIfAbsent creates once and never overwrites', async () => {
    const s = store(`t-${randomUUID()}`);
    expect(await s.putIfAbsent('_delta_log/00000000000000000000.json', bytes('first'))).toBe(true);
    expect(await s.putIfAbsent('_delta_log/00000000000000000000.json', bytes('second'))).toBe(false);
    expect(text(await s.get('_delta_log/00000000000000000000.json'))).toBe('first');
  });

  it('8 concurrent putIfAbsent on one key from 8 clients: exactly one winner, its bytes stored', async () => {
    const prefix = `t-${randomUUID()}`;
    for (let round = 0; round < 5; round++) {
      const key = `_delta_log/${String(round).padStart(20, '0')}.json`;
      const writers = Array.from({ length: 8 }, () => store(prefix));
      // Payloads large enough that uploads overlap on the server.
      const payloads = writers.map((_, i) => bytes(`writer-${i}:` + 'x'.repeat(256 * 1024)));
      const results = await Promise.all(writers.map((w, i) => w.putIfAbsent(key, payloads[i])));
      const winners = results.flatMap((r, i) => (r ? [i] : []));
      expect(winners).toHaveLength(1);
      const stored = await writers[0].get(key);
      expect(Buffer.from(stored).equals(Buffer.from(payloads[winners[0]]))).toBe(true);
      for (const w of writers) w.client.destroy();
    }
  });

  it('localPath downloads once per object version; putFile uploads and keeps the file as the cached copy', async () => {
    const s = store(`t-${randomUUID()}`);
    await s.put('a/data.parquet', bytes('version one'));
    const p1 = await s.localPath('a/data.parquet');
    expect(await fs.readFile(p1, 'utf8')).toBe('version one');
    expect(p1.endsWith('data.parquet')).toBe(true);
    const [p2, p3] = await Promise.all([s.localPath('a/data.parquet'), s.localPath('a/data.parquet')]);
    expect(p2).toBe(p1);
    expect(p3).toBe(p1);
    // Another object version (different ETag) gets another cache entry.
    await s.put('a/data.parquet', bytes('version two!'));
    const p4 = await s.localPath('a/data.parquet');
    expect(p4).not.toBe(p1);
    expect(await fs.readFile(p4, 'utf8')).toBe('version two!');

    const local = path.join(cacheDir, `upload-${randomUUID()}.parquet`);
    await fs.writeFile(local, 'written by duckdb');
    await s.putFile('b/part-0.parquet', local);
    expect(text(await s.get('b/part-0.parquet'))).toBe('written by duckdb');
    await expect(fs.stat(local)).rejects.toThrow();
    expect(await fs.readFile(await s.localPath('b/part-0.parquet'), 'utf8')).toBe('written by duckdb');

    const err = await s.localPath('nope.parquet').catch((e: unknown) => e);
    expect(isLakeboxError(err, 'OBJECT_NOT_FOUND')).toBe(true);
  });

  it('reports wrong credentials and a missing bucket as LakeboxErrors', async () => {
    const bad = store('x', { secretAccessKey: 'wrong-secret' });
    const e1 = await bad.list('').catch((e: unknown) => e);
    expect(isLakeboxError(e1, 'PERMISSION_DENIED')).toBe(true);
    const nb = new S3ObjectStore('no-such-bucket-here', '', { client: store('').client });
    const e2 = await nb.list('').catch((e: unknown) => e);
    expect(isLakeboxError(e2, 'OBJECT_NOT_FOUND')).toBe(true);
    expect((e2 as Error).message).toMatch(/bucket does not exist/);
  });

  it('reads endpoint and credentials from the environment', async () => {
    const saved = { ...process.env };
    try {
      Object.assign(process.env, server.env);
      const s = S3ObjectStore.fromUrl(`s3://${bucket}/env-${randomUUID()}`);
      await s.put('k', bytes('v'));
      expect(text(await s.get('k'))).toBe('v');
    } finally {
      for (const k of Object.keys(server.env)) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  });
});

describe('Delta tables on S3 (MinIO)', () => {
  let peer: PythonPeer;
  const saved: Record<string, string | undefined> = {};

  beforeAll(() => {
    // Lakebox finds the endpoint and credentials in the environment, as a deployment would.
    for (const [k, v] of Object.entries(server.env)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    peer = PythonPeer.start();
  });

  afterAll(async () => {
    await peer?.close();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  async function lakeboxRead(location: string, version?: number) {
    const snap = await loadSnapshot(tableStore(location), version === undefined ? {} : { version });
    return { snap, set: rowSet(canonRows(snap.schema, await readRows(snap))) };
  }

  it('Lakebox writes, deletes, reads and time-travels a partitioned table at s3://', async () => {
    const loc = `s3://${bucket}/tables/${randomUUID()}/sales`;
    const first = mixedRows(0, 50);
    await writeToTable(loc, { sql: valuesSql(MIXED_SCHEMA, first) }, { mode: 'append', partitionBy: ['region'] });
    await writeToTable(loc, { sql: valuesSql(MIXED_SCHEMA, mixedRows(50, 80)) }, { mode: 'append' });
    await deleteFromTable(loc, 'id % 3 = 0');
    const expected = mixedRows(0, 80).filter((r) => (r.id as number) % 3 !== 0);
    const latest = await lakeboxRead(loc);
    expect(latest.snap.version).toBe(2);
    expect(latest.set).toEqual(rowSet(expected));
    expect((await lakeboxRead(loc, 0)).set).toEqual(rowSet(first));
    // The objects really are in the bucket, laid out as Delta expects.
    const keys = (await new S3ObjectStore(bucket, loc.slice(`s3://${bucket}/`.length)).list('')).map((o) => o.path);
    expect(keys).toContain('_delta_log/00000000000000000000.json');
    expect(keys.some((k) => /^region=emea\/.+\.parquet$/.test(k))).toBe(true);
  });

  it('concurrent Lakebox appends on S3 each commit exactly once', async () => {
    const loc = `s3://${bucket}/tables/${randomUUID()}/events`;
    await writeToTable(loc, { sql: valuesSql(MIXED_SCHEMA, mixedRows(0, 5)) }, { mode: 'append' });
    const batches = [1, 2, 3, 4].map((k) => mixedRows(k * 100, k * 100 + 5));
    // Separate stores (separate S3 clients) race for the same next versions.
    await Promise.all(
      batches.map((b) =>
        writeToTable(S3ObjectStore.fromUrl(loc), { sql: valuesSql(MIXED_SCHEMA, b) }, { mode: 'append' }),
      ),
    );
    const latest = await lakeboxRead(loc);
    expect(latest.snap.version).toBe(4);
    expect(latest.set).toEqual(rowSet([...mixedRows(0, 5), ...batches.flat()]));
  });

  it('delta-rs reads the table Lakebox wrote on S3, and Lakebox reads the one delta-rs wrote', async () => {
    const base = `s3://${bucket}/tables/${randomUUID()}`;
    const ours = `${base}/from_lakebox`;
    const rows = mixedRows(0, 40);
    await writeToTable(ours, { sql: valuesSql(MIXED_SCHEMA, rows) }, { mode: 'append', partitionBy: ['region'] });
    await deleteFromTable(ours, 'qty < 20');
    const expected = rows.filter((r) => (r.qty as number) >= 20);
    const rs = await peer.call<{ rows: Record<string, Canon>[]; version: number }>('rs_read', {
      path: ours,
      storage_options: server.deltaRsOptions,
    });
    expect(rs.version).toBe(1);
    expect(rowSet(rs.rows)).toEqual(rowSet(expected));

    const theirs = `${base}/from_deltars`;
    const opts = { path: theirs, storage_options: server.deltaRsOptions, schema: MIXED_SCHEMA };
    await peer.call('rs_write', { ...opts, rows: mixedRows(0, 30), mode: 'append', partition_by: ['region'] });
    await peer.call('rs_write', { ...opts, rows: mixedRows(30, 45), mode: 'append' });
    const back = await lakeboxRead(theirs);
    expect(back.snap.version).toBe(1);
    expect(back.set).toEqual(rowSet(mixedRows(0, 45)));
  });
});
