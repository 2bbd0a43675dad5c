/**
 * Messages of the `<node>/zookeeper` actor: the node's ZooKeeper service. Front ends (the embedding API, the
 * client-port server) ask it; it turns requests into writes through `<node>/broadcast` (answered when
 * `<node>/storage` applies them), reads from `<node>/storage`, keeps one-shot watches, and on the leader expires
 * sessions. Watch notifications leave as `WatchTriggered` events.
 */
import type { ReadRequest, ReadResult, SessionId, WriteRequest, WriteResult, Zxid } from './txn.js';
import type { Id } from './txn.js';

export type WatchKind = 'data' | 'exists' | 'children';

export type ZkRequestMsg =
  /** Open a session (a CreateSession write); answers ZkConnected. */
  | { readonly type: 'ZkConnect'; readonly timeoutMs: number }
  | { readonly type: 'ZkWrite'; readonly sessionId: SessionId; readonly request: WriteRequest; readonly auth?: { readonly ids: readonly Id[]; readonly superUser?: boolean } }
  | { readonly type: 'ZkRead'; readonly sessionId: SessionId; readonly request: ReadRequest; readonly watch?: WatchKind; readonly auth?: { readonly ids: readonly Id[]; readonly superUser?: boolean } }
  /** Everything committed before the sync is visible to this node's reads after it. */
  | { readonly type: 'ZkSync'; readonly sessionId: SessionId }
  | { readonly type: 'ZkTouch'; readonly sessionId: SessionId }
  /** Close the session: its ephemerals go in one txn. */
  | { readonly type: 'ZkClose'; readonly sessionId: SessionId }
  /** The node's role and counters (for `leader()`, four-letter words, admin). */
  | { readonly type: 'ZkStatus' };

export type ZkReply =
  | { readonly type: 'ZkConnected'; readonly sessionId: SessionId; readonly timeoutMs: number; readonly zxid: Zxid }
  | { readonly type: 'ZkWriteDone'; readonly zxid: Zxid; readonly result: WriteResult }
  | { readonly type: 'ZkReadDone'; readonly zxid: Zxid; readonly result: ReadResult }
  | { readonly type: 'ZkSynced'; readonly zxid: Zxid }
  | { readonly type: 'ZkClosed'; readonly zxid: Zxid }
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
  /** The request could not be carried out (no leader, overload, timeout): the client may retry. */
  | { readonly type: 'ZkFailed'; readonly reason: string };

/** From `<node>/broadcast`: this node's role changed. */
export interface RoleChanged {
  readonly type: 'RoleChanged';
  readonly role: 'leading' | 'following' | 'looking';
  readonly epoch: number;
  /** The leader's node name (null while looking). */
  readonly leaderNode: string | null;
}

/** Learner → leader: sessions touched on that node since the last report. */
export interface SessionTouches {
  readonly type: 'SessionTouches';
  readonly ids: readonly SessionId[];
}
