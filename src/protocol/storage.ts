/**
 * Messages of the storage actor (`<node>/storage`, actors/storage.ts). The command/reply names follow the
 * broadcast (ZAB) machine's storage interface: ZAB emits the commands in order and the shell forwards them FIFO;
 * storage answers the sender. Log entries carry a prepared `Txn` (src/protocol/txn.ts; entry.zxid = txn.zxid).
 *
 * Order guarantees: commands are executed in arrival order. All AppendLog commands that arrive in one turn (one
 * mailbox drain) are group-committed: appended, ONE fsync, then one `Logged{gen, zxid}` with the highest durable
 * zxid (cumulative ack). CommitTo applies logged entries ≤ zxid exactly once, in zxid order, and publishes them as
 * `Applied` to the subscriber of its state machine (the tree's: the ZooKeeper front end; the keyspace's: the RESP
 * front end, which answers the txns whose origin is its own): that is when a write is answered and watches fire.
 */
import type { Argv } from './resp.js';
import type { RedisAnswer } from './keyspace.js';

export type KeyspaceReadItem =
  | { readonly type: 'read'; readonly db: number; readonly argv: Argv; readonly draw: number }
  | { readonly type: 'watch'; readonly keys: readonly { readonly db: number; readonly key: Uint8Array }[] };
import type { Applied, ReadRequest, ReadResult, SessionId, Txn, WriteRequest, Zxid } from './txn.js';
import type { Id } from './txn.js';

export interface DurableEpochs {
  readonly acceptedEpoch: number;
  /** The leader whose NEWEPOCH we accepted for acceptedEpoch (-1 if none). */
  readonly acceptedLeader: number;
  readonly currentEpoch: number;
}

export interface LogEntry {
  readonly zxid: Zxid;
  readonly txn: Txn;
}

/** A snapshot for SNAP sync: `data` is the snapshot file (binary, CRC trailer), everything committed ≤ zxid. */
export interface SnapshotData {
  readonly zxid: Zxid;
  readonly data: Uint8Array;
}

/** One client write for the leader to prepare into a txn (zxid assigned by ZAB, in order). */
export interface PrepareItem {
  readonly zxid: Zxid;
  readonly timeMs: number;
  readonly sessionId: number;
  readonly cxid: number;
  readonly request: WriteRequest;
  readonly auth?: { readonly ids: readonly Id[]; readonly superUser?: boolean };
}

export type StorageMsg =
  // --- from broadcast (ZAB) ---
  | ({ readonly type: 'PersistEpochs'; readonly token: number } & DurableEpochs)
  | { readonly type: 'AppendLog'; readonly gen: number; readonly entries: readonly LogEntry[] }
  | { readonly type: 'TruncateLog'; readonly gen: number; readonly toZxid: Zxid }
  | { readonly type: 'InstallSnapshot'; readonly gen: number; readonly snapshot: SnapshotData }
  | { readonly type: 'CommitTo'; readonly zxid: Zxid }
  | { readonly type: 'TakeSnapshot'; readonly token: number }
  /** Leader: prepare requests into txns (ask; answer `Prepared`). Leadership lost ⇒ `ResetPrepare`. */
  | { readonly type: 'Prepare'; readonly items: readonly PrepareItem[] }
  | { readonly type: 'ResetPrepare' }
  /** DIFF sync: entries after fromZxid (ask; answer `LogRead`, entries null ⇒ send SNAP). */
  | { readonly type: 'ReadLog'; readonly fromZxid: Zxid }
  /** Ask for what recovery found (answer `Boot`). */
  | { readonly type: 'GetBoot' }
  /** The broadcast actor's start-up request (ZAB's name): answered with `StorageRecovered{boot}`. */
  | { readonly type: 'StorageRecover'; readonly logTailMax: number }
  // --- from front ends ---
  | { readonly type: 'Read'; readonly request: ReadRequest; readonly auth?: { readonly ids: readonly Id[]; readonly superUser?: boolean } }
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
  | { readonly type: 'EpochsPersisted'; readonly token: number }
  | { readonly type: 'Logged'; readonly gen: number; readonly zxid: Zxid }
  /** `entries`: logged after the snapshot's zxid (not yet applied), in order (see protocol/broadcast.ts). */
  | { readonly type: 'SnapshotTaken'; readonly token: number; readonly snapshot: SnapshotData; readonly entries?: readonly LogEntry[] }
  | { readonly type: 'Prepared'; readonly txns: readonly Txn[] }
  | { readonly type: 'LogRead'; readonly fromZxid: Zxid; readonly entries: readonly LogEntry[] | null }
  | { readonly type: 'Boot'; readonly boot: BootInfo }
  | { readonly type: 'StorageRecovered'; readonly boot: BootInfo }
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
  /** Published to the machine's subscriber after each CommitTo that applied something of it. */
  | { readonly type: 'Applied'; readonly applied: readonly Applied[] };

/** The state machines behind the log (storage's apply dispatches on the txn's kind). */
export type StateMachineName = 'tree' | 'keyspace';

/** What storage recovered, for the broadcast machine at start. */
export interface BootInfo {
  readonly epochs: DurableEpochs;
  /** Last durable log zxid (or the snapshot's zxid if the log is empty). */
  readonly lastZxid: Zxid;
  /** The apply point the state machine recovered to. */
  readonly committedZxid: Zxid;
  /** The last up to logWindowMax log entries, ascending, ending at lastZxid. */
  readonly logTail: readonly LogEntry[];
  /** The zxid just before logTail[0] (lastZxid if the tail is empty). */
  readonly logTailBase: Zxid;
}
