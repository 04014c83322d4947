import type { Frame } from '../data/frame.js';
import { vectorColumn } from '../data/frame.js';
import {
  Estimator,
  Model,
  MlErrors,
  V,
  classLabels,
  mlError,
  registerEstimator,
  registerStage,
  type ParamSpecs,
  type ProbabilisticClassifier,
  type SavedData,
} from '../core.js';
import { minimize, type Objective } from './optim.js';
import { binaryChunk, multinomialChunk, type PartialLoss } from './logistic-kernels.js';
import { defaultParallelism, sharedPool } from '../parallel.js';
import { readPredict, readTraining, readWeights, standardize, weightSum } from './common.js';

export interface LogisticRegressionParams {
  featuresCol: string;
  labelCol: string;
  predictionCol: string;
  probabilityCol: string;
  rawPredictionCol: string;
  /** Regularisation strength lambda. */
  regParam: number;
  /** Elastic-net mixing alpha: 0 = L2 (ridge), 1 = L1 (lasso). */
  elasticNetParam: number;
  fitIntercept: boolean;
  /** Penalise coefficients of standardised features (Spark's default) instead of the raw ones. */
  standardization: boolean;
  maxIter: number;
  tol: number;
  /** 'auto': binomial for two classes, multinomial otherwise. */
  family: 'auto' | 'binomial' | 'multinomial';
  /** Binary decision threshold on P(class 1). */
  threshold: number;
  /** Threads for the loss/gradient: 0 = automatic (all cores for large data), 1 = main thread only. */
  parallelism: number;
  /** Row weights column ('' = every row weighs 1): the loss is the weighted mean. */
  weightCol: string;
}

const specs: ParamSpecs<LogisticRegressionParams> = {
  featuresCol: { doc: 'features column (vector or numeric)', default: 'features', validate: V.nonEmpty },
  labelCol: { doc: 'label column: class indices 0..K-1', default: 'label', validate: V.nonEmpty },
  predictionCol: { doc: 'output: predicted class index', default: 'prediction', validate: V.nonEmpty },
  probabilityCol: { doc: 'output: class probabilities (vector)', default: 'probability' },
  rawPredictionCol: { doc: 'output: margins (vector)', default: 'rawPrediction' },
  regParam: { doc: 'regularisation strength lambda >= 0', default: 0, validate: V.gte(0) },
  elasticNetParam: { doc: 'elastic-net mix in [0, 1]: 0 = L2, 1 = L1', default: 0, validate: V.inRange(0, 1) },
  fitIntercept: { doc: 'fit an (unpenalised) intercept', default: true },
  standardization: { doc: 'penalise standardised coefficients', default: true },
  maxIter: { doc: 'maximum L-BFGS / OWL-QN iterations', default: 100, validate: V.int(0) },
  tol: { doc: 'convergence tolerance on the relative objective decrease', default: 1e-6, validate: V.gte(0) },
  family: {
    doc: "'auto', 'binomial' or 'multinomial'",
    default: 'auto',
    validate: V.oneOf('auto', 'binomial', 'multinomial'),
  },
  threshold: { doc: 'binary decision threshold on P(class 1)', default: 0.5, validate: V.inRange(0, 1) },
  parallelism: { doc: 'threads for the gradient: 0 = automatic, 1 = none', default: 0, validate: V.int(0, 256) },
  weightCol: { doc: "row weights column (finite, >= 0; '' = all 1)", default: '' },
};

export interface TrainingSummary {
  iterations: number;
  objective: number;
  converged: boolean;
}

/**
 * Logistic regression minimising
 *   mean_i logloss_i + lambda * (alpha * ||w||_1 + (1 - alpha) / 2 * ||w||_2^2)
 * (Spark MLlib's objective; the intercept is not penalised; with weightCol the mean is weighted:
 * sum_i w_i logloss_i / sum_i w_i). With standardization = false this is
 * scikit-learn's LogisticRegression(C) objective for lambda = 1 / (C * n), alpha = 0.
 * L-BFGS for L2 / no penalty, OWL-QN when alpha * lambda > 0. Features are standardised internally
 * for conditioning; coefficients are reported on the original scale.
 */
export class LogisticRegression extends Estimator<LogisticRegressionParams, LogisticRegressionModel> {
  readonly kind = 'LogisticRegression';
  constructor(params: Partial<LogisticRegressionParams> = {}) {
    super('LogisticRegression', specs, params);
  }

