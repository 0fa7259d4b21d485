export * from './constants.js';
export * from './crc16.js';
export * from './frames.js';
export * from './encoder.js';
export * from './decoder.js';
