import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isLakeboxError, LakeboxError } from '@lakebox/common';
import type { Add, Remove } from './actions.js';
import { checkpointPath } from './checkpoint-write.js';
import { sqlString, withConnection } from './duckdb.js';
import { readCommit, readLastCheckpoint } from './log.js';
import type { StructType } from './schema.js';
import { loadSnapshot } from './snapshot.js';
import { LocalObjectStore } from './storage-local.js';
import { DeltaTable, checkpoint } from './table.js';

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: true, metadata: {} },
    { name: 'part', type: 'string', nullable: true, metadata: {} },
  ],
};

async function tmpTable(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'lbx-txn-'));
}

let n = 0;
function add(partitionValues: Record<string, string | null> = {}, rows = 1): Add {
  n++;
  return {
    path: `part-${n}-${Math.random().toString(36).slice(2)}.parquet`,
    partitionValues,
    size: 100 + n,
    modificationTime: Date.now(),
    dataChange: true,
    stats: JSON.stringify({ numRecords: rows }),
  };
}
const remove = (a: Add): Remove => ({
  path: a.path,
  dataChange: true,
  partitionValues: a.partitionValues,
  size: a.size,
});

async function append(t: DeltaTable, adds: Add[]): Promise<number> {
  const txn = await t.startTransaction();
  txn.addFiles(adds);
  return (await txn.commit({ operation: 'WRITE', operationParameters: { mode: 'Append', partitionBy: [] } })).version;
}

async function expectCode(p: Promise<unknown>, code: string): Promise<LakeboxError> {
  try {
    await p;
  } catch (e) {
    if (isLakeboxError(e, code)) return e;
    throw e;
  }
  throw new Error(`expected ${code}`);
}

describe('DeltaTable.create / open', () => {
  it('creates version 0 with protocol (1,2), metadata and a Spark-like commitInfo', async () => {
    const dir = await tmpTable();
    const t = await DeltaTable.create(dir, {
      schema,
      partitionColumns: ['part'],
      name: 'tbl',
      configuration: { a: 'b' },
    });
    const actions = await readCommit(t.store, 0);
    expect(Object.keys(actions[0]!)).toEqual(['commitInfo']);
    const ci = actions[0]!.commitInfo!;
    expect(ci.operation).toBe('CREATE TABLE');
    expect(ci.operationParameters).toEqual({ isManaged: 'false', partitionBy: '["part"]', properties: '{"a":"b"}' });
    expect(ci.engineInfo).toMatch(/^Lakebox\/\d/);
    expect(ci.isBlindAppend).toBe(true);
    expect(ci.readVersion).toBeUndefined();
    expect(typeof ci.txnId).toBe('string');
    expect(actions.find((a) => a.protocol)?.protocol).toEqual({ minReaderVersion: 1, minWriterVersion: 2 });
    const md = actions.find((a) => a.metaData)!.metaData!;
    expect(md.partitionColumns).toEqual(['part']);
    expect(md.name).toBe('tbl');
    const snap = await (await DeltaTable.open(dir)).snapshot();
    expect(snap.version).toBe(0);
    expect(snap.schema).toEqual(schema);
  });

  it('refuses to create over an existing table unless ifNotExists, and to open a non-table', async () => {
    const dir = await tmpTable();
    await DeltaTable.create(dir, { schema });
    await expectCode(DeltaTable.create(dir, { schema }), 'DELTA_TABLE_ALREADY_EXISTS');
    const again = await DeltaTable.create(dir, { schema, ifNotExists: true });
    expect(await again.version()).toBe(0);
    await expectCode(DeltaTable.open(await tmpTable()), 'DELTA_TABLE_NOT_FOUND');
    await expectCode(
      DeltaTable.create(await tmpTable(), { schema, partitionColumns: ['nope'] }),
      'DELTA_PARTITION_COLUMN_NOT_FOUND',
    );
  });

  it('only one of several concurrent creators wins', async () => {
    const dir = await tmpTable();
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => DeltaTable.create(dir, { schema })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results)
      if (r.status === 'rejected') expect((r.reason as LakeboxError).code).toBe('DELTA_TABLE_ALREADY_EXISTS');
  });

  it('selects (3,7) with table features for timestamp_ntz and deletion vectors', async () => {
    const dir = await tmpTable();
    const t = await DeltaTable.create(dir, {
      schema: { type: 'struct', fields: [{ name: 'ts', type: 'timestamp_ntz', nullable: true, metadata: {} }] },
      configuration: { 'delta.enableDeletionVectors': 'true', 'delta.appendOnly': 'true' },
    });
    const p = (await t.snapshot()).protocol;
    expect(p.minReaderVersion).toBe(3);
    expect(p.minWriterVersion).toBe(7);
    expect(new Set(p.readerFeatures)).toEqual(new Set(['timestampNtz', 'deletionVectors']));
    expect(new Set(p.writerFeatures)).toEqual(new Set(['timestampNtz', 'deletionVectors', 'appendOnly']));
  });
});

