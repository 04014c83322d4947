import { LakeboxError } from '@lakebox/common';
import type { Frame } from './frame.js';
import { Rng } from './rng.js';

/**
 * Split rows randomly into parts with the given relative weights (like Spark's randomSplit):
 * each row goes to part k with probability weights[k] / sum(weights). Reproducible for a seed.
 */
export function randomSplit(frame: Frame, weights: readonly number[], seed: number = 42): Frame[] {
  if (weights.length === 0 || weights.some((w) => !(w >= 0) || !Number.isFinite(w))) {
    throw new LakeboxError(
      'ML_INVALID_PARAM',
      `randomSplit weights must be finite and non-negative, got [${weights.join(', ')}]`,
    );
  }
  const total = weights.reduce((a, b) => a + b, 0);
  if (total <= 0) throw new LakeboxError('ML_INVALID_PARAM', 'randomSplit weights must not all be zero');
  const bounds: number[] = [];
  let acc = 0;
  for (const w of weights) {
    acc += w / total;
    bounds.push(acc);
  }
  bounds[bounds.length - 1] = 1;
  const rng = new Rng(seed);
  const parts: number[][] = weights.map(() => []);
  for (let i = 0; i < frame.numRows; i++) {
    const u = rng.next();
    let k = 0;
    while (u >= bounds[k]) k++;
    parts[k].push(i);
  }
  return parts.map((idx) => frame.take(idx));
}

/** K folds of row indices (shuffled with `seed`), for cross-validation. */
export function kFoldIndices(n: number, k: number, seed: number = 42): { train: Int32Array; test: Int32Array }[] {
  if (!Number.isInteger(k) || k < 2 || k > n) {
    throw new LakeboxError('ML_INVALID_PARAM', `numFolds must be an integer in [2, ${n}], got ${k}`);
  }
  const perm = new Rng(seed).permutation(n);
  const folds: { train: Int32Array; test: Int32Array }[] = [];
  for (let f = 0; f < k; f++) {
    const lo = Math.floor((f * n) / k);
    const hi = Math.floor(((f + 1) * n) / k);
    const test = perm.slice(lo, hi).sort();
    const train = new Int32Array(n - (hi - lo));
    train.set(perm.subarray(0, lo), 0);
    train.set(perm.subarray(hi), lo);
    train.sort();
    folds.push({ train, test });
  }
  return folds;
}
