import type { Column, Frame } from '../data/frame.js';
import { vectorColumn } from '../data/frame.js';
import {
  Estimator,
  Model,
  MlErrors,
  Transformer,
  V,
  mlError,
  registerEstimator,
  registerStage,
  requireRows,
  type ParamSpecs,
  type SavedData,
} from '../core.js';
import type { HandleInvalid } from './assembler.js';

/** String values of a string, categorical or numeric column (numbers as their shortest text; missing = null). */
function stringValues(c: Column, name: string, stage: string): (string | null)[] {
  switch (c.kind) {
    case 'string':
      return [...c.values];
    case 'categorical':
      return Array.from(c.codes, (k) => (k < 0 ? null : c.levels[k]));
    case 'numeric':
      return Array.from(c.values, (v) => (Number.isNaN(v) ? null : String(v)));
    case 'vector':
      throw mlError(MlErrors.INVALID_COLUMN_TYPE, `${stage}: column '${name}' is a vector column`);
  }
}

// ---------------------------------------------------------------------------------------------

export interface StringIndexerParams {
  inputCol: string;
  outputCol: string;
  /**
   * Values not seen when fitting (and missing values): 'error' throws ML_UNSEEN_LABEL, 'skip'
   * drops the row, 'keep' maps them to the extra index numLabels.
   */
  handleInvalid: HandleInvalid;
  stringOrderType: 'frequencyDesc' | 'frequencyAsc' | 'alphabetDesc' | 'alphabetAsc';
}
const siSpecs: ParamSpecs<StringIndexerParams> = {
  inputCol: { doc: 'string, categorical or numeric column', default: '', validate: V.nonEmpty },
  outputCol: { doc: 'output index column (numeric)', default: '', validate: V.nonEmpty },
  handleInvalid: {
    doc: "unseen / missing values: 'error', 'skip' or 'keep'",
    default: 'error',
    validate: V.oneOf('error', 'skip', 'keep'),
  },
  stringOrderType: {
    doc: 'how labels are ordered into indices',
    default: 'frequencyDesc',
    validate: V.oneOf('frequencyDesc', 'frequencyAsc', 'alphabetDesc', 'alphabetAsc'),
  },
};

/** Maps labels to indices 0..numLabels-1 (most frequent first by default; ties alphabetical), like Spark. */
export class StringIndexer extends Estimator<StringIndexerParams, StringIndexerModel> {
  readonly kind = 'StringIndexer';
  constructor(params: Partial<StringIndexerParams> = {}) {
    super('StringIndexer', siSpecs, params);
  }
  async fit(frame: Frame): Promise<StringIndexerModel> {
    requireRows(frame, 'StringIndexer');
    const vals = stringValues(frame.column(this.params.inputCol), this.params.inputCol, 'StringIndexer');
    const counts = new Map<string, number>();
    for (const v of vals) if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
    if (counts.size === 0)
      throw mlError(MlErrors.EMPTY_DATA, `StringIndexer: column '${this.params.inputCol}' has only missing values`);
    const labels = [...counts.keys()];
    const alpha = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
    switch (this.params.stringOrderType) {
      case 'frequencyDesc':
        labels.sort((a, b) => counts.get(b)! - counts.get(a)! || alpha(a, b));
        break;
      case 'frequencyAsc':
        labels.sort((a, b) => counts.get(a)! - counts.get(b)! || alpha(a, b));
        break;
      case 'alphabetAsc':
        labels.sort(alpha);
        break;
      case 'alphabetDesc':
        labels.sort((a, b) => alpha(b, a));
        break;
    }
    return new StringIndexerModel(this.params, { labels });
  }
}

export class StringIndexerModel extends Model<StringIndexerParams> {
  readonly kind = 'StringIndexerModel';
  readonly labels: readonly string[];
  private readonly index: Map<string, number>;
  constructor(params: Partial<StringIndexerParams>, data: { labels: readonly string[] }, uid?: string) {
    super('StringIndexerModel', siSpecs, params, uid);
    this.labels = data.labels;
    this.index = new Map(this.labels.map((l, i) => [l, i]));
  }
  transform(frame: Frame): Frame {
    const vals = stringValues(frame.column(this.params.inputCol), this.params.inputCol, 'StringIndexerModel');
    const out = new Float64Array(vals.length);
    let keep: Uint8Array | undefined;
    for (let i = 0; i < vals.length; i++) {
      const v = vals[i];
      const k = v === null ? undefined : this.index.get(v);
      if (k !== undefined) {
        out[i] = k;
        continue;
      }
      if (this.params.handleInvalid === 'error') {
        throw mlError(
          MlErrors.UNSEEN_LABEL,
          v === null
            ? `StringIndexer: column '${this.params.inputCol}' has a missing value at row ${i}; set handleInvalid to 'skip' or 'keep'`
            : `StringIndexer: unseen label '${v}' in column '${this.params.inputCol}' at row ${i}; set handleInvalid to 'skip' or 'keep'`,
          { row: i, value: v },
        );
      }
      if (this.params.handleInvalid === 'keep') out[i] = this.labels.length;
      else {
        keep ??= new Uint8Array(vals.length).fill(1);
        keep[i] = 0;
      }
    }
    const f = frame.withColumn(this.params.outputCol, { kind: 'numeric', values: out });
    return keep ? f.filter(keep) : f;
  }
  override saveData(): SavedData {
    return { labels: [...this.labels] };
  }
}
registerStage(
  'StringIndexerModel',
  ({ uid, params, data }) =>
    new StringIndexerModel(params as Partial<StringIndexerParams>, data as { labels: string[] }, uid),
);

