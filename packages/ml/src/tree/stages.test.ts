import { describe, expect, it } from 'vitest';
import { isLakeboxError } from '@lakebox/common';
import { Pipeline, loadStage, saveStage } from '../core.js';
import { Frame, vectorColumn } from '../data/frame.js';
import { Rng } from '../data/rng.js';
import {
  DecisionTreeRegressor,
  GBTClassifier,
  GBTRegressor,
  RandomForestClassifier,
  TreeEnsembleStageModel,
} from './stages.js';

function frame(n: number, seed: number): Frame {
  const rng = new Rng(seed);
  const d = 3;
  const x = new Float64Array(n * d);
  const y = new Float64Array(n);
  const yr = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) x[i * d + j] = rng.normal();
    if (i % 10 === 0) x[i * d + 2] = NaN;
    const z = x[i * d] - x[i * d + 1] + 0.3 * rng.normal();
    y[i] = z > 0.5 ? 2 : z > -0.5 ? 1 : 0;
    yr[i] = 3 * z;
  }
  return Frame.fromColumns({ features: vectorColumn(x, d), label: y, target: yr });
}

describe('tree pipeline stages', () => {
  it('fit in a Pipeline, transform, and save/load through the stage registry', async () => {
    const train = frame(1500, 1);
    const test = frame(300, 2);
    for (const est of [
      new GBTClassifier({ numIterations: 20 }),
      new RandomForestClassifier({ numTrees: 10 }),
      new GBTRegressor({ labelCol: 'target', numIterations: 20 }),
      new DecisionTreeRegressor({ labelCol: 'target', maxDepth: 4 }),
    ]) {
      const model = await new Pipeline({ stages: [est] }).fit(train);
      const out = model.transform(test);
      const pred = out.numeric('prediction');
      const label = test.numeric(est.params.labelCol);
      if (est.params.labelCol === 'label') {
        let ok = 0;
        for (let i = 0; i < pred.length; i++) ok += pred[i] === label[i] ? 1 : 0;
        expect(ok / pred.length).toBeGreaterThan(0.8);
        expect(out.vector('probability').dim).toBe(3);
      } else {
        let se = 0;
        let ve = 0;
        const mean = label.reduce((a, b) => a + b, 0) / label.length;
        for (let i = 0; i < pred.length; i++) {
          se += (pred[i] - label[i]) ** 2;
          ve += (label[i] - mean) ** 2;
        }
        expect(1 - se / ve).toBeGreaterThan(0.7); // R^2
      }
      const fitted = model.stages[0] as TreeEnsembleStageModel;
      const back = loadStage(JSON.stringify(saveStage(fitted))) as TreeEnsembleStageModel;
      expect(back.kind).toBe(fitted.kind);
      expect(Array.from(back.predict(test))).toEqual(Array.from(fitted.predict(test)));
    }
  });

  it('rejects bad params and a features column of another width', async () => {
    expect(() => new GBTClassifier({ numLeaves: 0 })).toThrow(/numLeaves/);
    expect(() => new RandomForestClassifier({ maxFeatures: 'most' })).toThrow(/maxFeatures/);
    const model = await new GBTClassifier({ numIterations: 2 }).fit(frame(200, 3));
    const other = Frame.fromColumns({ features: vectorColumn(new Float64Array(8), 2) });
    try {
      model.transform(other);
      throw new Error('expected an error');
    } catch (e) {
      expect(isLakeboxError(e, 'ML_SCHEMA_MISMATCH')).toBe(true);
    }
  });
});
