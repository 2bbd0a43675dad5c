/**
 * ZAB (ZooKeeper Atomic Broadcast) as a pure machine: `zabStep(state, input) -> { state, out }`.
 *
 * Roles: looking (waiting for FLE), following, leading. Phases (spec §17):
 *  1. discovery: FollowerInfo(acceptedEpoch) → the leader picks newEpoch = max over a quorum + 1 and persists it as
 *     its acceptedEpoch → NewEpoch → the follower persists acceptedEpoch (only a strictly newer epoch, or the same
 *     epoch from the same leader on a reconnect) → AckEpoch(currentEpoch, lastZxid). The leader waits for a quorum
 *     of AckEpochs and abandons if any of them is more up to date than itself.
 *  2. synchronization: per follower DIFF / TRUNC+DIFF / SNAP (`chooseSync`), folded with NEWLEADER in one frame;
 *     the follower logs, persists currentEpoch = newEpoch, acks; on a quorum (the leader's own log write and
 *     currentEpoch included) the leader commits its initial history and sends UpToDate.
 *  3. broadcast: pipelined Proposal / cumulative Ack / cumulative Commit, strictly in zxid order.
 *
 * Output order is the contract with the shell: execute outputs in order; storage commands go to the node's
 * storage FIFO. Persist before send: messages that depend on durable state are only emitted after the storage
 * reply (EpochsPersisted, Logged) comes back as an input. Apply after commit: CommitTo is only emitted for zxids a
 * quorum logged.
 *
 * The network may lose, duplicate and reorder: every peer message carries the connection id (`conn`), proposals
 * must be contiguous (a gap makes the follower reconnect and resync), acks and commits are cumulative, pings carry
 * the commit point. Liveness needs eventually-FIFO delivery, as over TCP.
 *
 * Layout: types.ts (config, state, inputs, outputs), shared.ts (helpers of both roles), log.ts (the log window,
 * the commit point, the choice of sync), leader.ts, follower.ts; this file boots, dispatches and clones.
 */
import { assertNever } from '../never.js';
import { followerReceive, followerStorage, followerTick, startFollowing } from './follower.js';
import { leaderPeerGone, leaderReceive, leaderStorage, leaderSync, leaderTick, leaderWrite, startLeading } from './leader.js';
import { setWindow } from './log.js';
import { isMember, isVoter, lookForLeader, send, type Out, type S } from './shared.js';
import { leaderGoneReason, type FollowerRec, type Role, type ZabConfig, type ZabInput, type ZabState, type ZabStep } from './types.js';
import type { ZabPeerMsg } from '../../protocol/broadcast.js';

export * from './types.js';
export { quorumOf } from './shared.js';
export { leaderQueueFullReason } from './leader.js';
export { chooseSync, isNextZxid, windowOf, windowTrimBatch } from './log.js';

export function zabInit<T>(cfg: ZabConfig): ZabState<T> {
  return {
    cfg,
    booted: false,
    acceptedEpoch: 0,
    acceptedLeader: -1,
    currentEpoch: 0,
    epochSeen: 0,
    token: 0,
    attemptSeq: 0,
    logGen: 0,
    lastAppended: 0,
    lastLogged: 0,
    committed: 0,
    window: [],
    windowLen: 0,
    windowBase: 0,
    role: { kind: 'looking', infos: {} },
  };
}

function cloneRole<T>(r: Role<T>): Role<T> {
  switch (r.kind) {
    case 'looking':
      return { kind: 'looking', infos: { ...r.infos } };
    case 'following':
      return { ...r, pendingSyncs: [...r.pendingSyncs], localSyncs: [...r.localSyncs] };
    case 'leading': {
      const followers: Record<number, FollowerRec> = {};
      for (const k in r.followers) {
        const v = r.followers[k]!;
        followers[k] = {
          conn: v.conn,
          attempt: v.attempt,
          phase: v.phase,
          acceptedEpoch: v.acceptedEpoch,
          ackCurrentEpoch: v.ackCurrentEpoch,
          ackLastZxid: v.ackLastZxid,
          syncedTo: v.syncedTo,
          acked: v.acked,
          lastHeardTick: v.lastHeardTick,
          snapToken: v.snapToken,
          lastReqId: v.lastReqId,
        };
      }
      return {
        kind: 'leading',
        phase: r.phase,
        epoch: r.epoch,
        infos: r.phase === 'discovery' ? { ...r.infos } : r.infos,
        followers,
        connSeq: r.connSeq,
        connEnd: r.connEnd,
        tick: r.tick,
        startTick: r.startTick,
        persistToken: r.persistToken,
        currentEpochPersisted: r.currentEpochPersisted,
        initialZxid: r.initialZxid,
        queued: r.queued.length === 0 ? [] : r.queued.slice(),
        pendingSyncs: r.pendingSyncs.length === 0 ? [] : r.pendingSyncs.slice(),
      };
    }
    default:
      return assertNever(r);
  }
}

