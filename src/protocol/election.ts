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
