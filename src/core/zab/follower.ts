/** The following role of the ZAB machine (observers too): handshake, sync, proposals and commits, sync markers. */
import type { StorageReply, ZabPeerMsg } from '../../protocol/broadcast.js';
import { zxidEpoch, type Zxid } from '../../protocol/zxid.js';
import { assertNever } from '../never.js';
import { appendEntries, commitTo, isNextZxid, setWindow, windowOf } from './log.js';
import { isVoter, lookForLeader, persistEpochs, send, storage, type Out, type S } from './shared.js';
import type { Following } from './types.js';

export function startFollowing<T>(s: S<T>, out: Out<T>, leader: number): void {
  s.role = {
    kind: 'following',
    leader,
    phase: 'info',
    attempt: 0,
    conn: -1,
    epoch: 0,
    reconnects: 0,
    ticksSinceHeard: 0,
    ticksInPhase: 0,
    ticksSinceStart: 0,
    persistToken: -1,
    epochPersisted: false,
    syncTarget: 0,
    pendingSyncs: [],
    localSyncs: [],
  };
  connect(s, out);
}

function connect<T>(s: S<T>, out: Out<T>): void {
  const r = s.role as Following;
  s.attemptSeq += 1;
  r.attempt = s.attemptSeq;
  r.phase = 'info';
  r.conn = -1;
  r.ticksInPhase = 0;
  r.ticksSinceStart = 0;
  r.persistToken = -1;
  r.epochPersisted = false;
  for (const id of r.localSyncs) out.push({ type: 'SyncFailed', reqId: id, reason: 'reconnecting to the leader' });
  r.localSyncs = [];
  send(out, r.leader, { type: 'FollowerInfo', from: s.cfg.myId, acceptedEpoch: s.acceptedEpoch, attempt: r.attempt });
}

function reconnect<T>(s: S<T>, out: Out<T>, reason: string): void {
  const r = s.role as Following;
  r.reconnects += 1;
  if (r.reconnects > s.cfg.reconnectsMax) {
    lookForLeader(s, out, `${reason}; ${s.cfg.reconnectsMax} reconnects failed`);
    return;
  }
  connect(s, out);
}

/**
 * What a follower does with its leader's NewEpoch: persist it as its accepted epoch, ack it at once (already
 * accepted from this leader), or refuse it and go back to election.
 */
function newEpochVerdict<T>(s: S<T>, leader: number, epoch: number, established: boolean): 'persist' | 'ack' | { readonly refuse: string } {
  const acceptedFromLeader = epoch === s.acceptedEpoch && s.acceptedLeader === leader;
  if (!isVoter(s, s.cfg.myId)) {
    // An observer's promise binds nobody: it follows any leader not older than the history it holds (only the
    // one leader of an epoch ever sends data, and established epochs only grow), so never a stale leader.
    const held = Math.max(s.currentEpoch, zxidEpoch(s.lastAppended));
    if (epoch < held) return { refuse: `leader's epoch ${epoch} is older than our history (epoch ${held})` };
    return acceptedFromLeader ? 'ack' : 'persist';
  }
  if (acceptedFromLeader) return 'ack';
  if (epoch > s.acceptedEpoch) return 'persist';
  // Same epoch number accepted from another leader attempt, but this leader is established without us.
  if (epoch === s.acceptedEpoch && established) return 'persist';
  return { refuse: `leader proposed epoch ${epoch}, already accepted ${s.acceptedEpoch}` };
}

function ackEpoch<T>(s: S<T>, out: Out<T>, r: Following): void {
  r.phase = 'ackepoch';
  r.ticksInPhase = 0;
  send(out, r.leader, { type: 'AckEpoch', from: s.cfg.myId, conn: r.conn, currentEpoch: s.currentEpoch, lastZxid: s.lastAppended });
}

function followerMaybeAckNewLeader<T>(s: S<T>, out: Out<T>): void {
  const r = s.role as Following;
  if (r.phase !== 'sync' || !r.epochPersisted || s.lastLogged < r.syncTarget) return;
  r.phase = 'synced';
  r.ticksInPhase = 0;
  send(out, r.leader, { type: 'AckNewLeader', from: s.cfg.myId, conn: r.conn, epoch: r.epoch });
}

