import { LakeboxError } from '@lakebox/common';
import { Rng } from '../data/rng.js';
import { fitBins } from './binning.js';
import { TreeEnsembleModel } from './ensemble.js';
import { TreeGrower } from './grower.js';
import { checkTrainData, classesOf, intParam, numParam, type TreeTrainData } from './input.js';
import type { Tree } from './tree.js';

/**
 * Parameters of random forests and decision trees (CART on histograms: Gini impurity for
 * classification, variance for regression; both are the squared-error gain on one-hot / raw targets).
 */
export interface ForestParams {
  task: 'classification' | 'regression';
  numTrees: number;
  /** -1: no limit. */
  maxDepth: number;
  /** Maximum leaves per tree (Infinity: unbounded). */
  maxLeaves: number;
  minSamplesLeaf: number;
  /** Features tried at each split: 'sqrt', 'log2', 'all', or a fraction in (0, 1]. */
  maxFeatures: 'sqrt' | 'log2' | 'all' | number;
  /** Draw a bootstrap sample (with replacement) of the rows for each tree. */
  bootstrap: boolean;
  maxBin: number;
  seed: number;
}

export const FOREST_DEFAULTS: ForestParams = {
  task: 'classification',
  numTrees: 100,
  maxDepth: -1,
  maxLeaves: Infinity,
  minSamplesLeaf: 1,
  maxFeatures: 'sqrt',
  bootstrap: true,
  maxBin: 255,
  seed: 42,
};

function checkParams(p: ForestParams): void {
  if (p.task !== 'classification' && p.task !== 'regression') {
    throw new LakeboxError('ML_INVALID_PARAM', `task must be classification or regression, got ${p.task}`);
  }
  intParam('numTrees', p.numTrees, 1);
  intParam('maxDepth', p.maxDepth, -1);
  if (p.maxDepth === 0) throw new LakeboxError('ML_INVALID_PARAM', 'maxDepth must be -1 or >= 1');
  intParam('maxLeaves', p.maxLeaves, 2);
  intParam('minSamplesLeaf', p.minSamplesLeaf, 1);
  intParam('maxBin', p.maxBin, 2, 255);
  if (typeof p.maxFeatures === 'number') numParam('maxFeatures', p.maxFeatures, 0, 1, true);
  else if (!['sqrt', 'log2', 'all'].includes(p.maxFeatures)) {
    throw new LakeboxError(
      'ML_INVALID_PARAM',
      `maxFeatures must be sqrt, log2, all or a fraction, got ${p.maxFeatures}`,
    );
  }
}

export class RandomForestEstimator {
  readonly params: ForestParams;

  constructor(params: Partial<ForestParams> = {}) {
    this.params = { ...FOREST_DEFAULTS, ...params };
    checkParams(this.params);
  }

  fit(data: TreeTrainData): TreeEnsembleModel {
    const p = this.params;
    const d = checkTrainData(data);
    const n = d.numRows;
    const F = d.columns.length;
    const w = d.weight;
    let K = 1;
    let classes: number[] = [];
    let grad: Float64Array;
    if (p.task === 'classification') {
      const c = classesOf(d.label);
      classes = c.classes;
      K = classes.length;
      grad = new Float64Array(n * K);
      for (let i = 0; i < n; i++) grad[i * K + c.index[i]] = -w[i];
    } else {
      grad = new Float64Array(n);
      for (let i = 0; i < n; i++) grad[i] = -w[i] * d.label[i];
    }
    const binned = fitBins(d.columns, n, { maxBin: p.maxBin, seed: p.seed });
    const grower = new TreeGrower(binned, K);
    const rng = new Rng(p.seed);
    let perNode = F;
    if (p.maxFeatures === 'sqrt') perNode = Math.max(1, Math.floor(Math.sqrt(F)));
    else if (p.maxFeatures === 'log2') perNode = Math.max(1, Math.floor(Math.log2(F)));
    else if (typeof p.maxFeatures === 'number') perNode = Math.max(1, Math.floor(p.maxFeatures * F));
    const opts = {
      numLeaves: p.maxLeaves,
      maxDepth: p.maxDepth,
      minDataInLeaf: p.minSamplesLeaf,
      minSumHessianInLeaf: 0,
      lambdaL2: 0,
      minGainToSplit: 0,
      growth: 'leafwise' as const,
      featuresPerNode: perNode >= F ? 0 : perNode,
    };
    const mask = new Uint8Array(F).fill(1);
    const trees: Tree[] = [];
    const hess = new Float64Array(n);
    const g = new Float64Array(grad.length);
    for (let t = 0; t < p.numTrees; t++) {
      let rows: Uint32Array | null = null;
      if (p.bootstrap) {
        // bootstrap counts become weights; rows drawn zero times are left out
        const counts = new Uint32Array(n);
        for (let i = 0; i < n; i++) counts[rng.nextInt(n)]++;
        let m = 0;
        for (let i = 0; i < n; i++) if (counts[i] > 0) m++;
        rows = new Uint32Array(m);
        m = 0;
        for (let i = 0; i < n; i++) {
          const cnt = counts[i];
          hess[i] = w[i] * cnt;
          for (let c = 0; c < K; c++) g[i * K + c] = grad[i * K + c] * cnt;
          if (cnt > 0) rows[m++] = i;
        }
      } else {
        hess.set(w);
        g.set(grad);
      }
      trees.push(grower.grow(g, hess, rows, mask, opts, rng, 1));
    }
    return new TreeEnsembleModel({
      algorithm: 'forest',
      task: p.task === 'regression' ? 'regression' : classes.length === 2 ? 'binary' : 'multiclass',
      numFeatures: F,
      featureNames: d.featureNames,
      classes,
      numChannels: K,
      baseScore: new Array<number>(K).fill(0),
      trees,
      treeChannel: trees.map(() => -1),
    });
  }
}

/** A single CART tree: a forest of one tree on all rows and all features. */
export class DecisionTreeEstimator {
  private readonly forest: RandomForestEstimator;

  constructor(
    params: Partial<Pick<ForestParams, 'task' | 'maxDepth' | 'maxLeaves' | 'minSamplesLeaf' | 'maxBin' | 'seed'>> = {},
  ) {
    this.forest = new RandomForestEstimator({ ...params, numTrees: 1, bootstrap: false, maxFeatures: 'all' });
  }

  get params(): ForestParams {
    return this.forest.params;
  }

  fit(data: TreeTrainData): TreeEnsembleModel {
    return this.forest.fit(data);
  }
}
