export * from './acl.js';
export * from './path.js';
export * from './tree.js';
export * from './prepare.js';
export * from './read.js';
export * from './codec.js';
