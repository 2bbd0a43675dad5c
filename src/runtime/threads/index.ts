export * from './threads.js';
export type { ActorControl } from './wire.js';
