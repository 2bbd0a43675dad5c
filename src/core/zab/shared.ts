/** Helpers both roles use: quorums, membership, outputs, epoch persistence, stepping down to election. */
import type { StorageCommand, ZabPeerMsg } from '../../protocol/broadcast.js';
import type { ZabOutput, ZabState } from './types.js';

export type S<T> = ZabState<T>;
export type Out<T> = ZabOutput<T>[];

export function quorumOf(voters: readonly number[]): number {
  return Math.floor(voters.length / 2) + 1;
}

export function isVoter<T>(s: S<T>, id: number): boolean {
  return s.cfg.voters.includes(id);
}

/** A voter or an observer: someone the leader syncs and streams to. */
export function isMember<T>(s: S<T>, id: number): boolean {
  return s.cfg.voters.includes(id) || (s.cfg.observers?.includes(id) ?? false);
}

export function send<T>(out: Out<T>, to: number, msg: ZabPeerMsg<T>): void {
  out.push({ type: 'Send', to, msg });
}
export function storage<T>(out: Out<T>, cmd: StorageCommand<T>): void {
  out.push({ type: 'Storage', cmd });
}

export function persistEpochs<T>(s: S<T>, out: Out<T>, acceptedEpoch: number, acceptedLeader: number, currentEpoch: number): number {
  s.token += 1;
  storage(out, { type: 'PersistEpochs', token: s.token, acceptedEpoch, acceptedLeader, currentEpoch });
  return s.token;
}

export function lookForLeader<T>(s: S<T>, out: Out<T>, reason: string): void {
  const r = s.role;
  s.role = { kind: 'looking', infos: {} };
  // the role change first: a front end told of it holds the requests failed next rather than failing its clients
  out.push({ type: 'LookForLeader', reason, was: r.kind, lastZxid: s.lastAppended, currentEpoch: s.currentEpoch });
  if (r.kind === 'following') {
    for (const q of r.pendingSyncs) out.push({ type: 'SyncFailed', reqId: q.reqId, reason });
    for (const id of r.localSyncs) out.push({ type: 'SyncFailed', reqId: id, reason });
  } else if (r.kind === 'leading') {
    for (const q of r.pendingSyncs) {
      if (q.origin === s.cfg.myId) out.push({ type: 'SyncFailed', reqId: q.reqId, reason });
    }
    for (const q of r.queued) {
      if (q.origin === s.cfg.myId) out.push({ type: 'WriteFailed', reqId: q.reqId, reason });
    }
  }
}
