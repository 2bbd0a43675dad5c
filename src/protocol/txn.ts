/**
 * The replicated state machine's vocabulary: what a client asks (`WriteRequest`, `ReadRequest`), the deterministic
 * transaction the leader turns a write into (`Txn`, ZooKeeper's PrepRequestProcessor idea), and what comes back
 * (`WriteResult`, `ReadResult`, `Change`).
 *
 * Flow: front end → a `Request` txn → ZAB logs and commits it → every replica, in zxid order, runs `prepare(tree,
 * request, ctx)` (src/core/tree/prepare.ts: validation against the tree at that zxid, sequential names resolved,
 * ephemeral owner and times fixed; a failed request becomes an `Error` txn) and applies the result: identical
 * results everywhere.
 *
 * Numbers: zxids are one JS number `epoch * 2^32 + counter` (see ZAB's zxid.ts); session ids are JS numbers too
 * (< 2^53), chosen by the server that receives the connect (src/core/sessions `SessionIds`: server id in the high
 * bits, as ZooKeeper), so that server can recognise its own CreateSession when it applies. Wire codecs widen them
 * to int64. Data is a Uint8Array (survives structured clone; the tcp codec must carry bytes).
 *
 * Two state machines share the log: the znode tree (every body but `Keyspace`) and the Redis keyspace (`Keyspace`,
 * src/core/keyspace); storage's apply dispatches on the body's type (src/storage/storage.ts).
 */
import type { KeyspaceApplied, KeyspaceTxn } from './keyspace.js';

/** A transaction id: epoch * 2^32 + counter (one JS number). */
export type Zxid = number;
export type SessionId = number;

// ---------------------------------------------------------------------------------------------------------------
// ZooKeeper error codes (spec §6)
// ---------------------------------------------------------------------------------------------------------------
export const Err = {
  OK: 0,
  SYSTEMERROR: -1,
  RUNTIMEINCONSISTENCY: -2,
  DATAINCONSISTENCY: -3,
  CONNECTIONLOSS: -4,
  MARSHALLINGERROR: -5,
  UNIMPLEMENTED: -6,
  OPERATIONTIMEOUT: -7,
  BADARGUMENTS: -8,
  UNKNOWNSESSION: -12,
  NEWCONFIGNOQUORUM: -13,
  RECONFIGINPROGRESS: -14,
  APIERROR: -100,
  NONODE: -101,
  NOAUTH: -102,
  BADVERSION: -103,
  NOCHILDRENFOREPHEMERALS: -108,
  NODEEXISTS: -110,
  NOTEMPTY: -111,
  SESSIONEXPIRED: -112,
  INVALIDCALLBACK: -113,
  INVALIDACL: -114,
  AUTHFAILED: -115,
  SESSIONMOVED: -118,
  NOTREADONLY: -119,
  EPHEMERALONLOCALSESSION: -120,
  NOWATCHER: -121,
  REQUESTTIMEOUT: -122,
  RECONFIGDISABLED: -123,
  SESSIONCLOSEDREQUIRESASLAUTH: -124,
  QUOTAEXCEEDED: -125,
  THROTTLEDOP: -127,
} as const;
export type ErrCode = (typeof Err)[keyof typeof Err];

// ---------------------------------------------------------------------------------------------------------------
// ACL (spec §5, §12)
// ---------------------------------------------------------------------------------------------------------------
export const Perms = { READ: 1, WRITE: 2, CREATE: 4, DELETE: 8, ADMIN: 16, ALL: 31 } as const;
export interface Id {
  readonly scheme: string;
  readonly id: string;
}
export interface Acl {
  readonly perms: number;
  readonly id: Id;
}
export const OPEN_ACL_UNSAFE: readonly Acl[] = Object.freeze([{ perms: 31, id: { scheme: 'world', id: 'anyone' } }]);
export const READ_ACL_UNSAFE: readonly Acl[] = Object.freeze([{ perms: 1, id: { scheme: 'world', id: 'anyone' } }]);

/** CreateMode flags as on the wire (spec §5). */
export const CreateMode = {
  PERSISTENT: 0,
  EPHEMERAL: 1,
  PERSISTENT_SEQUENTIAL: 2,
  EPHEMERAL_SEQUENTIAL: 3,
  CONTAINER: 4,
  PERSISTENT_WITH_TTL: 5,
  PERSISTENT_SEQUENTIAL_WITH_TTL: 6,
} as const;

/** How a znode lives (stored per node; clients see ephemeralOwner = 0 for container and TTL). */
export type NodeKind = 'persistent' | 'ephemeral' | 'container' | 'ttl';

/** Stat as clients see it (spec §5): 11 fields, cversion = creates + deletes of children. */
export interface Stat {
  readonly czxid: Zxid;
  readonly mzxid: Zxid;
  readonly ctime: number;
  readonly mtime: number;
  readonly version: number;
  readonly cversion: number;
  readonly aversion: number;
  /** Session id for ephemerals; 0 for persistent, container and TTL nodes. */
  readonly ephemeralOwner: number;
  readonly dataLength: number;
  readonly numChildren: number;
  readonly pzxid: Zxid;
}

