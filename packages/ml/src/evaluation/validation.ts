import type { Frame } from '../data/frame.js';
import { frameToData, shareFrame, type FrameData } from '../data/frame.js';
import { Rng } from '../data/rng.js';
import { kFoldIndices } from '../data/split.js';
import {
  Estimator,
  MlErrors,
  Model,
  V,
  estimatorToSpec,
  loadStage,
  mlError,
  registerStage,
  requireRows,
  saveStage,
  type ParamSpecs,
  type SavedData,
  type SavedStage,
  type Transformer,
} from '../core.js';
import { mapLimit, sharedPool } from '../parallel.js';
import type { Evaluator } from './evaluators.js';

export type ParamMap = Record<string, unknown>;

/** Builds the cross product of param values (Spark's ParamGridBuilder). */
export class ParamGridBuilder {
  private readonly grid: [string, readonly unknown[]][] = [];
  addGrid(param: string, values: readonly unknown[]): this {
    if (values.length === 0) throw mlError(MlErrors.INVALID_PARAM, `ParamGridBuilder: no values for '${param}'`);
    this.grid.push([param, values]);
    return this;
  }
  build(): ParamMap[] {
    let maps: ParamMap[] = [{}];
    for (const [k, vals] of this.grid) maps = maps.flatMap((m) => vals.map((v) => ({ ...m, [k]: v })));
    return maps;
  }
}

const workerUrl = new URL('./validation-worker.ts', import.meta.url).href;
const sharedFrames = new WeakMap<Frame, FrameData>();

interface Task {
  map: number;
  train: Int32Array;
  test: Int32Array;
}

/**
 * Fit and score every (param map, split) task; with parallelism > 1 the tasks run in worker threads
 * (the estimator is rebuilt there from its kind and params, the data is shared, not copied).
 */
async function runTasks(
  frame: Frame,
  estimator: Estimator,
  maps: readonly ParamMap[],
  evaluator: Evaluator,
  tasks: Task[],
  parallelism: number,
): Promise<number[]> {
  if (parallelism <= 1) {
    const out: number[] = [];
    for (const t of tasks) {
      const model = await estimator.copy(maps[t.map]).fit(frame.take(t.train));
      out.push(evaluator.evaluate(model.transform(frame.take(t.test))));
    }
    return out;
  }
  const specs = maps.map((m) => estimatorToSpec(estimator.copy(m)));
  let data = sharedFrames.get(frame);
  if (!data) {
    data = frameToData(shareFrame(frame));
    sharedFrames.set(frame, data);
  }
  const evalSpec = { kind: evaluator.kind, params: { ...(evaluator.params as Record<string, unknown>) } };
  const pool = sharedPool();
  return mapLimit(tasks, parallelism, (t) =>
    pool.run<number>(workerUrl, 'fitEvaluate', [specs[t.map], evalSpec, data, t.train, t.test]),
  );
}

function checkMaps(
  estimator: Estimator | null,
  maps: readonly ParamMap[],
  evaluator: Evaluator | null,
  stage: string,
): void {
  if (!estimator) throw mlError(MlErrors.INVALID_PARAM, `${stage}: the estimator param is required`);
  if (!evaluator) throw mlError(MlErrors.INVALID_PARAM, `${stage}: the evaluator param is required`);
  if (maps.length === 0) throw mlError(MlErrors.INVALID_PARAM, `${stage}: estimatorParamMaps is empty`);
  for (const m of maps) estimator.copy(m as never); // validates every param map up front
}

function best(metrics: number[], larger: boolean): number {
  let b = 0;
  for (let i = 1; i < metrics.length; i++) if (larger ? metrics[i] > metrics[b] : metrics[i] < metrics[b]) b = i;
  return b;
}

export interface CrossValidatorParams {
  estimator: Estimator | null;
  estimatorParamMaps: readonly ParamMap[];
  evaluator: Evaluator | null;
  numFolds: number;
  seed: number;
  /** Fits run at once: 1 = sequential on this thread, > 1 = worker threads. */
  parallelism: number;
}

const cvSpecs: ParamSpecs<CrossValidatorParams> = {
  estimator: { doc: 'the estimator to tune', default: null },
  estimatorParamMaps: { doc: 'param maps to try (ParamGridBuilder)', default: [{}] },
  evaluator: { doc: 'how models are scored', default: null },
  numFolds: { doc: 'number of folds', default: 3, validate: V.int(2) },
  seed: { doc: 'random seed for the folds', default: 42, validate: V.int(-2147483648, 4294967295) },
  parallelism: { doc: 'fits at once (worker threads when > 1)', default: 1, validate: V.int(1, 256) },
};

/** k-fold cross-validation over a param grid; refits the best param map on all the data. */
export class CrossValidator extends Estimator<CrossValidatorParams, ValidationModel> {
  readonly kind = 'CrossValidator';
  constructor(params: Partial<CrossValidatorParams> = {}) {
    super('CrossValidator', cvSpecs, params);
  }
  async fit(frame: Frame): Promise<ValidationModel> {
    const { estimator, estimatorParamMaps: maps, evaluator, numFolds, seed, parallelism } = this.params;
    checkMaps(estimator, maps, evaluator, 'CrossValidator');
    requireRows(frame, 'CrossValidator');
    if (frame.numRows < numFolds) {
      throw mlError(MlErrors.EMPTY_DATA, `CrossValidator: ${frame.numRows} rows cannot make ${numFolds} folds`);
    }
    const folds = kFoldIndices(frame.numRows, numFolds, seed);
    const tasks: Task[] = [];
    maps.forEach((_, m) => folds.forEach((f) => tasks.push({ map: m, train: f.train, test: f.test })));
    const scores = await runTasks(frame, estimator!, maps, evaluator!, tasks, parallelism);
    const avg = maps.map(
      (_, m) => scores.slice(m * numFolds, (m + 1) * numFolds).reduce((a, b) => a + b, 0) / numFolds,
    );
    const b = best(avg, evaluator!.isLargerBetter());
    const bestModel = await estimator!.copy(maps[b]).fit(frame);
    return new ValidationModel({ bestModel, metrics: avg, bestIndex: b, bestParams: maps[b] });
  }
}

