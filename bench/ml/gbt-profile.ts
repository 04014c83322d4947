/**
 * Quick GBT timing on a slice of the benchmark data (for profiling, not a benchmark):
 *   node --cpu-prof --import tsx bench/ml/gbt-profile.ts [--rows 300000] [--threads 2] [--trees 100]
 * Needs .cache/bench-ml-gbt-3000000 (built by gbt-run.sh).
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GBTEstimator } from '../../packages/ml/src/tree/index.js';
import { auc, readXY } from '../../packages/ml/test/trees-support.js';

const repo = process.env.REPO ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const ROWS = arg('rows', 300_000);
const dir = path.join(repo, '.cache', 'bench-ml-gbt-3000000');
const all = await readXY(path.join(dir, 'flights_train.parquet'));
const test = await readXY(path.join(dir, 'flights_test.parquet'));
const train = {
  columns: all.columns.map((c) => c.slice(0, ROWS)),
  label: all.label.slice(0, ROWS),
  featureNames: all.featureNames,
  numRows: Math.min(ROWS, all.numRows),
};
const c0 = process.cpuUsage();
const t0 = performance.now();
const model = new GBTEstimator({
  objective: 'binary',
  numIterations: arg('trees', 100),
  numLeaves: 255,
  learningRate: 0.1,
  minDataInLeaf: 20,
  numThreads: arg('threads', 2),
}).fit(train);
const s = (performance.now() - t0) / 1000;
const cu = process.cpuUsage(c0);
const p = model.predictProba(test.columns).filter((_, i) => i % 2 === 1);
console.log(
  `${train.numRows} rows: ${s.toFixed(2)} s wall, ${((cu.user + cu.system) / 1e6).toFixed(2)} s CPU, test AUC ${auc(test.label, p).toFixed(4)}`,
);
