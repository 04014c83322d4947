import {
  Estimator,
  Model,
  MlErrors,
  mlError,
  registerEstimator,
  registerStage,
  requireRows,
  type ParamSpec,
  type ParamSpecs,
  type ProbabilisticClassifier,
  type SavedData,
} from '../core.js';
import { featureMatrix, vectorColumn, type Frame } from '../data/frame.js';
import { TreeEnsembleModel } from './ensemble.js';
import { FOREST_DEFAULTS, RandomForestEstimator, type ForestParams } from './forest.js';
import { GBT_DEFAULTS, GBTEstimator, type GBTParams } from './gbt.js';

/**
 * Pipeline stages (Spark-MLlib-style Estimators and Models on Frames) for the tree learners:
 * GBTClassifier / GBTRegressor, RandomForestClassifier / RandomForestRegressor and
 * DecisionTreeClassifier / DecisionTreeRegressor. Features come from one vector (or numeric)
 * column, NaN marking missing values; classifiers accept any numeric class values and predict them.
 */
export interface TreeColumnsParams {
  featuresCol: string;
  labelCol: string;
  /** Sample weights column ('' for none). */
  weightCol: string;
  predictionCol: string;
  /** Classifiers: class probabilities (vector); '' to skip. */
  probabilityCol: string;
  /** Classifiers: raw margins / averaged leaf values (vector); '' to skip. */
  rawPredictionCol: string;
}

const COLUMN_SPECS: ParamSpecs<TreeColumnsParams> = {
  featuresCol: { doc: 'features column (vector or numeric; NaN = missing)', default: 'features' },
  labelCol: { doc: 'label column', default: 'label' },
  weightCol: { doc: "sample weights column ('' for none)", default: '' },
  predictionCol: { doc: 'output: prediction (class value or number)', default: 'prediction' },
  probabilityCol: { doc: 'output: class probabilities (vector)', default: 'probability' },
  rawPredictionCol: { doc: 'output: raw scores (vector)', default: 'rawPrediction' },
};

type GBTStageParams = TreeColumnsParams & Omit<GBTParams, 'objective'>;
type ForestStageParams = TreeColumnsParams & Omit<ForestParams, 'task' | 'maxFeatures'> & { maxFeatures: string };

function specsFrom<T extends object>(defaults: T, docs: Record<string, string>): ParamSpecs<T> {
  const out: Record<string, ParamSpec<unknown>> = {};
  for (const [k, v] of Object.entries(defaults)) out[k] = { doc: docs[k] ?? k, default: v };
  return out as unknown as ParamSpecs<T>;
}

const { objective: _o, ...gbtDefaults } = GBT_DEFAULTS;
const GBT_SPECS: ParamSpecs<GBTStageParams> = {
  ...COLUMN_SPECS,
  ...specsFrom(gbtDefaults, {
    numIterations: 'boosting rounds (trees per class)',
    learningRate: 'shrinkage of each tree',
    numLeaves: 'maximum leaves per tree',
    maxDepth: 'maximum depth (-1: none)',
    growth: "'leafwise' or 'depthwise'",
    minDataInLeaf: 'minimum rows per leaf',
    minSumHessianInLeaf: 'minimum hessian sum per leaf',
    lambdaL2: 'L2 regularisation of leaf values',
    minGainToSplit: 'minimum gain of a split',
    maxBin: 'maximum histogram bins per feature (<= 255)',
    baggingFraction: 'fraction of rows per tree (with baggingFreq > 0)',
    baggingFreq: 'resample rows every k iterations (0: off)',
    featureFraction: 'fraction of features per tree',
    earlyStoppingRounds: 'unused by fit(frame) (needs a validation set); see GBTEstimator',
    seed: 'random seed',
    numThreads: 'histogram threads (1 or 2)',
    categoricalFeatures: 'indices of categorical features (non-negative integer codes), split on category sets',
  }),
};

const { task: _t, maxFeatures: _m, ...forestDefaults } = FOREST_DEFAULTS;
const FOREST_SPECS: ParamSpecs<ForestStageParams> = {
  ...COLUMN_SPECS,
  ...specsFrom(forestDefaults, {
    numTrees: 'number of trees',
    maxDepth: 'maximum depth (-1: none)',
    maxLeaves: 'maximum leaves per tree',
    minSamplesLeaf: 'minimum rows per leaf',
    bootstrap: 'bootstrap rows for each tree',
    maxBin: 'maximum histogram bins per feature (<= 255)',
    seed: 'random seed',
  }),
  maxFeatures: { doc: "features tried per split: 'sqrt', 'log2', 'all' or a fraction such as '0.5'", default: 'auto' },
};

