import type { Frame } from '../data/frame.js';
import {
  Estimator,
  MlErrors,
  Transformer,
  V,
  mlError,
  registerEstimator,
  registerStage,
  requireRows,
  type ParamSpecs,
} from '../core.js';
import type { HandleInvalid } from './assembler.js';

export interface BucketizerParams {
  inputCol: string;
  outputCol: string;
  /** Strictly increasing bucket edges; bucket k is [splits[k], splits[k+1]) (the last one closed). */
  splits: readonly number[];
  /** NaN values: 'error', 'skip' the row, or 'keep' (extra bucket numBuckets). */
  handleInvalid: HandleInvalid;
}
const bSpecs: ParamSpecs<BucketizerParams> = {
  inputCol: { doc: 'numeric column', default: '', validate: V.nonEmpty },
  outputCol: { doc: 'output bucket index column', default: '', validate: V.nonEmpty },
  splits: {
    doc: 'strictly increasing edges (use -Infinity / Infinity to cover everything)',
    default: [],
    validate: (s) => {
      if (s.length < 3) return 'at least 3 edges (2 buckets) are needed';
      for (let i = 1; i < s.length; i++) if (!(s[i] > s[i - 1])) return 'edges must be strictly increasing';
      return true;
    },
  },
  handleInvalid: {
    doc: "NaN handling: 'error', 'skip' or 'keep'",
    default: 'error',
    validate: V.oneOf('error', 'skip', 'keep'),
  },
};

/** Maps a numeric column to bucket indices (Spark's Bucketizer). Values outside the edges are an error. */
export class Bucketizer extends Transformer<BucketizerParams> {
  readonly kind = 'Bucketizer';
  constructor(params: Partial<BucketizerParams> = {}, uid?: string) {
    super('Bucketizer', bSpecs, params, uid);
  }
  transform(frame: Frame): Frame {
    const v = frame.numeric(this.params.inputCol);
    const s = this.params.splits;
    const nb = s.length - 1;
    const out = new Float64Array(v.length);
    let keep: Uint8Array | undefined;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (Number.isNaN(x)) {
        if (this.params.handleInvalid === 'error') {
          throw mlError(
            MlErrors.INVALID_DATA,
            `Bucketizer: column '${this.params.inputCol}' has NaN at row ${i}; set handleInvalid to 'skip' or 'keep'`,
          );
        }
        if (this.params.handleInvalid === 'keep') out[i] = nb;
        else {
          keep ??= new Uint8Array(v.length).fill(1);
          keep[i] = 0;
        }
        continue;
      }
      if (x < s[0] || x > s[nb]) {
        throw mlError(
          MlErrors.INVALID_DATA,
          `Bucketizer: value ${x} at row ${i} is outside the edges [${s[0]}, ${s[nb]}]`,
        );
      }
      let lo = 0;
      let hi = nb; // find the last edge <= x
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (s[mid] <= x) lo = mid;
        else hi = mid - 1;
      }
      out[i] = Math.min(lo, nb - 1);
    }
    const f = frame.withColumn(this.params.outputCol, { kind: 'numeric', values: out });
    return keep ? f.filter(keep) : f;
  }
}
registerStage('Bucketizer', ({ uid, params }) => new Bucketizer(params as Partial<BucketizerParams>, uid));

export interface QuantileDiscretizerParams {
  inputCol: string;
  outputCol: string;
  numBuckets: number;
  handleInvalid: HandleInvalid;
}

/**
 * Fits a Bucketizer whose inner edges are exact quantiles of the column (NaN ignored); repeated
 * edges are merged, so fewer buckets can result on data with many ties (as in Spark).
 */
export class QuantileDiscretizer extends Estimator<QuantileDiscretizerParams, Bucketizer> {
  readonly kind = 'QuantileDiscretizer';
  constructor(params: Partial<QuantileDiscretizerParams> = {}) {
    super(
      'QuantileDiscretizer',
      {
        inputCol: { doc: 'numeric column', default: '', validate: V.nonEmpty },
        outputCol: { doc: 'output bucket index column', default: '', validate: V.nonEmpty },
        numBuckets: { doc: 'number of buckets', default: 2, validate: V.int(2) },
        handleInvalid: {
          doc: "NaN handling: 'error', 'skip' or 'keep'",
          default: 'error',
          validate: V.oneOf('error', 'skip', 'keep'),
        },
      },
      params,
    );
  }
  async fit(frame: Frame): Promise<Bucketizer> {
    requireRows(frame, 'QuantileDiscretizer');
    const vals = Array.from(frame.numeric(this.params.inputCol)).filter((x) => !Number.isNaN(x));
    if (vals.length === 0)
      throw mlError(
        MlErrors.EMPTY_DATA,
        `QuantileDiscretizer: column '${this.params.inputCol}' has only missing values`,
      );
    vals.sort((a, b) => a - b);
    const edges: number[] = [-Infinity];
    for (let k = 1; k < this.params.numBuckets; k++) {
      const q = vals[Math.min(vals.length - 1, Math.floor((k * vals.length) / this.params.numBuckets))];
      if (q > edges[edges.length - 1] && q !== vals[0]) edges.push(q);
    }
    edges.push(Infinity);
    if (edges.length < 3) edges.splice(1, 0, vals[vals.length - 1] > vals[0] ? vals[vals.length - 1] : vals[0] + 1);
    return new Bucketizer({
      inputCol: this.params.inputCol,
      outputCol: this.params.outputCol,
      splits: edges,
      handleInvalid: this.params.handleInvalid,
    });
  }
}
registerEstimator('QuantileDiscretizer', QuantileDiscretizer);
