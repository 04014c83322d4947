import { LakeboxError } from '@lakebox/common';
import { Rng } from '../data/rng.js';
import { applyBins, fitBins } from './binning.js';
import { TreeEnsembleModel, sigmoid, softmaxInto, type TreeTask } from './ensemble.js';
import { TreeGrower } from './grower.js';
import { checkTrainData, classesOf, intParam, numParam, type TreeTrainData } from './input.js';
import type { Tree } from './tree.js';

export type GBTObjective = 'regression' | 'binary' | 'multiclass';

/** Parameters of gradient-boosted trees (names and defaults follow LightGBM). */
export interface GBTParams {
  objective: GBTObjective;
  numIterations: number;
  learningRate: number;
  numLeaves: number;
  /** -1: no depth limit. */
  maxDepth: number;
  /** 'leafwise' (LightGBM) or 'depthwise' (XGBoost-style level-by-level) growth. */
  growth: 'leafwise' | 'depthwise';
  minDataInLeaf: number;
  minSumHessianInLeaf: number;
  lambdaL2: number;
  minGainToSplit: number;
  maxBin: number;
  /** Fraction of rows used per tree (with baggingFreq > 0). */
  baggingFraction: number;
  /** Re-sample rows every k iterations; 0 disables bagging. */
  baggingFreq: number;
  /** Fraction of features used per tree. */
  featureFraction: number;
  /** Stop when the validation loss has not improved for this many rounds (0: off). */
  earlyStoppingRounds: number;
  seed: number;
  /** Threads for histogram building (1: this thread only; 2: one worker thread as well). */
  numThreads: number;
  /**
   * Indices of categorical features (values: non-negative integer category codes, e.g. from
   * StringIndexer). Split natively on sets of categories, as LightGBM does; NaN, other values and
   * categories not seen in training (or beyond the maxBin most frequent) go right at such splits.
   */
  categoricalFeatures: number[];
}

export const GBT_DEFAULTS: GBTParams = {
  objective: 'regression',
  numIterations: 100,
  learningRate: 0.1,
  numLeaves: 31,
  maxDepth: -1,
  growth: 'leafwise',
  minDataInLeaf: 20,
  minSumHessianInLeaf: 1e-3,
  lambdaL2: 0,
  minGainToSplit: 0,
  maxBin: 255,
  baggingFraction: 1,
  baggingFreq: 0,
  featureFraction: 1,
  earlyStoppingRounds: 0,
  seed: 42,
  numThreads: 1,
  categoricalFeatures: [],
};

export interface GBTFitOptions {
  /** Validation data for early stopping and the recorded loss curve. */
  validation?: TreeTrainData;
}

export interface GBTTrainingInfo {
  /** Validation loss after each iteration (binary / multiclass log loss, or L2). */
  validationLoss: number[];
  bestIteration: number;
}

function checkParams(p: GBTParams): void {
  if (!['regression', 'binary', 'multiclass'].includes(p.objective)) {
    throw new LakeboxError(
      'ML_INVALID_PARAM',
      `objective must be regression, binary or multiclass, got ${p.objective}`,
    );
  }
  intParam('numIterations', p.numIterations, 1);
  numParam('learningRate', p.learningRate, 0, Infinity, true);
  intParam('numLeaves', p.numLeaves, 2);
  intParam('maxDepth', p.maxDepth, -1);
  if (p.maxDepth === 0) throw new LakeboxError('ML_INVALID_PARAM', 'maxDepth must be -1 or >= 1');
  if (p.growth !== 'leafwise' && p.growth !== 'depthwise') {
    throw new LakeboxError('ML_INVALID_PARAM', `growth must be leafwise or depthwise, got ${p.growth}`);
  }
  intParam('minDataInLeaf', p.minDataInLeaf, 1);
  numParam('minSumHessianInLeaf', p.minSumHessianInLeaf, 0);
  numParam('lambdaL2', p.lambdaL2, 0);
  numParam('minGainToSplit', p.minGainToSplit, 0);
  intParam('maxBin', p.maxBin, 2, 255);
  numParam('baggingFraction', p.baggingFraction, 0, 1, true);
  intParam('baggingFreq', p.baggingFreq, 0);
  numParam('featureFraction', p.featureFraction, 0, 1, true);
  intParam('earlyStoppingRounds', p.earlyStoppingRounds, 0);
  intParam('numThreads', p.numThreads, 1, 2);
  if (!Array.isArray(p.categoricalFeatures)) {
    throw new LakeboxError('ML_INVALID_PARAM', 'categoricalFeatures must be an array of feature indices');
  }
  for (const f of p.categoricalFeatures) intParam('categoricalFeatures[]', f, 0);
}

