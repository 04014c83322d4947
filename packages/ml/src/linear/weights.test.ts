import { describe, expect, it } from 'vitest';
import { isLakeboxError } from '@lakebox/common';
import { Frame, vectorColumn } from '../data/frame.js';
import { Rng } from '../data/rng.js';
import { LinearRegression } from './regression.js';
import { LogisticRegression } from './logistic.js';

/**
 * weightCol: a row of integer weight k must count exactly as k copies of that row (weight 0: as if
 * absent), for the loss, the intercept start and the internal standardisation.
 */
const n = 300;
const d = 4;

function data(seed: number): {
  x: Float64Array;
  yBin: Float64Array;
  yMulti: Float64Array;
  yReg: Float64Array;
  w: Float64Array;
} {
  const rng = new Rng(seed);
  const x = new Float64Array(n * d);
  const yBin = new Float64Array(n);
  const yMulti = new Float64Array(n);
  const yReg = new Float64Array(n);
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) x[i * d + j] = rng.normal() * (j + 1) + j;
    const z = x[i * d] - 0.5 * x[i * d + 1] + 0.3 * x[i * d + 3] - 1 + rng.normal();
    yBin[i] = z > 0 ? 1 : 0;
    yMulti[i] = z < -1 ? 0 : z < 1 ? 1 : 2;
    yReg[i] = 2 * z + 5 + rng.normal();
    w[i] = rng.nextInt(4); // 0..3
  }
  return { x, yBin, yMulti, yReg, w };
}

function frames(x: Float64Array, y: Float64Array, w: Float64Array): { weighted: Frame; repeated: Frame } {
  const weighted = new Frame({
    features: vectorColumn(x, d),
    label: { kind: 'numeric', values: y },
    weight: { kind: 'numeric', values: w },
  });
  const rx: number[] = [];
  const ry: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < w[i]; k++) {
      for (let j = 0; j < d; j++) rx.push(x[i * d + j]);
      ry.push(y[i]);
    }
  }
  const repeated = new Frame({
    features: vectorColumn(Float64Array.from(rx), d),
    label: { kind: 'numeric', values: Float64Array.from(ry) },
  });
  return { weighted, repeated };
}

function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    m = Math.max(m, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
  }
  return m / s;
}

describe('weightCol', () => {
  const { x, yBin, yMulti, yReg, w } = data(11);

  for (const [name, y, extra] of [
    ['binary logistic regression', yBin, { regParam: 0.01 }],
    ['multinomial logistic regression', yMulti, { regParam: 0.01 }],
    ['logistic regression with elastic net', yBin, { regParam: 0.02, elasticNetParam: 0.5 }],
  ] as const) {
    it(`${name}: integer weights equal repeated rows`, async () => {
      const { weighted, repeated } = frames(x, y, w);
      const opts = { ...extra, maxIter: 1000, tol: 1e-13 };
      const a = await new LogisticRegression({ ...opts, weightCol: 'weight' }).fit(weighted);
      const b = await new LogisticRegression(opts).fit(repeated);
      expect(relDiff(a.coefficients, b.coefficients)).toBeLessThan(1e-5);
      expect(relDiff(a.intercepts, b.intercepts)).toBeLessThan(1e-5);
      // and the weights matter: unweighted differs
      const c = await new LogisticRegression(opts).fit(weighted);
      expect(relDiff(c.coefficients, b.coefficients)).toBeGreaterThan(1e-3);
    });
  }

  for (const [name, extra] of [
    ['OLS', { regParam: 0 }],
    ['ridge', { regParam: 0.1 }],
    ['elastic net', { regParam: 0.05, elasticNetParam: 0.5, tol: 1e-14, maxIter: 100_000 }],
  ] as const) {
    it(`linear regression (${name}): integer weights equal repeated rows`, async () => {
      const { weighted, repeated } = frames(x, yReg, w);
      const a = await new LinearRegression({ ...extra, weightCol: 'weight' }).fit(weighted);
      const b = await new LinearRegression(extra).fit(repeated);
      expect(relDiff(a.coefficients, b.coefficients)).toBeLessThan(1e-7);
      expect(Math.abs(a.intercept - b.intercept) / Math.abs(b.intercept)).toBeLessThan(1e-7);
      const c = await new LinearRegression(extra).fit(weighted);
      expect(relDiff(c.coefficients, b.coefficients)).toBeGreaterThan(1e-3);
    });
  }

  it('rejects negative, NaN and all-zero weights and a missing weight column', async () => {
    const bad = async (values: Float64Array | null, code: string): Promise<void> => {
      const cols: Record<string, unknown> = { features: vectorColumn(x, d), label: { kind: 'numeric', values: yBin } };
      if (values) cols.weight = { kind: 'numeric', values };
      const frame = new Frame(cols as ConstructorParameters<typeof Frame>[0]);
      for (const est of [
        new LogisticRegression({ weightCol: 'weight' }),
        new LinearRegression({ weightCol: 'weight' }),
      ]) {
        const err = await est.fit(frame).then(
          () => null,
          (e: unknown) => e,
        );
        expect(isLakeboxError(err), String(err)).toBe(true);
        expect((err as { code: string }).code).toBe(code);
      }
    };
    const neg = Float64Array.from(w);
    neg[7] = -1;
    await bad(neg, 'ML_INVALID_WEIGHT');
    const nan = Float64Array.from(w);
    nan[3] = NaN;
    await bad(nan, 'ML_INVALID_WEIGHT');
    const inf = Float64Array.from(w);
    inf[3] = Infinity;
    await bad(inf, 'ML_INVALID_WEIGHT');
    await bad(new Float64Array(n), 'ML_INVALID_WEIGHT');
    await bad(null, 'UNRESOLVED_COLUMN');
  });
});
