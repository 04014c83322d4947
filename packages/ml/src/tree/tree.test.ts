import { describe, expect, it } from 'vitest';
import { isLakeboxError } from '@lakebox/common';
import { Rng } from '../data/rng.js';
import { binOf, fitBins } from './binning.js';
import { TreeEnsembleModel } from './ensemble.js';
import { DecisionTreeEstimator, RandomForestEstimator } from './forest.js';
import { GBTEstimator } from './gbt.js';
import { toOnnx } from '../export/onnx.js';
import { numLeaves, treeDepth, type Tree } from './tree.js';

function synth(
  n: number,
  F: number,
  seed = 1,
  missing = 0,
): { columns: Float64Array[]; y: Float64Array; yr: Float64Array; y3: Float64Array } {
  const rng = new Rng(seed);
  const columns = Array.from({ length: F }, () => new Float64Array(n));
  const y = new Float64Array(n);
  const yr = new Float64Array(n);
  const y3 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < F; f++) columns[f][i] = Math.round(rng.normal() * 100) / 100;
    const z = 1.5 * columns[0][i] - columns[1][i] + (columns[2][i] > 0 ? 0.8 : -0.8) + 0.5 * rng.normal();
    y[i] = z > 0 ? 1 : 0;
    yr[i] = z;
    y3[i] = z < -0.7 ? 0 : z < 0.7 ? 1 : 2;
    if (missing > 0 && rng.next() < missing) columns[3 % F][i] = NaN;
  }
  return { columns, y, yr, y3 };
}

function expectError(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (e) {
    expect(isLakeboxError(e), String(e)).toBe(true);
    expect((e as { code: string }).code).toBe(code);
    return;
  }
  throw new Error(`expected LakeboxError ${code}`);
}

/** E[f(x) | x_S] with the cover-weighted (path-dependent) expectation TreeSHAP uses. */
function condExp(t: Tree, x: number[], inS: (f: number) => boolean, channel: number, i = 0): number {
  if (t.feature[i] < 0) return t.value[i * t.numOutputs + channel];
  const f = t.feature[i];
  if (inS(f)) {
    const v = x[f];
    const cats = t.leftCategories?.[i];
    const goLeft = cats
      ? Array.from(cats).some((c) => c === v)
      : v <= t.threshold[i] || (Number.isNaN(v) && t.defaultLeft[i] === 1);
    return condExp(t, x, inS, channel, goLeft ? t.left[i] : t.right[i]);
  }
  const cl = t.cover[t.left[i]];
  const cr = t.cover[t.right[i]];
  return (cl * condExp(t, x, inS, channel, t.left[i]) + cr * condExp(t, x, inS, channel, t.right[i])) / (cl + cr);
}

/** Exact Shapley values by enumerating all 2^M coalitions. */
function bruteShap(m: TreeEnsembleModel, x: number[], channel: number): number[] {
  const F = m.numFeatures;
  const { trees, treeChannel, algorithm } = m.spec;
  const scale = algorithm === 'forest' ? 1 / trees.length : 1;
  const v = (mask: number): number => {
    let s = 0;
    trees.forEach((t, ti) => {
      const ch = treeChannel[ti];
      if (ch >= 0 && ch !== channel) return;
      s += scale * condExp(t, x, (f) => ((mask >> f) & 1) === 1, ch >= 0 ? 0 : channel);
    });
    return s;
  };
  const fact = (k: number): number => (k <= 1 ? 1 : k * fact(k - 1));
  const phi = new Array<number>(F).fill(0);
  for (let i = 0; i < F; i++) {
    for (let mask = 0; mask < 1 << F; mask++) {
      if ((mask >> i) & 1) continue;
      let size = 0;
      for (let b = 0; b < F; b++) size += (mask >> b) & 1;
      const wgt = (fact(size) * fact(F - size - 1)) / fact(F);
      phi[i] += wgt * (v(mask | (1 << i)) - v(mask));
    }
  }
  return phi;
}

