/**
 * The piscina task that runs one node (its actors and its peer transport) on a worker thread for as long as the
 * node runs: the task resolves once `close` has stopped it. See thread-port.ts.
 */
import { expose } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { nodeOf } from '../../protocol/envelope.js';
import type { TcpNode } from './node.js';
import { startTcpNode } from './node.js';
import type { NodeThreadControl, NodeThreadEnd, NodeThreadFrame, NodeThreadTask } from './thread-port.js';
import { PortPoster, isEventItem } from './thread-port.js';

/** Resolution of the thread's event-loop stall histogram (admin `monitor`). */
export const loopStallResolutionMs = 10;

export default async function runNodeThread(task: NodeThreadTask): Promise<NodeThreadEnd> {
  const stalls = monitorEventLoopDelay({ resolution: loopStallResolutionMs });
  stalls.enable();
  const toFront = new PortPoster(task.data);
  const wanted = task.eventTypes === null ? null : new Set(task.eventTypes);
  let node: TcpNode;
  try {
    node = await startTcpNode({
      ...task.config,
      onEvent: (n, time, ev) => {
        if (wanted === null || wanted.has(ev.type)) toFront.event(n, time, ev);
      },
      otherHost: { address: task.frontAddress, deliver: (env) => toFront.env(env) },
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    stalls.disable();
    task.data.close();
    task.control.close();
    return { failed: e instanceof Error ? e.message : String(e), code: typeof code === 'string' ? code : null };
  }
  const n = node;
  task.data.on('message', (f: NodeThreadFrame) => {
    if (f.t !== 'items') return;
    for (const env of f.b) {
      if (isEventItem(env)) continue; // the main thread sends none
      if (nodeOf(env.to) === n.host.node) n.host.deliver(env);
      else n.transport.send(env);
    }
  });
  let finish!: (why: NodeThreadEnd) => void;
  const done = new Promise<NodeThreadEnd>((r) => (finish = r));
  const control: NodeThreadControl = {
    stats: () => ({ connectedPeers: n.transport.connectedPeers(), loopStallMaxNs: stalls.max, loopStallP99Ns: stalls.percentile(99) }),
    async close() {
      await n.close();
      toFront.flush();
      stalls.disable();
      // the control port stays open for this reply: the main thread closes it
      setImmediate(() => {
        task.data.close();
        finish('closed');
      });
    },
  };
  expose(control, nodeEndpoint(task.control));
  task.data.postMessage({ t: 'ready', port: n.transport.port } satisfies NodeThreadFrame);
  return done;
}