export interface TrainValidationSplitParams {
  estimator: Estimator | null;
  estimatorParamMaps: readonly ParamMap[];
  evaluator: Evaluator | null;
  trainRatio: number;
  seed: number;
  parallelism: number;
}

/** One random train / validation split over a param grid; refits the best param map on all the data. */
export class TrainValidationSplit extends Estimator<TrainValidationSplitParams, ValidationModel> {
  readonly kind = 'TrainValidationSplit';
  constructor(params: Partial<TrainValidationSplitParams> = {}) {
    super(
      'TrainValidationSplit',
      {
        estimator: cvSpecs.estimator,
        estimatorParamMaps: cvSpecs.estimatorParamMaps,
        evaluator: cvSpecs.evaluator,
        trainRatio: {
          doc: 'fraction of rows to train on',
          default: 0.75,
          validate: (v) => (v > 0 && v < 1) || 'must be in (0, 1)',
        },
        seed: cvSpecs.seed,
        parallelism: cvSpecs.parallelism,
      },
      params,
    );
  }
  async fit(frame: Frame): Promise<ValidationModel> {
    const { estimator, estimatorParamMaps: maps, evaluator, trainRatio, seed, parallelism } = this.params;
    checkMaps(estimator, maps, evaluator, 'TrainValidationSplit');
    requireRows(frame, 'TrainValidationSplit');
    const rng = new Rng(seed);
    const tr: number[] = [];
    const te: number[] = [];
    for (let i = 0; i < frame.numRows; i++) (rng.next() < trainRatio ? tr : te).push(i);
    if (tr.length === 0 || te.length === 0) {
      throw mlError(
        MlErrors.EMPTY_DATA,
        `TrainValidationSplit: too few rows (${frame.numRows}) for a train and a validation part`,
      );
    }
    const train = Int32Array.from(tr);
    const test = Int32Array.from(te);
    const scores = await runTasks(
      frame,
      estimator!,
      maps,
      evaluator!,
      maps.map((_, m) => ({ map: m, train, test })),
      parallelism,
    );
    const b = best(scores, evaluator!.isLargerBetter());
    const bestModel = await estimator!.copy(maps[b]).fit(frame);
    return new ValidationModel({ bestModel, metrics: scores, bestIndex: b, bestParams: maps[b] });
  }
}

export interface ValidationResult {
  bestModel: Transformer;
  /** Metric per param map (averaged over folds for cross-validation). */
  metrics: number[];
  bestIndex: number;
  bestParams: ParamMap;
}

/** The best model found by CrossValidator / TrainValidationSplit; transforms with it. */
export class ValidationModel extends Model<object> {
  readonly kind = 'ValidationModel';
  readonly bestModel: Transformer;
  readonly metrics: number[];
  readonly bestIndex: number;
  readonly bestParams: ParamMap;
  constructor(r: ValidationResult, uid?: string) {
    super('ValidationModel', {}, {}, uid);
    this.bestModel = r.bestModel;
    this.metrics = r.metrics;
    this.bestIndex = r.bestIndex;
    this.bestParams = r.bestParams;
  }
  transform(frame: Frame): Frame {
    return this.bestModel.transform(frame);
  }
  override saveData(): SavedData {
    return {
      bestModel: saveStage(this.bestModel) as unknown as SavedData,
      metrics: Float64Array.from(this.metrics),
      bestIndex: this.bestIndex,
      bestParams: JSON.stringify(this.bestParams),
    };
  }
}

registerStage('ValidationModel', ({ uid, data }) => {
  return new ValidationModel(
    {
      bestModel: loadStage(data.bestModel as unknown as SavedStage),
      metrics: Array.from(data.metrics as Float64Array),
      bestIndex: data.bestIndex as number,
      bestParams: JSON.parse(data.bestParams as string) as ParamMap,
    },
    uid,
  );
});

/**
 * A loss for tuning (fmin): k-fold cross-validated metric of `estimator` with the given params,
 * negated when larger is better. With `workers`, the folds are fit in worker threads.
 */
export function crossValidationLoss(
  estimator: Estimator,
  evaluator: Evaluator,
  frame: Frame,
  opts: { numFolds?: number; seed?: number; workers?: boolean } = {},
): (params: Record<string, unknown>) => Promise<number> {
  const k = opts.numFolds ?? 3;
  requireRows(frame, 'crossValidationLoss');
  const folds = kFoldIndices(frame.numRows, k, opts.seed ?? 42);
  return async (params) => {
    const tasks = folds.map((f) => ({ map: 0, train: f.train, test: f.test }));
    const scores = await runTasks(frame, estimator, [params], evaluator, tasks, opts.workers ? k : 1);
    const mean = scores.reduce((a, b) => a + b, 0) / k;
    return evaluator.isLargerBetter() ? -mean : mean;
  };
}
