/** The leading role of the ZAB machine: discovery, synchronization of followers, broadcast, sync markers. */
import type { LogEntry, SnapshotData, StorageReply, SyncMode, ZabPeerMsg } from '../../protocol/broadcast.js';
import { zxidCounter, zxidCounterMax, zxidEpoch, zxidOf, type Zxid } from '../../protocol/zxid.js';
import { assertNever } from '../never.js';
import { appendEntries, chooseSync, commitTo, windowOf } from './log.js';
import { isMember, isVoter, lookForLeader, persistEpochs, quorumOf, send, storage, type Out, type S } from './shared.js';
import { followerAheadReason, quorumGoneReason, type FollowerRec, type Leading } from './types.js';

/** Connections (follower attempts) one leadership may open; its ids are `acceptedEpoch * this + 1 ...`. */
export const connsPerLeadershipMax = 1 << 20;

export function startLeading<T>(s: S<T>, out: Out<T>): void {
  s.role = {
    kind: 'leading',
    phase: 'discovery',
    epoch: 0,
    // Our own entry also stands for every voter's promise we heard of: the epoch we propose is above them all.
    infos: { [s.cfg.myId]: Math.max(s.acceptedEpoch, s.epochSeen) },
    followers: {},
    connSeq: s.acceptedEpoch * connsPerLeadershipMax,
    connEnd: (s.acceptedEpoch + 1) * connsPerLeadershipMax,
    tick: 0,
    startTick: 0,
    persistToken: -1,
    currentEpochPersisted: false,
    initialZxid: 0,
    queued: [],
    pendingSyncs: [],
  };
  maybeChooseEpoch(s, out);
}

function maybeChooseEpoch<T>(s: S<T>, out: Out<T>): void {
  const r = s.role as Leading<T>;
  if (r.phase !== 'discovery') return;
  const ids = Object.keys(r.infos).map(Number).filter((id) => isVoter(s, id));
  if (ids.length < quorumOf(s.cfg.voters)) return;
  r.epoch = Math.max(...ids.map((id) => r.infos[id]!)) + 1;
  r.phase = 'epochpersist';
  r.persistToken = persistEpochs(s, out, r.epoch, s.cfg.myId, s.currentEpoch);
}

function sendNewEpoch<T>(s: S<T>, out: Out<T>, id: number, f: FollowerRec): void {
  const r = s.role as Leading<T>;
  f.phase = 'epoch';
  const established = r.phase === 'newleader' || r.phase === 'broadcast';
  send(out, id, { type: 'NewEpoch', from: s.cfg.myId, epoch: r.epoch, attempt: f.attempt, conn: f.conn, established });
}

function selfAheadCheck<T>(s: S<T>, f: FollowerRec): boolean {
  // Is the follower more up to date than the leader, by (currentEpoch, lastZxid)?
  if (f.ackCurrentEpoch !== s.currentEpoch) return f.ackCurrentEpoch > s.currentEpoch;
  return f.ackLastZxid > s.lastAppended;
}

function maybeEpochQuorum<T>(s: S<T>, out: Out<T>): void {
  const r = s.role as Leading<T>;
  if (r.phase !== 'ackepoch') return;
  const acked = Object.entries(r.followers).filter(([id, f]) => isVoter(s, Number(id)) && f.phase === 'acked');
  if (acked.length + 1 < quorumOf(s.cfg.voters)) return;
  for (const [, f] of acked) {
    if (selfAheadCheck(s, f) && s.cfg.testFaults?.ignoreFollowerAhead !== true) {
      lookForLeader(s, out, followerAheadReason);
      return;
    }
  }
  r.phase = 'newleader';
  r.initialZxid = s.lastAppended;
  r.currentEpochPersisted = false;
  r.persistToken = persistEpochs(s, out, s.acceptedEpoch, s.acceptedLeader, r.epoch);
  for (const [id, f] of Object.entries(r.followers)) if (f.phase === 'acked') syncFollower(s, out, Number(id), f);
}