interface Training {
  columns: Float64Array[];
  label: Float64Array;
  weight?: Float64Array;
}

function readTrainingFrame(frame: Frame, p: TreeColumnsParams, stage: string): Training {
  requireRows(frame, stage);
  const { x, n, d } = featureMatrix(frame, p.featuresCol);
  const columns = Array.from({ length: d }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) columns[j][i] = x[i * d + j];
  const t: Training = { columns, label: frame.numeric(p.labelCol) };
  if (p.weightCol) t.weight = frame.numeric(p.weightCol);
  return t;
}

function parseMaxFeatures(v: string, classification: boolean): ForestParams['maxFeatures'] {
  if (v === 'auto') return classification ? 'sqrt' : 'all';
  if (v === 'sqrt' || v === 'log2' || v === 'all') return v;
  const x = Number(v);
  if (!(x > 0 && x <= 1)) {
    throw mlError(
      MlErrors.INVALID_PARAM,
      `maxFeatures must be auto, sqrt, log2, all or a fraction in (0, 1], got '${v}'`,
    );
  }
  return x;
}

export interface TreeModelData {
  /** The native model (see TreeEnsembleModel.save). */
  model: string;
}

/** A fitted tree stage: adds prediction (and for classifiers probability / raw) columns. */
export class TreeEnsembleStageModel extends Model<TreeColumnsParams> implements ProbabilisticClassifier {
  readonly kind: string;
  readonly ensemble: TreeEnsembleModel;

  constructor(kind: string, params: Partial<TreeColumnsParams>, ensemble: TreeEnsembleModel, uid?: string) {
    super(kind, COLUMN_SPECS, params, uid);
    this.kind = kind;
    this.ensemble = ensemble;
  }

  get numClasses(): number {
    return this.ensemble.classes.length;
  }

  private columnsOf(frame: Frame): Float64Array[] {
    const { x, n, d } = featureMatrix(frame, this.params.featuresCol);
    if (d !== this.ensemble.numFeatures) {
      throw mlError(
        MlErrors.SCHEMA_MISMATCH,
        `${this.kind}: column '${this.params.featuresCol}' has ${d} features, the model was fit on ${this.ensemble.numFeatures}`,
        { expected: this.ensemble.numFeatures, actual: d },
      );
    }
    const columns = Array.from({ length: d }, () => new Float64Array(n));
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) columns[j][i] = x[i * d + j];
    return columns;
  }

  predict(frame: Frame): Float64Array {
    return this.ensemble.predict(this.columnsOf(frame));
  }

  predictProbability(frame: Frame): Float64Array {
    return this.ensemble.predictProba(this.columnsOf(frame));
  }

  /** TreeSHAP contributions, n x channels x (features + 1) (see TreeEnsembleModel.shapValues). */
  shapValues(frame: Frame): Float64Array {
    return this.ensemble.shapValues(this.columnsOf(frame));
  }

  transform(frame: Frame): Frame {
    const cols = this.columnsOf(frame);
    let f = frame;
    if (this.ensemble.spec.task === 'regression') {
      return f.withColumn(this.params.predictionCol, { kind: 'numeric', values: this.ensemble.predict(cols) });
    }
    const C = this.ensemble.spec.numChannels;
    const K = this.ensemble.classes.length;
    const raw = this.ensemble.predictRaw(cols);
    if (this.params.rawPredictionCol) f = f.withColumn(this.params.rawPredictionCol, vectorColumn(raw, C));
    const prob = this.ensemble.predictProba(cols);
    if (this.params.probabilityCol) f = f.withColumn(this.params.probabilityCol, vectorColumn(prob, K));
    return f.withColumn(this.params.predictionCol, { kind: 'numeric', values: this.ensemble.predict(cols) });
  }

  override saveData(): SavedData {
    return { model: this.ensemble.save() };
  }
}