describe('Transaction.commit', () => {
  it('commits sequential appends with readVersion and isBlindAppend', async () => {
    const t = await DeltaTable.create(await tmpTable(), { schema });
    expect(await append(t, [add()])).toBe(1);
    expect(await append(t, [add(), add()])).toBe(2);
    const ci = (await readCommit(t.store, 2))[0]!.commitInfo!;
    expect(ci).toMatchObject({
      operation: 'WRITE',
      readVersion: 1,
      isBlindAppend: true,
      isolationLevel: 'WriteSerializable',
    });
    expect(ci.operationParameters).toEqual({ mode: 'Append', partitionBy: '[]' });
    expect((await t.snapshot()).activeFiles()).toHaveLength(3);
  });

  it('two blind appends from the same read version both commit', async () => {
    const t = await DeltaTable.create(await tmpTable(), { schema });
    const a = await t.startTransaction();
    const b = await t.startTransaction();
    a.addFiles([add()]);
    b.addFiles([add()]);
    const ra = await a.commit({ operation: 'WRITE' });
    const rb = await b.commit({ operation: 'WRITE' });
    expect([ra.version, rb.version]).toEqual([1, 2]);
    expect(rb.attempts).toBe(2);
    expect((await t.snapshot()).activeFiles()).toHaveLength(2);
  });

  it('delete/delete and delete/read of the same file: exactly one wins with a typed conflict', async () => {
    const t = await DeltaTable.create(await tmpTable(), { schema });
    const f = add();
    await append(t, [f]);
    const del = await t.startTransaction();
    const upd = await t.startTransaction();
    del.readFiles([f]);
    del.removeFiles([remove(f)]);
    upd.readFiles([f]);
    upd.removeFiles([remove(f)]);
    upd.addFiles([add()]);
    await del.commit({ operation: 'DELETE' });
    const e = await expectCode(upd.commit({ operation: 'UPDATE' }), 'DELTA_CONCURRENT_DELETE_READ');
    expect(e.sqlState).toBe('2D521');
    expect(e.details?.conflictingVersion).toBe(2);
    expect(await t.version()).toBe(2);

    // Without having read it (a blind remove), removing the same file twice is DELETE_DELETE.
    const g = add();
    await append(t, [g]);
    const x = await t.startTransaction();
    const y = await t.startTransaction();
    x.removeFiles([remove(g)]);
    y.removeFiles([remove(g)]);
    await x.commit({ operation: 'DELETE' });
    await expectCode(y.commit({ operation: 'DELETE' }), 'DELTA_CONCURRENT_DELETE_DELETE');
  });

  it('concurrent appends into the read range conflict; outside the range they do not', async () => {
    const t = await DeltaTable.create(await tmpTable(), { schema, partitionColumns: ['part'] });
    await append(t, [add({ part: 'a' })]);
    // A non-blind append in partition a (e.g. a MERGE) while a txn reads partition a.
    const reader = await t.startTransaction({ isolationLevel: 'Serializable' });
    reader.readPredicate((f) => f.partitionValues.part === 'a');
    reader.addFiles([add({ part: 'a' })]);
    const other = await t.startTransaction();
    other.addFiles([add({ part: 'b' })]);
    await other.commit({ operation: 'WRITE' });
    // partition b does not match the predicate: the reader commits at version 3
    expect((await reader.commit({ operation: 'MERGE' })).version).toBe(3);

    const r2 = await t.startTransaction({ isolationLevel: 'Serializable' });
    r2.readPredicate((f) => f.partitionValues.part === 'a');
    r2.addFiles([add({ part: 'a' })]);
    await append(t, [add({ part: 'a' })]);
    await expectCode(r2.commit({ operation: 'MERGE' }), 'DELTA_CONCURRENT_APPEND');

    // WriteSerializable tolerates concurrent blind appends into what it read...
    const r3 = await t.startTransaction({ isolationLevel: 'WriteSerializable' });
    r3.readPredicate((f) => f.partitionValues.part === 'a');
    r3.addFiles([add({ part: 'a' })]);
    await append(t, [add({ part: 'a' })]);
    expect((await r3.commit({ operation: 'MERGE' })).attempts).toBe(2);
    // ...but not non-blind ones.
    const r4 = await t.startTransaction({ isolationLevel: 'WriteSerializable' });
    r4.readWholeTable();
    r4.addFiles([add({ part: 'c' })]);
    const w = await t.startTransaction();
    w.readPredicate((f) => f.partitionValues.part === 'z');
    w.addFiles([add({ part: 'z' })]);
    await w.commit({ operation: 'MERGE' });
    await expectCode(r4.commit({ operation: 'MERGE' }), 'DELTA_CONCURRENT_APPEND');
  });

  it('a scan Predicate as read predicate is evaluated on partition values and stats', async () => {
    const t = await DeltaTable.create(await tmpTable(), { schema, partitionColumns: ['part'] });
    const nonBlind = async (part: string) => {
      const w = await t.startTransaction();
      w.readPredicate((f) => f.partitionValues.part === 'nothing');
      w.addFiles([add({ part })]);
      await w.commit({ operation: 'MERGE' });
    };
    const r = await t.startTransaction();
    r.readPredicate({ op: '=', column: 'part', value: 'a' });
    r.addFiles([add({ part: 'a' })]);
    await nonBlind('b');
    expect((await r.commit({ operation: 'MERGE' })).attempts).toBe(2);
    const r2 = await t.startTransaction();
    r2.readPredicate({ op: 'in', column: 'part', values: ['a', 'c'] });
    r2.addFiles([add({ part: 'a' })]);
    await nonBlind('c');
    await expectCode(r2.commit({ operation: 'MERGE' }), 'DELTA_CONCURRENT_APPEND');
    const r3 = await t.startTransaction();
    expect(() => r3.readPredicate({ op: '=', column: 'nope', value: 1 })).toThrow(LakeboxError);
  });

  it('recognises its own commit when a put-if-absent was applied but reported as lost', async () => {
    const dir = await tmpTable();
    await DeltaTable.create(dir, { schema });
    const store = new LocalObjectStore(dir);
    let flaky = true;
    const real = store.putIfAbsent.bind(store);
    store.putIfAbsent = async (p: string, d: Uint8Array) => {
      const ok = await real(p, d);
      if (flaky && ok) {
        flaky = false;
        return false; // the write happened, the acknowledgement was lost
      }
      return ok;
    };
    const t = await DeltaTable.open(store);
    const f = add();
    const txn = await t.startTransaction();
    txn.readFiles([]);
    txn.addFiles([f]);
    txn.removeFiles([{ ...remove(f), dataChange: false }]);
    expect(await txn.commit({ operation: 'OPTIMIZE' })).toMatchObject({ version: 1 });
    expect(await t.version()).toBe(1);
  });

  it('rejects malformed file actions before writing anything', async () => {
    const t = await DeltaTable.create(await tmpTable(), { schema, partitionColumns: ['part'] });
    const bad = async (adds: Add[], removes: Remove[] = []) => {
      const txn = await t.startTransaction();
      txn.addFiles(adds);
      txn.removeFiles(removes);
      return txn.commit({ operation: 'WRITE' });
    };
    await expectCode(bad([add({})]), 'DELTA_INVALID_FILE_ACTION');
    await expectCode(bad([add({ part: 'a', other: 'b' })]), 'DELTA_INVALID_FILE_ACTION');
    await expectCode(bad([{ ...add({ part: 'a' }), path: '' }]), 'DELTA_INVALID_FILE_ACTION');
    const f = add({ part: 'a' });
    await expectCode(bad([f, { ...f }]), 'DELTA_DUPLICATE_ACTIONS_FOUND');
    await expectCode(bad([], [remove(f), remove(f)]), 'DELTA_DUPLICATE_ACTIONS_FOUND');
    expect(await t.version()).toBe(0);
    expect((await bad([add({ part: null })])).version).toBe(1);
  });

  it('metadata changes conflict with concurrent transactions', async () => {
    const t = await DeltaTable.create(await tmpTable(), { schema });
    const a = await t.startTransaction();
    const snap = a.readSnapshot;
    const b = await t.startTransaction();
    a.updateMetadata({ ...snap.metadata, configuration: { x: '1' } });
    await a.commit({ operation: 'SET TBLPROPERTIES' });
    b.addFiles([add()]);
    await expectCode(b.commit({ operation: 'WRITE' }), 'DELTA_METADATA_CHANGED');
  });

  it('idempotent writes: an appId version already recorded is skipped; concurrent same appId conflicts', async () => {
    const t = await DeltaTable.create(await tmpTable(), { schema });
    const w = async (v: number) => {
      const txn = await t.startTransaction();
      txn.setAppTransaction('stream-1', v);
      txn.addFiles([add()]);
      return txn.commit({ operation: 'STREAMING UPDATE' });
    };
    expect(await w(1)).toMatchObject({ version: 1 });
    expect(await w(1)).toMatchObject({ version: 1, skipped: true });
    expect(await w(0)).toMatchObject({ skipped: true });
    expect(await w(2)).toMatchObject({ version: 2 });
    const snap = await t.snapshot();
    expect(snap.activeFiles()).toHaveLength(2);
    expect(snap.appTransactionVersion('stream-1')).toBe(2);

    const a = await t.startTransaction();
    const b = await t.startTransaction();
    a.setAppTransaction('stream-1', 3);
    b.setAppTransaction('stream-1', 3);
    a.addFiles([add()]);
    b.addFiles([add()]);
    await a.commit({ operation: 'STREAMING UPDATE' });
    await expectCode(b.commit({ operation: 'STREAMING UPDATE' }), 'DELTA_CONCURRENT_TRANSACTION');
  });

  it('respects delta.appendOnly and refuses unknown writer features', async () => {
    const t = await DeltaTable.create(await tmpTable(), { schema, configuration: { 'delta.appendOnly': 'true' } });
    expect((await t.snapshot()).protocol).toEqual({ minReaderVersion: 1, minWriterVersion: 2 });
    const f = add();
    await append(t, [f]);
    const del = await t.startTransaction();
    del.removeFiles([remove(f)]);
    await expectCode(del.commit({ operation: 'DELETE' }), 'DELTA_CANNOT_MODIFY_APPEND_ONLY');
    // compaction (dataChange=false) is allowed
    const opt = await t.startTransaction();
    opt.removeFiles([{ ...remove(f), dataChange: false }]);
    opt.addFiles([{ ...add(), dataChange: false }]);
    expect((await opt.commit({ operation: 'OPTIMIZE' })).version).toBe(2);

    const t2 = await DeltaTable.create(await tmpTable(), { schema });
    const up = await t2.startTransaction();
    up.updateProtocol({ minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ['someFutureFeature'] });
    await expectCode(up.commit({ operation: 'UPGRADE PROTOCOL' }), 'DELTA_UNSUPPORTED_FEATURES_FOR_WRITE');
    // a table written by someone else with an unknown writer feature: no transaction starts
    await t2.store.putIfAbsent(
      '_delta_log/00000000000000000001.json',
      new TextEncoder().encode(
        JSON.stringify({
          protocol: { minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ['someFutureFeature'] },
        }) + '\n',
      ),
    );
    await expectCode(t2.startTransaction(), 'DELTA_UNSUPPORTED_FEATURES_FOR_WRITE');
  });
});