describe('binning', () => {
  it('puts each distinct value in its own bin when there are few, NaN in the missing bin', () => {
    const col = Float64Array.from([3, 1, 2, 2, NaN, 1, 3]);
    const b = fitBins([col], col.length);
    expect(b.mappers[0].numBins).toBe(3);
    expect(Array.from(b.bins[0])).toEqual([2, 0, 1, 1, 3, 0, 2]);
    expect(binOf(b.mappers[0], 1.4)).toBe(0);
    expect(binOf(b.mappers[0], 1.6)).toBe(1);
    expect(binOf(b.mappers[0], 100)).toBe(2);
  });

  it('uses at most maxBin quantile bins', () => {
    const rng = new Rng(3);
    const col = Float64Array.from({ length: 10000 }, () => rng.normal());
    const b = fitBins([col], col.length, { maxBin: 16 });
    expect(b.mappers[0].numBins).toBeLessThanOrEqual(16);
    expect(b.mappers[0].numBins).toBeGreaterThanOrEqual(12);
    const counts = new Array<number>(17).fill(0);
    for (const v of b.bins[0]) counts[v]++;
    for (let i = 0; i < b.mappers[0].numBins; i++) expect(counts[i]).toBeGreaterThan(300);
  });
});

describe('TreeSHAP', () => {
  it('matches brute-force Shapley values and sums to the raw prediction (GBT binary)', () => {
    const d = synth(400, 5, 2, 0.1);
    const m = new GBTEstimator({ objective: 'binary', numIterations: 5, numLeaves: 8, minDataInLeaf: 5 }).fit({
      columns: d.columns,
      label: d.y,
    });
    const rows = [0, 7, 42];
    const cols = d.columns.map((c) => Float64Array.from(rows, (r) => c[r]));
    const shap = m.shapValues(cols);
    const raw = m.predictRaw(cols);
    const F = 5;
    rows.forEach((_, r) => {
      const x = cols.map((c) => c[r]);
      const phi = bruteShap(m, x, 0);
      let sum = 0;
      for (let f = 0; f <= F; f++) sum += shap[r * (F + 1) + f];
      expect(sum).toBeCloseTo(raw[r], 9);
      for (let f = 0; f < F; f++) expect(shap[r * (F + 1) + f]).toBeCloseTo(phi[f], 9);
    });
  });

  it('matches brute force for every class of a multiclass forest and of a multiclass GBT', () => {
    const d = synth(300, 4, 5);
    const rf = new RandomForestEstimator({ numTrees: 3, maxDepth: 4, seed: 3 }).fit({
      columns: d.columns,
      label: d.y3,
    });
    const gbt = new GBTEstimator({ objective: 'multiclass', numIterations: 3, numLeaves: 6, minDataInLeaf: 5 }).fit({
      columns: d.columns,
      label: d.y3,
    });
    for (const m of [rf, gbt]) {
      const cols = d.columns.map((c) => c.subarray(10, 12));
      const shap = m.shapValues(cols);
      const raw = m.predictRaw(cols);
      const F = 4;
      for (let r = 0; r < 2; r++) {
        const x = cols.map((c) => c[r]);
        for (let c = 0; c < 3; c++) {
          const phi = bruteShap(m, x, c);
          const o = (r * 3 + c) * (F + 1);
          let sum = 0;
          for (let f = 0; f <= F; f++) sum += shap[o + f];
          expect(sum).toBeCloseTo(raw[r * 3 + c], 9);
          for (let f = 0; f < F; f++) expect(shap[o + f]).toBeCloseTo(phi[f], 9);
        }
      }
    }
  });
});