function syncFollower<T>(s: S<T>, out: Out<T>, id: number, f: FollowerRec): void {
  const r = s.role as Leading<T>;
  const c = chooseSync(windowOf(s) as readonly LogEntry[], s.windowBase, s.lastAppended, f.ackLastZxid);
  if (c.mode === 'SNAP') {
    s.token += 1;
    f.phase = 'snap';
    f.snapToken = s.token;
    storage(out, { type: 'TakeSnapshot', token: s.token });
    out.push({ type: 'SyncStarted', peer: id, mode: 'SNAP', fromZxid: f.ackLastZxid, toZxid: s.lastAppended });
    return;
  }
  const entries = windowOf(s).filter((e) => e.zxid > c.from);
  sendNewLeader(s, out, id, f, c.mode, c.mode === 'TRUNC' ? c.from : null, null, entries);
}

function sendNewLeader<T>(
  s: S<T>,
  out: Out<T>,
  id: number,
  f: FollowerRec,
  mode: SyncMode,
  truncTo: Zxid | null,
  snapshot: SnapshotData | null,
  entries: readonly LogEntry<T>[],
): void {
  const r = s.role as Leading<T>;
  f.phase = 'synced';
  f.syncedTo = s.lastAppended;
  if (mode !== 'SNAP') out.push({ type: 'SyncStarted', peer: id, mode, fromZxid: f.ackLastZxid, toZxid: s.lastAppended });
  send(out, id, {
    type: 'NewLeader',
    from: s.cfg.myId,
    conn: f.conn,
    epoch: r.epoch,
    mode,
    truncTo,
    snapshot,
    entries,
    commitTo: s.committed,
  });
}

function leaderSelfReady<T>(s: S<T>, r: Leading<T>): boolean {
  return r.currentEpochPersisted && s.lastLogged >= r.initialZxid;
}

function maybeEstablish<T>(s: S<T>, out: Out<T>): void {
  const r = s.role as Leading<T>;
  if (r.phase !== 'newleader' || !leaderSelfReady(s, r)) return;
  const ready = Object.entries(r.followers).filter(([id, f]) => isVoter(s, Number(id)) && f.phase === 'newleader');
  if (ready.length + 1 < quorumOf(s.cfg.voters)) return;
  r.phase = 'broadcast';
  commitTo(s, out, r.initialZxid);
  out.push({
    type: 'LeaderEstablished',
    epoch: r.epoch,
    zxid: r.initialZxid,
    followers: ready.map(([id]) => Number(id)),
  });
  for (const [id, f] of Object.entries(r.followers)) if (f.phase === 'newleader') upToDate(s, out, Number(id), f);
  drainQueue(s, out);
  resolveSyncs(s, out);
}

function upToDate<T>(s: S<T>, out: Out<T>, id: number, f: FollowerRec): void {
  const r = s.role as Leading<T>;
  f.phase = 'active';
  send(out, id, { type: 'UpToDate', from: s.cfg.myId, conn: f.conn, epoch: r.epoch, commitTo: s.committed });
}

/** Followers that get proposals and commits: those sent NewLeader (FIFO after it). */
function inStream(f: FollowerRec): boolean {
  return f.phase === 'synced' || f.phase === 'newleader' || f.phase === 'active';
}

function outstanding<T>(s: S<T>): number {
  let n = 0;
  for (let i = s.windowLen - 1; i >= 0 && s.window[i]!.zxid > s.committed; i--) n++;
  return n;
}

function propose<T>(s: S<T>, out: Out<T>, txn: T): boolean {
  const r = s.role as Leading<T>;
  const counter = zxidEpoch(s.lastAppended) === r.epoch ? zxidCounter(s.lastAppended) + 1 : 1;
  if (counter > zxidCounterMax) {
    lookForLeader(s, out, 'zxid counter exhausted');
    return false;
  }
  const entry: LogEntry<T> = { zxid: zxidOf(r.epoch, counter), txn };
  appendEntries(s, out, [entry]);
  out.push({ type: 'Proposed', zxid: entry.zxid });
  for (const [id, f] of Object.entries(r.followers)) {
    if (inStream(f)) send(out, Number(id), { type: 'Proposal', from: s.cfg.myId, conn: f.conn, epoch: r.epoch, entry });
  }
  return true;
}

