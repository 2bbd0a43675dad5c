/**
 * Messages of the `<node>/zookeeper` actor: the node's ZooKeeper service. Front ends (the embedding API, the
 * client-port server) ask it; it turns requests into writes through `<node>/broadcast` (answered when
 * `<node>/storage` applies them), reads from `<node>/storage`, keeps one-shot watches, and on the leader expires
 * sessions. Watch notifications leave as `WatchTriggered` events.
 */
import type { ReadRequest, ReadResult, SessionId, WriteRequest, WriteResult, Zxid } from './txn.js';
import type { Acl, Id } from './txn.js';

export type WatchKind = 'data' | 'exists' | 'children';

/** addWatch modes (ZooKeeper AddWatchMode 0 PERSISTENT, 1 PERSISTENT_RECURSIVE): never removed when they fire. */
export type PersistentWatchMode = 'persistent' | 'persistentRecursive';

/** A watch a session holds on a path: a one-shot kind or a persistent mode. */
export type WatchRegistration = WatchKind | PersistentWatchMode;

/**
 * What checkWatches/removeWatches name (ZooKeeper's WatcherType): Children 1 and Data 2 are one-shot child resp.
 * data/exists watches, Any 3 is every watch on the path, persistent ones included; Persistent 4 and
 * PersistentRecursive 5 are ZooKeeper 3.9's.
 */
export type WatcherType = 'children' | 'data' | 'any' | 'persistent' | 'persistentRecursive';

/** One path of a node's watch table, as `ZkWatchesQuery` reports it. */
export interface WatchedPath {
  readonly path: string;
  readonly sessions: readonly { readonly sessionId: SessionId; readonly kinds: readonly WatchRegistration[] }[];
}

/**
 * A watch notification for a front end that subscribed (`subscriber` on its requests, `ZkPoll` to receive them).
 * `SessionClosed` (path '') says the session ended (closed or expired) so the front end drops its connection.
 */
export interface ZkWatchEvent {
  readonly sessionId: SessionId;
  readonly path: string;
  readonly event: 'NodeCreated' | 'NodeDeleted' | 'NodeDataChanged' | 'NodeChildrenChanged' | 'SessionClosed';
  readonly zxid: Zxid;
  /** The ACL the session must be allowed to READ to be told (absent: anyone may); see Change.acl. */
  readonly acl?: readonly Acl[];
}

export type ZkRequestMsg =
  /** Open a session (a CreateSession write); answers ZkConnected. */
  | { readonly type: 'ZkConnect'; readonly timeoutMs: number; readonly subscriber?: string }
  | { readonly type: 'ZkWrite'; readonly sessionId: SessionId; readonly request: WriteRequest; readonly auth?: { readonly ids: readonly Id[]; readonly superUser?: boolean; readonly saslScheme?: boolean }; readonly subscriber?: string }
  | { readonly type: 'ZkRead'; readonly sessionId: SessionId; readonly request: ReadRequest; readonly watch?: WatchKind; readonly auth?: { readonly ids: readonly Id[]; readonly superUser?: boolean; readonly saslScheme?: boolean }; readonly subscriber?: string }
  /** Everything committed before the sync is visible to this node's reads after it. */
  | { readonly type: 'ZkSync'; readonly sessionId: SessionId; readonly subscriber?: string }
  /** `subscriber`: from now on this session's notifications go to that subscriber (a reconnect moves them). */
  | { readonly type: 'ZkTouch'; readonly sessionId: SessionId; readonly subscriber?: string }
  /** Close the session: its ephemerals go in one txn. */
  | { readonly type: 'ZkClose'; readonly sessionId: SessionId; readonly subscriber?: string }
  /**
   * A front end's long poll for the notifications of the sessions that named it as `subscriber`: answered with
   * `ZkEvents` as soon as there are some, or empty after a hold time. Every other reply to that subscriber's
   * requests carries the notifications queued so far (`events`), so a notification always reaches the front end
   * before any reply that the actor sent after it fired (one ordered reply path).
   */
  | { readonly type: 'ZkPoll'; readonly subscriber: string }
  /** The node's role and counters (for `leader()`, four-letter words, admin). */
  | { readonly type: 'ZkStatus' }
  /** The leader's session expiry buckets (4lw `dump`); answered `ZkSessionExpiryReply`, empty on a follower. */
  | { readonly type: 'ZkSessionExpiry'; readonly bucketsMax: number }
  /** addWatch: a persistent (recursive) watch on `path` (the node need not exist); answers ZkWatchAdded. */
  | { readonly type: 'ZkAddWatch'; readonly sessionId: SessionId; readonly path: string; readonly mode: PersistentWatchMode; readonly subscriber?: string }
  /** checkWatches: whether the session holds a watch of `watcherType` on `path`; answers ZkWatchesMatched. */
  | { readonly type: 'ZkCheckWatches'; readonly sessionId: SessionId; readonly path: string; readonly watcherType: WatcherType; readonly subscriber?: string }
  /** removeWatches: removes the session's watches of `watcherType` on `path`; answers ZkWatchesMatched. */
  | { readonly type: 'ZkRemoveWatches'; readonly sessionId: SessionId; readonly path: string; readonly watcherType: WatcherType; readonly subscriber?: string }
  /**
   * The session's connection to this node ended (ZooKeeper's watches belong to the connection): its watches on this
   * node go; the client re-registers them on the node it reconnects to (setWatches/setWatches2). Not answered.
   */
  | { readonly type: 'ZkDisconnected'; readonly sessionId: SessionId; readonly subscriber?: string }
  /** The node's watch table (four-letter words wchs/wchc/wchp): counts, and up to `entriesMax` watches listed. */
  | { readonly type: 'ZkWatchesQuery'; readonly entriesMax: number };

