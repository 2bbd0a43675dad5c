/**
 * The Redis keyspace's replicated vocabulary (src/core/keyspace): the txn ZAB logs for a Redis write and what
 * applying it produces. A txn carries the client's request (argv), normalised by the leader so that apply is
 * deterministic (relative TTLs already absolute deadlines), and the leader's clock `timeMs`: every replica treats a
 * key past its deadline at `timeMs` as absent. See ../../docs/keyspace.md.
 */
import type { Argv, Reply } from './resp.js';

/**
 * The largest keyspace write a client may submit: the bytes of all its arguments (of every command of a MULTI
 * block). It is logged as one WAL record (`recordBytesMax`, src/storage/wal.ts, leaves room for the encoding) and
 * sent to followers in one peer message; a larger write is refused before it is proposed.
 */
export const keyspaceWriteBytesMax = 32 * 1024 * 1024;

/** A key the client WATCHed, in the db it had selected then, with the revision it read (Keyspace.revision). */
export interface WatchedKey {
  readonly db: number;
  readonly key: Uint8Array;
  readonly revision: number;
}

export type KeyspaceTxn =
  /**
   * One command, or (`exec`) the queued block of a MULTI … EXEC: the reply is then the EXEC array, or NullArray when
   * a watched key changed. `db` is the connection's selected db when the txn was made.
   */
  | {
      readonly type: 'RedisCommands';
      readonly db: number;
      readonly timeMs: number;
      readonly commands: readonly Argv[];
      readonly exec: boolean;
      readonly watched: readonly WatchedKey[];
    }
  /**
   * Many clients' writes in one log entry (one ZAB proposal, one fsync): each item is applied as a `RedisCommands`
   * txn at `timeMs`, in order, and has its own reply (`KeyspaceApplied.items`, in the same order). `items` are the
   * `RedisBatchItem`s as one byte string (src/core/tree/codec.ts `encodeBatchItems`): it crosses threads and peers
   * and goes into the log as it is, never as one object per argument.
   */
  | { readonly type: 'RedisBatch'; readonly timeMs: number; readonly items: Uint8Array }
  /** The leader's active expiry: deletes those keys still past their deadline at `timeMs`. */
  | { readonly type: 'RedisExpire'; readonly timeMs: number; readonly keys: readonly { readonly db: number; readonly key: Uint8Array }[] };

/** One client's write inside a `RedisBatch`: a `RedisCommands` txn without its time. */
export interface RedisBatchItem {
  readonly db: number;
  readonly commands: readonly Argv[];
  readonly exec: boolean;
  readonly watched: readonly WatchedKey[];
}

/**
 * A keyspace notification as `notify-keyspace-events` classes it: `cls` is the class letter ('g' generic,
 * '$' string, 'x' expired, 'n' new key, ...); the front end filters by the node's setting and publishes
 * `__keyspace@<db>__:<key>` → event and/or `__keyevent@<db>__:<event>` → key.
 */
export interface KeyspaceNotification {
  readonly db: number;
  readonly cls: string;
  readonly event: string;
  readonly key: Uint8Array;
}

/**
 * A PUBLISH / SPUBLISH applied (a keyspace command that changes no key): every node delivers it to its own
 * subscribers at apply, in log order. `item` is the index of the `RedisBatch` item that published it (0 in other
 * txns), `command` its index in that item's commands (its place in an EXEC reply).
 */
export interface KeyspacePublished {
  readonly published: 'publish' | 'spublish';
  readonly channel: Uint8Array;
  readonly message: Uint8Array;
  readonly item: number;
  readonly command: number;
}

/** FLUSHALL / FLUSHDB applied (client-side caching: every tracking client is told to drop everything). */
export interface KeyspaceFlushed {
  readonly flushed: true;
}

/** What applying a txn emitted, in order: keyspace notifications, published messages, flushes. */
export type KeyspaceEvent = KeyspaceNotification | KeyspacePublished | KeyspaceFlushed;

export interface KeyspaceApplied {
  /** The command's reply; for an EXEC txn the EXEC reply (Array, or NullArray when aborted by WATCH). */
  readonly reply: Reply;
  readonly events: readonly KeyspaceEvent[];
  /** The db selected after the txn (SELECT inside MULTI changes it for the connection). */
  readonly db: number;
  /** A `RedisBatch`'s per-item replies and dbs, in order (`reply` is then the item count). */
  readonly items?: readonly { readonly reply: Reply; readonly db: number }[];
}

/**
 * Messages of a node's `redis` actor (actors/redis.ts), asked by the RESP front end (src/servers/redis/keyspace.ts).
 * Every ask is answered with `RedisAnswer`.
 */
export type RedisRequestMsg =
  /**
   * Writes gathered by the front end over one event-loop turn, in arrival order, already encoded as a `RedisBatch`'s
   * items (`encodeBatchItems`: they join the actor's batch as bytes); answered with `RedisAnswers`, one per item.
   */
  | { readonly type: 'RedisWrites'; readonly items: Uint8Array }
  /**
   * Reads (and writes) gathered by the front end over one event-loop turn, in arrival order, handled as if sent one by one;
   * answered with `RedisAnswers` (one answer per item, in order) once every item is answered.
   */
  | { readonly type: 'RedisRequests'; readonly items: readonly RedisRequest[] }
  /** INFO and WAIT: answered `RedisStatusReply`. */
  | { readonly type: 'RedisStatus' }
  | RedisRequest;

