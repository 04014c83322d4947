/**
 * TPC-H SF1 benchmark: the 22 TPC-H queries (bench/tpch/queries) through Lakebox SQL over Delta
 * tables, through DuckDB (@duckdb/node-api, the library version Lakebox uses) reading the same
 * Parquet data files directly, and through Apache Spark local[2] + delta-spark over the same Delta
 * tables, in one run. Checks that the three engines agree (row counts, values to a tolerance) and
 * prints a table of times and ratios.
 * Usage (via run.sh): bash bench/tpch/run.sh [--sf 1] [--warmup 1] [--repeat 3]
 *   [--spark-warmup 1] [--spark-repeat 3] [--queries q01,q02] [--no-spark]
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { openEmbedded } from '../../packages/engine/src/index.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const python = path.join(repo, '.venv', 'bin', 'python');
const queryDir = path.join(repo, 'bench', 'tpch', 'queries');
const TABLES = ['region', 'nation', 'supplier', 'customer', 'part', 'partsupp', 'orders', 'lineitem'];

function opt(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}
const SF = opt('sf', '1');
const WARMUP = Number(opt('warmup', '1'));
const REPEAT = Number(opt('repeat', '3'));
const SPARK_WARMUP = Number(opt('spark-warmup', '1'));
const SPARK_REPEAT = Number(opt('spark-repeat', '3'));
const ONLY = opt('queries', '');
const NO_SPARK = process.argv.includes('--no-spark');
const dataDir = path.join(repo, '.cache', 'tpch', `sf${SF}`);

type Row = unknown[];
interface Outcome {
  times?: number[];
  rows?: Row[];
  error?: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function measure(run: () => Promise<Row[]>, warmup: number, repeat: number): Promise<Outcome> {
  try {
    for (let i = 0; i < warmup; i++) await run();
    const times: number[] = [];
    let rows: Row[] = [];
    for (let i = 0; i < repeat; i++) {
      const t = performance.now();
      rows = await run();
      times.push((performance.now() - t) / 1000);
    }
    return { times, rows };
  } catch (e) {
    return { error: (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 300) };
  }
}

/** Values to compare: numbers (also numeric strings such as decimals) or strings. */
function norm(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && /^-?\d+(\.\d+)?(e[-+]?\d+)?$/i.test(v)) return Number(v);
  return v;
}
function same(a: unknown, b: unknown): boolean {
  const x = norm(a);
  const y = norm(b);
  if (typeof x === 'number' && typeof y === 'number') {
    return Math.abs(x - y) <= 1e-4 + 1e-9 * Math.max(Math.abs(x), Math.abs(y));
  }
  return String(x) === String(y);
}
function rowsAgree(a: Row[], b: Row[]): boolean {
  const eq = (p: Row[], q: Row[]): boolean =>
    p.every((r, i) => r.length === q[i].length && r.every((v, j) => same(v, q[i][j])));
  if (a.length !== b.length) return false;
  if (eq(a, b)) return true;
  // Ties in ORDER BY may come back in a different order: compare sorted.
  const key = (r: Row): string =>
    JSON.stringify(r.map((v) => (typeof norm(v) === 'number' ? (norm(v) as number).toPrecision(8) : v)));
  const sa = [...a].sort((p, q) => key(p).localeCompare(key(q)));
  const sb = [...b].sort((p, q) => key(p).localeCompare(key(q)));
  return eq(sa, sb);
}

const fmt = (s: number | undefined): string => (s === undefined ? 'n/a' : s.toFixed(3));