describe('in-commit timestamps', () => {
  it('writes strictly increasing inCommitTimestamp first in commitInfo, and records enablement', async () => {
    const t = await DeltaTable.create(await tmpTable(), {
      schema,
      configuration: { 'delta.enableInCommitTimestamps': 'true' },
    });
    expect((await t.snapshot()).protocol).toEqual({
      minReaderVersion: 1,
      minWriterVersion: 7,
      writerFeatures: ['inCommitTimestamp'],
    });
    // two writers racing: the loser's timestamp must exceed the winner's
    const a = await t.startTransaction();
    const b = await t.startTransaction();
    a.addFiles([add()]);
    b.addFiles([add()]);
    await a.commit({ operation: 'WRITE' });
    await b.commit({ operation: 'WRITE' });
    await append(t, [add()]);
    const ts: number[] = [];
    for (let v = 0; v <= 3; v++) {
      const first = (await readCommit(t.store, v))[0]!;
      expect(Object.keys(first)).toEqual(['commitInfo']);
      expect(Object.keys(first.commitInfo!)[0]).toBe('inCommitTimestamp');
      ts.push(first.commitInfo!.inCommitTimestamp!);
    }
    for (let i = 1; i < ts.length; i++) expect(ts[i]!).toBeGreaterThan(ts[i - 1]!);
    expect((await t.snapshot()).timestamp).toBe(ts[3]);

    // enabling on an existing table records the version and timestamp it starts at
    const t2 = await DeltaTable.create(await tmpTable(), { schema });
    await append(t2, [add()]);
    const en = await t2.startTransaction();
    en.updateMetadata({
      ...en.readSnapshot.metadata,
      configuration: { 'delta.enableInCommitTimestamps': 'true' },
    });
    const r = await en.commit({ operation: 'SET TBLPROPERTIES' });
    const actions = await readCommit(t2.store, r.version);
    const conf = actions.find((x) => x.metaData)!.metaData!.configuration;
    expect(conf['delta.inCommitTimestampEnablementVersion']).toBe('2');
    expect(conf['delta.inCommitTimestampEnablementTimestamp']).toBe(String(actions[0]!.commitInfo!.inCommitTimestamp));
    expect(actions.find((x) => x.protocol)!.protocol!.writerFeatures).toContain('inCommitTimestamp');
  });
});

