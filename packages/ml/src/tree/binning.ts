import { LakeboxError } from '@lakebox/common';
import { Rng } from '../data/rng.js';

/**
 * Quantile binning of one numeric feature. Value bins are 0..numBins-1 (bin b holds the values
 * x <= upper[b] not in an earlier bin); bin `numBins` is the missing-value (NaN) bin, so a feature
 * has at most maxBin + 1 <= 256 bins and its bin codes fit in a Uint8Array.
 */
export interface BinMapper {
  /** Upper bound of each value bin; the last one is +Infinity. */
  readonly upper: Float64Array;
  readonly numBins: number;
  /** Whether NaN values were seen when the bins were built. */
  readonly hasMissing: boolean;
  /**
   * Categorical feature: the category value of each bin (most frequent first; `upper` is then
   * unused). NaN, values that are not non-negative integers, categories beyond the `maxBin` most
   * frequent ones and categories unseen in training all share the missing bin.
   */
  readonly categories?: Float64Array;
}

/** A value a categorical feature can hold as a category: a non-negative integer (as LightGBM). */
export function isCategoryValue(v: number): boolean {
  return v >= 0 && Number.isInteger(v);
}

export function buildCategoricalMapper(
  values: Float64Array,
  rows: ArrayLike<number> | null,
  maxBin: number,
): BinMapper {
  const n = rows ? rows.length : values.length;
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const v = rows ? values[rows[i]] : values[i];
    if (isCategoryValue(v)) counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const cats = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, maxBin);
  const categories = Float64Array.from(cats, (c) => c[0]);
  // upper: one placeholder per bin so that upper.length is the bin count as for numeric features
  return {
    upper: new Float64Array(categories.length).fill(NaN),
    numBins: categories.length,
    hasMissing: true,
    categories,
  };
}

export interface BinningOptions {
  /** Maximum number of value bins per feature (2..255). */
  maxBin?: number;
  /** Rows sampled to find the bin bounds (all rows when fewer). */
  sampleRows?: number;
  seed?: number;
  /** Indices of the features binned as categories (see BinMapper.categories). */
  categorical?: readonly number[];
}

/** A split threshold strictly between a and b (a < b), representable in float32 when possible. */
function between(a: number, b: number): number {
  if (!Number.isFinite(a)) return a;
  if (!Number.isFinite(b)) return a;
  const mid = a / 2 + b / 2;
  const f = Math.fround(mid);
  if (f >= a && f < b) return f;
  if (mid >= a && mid < b) return mid;
  return a;
}

export function buildBinMapper(values: Float64Array, rows: ArrayLike<number> | null, maxBin: number): BinMapper {
  const n = rows ? rows.length : values.length;
  const sample = new Float64Array(n);
  let m = 0;
  let hasMissing = false;
  for (let i = 0; i < n; i++) {
    const v = rows ? values[rows[i]] : values[i];
    if (Number.isNaN(v)) hasMissing = true;
    else sample[m++] = v;
  }
  const sorted = sample.subarray(0, m).sort();
  // distinct values and their counts
  const distinct: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < m; i++) {
    const v = sorted[i];
    if (distinct.length > 0 && distinct[distinct.length - 1] === v) counts[counts.length - 1]++;
    else {
      distinct.push(v);
      counts.push(1);
    }
  }
  const upper: number[] = [];
  if (distinct.length <= maxBin) {
    for (let i = 0; i + 1 < distinct.length; i++) upper.push(between(distinct[i], distinct[i + 1]));
  } else {
    // Greedy quantile cuts: each bin takes about (remaining rows / remaining bins) rows; a value
    // with many repeats gets a bin of its own.
    let remainingRows = m;
    let remainingBins = maxBin;
    let acc = 0;
    for (let i = 0; i + 1 < distinct.length && remainingBins > 1; i++) {
      acc += counts[i];
      const target = remainingRows / remainingBins;
      // cut here if the bin is full, or if the next value alone would overfill it
      if (acc >= target || acc + counts[i + 1] > target * 1.5) {
        upper.push(between(distinct[i], distinct[i + 1]));
        remainingRows -= acc;
        remainingBins--;
        acc = 0;
      }
    }
  }
  upper.push(Infinity);
  return { upper: Float64Array.from(upper), numBins: upper.length, hasMissing };
}

/** Bin code of one value (NaN goes to the missing bin). */
export function binOf(mapper: BinMapper, v: number): number {
  if (mapper.categories) {
    const b = mapper.categories.indexOf(v);
    return b >= 0 ? b : mapper.numBins;
  }
  if (Number.isNaN(v)) return mapper.numBins;
  const up = mapper.upper;
  let lo = 0;
  let hi = mapper.numBins - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (v <= up[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function binColumn(mapper: BinMapper, values: Float64Array): Uint8Array {
  const n = values.length;
  const out = new Uint8Array(n);
  if (mapper.categories) {
    const pos = new Map<number, number>();
    mapper.categories.forEach((c, b) => pos.set(c, b));
    for (let i = 0; i < n; i++) out[i] = pos.get(values[i]) ?? mapper.numBins;
    return out;
  }
  const up = mapper.upper;
  const nb = mapper.numBins;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v !== v) {
      out[i] = nb;
      continue;
    }
    let lo = 0;
    let hi = nb - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (v <= up[mid]) hi = mid;
      else lo = mid + 1;
    }
    out[i] = lo;
  }
  return out;
}

export interface BinnedData {
  readonly mappers: BinMapper[];
  /** Column-major bin codes, one Uint8Array of numRows per feature. */
  readonly bins: Uint8Array[];
  readonly numRows: number;
}

export function fitBins(columns: readonly Float64Array[], numRows: number, opts: BinningOptions = {}): BinnedData {
  const maxBin = opts.maxBin ?? 255;
  if (!Number.isInteger(maxBin) || maxBin < 2 || maxBin > 255) {
    throw new LakeboxError('ML_INVALID_PARAM', `maxBin must be an integer in [2, 255], got ${maxBin}`);
  }
  const sampleRows = opts.sampleRows ?? 200_000;
  let rows: Int32Array | null = null;
  if (numRows > sampleRows) {
    rows = new Rng(opts.seed ?? 1).sampleWithoutReplacement(numRows, sampleRows);
  }
  const cat = new Set(opts.categorical ?? []);
  const mappers = columns.map((c, j) =>
    cat.has(j) ? buildCategoricalMapper(c, rows, maxBin) : buildBinMapper(c, rows, maxBin),
  );
  const bins = columns.map((c, j) => binColumn(mappers[j], c));
  return { mappers, bins, numRows };
}

export function applyBins(mappers: readonly BinMapper[], columns: readonly Float64Array[]): Uint8Array[] {
  return columns.map((c, j) => binColumn(mappers[j], c));
}
