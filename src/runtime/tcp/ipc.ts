import type { Inspected } from '../../kernel/actor.js';
/** The control channel between the tcp runtime's controller and its node processes (Node IPC, advanced serialization). */
import type { Address, Envelope, Message } from '../../protocol/envelope.js';
import type { EventPayload } from '../../protocol/events.js';
import type { Fault } from '../../protocol/faults.js';

/** Controller to node. */
export type ToNode =
  | { readonly t: 'send'; readonly env: Envelope }
  | { readonly t: 'ask'; readonly id: number; readonly to: Address; readonly msg: Message; readonly timeoutMs: number }
  | { readonly t: 'fault'; readonly id: number; readonly fault: Fault }
  | { readonly t: 'status'; readonly id: number };

export interface NodeStatus {
  readonly connectedPeers: readonly string[];
  readonly actors: readonly string[];
  readonly rejectedConnections: number;
  readonly framesReceived: number;
  readonly framesSent: number;
  /** Socket writes (each carries one batch of frames). */
  readonly writes: number;
  readonly dropped: number;
  /** Events dropped because the forwarding buffer was full. */
  readonly eventsLost: number;
  /** Each actor's mailbox depth, restarts and inspected state (Runtime.inspect). */
  readonly inspect: Readonly<Record<string, { readonly mailbox: number; readonly restarts: number; readonly state: Inspected | null }>>;
}

/** Node to controller. */
export type FromNode =
  | { readonly t: 'ready'; readonly port: number }
  | { readonly t: 'reply'; readonly id: number; readonly msg: Message }
  | { readonly t: 'replyError'; readonly id: number; readonly name: string; readonly message: string }
  | { readonly t: 'ack'; readonly id: number; readonly status?: NodeStatus }
  /** Events in the order the node emitted them: [time, payload]. */
  | { readonly t: 'events'; readonly list: readonly (readonly [number, EventPayload])[] }
  | { readonly t: 'fatal'; readonly message: string };

/** Events forwarded in one IPC message at most. */
export const eventBatchMax = 512;
