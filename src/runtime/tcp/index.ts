export * from './frame.js';
export * from './transport.js';
export * from './node.js';
export * from './controller.js';
export type { NodeStatus } from './ipc.js';
export * from './thread.js';
