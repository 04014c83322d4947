import type { Frame } from '../data/frame.js';
import {
  Estimator,
  Model,
  V,
  registerEstimator,
  registerStage,
  type ParamSpecs,
  type Predictor,
  type SavedData,
} from '../core.js';
import { readPredict, readTraining, readWeights, standardize, weightSum } from './common.js';

export interface LinearRegressionParams {
  featuresCol: string;
  labelCol: string;
  predictionCol: string;
  /** Regularisation strength lambda. */
  regParam: number;
  /** Elastic-net mixing alpha: 0 = ridge, 1 = lasso. */
  elasticNetParam: number;
  fitIntercept: boolean;
  /** Penalise coefficients of standardised features (Spark's default) instead of the raw ones. */
  standardization: boolean;
  /** Coordinate-descent sweeps (only used when alpha * lambda > 0, or the Gram matrix is singular). */
  maxIter: number;
  /** Coordinate descent stops when the largest coefficient change is below tol * max |w|. */
  tol: number;
  /** Row weights column ('' = every row weighs 1): weighted least squares. */
  weightCol: string;
}

const specs: ParamSpecs<LinearRegressionParams> = {
  featuresCol: { doc: 'features column (vector or numeric)', default: 'features', validate: V.nonEmpty },
  labelCol: { doc: 'label column', default: 'label', validate: V.nonEmpty },
  predictionCol: { doc: 'output: prediction', default: 'prediction', validate: V.nonEmpty },
  regParam: { doc: 'regularisation strength lambda >= 0', default: 0, validate: V.gte(0) },
  elasticNetParam: { doc: 'elastic-net mix in [0, 1]: 0 = L2, 1 = L1', default: 0, validate: V.inRange(0, 1) },
  fitIntercept: { doc: 'fit an (unpenalised) intercept', default: true },
  standardization: { doc: 'penalise standardised coefficients', default: true },
  maxIter: { doc: 'maximum coordinate-descent sweeps', default: 1000, validate: V.int(1) },
  tol: { doc: 'coordinate-descent tolerance', default: 1e-10, validate: V.gte(0) },
  weightCol: { doc: "row weights column (finite, >= 0; '' = all 1)", default: '' },
};

/**
 * Linear regression minimising
 *   1/(2n) * ||y - X w - b||^2 + lambda * (alpha * ||w||_1 + (1 - alpha) / 2 * ||w||_2^2)
 * (Spark MLlib's objective; with weightCol, 1/(2 sum w) * sum w_i (y_i - x_i w - b)^2). With
 * standardization = false this equals scikit-learn's
 * ElasticNet(alpha = lambda, l1_ratio = alpha), Lasso(alpha = lambda), Ridge(alpha = lambda * n)
 * and LinearRegression (lambda = 0).
 * Solved on the Gram matrix (one pass over the data): Cholesky for OLS / ridge, coordinate descent
 * with soft-thresholding when there is an L1 part.
 */
export class LinearRegression extends Estimator<LinearRegressionParams, LinearRegressionModel> {
  readonly kind = 'LinearRegression';
  constructor(params: Partial<LinearRegressionParams> = {}) {
    super('LinearRegression', specs, params);
  }

  async fit(frame: Frame): Promise<LinearRegressionModel> {
    return this.fitSync(frame);
  }

  fitSync(frame: Frame): LinearRegressionModel {
    const p = this.params;
    const { x, y, n, d } = readTraining(frame, p.featuresCol, p.labelCol, 'LinearRegression');
    const weights = readWeights(frame, p.weightCol, 'LinearRegression');
    const sw = weightSum(weights, n);
    const des = standardize(x, n, d, p.fitIntercept, false, weights);
    let ymean = 0;
    if (p.fitIntercept) {
      for (let i = 0; i < n; i++) ymean += (weights ? weights[i] : 1) * y[i];
      ymean /= sw;
    }
    // Gram matrix G = Xs'Xs / n and c = Xs'(y - ymean) / n.
    const G = new Float64Array(d * d);
    const c = new Float64Array(d);
    const xs = des.xs;
    for (let i = 0; i < n; i++) {
      const o = i * d;
      const wi = weights ? weights[i] : 1;
      if (wi === 0) continue;
      const yi = y[i] - ymean;
      for (let j = 0; j < d; j++) {
        const v = xs[o + j];
        if (v === 0) continue;
        c[j] += wi * v * yi;
        const gj = j * d;
        const wv = wi * v;
        for (let k = j; k < d; k++) G[gj + k] += wv * xs[o + k];
      }
    }
    for (let j = 0; j < d; j++) {
      c[j] /= sw;
      for (let k = j; k < d; k++) {
        G[j * d + k] /= sw;
        G[k * d + j] = G[j * d + k];
      }
    }
    const l2 = new Float64Array(d);
    const l1 = new Float64Array(d);
    const lam2 = p.regParam * (1 - p.elasticNetParam);
    const lam1 = p.regParam * p.elasticNetParam;
    for (let j = 0; j < d; j++) {
      const s = des.std[j];
      if (s === 0) continue;
      l2[j] = p.standardization ? lam2 : lam2 / (s * s);
      l1[j] = p.standardization ? lam1 : lam1 / s;
    }
    let w: Float64Array | undefined;
    let iterations = 0;
    if (lam1 === 0) {
      const A = Float64Array.from(G);
      for (let j = 0; j < d; j++) A[j * d + j] += des.std[j] === 0 ? 1 : l2[j];
      w = choleskySolve(A, c, d);
    }
    if (!w) {
      const r = coordinateDescent(G, c, l1, l2, des.std, p.maxIter, p.tol);
      w = r.w;
      iterations = r.iterations;
    }
    const coef = new Float64Array(d);
    let b = p.fitIntercept ? ymean : 0;
    for (let j = 0; j < d; j++) {
      coef[j] = des.std[j] > 0 ? w[j] / des.std[j] : 0;
      if (p.fitIntercept) b -= coef[j] * des.mean[j];
    }
    return new LinearRegressionModel(p, { coefficients: coef, intercept: b, numFeatures: d }, undefined, iterations);
  }
}

