import type { Frame } from '../data/frame.js';
import { vectorColumn } from '../data/frame.js';
import {
  Estimator,
  Model,
  MlErrors,
  V,
  mlError,
  registerEstimator,
  registerStage,
  requireRows,
  type ParamSpecs,
  type SavedData,
} from '../core.js';

function readVectors(
  frame: Frame,
  col: string,
  stage: string,
  dim?: number,
): { x: Float64Array; n: number; d: number } {
  const v = frame.vector(col);
  if (dim !== undefined && v.dim !== dim) {
    throw mlError(
      MlErrors.SCHEMA_MISMATCH,
      `${stage}: column '${col}' has ${v.dim} features, the model was fit on ${dim}`,
    );
  }
  return { x: v.values, n: frame.numRows, d: v.dim };
}

// ---------------------------------------------------------------------------------------------

export interface StandardScalerParams {
  inputCol: string;
  outputCol: string;
  withMean: boolean;
  withStd: boolean;
}
const stdSpecs: ParamSpecs<StandardScalerParams> = {
  inputCol: { doc: 'input vector (or numeric) column', default: 'features', validate: V.nonEmpty },
  outputCol: { doc: 'output vector column', default: 'scaledFeatures', validate: V.nonEmpty },
  withMean: { doc: 'centre to mean 0', default: false },
  withStd: { doc: 'scale to unit (sample) standard deviation', default: true },
};

/** Scales features by the sample standard deviation, optionally centring (Spark's StandardScaler; NaN ignored when fitting). */
export class StandardScaler extends Estimator<StandardScalerParams, StandardScalerModel> {
  readonly kind = 'StandardScaler';
  constructor(params: Partial<StandardScalerParams> = {}) {
    super('StandardScaler', stdSpecs, params);
  }
  async fit(frame: Frame): Promise<StandardScalerModel> {
    requireRows(frame, 'StandardScaler');
    const { x, n, d } = readVectors(frame, this.params.inputCol, 'StandardScaler');
    const mean = new Float64Array(d);
    const cnt = new Float64Array(d);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < d; j++) {
        const v = x[i * d + j];
        if (Number.isFinite(v)) {
          mean[j] += v;
          cnt[j]++;
        }
      }
    for (let j = 0; j < d; j++) mean[j] = cnt[j] > 0 ? mean[j] / cnt[j] : NaN;
    const std = new Float64Array(d);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < d; j++) {
        const v = x[i * d + j];
        if (Number.isFinite(v)) std[j] += (v - mean[j]) ** 2;
      }
    for (let j = 0; j < d; j++) std[j] = cnt[j] > 1 ? Math.sqrt(std[j] / (cnt[j] - 1)) : 0;
    return new StandardScalerModel(this.params, { mean, std });
  }
}

export class StandardScalerModel extends Model<StandardScalerParams> {
  readonly kind = 'StandardScalerModel';
  readonly mean: Float64Array;
  readonly std: Float64Array;
  constructor(params: Partial<StandardScalerParams>, data: { mean: Float64Array; std: Float64Array }, uid?: string) {
    super('StandardScalerModel', stdSpecs, params, uid);
    this.mean = data.mean;
    this.std = data.std;
  }
  transform(frame: Frame): Frame {
    const { x, n, d } = readVectors(frame, this.params.inputCol, 'StandardScalerModel', this.mean.length);
    const out = new Float64Array(n * d);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < d; j++) {
        let v = x[i * d + j];
        if (this.params.withMean) v -= this.mean[j];
        if (this.params.withStd) v = this.std[j] > 0 ? v / this.std[j] : 0 * v;
        out[i * d + j] = v;
      }
    return frame.withColumn(this.params.outputCol, vectorColumn(out, d));
  }
  override saveData(): SavedData {
    return { mean: this.mean, std: this.std };
  }
}
registerStage(
  'StandardScalerModel',
  ({ uid, params, data }) =>
    new StandardScalerModel(
      params as Partial<StandardScalerParams>,
      data as { mean: Float64Array; std: Float64Array },
      uid,
    ),
);

// ---------------------------------------------------------------------------------------------

export interface MinMaxScalerParams {
  inputCol: string;
  outputCol: string;
  min: number;
  max: number;
}
const mmSpecs: ParamSpecs<MinMaxScalerParams> = {
  inputCol: { doc: 'input vector (or numeric) column', default: 'features', validate: V.nonEmpty },
  outputCol: { doc: 'output vector column', default: 'scaledFeatures', validate: V.nonEmpty },
  min: { doc: 'lower bound of the output range', default: 0, validate: (v) => Number.isFinite(v) || 'must be finite' },
  max: { doc: 'upper bound of the output range', default: 1, validate: (v) => Number.isFinite(v) || 'must be finite' },
};

/** Rescales each feature to [min, max] (constant features map to the middle of the range, as Spark). */
export class MinMaxScaler extends Estimator<MinMaxScalerParams, MinMaxScalerModel> {
  readonly kind = 'MinMaxScaler';
  constructor(params: Partial<MinMaxScalerParams> = {}) {
    super('MinMaxScaler', mmSpecs, params);
    if (!(this.params.min < this.params.max)) {
      throw mlError(
        MlErrors.INVALID_PARAM,
        `MinMaxScaler: min (${this.params.min}) must be below max (${this.params.max})`,
      );
    }
  }
  async fit(frame: Frame): Promise<MinMaxScalerModel> {
    requireRows(frame, 'MinMaxScaler');
    const { x, n, d } = readVectors(frame, this.params.inputCol, 'MinMaxScaler');
    const lo = new Float64Array(d).fill(Infinity);
    const hi = new Float64Array(d).fill(-Infinity);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < d; j++) {
        const v = x[i * d + j];
        if (Number.isFinite(v)) {
          if (v < lo[j]) lo[j] = v;
          if (v > hi[j]) hi[j] = v;
        }
      }
    return new MinMaxScalerModel(this.params, { originalMin: lo, originalMax: hi });
  }
}

