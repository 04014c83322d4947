import { beforeAll, describe, expect, it } from 'vitest';
import { isLakeboxError } from '@lakebox/common';
import { KMeans } from '../src/clustering/index.js';
import {
  accuracy,
  areaUnderPR,
  areaUnderROC,
  averagePrecision,
  confusionMatrix,
  logLoss,
  meanAbsoluteError,
  meanSquaredError,
  precisionRecallF1,
  r2Score,
  rootMeanSquaredError,
} from '../src/evaluation/metrics.js';
import { Frame } from '../src/data/frame.js';
import { datasetFrame, sklearnReference, type Reference } from './sklearn-reference.js';

let ref: Reference;
beforeAll(async () => {
  ref = await sklearnReference();
}, 300_000);

describe('KMeans vs scikit-learn KMeans', () => {
  it('reaches scikit-learn inertia (within 1%) on iris, wine and digits with 10 k-means++ starts', async () => {
    for (const r of ref.kmeans) {
      const ds = ref.datasets[r.dataset];
      const m = await new KMeans({ k: r.k, nInit: 10, seed: 1, tol: 1e-8, maxIter: 1000 }).fit(datasetFrame(ds));
      expect(m.inertia / r.inertia, r.dataset).toBeLessThan(1.01);
      expect(m.computeCost(datasetFrame(ds))).toBeCloseTo(m.inertia, 6);
    }
  });

  it('rejects k larger than the data, NaN and mismatched widths', async () => {
    const f = Frame.fromColumns({ features: [1, 2, 3] });
    await expect(new KMeans({ k: 4 }).fit(f)).rejects.toThrow(/exceeds the number of rows/);
    await expect(new KMeans({ k: 2 }).fit(Frame.fromColumns({ features: [1, NaN, 3] }))).rejects.toThrow(/NaN/);
    const m = await new KMeans({ k: 2 }).fit(f);
    try {
      m.predict(Frame.fromRows([{ features: [1, 2] }]));
      expect.unreachable();
    } catch (e) {
      expect(isLakeboxError(e, 'ML_SCHEMA_MISMATCH')).toBe(true);
    }
  });
});

describe('metrics vs sklearn.metrics on the same predictions (1e-9)', () => {
  const close = (a: number, b: number, what: string): void => {
    expect(Math.abs(a - b), `${what}: ${a} vs ${b}`).toBeLessThan(1e-9);
  };
  it('binary: ROC AUC, average precision, PR AUC, log loss, accuracy, precision, recall, F1, confusion', () => {
    const b = ref.metrics.binary;
    const y = b.y as number[];
    const s = b.score as number[];
    const p = b.pred as number[];
    close(areaUnderROC(y, s), b.roc_auc as number, 'roc_auc');
    close(averagePrecision(y, s), b.average_precision as number, 'average_precision');
    close(areaUnderPR(y, s), b.pr_auc_trapezoid as number, 'pr auc');
    close(logLoss(y, s), b.log_loss as number, 'log_loss');
    close(accuracy(y, p), b.accuracy as number, 'accuracy');
    const prf = precisionRecallF1(y, p);
    close(prf.precision, b.precision as number, 'precision');
    close(prf.recall, b.recall as number, 'recall');
    close(prf.f1, b.f1 as number, 'f1');
    expect(confusionMatrix(y, p).matrix).toEqual(b.confusion);
  });
  it('multiclass: accuracy, macro/weighted precision, recall, F1, log loss, confusion', () => {
    const m = ref.metrics.multiclass;
    const y = m.y as number[];
    const p = m.pred as number[];
    close(accuracy(y, p), m.accuracy as number, 'accuracy');
    const w = precisionRecallF1(y, p, 'weighted');
    const mac = precisionRecallF1(y, p, 'macro');
    close(w.f1, m.f1_weighted as number, 'f1_weighted');
    close(w.precision, m.precision_weighted as number, 'precision_weighted');
    close(w.recall, m.recall_weighted as number, 'recall_weighted');
    close(mac.f1, m.f1_macro as number, 'f1_macro');
    close(mac.precision, m.precision_macro as number, 'precision_macro');
    close(mac.recall, m.recall_macro as number, 'recall_macro');
    close(logLoss(y, m.proba as number[], 4), m.log_loss as number, 'log_loss');
    expect(confusionMatrix(y, p).matrix).toEqual(m.confusion);
  });
  it('regression: RMSE, MSE, MAE, R^2', () => {
    const r = ref.metrics.regression;
    const y = r.y as number[];
    const p = r.pred as number[];
    close(rootMeanSquaredError(y, p), r.rmse as number, 'rmse');
    close(meanSquaredError(y, p), r.mse as number, 'mse');
    close(meanAbsoluteError(y, p), r.mae as number, 'mae');
    close(r2Score(y, p), r.r2 as number, 'r2');
  });
  it('undefined metrics are clear errors', () => {
    expect(() => areaUnderROC([1, 1], [0.2, 0.3])).toThrow(/only one class/);
    expect(() => accuracy([], [])).toThrow(/no rows/);
    expect(() => accuracy([1, 0], [1])).toThrow(/2 rows, predictions 1/);
  });
});