function followerCommit<T>(s: S<T>, out: Out<T>, z: Zxid): void {
  const r = s.role as Following;
  commitTo(s, out, z);
  const keep: Following['pendingSyncs'] = [];
  for (const q of r.pendingSyncs) {
    if (q.zxid <= s.committed) out.push({ type: 'SyncDone', reqId: q.reqId, zxid: q.zxid });
    else keep.push(q);
  }
  r.pendingSyncs = keep;
}

function followerAck<T>(s: S<T>, out: Out<T>): void {
  const r = s.role as Following;
  if ((r.phase === 'synced' || r.phase === 'broadcast') && r.epochPersisted) {
    send(out, r.leader, { type: 'Ack', from: s.cfg.myId, conn: r.conn, epoch: r.epoch, zxid: s.lastLogged });
  }
}

export function followerReceive<T>(s: S<T>, out: Out<T>, m: ZabPeerMsg<T>): void {
  const r = s.role as Following;
  const me = s.cfg.myId;
  if (m.type === 'FollowerInfo') {
    send(out, m.from, { type: 'NotLeader', from: me, attempt: m.attempt });
    return;
  }
  if (m.from !== r.leader) return;
  switch (m.type) {
    case 'NotLeader':
      if (m.attempt === r.attempt) lookForLeader(s, out, 'the elected leader is not leading');
      return;
    case 'NewEpoch': {
      if (r.phase !== 'info' || m.attempt !== r.attempt) return;
      r.ticksSinceHeard = 0;
      r.conn = m.conn;
      r.epoch = m.epoch;
      const verdict = newEpochVerdict(s, r.leader, m.epoch, m.established);
      if (verdict === 'persist') {
        r.phase = 'epochpersist';
        r.ticksInPhase = 0;
        r.persistToken = persistEpochs(s, out, m.epoch, r.leader, s.currentEpoch);
      } else if (verdict === 'ack') ackEpoch(s, out, r);
      else lookForLeader(s, out, verdict.refuse);
      return;
    }
    case 'Ack':
    case 'AckEpoch':
    case 'AckNewLeader':
    case 'PingAck':
    case 'Request':
    case 'SyncMarker':
      return;
    default:
      break;
  }
  if (m.conn !== r.conn) return;
  r.ticksSinceHeard = 0;
  switch (m.type) {
    case 'NewLeader': {
      if (r.phase !== 'ackepoch' || m.epoch !== r.epoch) return;
      if (m.mode === 'TRUNC' && m.truncTo !== null) {
        if (m.truncTo < s.committed) throw new Error(`TRUNC below the commit point: ${m.truncTo} < ${s.committed}`);
        s.logGen += 1;
        storage(out, { type: 'TruncateLog', gen: s.logGen, toZxid: m.truncTo });
        setWindow(s, windowOf(s).filter((e) => e.zxid <= m.truncTo!));
        if (m.truncTo < s.windowBase) s.windowBase = m.truncTo;
        s.lastAppended = m.truncTo;
        s.lastLogged = Math.min(s.lastLogged, m.truncTo);
      } else if (m.mode === 'SNAP' && m.snapshot !== null) {
        s.logGen += 1;
        storage(out, { type: 'InstallSnapshot', gen: s.logGen, snapshot: m.snapshot });
        setWindow(s, []);
        s.windowBase = m.snapshot.zxid;
        s.lastAppended = m.snapshot.zxid;
        s.lastLogged = 0;
        s.committed = m.snapshot.zxid;
        out.push({ type: 'Committed', zxid: s.committed });
      }
      const fresh = m.entries.filter((e) => e.zxid > s.lastAppended);
      appendEntries(s, out, fresh);
      followerCommit(s, out, m.commitTo);
      r.phase = 'sync';
      r.ticksInPhase = 0;
      r.syncTarget = s.lastAppended;
      r.persistToken = persistEpochs(s, out, s.acceptedEpoch, s.acceptedLeader, m.epoch);
      return;
    }
    case 'UpToDate':
      if (r.phase !== 'synced' || m.epoch !== r.epoch) return;
      r.phase = 'broadcast';
      r.reconnects = 0;
      followerCommit(s, out, m.commitTo);
      out.push({ type: 'FollowingLeader', leader: r.leader, epoch: r.epoch, zxid: s.lastAppended });
      return;
    case 'Proposal': {
      if (r.phase !== 'sync' && r.phase !== 'synced' && r.phase !== 'broadcast') return;
      const z = m.entry.zxid;
      if (z <= s.lastAppended) return; // duplicate
      if (!isNextZxid(s.lastAppended, z)) {
        reconnect(s, out, 'gap in proposals');
        return;
      }
      appendEntries(s, out, [m.entry]);
      return;
    }
    case 'Commit':
      if (r.phase !== 'sync' && r.phase !== 'synced' && r.phase !== 'broadcast') return;
      if (m.zxid > s.lastAppended) {
        reconnect(s, out, 'commit of a missing proposal');
        return;
      }
      followerCommit(s, out, m.zxid);
      return;
    case 'Ping':
      if (r.phase === 'synced' || r.phase === 'broadcast') {
        if (m.lastZxid > s.lastAppended) {
          reconnect(s, out, 'proposals lost (ping ahead of our log)');
          return;
        }
        followerCommit(s, out, m.commitTo);
      }
      send(out, r.leader, {
        type: 'PingAck',
        from: me,
        conn: r.conn,
        epoch: r.epoch,
        lastZxid: r.epochPersisted && (r.phase === 'synced' || r.phase === 'broadcast') ? s.lastLogged : 0,
      });
      return;
    case 'RequestFailed':
      out.push({ type: 'WriteFailed', reqId: m.reqId, reason: m.reason });
      return;
    case 'SyncMarkerDone': {
      const i = r.localSyncs.indexOf(m.reqId);
      if (i < 0) return;
      r.localSyncs.splice(i, 1);
      if (m.zxid <= s.committed) out.push({ type: 'SyncDone', reqId: m.reqId, zxid: m.zxid });
      else r.pendingSyncs.push({ reqId: m.reqId, zxid: m.zxid });
      return;
    }
    default:
      return assertNever(m);
  }
}

