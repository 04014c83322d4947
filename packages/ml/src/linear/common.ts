import { type Frame, featureMatrix } from '../data/frame.js';
import { MlErrors, mlError, requireFinite, requireRows } from '../core.js';

/** Training features, centred (when there is an intercept) and scaled to unit variance. */
export interface Design {
  n: number;
  d: number;
  /** Scaled copy, row-major n x d. Constant columns are all zero. */
  xs: Float64Array;
  mean: Float64Array;
  /** Population standard deviation of each column (0 for a constant column). */
  std: Float64Array;
  /** Whether `xs` lives in a SharedArrayBuffer (for worker threads). */
  shared: boolean;
}

export function readTraining(
  frame: Frame,
  featuresCol: string,
  labelCol: string,
  stage: string,
): { x: Float64Array; y: Float64Array; n: number; d: number } {
  requireRows(frame, stage);
  const { x, n, d } = featureMatrix(frame, featuresCol);
  const y = frame.numeric(labelCol);
  requireFinite(x, d, stage);
  requireFinite(y, 1, stage, `label column '${labelCol}'`);
  return { x, y, n, d };
}

/**
 * Row weights from `weightCol` ('' = none: null). Weights must be finite and >= 0 with a positive
 * sum (ML_INVALID_WEIGHT otherwise, as for the trees); a row of weight 0 is as if it were absent.
 */
export function readWeights(frame: Frame, weightCol: string, stage: string): Float64Array | null {
  if (!weightCol) return null;
  const w = frame.numeric(weightCol);
  let sum = 0;
  for (let i = 0; i < w.length; i++) {
    const v = w[i];
    if (!Number.isFinite(v) || v < 0) {
      throw mlError(
        'ML_INVALID_WEIGHT',
        `${stage}: weight column '${weightCol}' has ${Number.isNaN(v) ? 'NaN' : v} at row ${i}; weights must be finite and >= 0`,
        { row: i },
      );
    }
    sum += v;
  }
  if (!(sum > 0)) {
    throw mlError('ML_INVALID_WEIGHT', `${stage}: the weights in column '${weightCol}' sum to 0`);
  }
  return w;
}

/** Sum of the weights (n when there are none). */
export function weightSum(weights: Float64Array | null, n: number): number {
  if (!weights) return n;
  let s = 0;
  for (let i = 0; i < n; i++) s += weights[i];
  return s;
}

/** Mean and spread are weighted by `weights` when given (as Spark does with weightCol). */
export function standardize(
  x: Float64Array,
  n: number,
  d: number,
  center: boolean,
  shared = false,
  weights: Float64Array | null = null,
): Design {
  const mean = new Float64Array(d);
  const m2 = new Float64Array(d);
  const sw = weightSum(weights, n);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    const wi = weights ? weights[i] : 1;
    for (let j = 0; j < d; j++) mean[j] += wi * x[o + j];
  }
  for (let j = 0; j < d; j++) mean[j] /= sw;
  for (let i = 0; i < n; i++) {
    const o = i * d;
    const wi = weights ? weights[i] : 1;
    for (let j = 0; j < d; j++) {
      const t = x[o + j] - mean[j];
      m2[j] += wi * t * t;
    }
  }
  const std = new Float64Array(d);
  const inv = new Float64Array(d);
  const shift = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    std[j] = Math.sqrt(m2[j] / sw);
    if (!Number.isFinite(std[j]) || !Number.isFinite(mean[j])) {
      throw mlError(
        MlErrors.INVALID_DATA,
        `feature ${j} has values too large to standardise (its variance overflows); rescale it first`,
      );
    }
    // Treat a column as constant when its spread is at rounding level relative to its size.
    if (!(std[j] > 1e-12 * Math.max(1, Math.abs(mean[j])))) std[j] = 0;
    inv[j] = std[j] > 0 ? 1 / std[j] : 0;
    shift[j] = center ? mean[j] : 0;
  }
  const xs = shared ? new Float64Array(new SharedArrayBuffer(n * d * 8)) : new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) xs[o + j] = (x[o + j] - shift[j]) * inv[j];
  }
  return { n, d, xs, mean, std, shared };
}

/** Feature matrix for prediction, checking the width the model was fit with. */
export function readPredict(
  frame: Frame,
  featuresCol: string,
  numFeatures: number,
  stage: string,
): { x: Float64Array; n: number } {
  const { x, n, d } = featureMatrix(frame, featuresCol);
  if (d !== numFeatures) {
    throw mlError(
      MlErrors.SCHEMA_MISMATCH,
      `${stage}: column '${featuresCol}' has ${d} features, the model was fit on ${numFeatures}`,
      {
        expected: numFeatures,
        actual: d,
      },
    );
  }
  return { x, n };
}
