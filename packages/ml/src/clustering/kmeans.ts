import type { Frame } from '../data/frame.js';
import { featureMatrix, vectorColumn } from '../data/frame.js';
import { Rng } from '../data/rng.js';
import {
  Estimator,
  MlErrors,
  Model,
  V,
  mlError,
  registerEstimator,
  registerStage,
  requireFinite,
  requireRows,
  type ParamSpecs,
  type Predictor,
  type SavedData,
} from '../core.js';

export interface KMeansParams {
  featuresCol: string;
  predictionCol: string;
  k: number;
  maxIter: number;
  /** Lloyd iterations stop when the squared centre shift sums below tol * mean feature variance (as scikit-learn). */
  tol: number;
  /** Independent k-means++ starts; the lowest inertia wins. */
  nInit: number;
  seed: number;
}

const specs: ParamSpecs<KMeansParams> = {
  featuresCol: { doc: 'features column (vector or numeric)', default: 'features', validate: V.nonEmpty },
  predictionCol: { doc: 'output: cluster index', default: 'prediction', validate: V.nonEmpty },
  k: { doc: 'number of clusters', default: 2, validate: V.int(1) },
  maxIter: { doc: 'maximum Lloyd iterations per start', default: 300, validate: V.int(1) },
  tol: { doc: 'relative convergence tolerance', default: 1e-4, validate: V.gte(0) },
  nInit: { doc: 'number of k-means++ starts', default: 1, validate: V.int(1) },
  seed: { doc: 'random seed', default: 42, validate: V.int(-2147483648, 4294967295) },
};

/** k-means (Lloyd) with greedy k-means++ seeding (2 + ln k candidates per centre, as scikit-learn). */
export class KMeans extends Estimator<KMeansParams, KMeansModel> {
  readonly kind = 'KMeans';
  constructor(params: Partial<KMeansParams> = {}) {
    super('KMeans', specs, params);
  }

  async fit(frame: Frame): Promise<KMeansModel> {
    requireRows(frame, 'KMeans');
    const { x, n, d } = featureMatrix(frame, this.params.featuresCol);
    requireFinite(x, d, 'KMeans');
    const k = this.params.k;
    if (k > n) throw mlError(MlErrors.INVALID_PARAM, `KMeans: k = ${k} exceeds the number of rows (${n})`);
    // Tolerance relative to the data's mean variance.
    let meanVar = 0;
    for (let j = 0; j < d; j++) {
      let m = 0;
      let s = 0;
      for (let i = 0; i < n; i++) m += x[i * d + j];
      m /= n;
      for (let i = 0; i < n; i++) s += (x[i * d + j] - m) ** 2;
      meanVar += s / n / d;
    }
    const tol = this.params.tol * meanVar;
    const rng = new Rng(this.params.seed);
    let best: { centers: Float64Array; inertia: number; iterations: number } | undefined;
    for (let r = 0; r < this.params.nInit; r++) {
      const init = kmeansPlusPlus(x, n, d, k, rng.fork());
      const res = lloyd(x, n, d, k, init, this.params.maxIter, tol);
      if (!best || res.inertia < best.inertia) best = res;
    }
    return new KMeansModel(
      this.params,
      { centers: best!.centers, k, numFeatures: d },
      undefined,
      best!.inertia,
      best!.iterations,
    );
  }
}

function sqDist(x: Float64Array, i: number, c: Float64Array, k: number, d: number): number {
  let s = 0;
  const o = i * d;
  const co = k * d;
  for (let j = 0; j < d; j++) {
    const t = x[o + j] - c[co + j];
    s += t * t;
  }
  return s;
}

function kmeansPlusPlus(x: Float64Array, n: number, d: number, k: number, rng: Rng): Float64Array {
  const centers = new Float64Array(k * d);
  const trials = 2 + Math.floor(Math.log(k));
  const first = rng.nextInt(n);
  centers.set(x.subarray(first * d, first * d + d), 0);
  const closest = new Float64Array(n);
  let pot = 0;
  for (let i = 0; i < n; i++) {
    closest[i] = sqDist(x, i, centers, 0, d);
    pot += closest[i];
  }
  const cand = new Float64Array(n);
  const bestD = new Float64Array(n);
  for (let c = 1; c < k; c++) {
    let bestPot = Infinity;
    let bestIdx = -1;
    for (let t = 0; t < trials; t++) {
      // Sample proportional to the current squared distance.
      let u = rng.next() * pot;
      let idx = n - 1;
      for (let i = 0; i < n; i++) {
        u -= closest[i];
        if (u < 0) {
          idx = i;
          break;
        }
      }
      let p = 0;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < d; j++) {
          const v = x[i * d + j] - x[idx * d + j];
          s += v * v;
        }
        cand[i] = Math.min(closest[i], s);
        p += cand[i];
      }
      if (p < bestPot) {
        bestPot = p;
        bestIdx = idx;
        bestD.set(cand);
      }
    }
    centers.set(x.subarray(bestIdx * d, bestIdx * d + d), c * d);
    closest.set(bestD);
    pot = bestPot;
  }
  return centers;
}

