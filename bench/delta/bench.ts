/**
 * Delta benchmark: Lakebox against delta-rs (deltalake) on the same machine, in one run.
 *   (a) append N rows (7 mixed columns) read from one Parquet file into a new Delta table, then
 *       read back the rows matching a filter (about 1 %) as row objects;
 *   (b) open the latest snapshot (and its file list) of a table with 10,000 commits and
 *       checkpoints every 100 commits.
 * Usage: bash bench/delta/run.sh [--rows 10000000] [--commits 10000] [--repeat 3]
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeltaTable, checkpoint } from '../../packages/delta/src/table.js';
import { loadSnapshot, tableStore } from '../../packages/delta/src/snapshot.js';
import { readRows } from '../../packages/delta/src/scan.js';
import { writeToTable } from '../../packages/delta/src/write.js';
import { sqlString, withConnection } from '../../packages/delta/src/duckdb.js';
import { padVersion } from '../../packages/delta/src/log.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const python = path.join(repo, '.venv', 'bin', 'python');
const peerScript = path.join(repo, 'bench', 'delta', 'deltars_bench.py');

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const ROWS = arg('rows', 10_000_000);
const COMMITS = arg('commits', 10_000);
const REPEAT = arg('repeat', 3);
const FILTER_LIMIT = 10; // k in [0, 1000): k < 10 selects 1 %

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const r = await fn();
  return [(performance.now() - t) / 1000, r];
}

function deltaRs(...args: string[]): Record<string, unknown> {
  const out = execFileSync(python, [peerScript, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return JSON.parse(out.trim().split('\n').pop()!);
}

async function makeSource(file: string): Promise<void> {
  await withConnection(async (c) => {
    await c.run(`COPY (
      SELECT i::BIGINT AS id,
             (hash(i) % 1000)::INTEGER AS k,
             (i % 100000) / 7.0 AS v,
             'name-' || (i % 50000)::VARCHAR AS s,
             DATE '2020-01-01' + (i % 1500)::INTEGER AS d,
             TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_microseconds(i * 997) AS ts,
             i % 3 = 0 AS b
      FROM range(${ROWS}) t(i)) TO ${sqlString(file)} (FORMAT parquet)`);
  });
}

/** A table with COMMITS commits (one small file added per commit, some removed), checkpoints every 100. */
async function makeLongLog(dir: string): Promise<number> {
  const store = tableStore(dir);
  await DeltaTable.create(store, {
    schema: {
      type: 'struct',
      fields: [
        { name: 'id', type: 'long', nullable: true, metadata: {} },
        { name: 'part', type: 'string', nullable: true, metadata: {} },
      ],
    },
    partitionColumns: ['part'],
    configuration: { 'delta.checkpointInterval': '100' },
  });
  const log = path.join(dir, '_delta_log');
  const t0 = Date.UTC(2025, 0, 1);
  for (let v = 1; v < COMMITS; v++) {
    const ts = t0 + v * 1000;
    const lines: unknown[] = [
      {
        commitInfo: {
          timestamp: ts,
          operation: 'WRITE',
          operationParameters: { mode: 'Append', partitionBy: '[]' },
          isBlindAppend: v % 7 !== 0,
          engineInfo: 'lakebox-bench',
        },
      },
      {
        add: {
          path: `part=p${v % 10}/part-${padVersion(v)}.parquet`,
          partitionValues: { part: `p${v % 10}` },
          size: 1024 + (v % 97),
          modificationTime: ts,
          dataChange: true,
          stats: JSON.stringify({
            numRecords: 10,
            minValues: { id: v * 10 },
            maxValues: { id: v * 10 + 9 },
            nullCount: { id: 0 },
          }),
        },
      },
    ];
    if (v % 7 === 0 && v > 5) {
      lines.push({
        remove: {
          path: `part=p${(v - 5) % 10}/part-${padVersion(v - 5)}.parquet`,
          deletionTimestamp: ts,
          dataChange: true,
          extendedFileMetadata: true,
          partitionValues: { part: `p${(v - 5) % 10}` },
          size: 1024 + ((v - 5) % 97),
        },
      });
    }
    await fs.writeFile(path.join(log, `${padVersion(v)}.json`), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    if (v % 100 === 0) await checkpoint(store, v);
  }
  return COMMITS - 1;
}

async function main(): Promise<void> {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'lakebox-bench-delta-'));
  const results: { name: string; lakebox: number; deltaRs: number; note: string }[] = [];
  try {
    // (a) append + filtered read
    const src = path.join(work, 'source.parquet');
    process.stderr.write(`generating ${ROWS} rows of source data...\n`);
    await makeSource(src);
    const lbTable = path.join(work, 'lakebox_append');
    const rsTable = path.join(work, 'deltars_append');
    process.stderr.write('append: lakebox...\n');
    const [lbWrite, wr] = await timed(() =>
      writeToTable(lbTable, { sql: `SELECT * FROM read_parquet(${sqlString(src)})` }, { mode: 'append' }),
    );
    if (wr.numOutputRows !== ROWS) throw new Error(`lakebox wrote ${wr.numOutputRows} rows, expected ${ROWS}`);
    process.stderr.write('append: delta-rs...\n');
    const rsW = deltaRs('write', src, rsTable);
    results.push({
      name: `append ${ROWS.toLocaleString('en-US')} rows (7 columns) from Parquet`,
      lakebox: lbWrite,
      deltaRs: rsW.seconds as number,
      note: `${wr.numFiles} file(s) vs delta-rs`,
    });

    process.stderr.write('filtered read: lakebox...\n');
    const lbReads: number[] = [];
    let lbRows = 0;
    for (let r = 0; r <= REPEAT; r++) {
      // The first run warms up and is not counted (as on the delta-rs side).
      const [s, rows] = await timed(async () => {
        const snap = await loadSnapshot(tableStore(lbTable));
        return readRows(snap, { filter: { op: '<', column: 'k', value: FILTER_LIMIT } });
      });
      if (r > 0) lbReads.push(s);
      lbRows = rows.length;
    }
    process.stderr.write('filtered read: delta-rs...\n');
    const rsR = deltaRs('read', rsTable, 'k', String(FILTER_LIMIT), String(REPEAT));
    if (rsR.rows !== lbRows) throw new Error(`row counts differ: lakebox ${lbRows}, delta-rs ${String(rsR.rows)}`);
    results.push({
      name: `read back rows with k < ${FILTER_LIMIT} (${lbRows.toLocaleString('en-US')} rows) as row objects`,
      lakebox: median(lbReads),
      deltaRs: rsR.seconds as number,
      note: `median of ${REPEAT}`,
    });
    await fs.rm(src, { force: true });

    // (b) open the latest snapshot of a long log
    const longLog = path.join(work, 'long_log');
    process.stderr.write(`building a table with ${COMMITS} commits...\n`);
    const latest = await makeLongLog(longLog);
    const opens: number[] = [];
    let nFiles = 0;
    for (let r = 0; r <= REPEAT + 2; r++) {
      const [s, snap] = await timed(() => loadSnapshot(tableStore(longLog)));
      if (snap.version !== latest) throw new Error(`lakebox opened version ${snap.version}, expected ${latest}`);
      if (r > 0) opens.push(s);
      nFiles = snap.activeFiles().length;
    }
    const rsO = deltaRs('open', longLog, String(REPEAT + 2));
    if (rsO.version !== latest || rsO.files !== nFiles) {
      throw new Error(
        `delta-rs sees version ${String(rsO.version)} / ${String(rsO.files)} files, lakebox ${latest} / ${nFiles}`,
      );
    }
    results.push({
      name: `open latest snapshot, ${COMMITS.toLocaleString('en-US')} commits (checkpoint every 100), ${nFiles.toLocaleString('en-US')} live files`,
      lakebox: median(opens),
      deltaRs: rsO.seconds as number,
      note: `median of ${REPEAT + 2}`,
    });

    const lines = [
      `| benchmark | Lakebox (s) | delta-rs (s) | Lakebox / delta-rs |`,
      `|---|---:|---:|---:|`,
      ...results.map(
        (r) =>
          `| ${r.name} | ${r.lakebox.toFixed(3)} | ${r.deltaRs.toFixed(3)} | ${(r.lakebox / r.deltaRs).toFixed(2)} |`,
      ),
    ];
    console.log(lines.join('\n'));
    console.log(
      `\ndeltalake ${String(rsW.deltalake)}, pyarrow ${String(rsW.pyarrow)}, node ${process.version}, ` +
        `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${new Date().toISOString()}`,
    );
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

await main();
