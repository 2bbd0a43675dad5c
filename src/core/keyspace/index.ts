export * from './keyspace.js';
export * from './commands.js';
export * from './state.js';
export * from './snapshot.js';
export { globMatch } from './glob.js';
export * from './acl.js';
