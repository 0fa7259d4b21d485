export * as serial from './serial/index.js';
export * from './mqtt/index.js';
export * from './duration.js';