function lloyd(
  x: Float64Array,
  n: number,
  d: number,
  k: number,
  init: Float64Array,
  maxIter: number,
  tol: number,
): { centers: Float64Array; inertia: number; iterations: number } {
  let centers = Float64Array.from(init);
  const labels = new Int32Array(n);
  const dist = new Float64Array(n);
  const sums = new Float64Array(k * d);
  const counts = new Float64Array(k);
  let it = 0;
  const assign = (): number => {
    let inertia = 0;
    for (let i = 0; i < n; i++) {
      let bj = 0;
      let bd = Infinity;
      for (let c = 0; c < k; c++) {
        const s = sqDist(x, i, centers, c, d);
        if (s < bd) {
          bd = s;
          bj = c;
        }
      }
      labels[i] = bj;
      dist[i] = bd;
      inertia += bd;
    }
    return inertia;
  };
  for (; it < maxIter; it++) {
    assign();
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const c = labels[i];
      counts[c]++;
      for (let j = 0; j < d; j++) sums[c * d + j] += x[i * d + j];
    }
    const next = new Float64Array(k * d);
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) {
        // Empty cluster: move it to the point farthest from its centre.
        let far = 0;
        for (let i = 1; i < n; i++) if (dist[i] > dist[far]) far = i;
        next.set(x.subarray(far * d, far * d + d), c * d);
        dist[far] = 0;
        continue;
      }
      for (let j = 0; j < d; j++) next[c * d + j] = sums[c * d + j] / counts[c];
    }
    let shift = 0;
    for (let t = 0; t < k * d; t++) shift += (next[t] - centers[t]) ** 2;
    centers = next;
    if (shift <= tol) {
      it++;
      break;
    }
  }
  const inertia = assign();
  return { centers, inertia, iterations: it };
}

export interface KMeansData {
  /** k x d, row-major. */
  centers: Float64Array;
  k: number;
  numFeatures: number;
}

export class KMeansModel extends Model<KMeansParams> implements Predictor {
  readonly kind = 'KMeansModel';
  readonly data: KMeansData;
  /** Sum of squared distances to the closest centre on the training data. */
  readonly inertia: number;
  readonly iterations: number;
  constructor(params: Partial<KMeansParams>, data: KMeansData, uid?: string, inertia = NaN, iterations = 0) {
    super('KMeansModel', specs, params, uid);
    this.data = data;
    this.inertia = inertia;
    this.iterations = iterations;
  }
  get clusterCenters(): Float64Array {
    return this.data.centers;
  }
  private matrix(frame: Frame): { x: Float64Array; n: number; d: number } {
    const m = featureMatrix(frame, this.params.featuresCol);
    if (m.d !== this.data.numFeatures) {
      throw mlError(
        MlErrors.SCHEMA_MISMATCH,
        `KMeansModel: column '${this.params.featuresCol}' has ${m.d} features, the model was fit on ${this.data.numFeatures}`,
      );
    }
    return m;
  }
  predict(frame: Frame): Float64Array {
    const { x, n, d } = this.matrix(frame);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let bd = Infinity;
      let bj = NaN;
      for (let c = 0; c < this.data.k; c++) {
        const s = sqDist(x, i, this.data.centers, c, d);
        if (s < bd) {
          bd = s;
          bj = c;
        }
      }
      out[i] = bj;
    }
    return out;
  }
  /** Sum of squared distances of the rows to their closest centre. */
  computeCost(frame: Frame): number {
    const { x, n, d } = this.matrix(frame);
    let s = 0;
    for (let i = 0; i < n; i++) {
      let bd = Infinity;
      for (let c = 0; c < this.data.k; c++) bd = Math.min(bd, sqDist(x, i, this.data.centers, c, d));
      s += bd;
    }
    return s;
  }
  transform(frame: Frame): Frame {
    return frame.withColumn(this.params.predictionCol, { kind: 'numeric', values: this.predict(frame) });
  }
  centersColumn(): { centers: ReturnType<typeof vectorColumn> } {
    return { centers: vectorColumn(this.data.centers, this.data.numFeatures) };
  }
  override saveData(): SavedData {
    return { centers: this.data.centers, k: this.data.k, numFeatures: this.data.numFeatures };
  }
}

registerStage(
  'KMeansModel',
  ({ uid, params, data }) => new KMeansModel(params as Partial<KMeansParams>, data as unknown as KMeansData, uid),
);
registerEstimator('KMeans', KMeans);