/** Maps indices back to labels (Spark's IndexToString). */
export class IndexToString extends Transformer<{ inputCol: string; outputCol: string; labels: readonly string[] }> {
  readonly kind = 'IndexToString';
  constructor(params: Partial<{ inputCol: string; outputCol: string; labels: readonly string[] }> = {}, uid?: string) {
    super(
      'IndexToString',
      {
        inputCol: { doc: 'index column', default: '', validate: V.nonEmpty },
        outputCol: { doc: 'output string column', default: '', validate: V.nonEmpty },
        labels: { doc: 'labels by index (e.g. StringIndexerModel.labels)', default: [] },
      },
      params,
      uid,
    );
  }
  transform(frame: Frame): Frame {
    const v = frame.numeric(this.params.inputCol);
    const labels = this.params.labels;
    const out = Array.from(v, (k, i) => {
      if (Number.isNaN(k)) return null;
      const l = labels[k];
      if (l === undefined) throw mlError(MlErrors.INVALID_DATA, `IndexToString: index ${k} at row ${i} has no label`);
      return l;
    });
    return frame.withColumn(this.params.outputCol, { kind: 'string', values: out });
  }
}
registerStage(
  'IndexToString',
  ({ uid, params }) =>
    new IndexToString(params as Partial<{ inputCol: string; outputCol: string; labels: string[] }>, uid),
);

// ---------------------------------------------------------------------------------------------

export interface OneHotEncoderParams {
  inputCols: readonly string[];
  outputCols: readonly string[];
  /** Drop the last category (the all-zero vector encodes it), as Spark does by default. */
  dropLast: boolean;
  /** Indices >= the number of categories seen when fitting: 'error', or 'keep' (an extra category). */
  handleInvalid: 'error' | 'keep';
}
const oheSpecs: ParamSpecs<OneHotEncoderParams> = {
  inputCols: {
    doc: 'category index columns',
    default: [],
    validate: (v) => v.length > 0 || 'at least one input column is needed',
  },
  outputCols: { doc: 'output vector columns', default: [] },
  dropLast: { doc: 'drop the last category', default: true },
  handleInvalid: { doc: "invalid indices: 'error' or 'keep'", default: 'error', validate: V.oneOf('error', 'keep') },
};

function categoryIndex(v: number, col: string, row: number): number {
  if (!Number.isInteger(v) || v < 0) {
    throw mlError(
      MlErrors.INVALID_DATA,
      `OneHotEncoder: column '${col}' value ${v} at row ${row} is not a category index (use StringIndexer)`,
    );
  }
  return v;
}

export class OneHotEncoder extends Estimator<OneHotEncoderParams, OneHotEncoderModel> {
  readonly kind = 'OneHotEncoder';
  constructor(params: Partial<OneHotEncoderParams> = {}) {
    super('OneHotEncoder', oheSpecs, params);
    if (this.params.outputCols.length !== this.params.inputCols.length) {
      throw mlError(MlErrors.INVALID_PARAM, 'OneHotEncoder: outputCols must have as many entries as inputCols');
    }
  }
  async fit(frame: Frame): Promise<OneHotEncoderModel> {
    requireRows(frame, 'OneHotEncoder');
    const sizes = this.params.inputCols.map((c) => {
      const v = frame.numeric(c);
      let mx = -1;
      for (let i = 0; i < v.length; i++) mx = Math.max(mx, categoryIndex(v[i], c, i));
      return mx + 1;
    });
    return new OneHotEncoderModel(this.params, { categorySizes: Int32Array.from(sizes) });
  }
}

