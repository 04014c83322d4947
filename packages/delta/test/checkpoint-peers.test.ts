/**
 * Checkpoints Lakebox writes are read by delta-rs (the `deltalake` Python package from .venv) with
 * the commits they cover deleted, so the table state can only come from the Parquet checkpoint:
 * live files, partition values (including NULL), stats, txn watermarks, protocol and metadata.
 * (Spark reading Lakebox checkpoints is covered by interop.test.ts.)
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Add } from '../src/actions.js';
import { commitPath } from '../src/log.js';
import { loadSnapshot } from '../src/snapshot.js';
import { DeltaTable, checkpoint } from '../src/table.js';
import { rowsFor, writeBatchFile } from './fixtures-bin/writer.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const PYTHON = path.join(repo, '.venv', 'bin', 'python');

const READ_WITH_DELTA_RS = `
import json, sys
from deltalake import DeltaTable
import pyarrow as pa
t = DeltaTable(sys.argv[1])
adds = pa.table(t.get_add_actions(flatten=True)).to_pylist()
print(json.dumps({
  "version": t.version(),
  "protocol": [t.protocol().min_reader_version, t.protocol().min_writer_version],
  "partitionColumns": t.metadata().partition_columns,
  "configuration": t.metadata().configuration,
  "rows": t.to_pyarrow_table().num_rows,
  "files": sorted((a["path"], a.get("partition.part"), a["num_records"]) for a in adds),
  "txn": t.transaction_version("app"),
}, default=str))
`;

describe('checkpoints written by Lakebox', () => {
  it('are read by delta-rs with the commits they cover deleted', async () => {
    expect(existsSync(PYTHON), `missing ${PYTHON}: run bash scripts/python-env.sh`).toBe(true);
    const dir = await mkdtemp(path.join(tmpdir(), 'lbx-cp-rs-'));
    try {
      const t = await DeltaTable.create(dir, {
        schema: {
          type: 'struct',
          fields: [
            { name: 'id', type: 'long', nullable: true, metadata: {} },
            { name: 'seq', type: 'long', nullable: true, metadata: {} },
            { name: 'writer', type: 'integer', nullable: true, metadata: {} },
            { name: 'part', type: 'string', nullable: true, metadata: {} },
          ],
        },
        partitionColumns: ['part'],
        configuration: { 'delta.checkpointInterval': '1000', 'delta.appendOnly': 'false' },
      });
      const adds: Add[] = [];
      for (let seq = 1; seq <= 6; seq++) {
        const txn = await t.startTransaction();
        const file = await writeBatchFile(dir, '1', seq, rowsFor(seq));
        const a: Add = { ...file, partitionValues: { part: seq % 3 === 0 ? null : `p${seq % 2}` } };
        adds.push(a);
        txn.addFiles([a]);
        txn.setAppTransaction('app', seq);
        if (seq === 6) {
          txn.readFiles([adds[0]!]);
          txn.removeFiles([{ path: adds[0]!.path, dataChange: true, partitionValues: adds[0]!.partitionValues }]);
        }
        await txn.commit({ operation: 'WRITE', operationParameters: { mode: 'Append', partitionBy: ['part'] } });
      }
      expect(await checkpoint(t)).toMatchObject({ version: 6, numOfAddFiles: 5 });
      // Keep only the checkpoint and the commit at its version (which Spark also needs).
      for (let v = 0; v < 6; v++) await t.store.delete(commitPath(v));
      const ours = await loadSnapshot(t.store);
      expect(ours.segment.checkpoint?.version).toBe(6);

      const { stdout } = await promisify(execFile)(PYTHON, ['-c', READ_WITH_DELTA_RS, dir]);
      const rs = JSON.parse(stdout) as {
        version: number;
        protocol: number[];
        partitionColumns: string[];
        configuration: Record<string, string>;
        rows: number;
        files: [string, string | null, number][];
        txn: number;
      };
      expect(rs.version).toBe(6);
      expect(rs.protocol).toEqual([1, 2]);
      expect(rs.partitionColumns).toEqual(['part']);
      expect(rs.configuration).toEqual({ 'delta.checkpointInterval': '1000', 'delta.appendOnly': 'false' });
      expect(rs.txn).toBe(6);
      const live = adds.slice(1);
      expect(rs.files).toEqual(
        live
          .map((a): [string, string | null, number] => [
            a.path,
            a.partitionValues.part ?? null,
            JSON.parse(a.stats!).numRecords as number,
          ])
          .sort(),
      );
      expect(rs.rows).toBe(live.reduce((n, a) => n + (JSON.parse(a.stats!).numRecords as number), 0));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