export function followerStorage<T>(s: S<T>, out: Out<T>, rep: StorageReply): void {
  const r = s.role as Following;
  switch (rep.type) {
    case 'EpochsPersisted':
      if (rep.token !== r.persistToken) return;
      if (r.phase === 'epochpersist') {
        s.acceptedEpoch = r.epoch;
        s.acceptedLeader = r.leader;
        ackEpoch(s, out, r);
      } else if (r.phase === 'sync') {
        s.currentEpoch = r.epoch;
        r.epochPersisted = true;
        followerMaybeAckNewLeader(s, out);
      }
      return;
    case 'Logged':
      followerMaybeAckNewLeader(s, out);
      followerAck(s, out);
      return;
    case 'SnapshotTaken':
      return;
    default:
      return assertNever(rep);
  }
}

export function followerTick<T>(s: S<T>, out: Out<T>): void {
  const r = s.role as Following;
  r.ticksSinceHeard += 1;
  r.ticksInPhase += 1;
  r.ticksSinceStart += 1;
  if (r.phase === 'broadcast') {
    if (r.ticksSinceHeard > s.cfg.syncLimitTicks) lookForLeader(s, out, `leader silent for ${s.cfg.syncLimitTicks} ticks`);
    return;
  }
  if (r.ticksSinceStart > s.cfg.initLimitTicks) {
    lookForLeader(s, out, `not synced within ${s.cfg.initLimitTicks} ticks`);
    return;
  }
  const waitingOnLeader = r.phase === 'info' || r.phase === 'ackepoch' || r.phase === 'synced';
  if (waitingOnLeader && r.ticksInPhase >= s.cfg.handshakeRetryTicks) reconnect(s, out, `no answer in phase ${r.phase}`);
}