describe('gradient boosting', () => {
  it('learns binary, multiclass and regression targets', () => {
    const d = synth(3000, 6, 7);
    const test = synth(1000, 6, 8);
    const bin = new GBTEstimator({ objective: 'binary', numIterations: 50 }).fit({ columns: d.columns, label: d.y });
    const pb = bin.predict(test.columns);
    let ok = 0;
    for (let i = 0; i < 1000; i++) ok += pb[i] === test.y[i] ? 1 : 0;
    expect(ok / 1000).toBeGreaterThan(0.85);
    const mc = new GBTEstimator({ objective: 'multiclass', numIterations: 50 }).fit({
      columns: d.columns,
      label: d.y3,
    });
    const pm = mc.predict(test.columns);
    ok = 0;
    for (let i = 0; i < 1000; i++) ok += pm[i] === test.y3[i] ? 1 : 0;
    expect(ok / 1000).toBeGreaterThan(0.75);
    const proba = mc.predictProba(test.columns);
    for (let i = 0; i < 10; i++) expect(proba[i * 3] + proba[i * 3 + 1] + proba[i * 3 + 2]).toBeCloseTo(1, 12);
    const reg = new GBTEstimator({ objective: 'regression', numIterations: 100 }).fit({
      columns: d.columns,
      label: d.yr,
    });
    const pr = reg.predict(test.columns);
    let se = 0;
    let ve = 0;
    let mean = 0;
    for (let i = 0; i < 1000; i++) mean += test.yr[i] / 1000;
    for (let i = 0; i < 1000; i++) {
      se += (pr[i] - test.yr[i]) ** 2;
      ve += (test.yr[i] - mean) ** 2;
    }
    expect(1 - se / ve).toBeGreaterThan(0.8);
  });

  it('respects numLeaves, maxDepth and depth-wise growth', () => {
    const d = synth(2000, 5, 9);
    const a = new GBTEstimator({ objective: 'regression', numIterations: 3, numLeaves: 7, minDataInLeaf: 5 }).fit({
      columns: d.columns,
      label: d.yr,
    });
    for (const t of a.spec.trees) expect(numLeaves(t)).toBe(7);
    const b = new GBTEstimator({
      objective: 'regression',
      numIterations: 3,
      numLeaves: 1000,
      maxDepth: 3,
      growth: 'depthwise',
      minDataInLeaf: 5,
    }).fit({ columns: d.columns, label: d.yr });
    for (const t of b.spec.trees) {
      expect(treeDepth(t)).toBe(3);
      expect(numLeaves(t)).toBe(8);
    }
  });

  it('learns a default direction for missing values', () => {
    const n = 2000;
    const x = new Float64Array(n);
    const y = new Float64Array(n);
    const rng = new Rng(4);
    for (let i = 0; i < n; i++) {
      const r = rng.next();
      if (r < 0.3) {
        x[i] = NaN;
        y[i] = 1;
      } else {
        x[i] = rng.next();
        y[i] = x[i] > 0.5 ? 1 : 0;
      }
    }
    const m = new GBTEstimator({ objective: 'binary', numIterations: 20 }).fit({ columns: [x], label: y });
    const p = m.predictProba([Float64Array.from([NaN, 0.1, 0.9])]);
    expect(p[1]).toBeGreaterThan(0.9);
    expect(p[3]).toBeLessThan(0.1);
    expect(p[5]).toBeGreaterThan(0.9);
  });

  it('treats a weight of 2 like a duplicated row', () => {
    const d = synth(300, 3, 11);
    const w = Float64Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? 2 : 1));
    const dupIdx: number[] = [];
    for (let i = 0; i < 300; i++) {
      dupIdx.push(i);
      if (i % 3 === 0) dupIdx.push(i);
    }
    const params = { objective: 'regression' as const, numIterations: 10, minDataInLeaf: 1, numLeaves: 8 };
    const a = new GBTEstimator(params).fit({ columns: d.columns, label: d.yr, weight: w });
    const b = new GBTEstimator(params).fit({
      columns: d.columns.map((c) => Float64Array.from(dupIdx, (i) => c[i])),
      label: Float64Array.from(dupIdx, (i) => d.yr[i]),
    });
    const pa = a.predict(d.columns);
    const pb = b.predict(d.columns);
    for (let i = 0; i < 300; i++) expect(pa[i]).toBeCloseTo(pb[i], 9);
    // and weights matter: zero weight on the positive half changes the model
    const w0 = Float64Array.from(d.yr, (v) => (v > 0 ? 0 : 1));
    const c = new GBTEstimator(params).fit({ columns: d.columns, label: d.yr, weight: w0 });
    expect(Math.max(...c.predict(d.columns))).toBeLessThan(Math.max(...pa));
  });

  it('stops early on the validation loss and keeps the best iteration', () => {
    const d = synth(1000, 4, 12);
    const v = synth(500, 4, 13);
    // pure-noise labels: validation loss stops improving quickly
    const noisy = Float64Array.from(d.y, (_, i) => (i * 7919) % 2);
    const est = new GBTEstimator({ objective: 'binary', numIterations: 200, earlyStoppingRounds: 5, numLeaves: 31 });
    const m = est.fit({ columns: d.columns, label: noisy }, { validation: { columns: v.columns, label: v.y } });
    const info = est.trainingInfo;
    expect(info.validationLoss.length).toBeLessThan(200);
    expect(m.numTrees).toBe(info.bestIteration);
    expect(info.validationLoss.length).toBe(info.bestIteration + 5);
  });

  it('builds the same trees with a histogram worker thread (numThreads 2)', () => {
    const d = synth(40000, 6, 22, 0.05);
    const params = { objective: 'binary' as const, numIterations: 3, numLeaves: 63 };
    const a = new GBTEstimator({ ...params, numThreads: 1 }).fit({ columns: d.columns, label: d.y });
    const b = new GBTEstimator({ ...params, numThreads: 2 }).fit({ columns: d.columns, label: d.y });
    expect(b.save()).toEqual(a.save());
    const bagged = { ...params, baggingFraction: 0.7, baggingFreq: 1 };
    const c = new GBTEstimator({ ...bagged, numThreads: 1 }).fit({ columns: d.columns, label: d.y });
    const e = new GBTEstimator({ ...bagged, numThreads: 2 }).fit({ columns: d.columns, label: d.y });
    expect(e.save()).toEqual(c.save());
  });

  it('bagging and feature subsampling are reproducible with a seed', () => {
    const d = synth(1000, 6, 14);
    const params = {
      objective: 'binary' as const,
      numIterations: 10,
      baggingFraction: 0.5,
      baggingFreq: 1,
      featureFraction: 0.5,
    };
    const a = new GBTEstimator({ ...params, seed: 1 }).fit({ columns: d.columns, label: d.y });
    const b = new GBTEstimator({ ...params, seed: 1 }).fit({ columns: d.columns, label: d.y });
    const c = new GBTEstimator({ ...params, seed: 2 }).fit({ columns: d.columns, label: d.y });
    expect(Array.from(a.predictRaw(d.columns))).toEqual(Array.from(b.predictRaw(d.columns)));
    expect(Array.from(a.predictRaw(d.columns))).not.toEqual(Array.from(c.predictRaw(d.columns)));
  });

  it('reports split and gain importance, strongest on the informative features', () => {
    const d = synth(2000, 6, 15);
    const m = new GBTEstimator({ objective: 'binary', numIterations: 20 }).fit({
      columns: d.columns,
      label: d.y,
      featureNames: ['a', 'b', 'c', 'd', 'e', 'f'],
    });
    const imp = m.featureImportance();
    expect(imp.map((x) => x.feature)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    const byGain = [...imp].sort((p, q) => q.gain - p.gain).map((x) => x.feature);
    expect(byGain.slice(0, 3).sort()).toEqual(['a', 'b', 'c']);
    const totalSplits = imp.reduce((s, x) => s + x.split, 0);
    expect(totalSplits).toBe(m.spec.trees.reduce((s, t) => s + numLeaves(t) - 1, 0));
  });
});

