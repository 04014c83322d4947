import { describe, expect, it } from 'vitest';
import { Frame, vectorColumn } from '../data/frame.js';
import { Rng } from '../data/rng.js';
import { LogisticRegression } from '../linear/logistic.js';
import { BinaryClassificationEvaluator } from '../evaluation/evaluators.js';
import { crossValidationLoss } from '../evaluation/validation.js';
import { fmin, hp, TrialPruned } from './index.js';

const bowl = (p: Record<string, unknown>): number =>
  (Math.log10(p.lr as number) + 2) ** 2 + ((p.frac as number) - 0.3) ** 2 * 4 + (p.kind === 'b' ? 0 : 0.5);
const space = { lr: hp.loguniform(1e-5, 1), frac: hp.uniform(0, 1), kind: hp.choice(['a', 'b', 'c']) };

describe('fmin', () => {
  it('TPE finds better optima than random search with the same budget (median over seeds)', async () => {
    const tpe: number[] = [];
    const rnd: number[] = [];
    for (const seed of [1, 2, 3, 4, 5]) {
      tpe.push((await fmin(bowl, space, { algo: 'tpe', maxEvals: 80, seed })).bestLoss);
      rnd.push((await fmin(bowl, space, { algo: 'random', maxEvals: 80, seed })).bestLoss);
    }
    const med = (a: number[]): number => [...a].sort((x, y) => x - y)[2];
    expect(med(tpe)).toBeLessThan(med(rnd));
    const r = await fmin(bowl, space, { maxEvals: 80, seed: 9 });
    expect(r.best.kind).toBe('b');
    expect(r.bestLoss).toBeLessThan(0.1);
    // Reproducible for a seed.
    expect((await fmin(bowl, space, { maxEvals: 30, seed: 9 })).bestLoss).toBe(
      (await fmin(bowl, space, { maxEvals: 30, seed: 9 })).bestLoss,
    );
  });

  it('stops early without progress, prunes unpromising trials and runs trials in parallel', async () => {
    const flat = await fmin(() => 1, { x: hp.uniform(0, 1) }, { maxEvals: 100, earlyStopRounds: 5 });
    expect(flat.stopped).toBe('earlyStop');
    expect(flat.trials).toHaveLength(6);

    let stepsRun = 0;
    const pruned = await fmin(
      (p, ctx) => {
        const x = p.x as number;
        for (let step = 1; step <= 10; step++) {
          stepsRun++;
          ctx.report(step, x * 10 + 10 / step);
        }
        return x * 10;
      },
      { x: hp.uniform(0, 1) },
      { algo: 'random', maxEvals: 40, pruning: true, seed: 3 },
    );
    const prunedCount = pruned.trials.filter((t) => t.status === 'pruned').length;
    expect(prunedCount).toBeGreaterThan(10);
    expect(stepsRun).toBeLessThan(40 * 10);
    expect(pruned.bestLoss).toBe(Math.min(...pruned.trials.filter((t) => t.status === 'ok').map((t) => t.loss)));

    let inFlight = 0;
    let peak = 0;
    await fmin(
      async (p) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return p.x as number;
      },
      { x: hp.uniform(0, 1) },
      { maxEvals: 12, parallelism: 3 },
    );
    expect(peak).toBe(3);

    const failing = await fmin(
      (p) => ((p.x as number) < 0.5 ? Promise.reject(new Error('boom')) : (p.x as number)),
      { x: hp.uniform(0, 1) },
      {
        maxEvals: 20,
        algo: 'random',
      },
    );
    expect(failing.trials.some((t) => t.status === 'failed' && t.error === 'boom')).toBe(true);
    await expect(
      fmin(() => Promise.reject(new Error('always')), { x: hp.uniform(0, 1) }, { maxEvals: 3 }),
    ).rejects.toThrow(/no trial succeeded/);
    expect(() => hp.loguniform(0, 1)).toThrow(/0 < low/);
    expect(new TrialPruned(3).step).toBe(3);
  });

  it('tunes a logistic regression with cross-validation in worker threads', async () => {
    const rng = new Rng(5);
    const n = 300;
    const x = new Float64Array(n * 5);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < 5; j++) x[i * 5 + j] = rng.normal();
      y[i] = x[i * 5] + 0.5 * x[i * 5 + 1] + rng.normal() > 0 ? 1 : 0;
    }
    const frame = new Frame({ features: vectorColumn(x, 5), label: { kind: 'numeric', values: y } });
    const loss = crossValidationLoss(
      new LogisticRegression(),
      new BinaryClassificationEvaluator({ metricName: 'logLoss' }),
      frame,
      {
        workers: true,
      },
    );
    const r = await fmin(
      (p) => loss(p),
      { regParam: hp.loguniform(1e-4, 10), elasticNetParam: hp.uniform(0, 1) },
      {
        maxEvals: 12,
        parallelism: 2,
        tpe: { nStartup: 6 },
      },
    );
    expect(r.best.regParam as number).toBeLessThan(1);
    expect(r.bestLoss).toBeLessThan(0.5);
  });
});
