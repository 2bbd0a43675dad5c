export * from './types.js';
export * from './machine.js';
export * from './validate.js';
