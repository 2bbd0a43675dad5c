export * from './connection.js';
export * from './listener.js';
export * from './backend.js';
export * from './serve.js';