  async fit(frame: Frame): Promise<LogisticRegressionModel> {
    const p = this.params;
    const { x, y, n, d } = readTraining(frame, p.featuresCol, p.labelCol, 'LogisticRegression');
    const weights = readWeights(frame, p.weightCol, 'LogisticRegression');
    const numClasses = classLabels(y, 'LogisticRegression');
    const multinomial = p.family === 'multinomial' || (p.family === 'auto' && numClasses > 2);
    if (p.family === 'binomial' && numClasses > 2) {
      throw mlError(
        MlErrors.INVALID_PARAM,
        `LogisticRegression: family 'binomial' needs 2 classes, the label has ${numClasses}`,
      );
    }
    const K = multinomial ? numClasses : 1;
    const threads = Math.min(n, p.parallelism > 0 ? p.parallelism : n * d * K >= 2_000_000 ? defaultParallelism() : 1);
    const des = standardize(x, n, d, p.fitIntercept, threads > 1, weights);
    const ys = des.shared ? new Float64Array(new SharedArrayBuffer(n * 8)) : y;
    if (ys !== y) ys.set(y);
    let sw = weights;
    if (sw && des.shared) {
      sw = new Float64Array(new SharedArrayBuffer(n * 8));
      sw.set(weights!);
    }
    const nb = p.fitIntercept ? K : 0;
    const nw = K * d;
    const lambda2 = p.regParam * (1 - p.elasticNetParam);
    const lambda1 = p.regParam * p.elasticNetParam;
    const l2 = new Float64Array(nw + nb);
    const l1 = new Float64Array(nw + nb);
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < d; j++) {
        const s = des.std[j];
        if (s === 0) continue;
        l2[k * d + j] = p.standardization ? lambda2 : lambda2 / (s * s);
        l1[k * d + j] = p.standardization ? lambda1 : lambda1 / s;
      }
    }
    const obj = objective(des.xs, ys, sw, n, d, K, multinomial, p.fitIntercept, l2, threads);
    const w0 = new Float64Array(nw + nb);
    if (p.fitIntercept) {
      // Start the intercepts at the log-odds of the class frequencies.
      const counts = new Float64Array(numClasses);
      for (let i = 0; i < n; i++) counts[y[i]] += weights ? weights[i] : 1;
      if (multinomial) {
        let meanLog = 0;
        for (let k = 0; k < K; k++) meanLog += Math.log(Math.max(counts[k], 0.5)) / K;
        for (let k = 0; k < K; k++) w0[nw + k] = Math.log(Math.max(counts[k], 0.5)) - meanLog;
      } else {
        w0[nw] = Math.log(Math.max(counts[1], 0.5) / Math.max(counts[0], 0.5));
      }
    }
    const res = await minimize(obj, w0, { maxIter: p.maxIter, tol: p.tol, l1: lambda1 > 0 ? l1 : undefined });
    // Back to the original feature scale.
    const coef = new Float64Array(nw);
    const intercept = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      let b = p.fitIntercept ? res.w[nw + k] : 0;
      for (let j = 0; j < d; j++) {
        const s = des.std[j];
        const c = s > 0 ? res.w[k * d + j] / s : 0;
        coef[k * d + j] = c;
        if (p.fitIntercept) b -= c * des.mean[j];
      }
      intercept[k] = b;
    }
    return new LogisticRegressionModel(
      p,
      { coefficients: coef, intercepts: intercept, numClasses, numFeatures: d, multinomial },
      undefined,
      {
        iterations: res.iterations,
        objective: res.value,
        converged: res.converged,
      },
    );
  }
}

const kernelsUrl = new URL('./logistic-kernels.ts', import.meta.url).href;

/**
 * Mean loss + L2 penalty and its gradient. With `threads` > 1 the rows are split into equal
 * chunks: the main thread computes the first while worker threads compute the others.
 */
function objective(
  xs: Float64Array,
  y: Float64Array,
  sw: Float64Array | null,
  n: number,
  d: number,
  K: number,
  multinomial: boolean,
  fitIntercept: boolean,
  l2: Float64Array,
  threads: number,
): Objective {
  const nw = multinomial ? K * d : d;
  const local = new Float64Array(l2.length);
  const bounds = Array.from({ length: threads + 1 }, (_, t) => Math.floor((t * n) / threads));
  const pool = threads > 1 ? sharedPool() : undefined;
  const total = weightSum(sw, n);
  return async (w, g) => {
    const remote = pool
      ? bounds
          .slice(1, -1)
          .map((lo, t) =>
            pool.run<PartialLoss>(kernelsUrl, 'chunk', [
              xs,
              y,
              sw,
              d,
              K,
              multinomial,
              fitIntercept,
              w,
              lo,
              bounds[t + 2],
            ]),
          )
      : [];
    const own = multinomial
      ? multinomialChunk(xs, y, sw, d, K, fitIntercept, w, 0, bounds[1], local)
      : binaryChunk(xs, y, sw, d, fitIntercept, w, 0, bounds[1], local);
    let loss = own.loss;
    g.set(own.grad);
    for (const r of await Promise.all(remote)) {
      loss += r.loss;
      for (let t = 0; t < g.length; t++) g[t] += r.grad[t];
    }
    const inv = 1 / total;
    loss *= inv;
    for (let t = 0; t < g.length; t++) g[t] *= inv;
    for (let t = 0; t < nw; t++) {
      g[t] += l2[t] * w[t];
      loss += 0.5 * l2[t] * w[t] * w[t];
    }
    return loss;
  };
}

