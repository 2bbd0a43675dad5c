/**
 * A node on a worker thread of its own (see thread-port.ts): the main thread keeps a host of the same node
 * (`<node>/$askfront` for its asks) whose envelopes go to the node's thread, and gets the node's events.
 */
import { wrap } from 'comlink';
import type { Remote } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { realClock } from '../../kernel/clock.js';
import { Host } from '../../kernel/host.js';
import type { EventPayload } from '../../protocol/events.js';
import { withTimeout } from '../driver.js';
import type { TcpNodeConfig } from './node.js';
import type { NodeThreadControl, NodeThreadEnd, NodeThreadFrame, NodeThreadStats, NodeThreadTask } from './thread-port.js';
import { PortPoster, isEventItem } from './thread-port.js';

/** How long a stats question to the node's thread may take. */
export const threadStatsTimeoutMs = 2_000;
/** How long the node's thread may take to stop cleanly before it is terminated. */
export const threadCloseTimeoutMs = 10_000;
/** Host id of the main thread's host (its asks come from `<node>/$ask<frontHostId>`). */
const frontHostId = 'front';

export interface TcpNodeThread {
  /** The main thread's host of the node: asks and sends to the node's actors (and its peers'). */
  readonly host: Host;
  /** Where the node's peers reach it. */
  readonly port: number;
  /** The thread's figures, or null when it does not answer within `threadStatsTimeoutMs`. */
  stats(): Promise<NodeThreadStats | null>;
  /** Settles when the node's thread has ended, with why (a crash of the thread included). */
  readonly ended: Promise<string>;
  close(): Promise<void>;
}

/** Thrown when the node did not start on its thread (`code` as the errno code of the cause, e.g. EADDRINUSE). */
export class NodeStartError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

export type TcpNodeThreadConfig = Omit<TcpNodeConfig, 'onEvent' | 'onEscalate' | 'otherHost'> & {
  readonly onEvent: (node: string, time: number, ev: EventPayload) => void;
  /** The event types `onEvent` gets from the node's thread (default all: each costs a thread crossing). */
  readonly eventTypes?: readonly string[];
};

export async function startTcpNodeThread(config: TcpNodeThreadConfig): Promise<TcpNodeThread> {
  const { onEvent, eventTypes, ...nodeConfig } = config;
  const pool = new Piscina({
    filename: new URL('./thread-worker.js', import.meta.url).href,
    minThreads: 1,
    maxThreads: 1,
    idleTimeout: Number.POSITIVE_INFINITY,
    concurrentTasksPerWorker: 1,
    atomics: 'disabled',
  });
  const data = new MessageChannel();
  const control = new MessageChannel();
  const toNode = new PortPoster(data.port1);
  const host: Host = new Host({
    node: config.node,
    hostId: frontHostId,
    clock: realClock(),
    seed: config.seed ?? 1,
    kinds: {},
    outbound: (env) => toNode.env(env),
    emit: onEvent,
  });
  let started!: (port: number) => void;
  let failed!: (e: Error) => void;
  const ready = new Promise<number>((res, rej) => {
    started = res;
    failed = rej;
  });
  data.port1.on('message', (f: NodeThreadFrame) => {
    switch (f.t) {
      case 'items':
        for (const item of f.b) {
          if (isEventItem(item)) onEvent(item[0], item[1], item[2]);
          else host.deliver(item);
        }
        return;
      case 'ready':
        return started(f.port);
    }
  });
  const task: NodeThreadTask = { config: nodeConfig, eventTypes: eventTypes ?? null, frontAddress: host.askAddress, data: data.port2, control: control.port2 };
  const end = pool.run(task, { transferList: [data.port2, control.port2] as never }) as Promise<NodeThreadEnd>;
  const ended = end.then(
    (why) => (why === 'closed' ? why : `the node failed: ${why.failed}`),
    (e: unknown) => `the node's thread failed: ${e instanceof Error ? e.message : String(e)}`,
  );
  void end.then(
    (why) => failed(why === 'closed' ? new Error(`the node's thread ended before it started`) : new NodeStartError(why.failed, why.code ?? undefined)),
    (e: unknown) => failed(new Error(`the node's thread failed before it started: ${e instanceof Error ? e.message : String(e)}`)),
  );
  const shut = async (): Promise<void> => {
    data.port1.close();
    control.port1.close();
    host.stopAll('closed');
    await pool.destroy();
  };
  let port: number;
  try {
    port = await ready;
  } catch (e) {
    await shut();
    throw e;
  }
  const remote: Remote<NodeThreadControl> = wrap<NodeThreadControl>(nodeEndpoint(control.port1));
  let closing: Promise<void> | null = null;
  return {
    host,
    port,
    ended,
    stats: () => withTimeout(remote.stats() as Promise<NodeThreadStats>, threadStatsTimeoutMs, 'stats of the node thread').catch(() => null),
    close() {
      closing ??= (async () => {
        toNode.flush();
        await withTimeout(remote.close(), threadCloseTimeoutMs, 'closing the node thread').catch(() => undefined);
        await shut();
      })();
      return closing;
    },
  };
}
