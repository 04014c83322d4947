import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isLakeboxError } from '@lakebox/common';
import {
  V,
  estimatorFromSpec,
  estimatorToSpec,
  explainParams,
  loadStageFromFile,
  resolveParams,
  saveStageToFile,
  type ParamSpecs,
} from './core.js';
import { Frame } from './data/frame.js';
import { LinearRegression, LinearRegressionModel } from './linear/regression.js';

interface P {
  alpha: number;
  mode: 'a' | 'b';
  cols: readonly string[];
  flag: boolean;
}
const specs: ParamSpecs<P> = {
  alpha: { doc: 'a rate', default: 0.5, validate: V.inRange(0, 1) },
  mode: { doc: 'a mode', default: 'a', validate: V.oneOf('a', 'b') },
  cols: { doc: 'columns', default: [] },
  flag: { doc: 'a flag', default: false },
};

describe('params', () => {
  it('merges defaults, validates names, types and ranges', () => {
    expect(resolveParams('S', specs, { alpha: 0.1 })).toEqual({ alpha: 0.1, mode: 'a', cols: [], flag: false });
    const bad: [Partial<P> | Record<string, unknown>, RegExp][] = [
      [{ alpha: 2 }, /S param 'alpha' = 2 is invalid: must be in \[0, 1\]/],
      [{ alpha: NaN }, /alpha/],
      [{ mode: 'c' as never }, /must be one of 'a', 'b'/],
      [{ cols: 'x' as never }, /must be array, got string/],
      [{ flag: 1 as never }, /must be boolean/],
      [{ beta: 1 }, /S has no param 'beta'; known params: alpha, mode, cols, flag/],
    ];
    for (const [given, msg] of bad) {
      try {
        resolveParams('S', specs, given as Partial<P>);
        expect.unreachable();
      } catch (e) {
        expect(isLakeboxError(e, 'ML_INVALID_PARAM')).toBe(true);
        expect((e as Error).message).toMatch(msg);
      }
    }
    expect(explainParams(specs, resolveParams('S', specs, {}))).toContain('alpha: a rate (default: 0.5 current: 0.5)');
    expect(V.int(1)(1.5)).toMatch(/integer/);
  });

  it('saves to and loads from files; estimators round-trip through specs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lakebox-ml-core-'));
    try {
      const f = Frame.fromRows([
        { features: [1, 0], label: 1 },
        { features: [0, 1], label: 2 },
        { features: [1, 1], label: 3 },
      ]);
      const est = new LinearRegression({ regParam: 0 });
      const m = await est.fit(f);
      await saveStageToFile(m, join(dir, 'model.json'));
      const back = await loadStageFromFile(join(dir, 'model.json'));
      expect(back).toBeInstanceOf(LinearRegressionModel);
      expect(Array.from((back as LinearRegressionModel).predict(f))).toEqual(Array.from(m.predict(f)));
      expect(back.uid).toBe(m.uid);
      const again = estimatorFromSpec(estimatorToSpec(est.copy({ regParam: 0.5 })));
      expect(again).toBeInstanceOf(LinearRegression);
      expect(again.params).toMatchObject({ regParam: 0.5 });
      expect(() => estimatorFromSpec({ kind: 'Nope', params: {} })).toThrow(/unknown estimator kind 'Nope'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
