/**
 * TPC-H with the PySpark DataFrame API (issue 4, acceptance 6): the 22 queries of queries.py, run
 * by the same Spark Connect client (client.py, pyspark 4.0.1) against `lakebox start` (embedded
 * engine) and against a real Spark Connect server (Spark 4.0.1, local[2], delta-spark loaded), over
 * the same TPC-H Parquet files, one after the other in one run. Checks that both return the same
 * rows (values to a relative 1e-6) and prints times and ratios (Spark / Lakebox).
 * Usage (via run.sh): bash bench/tpch-dataframe/run.sh [--sf 1] [--warmup 1] [--repeat 3] [--queries q01,q06]
 *   [--spark-memory 6g] [--out results.json]
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '../../tests/support/ports.js';
import { startSparkConnect } from '../../tests/support/spark-connect.js';

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const python = path.join(repo, '.venv', 'bin', 'python');
const client = path.join(repo, 'bench', 'tpch-dataframe', 'client.py');

function opt(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
}
const SF = opt('sf', '1');
const WARMUP = opt('warmup', '1');
const REPEAT = opt('repeat', '3');
const ONLY = opt('queries', '');
const OUT = opt('out', '');
const dataDir = path.join(repo, '.cache', 'tpch', `sf${SF}`);

interface Outcome {
  times?: number[];
  rows?: unknown[][];
  error?: string;
}

async function lakebox(dir: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const httpPort = await freePort();
  const scPort = await freePort();
  const bin = path.join(repo, 'packages', 'cli', 'bin', 'lakebox.js');
  const args = ['start', '--port', String(httpPort), '--spark-connect-port', String(scPort), '--data', dir];
  const child: ChildProcess = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', () => out.includes('"service":"spark-connect"') && resolve());
    child.once('exit', (code) => reject(new Error(`lakebox start exited with ${code}:\n${out}`)));
  });
  const token = /lbx_[0-9a-f]{64}/.exec(out)![0];
  return {
    url: `sc://localhost:${scPort}/;token=${token}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function queries(url: string): Promise<Record<string, Outcome>> {
  const { stdout } = await run(python, [client, url, dataDir, SF, WARMUP, REPEAT, ONLY], {
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, TZ: 'UTC' },
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, Outcome>;
}

function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number')
    return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  return a === b;
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(dataDir, '.complete'))) throw new Error(`no TPC-H data in ${dataDir}: use run.sh`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lakebox-tpch-df-'));
  const started = new Date().toISOString();
  let lb: Record<string, Outcome>;
  let sp: Record<string, Outcome>;
  const server = await lakebox(path.join(tmp, 'lakebox'));
  try {
    console.error(`Lakebox: ${server.url.replace(/token=.*/, 'token=...')}`);
    lb = await queries(server.url);
  } finally {
    await server.stop();
  }
  const spark = await startSparkConnect({
    timeoutMs: 600_000,
    conf: { 'spark.sql.shuffle.partitions': '8' },
    memory: opt('spark-memory', '6g'),
  });
  try {
    console.error(`Spark: ${spark.url}`);
    sp = await queries(spark.url);
  } finally {
    await spark.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const lines = [`| query | Lakebox (s) | Spark (s) | Spark / Lakebox | same rows |`, `|---|---:|---:|---:|---|`];
  let tl = 0;
  let ts = 0;
  const ratios: number[] = [];
  for (const q of Object.keys(sp).sort()) {
    const a = lb[q];
    const b = sp[q]!;
    if (!a?.times || !b.times) {
      lines.push(`| ${q} | ${a?.error ?? '-'} | ${b.error ?? '-'} | - | - |`);
      continue;
    }
    const ma = median(a.times);
    const mb = median(b.times);
    tl += ma;
    ts += mb;
    ratios.push(mb / ma);
    lines.push(
      `| ${q} | ${ma.toFixed(3)} | ${mb.toFixed(3)} | ${(mb / ma).toFixed(1)}x | ${same(a.rows, b.rows) ? 'yes' : 'NO'} |`,
    );
  }
  const geo = Math.exp(ratios.reduce((s, r) => s + Math.log(r), 0) / Math.max(1, ratios.length));
  lines.push(`| total | ${tl.toFixed(2)} | ${ts.toFixed(2)} | ${(ts / tl).toFixed(1)}x | |`);
  lines.push(`| geometric mean of ratios | | | ${geo.toFixed(1)}x | |`);
  console.log(`TPC-H DataFrame API, SF${SF}, warmup ${WARMUP}, median of ${REPEAT}; started ${started}`);
  console.log(
    `machine: ${os.cpus().length} cores (${os.cpus()[0]?.model}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, load ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
  console.log(lines.join('\n'));
  if (OUT) fs.writeFileSync(OUT, JSON.stringify({ sf: SF, started, lakebox: lb, spark: sp }, null, 1));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