export class MinMaxScalerModel extends Model<MinMaxScalerParams> {
  readonly kind = 'MinMaxScalerModel';
  readonly originalMin: Float64Array;
  readonly originalMax: Float64Array;
  constructor(
    params: Partial<MinMaxScalerParams>,
    data: { originalMin: Float64Array; originalMax: Float64Array },
    uid?: string,
  ) {
    super('MinMaxScalerModel', mmSpecs, params, uid);
    this.originalMin = data.originalMin;
    this.originalMax = data.originalMax;
  }
  transform(frame: Frame): Frame {
    const { x, n, d } = readVectors(frame, this.params.inputCol, 'MinMaxScalerModel', this.originalMin.length);
    const { min, max } = this.params;
    const out = new Float64Array(n * d);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < d; j++) {
        const range = this.originalMax[j] - this.originalMin[j];
        const v = x[i * d + j];
        const r = range > 0 ? (v - this.originalMin[j]) / range : 0.5;
        out[i * d + j] = Number.isNaN(v) ? NaN : r * (max - min) + min;
      }
    return frame.withColumn(this.params.outputCol, vectorColumn(out, d));
  }
  override saveData(): SavedData {
    return { originalMin: this.originalMin, originalMax: this.originalMax };
  }
}
registerStage(
  'MinMaxScalerModel',
  ({ uid, params, data }) =>
    new MinMaxScalerModel(
      params as Partial<MinMaxScalerParams>,
      data as { originalMin: Float64Array; originalMax: Float64Array },
      uid,
    ),
);

// ---------------------------------------------------------------------------------------------

export interface ImputerParams {
  inputCols: readonly string[];
  /** Defaults to the input columns (replaced in place). */
  outputCols: readonly string[];
  strategy: 'mean' | 'median' | 'mode';
  /** The value treated as missing besides NaN (null by default: NaN only). */
  missingValue: number | null;
}
const impSpecs: ParamSpecs<ImputerParams> = {
  inputCols: {
    doc: 'numeric columns to impute',
    default: [],
    validate: (v) => v.length > 0 || 'at least one input column is needed',
  },
  outputCols: { doc: 'output columns (default: the input columns)', default: [] },
  strategy: { doc: "'mean', 'median' or 'mode'", default: 'mean', validate: V.oneOf('mean', 'median', 'mode') },
  missingValue: { doc: 'extra value treated as missing', default: null },
};

/** Replaces missing values (NaN, and `missingValue`) by each column's mean, median or mode. */
export class Imputer extends Estimator<ImputerParams, ImputerModel> {
  readonly kind = 'Imputer';
  constructor(params: Partial<ImputerParams> = {}) {
    super('Imputer', impSpecs, params);
    if (this.params.outputCols.length > 0 && this.params.outputCols.length !== this.params.inputCols.length) {
      throw mlError(MlErrors.INVALID_PARAM, 'Imputer: outputCols must have as many entries as inputCols');
    }
  }
  async fit(frame: Frame): Promise<ImputerModel> {
    requireRows(frame, 'Imputer');
    const mv = this.params.missingValue;
    const surrogates = this.params.inputCols.map((c) => {
      const v = frame.numeric(c);
      const vals: number[] = [];
      for (let i = 0; i < v.length; i++) if (!Number.isNaN(v[i]) && v[i] !== mv) vals.push(v[i]);
      if (vals.length === 0) {
        throw mlError(
          MlErrors.INVALID_DATA,
          `Imputer: column '${c}' has only missing values; there is nothing to impute from`,
        );
      }
      if (this.params.strategy === 'mean') return vals.reduce((s, x) => s + x, 0) / vals.length;
      vals.sort((a, b) => a - b);
      if (this.params.strategy === 'median') return vals[Math.floor((vals.length - 1) / 2)];
      let best = vals[0];
      let bestN = 0;
      for (let i = 0; i < vals.length;) {
        let j = i;
        while (j < vals.length && vals[j] === vals[i]) j++;
        if (j - i > bestN) {
          bestN = j - i;
          best = vals[i];
        }
        i = j;
      }
      return best;
    });
    return new ImputerModel(this.params, { surrogates: Float64Array.from(surrogates) });
  }
}

export class ImputerModel extends Model<ImputerParams> {
  readonly kind = 'ImputerModel';
  readonly surrogates: Float64Array;
  constructor(params: Partial<ImputerParams>, data: { surrogates: Float64Array }, uid?: string) {
    super('ImputerModel', impSpecs, params, uid);
    this.surrogates = data.surrogates;
  }
  transform(frame: Frame): Frame {
    const outs = this.params.outputCols.length > 0 ? this.params.outputCols : this.params.inputCols;
    const mv = this.params.missingValue;
    let f = frame;
    this.params.inputCols.forEach((c, k) => {
      const v = frame.numeric(c);
      const out = Float64Array.from(v, (x) => (Number.isNaN(x) || x === mv ? this.surrogates[k] : x));
      f = f.withColumn(outs[k], { kind: 'numeric', values: out });
    });
    return f;
  }
  override saveData(): SavedData {
    return { surrogates: this.surrogates };
  }
}
registerStage(
  'ImputerModel',
  ({ uid, params, data }) =>
    new ImputerModel(params as Partial<ImputerParams>, data as { surrogates: Float64Array }, uid),
);
registerEstimator('StandardScaler', StandardScaler);
registerEstimator('MinMaxScaler', MinMaxScaler);
registerEstimator('Imputer', Imputer);
