/** Helpers shared by the crash and concurrency tests: run the writer worker, read table rows. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sqlString, withConnection } from '../../src/duckdb.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const WORKER = path.join(here, 'writer.ts');

/** Start `writer.ts` in its own Node process; stdout lines are collected as they arrive. */
export function startWorker(args: string[]): { child: ChildProcess; lines: string[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx/esm', WORKER, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    cwd: path.resolve(here, '..', '..', '..', '..'),
  });
  const lines: string[] = [];
  let buf = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    buf += d;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      if (code !== 0 && code !== null) process.stderr.write(`worker exited ${code}: ${stderr}\n`);
      resolve(code);
    }),
  );
  return { child, lines, exited };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(cond: () => boolean, exited: Promise<unknown>, timeoutMs = 60_000): Promise<void> {
  let done = false;
  void exited.then(() => (done = true));
  const start = Date.now();
  while (!cond()) {
    if (done) throw new Error('worker exited early');
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting for the worker');
    await sleep(10);
  }
}

/** Count rows in the table's live files with DuckDB (reads the actual Parquet data). */
export async function countRows(dir: string, files: string[]): Promise<number> {
  if (files.length === 0) return 0;
  const list = files.map((f) => sqlString(path.join(dir, decodeURIComponent(f)))).join(', ');
  return withConnection(async (c) => {
    const r = await c.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM read_parquet([${list}])`);
    return Number(r.getRowObjects()[0]!.n);
  });
}

/** Rows per `seq` value in the given live files (reads the actual Parquet data). */
export async function rowsPerSeq(dir: string, files: string[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  if (files.length === 0) return out;
  const list = files.map((f) => sqlString(path.join(dir, decodeURIComponent(f)))).join(', ');
  await withConnection(async (c) => {
    const r = await c.runAndReadAll(
      `SELECT seq::INTEGER AS seq, count(*)::INTEGER AS n FROM read_parquet([${list}]) GROUP BY seq`,
    );
    for (const row of r.getRowObjects()) out.set(Number(row.seq), Number(row.n));
  });
  return out;
}
