// Public API of @lakebox/ml. Each area keeps its own index.ts and is re-exported here.
export * from './core.js';
export * from './data/index.js';
export * from './linear/index.js';
export * from './evaluation/index.js';
export * from './feature/index.js';
export * from './clustering/index.js';
export * from './tree/index.js';
export * from './export/index.js';
export * from './tuning/index.js';
