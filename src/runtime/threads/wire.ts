import type { MessagePort } from 'node:worker_threads';
import type { Envelope } from '../../protocol/envelope.js';
import type { EventPayload } from '../../protocol/events.js';
import type { Inspected } from '../../kernel/actor.js';
import type { LinkFaults } from '../../protocol/faults.js';
import type { NodeFaults } from '../live-faults.js';

/** What the main thread hands to the long-lived piscina task that hosts one actor. */
export interface ActorTask {
  readonly node: string;
  readonly name: string;
  readonly kind: string;
  readonly args: unknown;
  readonly kindsModule: string;
  readonly seed: number;
  readonly dataDir: string | null;
  readonly faults: LinkFaults;
  /** This node's pause, clock and disk faults. */
  readonly nodeFaults: NodeFaults;
  /** comlink control channel (admin plane only). */
  readonly control: MessagePort;
  /** Envelopes from and to the main thread (outside senders, ask replies) and events to it. */
  readonly gateway: MessagePort;
  /** One port per other actor, keyed by its address. */
  readonly peers: Readonly<Record<string, MessagePort>>;
}

export interface ActorTaskResult {
  readonly reason: string;
}

/** Posted on a data port: always a batch (one post per destination per turn). */
export type PortFrame =
  | { readonly t: 'env'; readonly b: readonly Envelope[] }
  | { readonly t: 'ev'; readonly b: readonly (readonly [string, number, EventPayload])[] }
  /** The actor is spawned and listening. */
  | { readonly t: 'ready' };

/** The admin surface each actor task exposes over comlink. */
export interface ActorControl {
  setFaults(f: LinkFaults): void;
  setNodeFaults(f: NodeFaults): void;
  connect(addr: string, port: MessagePort): void;
  /** Crash: state lost, nothing more runs; the task resolves. */
  crash(reason: string): void;
  /** Graceful stop; the task resolves. */
  stop(reason: string): void;
  stats(): { delivered: number; posted: number; batches: number; deadLetters: number };
  /** Mailbox depth, restarts, inspected state, and envelopes sent per destination node. */
  inspect(): { mailbox: number; restarts: number; state: Inspected | null; sentTo: Record<string, number> };
}

/** Envelopes in one postMessage at most (a turn's batch for one destination is split into posts of this size). */
export const postBatchMax = 256;

/** Envelopes buffered for one destination before a flush; more are dropped. */
export const outboxMax = 100_000;
