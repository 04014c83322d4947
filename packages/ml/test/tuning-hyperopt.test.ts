import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { fmin, hp } from '../src/tuning/index.js';
import { python, repoRoot } from './sklearn-reference.js';

// The same function and space as tests/peers/ml_tpe.py (Hyperopt takes log bounds for loguniform).
const bowl = (p: Record<string, unknown>): number =>
  (Math.log10(p.lr as number) + 2) ** 2 + ((p.frac as number) - 0.3) ** 2 * 4 + (p.kind === 'b' ? 0 : 0.5);
const space = { lr: hp.loguniform(1e-5, 1), frac: hp.uniform(0, 1), kind: hp.choice(['a', 'b', 'c']) };
const seeds = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1];

describe('TPE vs Hyperopt', () => {
  it('finds optima comparable to hyperopt.tpe.suggest with the same budget (median over 11 seeds)', async () => {
    const { stdout } = await promisify(execFile)(python, [
      join(repoRoot, 'tests/peers/ml_tpe.py'),
      '80',
      ...seeds.map(String),
    ]);
    const ref = JSON.parse(stdout) as { tpe: number[]; random: number[] };
    const ours: number[] = [];
    for (const seed of seeds) ours.push((await fmin(bowl, space, { algo: 'tpe', maxEvals: 80, seed })).bestLoss);
    // Within a factor of 2 of Hyperopt's TPE, and better than Hyperopt's random search.
    expect(median(ours)).toBeLessThan(2 * median(ref.tpe));
    expect(median(ours)).toBeLessThan(median(ref.random));
    expect(median(ref.tpe)).toBeLessThan(median(ref.random));
  });
});
