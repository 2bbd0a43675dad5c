/**
 * Fast Leader Election wire messages, between `<node>/election` actors. Server ids are small integers (`myid`);
 * node names are `n<id>` by convention of the shells (`electionAddress`).
 */
import type { Zxid } from './zxid.js';

export type PeerState = 'LOOKING' | 'FOLLOWING' | 'LEADING' | 'OBSERVING';

/** A vote: who should lead, and the candidate's last zxid and current (peer) epoch. */
export interface Vote {
  readonly leader: number;
  readonly zxid: Zxid;
  readonly peerEpoch: number;
}

/** ZooKeeper's Notification: the sender's state, its current vote and its election round (logicalclock). */
export interface Notification extends Vote {
  readonly type: 'Notification';
  readonly from: number;
  readonly state: PeerState;
  readonly electionEpoch: number;
}

export type ElectionPeerMsg = Notification;

export type ElectionTimerKey = 'notify' | 'finalize';

/** Messages the `<node>/election` actor handles. */
export type ElectionMsg =
  | Notification
  /** Its own timer (ctx.schedule). */
  | { readonly type: 'ElectionTimer'; readonly key: ElectionTimerKey }
  /** From `<node>/broadcast`: (re-)enter the election with these. */
  | { readonly type: 'LookForLeader'; readonly lastZxid: Zxid; readonly currentEpoch: number; readonly reason: string };

/** From `<node>/election` to `<node>/broadcast`: the election decided. */
export interface ElectionDecided {
  readonly type: 'ElectionDecided';
  readonly role: 'LEADING' | 'FOLLOWING' | 'OBSERVING';
  readonly leader: number;
  readonly electionEpoch: number;
  readonly peerEpoch: number;
  readonly zxid: Zxid;
}

/** Arguments of both consensus actors: server ids and the node each runs on. */
export interface EnsembleArgs {
  readonly myId: number;
  /** Server id → node name (the `<node>` of `<node>/election`, `<node>/broadcast`). */
  readonly members: Readonly<Record<number, string>>;
  /** Voting ids (the others in `members` observe). */
  readonly voters: readonly number[];
}
