// MLflow store at scale (not in CI): populates a metastore database through MlflowStore (the code
// behind the REST handlers) with RUNS runs and one run with POINTS metric points, then times the
// store calls (no HTTP, no client): search_runs with a filter and order_by, get_run of the big run,
// its metric history (full and paged) and the bulk-interval history.
// With --keep DIR the SQLite file is left in DIR/metastore.db, ready for `lakebox start --data DIR`
// (bench/mlflow/run.sh uses it to time the same calls through the Python client).
// Usage: npx tsx bench/mlflow/scale.ts [--runs 100000] [--points 1000000] [--keep DIR] [--bulk]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { CompiledQuery } from 'kysely';
import { openMetastoreDb, runMigrations } from '@lakebox/catalog';
import { MlflowStore, mlflowMigrations } from '@lakebox/mlflow';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
}
const runs = Number(arg('runs', '10000'));
const points = Number(arg('points', '1000000'));
const keep = arg('keep', '');
const dir = keep || fs.mkdtempSync(path.join(os.tmpdir(), 'lakebox-mlflow-scale-'));
fs.mkdirSync(dir, { recursive: true });
const { db, dialect, close } = openMetastoreDb({ url: `sqlite:${path.join(dir, 'metastore.db')}` });
await runMigrations(db as never, mlflowMigrations, 'lakebox_mlflow_migrations');
const store = new MlflowStore(db as never, dialect, path.join(dir, 'mlflow-artifacts'));
await store.init();

async function timed(label: string, n: number, f: () => Promise<unknown>): Promise<Record<string, number>> {
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await f();
    t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  const r = { p50: +t[Math.floor(n / 2)]!.toFixed(2), max: +t[n - 1]!.toFixed(2) };
  console.error(`${label}: p50 ${r.p50} ms, max ${r.max} ms`);
  return r;
}

const out: Record<string, unknown> = { runs, points };
const exp = (await store.createExperiment({ name: `scale-${Date.now()}` }, 'bench')).experiment_id as string;
out.experiment_id = exp;
let t0 = performance.now();
if (process.argv.includes('--bulk')) {
  // --bulk: the same rows written straight into the tables in one transaction (what the store
  // writes for create_run + log_batch), so 100,000 runs populate in seconds on a busy machine
  const now = Date.now();
  await db.transaction().execute(async (tx) => {
    const ins = async (table: string, cols: string[], rows: unknown[][]) => {
      for (let i = 0; i < rows.length; i += 500) {
        const chunk = rows.slice(i, i + 500);
        const ph = chunk.map(() => `(${cols.map(() => '?').join(', ')})`).join(', ');
        await tx.executeQuery(
          CompiledQuery.raw(`INSERT INTO ${table} (${cols.join(', ')}) VALUES ${ph}`, chunk.flat()),
        );
      }
    };
    const runRows: unknown[][] = [];
    const params: unknown[][] = [];
    const tags: unknown[][] = [];
    const latest: unknown[][] = [];
    const points: unknown[][] = [];
    for (let k = 0; k < runs; k++) {
      const id = randomBytes(16).toString('hex');
      runRows.push([
        id,
        Number(exp),
        `r${k}`,
        'bench',
        'RUNNING',
        now + k,
        'active',
        `mlflow-artifacts:/${exp}/${id}/artifacts`,
      ]);
      params.push([id, 'group', k % 2 === 0 ? 'a' : 'b'], [id, 'depth', String(k % 10)]);
      tags.push([id, 'kind', 'bench'], [id, 'mlflow.runName', `r${k}`]);
      for (const [key, v] of [
        ['score', ((k * 7919) % 1000) / 1000],
        ['loss', k / runs],
      ] as const) {
        latest.push([id, key, v, 0, now, 0, Number(exp)]);
        points.push([id, key, v, 0, now, 0]);
      }
    }
    await ins(
      'mlflow_runs',
      ['run_uuid', 'experiment_id', 'name', 'user_id', 'status', 'start_time', 'lifecycle_stage', 'artifact_uri'],
      runRows,
    );
    await ins('mlflow_params', ['run_uuid', 'key', 'value'], params);
    await ins('mlflow_tags', ['run_uuid', 'key', 'value'], tags);
    await ins(
      'mlflow_latest_metrics',
      ['run_uuid', 'key', 'value', 'is_nan', 'timestamp', 'step', 'experiment_id'],
      latest,
    );
    await ins('mlflow_metrics', ['run_uuid', 'key', 'value', 'is_nan', 'timestamp', 'step'], points);
  });
} else {
  const batch = 200;
  for (let i = 0; i < runs; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, runs - i) }, async (_, j) => {
        const k = i + j;
        const run = (await store.createRun({ experiment_id: exp }, 'bench')).run as { info: { run_id: string } };
        const ts = Date.now();
        await store.logBatch({
          run_id: run.info.run_id,
          metrics: [
            { key: 'score', value: ((k * 7919) % 1000) / 1000, timestamp: ts, step: 0 },
            { key: 'loss', value: k / runs, timestamp: ts, step: 0 },
          ],
          params: [
            { key: 'group', value: k % 2 === 0 ? 'a' : 'b' },
            { key: 'depth', value: String(k % 10) },
          ],
          tags: [{ key: 'kind', value: 'bench' }],
        });
      }),
    );
  }
}
out.populate_runs_per_s = Math.round(runs / ((performance.now() - t0) / 1000));
const search = {
  experiment_ids: [exp],
  filter: "metrics.score > 0.5 and params.group = 'a'",
  order_by: ['metrics.score DESC'],
  max_results: 100,
};
const res = (await store.searchRuns(search)) as { runs: unknown[] };
if (res.runs.length !== Math.min(100, Math.floor(runs / 4))) throw new Error(`unexpected ${res.runs.length} runs`);
out.search_runs = await timed(`search_runs over ${runs} runs`, 20, () => store.searchRuns(search));
out.search_runs_plain = await timed('search_runs, no filter', 20, () =>
  store.searchRuns({ experiment_ids: [exp], max_results: 100 }),
);

// one run with `points` metric points (1,000 per log_batch, as the client sends them)
const big = ((await store.createRun({ experiment_id: exp }, 'bench')).run as { info: { run_id: string } }).info.run_id;
t0 = performance.now();
const keys = 10;
for (let i = 0; i < points; i += 1000) {
  const ts = Date.now();
  const metrics = [];
  for (let j = 0; j < 1000 && i + j < points; j++) {
    const n = i + j;
    metrics.push({ key: `m${n % keys}`, value: Math.sin(n), timestamp: ts, step: Math.floor(n / keys) });
  }
  await store.logBatch({ run_id: big, metrics });
}
out.log_batch_metrics_per_s = Math.round(points / ((performance.now() - t0) / 1000));
out.get_run_big = await timed(`get_run (${points} points)`, 20, () => store.getRun({ run_id: big }));
out.metric_history_full = await timed(`get_metric_history of one key (${points / keys} points)`, 3, () =>
  store.metricHistory({ run_id: big, metric_key: 'm3' }),
);
out.metric_history_page = await timed('get_metric_history page of 1,000', 20, () =>
  store.metricHistory({ run_id: big, metric_key: 'm3', max_results: 1000 }),
);
out.metric_history_bulk_interval = await timed('get_metric_history_bulk_interval (320 steps)', 20, () =>
  store.metricHistoryBulkInterval({ run_ids: [big], metric_key: 'm3', max_results: 320 }),
);
console.log(JSON.stringify(out));
await close();
if (!keep) fs.rmSync(dir, { recursive: true, force: true });