/**
 * Gradient-boosted decision trees on histograms (LightGBM-style): binary log loss, multiclass
 * softmax (one tree per class and iteration) and L2 regression.
 */
export class GBTEstimator {
  readonly params: GBTParams;
  /** Filled by fit(). */
  trainingInfo: GBTTrainingInfo = { validationLoss: [], bestIteration: 0 };

  constructor(params: Partial<GBTParams> = {}) {
    this.params = { ...GBT_DEFAULTS, ...params };
    checkParams(this.params);
  }

  fit(data: TreeTrainData, opts: GBTFitOptions = {}): TreeEnsembleModel {
    const p = this.params;
    const d = checkTrainData(data);
    const n = d.numRows;
    const F = d.columns.length;
    let task: TreeTask = p.objective;
    let classes: number[] = [];
    let K = 1;
    let y: Float64Array = d.label;
    let yClass: Int32Array | null = null;
    if (p.objective !== 'regression') {
      const c = classesOf(d.label);
      classes = c.classes;
      yClass = c.index;
      if (p.objective === 'binary' && classes.length !== 2) {
        throw new LakeboxError('ML_INVALID_LABEL', `binary objective needs exactly 2 classes, found ${classes.length}`);
      }
      K = p.objective === 'multiclass' ? classes.length : 1;
      task = p.objective === 'multiclass' ? 'multiclass' : 'binary';
      y = Float64Array.from(yClass);
    }
    let val: ReturnType<typeof checkTrainData> | null = null;
    let valY: Int32Array | Float64Array | null = null;
    if (opts.validation) {
      val = checkTrainData(opts.validation, 'validation data');
      if (val.columns.length !== F) {
        throw new LakeboxError(
          'ML_SCHEMA_MISMATCH',
          `validation data has ${val.columns.length} features, training data ${F}`,
        );
      }
      if (yClass) {
        const pos = new Map(classes.map((c, i) => [c, i]));
        valY = Int32Array.from(val.label, (v) => {
          const i = pos.get(v);
          if (i === undefined)
            throw new LakeboxError('ML_INVALID_LABEL', `validation label ${v} is not a training class`);
          return i;
        });
      } else valY = val.label;
    }
    const rng = new Rng(p.seed);
    for (const f of p.categoricalFeatures) {
      if (f >= F) {
        throw new LakeboxError('ML_INVALID_PARAM', `categoricalFeatures: feature ${f} does not exist (${F} features)`);
      }
    }
    const binned = fitBins(d.columns, n, { maxBin: p.maxBin, seed: p.seed, categorical: p.categoricalFeatures });
    const grower = new TreeGrower(binned, 1, p.numThreads, true);
    try {
      return this.boost(p, d, task, classes, K, y, yClass, val, valY, rng, binned, grower);
    } finally {
      grower.close();
    }
  }

