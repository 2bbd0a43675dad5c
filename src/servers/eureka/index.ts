export * from './server.js';
export * from './cache.js';
export * from './gateway.js';