describe('forests and trees', () => {
  it('an unbounded decision tree fits its training data exactly', () => {
    const d = synth(500, 4, 16);
    const m = new DecisionTreeEstimator({ task: 'classification' }).fit({ columns: d.columns, label: d.y3 });
    const p = m.predict(d.columns);
    expect(Array.from(p)).toEqual(Array.from(d.y3));
  });

  it('a random forest averages class distributions', () => {
    const d = synth(1000, 5, 17);
    const m = new RandomForestEstimator({ numTrees: 20, seed: 5 }).fit({ columns: d.columns, label: d.y });
    const p = m.predictProba(d.columns);
    for (let i = 0; i < 20; i++) expect(p[2 * i] + p[2 * i + 1]).toBeCloseTo(1, 12);
    expect(m.numTrees).toBe(20);
  });
});

describe('save and load', () => {
  it('round-trips every model kind through the versioned JSON format', () => {
    const d = synth(500, 4, 18, 0.05);
    const models = [
      new GBTEstimator({ objective: 'binary', numIterations: 5 }).fit({ columns: d.columns, label: d.y }),
      new GBTEstimator({ objective: 'multiclass', numIterations: 5 }).fit({ columns: d.columns, label: d.y3 }),
      new RandomForestEstimator({ task: 'regression', numTrees: 3 }).fit({ columns: d.columns, label: d.yr }),
    ];
    for (const m of models) {
      const text = m.save();
      expect(JSON.parse(text).formatVersion).toBe(1);
      const back = TreeEnsembleModel.load(text);
      expect(Array.from(back.predictRaw(d.columns))).toEqual(Array.from(m.predictRaw(d.columns)));
      expect(back.featureImportance()).toEqual(m.featureImportance());
    }
    const doc = JSON.parse(models[0].save());
    expectError(() => TreeEnsembleModel.load({ ...doc, formatVersion: 99 }), 'ML_UNSUPPORTED_MODEL_VERSION');
    expectError(() => TreeEnsembleModel.load('{"format":"other"}'), 'ML_INVALID_MODEL');
    expectError(() => TreeEnsembleModel.load('not json'), 'ML_INVALID_MODEL');
    doc.trees[0].left[0] = 0;
    expectError(() => TreeEnsembleModel.load(doc), 'ML_INVALID_MODEL');
  });
});