export interface LogisticRegressionData {
  /** Binary: d coefficients. Multinomial: K x d, row-major (class k at k * d). */
  coefficients: Float64Array;
  /** Binary: one intercept. Multinomial: K. */
  intercepts: Float64Array;
  numClasses: number;
  numFeatures: number;
  multinomial: boolean;
}

export class LogisticRegressionModel extends Model<LogisticRegressionParams> implements ProbabilisticClassifier {
  readonly kind = 'LogisticRegressionModel';
  readonly data: LogisticRegressionData;
  readonly summary: TrainingSummary | undefined;
  constructor(
    params: Partial<LogisticRegressionParams>,
    data: LogisticRegressionData,
    uid?: string,
    summary?: TrainingSummary,
  ) {
    super('LogisticRegressionModel', specs, params, uid);
    this.data = data;
    this.summary = summary;
  }
  get numClasses(): number {
    return this.data.numClasses;
  }
  get numFeatures(): number {
    return this.data.numFeatures;
  }
  /** Binary: the coefficient vector; multinomial: K x d row-major. */
  get coefficients(): Float64Array {
    return this.data.coefficients;
  }
  get intercept(): number {
    return this.data.intercepts[0];
  }
  get intercepts(): Float64Array {
    return this.data.intercepts;
  }

  /** Margins, n x K (binary: K = 2 with [-m, m] as Spark reports them). */
  rawPredictions(frame: Frame): Float64Array {
    const { x, n } = readPredict(frame, this.params.featuresCol, this.data.numFeatures, 'LogisticRegressionModel');
    const { coefficients: w, intercepts: b, numFeatures: d } = this.data;
    const K = this.data.numClasses;
    const out = new Float64Array(n * K);
    if (!this.data.multinomial) {
      for (let i = 0; i < n; i++) {
        let m = b[0];
        for (let j = 0; j < d; j++) m += w[j] * x[i * d + j];
        out[i * 2] = -m;
        out[i * 2 + 1] = m;
      }
      return out;
    }
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < K; k++) {
        let m = b[k];
        for (let j = 0; j < d; j++) m += w[k * d + j] * x[i * d + j];
        out[i * K + k] = m;
      }
    }
    return out;
  }

  predictProbability(frame: Frame): Float64Array {
    return this.probabilities(this.rawPredictions(frame));
  }

  private probabilities(raw: Float64Array): Float64Array {
    const K = this.data.numClasses;
    const n = raw.length / K;
    const out = new Float64Array(raw.length);
    if (!this.data.multinomial) {
      for (let i = 0; i < n; i++) {
        const p1 = 1 / (1 + Math.exp(-raw[i * 2 + 1]));
        out[i * 2] = 1 - p1;
        out[i * 2 + 1] = p1;
      }
      return out;
    }
    for (let i = 0; i < n; i++) {
      let mx = -Infinity;
      for (let k = 0; k < K; k++) mx = Math.max(mx, raw[i * K + k]);
      let z = 0;
      for (let k = 0; k < K; k++) {
        out[i * K + k] = Math.exp(raw[i * K + k] - mx);
        z += out[i * K + k];
      }
      for (let k = 0; k < K; k++) out[i * K + k] /= z;
    }
    return out;
  }

  /** Predicted class index per row (NaN for rows with missing features). */
  predict(frame: Frame): Float64Array {
    return this.classify(this.predictProbability(frame));
  }

  private classify(prob: Float64Array): Float64Array {
    const K = this.data.numClasses;
    const n = prob.length / K;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      if (!this.data.multinomial && K === 2) {
        const p1 = prob[i * 2 + 1];
        out[i] = Number.isNaN(p1) ? NaN : p1 > this.params.threshold ? 1 : 0;
        continue;
      }
      let best = 0;
      let bv = -Infinity;
      let nan = false;
      for (let k = 0; k < K; k++) {
        const v = prob[i * K + k];
        if (Number.isNaN(v)) nan = true;
        if (v > bv) {
          bv = v;
          best = k;
        }
      }
      out[i] = nan ? NaN : best;
    }
    return out;
  }

  transform(frame: Frame): Frame {
    const K = this.data.numClasses;
    const raw = this.rawPredictions(frame);
    const prob = this.probabilities(raw);
    let f = frame;
    if (this.params.rawPredictionCol) f = f.withColumn(this.params.rawPredictionCol, vectorColumn(raw, K));
    if (this.params.probabilityCol) f = f.withColumn(this.params.probabilityCol, vectorColumn(prob, K));
    return f.withColumn(this.params.predictionCol, { kind: 'numeric', values: this.classify(prob) });
  }

  override saveData(): SavedData {
    const { coefficients, intercepts, numClasses, numFeatures, multinomial } = this.data;
    return { coefficients, intercepts, numClasses, numFeatures, multinomial };
  }
}

registerStage('LogisticRegressionModel', ({ uid, params, data }) => {
  return new LogisticRegressionModel(
    params as Partial<LogisticRegressionParams>,
    data as unknown as LogisticRegressionData,
    uid,
  );
});
registerEstimator('LogisticRegression', LogisticRegression);
