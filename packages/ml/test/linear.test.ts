import { beforeAll, describe, expect, it } from 'vitest';
import { isLakeboxError } from '@lakebox/common';
import { LinearRegression, LogisticRegression } from '../src/linear/index.js';
import { accuracy, logLoss, r2Score } from '../src/evaluation/metrics.js';
import { Frame, vectorColumn } from '../src/data/frame.js';
import { loadStage, stageToJSON, type Transformer } from '../src/core.js';
import { datasetFrame, sklearnReference, type Reference } from './sklearn-reference.js';

let ref: Reference;
beforeAll(async () => {
  ref = await sklearnReference();
}, 300_000);

/** Our regularised objective (mean log-loss + penalty) at given coefficients, to compare optima. */
function objective(
  x: number[],
  y: number[],
  n: number,
  d: number,
  coef: ArrayLike<number>,
  intercept: ArrayLike<number>,
  lambda: number,
  alpha: number,
): number {
  const K = intercept.length;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    if (K === 1) {
      let m = intercept[0];
      for (let j = 0; j < d; j++) m += coef[j] * x[i * d + j];
      loss += Math.log1p(Math.exp(-Math.abs(m))) + Math.max(m, 0) - y[i] * m;
    } else {
      const ms: number[] = [];
      for (let k = 0; k < K; k++) {
        let m = intercept[k];
        for (let j = 0; j < d; j++) m += coef[k * d + j] * x[i * d + j];
        ms.push(m);
      }
      const mx = Math.max(...ms);
      loss += Math.log(ms.reduce((s, m) => s + Math.exp(m - mx), 0)) + mx - ms[y[i]];
    }
  }
  let pen = 0;
  for (let t = 0; t < coef.length; t++) pen += alpha * Math.abs(coef[t]) + ((1 - alpha) / 2) * coef[t] * coef[t];
  return loss / n + lambda * pen;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

describe('LogisticRegression vs scikit-learn LogisticRegression', () => {
  it('matches coefficients, log loss and accuracy on breast cancer, iris, wine and digits', async () => {
    for (const r of ref.logistic) {
      const ds = ref.datasets[r.dataset];
      const frame = datasetFrame(ds);
      const lambda = 1 / (r.C * ds.n);
      const model = await new LogisticRegression({
        regParam: lambda,
        elasticNetParam: r.l1_ratio,
        standardization: false,
        fitIntercept: r.fit_intercept,
        maxIter: 5000,
        tol: 1e-12,
      }).fit(frame);
      const label = `${r.dataset} C=${r.C} l1_ratio=${r.l1_ratio} intercept=${r.fit_intercept}`;
      const ours = objective(ds.x, ds.y, ds.n, ds.d, model.coefficients, model.intercepts, lambda, r.l1_ratio);
      const theirs = objective(ds.x, ds.y, ds.n, ds.d, r.coef, r.intercept, lambda, r.l1_ratio);
      // Same objective: our optimum is at least as good as sklearn's (to 1e-7 relative).
      expect(ours, label).toBeLessThanOrEqual(theirs * (1 + 1e-7));
      expect(Math.abs(ours - theirs) / theirs, label).toBeLessThan(r.l1_ratio > 0 ? 1e-4 : 1e-7);
      // Coefficients agree to 1e-3 of their scale (multinomial: sklearn's are centred per feature like ours).
      const coefTol = r.l1_ratio > 0 ? 2e-2 : 1e-3;
      expect(maxAbsDiff(model.coefficients, r.coef) / maxAbs(r.coef), label).toBeLessThan(coefTol);
      const prob = model.predictProbability(frame);
      const acc = accuracy(ds.y, model.predict(frame));
      expect(Math.abs(acc - r.accuracy), label).toBeLessThanOrEqual(1 / ds.n + 1e-12);
      expect(Math.abs(logLoss(ds.y, prob, model.numClasses) - r.log_loss) / r.log_loss, label).toBeLessThan(
        r.l1_ratio > 0 ? 1e-3 : 1e-5,
      );
    }
  });

  it('learns the same model from raw (unscaled) features with standardization on or off', async () => {
    const ds = ref.datasets.breast_cancer_raw;
    const frame = datasetFrame(ds);
    const m = await new LogisticRegression({ regParam: 0.01, maxIter: 500, tol: 1e-10 }).fit(frame);
    expect(accuracy(ds.y, m.predict(frame))).toBeGreaterThan(0.97);
    expect(m.summary?.converged).toBe(true);
  });

  it('gives the same model with the gradient split over worker threads', async () => {
    const ds = ref.datasets.digits;
    const frame = datasetFrame(ds);
    const opts = { regParam: 1e-3, maxIter: 30, tol: 0 };
    const one = await new LogisticRegression({ ...opts, parallelism: 1 }).fit(frame);
    const two = await new LogisticRegression({ ...opts, parallelism: 2 }).fit(frame);
    expect(maxAbsDiff(one.coefficients, two.coefficients) / maxAbs(one.coefficients)).toBeLessThan(1e-9);
    expect(two.summary?.iterations).toBe(one.summary?.iterations);
  });

  it('round-trips through the saved format and adds prediction columns', async () => {
    const ds = ref.datasets.iris;
    const frame = datasetFrame(ds);
    const m = await new LogisticRegression({ regParam: 0.01 }).fit(frame);
    const loaded = loadStage(JSON.parse(stageToJSON(m))) as Transformer;
    const out = loaded.transform(frame);
    expect(Array.from(out.numeric('prediction'))).toEqual(Array.from(m.predict(frame)));
    expect(out.vector('probability').dim).toBe(3);
  });
});

