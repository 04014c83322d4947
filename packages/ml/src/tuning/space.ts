import { MlErrors, mlError } from '../core.js';
import type { Rng } from '../data/rng.js';

/**
 * Search-space dimensions. Unlike Hyperopt's hp.loguniform (which takes log bounds), `loguniform`
 * here takes the bounds in natural units: hp.loguniform(1e-4, 1).
 */
export type Dimension =
  | { type: 'uniform'; low: number; high: number; q?: number }
  | { type: 'loguniform'; low: number; high: number; q?: number }
  | { type: 'randint'; low: number; high: number }
  | { type: 'choice'; options: readonly unknown[] };

export type Space = Record<string, Dimension>;

function check(cond: boolean, msg: string): void {
  if (!cond) throw mlError(MlErrors.INVALID_PARAM, msg);
}

export const hp = {
  uniform(low: number, high: number): Dimension {
    check(
      Number.isFinite(low) && Number.isFinite(high) && low < high,
      `hp.uniform needs finite low < high, got ${low}, ${high}`,
    );
    return { type: 'uniform', low, high };
  },
  quniform(low: number, high: number, q: number): Dimension {
    check(
      Number.isFinite(low) && Number.isFinite(high) && low < high && q > 0,
      `hp.quniform needs low < high and q > 0`,
    );
    return { type: 'uniform', low, high, q };
  },
  loguniform(low: number, high: number): Dimension {
    check(low > 0 && high > low && Number.isFinite(high), `hp.loguniform needs 0 < low < high, got ${low}, ${high}`);
    return { type: 'loguniform', low, high };
  },
  qloguniform(low: number, high: number, q: number): Dimension {
    check(low > 0 && high > low && q > 0, `hp.qloguniform needs 0 < low < high and q > 0`);
    return { type: 'loguniform', low, high, q };
  },
  /** An integer in [low, high). */
  randint(low: number, high: number): Dimension {
    check(Number.isInteger(low) && Number.isInteger(high) && low < high, `hp.randint needs integers low < high`);
    return { type: 'randint', low, high };
  },
  choice(options: readonly unknown[]): Dimension {
    check(options.length > 0, 'hp.choice needs at least one option');
    return { type: 'choice', options };
  },
};

/** The internal (continuous or index) coordinate of a dimension: log for loguniform, index for choice. */
export function toInternal(dim: Dimension, value: unknown): number {
  switch (dim.type) {
    case 'uniform':
      return value as number;
    case 'loguniform':
      return Math.log(value as number);
    case 'randint':
      return (value as number) - dim.low;
    case 'choice':
      return dim.options.indexOf(value);
  }
}

export function fromInternal(dim: Dimension, x: number): unknown {
  switch (dim.type) {
    case 'uniform':
      return dim.q ? Math.min(dim.high, Math.max(dim.low, Math.round(x / dim.q) * dim.q)) : x;
    case 'loguniform': {
      const v = Math.exp(x);
      return dim.q ? Math.max(dim.q, Math.round(v / dim.q) * dim.q) : v;
    }
    case 'randint':
      return dim.low + x;
    case 'choice':
      return dim.options[x];
  }
}

/** Bounds of the internal coordinate (continuous dims) or the number of categories. */
export function internalBounds(dim: Dimension): { low: number; high: number } | { categories: number } {
  switch (dim.type) {
    case 'uniform':
      return { low: dim.low, high: dim.high };
    case 'loguniform':
      return { low: Math.log(dim.low), high: Math.log(dim.high) };
    case 'randint':
      return { categories: dim.high - dim.low };
    case 'choice':
      return { categories: dim.options.length };
  }
}

export function sampleInternal(dim: Dimension, rng: Rng): number {
  const b = internalBounds(dim);
  if ('categories' in b) return rng.nextInt(b.categories);
  return b.low + rng.next() * (b.high - b.low);
}