function drainQueue<T>(s: S<T>, out: Out<T>): void {
  const r = s.role as Leading<T>;
  if (r.phase !== 'broadcast') return;
  while (r.queued.length > 0 && outstanding(s) < s.cfg.pipelineMax) {
    const q = r.queued.shift()!;
    if (!propose(s, out, q.txn)) return;
    if (s.role.kind !== 'leading') return;
  }
}

export function leaderWrite<T>(s: S<T>, out: Out<T>, origin: number, reqId: number, txn: T): void {
  const r = s.role as Leading<T>;
  if (r.phase === 'broadcast' && r.queued.length === 0 && outstanding(s) < s.cfg.pipelineMax) {
    propose(s, out, txn);
    return;
  }
  if (r.queued.length >= s.cfg.pendingRequestsMax) {
    failWrite(s, out, origin, reqId, leaderQueueFullReason);
    return;
  }
  r.queued.push({ origin, reqId, txn });
}

/** Why a write the leader refused for load fails (the only refusal a front end should not hold and send again). */
export const leaderQueueFullReason = 'leader queue full';

function failWrite<T>(s: S<T>, out: Out<T>, origin: number, reqId: number, reason: string): void {
  if (origin === s.cfg.myId) {
    out.push({ type: 'WriteFailed', reqId, reason });
    return;
  }
  const r = s.role;
  if (r.kind !== 'leading') return;
  const f = r.followers[origin];
  if (f) send(out, origin, { type: 'RequestFailed', from: s.cfg.myId, conn: f.conn, reqId, reason });
}

function tryCommit<T>(s: S<T>, out: Out<T>): void {
  const r = s.role as Leading<T>;
  if (r.phase !== 'broadcast') return;
  const acks: Zxid[] = [s.lastLogged];
  for (const [id, f] of Object.entries(r.followers)) {
    if (isVoter(s, Number(id)) && (f.phase === 'newleader' || f.phase === 'active')) acks.push(f.acked);
  }
  const q = quorumOf(s.cfg.voters);
  if (acks.length < q) return;
  acks.sort((a, b) => b - a);
  const z = acks[q - 1]!; // the highest zxid a quorum has logged
  if (z <= s.committed) return;
  if (!commitTo(s, out, z)) return;
  for (const [id, f] of Object.entries(r.followers)) {
    if (inStream(f)) send(out, Number(id), { type: 'Commit', from: s.cfg.myId, conn: f.conn, epoch: r.epoch, zxid: s.committed });
  }
  resolveSyncs(s, out);
  drainQueue(s, out);
}

function resolveSyncs<T>(s: S<T>, out: Out<T>): void {
  const r = s.role;
  if (r.kind !== 'leading' || r.phase !== 'broadcast') return;
  const keep: Leading<T>['pendingSyncs'] = [];
  for (const q of r.pendingSyncs) {
    if (q.zxid > s.committed) {
      keep.push(q);
      continue;
    }
    if (q.origin === s.cfg.myId) out.push({ type: 'SyncDone', reqId: q.reqId, zxid: q.zxid });
    else {
      const f = r.followers[q.origin];
      if (f) send(out, q.origin, { type: 'SyncMarkerDone', from: s.cfg.myId, conn: f.conn, reqId: q.reqId, zxid: q.zxid });
    }
  }
  r.pendingSyncs = keep;
}

export function leaderSync<T>(s: S<T>, out: Out<T>, origin: number, reqId: number): void {
  const r = s.role as Leading<T>;
  if (r.pendingSyncs.length >= s.cfg.pendingSyncsMax) {
    if (origin === s.cfg.myId) out.push({ type: 'SyncFailed', reqId, reason: 'too many pending syncs' });
    return;
  }
  // Everything proposed before the marker must be applied first (queued writes are not proposed yet).
  r.pendingSyncs.push({ origin, reqId, zxid: s.lastAppended });
  resolveSyncs(s, out);
}

