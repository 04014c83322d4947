/**
 * Logistic-regression benchmark (see linear-run.sh): Lakebox LogisticRegression vs scikit-learn
 * LogisticRegression(lbfgs) on the same synthetic data (bench/ml/linear_sklearn.py gen), the same
 * objective (mean log loss + 1/(2 C n) ||w||^2), the same thread count, one run each.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Frame, vectorColumn } from '../../packages/ml/src/data/frame.js';
import { LogisticRegression } from '../../packages/ml/src/linear/index.js';
import { areaUnderROC, logLoss } from '../../packages/ml/src/evaluation/metrics.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const python = path.join(repo, '.venv', 'bin', 'python');
const peer = path.join(repo, 'bench', 'ml', 'linear_sklearn.py');

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const ROWS = arg('rows', 2_000_000);
const FEATURES = arg('features', 20);
const THREADS = arg('threads', 2);
const C = arg('C', 1);
const dir = path.join(repo, '.cache', `bench-ml-linear-${ROWS}x${FEATURES}`);

if (!existsSync(path.join(dir, 'meta.json'))) {
  execFileSync(python, [peer, 'gen', dir, String(ROWS), String(FEATURES)], { stdio: 'inherit' });
}
function f64(name: string): Float64Array {
  const b = readFileSync(path.join(dir, name));
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}
const xtr = f64('x_train.f64');
const ytr = f64('y_train.f64');
const xte = f64('x_test.f64');
const yte = f64('y_test.f64');
const n = ytr.length;
const train = new Frame({ features: vectorColumn(xtr, FEATURES), label: { kind: 'numeric', values: ytr } });
const test = new Frame({ features: vectorColumn(xte, FEATURES), label: { kind: 'numeric', values: yte } });
console.log(`synthetic: ${n} train rows, ${yte.length} test rows, ${FEATURES} features, ${THREADS} threads`);

const t0 = performance.now();
const c0 = process.cpuUsage();
const model = await new LogisticRegression({
  regParam: 1 / (C * n),
  standardization: false,
  maxIter: 100,
  parallelism: THREADS,
}).fit(train);
const secs = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(c0);
const cpuSecs = (cpu.user + cpu.system) / 1e6;
const pTrain = model.predictProbability(train).filter((_, i) => i % 2 === 1);
const pTest = model.predictProbability(test).filter((_, i) => i % 2 === 1);
let sq = 0;
for (const c of model.coefficients) sq += c * c;
const ours = {
  seconds: secs,
  cpu_seconds: cpuSecs,
  iterations: model.summary?.iterations ?? 0,
  objective: logLoss(ytr, pTrain) + (0.5 / (C * n)) * sq,
  test_log_loss: logLoss(yte, pTest),
  test_auc: areaUnderROC(yte, pTest),
};
console.log(`lakebox: ${secs.toFixed(2)} s (CPU ${cpuSecs.toFixed(2)} s)`);
console.log(
  `load average before scikit-learn: ${(await import('node:os'))
    .loadavg()
    .map((v) => v.toFixed(1))
    .join(' ')}`,
);

const out = execFileSync(python, [peer, 'fit', dir, String(THREADS), String(C)], { encoding: 'utf8' });
const sk = JSON.parse(out.trim().split('\n').pop()!) as typeof ours & { sklearn: string };
console.log(
  `\n| library | fit time (s) | CPU time (s) | iterations | train objective | test log loss | test AUC | time vs scikit-learn |`,
);
console.log(`|---|---|---|---|---|---|---|---|`);
for (const [name, r] of [
  ['Lakebox LogisticRegression (L-BFGS)', ours],
  [`scikit-learn ${sk.sklearn} LogisticRegression(lbfgs)`, sk],
] as const) {
  console.log(
    `| ${name} | ${r.seconds.toFixed(2)} | ${r.cpu_seconds.toFixed(2)} | ${r.iterations} | ${r.objective.toFixed(6)} | ${r.test_log_loss.toFixed(6)} | ${r.test_auc.toFixed(5)} | ${(r.seconds / sk.seconds).toFixed(2)}x |`,
  );
}
process.exit(0);
