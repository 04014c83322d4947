/**
 * TPC-H with the PySpark DataFrame API (issue 4, acceptance 6): the 22 queries of queries.py, run
 * by the same Spark Connect client (client.py, pyspark 4.0.1) against `lakebox start` (embedded
 * engine) and against a real Spark Connect server (Spark 4.0.1, local[2], delta-spark loaded), over
 * the same TPC-H Parquet files, in one run: both servers run side by side and one client process
 * alternates between them query by query (warm-ups on each, then the timed runs interleaved), so the
 * load of other jobs on the machine weighs on both alike. Checks that both return the same rows
 * (values to a relative 1e-6) and prints times, ratios (Spark / Lakebox) and the load average.
 * Usage (via run.sh): bash bench/tpch-dataframe/run.sh [--sf 1] [--warmup 1] [--repeat 3] [--queries q01,q06]
 *   [--spark-memory 6g] [--out results.json] [--lakebox-only]
 * Profiling: LAKEBOX_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR", LAKEBOX_LOG_LEVEL=debug LAKEBOX_LOG_FILE=F.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../tests/support/ports.js';
import { startSparkConnect } from '../../tests/support/spark-connect.js';

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
/** --lakebox-only: time Lakebox alone (for profiling; no ratios). */
const LAKEBOX_ONLY = process.argv.includes('--lakebox-only');
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
  // LAKEBOX_NODE_ARGS: extra node flags for the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env.LAKEBOX_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, bin, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  // LAKEBOX_LOG_FILE: keep the server's log (with LAKEBOX_LOG_LEVEL=debug: every SQL statement run).
  const logFile = process.env.LAKEBOX_LOG_FILE;
  if (logFile) child.stdout!.on('data', (b: Buffer) => fs.appendFileSync(logFile, b));
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

/** One client process, a session per URL, timed runs alternating between them (see client.py). */
async function queries(urls: string[]): Promise<Record<string, Outcome>[]> {
  const child = spawn(python, [client, dataDir, SF, WARMUP, REPEAT, ONLY, ...urls], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, TZ: 'UTC' },
  });
  let stdout = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`client.py exited with ${code}`);
  return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, Outcome>[];
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
  // The machine's load average, sampled every 15 s during the run (reported with the results).
  const loads: number[] = [];
  const sampler = setInterval(() => loads.push(os.loadavg()[0]!), 15_000);
  let lb: Record<string, Outcome>;
  let sp: Record<string, Outcome> = {};
  const server = await lakebox(path.join(tmp, 'lakebox'));
  try {
    console.error(`Lakebox: ${server.url.replace(/token=.*/, 'token=...')}`);
    if (LAKEBOX_ONLY) {
      [lb] = (await queries([server.url])) as [Record<string, Outcome>];
    } else {
      const spark = await startSparkConnect({
        timeoutMs: 600_000,
        conf: { 'spark.sql.shuffle.partitions': '8' },
        memory: opt('spark-memory', '6g'),
      });
      try {
        console.error(`Spark: ${spark.url}`);
        [lb, sp] = (await queries([server.url, spark.url])) as [Record<string, Outcome>, Record<string, Outcome>];
      } finally {
        await spark.stop();
      }
    }
  } finally {
    clearInterval(sampler);
    await server.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const finished = new Date().toISOString();
  const loadText = loads.length
    ? `load average (1 min) during the run: min ${Math.min(...loads).toFixed(1)}, median ${median(loads).toFixed(1)}, max ${Math.max(...loads).toFixed(1)}`
    : `load average ${os.loadavg()[0]!.toFixed(1)}`;
  if (LAKEBOX_ONLY) {
    let total = 0;
    for (const [q, o] of Object.entries(lb)) {
      const t = o.times ? median(o.times) : NaN;
      if (o.times) total += t;
      console.log(`${q} ${o.times ? t.toFixed(3) : o.error} rows=${o.rows?.length ?? '-'}`);
    }
    console.log(`total ${total.toFixed(2)} s; ${loadText}`);
    return;
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
  console.log(
    `TPC-H DataFrame API, SF${SF}, warmup ${WARMUP}, median of ${REPEAT} (alternating); ${started} - ${finished}`,
  );
  console.log(
    `machine: ${os.cpus().length} cores (${os.cpus()[0]?.model}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, load ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} at the end; ${loadText}`,
  );
  console.log(lines.join('\n'));
  if (OUT) fs.writeFileSync(OUT, JSON.stringify({ sf: SF, started, finished, loads, lakebox: lb, spark: sp }, null, 1));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