export class OneHotEncoderModel extends Model<OneHotEncoderParams> {
  readonly kind = 'OneHotEncoderModel';
  readonly categorySizes: Int32Array;
  constructor(params: Partial<OneHotEncoderParams>, data: { categorySizes: Int32Array }, uid?: string) {
    super('OneHotEncoderModel', oheSpecs, params, uid);
    this.categorySizes = data.categorySizes;
  }
  transform(frame: Frame): Frame {
    let f = frame;
    const keep = this.params.handleInvalid === 'keep';
    this.params.inputCols.forEach((c, k) => {
      const v = frame.numeric(c);
      const size = this.categorySizes[k] + (keep ? 1 : 0);
      const dim = this.params.dropLast ? size - 1 : size;
      if (dim <= 0)
        throw mlError(
          MlErrors.INVALID_DATA,
          `OneHotEncoder: column '${c}' has a single category; dropLast leaves no output`,
        );
      const out = new Float64Array(v.length * dim);
      for (let i = 0; i < v.length; i++) {
        let idx = categoryIndex(v[i], c, i);
        if (idx >= this.categorySizes[k]) {
          if (!keep) {
            throw mlError(
              MlErrors.UNSEEN_LABEL,
              `OneHotEncoder: column '${c}' has category index ${idx} at row ${i}, but only ${this.categorySizes[k]} categories were seen when fitting; set handleInvalid to 'keep'`,
            );
          }
          idx = this.categorySizes[k];
        }
        if (idx < dim) out[i * dim + idx] = 1;
      }
      f = f.withColumn(this.params.outputCols[k], vectorColumn(out, dim));
    });
    return f;
  }
  override saveData(): SavedData {
    return { categorySizes: this.categorySizes };
  }
}
registerStage(
  'OneHotEncoderModel',
  ({ uid, params, data }) =>
    new OneHotEncoderModel(params as Partial<OneHotEncoderParams>, data as { categorySizes: Int32Array }, uid),
);

// ---------------------------------------------------------------------------------------------

export interface FeatureHasherParams {
  inputCols: readonly string[];
  outputCol: string;
  numFeatures: number;
}

/**
 * The hashing trick (Spark's FeatureHasher): numeric columns add their value at hash(column name),
 * string / categorical columns add 1 at hash("column=value"); MurmurHash3 x86 32-bit, seed 42,
 * over UTF-8 bytes, index = non-negative hash mod numFeatures. Output: a dense vector column.
 */
export class FeatureHasher extends Transformer<FeatureHasherParams> {
  readonly kind = 'FeatureHasher';
  constructor(params: Partial<FeatureHasherParams> = {}, uid?: string) {
    super(
      'FeatureHasher',
      {
        inputCols: {
          doc: 'columns to hash',
          default: [],
          validate: (v) => v.length > 0 || 'at least one input column is needed',
        },
        outputCol: { doc: 'output vector column', default: 'features', validate: V.nonEmpty },
        numFeatures: { doc: 'output width', default: 1024, validate: V.int(1, 1 << 20) },
      },
      params,
      uid,
    );
  }
  transform(frame: Frame): Frame {
    const n = frame.numRows;
    const D = this.params.numFeatures;
    const out = new Float64Array(n * D);
    const bucket = (s: string): number => {
      const h = murmur3(Buffer.from(s, 'utf8'), 42);
      return ((h % D) + D) % D;
    };
    for (const name of this.params.inputCols) {
      const c = frame.column(name);
      if (c.kind === 'numeric') {
        const b = bucket(name);
        for (let i = 0; i < n; i++) {
          const v = c.values[i];
          if (!Number.isNaN(v)) out[i * D + b] += v;
        }
      } else if (c.kind === 'string' || c.kind === 'categorical') {
        const cache = new Map<string, number>();
        const vals = stringValues(c, name, 'FeatureHasher');
        for (let i = 0; i < n; i++) {
          const v = vals[i];
          if (v === null) continue;
          let b = cache.get(v);
          if (b === undefined) {
            b = bucket(`${name}=${v}`);
            cache.set(v, b);
          }
          out[i * D + b] += 1;
        }
      } else {
        throw mlError(MlErrors.INVALID_COLUMN_TYPE, `FeatureHasher: column '${name}' is a vector column`);
      }
    }
    return frame.withColumn(this.params.outputCol, vectorColumn(out, D));
  }
}
registerStage('FeatureHasher', ({ uid, params }) => new FeatureHasher(params as Partial<FeatureHasherParams>, uid));

/** MurmurHash3 x86 32-bit (signed result, like Scala's). */
export function murmur3(data: Uint8Array, seed: number): number {
  let h = seed | 0;
  const n = data.length;
  const nb = n & ~3;
  for (let i = 0; i < nb; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rem = n & 3;
  if (rem > 0) {
    let k = 0;
    if (rem === 3) k ^= data[nb + 2] << 16;
    if (rem >= 2) k ^= data[nb + 1] << 8;
    k ^= data[nb];
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}
registerEstimator('StringIndexer', StringIndexer);
registerEstimator('OneHotEncoder', OneHotEncoder);
