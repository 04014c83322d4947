import { LakeboxError } from '@lakebox/common';

/** Training data for the tree learners: column-major features (NaN = missing) and labels. */
export interface TreeTrainData {
  /** One Float64Array per feature, all of the same length. */
  columns: readonly Float64Array[];
  label: Float64Array | ArrayLike<number>;
  /** Optional non-negative sample weights. */
  weight?: Float64Array | ArrayLike<number>;
  featureNames?: string[];
}

export interface CheckedData {
  columns: Float64Array[];
  label: Float64Array;
  weight: Float64Array;
  numRows: number;
  featureNames: string[];
  weighted: boolean;
}

export function checkTrainData(d: TreeTrainData, what = 'training data'): CheckedData {
  if (!d || !Array.isArray(d.columns)) {
    throw new LakeboxError('ML_INVALID_DATA', `${what}: columns must be an array of Float64Array`);
  }
  if (d.columns.length === 0) throw new LakeboxError('ML_EMPTY_DATA', `${what} has no feature columns`);
  const n = d.columns[0].length;
  d.columns.forEach((c, j) => {
    if (!(c instanceof Float64Array)) {
      throw new LakeboxError('ML_INVALID_DATA', `${what}: feature column ${j} is not a Float64Array`);
    }
    if (c.length !== n) {
      throw new LakeboxError('ML_INVALID_DATA', `${what}: feature column ${j} has ${c.length} rows, expected ${n}`);
    }
  });
  if (n === 0) throw new LakeboxError('ML_EMPTY_DATA', `${what} has no rows`);
  if (!d.label || d.label.length !== n) {
    throw new LakeboxError('ML_INVALID_DATA', `${what}: label has ${d.label?.length ?? 0} values, expected ${n}`);
  }
  const label = d.label instanceof Float64Array ? d.label : Float64Array.from(d.label);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(label[i])) {
      throw new LakeboxError('ML_INVALID_LABEL', `${what}: label of row ${i} is ${label[i]}; labels must be finite`);
    }
  }
  let weight: Float64Array;
  const weighted = d.weight !== undefined;
  if (d.weight !== undefined) {
    if (d.weight.length !== n) {
      throw new LakeboxError('ML_INVALID_DATA', `${what}: weight has ${d.weight.length} values, expected ${n}`);
    }
    weight = Float64Array.from(d.weight);
    let total = 0;
    for (let i = 0; i < n; i++) {
      if (!(weight[i] >= 0) || !Number.isFinite(weight[i])) {
        throw new LakeboxError(
          'ML_INVALID_WEIGHT',
          `${what}: weight of row ${i} is ${weight[i]}; weights must be finite and >= 0`,
        );
      }
      total += weight[i];
    }
    if (!(total > 0)) throw new LakeboxError('ML_INVALID_WEIGHT', `${what}: all weights are zero`);
  } else weight = new Float64Array(n).fill(1);
  const featureNames = d.featureNames ?? d.columns.map((_, j) => `f${j}`);
  if (featureNames.length !== d.columns.length) {
    throw new LakeboxError(
      'ML_INVALID_DATA',
      `${what}: ${featureNames.length} feature names for ${d.columns.length} columns`,
    );
  }
  return { columns: d.columns as Float64Array[], label, weight, numRows: n, featureNames, weighted };
}

/** Sorted distinct labels; classification needs at least two. */
export function classesOf(label: Float64Array): { classes: number[]; index: Int32Array } {
  const set = new Set<number>();
  for (let i = 0; i < label.length; i++) set.add(label[i]);
  const classes = [...set].sort((a, b) => a - b);
  if (classes.length < 2) {
    throw new LakeboxError(
      'ML_SINGLE_CLASS',
      `classification needs at least two classes in the label, found only ${classes.length === 1 ? classes[0] : 'none'}`,
    );
  }
  const pos = new Map(classes.map((c, i) => [c, i]));
  const index = Int32Array.from(label, (v) => pos.get(v)!);
  return { classes, index };
}

export function intParam(name: string, v: number, min: number, max = Infinity): number {
  if (!(Number.isInteger(v) || v === Infinity) || v < min || v > max) {
    throw new LakeboxError('ML_INVALID_PARAM', `${name} must be an integer in [${min}, ${max}], got ${v}`);
  }
  return v;
}

export function numParam(name: string, v: number, min: number, max = Infinity, minExclusive = false): number {
  if (typeof v !== 'number' || Number.isNaN(v) || v < min || v > max || (minExclusive && v === min)) {
    throw new LakeboxError(
      'ML_INVALID_PARAM',
      `${name} must be in ${minExclusive ? '(' : '['}${min}, ${max}], got ${v}`,
    );
  }
  return v;
}