export function leaderReceive<T>(s: S<T>, out: Out<T>, m: ZabPeerMsg<T>): void {
  const r = s.role as Leading<T>;
  const me = s.cfg.myId;
  if (m.type === 'FollowerInfo') {
    if (!isMember(s, m.from) || m.from === me) return;
    if (r.phase !== 'discovery' && m.acceptedEpoch > r.epoch && isVoter(s, m.from)) {
      // The follower promised a newer epoch (to a leader attempt that failed) and must not join ours: it would
      // refuse NewEpoch forever. Step down; the next discovery picks an epoch above its acceptedEpoch.
      lookForLeader(s, out, `follower ${m.from} accepted epoch ${m.acceptedEpoch} > ${r.epoch}`);
      return;
    }
    const old = r.followers[m.from];
    if (old && old.attempt === m.attempt) {
      if (old.phase === 'epoch') sendNewEpoch(s, out, m.from, old); // a lost NewEpoch: send it again
      return;
    }
    // A different attempt is a new connection (attempt numbers restart when the follower restarts).
    if (r.connSeq + 1 >= r.connEnd) {
      lookForLeader(s, out, `connection ids of this leadership used up (${connsPerLeadershipMax})`);
      return;
    }
    r.connSeq += 1;
    const f: FollowerRec = {
      conn: r.connSeq,
      attempt: m.attempt,
      phase: 'info',
      acceptedEpoch: m.acceptedEpoch,
      ackCurrentEpoch: 0,
      ackLastZxid: 0,
      syncedTo: 0,
      acked: 0,
      lastHeardTick: r.tick,
      snapToken: -1,
      lastReqId: -1,
    };
    r.followers[m.from] = f;
    // Requests of its previous connection still queued are dropped, never proposed: everything of that connection
    // is then at or below what the new connection's sync brings, so the follower may send again what it did not see
    // applied by then (actors/zookeeper.ts holds its clients' requests across a leader change) without a duplicate.
    if (old) r.queued = r.queued.filter((q) => q.origin !== m.from);
    if (r.phase === 'discovery') {
      r.infos[m.from] = m.acceptedEpoch;
      maybeChooseEpoch(s, out);
    } else if (r.phase !== 'epochpersist') {
      sendNewEpoch(s, out, m.from, f);
    }
    return;
  }
  if (m.type === 'NotLeader' || m.type === 'NewEpoch' || m.type === 'NewLeader' || m.type === 'UpToDate') return;
  if (m.type === 'Proposal' || m.type === 'Commit' || m.type === 'Ping' || m.type === 'RequestFailed') return;
  if (m.type === 'SyncMarkerDone') return;
  const f = r.followers[m.from];
  if (!f || f.conn !== m.conn) return;
  f.lastHeardTick = r.tick;
  switch (m.type) {
    case 'AckEpoch':
      if (f.phase !== 'epoch') return;
      f.phase = 'acked';
      f.ackCurrentEpoch = m.currentEpoch;
      f.ackLastZxid = m.lastZxid;
      if (r.phase === 'ackepoch') maybeEpochQuorum(s, out);
      else if (r.phase === 'newleader' || r.phase === 'broadcast') syncFollower(s, out, m.from, f);
      return;
    case 'AckNewLeader':
      if (f.phase !== 'synced' || m.epoch !== r.epoch) return;
      f.phase = 'newleader';
      f.acked = Math.max(f.acked, f.syncedTo);
      if (r.phase === 'newleader') maybeEstablish(s, out);
      else if (r.phase === 'broadcast') {
        upToDate(s, out, m.from, f);
        tryCommit(s, out);
      }
      return;
    case 'Ack':
    case 'PingAck': {
      if (m.epoch !== r.epoch) return;
      if (f.phase !== 'newleader' && f.phase !== 'active') return;
      const z = m.type === 'Ack' ? m.zxid : m.lastZxid;
      if (z > f.acked) {
        f.acked = Math.min(z, s.lastAppended);
        tryCommit(s, out);
      }
      return;
    }
    case 'Request':
      if (!inStream(f) || m.reqId <= f.lastReqId) return;
      f.lastReqId = m.reqId;
      leaderWrite(s, out, m.from, m.reqId, m.txn);
      return;
    case 'SyncMarker':
      if (!inStream(f)) return;
      leaderSync(s, out, m.from, m.reqId);
      return;
    default:
      return assertNever(m);
  }
}