function clone<T>(st: S<T>): S<T> {
  return {
    cfg: st.cfg,
    booted: st.booted,
    acceptedEpoch: st.acceptedEpoch,
    acceptedLeader: st.acceptedLeader,
    currentEpoch: st.currentEpoch,
    epochSeen: st.epochSeen,
    token: st.token,
    attemptSeq: st.attemptSeq,
    logGen: st.logGen,
    lastAppended: st.lastAppended,
    lastLogged: st.lastLogged,
    committed: st.committed,
    window: st.window,
    windowLen: st.windowLen,
    windowBase: st.windowBase,
    role: cloneRole(st.role),
  };
}

export function zabStep<T>(state: ZabState<T>, input: ZabInput<T>): ZabStep<T> {
  const out: Out<T> = [];
  const s = clone(state);
  if (input.type === 'Boot') {
    const b = input.boot;
    s.booted = true;
    s.acceptedEpoch = b.epochs.acceptedEpoch;
    s.acceptedLeader = b.epochs.acceptedLeader;
    s.currentEpoch = b.epochs.currentEpoch;
    s.lastAppended = b.lastZxid;
    s.lastLogged = b.lastZxid;
    s.committed = b.committedZxid;
    setWindow(s, b.logTail.slice(-s.cfg.logWindowMax));
    s.windowBase = s.windowLen < b.logTail.length ? b.logTail[b.logTail.length - s.windowLen - 1]!.zxid : b.logTailBase;
    s.role = { kind: 'looking', infos: {} };
    out.push({ type: 'LookForLeader', reason: 'boot', was: 'looking', lastZxid: s.lastAppended, currentEpoch: s.currentEpoch });
    return { state: s, out };
  }
  if (!s.booted) return { state, out };
  const r = s.role;
  switch (input.type) {
    case 'Elected': {
      if (r.kind !== 'looking') return { state, out };
      const early = Object.values(r.infos);
      if (input.role === 'LEADING') {
        startLeading(s, out);
        for (const m of early) if (s.role.kind === 'leading') leaderReceive(s, out, m as ZabPeerMsg<T>);
      } else {
        for (const m of early) send(out, m.from, { type: 'NotLeader', from: s.cfg.myId, attempt: m.attempt });
        startFollowing(s, out, input.leader);
      }
      break;
    }
    case 'Receive':
      if (input.msg.type === 'FollowerInfo' && isVoter(s, input.msg.from)) s.epochSeen = Math.max(s.epochSeen, input.msg.acceptedEpoch);
      if (r.kind === 'leading') leaderReceive(s, out, input.msg);
      else if (r.kind === 'following') followerReceive(s, out, input.msg);
      else if (input.msg.type === 'FollowerInfo' && isMember(s, input.msg.from)) r.infos[input.msg.from] = input.msg;
      break;
    case 'Storage':
      if (input.reply.type === 'Logged' && input.reply.gen === s.logGen) {
        s.lastLogged = Math.max(s.lastLogged, Math.min(input.reply.zxid, s.lastAppended));
      }
      if (input.reply.type === 'Logged' && input.reply.gen !== s.logGen) break;
      if (r.kind === 'leading') leaderStorage(s, out, input.reply);
      else if (r.kind === 'following') followerStorage(s, out, input.reply);
      break;
    case 'Tick':
      if (r.kind === 'leading') leaderTick(s, out);
      else if (r.kind === 'following') followerTick(s, out);
      break;
    case 'PeerActive':
      if (r.kind === 'following' && input.from === r.leader) r.ticksSinceHeard = 0;
      else if (r.kind === 'leading') {
        const f = r.followers[input.from];
        if (f !== undefined) f.lastHeardTick = r.tick;
      }
      break;
    case 'PeerGone':
      if (r.kind === 'following' && input.from === r.leader) lookForLeader(s, out, leaderGoneReason);
      else if (r.kind === 'leading') leaderPeerGone(s, out, input.from);
      break;
    case 'Write':
      if (r.kind === 'leading') leaderWrite(s, out, s.cfg.myId, input.reqId, input.txn);
      else if (r.kind === 'following' && r.phase === 'broadcast') {
        send(out, r.leader, { type: 'Request', from: s.cfg.myId, conn: r.conn, reqId: input.reqId, txn: input.txn });
      } else out.push({ type: 'WriteFailed', reqId: input.reqId, reason: 'no leader' });
      break;
    case 'Sync':
      if (r.kind === 'leading' && r.phase === 'broadcast') leaderSync(s, out, s.cfg.myId, input.reqId);
      else if (r.kind === 'following' && r.phase === 'broadcast' && r.localSyncs.length < s.cfg.pendingSyncsMax) {
        r.localSyncs.push(input.reqId);
        send(out, r.leader, { type: 'SyncMarker', from: s.cfg.myId, conn: r.conn, reqId: input.reqId });
      } else out.push({ type: 'SyncFailed', reqId: input.reqId, reason: 'not serving' });
      break;
    default:
      return assertNever(input);
  }
  return { state: s, out };
}

/** For shells and tests: the role and phase in one word. */
export function zabPhase<T>(s: ZabState<T>): string {
  const r = s.role;
  return r.kind === 'looking' ? 'looking' : `${r.kind}:${r.phase}`;
}
