export * from './space.js';
export * from './tpe.js';
export * from './fmin.js';
