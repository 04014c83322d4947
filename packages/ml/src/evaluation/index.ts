export * from './metrics.js';
export * from './evaluators.js';
export * from './validation.js';
