/**
 * GBT benchmark (see gbt-run.sh): the same features (built once by tests/peers/ml_trees.py from
 * flights-3m.parquet: month, day of month / week / year, hour, distance, origin and destination
 * codes), first 80% of the rows in time order to train, the rest to test.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GBTEstimator } from '../../packages/ml/src/tree/index.js';
import { auc, readXY } from '../../packages/ml/test/trees-support.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const python = path.join(repo, '.venv', 'bin', 'python');
const peer = path.join(repo, 'tests', 'peers', 'ml_trees.py');

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const ROWS = arg('rows', 3_000_000);
const THREADS = arg('threads', 2);
const dir = path.join(repo, '.cache', `bench-ml-gbt-${ROWS}`);

execFileSync(python, [peer, 'flights', dir, String(ROWS), '--no-ref'], { stdio: 'inherit' });
const train = await readXY(path.join(dir, 'flights_train.parquet'));
const test = await readXY(path.join(dir, 'flights_test.parquet'));
console.log(`flights: ${train.numRows} train rows, ${test.numRows} test rows, ${train.columns.length} features`);

const c0 = process.cpuUsage();
const t0 = performance.now();
const model = new GBTEstimator({
  objective: 'binary',
  numIterations: 100,
  numLeaves: 255,
  learningRate: 0.1,
  minDataInLeaf: 20,
  numThreads: THREADS,
}).fit(train);
const lakeboxSeconds = (performance.now() - t0) / 1000;
const cu = process.cpuUsage(c0);
const lakeboxCpu = (cu.user + cu.system) / 1e6;
const p = model.predictProba(test.columns).filter((_, i) => i % 2 === 1);
const lakeboxAuc = auc(test.label, p);
console.log(`lakebox: ${lakeboxSeconds.toFixed(1)} s (${lakeboxCpu.toFixed(1)} s CPU), AUC ${lakeboxAuc.toFixed(4)}`);

// OpenMP threads that spin while waiting burn the CPU their partner needs on a shared machine;
// passive waiting is what Lakebox's worker does (Atomics.wait), so the peers get it too.
const out = execFileSync(python, [peer, 'gbt-bench', dir, String(THREADS)], {
  env: { ...process.env, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE' },
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
});
const r = JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
const rows = [
  ['Lakebox GBT', lakeboxSeconds, lakeboxCpu, lakeboxAuc],
  ['LightGBM', r.lightgbm_seconds, r.lightgbm_cpu, r.lightgbm_auc],
  ['XGBoost hist', r.xgboost_seconds, r.xgboost_cpu, r.xgboost_auc],
] as const;
// CPU seconds (all threads of the process) are reported too: on a shared machine the wall time
// depends on what else runs, the CPU time much less.
console.log(`\n| library | train wall (s) | train CPU (s) | test AUC | wall vs LightGBM | CPU vs LightGBM |`);
console.log(`|---|---|---|---|---|---|`);
for (const [name, s, c, a] of rows) {
  console.log(
    `| ${name} | ${s.toFixed(1)} | ${c.toFixed(1)} | ${a.toFixed(4)} | ${(s / r.lightgbm_seconds).toFixed(2)}x | ${(c / r.lightgbm_cpu).toFixed(2)}x |`,
  );
}