describe('checkpoints', () => {
  it('writes a checkpoint every delta.checkpointInterval commits that the snapshot loader reads back', async () => {
    const dir = await tmpTable();
    const t = await DeltaTable.create(dir, {
      schema,
      partitionColumns: ['part'],
      configuration: { 'delta.checkpointInterval': '3' },
    });
    const files: Add[] = [];
    for (let i = 0; i < 7; i++) {
      const f = add({ part: i % 2 ? 'x' : null }, i + 1);
      files.push(f);
      const txn = await t.startTransaction();
      txn.setAppTransaction('app', i);
      txn.addFiles([f]);
      if (i === 4) txn.removeFiles([remove(files[0]!)]);
      const r = await txn.commit({ operation: 'WRITE' });
      if (r.version % 3 === 0) expect(r.checkpoint).toEqual({ written: true });
    }
    const log = await readdir(path.join(dir, '_delta_log'));
    expect(log).toContain('00000000000000000003.checkpoint.parquet');
    expect(log).toContain('00000000000000000006.checkpoint.parquet');
    expect(log.some((f) => f.startsWith('.tmp-'))).toBe(false);
    const last = await readLastCheckpoint(t.store);
    expect(last).toMatchObject({ version: 6, numOfAddFiles: 5 });
    // protocol + metaData + txn + 5 adds + 1 tombstone
    expect(last!.size).toBe(9);

    // Load from the checkpoint alone (remove the commits it covers) and compare with full replay.
    const full = await loadSnapshot(t.store);
    const store = new LocalObjectStore(dir);
    for (let v = 0; v <= 6; v++) await store.delete(`_delta_log/${String(v).padStart(20, '0')}.json`);
    const fromCp = await loadSnapshot(store);
    expect(fromCp.version).toBe(7);
    expect(fromCp.segment.checkpoint?.version).toBe(6);
    const key = (a: Add) => a.path;
    expect(fromCp.activeFiles().map(key).sort()).toEqual(full.activeFiles().map(key).sort());
    expect(fromCp.activeFiles().find((a) => a.path === files[1]!.path)).toMatchObject({
      partitionValues: { part: 'x' },
      stats: JSON.stringify({ numRecords: 2 }),
      size: files[1]!.size,
    });
    expect(fromCp.activeFiles().find((a) => a.path === files[2]!.path)!.partitionValues).toEqual({ part: null });
    expect(fromCp.appTransactionVersion('app')).toBe(6);
    expect(fromCp.metadata).toEqual(full.metadata);
    expect(fromCp.protocol).toEqual(full.protocol);
    expect(fromCp.tombstones().map((r) => r.path)).toEqual([files[0]!.path]);
  });

  it('writes V2-spec checkpoints (checkpointMetadata row) for tables with v2Checkpoint', async () => {
    const dir = await tmpTable();
    const t = await DeltaTable.create(dir, {
      schema,
      configuration: { 'delta.checkpointPolicy': 'v2', 'delta.checkpointInterval': '2' },
    });
    const p = (await t.snapshot()).protocol;
    expect(p.readerFeatures).toEqual(['v2Checkpoint']);
    await append(t, [add()]);
    await append(t, [add()]);
    const rows = await withConnection(async (c) =>
      (
        await c.runAndReadAll(
          `SELECT checkpointMetadata.version::INTEGER AS v FROM read_parquet(${sqlString(path.join(dir, checkpointPath(2)))}) WHERE checkpointMetadata IS NOT NULL`,
        )
      ).getRowObjects(),
    );
    expect(rows).toEqual([{ v: 2 }]);
    for (let v = 0; v < 2; v++) await t.store.delete(`_delta_log/${String(v).padStart(20, '0')}.json`);
    const snap = await loadSnapshot(t.store);
    expect(snap.segment.checkpoint?.version).toBe(2);
    expect(snap.activeFiles()).toHaveLength(2);
  });

  it('explicit checkpoint(table) and a failed checkpoint does not fail the commit', async () => {
    const dir = await tmpTable();
    const t = await DeltaTable.create(dir, { schema, configuration: { 'delta.checkpointInterval': '2' } });
    await append(t, [add()]);
    const last = await checkpoint(t);
    expect(last.version).toBe(1);
    expect(await t.store.head(checkpointPath(1))).toBeDefined();

    // A store whose checkpoint upload fails: the commit still succeeds.
    const store = new LocalObjectStore(dir);
    const broken = Object.assign(Object.create(Object.getPrototypeOf(store) as object) as LocalObjectStore, store);
    broken.put = async (p: string, d: Uint8Array) => {
      if (p.endsWith('_last_checkpoint')) throw new Error('disk full');
      return LocalObjectStore.prototype.put.call(store, p, d);
    };
    const bt = await DeltaTable.open(broken);
    const txn = await bt.startTransaction();
    txn.addFiles([add()]);
    const r = await txn.commit({ operation: 'WRITE' });
    expect(r.version).toBe(2);
    expect(r.checkpoint).toMatchObject({ written: false, error: 'disk full' });
    expect((await t.snapshot()).activeFiles()).toHaveLength(2);
  });
});
