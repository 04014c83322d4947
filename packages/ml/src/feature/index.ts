export * from './assembler.js';
export * from './scalers.js';
export * from './categorical.js';
export * from './buckets.js';
