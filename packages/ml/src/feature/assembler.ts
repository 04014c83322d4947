import type { Frame } from '../data/frame.js';
import { vectorColumn } from '../data/frame.js';
import { MlErrors, Transformer, V, mlError, registerStage, type ParamSpecs } from '../core.js';

export type HandleInvalid = 'error' | 'skip' | 'keep';

export interface VectorAssemblerParams {
  inputCols: readonly string[];
  outputCol: string;
  /** NaN values: 'error' (default), 'skip' the row, or 'keep' NaN in the vector. */
  handleInvalid: HandleInvalid;
}

const specs: ParamSpecs<VectorAssemblerParams> = {
  inputCols: {
    doc: 'numeric, categorical (codes) or vector columns to concatenate',
    default: [],
    validate: (v) => v.length > 0 || 'at least one input column is needed',
  },
  outputCol: { doc: 'output vector column', default: 'features', validate: V.nonEmpty },
  handleInvalid: {
    doc: "NaN handling: 'error', 'skip' or 'keep'",
    default: 'error',
    validate: V.oneOf('error', 'skip', 'keep'),
  },
};

/** Concatenates columns into one vector column (Spark's VectorAssembler). */
export class VectorAssembler extends Transformer<VectorAssemblerParams> {
  readonly kind = 'VectorAssembler';
  constructor(params: Partial<VectorAssemblerParams> = {}, uid?: string) {
    super('VectorAssembler', specs, params, uid);
  }

  transform(frame: Frame): Frame {
    const parts = this.params.inputCols.map((name) => {
      const c = frame.column(name);
      if (c.kind === 'vector') return { dim: c.dim, values: c.values, name };
      if (c.kind === 'numeric') return { dim: 1, values: c.values, name };
      if (c.kind === 'categorical')
        return { dim: 1, values: Float64Array.from(c.codes, (v) => (v < 0 ? NaN : v)), name };
      throw mlError(
        MlErrors.INVALID_COLUMN_TYPE,
        `VectorAssembler: column '${name}' is a string column; index it with StringIndexer first`,
      );
    });
    const n = frame.numRows;
    const d = parts.reduce((s, p) => s + p.dim, 0);
    const out = new Float64Array(n * d);
    let bad: Uint8Array | undefined;
    let off = 0;
    for (const p of parts) {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < p.dim; j++) {
          const v = p.values[i * p.dim + j];
          if (Number.isNaN(v)) {
            if (this.params.handleInvalid === 'error') {
              throw mlError(
                MlErrors.INVALID_DATA,
                `VectorAssembler: column '${p.name}' has a missing value (NaN) at row ${i}; use Imputer or handleInvalid = 'skip' / 'keep'`,
              );
            }
            bad ??= new Uint8Array(n);
            bad[i] = 1;
          }
          out[i * d + off + j] = v;
        }
      }
      off += p.dim;
    }
    const f = frame.withColumn(this.params.outputCol, vectorColumn(out, d));
    if (bad && this.params.handleInvalid === 'skip') return f.filter(bad.map((b) => (b ? 0 : 1)));
    return f;
  }
}

registerStage(
  'VectorAssembler',
  ({ uid, params }) => new VectorAssembler(params as Partial<VectorAssemblerParams>, uid),
);
