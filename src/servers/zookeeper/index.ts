export * from './connection.js';
export * from './listener.js';