describe('LinearRegression vs scikit-learn on diabetes', () => {
  it('matches OLS, Ridge, Lasso and ElasticNet coefficients and R^2', async () => {
    const ds = ref.datasets.diabetes;
    const frame = datasetFrame(ds);
    for (const r of ref.regression) {
      const a = r.params.alpha ?? 0;
      const params =
        r.model === 'ols'
          ? { regParam: 0 }
          : r.model === 'ridge'
            ? { regParam: a / ds.n, elasticNetParam: 0 }
            : r.model === 'lasso'
              ? { regParam: a, elasticNetParam: 1 }
              : { regParam: a, elasticNetParam: r.params.l1_ratio ?? 0.5 };
      const m = await new LinearRegression({ ...params, standardization: false }).fit(frame);
      expect(maxAbsDiff(m.coefficients, r.coef) / maxAbs(r.coef), r.model).toBeLessThan(1e-6);
      expect(Math.abs(m.intercept - r.intercept) / Math.abs(r.intercept), r.model).toBeLessThan(1e-6);
      expect(Math.abs(r2Score(ds.y, m.predict(frame)) - r.r2), r.model).toBeLessThan(1e-8);
      // Lasso zeroes the same coefficients.
      if (r.model === 'lasso') {
        expect(Array.from(m.coefficients, (c) => c === 0)).toEqual(r.coef.map((c) => c === 0));
      }
    }
  });
});

describe('bad input gives clear LakeboxErrors', () => {
  const f = (rows: { x: number[]; y: number }[]): Frame =>
    new Frame({
      features: vectorColumn(Float64Array.from(rows.flatMap((r) => r.x)), rows[0]?.x.length ?? 1),
      label: { kind: 'numeric', values: Float64Array.from(rows.map((r) => r.y)) },
    });
  const expectCode = async (p: Promise<unknown> | (() => unknown), code: string, msg: RegExp): Promise<void> => {
    try {
      await (typeof p === 'function' ? p() : p);
      expect.unreachable(`expected ${code}`);
    } catch (e) {
      expect(isLakeboxError(e, code), String(e)).toBe(true);
      expect((e as Error).message).toMatch(msg);
    }
  };

  it('rejects NaN, infinite values, empty data, a single class, bad labels and params', async () => {
    await expectCode(
      new LogisticRegression().fit(
        f([
          { x: [1, NaN], y: 0 },
          { x: [2, 3], y: 1 },
        ]),
      ),
      'ML_INVALID_DATA',
      /NaN.*row 0, feature 1/,
    );
    await expectCode(
      new LinearRegression().fit(
        f([
          { x: [1, Infinity], y: 0 },
          { x: [2, 3], y: 1 },
        ]),
      ),
      'ML_INVALID_DATA',
      /infinite/,
    );
    await expectCode(new LinearRegression().fit(f([{ x: [1], y: NaN }])), 'ML_INVALID_DATA', /label/);
    await expectCode(
      new LogisticRegression().fit(
        new Frame({
          features: vectorColumn(new Float64Array(0), 2),
          label: { kind: 'numeric', values: new Float64Array(0) },
        }),
      ),
      'ML_EMPTY_DATA',
      /no rows/,
    );
    await expectCode(
      new LogisticRegression().fit(
        f([
          { x: [1], y: 1 },
          { x: [2], y: 1 },
        ]),
      ),
      'ML_SINGLE_CLASS',
      /1 distinct class/,
    );
    await expectCode(
      new LogisticRegression().fit(
        f([
          { x: [1], y: 0.5 },
          { x: [2], y: 1 },
        ]),
      ),
      'ML_INVALID_DATA',
      /integers/,
    );
    await expectCode(
      new LogisticRegression().fit(
        f([
          { x: [1e300], y: 0 },
          { x: [-1e300], y: 1 },
        ]),
      ),
      'ML_INVALID_DATA',
      /too large/,
    );
    await expectCode(() => new LogisticRegression({ regParam: -1 }), 'ML_INVALID_PARAM', /regParam/);
    await expectCode(() => new LogisticRegression({ elasticNetParam: 2 }), 'ML_INVALID_PARAM', /elasticNetParam/);
    await expectCode(() => new LogisticRegression({ regparam: 1 } as never), 'ML_INVALID_PARAM', /no param 'regparam'/);
    await expectCode(() => new LogisticRegression({ maxIter: '5' } as never), 'ML_INVALID_PARAM', /must be number/);
  });

  it('rejects a feature count at predict time that differs from training', async () => {
    const m = await new LogisticRegression().fit(
      f([
        { x: [1, 2], y: 0 },
        { x: [2, 1], y: 1 },
        { x: [0, 3], y: 0 },
      ]),
    );
    await expectCode(
      () => m.predict(f([{ x: [1, 2, 3], y: 0 }])),
      'ML_SCHEMA_MISMATCH',
      /3 features, the model was fit on 2/,
    );
    const lr = await new LinearRegression().fit(
      f([
        { x: [1], y: 1 },
        { x: [2], y: 2 },
      ]),
    );
    await expectCode(() => lr.transform(f([{ x: [1, 2], y: 0 }])), 'ML_SCHEMA_MISMATCH', /2 features/);
  });

  it('handles separable data and constant features without hanging', async () => {
    const frame = f([
      { x: [0, 5], y: 0 },
      { x: [1, 5], y: 0 },
      { x: [2, 5], y: 1 },
      { x: [3, 5], y: 1 },
    ]);
    const m = await new LogisticRegression({ maxIter: 50 }).fit(frame);
    expect(Array.from(m.predict(frame))).toEqual([0, 0, 1, 1]);
    expect(m.coefficients[1]).toBe(0);
    const lr = await new LinearRegression().fit(frame);
    expect(lr.coefficients[1]).toBe(0);
  });
});
