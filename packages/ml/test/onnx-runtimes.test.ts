import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Frame, vectorColumn } from '../src/data/frame.js';
import { Rng } from '../src/data/rng.js';
import { linearToOnnx, toOnnx } from '../src/export/index.js';
import { LinearRegression, LogisticRegression } from '../src/linear/index.js';
import { GBTEstimator, RandomForestEstimator, type TreeEnsembleModel } from '../src/tree/index.js';
import { runTreesPeer } from './trees-support.js';

/**
 * Exported ONNX models scored by onnxruntime for Node (onnxruntime-node) and for Python
 * (onnxruntime from .venv): linear models (binary and multinomial logistic regression, linear
 * regression) and tree ensembles (GBT classifier and regressor, random forest classifier and
 * regressor). Every output must equal Lakebox's prediction to 1e-6 (relative for the tree
 * regressors' float32 `variable`).
 */
let dir = '';
const n = 2000;
const F = 5;
const columns = Array.from({ length: F }, () => new Float64Array(n));
const yBin = new Float64Array(n);
const yMulti = new Float64Array(n);
const yReg = new Float64Array(n);
const treeColumns = Array.from({ length: F }, () => new Float64Array(n)); // with missing values

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lakebox-onnx-runtimes-'));
  const rng = new Rng(5);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < F; f++) columns[f][i] = rng.normal() * (f + 1) + f;
    const z = columns[0][i] - 0.4 * columns[1][i] + 0.2 * columns[3][i] - 1 + 0.5 * rng.normal();
    yBin[i] = z > 0 ? 1 : 0;
    yMulti[i] = z < -1.5 ? 0 : z < 0.5 ? 1 : 2;
    yReg[i] = 3 * z + 7;
    for (let f = 0; f < F; f++) treeColumns[f][i] = f === 2 && rng.next() < 0.1 ? NaN : columns[f][i];
  }
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function vectorFrame(label: Float64Array): Frame {
  const x = new Float64Array(n * F);
  for (let i = 0; i < n; i++) for (let f = 0; f < F; f++) x[i * F + f] = columns[f][i];
  return new Frame({ features: vectorColumn(x, F), label: { kind: 'numeric', values: label } });
}

function inputMatrix(cols: Float64Array[]): Float64Array {
  const x = new Float64Array(n * F);
  for (let i = 0; i < n; i++) for (let f = 0; f < F; f++) x[i * F + f] = cols[f][i];
  return x;
}

type Outputs = Record<string, ArrayLike<number>>;

/** Score with onnxruntime-node; outputs flattened row-major. */
async function scoreNode(bytes: Uint8Array, cols: Float64Array[]): Promise<Outputs> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const res = await session.run({ input: new ort.Tensor('float64', inputMatrix(cols), [n, F]) });
    const out: Outputs = {};
    for (const name of session.outputNames) out[name] = res[name].data as ArrayLike<number>;
    return out;
  } finally {
    await session.release();
  }
}

/** Score with Python onnxruntime (tests/peers/ml_trees.py onnx); outputs flattened row-major. */
async function scorePython(name: string, bytes: Uint8Array, cols: Float64Array[]): Promise<Outputs> {
  const onnxPath = join(dir, `${name}.onnx`);
  writeFileSync(onnxPath, bytes);
  const xPath = join(dir, `${name}.x.json`);
  const rows: (number | null)[][] = [];
  for (let i = 0; i < n; i++) rows.push(cols.map((c) => (Number.isNaN(c[i]) ? null : c[i])));
  writeFileSync(xPath, JSON.stringify(rows));
  const outPath = join(dir, `${name}.out.json`);
  await runTreesPeer('onnx', onnxPath, xPath, outPath);
  const got = JSON.parse(readFileSync(outPath, 'utf8')) as Record<string, unknown>;
  const out: Outputs = {};
  for (const [k, v] of Object.entries(got)) out[k] = (v as unknown[]).flat() as number[];
  return out;
}

