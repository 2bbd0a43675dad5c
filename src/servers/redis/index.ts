export * from './commands.js';
export * from './config.js';
export * from './connection.js';
export * from './listener.js';
export * from './keyspace.js';
export * from './pubsub.js';
export * from './server-commands.js';
export * from './acl.js';
