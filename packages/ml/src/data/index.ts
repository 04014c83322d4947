export * from './frame.js';
export * from './rng.js';
export * from './split.js';
export * from './duckdb.js';
export * from './arrow.js';
