/**
 * Optimistic concurrency across processes: four writers appending 100 commits each end with
 * exactly 400 commits after the create and every row present; two transactions that read and
 * remove the same file (a DELETE and an UPDATE) race, and exactly one of them fails, cleanly,
 * with a typed conflict error.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkpointPath } from '../src/checkpoint-write.js';
import { readCommit, readLastCheckpoint } from '../src/log.js';
import { loadSnapshot } from '../src/snapshot.js';
import { DeltaTable } from '../src/table.js';
import { countRows, startWorker } from './fixtures-bin/harness.js';
import { rowsFor, writeBatchFile } from './fixtures-bin/writer.js';

const schema = {
  type: 'struct' as const,
  fields: [
    { name: 'id', type: 'long', nullable: true, metadata: {} },
    { name: 'seq', type: 'long', nullable: true, metadata: {} },
    { name: 'writer', type: 'integer', nullable: true, metadata: {} },
  ],
};

describe('concurrent writers (separate processes)', () => {
  it('4 processes x 100 appends: exactly 400 commits and every row', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lbx-conc-'));
    await DeltaTable.create(dir, { schema });
    const workers = ['1', '2', '3', '4'].map((id) => startWorker(['append', dir, id, '1', '100']));
    const codes = await Promise.all(workers.map((w) => w.exited));
    expect(codes).toEqual([0, 0, 0, 0]);

    let attempts = 0;
    const versions = new Set<number>();
    for (const w of workers) {
      const acks = w.lines.filter((l) => l.startsWith('ACK '));
      expect(acks).toHaveLength(100);
      for (const l of acks) {
        const [, , version, , tries] = l.split(' ');
        versions.add(Number(version));
        attempts += Number(tries);
      }
    }
    // every acknowledged commit got its own version, 1..400
    expect([...versions].sort((a, b) => a - b)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));

    const table = await DeltaTable.open(dir);
    const snap = await table.snapshot();
    expect(snap.version).toBe(400);
    const files = snap.activeFiles();
    expect(files).toHaveLength(400);
    const perWriter = new Map<string, number[]>();
    for (const f of files) {
      const [, w, s] = /^w(\d+)-s(\d+)-/.exec(f.path)!;
      perWriter.set(w!, [...(perWriter.get(w!) ?? []), Number(s)]);
    }
    for (const id of ['1', '2', '3', '4']) {
      expect(perWriter.get(id)!.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    }
    let expectedRows = 0;
    for (let s = 1; s <= 100; s++) expectedRows += 4 * rowsFor(s);
    expect(
      await countRows(
        dir,
        files.map((f) => f.path),
      ),
    ).toBe(expectedRows);
    // Checkpoints were written concurrently by whichever writer committed each 10th version.
    // (_last_checkpoint is a hint: a slower writer of the checkpoint at 390 may land after 400's.)
    const last = await readLastCheckpoint(table.store);
    expect(last?.version).toBeGreaterThanOrEqual(390);
    expect(await table.store.head(checkpointPath(400))).toBeDefined();
    const cp = await loadSnapshot(table.store, { version: 400 });
    expect(cp.segment.checkpoint?.version).toBe(400);
    expect(cp.activeFiles()).toHaveLength(400);
    // commitInfo of a retried commit still names the version it read
    const ci = (await readCommit(table.store, 400))[0]!.commitInfo!;
    expect(ci.readVersion).toBeLessThan(400);
    console.log(`concurrency test: 400 commits took ${attempts} put-if-absent attempts`);
  });

  it('a DELETE and an UPDATE of the same file: exactly one commits, the other gets a typed conflict', async () => {
    for (let round = 0; round < 3; round++) {
      const dir = await mkdtemp(path.join(tmpdir(), 'lbx-conflict-'));
      await DeltaTable.create(dir, { schema });
      const seed = await (await DeltaTable.open(dir)).startTransaction();
      seed.addFiles([await writeBatchFile(dir, '1', 1, rowsFor(1))]);
      await seed.commit({ operation: 'WRITE' });
      const target = (await (await DeltaTable.open(dir)).snapshot()).activeFiles()[0]!.path;

      const del = startWorker(['remove', dir, target, 'delete']);
      const upd = startWorker(['remove', dir, target, 'update']);
      for (const w of [del, upd]) {
        while (!w.lines.includes('READY')) await new Promise((r) => setTimeout(r, 10));
      }
      // release both at once
      del.child.stdin!.write('go\n');
      upd.child.stdin!.write('go\n');
      expect(await Promise.all([del.exited, upd.exited])).toEqual([0, 0]);
      const outcomes = [del.lines.at(-1)!, upd.lines.at(-1)!];
      const ok = outcomes.filter((o) => o.startsWith('OK '));
      const err = outcomes.filter((o) => o.startsWith('ERR '));
      expect(ok).toEqual(['OK 2']);
      expect(err).toHaveLength(1);
      // The loser read and removes the file the winner removed. Which rule fires first depends on
      // the winner: an UPDATE also added a file to the (unpartitioned) range the DELETE read.
      expect(err[0]).toBe(
        outcomes[0]!.startsWith('OK') ? 'ERR DELTA_CONCURRENT_DELETE_READ' : 'ERR DELTA_CONCURRENT_APPEND',
      );

      const snap = await (await DeltaTable.open(dir)).snapshot();
      expect(snap.version).toBe(2);
      expect(snap.activeFiles().some((f) => f.path === target)).toBe(false);
      const winner = outcomes[0]!.startsWith('OK') ? 'DELETE' : 'UPDATE';
      expect((await readCommit(snap.store, 2))[0]!.commitInfo!.operation).toBe(winner);
      expect(snap.activeFiles()).toHaveLength(winner === 'UPDATE' ? 1 : 0);
    }
  });
});