  private boost(
    p: GBTParams,
    d: ReturnType<typeof checkTrainData>,
    task: TreeTask,
    classes: number[],
    K: number,
    y: Float64Array,
    yClass: Int32Array | null,
    val: ReturnType<typeof checkTrainData> | null,
    valY: Int32Array | Float64Array | null,
    rng: Rng,
    binned: ReturnType<typeof fitBins>,
    grower: TreeGrower,
  ): TreeEnsembleModel {
    const n = d.numRows;
    const F = d.columns.length;
    const w = d.weight;

    // initial scores (boost from average / class priors)
    const base = new Array<number>(K).fill(0);
    let wsum = 0;
    for (let i = 0; i < n; i++) wsum += w[i];
    if (task === 'regression') {
      let s = 0;
      for (let i = 0; i < n; i++) s += w[i] * y[i];
      base[0] = s / wsum;
    } else if (task === 'binary') {
      let s = 0;
      for (let i = 0; i < n; i++) s += w[i] * y[i];
      const pm = Math.min(Math.max(s / wsum, 1e-15), 1 - 1e-15);
      base[0] = Math.log(pm / (1 - pm));
    } else {
      // multiclass: log of the class priors (softmax of them = the priors), as LightGBM starts
      const yc = yClass!;
      const prior = new Float64Array(K);
      for (let i = 0; i < n; i++) prior[yc[i]] += w[i];
      for (let c = 0; c < K; c++) base[c] = Math.log(Math.max(prior[c] / wsum, 1e-15));
    }
    const score = new Float64Array(n * K);
    for (let i = 0; i < n; i++) for (let c = 0; c < K; c++) score[i * K + c] = base[c];
    const valN = val ? val.numRows : 0;
    const valScore = new Float64Array(valN * K);
    for (let i = 0; i < valN; i++) for (let c = 0; c < K; c++) valScore[i * K + c] = base[c];

    const { grad, hess } = grower.gradientArrays();
    const prob = new Float64Array(task === 'multiclass' ? n * K : 0);
    const trees: Tree[] = [];
    const treeChannel: number[] = [];
    const growOpts = {
      numLeaves: p.numLeaves,
      maxDepth: p.maxDepth,
      minDataInLeaf: p.minDataInLeaf,
      minSumHessianInLeaf: p.minSumHessianInLeaf,
      lambdaL2: p.lambdaL2,
      minGainToSplit: p.minGainToSplit,
      growth: p.growth,
      featuresPerNode: 0,
    };
    const featureMask = new Uint8Array(F).fill(1);
    const bagging = p.baggingFreq > 0 && p.baggingFraction < 1;
    let bagRows: Uint32Array | null = null;
    const losses: number[] = [];
    let bestLoss = Infinity;
    let bestIter = 0;
    const mcFactor = K > 1 ? K / (K - 1) : 1;
    let valBins: Uint8Array[] | null = null;
    const uppers = binned.mappers.map((m) => m.upper);
    const categories = binned.mappers.map((m) => m.categories);

    for (let it = 0; it < p.numIterations; it++) {
      if (bagging && it % p.baggingFreq === 0) {
        const m = Math.max(1, Math.round(n * p.baggingFraction));
        bagRows = Uint32Array.from(rng.sampleWithoutReplacement(n, m)).sort();
      }
      if (p.featureFraction < 1) {
        featureMask.fill(0);
        const m = Math.max(1, Math.round(F * p.featureFraction));
        for (const f of rng.sampleWithoutReplacement(F, m)) featureMask[f] = 1;
      }
      if (task === 'multiclass') for (let i = 0; i < n; i++) softmaxInto(score, i * K, K, prob);
      for (let c = 0; c < K; c++) {
        // gradients for channel c
        if (task === 'regression') {
          for (let i = 0; i < n; i++) {
            grad[i] = (score[i] - y[i]) * w[i];
            hess[i] = w[i];
          }
        } else if (task === 'binary') {
          for (let i = 0; i < n; i++) {
            const pr = 1 / (1 + Math.exp(-score[i]));
            grad[i] = (pr - y[i]) * w[i];
            hess[i] = Math.max(pr * (1 - pr), 1e-16) * w[i];
          }
        } else {
          const yc = yClass!;
          for (let i = 0; i < n; i++) {
            const pr = prob[i * K + c];
            grad[i] = (pr - (yc[i] === c ? 1 : 0)) * w[i];
            hess[i] = Math.max(mcFactor * pr * (1 - pr), 1e-16) * w[i];
          }
        }
        const tree = grower.grow(
          grad,
          hess,
          bagRows,
          featureMask,
          growOpts,
          rng,
          p.learningRate,
          bagging
            ? undefined
            : (rows, start, count, _node, value) => {
                const v = value[0];
                const end = start + count;
                if (K === 1) for (let i = start; i < end; i++) score[rows[i]] += v;
                else for (let i = start; i < end; i++) score[rows[i] * K + c] += v;
              },
        );
        if (bagging) addBinnedTree(tree, binned.bins, uppers, categories, score, K, c);
        trees.push(tree);
        treeChannel.push(task === 'multiclass' ? c : 0);
      }
      if (val) {
        if (it === 0) valBins = applyBins(binned.mappers, val.columns);
        for (let c = 0; c < K; c++) {
          const tree = trees[trees.length - K + c];
          addBinnedTree(tree, valBins!, uppers, categories, valScore, K, c);
        }
        const loss = lossOf(task, valScore, valY!, val.weight, K);
        losses.push(loss);
        if (loss < bestLoss - 1e-12) {
          bestLoss = loss;
          bestIter = it + 1;
        } else if (p.earlyStoppingRounds > 0 && it + 1 - bestIter >= p.earlyStoppingRounds) break;
      }
    }
    let keep = trees.length;
    if (val && p.earlyStoppingRounds > 0) keep = bestIter * K;
    this.trainingInfo = { validationLoss: losses, bestIteration: val ? bestIter : trees.length / K };
    return new TreeEnsembleModel({
      algorithm: 'gbt',
      task,
      numFeatures: F,
      featureNames: d.featureNames,
      classes,
      numChannels: K,
      baseScore: base,
      trees: trees.slice(0, keep),
      treeChannel: treeChannel.slice(0, keep),
    });
  }
}

