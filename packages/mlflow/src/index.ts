export { mlflowFeature, mlflowFeatureWith, mlflowPlugin } from './server.js';
export type { MlflowFeatureOptions } from './server.js';
export { MlflowClient } from './client.js';
export type { MlflowClientOptions, KeyValue, Metric } from './client.js';
export { MlflowStore } from './store.js';
export { parseFilter, parseOrderBy } from './search.js';
export { mlflowMigrations } from './migrations.js';