// ---------------------------------------------------------------------------------------------------------------
// Requests (what a client asks). `version` -1 = any.
// ---------------------------------------------------------------------------------------------------------------
export type WriteOpRequest =
  | {
      readonly type: 'Create';
      readonly path: string;
      /** null: ZooKeeper's null data (length -1 on the wire), kept apart from empty data. */
      readonly data: Uint8Array | null;
      readonly acl: readonly Acl[];
      /** CreateMode flag 0..6 */
      readonly mode: number;
      /** Only for TTL modes (5, 6): ms, 1..0xffffffffff. */
      readonly ttlMs?: number;
    }
  | { readonly type: 'Delete'; readonly path: string; readonly version: number }
  | { readonly type: 'SetData'; readonly path: string; readonly data: Uint8Array | null; readonly version: number }
  | { readonly type: 'SetACL'; readonly path: string; readonly acl: readonly Acl[]; readonly version: number }
  | { readonly type: 'Check'; readonly path: string; readonly version: number };

export type WriteRequest =
  | WriteOpRequest
  | { readonly type: 'Multi'; readonly ops: readonly WriteOpRequest[] }
  /** `sessionId`: new, from the receiving server's SessionIds generator; `timeoutMs` already negotiated. */
  | { readonly type: 'CreateSession'; readonly sessionId: SessionId; readonly timeoutMs: number }
  | { readonly type: 'CloseSession' }
  /**
   * The session's client reconnected to the server this request comes from (`Request.origin`): from now on that
   * server owns it, and a write still arriving through its old server fails with SESSIONMOVED (ZooKeeper's
   * owner check, ZOOKEEPER-710), so a client's writes stay in its order across a reconnect.
   */
  | { readonly type: 'MoveSession' }
  /** Internal (opcode 20), submitted by the leader's container/TTL reaper; fails quietly if no longer reapable. */
  | { readonly type: 'DeleteContainer'; readonly path: string }
  /**
   * Internal: a front end proposes the ensemble's session secret (random bytes it drew), on which session passwords
   * are keyed. The first one committed stays; the result answers the one in effect.
   */
  | { readonly type: 'SessionSecret'; readonly secret: Uint8Array };

export type ReadRequest =
  | { readonly type: 'GetData'; readonly path: string }
  | { readonly type: 'Exists'; readonly path: string }
  | { readonly type: 'GetChildren'; readonly path: string }
  | { readonly type: 'GetACL'; readonly path: string }
  | { readonly type: 'GetAllChildrenNumber'; readonly path: string }
  | { readonly type: 'GetEphemerals'; readonly sessionId: SessionId; readonly prefix: string }
  /** Internal (metrics, mntr): znodes and ZooKeeper's approximate_data_size (path and data bytes summed). */
  | { readonly type: 'GetTreeSize' };

// ---------------------------------------------------------------------------------------------------------------
// Transactions (what is logged and applied). Every field is final: apply validates nothing a client could get
// wrong; it only executes. A txn that apply cannot execute (e.g. a Create whose parent vanished) is a bug in prepare.
// ---------------------------------------------------------------------------------------------------------------
export interface TxnHeader {
  /** The session that issued it (0 for internal txns such as DeleteContainer). */
  readonly sessionId: SessionId;
  /** The client's xid (request id within the session), so the owning front end can answer it. */
  readonly cxid: number;
  readonly zxid: Zxid;
  /** The leader's clock when it prepared the txn: ctime/mtime and session times come from here, never a clock. */
  readonly timeMs: number;
}

export type TxnOp =
  | {
      readonly type: 'Create';
      /** Final path (sequential suffix resolved). */
      readonly path: string;
      readonly data: Uint8Array | null;
      readonly acl: readonly Acl[];
      readonly kind: NodeKind;
      /** Session id for ephemerals, else 0. */
      readonly ephemeralOwner: SessionId;
      /** TTL nodes only, else 0. */
      readonly ttlMs: number;
      /** The parent's stored cversion after this create (as ZooKeeper's CreateTxn.parentCVersion). */
      readonly parentCversion: number;
    }
  | { readonly type: 'Delete'; readonly path: string }
  /** `version`: the node's new version. */
  | { readonly type: 'SetData'; readonly path: string; readonly data: Uint8Array | null; readonly version: number }
  /** `version`: the node's new aversion. */
  | { readonly type: 'SetACL'; readonly path: string; readonly acl: readonly Acl[]; readonly version: number }
  | { readonly type: 'Check'; readonly path: string }
  /** A failed op: inside a failed Multi one per op (0 before the failure, its code, -2 after), or a failed single write. */
  | { readonly type: 'Error'; readonly err: ErrCode };

