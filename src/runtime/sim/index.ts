export * from './disk.js';
export * from './sim.js';
