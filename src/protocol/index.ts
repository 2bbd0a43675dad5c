export * from './envelope.js';
export * from './events.js';
export * from './faults.js';