export type TxnBody =
  | TxnOp
  /** All-or-nothing under one zxid. A failed multi is a Multi whose ops are all `Error`. */
  | { readonly type: 'Multi'; readonly ops: readonly TxnOp[] }
  /** `owner`: the server id the session's client is connected to (absent: any server may act for it). */
  | { readonly type: 'CreateSession'; readonly timeoutMs: number; readonly owner?: number }
  /** The session now belongs to server `owner`. */
  | { readonly type: 'MoveSession'; readonly owner: number }
  /** Deletes every ephemeral of header.sessionId (those present when it applies) and ends the session. */
  | { readonly type: 'CloseSession' }
  /** Internal: reaper deletion of a container/TTL node (same effect as Delete). */
  | { readonly type: 'DeleteContainer'; readonly path: string }
  /** The ensemble's session secret (replicated state, in snapshots): set by the first such txn, later ones keep it. */
  | { readonly type: 'SessionSecret'; readonly secret: Uint8Array }
  /**
   * A client's write as ZAB logs and commits it. Every replica validates it against its tree at apply time
   * (storage runs `prepare` then `apply` in zxid order), so the result is the same everywhere and no leader-side
   * overlay is needed; `auth` is the issuing session's identity for ACL checks.
   */
  | {
      readonly type: 'Request';
      readonly request: WriteRequest;
      readonly auth?: { readonly ids: readonly Id[]; readonly superUser?: boolean; readonly saslScheme?: boolean };
      /**
       * The front end the client's request arrived at, which gets the result (`Applied.origin`); a session another
       * server owns fails SESSIONMOVED. Absent: internal (the leader expiring a session, the reaper), answered to no one.
       */
      readonly origin?: TxnOrigin;
    }
  /**
   * A Redis keyspace write (src/protocol/keyspace.ts), applied by the keyspace, not the tree. `origin` names the
   * front end that submitted it: server id and that front end's request id (0, 0: internal, e.g. the leader's active
   * expiry); its result goes back there (`Applied.origin`).
   */
  | { readonly type: 'Keyspace'; readonly txn: KeyspaceTxn; readonly origin: TxnOrigin };

/** Who submitted a txn: the server id and the front end's own request id (unique per run of that front end). */
export interface TxnOrigin {
  readonly server: number;
  readonly reqId: number;
}

export type Txn = TxnHeader & { readonly body: TxnBody };

// ---------------------------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------------------------
export type OpResult =
  | { readonly type: 'Create'; readonly path: string; readonly stat: Stat }
  | { readonly type: 'Delete' }
  | { readonly type: 'SetData'; readonly stat: Stat }
  | { readonly type: 'SetACL'; readonly stat: Stat }
  | { readonly type: 'Check' }
  | { readonly type: 'Error'; readonly err: ErrCode };

export type WriteResult =
  | OpResult
  /**
   * A multi's per-op results. Failed multi: every entry is Error — 0 before the failing op, its code, then -2
   * (RUNTIMEINCONSISTENCY) — and the reply header's err stays 0 (spec §10).
   */
  | { readonly type: 'Multi'; readonly results: readonly OpResult[] }
  | { readonly type: 'CreateSession'; readonly sessionId: SessionId; readonly timeoutMs: number }
  /** The session secret in effect after a SessionSecret txn. */
  | { readonly type: 'SessionSecret'; readonly secret: Uint8Array }
  /** The session's negotiated timeout comes back with the move (the new server answers the reconnect with it). */
  | { readonly type: 'MoveSession'; readonly timeoutMs: number }
  | { readonly type: 'CloseSession' }
  /** A keyspace txn's reply, notifications and the db selected after it. */
  | ({ readonly type: 'Keyspace' } & KeyspaceApplied);

export type ReadResult =
  | { readonly type: 'Data'; readonly data: Uint8Array | null; readonly stat: Stat }
  | { readonly type: 'Stat'; readonly stat: Stat }
  | { readonly type: 'Children'; readonly children: readonly string[]; readonly stat: Stat }
  | { readonly type: 'ACL'; readonly acl: readonly Acl[]; readonly stat: Stat }
  | { readonly type: 'Count'; readonly count: number }
  | { readonly type: 'Paths'; readonly paths: readonly string[] }
  | { readonly type: 'TreeSize'; readonly znodes: number; readonly approximateDataSize: number }
  | { readonly type: 'Error'; readonly err: ErrCode };

/** Watch event types (spec §5) the front end fires from an applied txn's changes. */
export type ChangeKind = 'NodeCreated' | 'NodeDeleted' | 'NodeDataChanged' | 'NodeChildrenChanged';
export interface Change {
  readonly path: string;
  readonly kind: ChangeKind;
  /**
   * The ACL of the node a watcher must be allowed to READ to hear of this change (the node itself; for
   * NodeChildrenChanged its parent, the watched node; for NodeDeleted the ACL it had), present only when it does
   * not let everyone READ (ZooKeeper 3.8.4's check, CVE-2024-23944).
   */
  readonly acl?: readonly Acl[];
}

/** What apply hands back for one txn. */
export interface Applied {
  readonly zxid: Zxid;
  readonly sessionId: SessionId;
  readonly cxid: number;
  readonly result: WriteResult;
  /** In order; empty for failed ops and setACL. */
  readonly changes: readonly Change[];
  /** The front end that submitted the txn (absent: internal): it answers its client, the others only watch. */
  readonly origin?: TxnOrigin;
}
