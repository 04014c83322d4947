/**
 * Test worker for the crash-safety and concurrency tests: a separate Node process that writes to
 * a Delta table and reports on stdout, one line per event.
 *
 *   append <table> <writerId> <firstSeq> <count> [appId]
 *       Appends `count` small Parquet files (batch `seq` holds rowsFor(seq) rows), one commit each.
 *       With appId, each commit records txn(appId, seq), so a batch that was committed but not
 *       acknowledged before a crash is skipped when retried. Prints READY, then per batch
 *       `ACK <seq> <version> <rows> <attempts>` once commit() returned, or `SKIP <seq> <version>`.
 *   write <table> <writerId> <firstSeq> <count> <appId>
 *       The same batches through the public append API (writeToTable with txnAppId/txnVersion),
 *       printing `ACK <seq> <version> <rows>` or `SKIP <seq> <version>`.
 *   remove <table> <path> <mode: delete|update>
 *       Reads and removes the file at <path> (update also adds a replacement file), prints READY,
 *       waits for a line on stdin, commits, and prints `OK <version>` or `ERR <code>`.
 */
import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { isLakeboxError } from '@lakebox/common';
import type { Add } from '../../src/actions.js';
import { sqlString, withConnection } from '../../src/duckdb.js';
import { DeltaTable } from '../../src/table.js';
import { writeToTable } from '../../src/write.js';

export function rowsFor(seq: number): number {
  return (seq % 7) + 1;
}

/** Write a tiny Parquet file with DuckDB and describe it as an add action. */
export async function writeBatchFile(dir: string, writerId: string, seq: number, rows: number): Promise<Add> {
  const name = `w${writerId}-s${seq}-${randomUUID()}.parquet`;
  const base = Number(writerId) * 1_000_000_000 + seq * 1000;
  await withConnection((c) =>
    c.run(
      `COPY (SELECT ${base} + range AS id, ${seq}::BIGINT AS seq, ${Number(writerId)}::INTEGER AS writer FROM range(${rows})) TO ${sqlString(path.join(dir, name))} (FORMAT parquet)`,
    ),
  );
  const st = await stat(path.join(dir, name));
  return {
    path: name,
    partitionValues: {},
    size: st.size,
    modificationTime: Math.floor(st.mtimeMs),
    dataChange: true,
    stats: JSON.stringify({ numRecords: rows }),
  };
}

async function append(dir: string, writerId: string, first: number, count: number, appId?: string): Promise<void> {
  const table = await DeltaTable.open(dir);
  process.stdout.write('READY\n');
  for (let seq = first; seq < first + count; seq++) {
    const rows = rowsFor(seq);
    const add = await writeBatchFile(dir, writerId, seq, rows);
    const txn = await table.startTransaction();
    if (appId) txn.setAppTransaction(appId, seq);
    txn.addFiles([add]);
    const r = await txn.commit({
      operation: 'WRITE',
      operationParameters: { mode: 'Append', partitionBy: [] },
      operationMetrics: { numFiles: 1, numOutputRows: rows, numOutputBytes: add.size },
    });
    process.stdout.write(r.skipped ? `SKIP ${seq} ${r.version}\n` : `ACK ${seq} ${r.version} ${rows} ${r.attempts}\n`);
  }
}

async function write(dir: string, writerId: string, first: number, count: number, appId: string): Promise<void> {
  const table = await DeltaTable.open(dir);
  process.stdout.write('READY\n');
  for (let seq = first; seq < first + count; seq++) {
    const rows = rowsFor(seq);
    const base = Number(writerId) * 1_000_000_000 + seq * 1000;
    const sql = `SELECT (${base} + range)::BIGINT AS id, ${seq}::BIGINT AS seq, ${Number(writerId)}::INTEGER AS writer FROM range(${rows})`;
    const r = await writeToTable(table, { sql }, { mode: 'append', txnAppId: appId, txnVersion: seq });
    process.stdout.write(r.skipped ? `SKIP ${seq} ${r.version}\n` : `ACK ${seq} ${r.version} ${rows}\n`);
  }
}

async function remove(dir: string, target: string, mode: string): Promise<void> {
  const table = await DeltaTable.open(dir);
  const txn = await table.startTransaction();
  const file = txn.readSnapshot.activeFiles().find((a) => a.path === target);
  if (!file) throw new Error(`file ${target} is not in the table`);
  txn.readFiles([file]);
  txn.removeFiles([{ path: file.path, dataChange: true, partitionValues: file.partitionValues, size: file.size }]);
  if (mode === 'update') txn.addFiles([await writeBatchFile(dir, '9', 0, 1)]);
  process.stdout.write('READY\n');
  const rl = createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => rl.once('line', () => resolve()));
  rl.close();
  try {
    const r = await txn.commit({ operation: mode === 'update' ? 'UPDATE' : 'DELETE' });
    process.stdout.write(`OK ${r.version}\n`);
  } catch (e) {
    if (!isLakeboxError(e)) throw e;
    process.stdout.write(`ERR ${e.code}\n`);
  }
}

// Run only as a program (the tests import rowsFor / writeBatchFile from this module too).
const isMain = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
const [cmd, ...args] = isMain ? process.argv.slice(2) : [];
if (cmd === 'append') {
  await append(args[0]!, args[1]!, Number(args[2]), Number(args[3]), args[4]);
} else if (cmd === 'write') {
  await write(args[0]!, args[1]!, Number(args[2]), Number(args[3]), args[4]!);
} else if (cmd === 'remove') {
  await remove(args[0]!, args[1]!, args[2]!);
} else if (cmd !== undefined) {
  throw new Error(`unknown command ${cmd}`);
}