/** Solve A w = c for symmetric positive definite A; undefined when A is (numerically) singular. */
export function choleskySolve(A: Float64Array, c: Float64Array, d: number): Float64Array | undefined {
  const L = new Float64Array(d * d);
  let maxDiag = 0;
  for (let j = 0; j < d; j++) maxDiag = Math.max(maxDiag, A[j * d + j]);
  for (let j = 0; j < d; j++) {
    let s = A[j * d + j];
    for (let k = 0; k < j; k++) s -= L[j * d + k] * L[j * d + k];
    if (!(s > 1e-12 * Math.max(maxDiag, 1e-300))) return undefined;
    const ljj = Math.sqrt(s);
    L[j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let t = A[i * d + j];
      for (let k = 0; k < j; k++) t -= L[i * d + k] * L[j * d + k];
      L[i * d + j] = t / ljj;
    }
  }
  const z = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let t = c[i];
    for (let k = 0; k < i; k++) t -= L[i * d + k] * z[k];
    z[i] = t / L[i * d + i];
  }
  const w = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let t = z[i];
    for (let k = i + 1; k < d; k++) t -= L[k * d + i] * w[k];
    w[i] = t / L[i * d + i];
  }
  return w;
}

function coordinateDescent(
  G: Float64Array,
  c: Float64Array,
  l1: Float64Array,
  l2: Float64Array,
  std: Float64Array,
  maxIter: number,
  tol: number,
): { w: Float64Array; iterations: number } {
  const d = c.length;
  const w = new Float64Array(d);
  const Gw = new Float64Array(d); // G w
  let it = 0;
  for (; it < maxIter; it++) {
    let maxChange = 0;
    let maxW = 0;
    for (let j = 0; j < d; j++) {
      const gjj = G[j * d + j];
      if (std[j] === 0 || gjj <= 0) continue;
      const rho = c[j] - Gw[j] + gjj * w[j];
      const v = rho > l1[j] ? rho - l1[j] : rho < -l1[j] ? rho + l1[j] : 0;
      const nw = v / (gjj + l2[j]);
      const delta = nw - w[j];
      if (delta !== 0) {
        for (let k = 0; k < d; k++) Gw[k] += G[k * d + j] * delta;
        w[j] = nw;
      }
      maxChange = Math.max(maxChange, Math.abs(delta));
      maxW = Math.max(maxW, Math.abs(nw));
    }
    if (maxChange <= tol * Math.max(maxW, 1e-300) || maxW === 0) {
      it++;
      break;
    }
  }
  return { w, iterations: it };
}

export interface LinearRegressionData {
  coefficients: Float64Array;
  intercept: number;
  numFeatures: number;
}

export class LinearRegressionModel extends Model<LinearRegressionParams> implements Predictor {
  readonly kind = 'LinearRegressionModel';
  readonly data: LinearRegressionData;
  /** Coordinate-descent sweeps used (0 for the closed-form solution). */
  readonly iterations: number;
  constructor(params: Partial<LinearRegressionParams>, data: LinearRegressionData, uid?: string, iterations = 0) {
    super('LinearRegressionModel', specs, params, uid);
    this.data = data;
    this.iterations = iterations;
  }
  get coefficients(): Float64Array {
    return this.data.coefficients;
  }
  get intercept(): number {
    return this.data.intercept;
  }
  get numFeatures(): number {
    return this.data.numFeatures;
  }
  /** Predictions (NaN for rows with missing features). */
  predict(frame: Frame): Float64Array {
    const { x, n } = readPredict(frame, this.params.featuresCol, this.data.numFeatures, 'LinearRegressionModel');
    const { coefficients: w, intercept: b, numFeatures: d } = this.data;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = b;
      for (let j = 0; j < d; j++) s += w[j] * x[i * d + j];
      out[i] = s;
    }
    return out;
  }
  transform(frame: Frame): Frame {
    return frame.withColumn(this.params.predictionCol, { kind: 'numeric', values: this.predict(frame) });
  }
  override saveData(): SavedData {
    return { coefficients: this.data.coefficients, intercept: this.data.intercept, numFeatures: this.data.numFeatures };
  }
}

registerStage('LinearRegressionModel', ({ uid, params, data }) => {
  return new LinearRegressionModel(
    params as Partial<LinearRegressionParams>,
    data as unknown as LinearRegressionData,
    uid,
  );
});
registerEstimator('LinearRegression', LinearRegression);
