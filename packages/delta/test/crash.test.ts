/**
 * Crash safety (acceptance point 3): a child process appends commits in a loop and is killed with
 * SIGKILL at random moments, over and over, until the table has at least 200 commits. After every
 * kill the table must open; every commit the child acknowledged must be in it; nothing half-written
 * may be visible (every commit file parses, versions are contiguous, checkpoints are readable, and
 * the rows read from the live files equal the sum of the committed batches, each batch exactly
 * once thanks to the txn action the child writes for idempotence). The child writes through the
 * public append API (writeToTable: Parquet via DuckDB, then the transaction).
 */
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCommit } from '../src/log.js';
import { loadSnapshot } from '../src/snapshot.js';
import { DeltaTable } from '../src/table.js';
import { rowsPerSeq, sleep, startWorker, waitFor } from './fixtures-bin/harness.js';
import { rowsFor } from './fixtures-bin/writer.js';

const APP_ID = 'crash-writer';
const TARGET_COMMITS = 200;
// Kill at least this often, however fast the machine commits (an idle machine commits ~25 times per life).
const MIN_KILLS = 20;

describe('crash safety under SIGKILL', () => {
  it(`keeps every acknowledged commit and shows no partial state across ${TARGET_COMMITS}+ commits`, async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lbx-crash-'));
    await DeltaTable.create(dir, {
      schema: {
        type: 'struct',
        fields: [
          { name: 'id', type: 'long', nullable: true, metadata: {} },
          { name: 'seq', type: 'long', nullable: true, metadata: {} },
          { name: 'writer', type: 'integer', nullable: true, metadata: {} },
        ],
      },
      // Checkpoint often so that kills also land while a checkpoint is being written.
      configuration: { 'delta.checkpointInterval': '5' },
    });

    const acked = new Map<number, number>(); // seq -> version
    let nextSeq = 1;
    let kills = 0;
    let skips = 0;
    let latest = 0;
    while (latest < TARGET_COMMITS || kills < MIN_KILLS) {
      // Restart from the first batch not acknowledged: it may be committed already (then skipped).
      const w = startWorker(['write', dir, '1', String(nextSeq), '100000', APP_ID]);
      await waitFor(() => w.lines.includes('READY'), w.exited);
      await sleep(Math.floor(Math.random() * 1600));
      w.child.kill('SIGKILL');
      await w.exited;
      kills++;
      for (const line of w.lines) {
        const [kind, seq, version] = line.split(' ');
        if (kind === 'ACK') acked.set(Number(seq), Number(version));
        if (kind === 'SKIP') skips++;
      }
      if (acked.size > 0) nextSeq = Math.max(...acked.keys()) + 1;

      // --- the table after the crash ---
      const table = await DeltaTable.open(dir);
      const snap = await table.snapshot();
      latest = snap.version;
      // commit files: contiguous, each complete and parseable
      const log = await readdir(path.join(dir, '_delta_log'));
      const versions = log.filter((f) => /^\d{20}\.json$/.test(f)).map((f) => Number(f.slice(0, 20)));
      expect(versions.sort((a, b) => a - b)).toEqual(Array.from({ length: latest + 1 }, (_, i) => i));
      for (const v of versions.slice(-8)) await readCommit(table.store, v);
      // every acknowledged commit is there, at the version reported
      for (const [seq, version] of acked) {
        const actions = await readCommit(table.store, version);
        expect(actions.find((a) => a.txn)?.txn).toMatchObject({ appId: APP_ID, version: seq });
      }
      // the data itself: each batch's rows exactly once, every batch up to the newest committed
      const perSeq = await rowsPerSeq(
        dir,
        snap.activeFiles().map((a) => a.path),
      );
      const seqs = [...perSeq.keys()].sort((a, b) => a - b);
      const maxSeq = seqs.length ? seqs[seqs.length - 1]! : 0;
      expect(seqs).toEqual(Array.from({ length: maxSeq }, (_, i) => i + 1));
      for (const [seq, n] of perSeq) expect(n).toBe(rowsFor(seq));
      expect(maxSeq).toBeGreaterThanOrEqual(acked.size ? Math.max(...acked.keys()) : 0);
      expect(snap.appTransactionVersion(APP_ID) ?? 0).toBe(maxSeq);
      expect(snap.activeFiles()).toHaveLength(maxSeq);
      // stats agree with the data
      const statRows = snap.activeFiles().reduce((n, a) => n + Number(JSON.parse(a.stats!).numRecords), 0);
      expect(statRows).toBe(seqs.reduce((n, q) => n + rowsFor(q), 0));
      // the newest checkpoint (if any) is complete: the state it gives equals full replay
      if (snap.segment.checkpoint) {
        const cpv = snap.segment.checkpoint.version;
        const fromCp = await loadSnapshot(table.store, { version: cpv });
        expect(fromCp.activeFiles()).toHaveLength(cpv);
      }
    }
    expect(latest).toBeGreaterThanOrEqual(TARGET_COMMITS);
    expect(kills).toBeGreaterThanOrEqual(MIN_KILLS);
    // The run is reported for the record (number of kills, acknowledged commits, retried batches).
    console.log(`crash test: ${kills} kills, ${latest} commits, ${acked.size} acknowledged, ${skips} skipped retries`);
  });
});