async function main(): Promise<void> {
  const queries = fs
    .readdirSync(queryDir)
    .filter((f) => f.endsWith('.sql'))
    .map((f) => f.slice(0, -4))
    .filter((q) => !ONLY || ONLY.split(',').includes(q))
    .sort();
  const text = (q: string): string => fs.readFileSync(path.join(queryDir, `${q}.sql`), 'utf8');

  // Lakebox: a temporary metastore + data dir; load each table as Delta through Lakebox SQL.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lakebox-tpch-'));
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      fs.rmSync(tmp, { recursive: true, force: true });
      process.exit(130);
    });
  }
  const lb = await openEmbedded({
    metastoreUrl: `sqlite:${path.join(tmp, 'metastore.db')}`,
    storageRoot: path.join(tmp, 'data'),
    volumesRoot: path.join(tmp, 'volumes'),
  });
  const locations: Record<string, string> = {};
  try {
    await lb.run('CREATE SCHEMA IF NOT EXISTS main.tpch');
    await lb.run('USE main.tpch');
    const loadStart = performance.now();
    for (const t of TABLES) {
      const src = path.join(dataDir, `${t}.parquet`);
      await lb.run(`CREATE TABLE ${t} AS SELECT * FROM parquet.\`${src}\``);
      const detail = await lb.run(`DESCRIBE DETAIL ${t}`);
      const col = detail.columns.findIndex((c) => c.name === 'location');
      locations[t] = fileURLToPath(new URL(String(detail.rows[0][col]).replace(/^(?!file:)/, 'file://')));
    }
    console.log(
      `loaded ${TABLES.length} Delta tables through Lakebox in ${((performance.now() - loadStart) / 1000).toFixed(1)} s`,
    );

    // DuckDB directly over the Parquet data files of the same Delta tables (no Delta log, no
    // translation): one view per table.
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    for (const t of TABLES) {
      const glob = path.join(locations[t], '**', '*.parquet').replace(/'/g, "''");
      await conn.run(`CREATE VIEW ${t} AS SELECT * FROM read_parquet('${glob}')`);
    }

    // Per query: warm-ups of both, then Lakebox and DuckDB runs alternate, so that the load of
    // other jobs on a shared machine drifts over both alike.
    const lakebox: Record<string, Outcome> = {};
    const duck: Record<string, Outcome> = {};
    for (const q of queries) {
      const sql = text(q);
      const runL = async (): Promise<Row[]> => (await lb.run(sql)).rows;
      const runD = async (): Promise<Row[]> => (await conn.runAndReadAll(sql)).getRowsJson() as Row[];
      lakebox[q] = await measure(runL, WARMUP, 0);
      duck[q] = await measure(runD, WARMUP, 0);
      for (let i = 0; i < REPEAT; i++) {
        for (const [out, run] of [
          [lakebox, runL],
          [duck, runD],
        ] as const) {
          if (out[q].error) continue;
          const one = await measure(run, 0, 1);
          if (one.error) out[q] = one;
          else out[q] = { times: [...(out[q].times ?? []), ...one.times!], rows: one.rows! };
        }
      }
      for (const [name, out] of [
        ['lakebox', lakebox],
        ['duckdb ', duck],
      ] as const) {
        console.log(`${name} ${q}: ${out[q].error ?? out[q].times!.map(fmt).join(' ')}`);
      }
    }
    conn.closeSync();

    let spark: Record<string, Outcome> = {};
    if (!NO_SPARK) {
      const out = execFileSync(
        python,
        [
          path.join(repo, 'bench', 'tpch', 'spark_tpch.py'),
          JSON.stringify(locations),
          queryDir,
          String(SPARK_WARMUP),
          String(SPARK_REPEAT),
          queries.join(','),
        ],
        { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      spark = JSON.parse(out.trim().split('\n').pop()!) as Record<string, Outcome>;
    }

    // Report.
    const lines: string[] = [];
    lines.push(
      '| query | Lakebox (s) | DuckDB direct (s) | Spark local[2] (s) | Lakebox / DuckDB | Spark / Lakebox | rows | results agree |',
    );
    lines.push('|---|---|---|---|---|---|---|---|');
    let tl = 0;
    let td = 0;
    let ts = 0;
    let allOk = true;
    for (const q of queries) {
      const l = lakebox[q];
      const d = duck[q];
      const s = spark[q];
      const ml = l.times ? median(l.times) : undefined;
      const md = d.times ? median(d.times) : undefined;
      const ms = s?.times ? median(s.times) : undefined;
      if (ml !== undefined && md !== undefined) {
        tl += ml;
        td += md;
        if (ms !== undefined) ts += ms;
      } else allOk = false;
      const agree: string[] = [];
      if (l.rows && d.rows) agree.push(rowsAgree(l.rows, d.rows) ? 'duckdb yes' : 'duckdb NO');
      if (l.rows && s?.rows) agree.push(rowsAgree(l.rows, s.rows) ? 'spark yes' : 'spark NO');
      const errs = [
        l.error && `Lakebox error: ${l.error}`,
        d.error && `DuckDB error: ${d.error}`,
        s?.error && `Spark error: ${s.error}`,
      ]
        .filter(Boolean)
        .join('; ');
      lines.push(
        `| ${q} | ${fmt(ml)} | ${fmt(md)} | ${NO_SPARK ? 'skipped' : fmt(ms)} | ${ml && md ? (ml / md).toFixed(2) + 'x' : 'n/a'} | ${ml && ms ? (ms / ml).toFixed(1) + 'x' : 'n/a'} | ${l.rows?.length ?? d.rows?.length ?? 'n/a'} | ${[...agree, errs].filter(Boolean).join(', ')} |`,
      );
    }
    lines.push(
      `| **total${allOk ? '' : ' (queries all engines ran)'}** | **${tl.toFixed(2)}** | **${td.toFixed(2)}** | **${NO_SPARK ? 'skipped' : ts.toFixed(2)}** | **${(tl / td).toFixed(2)}x** | **${NO_SPARK ? 'n/a' : (ts / tl).toFixed(1) + 'x'}** | | |`,
    );
    console.log(
      `\nTPC-H SF${SF}; medians of ${REPEAT} warm runs (${WARMUP} warm-up) for Lakebox and DuckDB, ${SPARK_REPEAT} (${SPARK_WARMUP} warm-up) for Spark`,
    );
    console.log(
      `load average at end: ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(', ')}\n`,
    );
    console.log(lines.join('\n'));
  } finally {
    await lb.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
