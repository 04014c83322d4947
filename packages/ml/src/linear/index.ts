export * from './logistic.js';
export * from './regression.js';
export { minimize, type Objective, type MinimizeOptions, type MinimizeResult } from './optim.js';
