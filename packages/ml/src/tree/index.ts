export { fitBins, applyBins, binOf, type BinMapper, type BinnedData, type BinningOptions } from './binning.js';
export { numNodes, numLeaves, treeDepth, expectedValue, treeShapRow, type Tree, type TreeJson } from './tree.js';
export { TreeGrower, type GrowOptions } from './grower.js';
export {
  TreeEnsembleModel,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  type TreeEnsembleSpec,
  type TreeTask,
  type FeatureImportance,
} from './ensemble.js';
export { checkTrainData, type TreeTrainData } from './input.js';
export {
  GBTEstimator,
  GBT_DEFAULTS,
  type GBTParams,
  type GBTObjective,
  type GBTFitOptions,
  type GBTTrainingInfo,
} from './gbt.js';
export { RandomForestEstimator, DecisionTreeEstimator, FOREST_DEFAULTS, type ForestParams } from './forest.js';
export * from './stages.js';