/** Add a tree's leaf values to `score` (n x K, channel c) for rows given as bin codes. */
function addBinnedTree(
  t: Tree,
  bins: Uint8Array[],
  uppers: Float64Array[],
  categories: (Float64Array | undefined)[],
  score: Float64Array,
  K: number,
  c: number,
): void {
  // Translate each split threshold back to the bin index (threshold = upper[bin]), and each
  // categorical split to a mask over the bins.
  const m = t.feature.length;
  const binThr = new Int32Array(m);
  const masks: (Uint8Array | null)[] = new Array<Uint8Array | null>(m).fill(null);
  for (let i = 0; i < m; i++) {
    const f = t.feature[i];
    if (f < 0) continue;
    const left = t.leftCategories?.[i];
    if (left) {
      const cats = categories[f]!;
      const mask = new Uint8Array(cats.length + 1);
      for (let b = 0; b < cats.length; b++) if (left.includes(cats[b])) mask[b] = 1;
      masks[i] = mask;
      continue;
    }
    const up = uppers[f];
    let b = 0;
    while (up[b] !== t.threshold[i]) b++;
    binThr[i] = b;
  }
  const n = bins.length > 0 ? bins[0].length : 0;
  const { feature, left, right, defaultLeft, value } = t;
  const missing = uppers.map((u) => u.length);
  for (let r = 0; r < n; r++) {
    let i = 0;
    while (feature[i] >= 0) {
      const f = feature[i];
      const b = bins[f][r];
      const mask = masks[i];
      if (mask) i = mask[b] ? left[i] : right[i];
      else if (b === missing[f]) i = defaultLeft[i] ? left[i] : right[i];
      else i = b <= binThr[i] ? left[i] : right[i];
    }
    score[r * K + c] += value[i];
  }
}

function lossOf(task: TreeTask, score: Float64Array, y: Int32Array | Float64Array, w: Float64Array, K: number): number {
  const n = w.length;
  let s = 0;
  let ws = 0;
  if (task === 'regression') {
    for (let i = 0; i < n; i++) {
      const e = score[i] - y[i];
      s += w[i] * e * e;
      ws += w[i];
    }
  } else if (task === 'binary') {
    for (let i = 0; i < n; i++) {
      const p = Math.min(Math.max(sigmoid(score[i]), 1e-15), 1 - 1e-15);
      s -= w[i] * (y[i] === 1 ? Math.log(p) : Math.log(1 - p));
      ws += w[i];
    }
  } else {
    const pr = new Float64Array(K);
    for (let i = 0; i < n; i++) {
      softmaxInto(score.subarray(i * K, i * K + K), 0, K, pr);
      s -= w[i] * Math.log(Math.max(pr[y[i]], 1e-15));
      ws += w[i];
    }
  }
  return s / ws;
}