export function leaderStorage<T>(s: S<T>, out: Out<T>, rep: StorageReply): void {
  const r = s.role as Leading<T>;
  switch (rep.type) {
    case 'EpochsPersisted':
      if (rep.token !== r.persistToken) return;
      if (r.phase === 'epochpersist') {
        s.acceptedEpoch = r.epoch;
        s.acceptedLeader = s.cfg.myId;
        r.phase = 'ackepoch';
        for (const [id, f] of Object.entries(r.followers)) sendNewEpoch(s, out, Number(id), f);
        maybeEpochQuorum(s, out);
      } else if (r.phase === 'newleader') {
        s.currentEpoch = r.epoch;
        r.currentEpochPersisted = true;
        maybeEstablish(s, out);
      }
      return;
    case 'Logged':
      maybeEstablish(s, out);
      tryCommit(s, out);
      return;
    case 'SnapshotTaken': {
      for (const [id, f] of Object.entries(r.followers)) {
        if (f.phase !== 'snap' || f.snapToken !== rep.token) continue;
        // The snapshot is at storage's apply point, which can lag the window (a recovered leader whose commit
        // point was persisted lazily, a long uncommitted tail): storage's logged-but-unapplied entries bridge it.
        const bridge = ((rep.entries ?? []) as readonly LogEntry<T>[]).filter((e) => e.zxid > rep.snapshot.zxid && e.zxid <= s.lastAppended);
        const reach = bridge.length > 0 ? bridge[bridge.length - 1]!.zxid : rep.snapshot.zxid;
        if (reach < s.windowBase) {
          syncFollower(s, out, Number(id), f); // the window moved past what storage gave: take another
          continue;
        }
        const entries = [...bridge, ...windowOf(s).filter((e) => e.zxid > reach)];
        sendNewLeader(s, out, Number(id), f, 'SNAP', null, rep.snapshot, entries);
      }
      return;
    }
    default:
      return assertNever(rep);
  }
}

export function leaderTick<T>(s: S<T>, out: Out<T>): void {
  const r = s.role as Leading<T>;
  r.tick += 1;
  for (const [id, f] of Object.entries(r.followers)) {
    if (f.phase !== 'info') {
      send(out, Number(id), { type: 'Ping', from: s.cfg.myId, conn: f.conn, epoch: r.epoch, commitTo: s.committed, lastZxid: s.lastAppended });
    }
  }
  if (r.phase === 'discovery' || r.phase === 'epochpersist' || r.phase === 'ackepoch') {
    // Gathering a quorum moves no data: a leader nobody follows gives up after syncLimitTicks, not initLimitTicks.
    if (r.tick - r.startTick > s.cfg.syncLimitTicks) lookForLeader(s, out, `no quorum for discovery within ${s.cfg.syncLimitTicks} ticks`);
    return;
  }
  if (r.phase !== 'broadcast') {
    if (r.tick - r.startTick > s.cfg.initLimitTicks) lookForLeader(s, out, `not established within ${s.cfg.initLimitTicks} ticks`);
    return;
  }
  if (!quorumHeard(s, r)) lookForLeader(s, out, `no quorum heard within ${s.cfg.syncLimitTicks} ticks`);
}

/** Do this leader and the synced voters it heard within syncLimitTicks make a quorum? */
function quorumHeard<T>(s: S<T>, r: Leading<T>): boolean {
  let heard = 1;
  for (const [id, f] of Object.entries(r.followers)) {
    if (isVoter(s, Number(id)) && (f.phase === 'newleader' || f.phase === 'active') && r.tick - f.lastHeardTick <= s.cfg.syncLimitTicks) heard++;
  }
  return heard >= quorumOf(s.cfg.voters);
}

/**
 * Follower `id`'s connection closed: it counts as not heard until it speaks again (a new connection), and a leader
 * in broadcast that no longer hears a quorum steps down now rather than after syncLimitTicks.
 */
export function leaderPeerGone<T>(s: S<T>, out: Out<T>, id: number): void {
  const r = s.role as Leading<T>;
  const f = r.followers[id];
  if (f === undefined) return;
  f.lastHeardTick = Math.min(f.lastHeardTick, r.tick - s.cfg.syncLimitTicks - 1);
  if (r.phase === 'broadcast' && !quorumHeard(s, r)) lookForLeader(s, out, quorumGoneReason);
}
