export * from './actor.js';
export * from './clock.js';
export * from './events.js';
export * from './freeze.js';
export * from './host.js';
export * from './io.js';
export * from './mailbox.js';
export * from '../core/rng.js';
