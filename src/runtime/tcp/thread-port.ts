/**
 * The ports between a `conclave node`'s two threads: its front ends (client ports, admin) on the main thread, and
 * its node (actors and peer transport) on a worker thread of its own, so that client work never shares the event
 * loop that keeps consensus alive. Envelopes and events cross as structured-clone batches, one post per kind per
 * turn; the admin plane (stats, close) is comlink on a separate port, always behind a timeout.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Address, Envelope } from '../../protocol/envelope.js';
import type { EventPayload } from '../../protocol/events.js';
import { outboxMax, postBatchMax } from '../threads/wire.js';
import type { TcpNodeConfig } from './node.js';

/** What the main thread hands to the long-lived task that runs the node on its worker thread. */
export interface NodeThreadTask {
  /** The node's config without its callbacks (they stay on the main thread). */
  readonly config: Omit<TcpNodeConfig, 'onEvent' | 'onEscalate' | 'otherHost'>;
  /** The event types the main thread gets (null: all); the others are not sent across. */
  readonly eventTypes: readonly string[] | null;
  /** The ask address of the main thread's host: envelopes to it go back over `data`. */
  readonly frontAddress: Address;
  readonly data: MessagePort;
  /** comlink: `NodeThreadControl`. */
  readonly control: MessagePort;
}

/** An event as [node, time, payload]. */
export type EventItem = readonly [string, number, EventPayload];

export const isEventItem = (x: Envelope | EventItem): x is EventItem => Array.isArray(x);

export type NodeThreadFrame =
  /** Envelopes and events (the arrays) in the order they happened. */
  | { readonly t: 'items'; readonly b: readonly (Envelope | EventItem)[] }
  /** The node is up: its peers reach it on `port`. */
  | { readonly t: 'ready'; readonly port: number };

/**
 * What the thread's task resolves with: 'closed' after `close`, or why the node did not start (`code`: the errno
 * code, e.g. EADDRINUSE). The failure is the task's result, not a frame: results and the data port keep no order
 * between them, so the main thread could see the task end before a frame saying why.
 */
export type NodeThreadEnd = 'closed' | { readonly failed: string; readonly code: string | null };

export interface NodeThreadStats {
  readonly connectedPeers: readonly string[];
  /** Delays of the worker thread's event loop since the node started (ns). */
  readonly loopStallMaxNs: number;
  readonly loopStallP99Ns: number;
}

/** The admin surface of the node's thread. */
export interface NodeThreadControl {
  stats(): NodeThreadStats;
  /** Stop the actors (the storage actor fsyncs), close the peers; the task then ends. */
  close(): Promise<void>;
}

/**
 * Batches envelopes and events for one port, in their order: posted at the end of the turn, in posts of at most
 * `postBatchMax`. Beyond `outboxMax` waiting, more are dropped (and counted).
 */
export class PortPoster {
  private items: (Envelope | EventItem)[] = [];
  private scheduled = false;
  dropped = 0;

  constructor(private readonly port: MessagePort) {}

  env(env: Envelope): void {
    this.push(env);
  }

  event(node: string, time: number, ev: EventPayload): void {
    this.push([node, time, ev]);
  }

  flush(): void {
    this.scheduled = false;
    for (let i = 0; i < this.items.length; i += postBatchMax) this.port.postMessage({ t: 'items', b: this.items.slice(i, i + postBatchMax) } satisfies NodeThreadFrame);
    this.items = [];
  }

  private push(item: Envelope | EventItem): void {
    if (this.items.length >= outboxMax) {
      this.dropped++;
      return;
    }
    this.items.push(item);
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.flush());
  }
}