describe('bad input', () => {
  const d = synth(100, 3, 19);
  it('rejects NaN and infinite labels, empty data and ragged columns', () => {
    const bad = Float64Array.from(d.y);
    bad[5] = NaN;
    expectError(
      () => new GBTEstimator({ objective: 'binary' }).fit({ columns: d.columns, label: bad }),
      'ML_INVALID_LABEL',
    );
    bad[5] = Infinity;
    expectError(
      () => new RandomForestEstimator({ task: 'regression' }).fit({ columns: d.columns, label: bad }),
      'ML_INVALID_LABEL',
    );
    expectError(
      () => new GBTEstimator().fit({ columns: [new Float64Array(0)], label: new Float64Array(0) }),
      'ML_EMPTY_DATA',
    );
    expectError(() => new GBTEstimator().fit({ columns: [], label: d.y }), 'ML_EMPTY_DATA');
    expectError(
      () => new GBTEstimator().fit({ columns: [d.columns[0], d.columns[1].subarray(1)], label: d.y }),
      'ML_INVALID_DATA',
    );
    expectError(() => new GBTEstimator().fit({ columns: d.columns, label: d.y.subarray(1) }), 'ML_INVALID_DATA');
    const w = new Float64Array(100).fill(1);
    w[3] = -1;
    expectError(() => new GBTEstimator().fit({ columns: d.columns, label: d.y, weight: w }), 'ML_INVALID_WEIGHT');
  });

  it('rejects a single class and a non-binary label for the binary objective', () => {
    const one = new Float64Array(100).fill(1);
    expectError(
      () => new GBTEstimator({ objective: 'binary' }).fit({ columns: d.columns, label: one }),
      'ML_SINGLE_CLASS',
    );
    expectError(() => new RandomForestEstimator().fit({ columns: d.columns, label: one }), 'ML_SINGLE_CLASS');
    expectError(
      () => new GBTEstimator({ objective: 'binary' }).fit({ columns: d.columns, label: d.y3 }),
      'ML_INVALID_LABEL',
    );
  });

  it('rejects a different number of features at predict time', () => {
    const m = new GBTEstimator({ objective: 'binary', numIterations: 2 }).fit({ columns: d.columns, label: d.y });
    expectError(() => m.predict(d.columns.slice(0, 2)), 'ML_SCHEMA_MISMATCH');
    expectError(() => m.shapValues([...d.columns, d.columns[0]]), 'ML_SCHEMA_MISMATCH');
  });

  it('rejects invalid params', () => {
    expectError(() => new GBTEstimator({ numLeaves: 1 }), 'ML_INVALID_PARAM');
    expectError(() => new GBTEstimator({ learningRate: 0 }), 'ML_INVALID_PARAM');
    expectError(() => new GBTEstimator({ maxBin: 300 }), 'ML_INVALID_PARAM');
    expectError(() => new RandomForestEstimator({ maxFeatures: 2 }), 'ML_INVALID_PARAM');
  });
});

