import { LakeboxError } from '@lakebox/common';
import {
  addTreePrediction,
  expectedValue,
  treeFromJson,
  treeShapRow,
  treeToJson,
  type Tree,
  type TreeJson,
} from './tree.js';

export type TreeTask = 'regression' | 'binary' | 'multiclass';

/**
 * A fitted tree ensemble: gradient-boosted trees (sum of trees on a raw margin, then sigmoid /
 * softmax for classification) or a forest (average of trees whose leaves hold the prediction or the
 * class probabilities). Decision trees are forests of one tree.
 */
export interface TreeEnsembleSpec {
  algorithm: 'gbt' | 'forest';
  task: TreeTask;
  numFeatures: number;
  featureNames: string[];
  /** Class labels (classification), in the order of the probability columns. */
  classes: number[];
  /** Raw channels: 1 (regression, binary GBT) or the number of classes. */
  numChannels: number;
  baseScore: number[];
  trees: Tree[];
  /** For single-output trees, the channel each tree adds to; -1 when the tree has numChannels outputs. */
  treeChannel: number[];
}

export const MODEL_FORMAT = 'lakebox-tree-ensemble';
export const MODEL_FORMAT_VERSION = 1;

export interface FeatureImportance {
  feature: string;
  split: number;
  gain: number;
}

export class TreeEnsembleModel {
  constructor(readonly spec: TreeEnsembleSpec) {}

  get numFeatures(): number {
    return this.spec.numFeatures;
  }
  get numTrees(): number {
    return this.spec.trees.length;
  }
  get classes(): number[] {
    return this.spec.classes;
  }

  private check(columns: readonly Float64Array[]): number {
    if (!Array.isArray(columns)) {
      throw new LakeboxError('ML_INVALID_DATA', 'features must be an array of Float64Array columns');
    }
    if (columns.length !== this.spec.numFeatures) {
      throw new LakeboxError(
        'ML_SCHEMA_MISMATCH',
        `the model was trained on ${this.spec.numFeatures} features, got ${columns.length}`,
      );
    }
    const n = columns.length > 0 ? columns[0].length : 0;
    for (let j = 0; j < columns.length; j++) {
      if (!(columns[j] instanceof Float64Array)) {
        throw new LakeboxError('ML_INVALID_DATA', `feature column ${j} is not a Float64Array`);
      }
      if (columns[j].length !== n) {
        throw new LakeboxError('ML_INVALID_DATA', `feature column ${j} has ${columns[j].length} rows, expected ${n}`);
      }
    }
    return n;
  }

  /** Raw scores, row-major numRows x numChannels (GBT margins, or forest averages). */
  predictRaw(columns: readonly Float64Array[], numTrees = this.spec.trees.length): Float64Array {
    const n = this.check(columns);
    const C = this.spec.numChannels;
    const out = new Float64Array(n * C);
    const { trees, treeChannel, baseScore } = this.spec;
    const T = Math.min(numTrees, trees.length);
    const scale = this.spec.algorithm === 'forest' ? 1 / Math.max(1, T) : 1;
    for (let t = 0; t < T; t++) {
      const ch = treeChannel[t];
      addTreePrediction(trees[t], columns, n, out, C, ch < 0 ? 0 : ch, scale);
    }
    for (let r = 0; r < n; r++) for (let c = 0; c < C; c++) out[r * C + c] += baseScore[c];
    return out;
  }

  /** Class probabilities, row-major numRows x numClasses (classification only). */
  predictProba(columns: readonly Float64Array[]): Float64Array {
    if (this.spec.task === 'regression') {
      throw new LakeboxError('ML_UNSUPPORTED_OPERATION', 'predictProba needs a classification model');
    }
    const raw = this.predictRaw(columns);
    return rawToProba(this.spec, raw);
  }

