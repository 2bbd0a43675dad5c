/** conclave's public API: the embedded cluster, the runtimes, the kernel and the protocol types. */
export * from './cluster.js';
export * from './kernel/index.js';
export * from './protocol/index.js';
export { createSimRuntime, SimRuntime } from './runtime/sim/index.js';
export { createThreadsRuntime, ThreadsRuntime } from './runtime/threads/index.js';
export { createTcpRuntime, startTcpNode } from './runtime/tcp/index.js';
export type { NodeSpec, Runtime, RuntimeOptions } from './runtime/driver.js';
export { startNode, nodeNameOf } from './node.js';
export type { RunningNode, NodeOptions } from './node.js';
export { loadZooMember, parseZooCfg, resolveMember, readMyId, ZooCfgError } from './config/zoocfg.js';
export type { ZooCfg, ZooMember, ZooServer } from './config/zoocfg.js';
