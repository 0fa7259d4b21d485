/**
 * One settings library for every process: declare the settings once (kinds.ts), read them from the
 * environment and the command line (parse.ts), print `--help` and the README tables (docs.ts).
 */
export * from './kinds.js';
export * from './parse.js';
export * from './docs.js';