  /** Predicted values (regression) or class labels (classification). */
  predict(columns: readonly Float64Array[]): Float64Array {
    if (this.spec.task === 'regression') return this.predictRaw(columns);
    const p = this.predictProba(columns);
    const K = this.spec.classes.length;
    const n = p.length / K;
    const out = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      let best = 0;
      for (let c = 1; c < K; c++) if (p[r * K + c] > p[r * K + best]) best = c;
      out[r] = this.spec.classes[best];
    }
    return out;
  }

  /** Split counts and total gains per feature. */
  featureImportance(): FeatureImportance[] {
    const split = new Float64Array(this.spec.numFeatures);
    const gain = new Float64Array(this.spec.numFeatures);
    for (const t of this.spec.trees) {
      for (let i = 0; i < t.feature.length; i++) {
        const f = t.feature[i];
        if (f >= 0) {
          split[f]++;
          gain[f] += t.gain[i];
        }
      }
    }
    return this.spec.featureNames.map((feature, j) => ({ feature, split: split[j], gain: gain[j] }));
  }

  /**
   * TreeSHAP contributions on the raw scale: row-major numRows x numChannels x (numFeatures + 1);
   * the last entry of each block is the expected value, and each block sums to predictRaw.
   */
  shapValues(columns: readonly Float64Array[]): Float64Array {
    const n = this.check(columns);
    const C = this.spec.numChannels;
    const F = this.spec.numFeatures;
    const { trees, treeChannel, baseScore } = this.spec;
    const scale = this.spec.algorithm === 'forest' ? 1 / Math.max(1, trees.length) : 1;
    const out = new Float64Array(n * C * (F + 1));
    const expected = new Float64Array(C);
    for (let c = 0; c < C; c++) expected[c] = baseScore[c];
    for (let t = 0; t < trees.length; t++) {
      const ch = treeChannel[t];
      if (ch >= 0) expected[ch] += scale * expectedValue(trees[t], 0);
      else for (let c = 0; c < C; c++) expected[c] += scale * expectedValue(trees[t], c);
    }
    const phi = new Float64Array(F);
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < C; c++) {
        phi.fill(0);
        for (let t = 0; t < trees.length; t++) {
          const ch = treeChannel[t];
          if (ch >= 0) {
            if (ch === c) treeShapRow(trees[t], columns, r, 0, phi, scale);
          } else treeShapRow(trees[t], columns, r, c, phi, scale);
        }
        const o = (r * C + c) * (F + 1);
        out.set(phi, o);
        out[o + F] = expected[c];
      }
    }
    return out;
  }

  toJSON(): Record<string, unknown> {
    const s = this.spec;
    return {
      format: MODEL_FORMAT,
      formatVersion: MODEL_FORMAT_VERSION,
      algorithm: s.algorithm,
      task: s.task,
      numFeatures: s.numFeatures,
      featureNames: s.featureNames,
      classes: s.classes,
      numChannels: s.numChannels,
      baseScore: s.baseScore,
      treeChannel: s.treeChannel,
      trees: s.trees.map(treeToJson),
    };
  }

  /** The versioned JSON form (see toJSON). */
  save(): string {
    return JSON.stringify(this);
  }

  static load(json: string | Record<string, unknown>): TreeEnsembleModel {
    let o: any;
    try {
      o = typeof json === 'string' ? JSON.parse(json) : json;
    } catch (e) {
      throw new LakeboxError('ML_INVALID_MODEL', `saved model is not valid JSON: ${(e as Error).message}`);
    }
    if (!o || o.format !== MODEL_FORMAT) {
      throw new LakeboxError('ML_INVALID_MODEL', `not a ${MODEL_FORMAT} model`);
    }
    if (o.formatVersion !== MODEL_FORMAT_VERSION) {
      throw new LakeboxError(
        'ML_UNSUPPORTED_MODEL_VERSION',
        `model format version ${o.formatVersion} is not supported (this library reads version ${MODEL_FORMAT_VERSION})`,
      );
    }
    const F = o.numFeatures;
    if (!Number.isInteger(F) || F < 0) throw new LakeboxError('ML_INVALID_MODEL', 'numFeatures is missing');
    if (!['gbt', 'forest'].includes(o.algorithm) || !['regression', 'binary', 'multiclass'].includes(o.task)) {
      throw new LakeboxError('ML_INVALID_MODEL', 'unknown algorithm or task');
    }
    const trees = (o.trees as TreeJson[]).map((t) => treeFromJson(t, F));
    if (!Array.isArray(o.treeChannel) || o.treeChannel.length !== trees.length) {
      throw new LakeboxError('ML_INVALID_MODEL', 'treeChannel does not match the trees');
    }
    return new TreeEnsembleModel({
      algorithm: o.algorithm,
      task: o.task,
      numFeatures: F,
      featureNames: o.featureNames,
      classes: o.classes,
      numChannels: o.numChannels,
      baseScore: o.baseScore,
      trees,
      treeChannel: o.treeChannel,
    });
  }
}

export function rawToProba(spec: TreeEnsembleSpec, raw: Float64Array): Float64Array {
  const K = spec.classes.length;
  const C = spec.numChannels;
  const n = raw.length / C;
  const out = new Float64Array(n * K);
  if (spec.algorithm === 'forest') {
    out.set(raw);
    return out;
  }
  if (spec.task === 'binary') {
    for (let r = 0; r < n; r++) {
      const p = sigmoid(raw[r]);
      out[r * 2] = 1 - p;
      out[r * 2 + 1] = p;
    }
    return out;
  }
  for (let r = 0; r < n; r++) softmaxInto(raw, r * K, K, out);
  return out;
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

export function softmaxInto(raw: Float64Array, o: number, K: number, out: Float64Array): void {
  let m = -Infinity;
  for (let c = 0; c < K; c++) if (raw[o + c] > m) m = raw[o + c];
  let s = 0;
  for (let c = 0; c < K; c++) {
    const e = Math.exp(raw[o + c] - m);
    out[o + c] = e;
    s += e;
  }
  for (let c = 0; c < K; c++) out[o + c] /= s;
}
