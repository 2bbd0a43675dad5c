/**
 * Messages of the storage actor (`<node>/storage`, actors/storage.ts). The command/reply names follow the
 * broadcast (ZAB) machine's storage interface: ZAB emits the commands in order and the shell forwards them FIFO;
 * storage answers the sender. Log entries carry a `Txn` (src/protocol/txn.ts; entry.zxid = txn.zxid); a client's
 * `Request` is validated against the tree when it applies.
 *
 * Order guarantees: commands are executed in arrival order. All AppendLog commands that arrive in one turn (one
 * mailbox drain) are group-committed: appended, ONE fsync, then one `Logged{gen, zxid}` with the highest durable
 * zxid (cumulative ack). CommitTo applies logged entries ≤ zxid exactly once, in zxid order, and publishes them as
 * `Applied` to the subscriber of its state machine (the tree's: the ZooKeeper front end; the keyspace's: the RESP
 * front end); each answers the txns whose origin is its own: that is when a write is answered and watches fire.
 */
import type {
  BootInfo as LogBootInfo,
  DurableEpochs,
  LogEntry as LogEntryOf,
  SnapshotData as SnapshotOf,
  StorageCommand,
  StorageRecover,
  StorageRecovered,
  StorageReply as LogReply,
} from './broadcast.js';
import type { Argv, Reply } from './resp.js';
import type { Applied, Id, ReadRequest, ReadResult, SessionId, Txn, Zxid } from './txn.js';
import type { RedisAnswer } from './keyspace.js';

export type KeyspaceReadItem =
  | { readonly type: 'read'; readonly db: number; readonly argv: Argv; readonly draw: number }
  | { readonly type: 'watch'; readonly keys: readonly { readonly db: number; readonly key: Uint8Array }[] };

export type { DurableEpochs };
/** The log interface of src/protocol/broadcast.ts, with this storage's payloads: a log entry carries a `Txn`. */
export type LogEntry = LogEntryOf<Txn>;
/** A snapshot for SNAP sync: `data` is the snapshot file (binary, CRC trailer), everything committed ≤ zxid. */
export type SnapshotData = SnapshotOf<Uint8Array>;
/** What storage recovered, for the broadcast machine at start. */
export type BootInfo = LogBootInfo<Txn>;

export type StorageMsg =
  // --- from broadcast (ZAB): StorageCommand (src/protocol/broadcast.ts) ---
  | StorageCommand<Txn, Uint8Array>
  /** DIFF sync: entries after fromZxid (ask; answer `LogRead`, entries null ⇒ send SNAP). */
  | { readonly type: 'ReadLog'; readonly fromZxid: Zxid }
  /** Ask for what recovery found (answer `Boot`). */
  | { readonly type: 'GetBoot' }
  /** The broadcast actor's start-up request: answered with `StorageRecovered{boot}`. */
  | StorageRecover
  // --- from front ends ---
  | { readonly type: 'Read'; readonly request: ReadRequest; readonly auth?: { readonly ids: readonly Id[]; readonly superUser?: boolean; readonly saslScheme?: boolean } }
  /** Where `Applied` batches of one state machine go (one subscriber each; default the tree). */
  | { readonly type: 'Subscribe'; readonly to: string; readonly machine?: StateMachineName }
  /**
   * Keyspace reads (a read command with its random draw, or WATCH: the keys' revisions) on the local state at `nowMs`,
   * once the apply point has reached `atLeastZxid` (linearizable reads: the zxid of their sync marker; 0: at once).
   * Answer `KeyspaceReadsDone`, one answer per item, in order.
   */
  | { readonly type: 'KeyspaceReads'; readonly items: readonly KeyspaceReadItem[]; readonly nowMs: number; readonly atLeastZxid: Zxid }
  /** The leader's active expiry: keys past their deadline at `nowMs`, at most `max` (answer `KeyspaceExpired`). */
  | { readonly type: 'KeyspaceListExpired'; readonly nowMs: number; readonly max: number }
  /** The replicated session table (id → timeout ms), for a new leader's expiry tracker (answer `SessionTable`). */
  | { readonly type: 'ListSessions' }
  /** The session table with each session's ephemeral paths (4lw `dump`): answer `EphemeralsList`. */
  | { readonly type: 'ListEphemerals'; readonly pathsMax: number }
  /** The leader's reaper: empty containers and expired TTL nodes as of `nowMs`, at most `max` (answer `ReapableList`). */
  | { readonly type: 'ListReapable'; readonly nowMs: number; readonly max: number }
  // --- self ---
  /** Start an incremental snapshot (if none is running). */
  | { readonly type: 'SnapshotTick' }
  /** Write the next slice of the running snapshot (between other messages: applies continue meanwhile). */
  | { readonly type: 'SnapshotStep' };

export type StorageReply =
  | LogReply<Txn, Uint8Array>
  | { readonly type: 'LogRead'; readonly fromZxid: Zxid; readonly entries: readonly LogEntry[] | null }
  | { readonly type: 'Boot'; readonly boot: BootInfo }
  | StorageRecovered<Txn>
  | { readonly type: 'ReadDone'; readonly zxid: Zxid; readonly result: ReadResult }
  | { readonly type: 'ReapableList'; readonly paths: readonly string[] }
  | { readonly type: 'KeyspaceReadsDone'; readonly zxid: Zxid; readonly answers: readonly RedisAnswer[] }
  /** Too many keyspace reads wait for the apply point. */
  | { readonly type: 'KeyspaceBusy' }
  | { readonly type: 'KeyspaceExpired'; readonly keys: readonly { readonly db: number; readonly key: Uint8Array }[] }
  | { readonly type: 'SessionTable'; readonly sessions: readonly (readonly [SessionId, number])[] }
  /** `ephemerals`: sessions owning ephemerals, paths sorted; `truncated` when more than pathsMax paths exist. */
  | {
      readonly type: 'EphemeralsList';
      readonly sessions: readonly (readonly [SessionId, number])[];
      readonly ephemerals: readonly (readonly [SessionId, readonly string[]])[];
      readonly truncated: boolean;
    }
  /**
   * Published to the machine's subscriber after each CommitTo that applied something of it (the tree's subscriber
   * after every CommitTo that applied anything: a sync waits for the apply point, whichever machine's txn is there).
   * `upTo`: the apply point after the batch, other machines' txns included.
   */
  | { readonly type: 'Applied'; readonly applied: readonly Applied[]; readonly upTo?: Zxid };

/** The state machines behind the log (storage's apply dispatches on the txn's kind). */
export type StateMachineName = 'tree' | 'keyspace';