export type RedisRequest =
  /** A write (one command, or an EXEC block) already normalised: logged through ZAB, answered when applied. */
  | { readonly type: 'RedisWrite'; readonly db: number; readonly commands: readonly Argv[]; readonly exec: boolean; readonly watched: readonly WatchedKey[] }
  /** A read; `local`: from this node's state at once (READONLY), else linearizable (after a sync marker). */
  | { readonly type: 'RedisRead'; readonly db: number; readonly argv: Argv; readonly local: boolean }
  /** WATCH: the keys' revisions, read as a `RedisRead` is (the answer's `revisions`). */
  | { readonly type: 'RedisWatch'; readonly db: number; readonly keys: readonly Uint8Array[]; readonly local: boolean };

/** `RedisStatus`'s answer: the ensemble as this node's redis actor knows it, and keys expired by applied txns. */
export interface RedisStatusReply {
  readonly type: 'RedisStatusReply';
  readonly members: readonly string[];
  readonly voters: readonly string[];
  readonly expiredKeys: number;
  /** The highest zxid of a keyspace txn applied here. */
  readonly appliedZxid: number;
}

export type RedisAnswer =
  | { readonly type: 'RedisAnswer'; readonly reply: Reply }
  | { readonly type: 'RedisRevisions'; readonly revisions: readonly number[] };

export interface RedisAnswers {
  readonly type: 'RedisAnswers';
  readonly answers: readonly RedisAnswer[];
}

/** What a pub/sub subscription names: a channel (SUBSCRIBE), a pattern (PSUBSCRIBE), a shard channel (SSUBSCRIBE). */
export type SubscriptionKind = 'channel' | 'pattern' | 'shard';

/** One message for some of a node's connections (client ids of its RESP front end). */
export interface RedisDelivery {
  readonly clients: readonly number[];
  readonly kind: 'message' | 'pmessage' | 'smessage';
  /** The matching pattern (pmessage). */
  readonly pattern?: Uint8Array;
  readonly channel: Uint8Array;
  readonly message: Uint8Array;
}

/**
 * Pub/sub messages of a node's `redis` actor (actors/redis-pubsub.ts). The RESP front end registers its connections'
 * subscriptions (answered `RedisAnswer` once messages applied from then on reach them) and keeps one `RedisPoll`
 * long poll for the deliveries; nodes tell a PUBLISH's origin how many receivers they had.
 */
export type RedisPubsubMsg =
  | { readonly type: 'RedisSubscribe'; readonly client: number; readonly kind: SubscriptionKind; readonly channels: readonly Uint8Array[]; readonly subscribe: boolean }
  /** A connection closed or was reset: drop its subscriptions (a tell). */
  | { readonly type: 'RedisClientGone'; readonly client: number }
  /**
   * Answered `RedisDeliveries` as soon as there are some, or empty after a hold time. `fresh`: the front end's first
   * poll (forget every subscription of an earlier front end); `notify`: its notify-keyspace-events classes.
   */
  | { readonly type: 'RedisPoll'; readonly fresh: boolean; readonly notify: string }
  /** CONFIG SET notify-keyspace-events (a tell). */
  | { readonly type: 'RedisNotifyConfig'; readonly notify: string }
  /**
   * The front end's blocked clients wait on these keys (`watch`) or no longer (a tell): every txn applied from the
   * answer on that makes one of them ready (`blockingReadyEvents`) is in a poll's `ready`.
   */
  | { readonly type: 'RedisReadyWatch'; readonly keys: readonly ReadyKey[]; readonly watch: boolean }
  /**
   * The front end has client-side caching clients (`collect`) or no longer: every txn applied from the answer on
   * puts the keys it changed in a poll's `modified` (src/servers/redis/tracking.ts).
   */
  | { readonly type: 'RedisTrackingCollect'; readonly collect: boolean }
  /** A node's receivers of each message of the origin's txn `reqId`, in order (node → the PUBLISH's origin). */
  | { readonly type: 'RedisPublishCounted'; readonly from: number; readonly reqId: number; readonly counts: readonly number[] };

export interface RedisDeliveries {
  readonly type: 'RedisDeliveries';
  /** The actor's incarnation: a change means its subscriptions were lost (the front end drops its subscribers). */
  readonly incarnation: number;
  /** Deliveries were dropped (the queue bound was passed): the front end drops its subscribers. */
  readonly lost: boolean;
  readonly items: readonly RedisDelivery[];
  /** Watched keys made ready by the txns applied since the last poll (blocked clients to serve). */
  readonly ready: readonly ReadyKey[];
  /** Keys changed by the txns applied since the last poll, in order, while tracking is collected; null: a flush. */
  readonly modified: readonly (ReadyKey | null)[];
}

/** A key in a db (blocking commands' keys). */
export interface ReadyKey {
  readonly db: number;
  readonly key: Uint8Array;
}

/** The events that make a watched key ready: it was created, or data was added to it. */
export const blockingReadyEvents: ReadonlySet<string> = new Set(['new', 'lpush', 'rpush', 'zadd', 'zincr', 'xadd']);
/**
 * SWAPDB's event, once per swapped db (key empty): every watched key of that db may be ready. Not a keyspace
 * notification (Redis 7.0 publishes none for SWAPDB): never delivered to subscribers.
 */
export const swapdbReadyEvent = 'swapdb';
