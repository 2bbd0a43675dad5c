/** The conformance suite every driver passes, on the tcp driver: one process per node, peers over loopback TCP. */
import { createTcpRuntime } from '../../src/runtime/tcp/index.js';
import { conformance, demoKindsUrl, demoNodes } from './conformance.js';

conformance('tcp', () => createTcpRuntime({ nodes: demoNodes, kindsModule: demoKindsUrl, seed: 0x7c9 }));