type WithEvents = { readonly events?: readonly ZkWatchEvent[] };
export type ZkReply =
  | ({ readonly type: 'ZkConnected'; readonly sessionId: SessionId; readonly timeoutMs: number; readonly zxid: Zxid } & WithEvents)
  | ({ readonly type: 'ZkWriteDone'; readonly zxid: Zxid; readonly result: WriteResult } & WithEvents)
  | ({ readonly type: 'ZkReadDone'; readonly zxid: Zxid; readonly result: ReadResult } & WithEvents)
  | ({ readonly type: 'ZkSynced'; readonly zxid: Zxid } & WithEvents)
  | ({ readonly type: 'ZkClosed'; readonly zxid: Zxid } & WithEvents)
  | { readonly type: 'ZkEvents'; readonly events: readonly ZkWatchEvent[] }
  /** `added` false: the session or the node holds the most watches allowed (`reason` says which). */
  | ({ readonly type: 'ZkWatchAdded'; readonly zxid: Zxid; readonly added: boolean; readonly reason?: string } & WithEvents)
  /** `matched` false: the session held no such watch (ZooKeeper answers NOWATCHER). */
  | ({ readonly type: 'ZkWatchesMatched'; readonly zxid: Zxid; readonly matched: boolean } & WithEvents)
  | {
      readonly type: 'ZkWatchesReply';
      /**
       * ZooKeeper's `wchs` counts, over its data-watch table (getData/exists watches and persistent ones; watches
       * set only by getChildren are not in it): sessions with such a watch, paths watched, (session, path) pairs.
       */
      readonly sessions: number;
      readonly paths: number;
      readonly total: number;
      /** Every watch registration on the node (data and child tables), up to the query's `entriesMax` (session, path) entries. */
      readonly watches: readonly WatchedPath[];
      readonly truncated: boolean;
    }
  | {
      readonly type: 'ZkStatusReply';
      readonly role: 'leading' | 'following' | 'looking';
      readonly leaderNode: string | null;
      readonly epoch: number;
      readonly appliedZxid: Zxid;
      readonly pending: number;
      readonly watches: number;
      readonly sessionsTracked: number;
    }
  /** Deadline (ms, the node's clock) → sessions expiring then, ascending; the leader's tracker only. */
  | { readonly type: 'ZkSessionExpiryReply'; readonly role: 'leading' | 'following' | 'looking'; readonly buckets: readonly (readonly [number, readonly SessionId[]])[]; readonly tracked: number }
  /** The request could not be carried out (no leader, overload, timeout): the client may retry. */
  | ({ readonly type: 'ZkFailed'; readonly reason: string } & WithEvents);

/** From `<node>/broadcast`: this node's role changed. */
export interface RoleChanged {
  readonly type: 'RoleChanged';
  readonly role: 'leading' | 'following' | 'looking';
  readonly epoch: number;
  /** The leader's node name (null while looking). */
  readonly leaderNode: string | null;
  /**
   * Leading: the end of the history it established; following: the end of what its sync brought; looking: 0. Every
   * txn of an earlier leadership that can still commit is at or below it: once this node has applied up to it, a
   * request sent before the change and not seen applied was never committed and never will be.
   */
  readonly zxid: Zxid;
}

/** Learner → leader: sessions touched on that node since the last report. */
export interface SessionTouches {
  readonly type: 'SessionTouches';
  readonly ids: readonly SessionId[];
}
