import { describe, expect, it } from 'vitest';
import { Frame, vectorColumn } from '../data/frame.js';
import { Rng } from '../data/rng.js';
import { Pipeline, loadStage, stageToJSON } from '../core.js';
import { LogisticRegression } from '../linear/logistic.js';
import { LinearRegression } from '../linear/regression.js';
import { StandardScaler } from '../feature/scalers.js';
import { BinaryClassificationEvaluator, MulticlassClassificationEvaluator, RegressionEvaluator } from './evaluators.js';
import { CrossValidator, ParamGridBuilder, TrainValidationSplit, ValidationModel } from './validation.js';

function classification(n: number, seed: number): Frame {
  const rng = new Rng(seed);
  const x = new Float64Array(n * 3);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 3; j++) x[i * 3 + j] = rng.normal();
    const m = 2 * x[i * 3] - x[i * 3 + 1] + 0.5 * rng.normal();
    y[i] = m > 0 ? 1 : 0;
  }
  return new Frame({ raw: vectorColumn(x, 3), label: { kind: 'numeric', values: y } });
}

describe('evaluators', () => {
  it('score transformed frames and know their direction', async () => {
    const f = classification(300, 1);
    const m = await new LogisticRegression({ featuresCol: 'raw' }).fit(f);
    const out = m.transform(f);
    const auc = new BinaryClassificationEvaluator().evaluate(out);
    expect(auc).toBeGreaterThan(0.9);
    expect(new BinaryClassificationEvaluator({ metricName: 'logLoss' }).isLargerBetter()).toBe(false);
    expect(new MulticlassClassificationEvaluator({ metricName: 'accuracy' }).evaluate(out)).toBeGreaterThan(0.85);
    expect(new MulticlassClassificationEvaluator({ metricName: 'logLoss' }).evaluate(out)).toBeLessThan(0.4);
    const r = await new LinearRegression({ featuresCol: 'raw' }).fit(f);
    expect(new RegressionEvaluator({ metricName: 'r2' }).evaluate(r.transform(f))).toBeGreaterThan(0.3);
    expect(() => new RegressionEvaluator({ metricName: 'mape' as never })).toThrow(/metricName/);
  });
});

describe('CrossValidator and TrainValidationSplit', () => {
  const grid = new ParamGridBuilder().addGrid('regParam', [10, 0.01, 1]).addGrid('elasticNetParam', [0, 1]).build();

  it('builds grids as cross products', () => {
    expect(grid).toHaveLength(6);
    expect(grid[0]).toEqual({ regParam: 10, elasticNetParam: 0 });
  });

  it('picks the weakest regularisation on clean data, the same in worker threads as on one thread', async () => {
    const f = classification(400, 2);
    const pipeline = new Pipeline({
      stages: [new StandardScaler({ inputCol: 'raw', outputCol: 'features' }), new LogisticRegression()],
    });
    const lr = new LogisticRegression({ featuresCol: 'raw' });
    const evaluator = new BinaryClassificationEvaluator({ metricName: 'logLoss' });
    const seq = await new CrossValidator({ estimator: lr, estimatorParamMaps: grid, evaluator, numFolds: 3 }).fit(f);
    const par = await new CrossValidator({
      estimator: lr,
      estimatorParamMaps: grid,
      evaluator,
      numFolds: 3,
      parallelism: 2,
    }).fit(f);
    expect(seq.bestParams.regParam).toBe(0.01);
    expect(par.metrics).toHaveLength(6);
    for (let i = 0; i < 6; i++) expect(par.metrics[i]).toBeCloseTo(seq.metrics[i], 9);
    const reloaded = loadStage(stageToJSON(seq));
    expect(reloaded).toBeInstanceOf(ValidationModel);
    expect(Array.from(reloaded.transform(f).numeric('prediction'))).toEqual(
      Array.from(seq.transform(f).numeric('prediction')),
    );

    // A whole pipeline can be cross-validated in worker threads too.
    // Inner stage params are addressed as '<stage index>.<param>'.
    const pcv = await new CrossValidator({
      estimator: pipeline,
      estimatorParamMaps: new ParamGridBuilder().addGrid('1.regParam', [10, 0.001]).build(),
      evaluator: new BinaryClassificationEvaluator({ metricName: 'logLoss' }),
      numFolds: 2,
      parallelism: 2,
    }).fit(f);
    expect(pcv.bestParams).toEqual({ '1.regParam': 0.001 });
    expect(pcv.metrics[1]).toBeLessThan(pcv.metrics[0]);
    expect(() => pipeline.copy({ '0.regParam': 1 })).toThrow(/no param 'regParam'/);
    expect(() => pipeline.copy({ regParam: 1 })).toThrow(/<estimator stage index>/);

    const tvs = await new TrainValidationSplit({
      estimator: lr,
      estimatorParamMaps: grid,
      evaluator,
      parallelism: 2,
    }).fit(f);
    expect(tvs.metrics).toHaveLength(6);
    expect(tvs.bestParams.regParam).toBe(0.01);
  });

  it('reports bad settings clearly', async () => {
    const f = classification(10, 3);
    const lr = new LogisticRegression({ featuresCol: 'raw' });
    const evaluator = new BinaryClassificationEvaluator();
    await expect(
      new CrossValidator({ estimator: lr, evaluator, estimatorParamMaps: [{ regParm: 1 }] }).fit(f),
    ).rejects.toThrow(/no param 'regParm'/);
    await expect(new CrossValidator({ evaluator }).fit(f)).rejects.toThrow(/estimator param is required/);
    await expect(new CrossValidator({ estimator: lr, evaluator, numFolds: 11 }).fit(f)).rejects.toThrow(
      /cannot make 11 folds/,
    );
  });
});
