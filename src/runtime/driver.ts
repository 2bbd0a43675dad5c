import type { Observable } from 'rxjs';
import type { ActorSpec, Inspected } from '../kernel/actor.js';
import type { Address, AnyMessage, Message } from '../protocol/envelope.js';
import type { ClusterEvent } from '../protocol/events.js';
import type { FaultApi } from '../protocol/faults.js';

/** What runs on one node. */
export interface NodeSpec {
  readonly node: string;
  readonly actors: readonly ActorSpec[];
}

export interface RuntimeOptions {
  readonly nodes: readonly NodeSpec[];
  /**
   * URL (file:) of a compiled module that exports `kinds: ActorKinds`. Workers and node processes load the
   * actor kinds from it by URL, so no driver imports actors by path.
   */
  readonly kindsModule: string;
  /** Seed for every random draw (per actor, derived); the simulator also schedules from it. */
  readonly seed?: number;
  /** Where nodes keep their files (threads, tcp): `<dataDir>/<node>/...`. */
  readonly dataDir?: string;
}

/** One actor as a dashboard sees it (`Runtime.inspect`). */
export interface ActorInspect {
  readonly addr: Address;
  readonly node: string;
  /** The node's incarnation (bumped by each restart of the node). */
  readonly incarnation: number;
  readonly mailbox: number;
  /** Supervisor restarts of this actor in this incarnation. */
  readonly restarts: number;
  readonly state: Inspected | null;
  /** Envelopes this actor sent to each node since it started (node → count; its own node included). */
  readonly sentTo: Readonly<Record<string, number>>;
}

/**
 * A running set of nodes, whatever the driver. Everything a test, a benchmark or `createCluster` needs:
 * talk to actors from outside, watch events, inject faults, stop.
 */
export interface Runtime extends FaultApi {
  readonly kind: 'sim' | 'threads' | 'tcp';
  readonly nodes: readonly string[];
  readonly events$: Observable<ClusterEvent>;
  /** The events so far (at most the bus's history bound): what a late subscriber to `events$` missed. */
  recentEvents(): readonly ClusterEvent[];
  /** Fire-and-forget from outside the actor system. */
  send(to: Address, msg: AnyMessage): void;
  /** Request/reply from outside the actor system, always bounded by a timeout. */
  ask<R extends Message = Message>(to: Address, msg: AnyMessage, timeoutMs: number): Promise<R>;
  isUp(node: string): boolean;
  /** Milliseconds on the driver's clock (virtual in the simulator). */
  now(): number;
  /** Wait for `ms` of the driver's time (the simulator advances its virtual clock). */
  sleep(ms: number): Promise<void>;
  /**
   * Every running actor's mailbox depth, inspected state and per-node send counters (the failure lab polls it).
   * Threads: each worker answers for its actor over the admin plane; actor traffic stays off the main thread.
   */
  inspect(): Promise<readonly ActorInspect[]>;
  close(): Promise<void>;
}

/** `p`, or a rejection naming `what` once `ms` have passed (admin calls across threads never wait longer). */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
