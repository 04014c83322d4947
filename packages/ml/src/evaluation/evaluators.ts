import type { Frame } from '../data/frame.js';
import { MlErrors, V, mlError, resolveParams, type ParamSpecs } from '../core.js';
import {
  accuracy,
  areaUnderPR,
  areaUnderROC,
  averagePrecision,
  logLoss,
  meanAbsoluteError,
  meanSquaredError,
  precisionRecallF1,
  r2Score,
  rootMeanSquaredError,
} from './metrics.js';

/** Scores a transformed frame (Spark's Evaluator). */
export abstract class Evaluator<P extends object = object> {
  abstract readonly kind: string;
  readonly params: Readonly<P>;
  protected constructor(name: string, specs: ParamSpecs<P>, params: Partial<P> | undefined) {
    this.params = Object.freeze(resolveParams(name, specs, params));
  }
  abstract evaluate(frame: Frame): number;
  abstract isLargerBetter(): boolean;
}

function scoreColumn(frame: Frame, col: string): Float64Array {
  const c = frame.column(col);
  if (c.kind === 'numeric') return c.values;
  if (c.kind === 'vector') {
    if (c.dim !== 2)
      throw mlError(MlErrors.INVALID_DATA, `column '${col}' has ${c.dim} classes; binary evaluation needs 2`);
    const n = frame.numRows;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = c.values[i * 2 + 1];
    return out;
  }
  throw mlError(MlErrors.INVALID_COLUMN_TYPE, `column '${col}' must be numeric or a vector`);
}

export interface BinaryClassificationEvaluatorParams {
  labelCol: string;
  /** Score column: P(class 1) or margin (numeric), or a 2-wide probability / raw vector (element 1 is used). */
  rawPredictionCol: string;
  metricName: 'areaUnderROC' | 'areaUnderPR' | 'averagePrecision' | 'logLoss';
}

export class BinaryClassificationEvaluator extends Evaluator<BinaryClassificationEvaluatorParams> {
  readonly kind = 'BinaryClassificationEvaluator';
  constructor(params: Partial<BinaryClassificationEvaluatorParams> = {}) {
    super(
      'BinaryClassificationEvaluator',
      {
        labelCol: { doc: 'label column (0/1)', default: 'label', validate: V.nonEmpty },
        rawPredictionCol: { doc: 'score column', default: 'probability', validate: V.nonEmpty },
        metricName: {
          doc: "'areaUnderROC', 'areaUnderPR' (trapezoids), 'averagePrecision' or 'logLoss' (needs probabilities)",
          default: 'areaUnderROC',
          validate: V.oneOf('areaUnderROC', 'areaUnderPR', 'averagePrecision', 'logLoss'),
        },
      },
      params,
    );
  }
  evaluate(frame: Frame): number {
    const y = frame.numeric(this.params.labelCol);
    const s = scoreColumn(frame, this.params.rawPredictionCol);
    switch (this.params.metricName) {
      case 'areaUnderROC':
        return areaUnderROC(y, s);
      case 'areaUnderPR':
        return areaUnderPR(y, s);
      case 'averagePrecision':
        return averagePrecision(y, s);
      case 'logLoss':
        return logLoss(y, s);
    }
  }
  isLargerBetter(): boolean {
    return this.params.metricName !== 'logLoss';
  }
}

export interface MulticlassClassificationEvaluatorParams {
  labelCol: string;
  predictionCol: string;
  probabilityCol: string;
  metricName: 'accuracy' | 'f1' | 'weightedPrecision' | 'weightedRecall' | 'macroF1' | 'logLoss';
}

export class MulticlassClassificationEvaluator extends Evaluator<MulticlassClassificationEvaluatorParams> {
  readonly kind = 'MulticlassClassificationEvaluator';
  constructor(params: Partial<MulticlassClassificationEvaluatorParams> = {}) {
    super(
      'MulticlassClassificationEvaluator',
      {
        labelCol: { doc: 'label column (class indices)', default: 'label', validate: V.nonEmpty },
        predictionCol: { doc: 'predicted class column', default: 'prediction', validate: V.nonEmpty },
        probabilityCol: { doc: 'class probabilities (for logLoss)', default: 'probability', validate: V.nonEmpty },
        metricName: {
          doc: "'f1' (weighted), 'accuracy', 'weightedPrecision', 'weightedRecall', 'macroF1' or 'logLoss'",
          default: 'f1',
          validate: V.oneOf('accuracy', 'f1', 'weightedPrecision', 'weightedRecall', 'macroF1', 'logLoss'),
        },
      },
      params,
    );
  }
  evaluate(frame: Frame): number {
    const y = frame.numeric(this.params.labelCol);
    if (this.params.metricName === 'logLoss') {
      const p = frame.vector(this.params.probabilityCol);
      return logLoss(y, p.values, p.dim);
    }
    const pred = frame.numeric(this.params.predictionCol);
    switch (this.params.metricName) {
      case 'accuracy':
        return accuracy(y, pred);
      case 'f1':
        return precisionRecallF1(y, pred, 'weighted').f1;
      case 'weightedPrecision':
        return precisionRecallF1(y, pred, 'weighted').precision;
      case 'weightedRecall':
        return precisionRecallF1(y, pred, 'weighted').recall;
      case 'macroF1':
        return precisionRecallF1(y, pred, 'macro').f1;
    }
  }
  isLargerBetter(): boolean {
    return this.params.metricName !== 'logLoss';
  }
}

export interface RegressionEvaluatorParams {
  labelCol: string;
  predictionCol: string;
  metricName: 'rmse' | 'mse' | 'mae' | 'r2';
}

export class RegressionEvaluator extends Evaluator<RegressionEvaluatorParams> {
  readonly kind = 'RegressionEvaluator';
  constructor(params: Partial<RegressionEvaluatorParams> = {}) {
    super(
      'RegressionEvaluator',
      {
        labelCol: { doc: 'label column', default: 'label', validate: V.nonEmpty },
        predictionCol: { doc: 'prediction column', default: 'prediction', validate: V.nonEmpty },
        metricName: {
          doc: "'rmse', 'mse', 'mae' or 'r2'",
          default: 'rmse',
          validate: V.oneOf('rmse', 'mse', 'mae', 'r2'),
        },
      },
      params,
    );
  }
  evaluate(frame: Frame): number {
    const y = frame.numeric(this.params.labelCol);
    const p = frame.numeric(this.params.predictionCol);
    switch (this.params.metricName) {
      case 'rmse':
        return rootMeanSquaredError(y, p);
      case 'mse':
        return meanSquaredError(y, p);
      case 'mae':
        return meanAbsoluteError(y, p);
      case 'r2':
        return r2Score(y, p);
    }
  }
  isLargerBetter(): boolean {
    return this.params.metricName === 'r2';
  }
}

type EvaluatorCtor = new (params: Record<string, unknown>) => Evaluator;
const evaluators: Record<string, EvaluatorCtor> = {
  BinaryClassificationEvaluator: BinaryClassificationEvaluator as unknown as EvaluatorCtor,
  MulticlassClassificationEvaluator: MulticlassClassificationEvaluator as unknown as EvaluatorCtor,
  RegressionEvaluator: RegressionEvaluator as unknown as EvaluatorCtor,
};

/** Rebuild an evaluator from its kind and params (used by worker threads). */
export function evaluatorFromSpec(spec: { kind: string; params: Record<string, unknown> }): Evaluator {
  const C = evaluators[spec.kind];
  if (!C) throw mlError(MlErrors.INVALID_PARAM, `unknown evaluator '${spec.kind}'`);
  return new C(spec.params);
}