function columnParams(p: TreeColumnsParams): TreeColumnsParams {
  const { featuresCol, labelCol, weightCol, predictionCol, probabilityCol, rawPredictionCol } = p;
  return { featuresCol, labelCol, weightCol, predictionCol, probabilityCol, rawPredictionCol };
}

function gbtStage(name: string, modelKind: string, classification: boolean) {
  return class extends Estimator<GBTStageParams, TreeEnsembleStageModel> {
    readonly kind = name;
    constructor(params: Partial<GBTStageParams> = {}) {
      super(name, GBT_SPECS, params);
      const {
        featuresCol: _f,
        labelCol: _l,
        weightCol: _w,
        predictionCol: _p,
        probabilityCol: _q,
        rawPredictionCol: _r,
        ...gp
      } = this.params;
      new GBTEstimator({ ...gp, objective: classification ? 'binary' : 'regression' });
    }
    async fit(frame: Frame): Promise<TreeEnsembleStageModel> {
      const t = readTrainingFrame(frame, this.params, name);
      const {
        featuresCol: _f,
        labelCol: _l,
        weightCol: _w,
        predictionCol: _p,
        probabilityCol: _q,
        rawPredictionCol: _r,
        ...gp
      } = this.params;
      let objective: GBTParams['objective'] = 'regression';
      if (classification) objective = new Set(t.label).size > 2 ? 'multiclass' : 'binary';
      const m = new GBTEstimator({ ...gp, objective }).fit(t);
      return new TreeEnsembleStageModel(modelKind, columnParams(this.params), m);
    }
  };
}

function forestStage(name: string, modelKind: string, classification: boolean, single: boolean) {
  return class extends Estimator<ForestStageParams, TreeEnsembleStageModel> {
    readonly kind = name;
    constructor(params: Partial<ForestStageParams> = {}) {
      super(name, FOREST_SPECS, single ? { numTrees: 1, bootstrap: false, maxFeatures: 'all', ...params } : params);
      this.estimator();
    }
    private estimator(): RandomForestEstimator {
      const {
        featuresCol: _f,
        labelCol: _l,
        weightCol: _w,
        predictionCol: _p,
        probabilityCol: _q,
        rawPredictionCol: _r,
        maxFeatures,
        ...fp
      } = this.params;
      return new RandomForestEstimator({
        ...fp,
        task: classification ? 'classification' : 'regression',
        maxFeatures: parseMaxFeatures(maxFeatures, classification),
      });
    }
    async fit(frame: Frame): Promise<TreeEnsembleStageModel> {
      const t = readTrainingFrame(frame, this.params, name);
      return new TreeEnsembleStageModel(modelKind, columnParams(this.params), this.estimator().fit(t));
    }
  };
}

export const GBTClassifier = gbtStage('GBTClassifier', 'GBTClassificationModel', true);
export const GBTRegressor = gbtStage('GBTRegressor', 'GBTRegressionModel', false);
export const RandomForestClassifier = forestStage(
  'RandomForestClassifier',
  'RandomForestClassificationModel',
  true,
  false,
);
export const RandomForestRegressor = forestStage('RandomForestRegressor', 'RandomForestRegressionModel', false, false);
export const DecisionTreeClassifier = forestStage(
  'DecisionTreeClassifier',
  'DecisionTreeClassificationModel',
  true,
  true,
);
export const DecisionTreeRegressor = forestStage('DecisionTreeRegressor', 'DecisionTreeRegressionModel', false, true);

const STAGES = {
  GBTClassifier: ['GBTClassificationModel', GBTClassifier],
  GBTRegressor: ['GBTRegressionModel', GBTRegressor],
  RandomForestClassifier: ['RandomForestClassificationModel', RandomForestClassifier],
  RandomForestRegressor: ['RandomForestRegressionModel', RandomForestRegressor],
  DecisionTreeClassifier: ['DecisionTreeClassificationModel', DecisionTreeClassifier],
  DecisionTreeRegressor: ['DecisionTreeRegressionModel', DecisionTreeRegressor],
} as const;

for (const [est, [modelKind, ctor]] of Object.entries(STAGES)) {
  registerEstimator(est, ctor);
  registerStage(modelKind, ({ uid, params, data }) => {
    const ensemble = TreeEnsembleModel.load(String((data as unknown as TreeModelData).model));
    return new TreeEnsembleStageModel(modelKind, params as Partial<TreeColumnsParams>, ensemble, uid);
  });
}