describe('categorical features (GBT)', () => {
  // feature 0: 40 categories, each with its own random effect (not monotone in the code);
  // feature 1: numeric
  function catData(n: number, seed: number): { columns: Float64Array[]; y: Float64Array } {
    const fixed = new Rng(99);
    const effect = Array.from({ length: 40 }, () => fixed.normal() * 2);
    const rng = new Rng(seed);
    const columns = [new Float64Array(n), new Float64Array(n)];
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const c = rng.nextInt(40);
      columns[0][i] = c;
      columns[1][i] = rng.normal();
      const z = effect[c] + columns[1][i] + 0.5 * rng.normal();
      y[i] = z > 0 ? 1 : 0;
    }
    return { columns, y };
  }
  function logLoss(m: TreeEnsembleModel, columns: Float64Array[], y: Float64Array): number {
    const p = m.predictProba(columns);
    let s = 0;
    for (let i = 0; i < y.length; i++) s -= Math.log(Math.max(1e-15, p[i * 2 + (y[i] === 1 ? 1 : 0)]));
    return s / y.length;
  }
  const train = catData(6000, 1);
  const test = catData(3000, 2);
  const params = { objective: 'binary' as const, numIterations: 30, numLeaves: 4, minDataInLeaf: 20 };

  it('splits on category sets: better than the same trees on the codes as numbers', () => {
    const cat = new GBTEstimator({ ...params, categoricalFeatures: [0] }).fit({
      columns: train.columns,
      label: train.y,
    });
    const num = new GBTEstimator(params).fit({ columns: train.columns, label: train.y });
    expect(cat.spec.trees.some((t) => t.leftCategories?.some((c) => c !== null && c.length > 1))).toBe(true);
    const lc = logLoss(cat, test.columns, test.y);
    const ln = logLoss(num, test.columns, test.y);
    expect(lc).toBeLessThan(ln - 0.02);
  });

  it('sends NaN, unseen and invalid categories right, like each other; save/load keeps the splits', () => {
    const m = new GBTEstimator({ ...params, categoricalFeatures: [0] }).fit({ columns: train.columns, label: train.y });
    const x1 = Float64Array.from([0.3, -1, 2]);
    const raw = (c: number): Float64Array => m.predictRaw([Float64Array.from([c, c, c]), x1]);
    const nan = raw(NaN);
    expect(Array.from(raw(999))).toEqual(Array.from(nan));
    expect(Array.from(raw(-3))).toEqual(Array.from(nan));
    expect(Array.from(raw(2.5))).toEqual(Array.from(nan));
    // a seen category follows its own path
    let differs = false;
    for (let c = 0; c < 40 && !differs; c++) differs = raw(c)[0] !== nan[0];
    expect(differs).toBe(true);
    const loaded = TreeEnsembleModel.load(m.save());
    expect(Array.from(loaded.predictRaw(test.columns))).toEqual(Array.from(m.predictRaw(test.columns)));
  });

  it('ONNX export refuses categorical splits with a clear error (documented limitation)', () => {
    const m = new GBTEstimator({ ...params, categoricalFeatures: [0] }).fit({ columns: train.columns, label: train.y });
    expectError(() => toOnnx(m), 'ML_UNSUPPORTED_OPERATION');
  });

  it('TreeSHAP matches brute force and sums to the raw prediction', () => {
    const m = new GBTEstimator({ ...params, numIterations: 4, categoricalFeatures: [0] }).fit({
      columns: train.columns,
      label: train.y,
    });
    const rows = [0, 5, 9];
    const cols = train.columns.map((c) => Float64Array.from(rows, (r) => c[r]));
    cols[0][2] = 77; // unseen category
    const shap = m.shapValues(cols);
    const raw = m.predictRaw(cols);
    rows.forEach((_, r) => {
      const x = cols.map((c) => c[r]);
      const phi = bruteShap(m, x, 0);
      expect(shap[r * 3] + shap[r * 3 + 1] + shap[r * 3 + 2]).toBeCloseTo(raw[r], 9);
      for (let f = 0; f < 2; f++) expect(shap[r * 3 + f]).toBeCloseTo(phi[f], 9);
    });
  });

  it('rejects categoricalFeatures that do not exist', () => {
    expectError(
      () => new GBTEstimator({ ...params, categoricalFeatures: [5] }).fit({ columns: train.columns, label: train.y }),
      'ML_INVALID_PARAM',
    );
    expectError(() => new GBTEstimator({ ...params, categoricalFeatures: [-1] }), 'ML_INVALID_PARAM');
  });
});