function worstDiff(got: ArrayLike<number>, want: ArrayLike<number>, relative = false): number {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(Number(got[i]) - want[i]);
    worst = Math.max(worst, relative ? d / Math.max(1, Math.abs(want[i])) : d);
  }
  return worst;
}

interface Case {
  bytes: Uint8Array;
  cols: Float64Array[];
  /** Expected outputs (flattened) and whether each is compared relatively. */
  want: Record<string, { values: ArrayLike<number>; relative?: boolean; maxMismatches?: number }>;
}

const cases: Record<string, () => Promise<Case>> = {
  logistic_binary: async () => {
    const frame = vectorFrame(yBin);
    const m = await new LogisticRegression({ regParam: 0.01 }).fit(frame);
    return {
      bytes: linearToOnnx(m),
      cols: columns,
      want: { probabilities: { values: m.predictProbability(frame) }, label: { values: m.predict(frame) } },
    };
  },
  logistic_multinomial: async () => {
    const frame = vectorFrame(yMulti);
    const m = await new LogisticRegression({ regParam: 0.001 }).fit(frame);
    expect(m.data.multinomial).toBe(true);
    return {
      bytes: linearToOnnx(m),
      cols: columns,
      want: { probabilities: { values: m.predictProbability(frame) }, label: { values: m.predict(frame) } },
    };
  },
  linear_regression: async () => {
    const frame = vectorFrame(yReg);
    const m = await new LinearRegression({ regParam: 0.1, elasticNetParam: 0.5 }).fit(frame);
    return { bytes: linearToOnnx(m), cols: columns, want: { variable: { values: m.predict(frame) } } };
  },
  gbt_classifier: async () =>
    treeCase(new GBTEstimator({ objective: 'multiclass', numIterations: 20 }).fit(data(yMulti))),
  gbt_binary: async () => treeCase(new GBTEstimator({ objective: 'binary', numIterations: 40 }).fit(data(yBin))),
  gbt_regressor: async () =>
    treeCase(new GBTEstimator({ objective: 'regression', numIterations: 40, maxDepth: 5 }).fit(data(yReg))),
  rf_classifier: async () => treeCase(new RandomForestEstimator({ numTrees: 10, maxDepth: 8 }).fit(data(yMulti))),
  rf_regressor: async () =>
    treeCase(new RandomForestEstimator({ task: 'regression', numTrees: 10, maxDepth: 8 }).fit(data(yReg))),
};

function data(label: Float64Array): { columns: Float64Array[]; label: Float64Array } {
  return { columns: treeColumns, label };
}

function treeCase(m: TreeEnsembleModel): Case {
  const bytes = toOnnx(m);
  if (m.spec.task === 'regression') {
    return { bytes, cols: treeColumns, want: { variable: { values: m.predict(treeColumns), relative: true } } };
  }
  // a label can only differ where two class probabilities tie within float32 precision
  return {
    bytes,
    cols: treeColumns,
    want: {
      probabilities: { values: m.predictProba(treeColumns) },
      label: { values: m.predict(treeColumns), maxMismatches: 1 },
    },
  };
}

function check(got: Outputs, want: Case['want']): void {
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const [name, w] of Object.entries(want)) {
    if (w.maxMismatches !== undefined) {
      let bad = 0;
      for (let i = 0; i < w.values.length; i++) if (Number(got[name][i]) !== w.values[i]) bad++;
      expect(bad, name).toBeLessThanOrEqual(w.maxMismatches);
    } else {
      expect(worstDiff(got[name], w.values, w.relative), name).toBeLessThan(1e-6);
    }
  }
}

describe('ONNX exports scored by onnxruntime-node and Python onnxruntime', () => {
  for (const [name, make] of Object.entries(cases)) {
    it(name, async () => {
      const c = await make();
      check(await scoreNode(c.bytes, c.cols), c.want);
      check(await scorePython(name, c.bytes, c.cols), c.want);
    });
  }
});
