import type { Address, AnyMessage, Message } from '../protocol/envelope.js';
import type { EventPayload } from '../protocol/events.js';
import type { NodeIo } from './io.js';

/** A token to answer an ask later (after the turn that received it). */
export interface ReplyToken {
  readonly to: Address;
  readonly askId: number;
}

/** What an actor can do. Everything here is an effect the driver executes; nothing blocks. */
export interface Ctx<M extends Message = Message> {
  readonly self: Address;
  readonly node: string;
  /** The sender of the message being handled (null outside a turn or from outside the actor system). */
  readonly sender: Address | null;
  send(to: Address, msg: AnyMessage): void;
  /** Answer the ask being handled now; a no-op (counted as a dead letter) if it was a plain send. */
  reply(msg: AnyMessage): void;
  /** A token to answer the current ask later, or null if the current message is not an ask. */
  replyToken(): ReplyToken | null;
  respond(token: ReplyToken, msg: AnyMessage): void;
  /** Ask and await one reply; rejects with AskTimeoutError after `timeoutMs`. */
  ask<R extends Message = Message>(to: Address, msg: AnyMessage, timeoutMs: number): Promise<R>;
  /** A timer as a message to self; a second schedule with the same key replaces the first. */
  schedule(key: string, delayMs: number, msg: M): void;
  cancel(key: string): void;
  emit(event: EventPayload): void;
  now(): number;
  /** Seeded, per actor and incarnation: the same seed replays the same draws. */
  random(): number;
  /** Stop this actor after the current turn. */
  stop(): void;
  readonly io: NodeIo;
}

export type Directive = 'Restart' | 'Stop' | 'Escalate';

export interface SupervisionPolicy {
  /** Which directive for this error (default: Restart). */
  readonly decide: (error: unknown) => Directive;
  /** More than this many restarts within `restartWindowMs` turns the next Restart into `onLimit`. */
  readonly restartsMax: number;
  readonly restartWindowMs: number;
  readonly onLimit: 'Stop' | 'Escalate';
  /** Back-off before the n-th restart in the window: min(max, initial * 2^(n-1)). */
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
}

export const defaultSupervision: SupervisionPolicy = {
  decide: () => 'Restart',
  restartsMax: 5,
  restartWindowMs: 10_000,
  onLimit: 'Escalate',
  backoffInitialMs: 10,
  backoffMaxMs: 1_000,
};

/**
 * An actor kind: how to build its state and how to handle one message. `receive` returns the next state.
 * A throw from `init` or `receive` is a crash, handled by supervision.
 */
export interface ActorDef<S = unknown, M extends Message = Message, A = unknown> {
  readonly init: (ctx: Ctx<M>, args: A) => S;
  readonly receive: (state: S, msg: M, ctx: Ctx<M>) => S;
  /** Called when the actor stops for good (not on a crash). */
  readonly stopped?: (state: S, ctx: Ctx<M>) => void;
  /**
   * Called after a run of messages (its mailbox emptied, or a drain batch ended) with no message being handled:
   * where an actor sends what it gathered over the run, e.g. merged batches. A throw is a crash, as in `receive`.
   */
  readonly drained?: (state: S, ctx: Ctx<M>) => S;
  readonly supervision?: Partial<SupervisionPolicy>;
  /** Bound of the user mailbox; overflow goes to dead letters. */
  readonly mailboxCapacity?: number;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyActorDef = ActorDef<any, any, any>;

/** A module loaded by workers and processes exports its actor kinds under this name. */
export type ActorKinds = Readonly<Record<string, AnyActorDef>>;

/** What to start on a node. */
export interface ActorSpec {
  readonly name: string;
  readonly kind: string;
  readonly args?: unknown;
}

export class AskTimeoutError extends Error {
  constructor(
    readonly to: Address,
    readonly msgType: string,
    readonly timeoutMs: number,
  ) {
    super(`ask ${msgType} to ${to} timed out after ${timeoutMs} ms`);
    this.name = 'AskTimeoutError';
  }
}

export class ActorGoneError extends Error {
  constructor(readonly to: Address, reason: string) {
    super(`${to}: ${reason}`);
    this.name = 'ActorGoneError';
  }
}

export function defineActor<S, M extends Message, A = void>(def: ActorDef<S, M, A>): ActorDef<S, M, A> {
  return def;
}
