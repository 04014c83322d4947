import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../src/data/rng.js';
import { toOnnx, writeMlflowModel } from '../src/export/index.js';
import { GBTEstimator, RandomForestEstimator, type TreeEnsembleModel } from '../src/tree/index.js';
import { runTreesPeer } from './trees-support.js';

/**
 * Exported tree models scored by the real runtimes: the ONNX file by Python onnxruntime, the MLflow
 * model directory by mlflow.pyfunc.load_model. Predictions must equal Lakebox's to 1e-6 (relative
 * for regression outputs, which ONNX's TreeEnsembleRegressor returns as float32). The data has
 * missing values, so the learned default directions are exercised too.
 */
let dir = '';
const n = 3000;
const F = 6;
const columns = Array.from({ length: F }, () => new Float64Array(n));
const yBin = new Float64Array(n);
const yMulti = new Float64Array(n);
const yReg = new Float64Array(n);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lakebox-trees-export-'));
  const rng = new Rng(21);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < F; f++) columns[f][i] = rng.normal() * (f + 1);
    if (rng.next() < 0.1) columns[1][i] = NaN;
    if (rng.next() < 0.05) columns[4][i] = NaN;
    const x1 = Number.isNaN(columns[1][i]) ? 2 : columns[1][i];
    const z = columns[0][i] - 0.5 * x1 + Math.sin(columns[2][i]) + 0.3 * rng.normal();
    yBin[i] = z > 0 ? 1 : 0;
    yMulti[i] = z < -1 ? 3 : z < 0 ? 5 : z < 1 ? 7 : 9; // non-contiguous class values
    yReg[i] = 10 * z + 100;
  }
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const models: Record<string, () => TreeEnsembleModel> = {
  gbt_binary: () =>
    new GBTEstimator({ objective: 'binary', numIterations: 60, numLeaves: 31 }).fit({ columns, label: yBin }),
  gbt_multiclass: () =>
    new GBTEstimator({ objective: 'multiclass', numIterations: 30, numLeaves: 15 }).fit({ columns, label: yMulti }),
  gbt_regression: () =>
    new GBTEstimator({ objective: 'regression', numIterations: 60, maxDepth: 6, numLeaves: 63 }).fit({
      columns,
      label: yReg,
    }),
  rf_classifier: () =>
    new RandomForestEstimator({ numTrees: 10, maxDepth: 8, seed: 2 }).fit({ columns, label: yMulti }),
  rf_regressor: () =>
    new RandomForestEstimator({ task: 'regression', numTrees: 10, maxDepth: 8, seed: 3 }).fit({ columns, label: yReg }),
};

function rowsJson(): string {
  const rows: (number | null)[][] = [];
  for (let i = 0; i < n; i++) rows.push(columns.map((c) => (Number.isNaN(c[i]) ? null : c[i])));
  return JSON.stringify(rows);
}

function compare(m: TreeEnsembleModel, got: Record<string, unknown>): void {
  if (m.spec.task === 'regression') {
    const want = m.predict(columns);
    const v = (got.variable as number[][]).map((r) => r[0]);
    expect(v.length).toBe(n);
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(v[i] - want[i]) / Math.max(1, Math.abs(want[i])));
    expect(worst).toBeLessThan(1e-6);
    return;
  }
  const want = m.predictProba(columns);
  const K = m.classes.length;
  const p = got.probabilities as number[][];
  expect(p.length).toBe(n);
  let worst = 0;
  for (let i = 0; i < n; i++) for (let c = 0; c < K; c++) worst = Math.max(worst, Math.abs(p[i][c] - want[i * K + c]));
  expect(worst).toBeLessThan(1e-6);
  const labels = m.predict(columns);
  const l = got.label as number[];
  let diff = 0;
  for (let i = 0; i < n; i++) if (l[i] !== labels[i]) diff++;
  // a label can only differ where two class probabilities tie within float32 precision
  expect(diff).toBeLessThanOrEqual(1);
}

describe('ONNX export scored by onnxruntime', () => {
  for (const [name, make] of Object.entries(models)) {
    it(name, async () => {
      const m = make();
      const onnxPath = join(dir, `${name}.onnx`);
      writeFileSync(onnxPath, toOnnx(m));
      const xPath = join(dir, 'x.json');
      writeFileSync(xPath, rowsJson());
      const outPath = join(dir, `${name}.onnx.out.json`);
      await runTreesPeer('onnx', onnxPath, xPath, outPath);
      compare(m, JSON.parse(readFileSync(outPath, 'utf8')) as Record<string, unknown>);
    });
  }
});

describe('MLflow model directory loaded by mlflow.pyfunc', () => {
  for (const name of ['gbt_binary', 'gbt_regression', 'rf_classifier']) {
    it(name, async () => {
      const m = models[name]();
      const modelDir = join(dir, `mlflow_${name}`);
      await writeMlflowModel(m, modelDir, { inputExample: [columns.map((c) => c[0]), columns.map((c) => c[1])] });
      const xPath = join(dir, 'x.json');
      writeFileSync(xPath, rowsJson());
      const outPath = join(dir, `${name}.mlflow.out.json`);
      await runTreesPeer('mlflow', modelDir, xPath, outPath);
      const got = JSON.parse(readFileSync(outPath, 'utf8')) as Record<string, unknown>;
      expect(got._flavors).toEqual(['lakebox', 'onnx', 'python_function']);
      expect(String(got._input_schema)).toContain(`(-1, ${F})`);
      compare(m, got);
    });
  }
});
