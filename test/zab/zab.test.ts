import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { BootInfo, LogEntry, ZabPeerMsg } from '../../src/protocol/broadcast.js';
import { zxidOf, type Zxid } from '../../src/protocol/zxid.js';
import { chooseSync, isNextZxid, leaderGoneReason, quorumGoneReason, windowOf, zabInit, zabPhase, zabStep, type ZabConfig, type ZabInput, type ZabOutput, type ZabState } from '../../src/core/zab/index.js';

type T = string;
const z = zxidOf;

function cfg(myId: number, voters: number[], observers: number[] = []): ZabConfig {
  return {
    myId,
    voters,
    observers,
    syncLimitTicks: 5,
    initLimitTicks: 40,
    handshakeRetryTicks: 4,
    reconnectsMax: 3,
    logWindowMax: 10,
    pipelineMax: 5,
    pendingRequestsMax: 100,
    pendingSyncsMax: 10,
  };
}

function entries(...zs: Zxid[]): LogEntry<T>[] {
  return zs.map((x) => ({ zxid: x, txn: `t${x}` }));
}

/** A machine under test plus everything it emitted since the last `take()`. */
class M {
  s: ZabState<T>;
  out: ZabOutput<T>[] = [];
  constructor(id: number, voters: number[], boot: Partial<BootInfo<T>> = {}, observers: number[] = []) {
    this.s = zabInit<T>(cfg(id, voters, observers));
    const tail = boot.logTail ?? [];
    const last = tail.length > 0 ? tail[tail.length - 1]!.zxid : (boot.lastZxid ?? 0);
    this.in({
      type: 'Boot',
      boot: {
        epochs: { acceptedEpoch: 0, acceptedLeader: -1, currentEpoch: 0 },
        lastZxid: last,
        committedZxid: 0,
        logTail: tail,
        logTailBase: 0,
        ...boot,
      },
    });
    this.take();
  }
  in(i: ZabInput<T>): ZabOutput<T>[] {
    const r = zabStep(this.s, i);
    this.s = r.state;
    this.out.push(...r.out);
    return [...r.out];
  }
  recv(msg: ZabPeerMsg<T>): ZabOutput<T>[] {
    return this.in({ type: 'Receive', msg });
  }
  take(): ZabOutput<T>[] {
    const o = this.out;
    this.out = [];
    return o;
  }
  sent(o: ZabOutput<T>[], type: ZabPeerMsg['type']): Extract<ZabOutput<T>, { type: 'Send' }>[] {
    return o.filter((x): x is Extract<ZabOutput<T>, { type: 'Send' }> => x.type === 'Send' && x.msg.type === type);
  }
  cmds(o: ZabOutput<T>[], type: string) {
    return o.filter((x) => x.type === 'Storage' && x.cmd.type === type).map((x) => (x as Extract<ZabOutput<T>, { type: 'Storage' }>).cmd);
  }
}

function persistToken(m: M, o: ZabOutput<T>[]): number {
  const c = m.cmds(o, 'PersistEpochs')[0];
  assert.ok(c, 'a PersistEpochs was emitted');
  return (c as { token: number }).token;
}

test('zxid: epoch and counter in one number, contiguity', () => {
  assert.ok(z(1, 0xffffffff) < z(2, 0));
  assert.ok(isNextZxid(z(1, 4), z(1, 5)));
  assert.ok(isNextZxid(z(1, 4), z(3, 1)));
  assert.not.ok(isNextZxid(z(1, 4), z(1, 6)));
  assert.not.ok(isNextZxid(z(1, 4), z(2, 2)));
});

test('chooseSync: DIFF when the follower zxid is in the leader log, TRUNC to the common point, SNAP otherwise', () => {
  const w = entries(z(1, 1), z(1, 2), z(1, 3), z(1, 4), z(1, 5), z(2, 1), z(2, 2));
  const last = z(2, 2);
  assert.equal(chooseSync(w, 0, last, last), { mode: 'DIFF', from: last });
  assert.equal(chooseSync(w, 0, last, z(1, 3)), { mode: 'DIFF', from: z(1, 3) });
  assert.equal(chooseSync(w, 0, last, 0), { mode: 'DIFF', from: 0 });
  assert.equal(chooseSync(w, 0, last, z(1, 7)), { mode: 'TRUNC', from: z(1, 5) }, 'uncommitted epoch-1 tail');
  assert.equal(chooseSync(w, 0, last, z(2, 4)), { mode: 'TRUNC', from: z(2, 2) }, 'ahead in the same epoch');
  assert.equal(chooseSync(w, 0, last, z(3, 1)), { mode: 'SNAP', from: z(3, 1) }, 'an epoch the leader never saw');
  const w2 = entries(z(1, 4), z(1, 5), z(2, 1));
  assert.equal(chooseSync(w2, z(1, 3), z(2, 1), z(1, 1)), { mode: 'SNAP', from: z(1, 1) }, 'older than the window');
  assert.equal(chooseSync(w2, z(1, 3), z(2, 1), z(1, 3)), { mode: 'DIFF', from: z(1, 3) }, 'exactly the window base');
});

/** Leader n1 of voters 1..n, established with followers `followers` (conn per follower returned). */
function establishedLeader(n: number, followers: number[], boot: Partial<BootInfo<T>> = {}) {
  const voters = Array.from({ length: n }, (_, i) => i + 1);
  const L = new M(1, voters, boot);
  L.in({ type: 'Elected', role: 'LEADING', leader: 1 });
  const conns = new Map<number, number>();
  let o: ZabOutput<T>[] = [];
  for (const f of followers) o.push(...L.recv({ type: 'FollowerInfo', from: f, acceptedEpoch: 0, attempt: 1 }));
  L.in({ type: 'Storage', reply: { type: 'EpochsPersisted', token: persistToken(L, o) } });
  o = L.take();
  for (const s of L.sent(o, 'NewEpoch')) conns.set(s.to, (s.msg as { conn: number }).conn);
  const epoch = L.s.acceptedEpoch;
  for (const f of followers) L.recv({ type: 'AckEpoch', from: f, conn: conns.get(f)!, currentEpoch: boot.epochs?.currentEpoch ?? 0, lastZxid: L.s.lastAppended });
  o = L.take();
  L.in({ type: 'Storage', reply: { type: 'EpochsPersisted', token: persistToken(L, o) } });
  for (const f of followers) L.recv({ type: 'AckNewLeader', from: f, conn: conns.get(f)!, epoch });
  assert.is(zabPhase(L.s), 'leading:broadcast');
  L.take();
  return { L, conns, epoch };
}

test('discovery: the leader picks max(acceptedEpoch of a quorum) + 1 and persists it before sending NEWEPOCH', () => {
  const L = new M(1, [1, 2, 3], { epochs: { acceptedEpoch: 3, acceptedLeader: 1, currentEpoch: 3 } });
  L.in({ type: 'Elected', role: 'LEADING', leader: 1 });
  const o = L.recv({ type: 'FollowerInfo', from: 2, acceptedEpoch: 7, attempt: 1 });
  const p = L.cmds(o, 'PersistEpochs')[0] as { acceptedEpoch: number; token: number };
  assert.is(p.acceptedEpoch, 8);
  assert.is(L.sent(o, 'NewEpoch').length, 0, 'nothing sent before the epoch is durable');
  const o2 = L.in({ type: 'Storage', reply: { type: 'EpochsPersisted', token: p.token } });
  const ne = L.sent(o2, 'NewEpoch');
  assert.is(ne.length, 1);
  assert.is((ne[0]!.msg as { epoch: number }).epoch, 8);
});

test('discovery: a leader that stepped down for a voter that promised a newer epoch proposes above it when re-elected (seed 0xb3ee9914)', () => {
  // Node 2 accepted epoch 15 from a leader attempt of its own that failed; nodes 1 and 3 are at 13.
  const boot = { epochs: { acceptedEpoch: 13, acceptedLeader: 3, currentEpoch: 13 } };
  const L = new M(3, [1, 2, 3], boot);
  L.in({ type: 'Elected', role: 'LEADING', leader: 3 });
  let o = L.recv({ type: 'FollowerInfo', from: 1, acceptedEpoch: 13, attempt: 1 });
  assert.is((L.cmds(o, 'PersistEpochs')[0] as { acceptedEpoch: number }).acceptedEpoch, 14, 'the quorum {1, 3} picks 14');
  o = L.recv({ type: 'FollowerInfo', from: 2, acceptedEpoch: 15, attempt: 1 });
  assert.ok(o.some((x) => x.type === 'LookForLeader'), 'node 2 would refuse 14: the leader steps down');
  // Re-elected by the same quorum, node 1's FollowerInfo first: the epoch is above node 2's promise this time.
  L.in({ type: 'Elected', role: 'LEADING', leader: 3 });
  o = L.recv({ type: 'FollowerInfo', from: 1, acceptedEpoch: 13, attempt: 2 });
  const p = L.cmds(o, 'PersistEpochs')[0] as { acceptedEpoch: number; token: number };
  assert.is(p.acceptedEpoch, 16);
  L.in({ type: 'Storage', reply: { type: 'EpochsPersisted', token: p.token } });
  o = L.recv({ type: 'FollowerInfo', from: 2, acceptedEpoch: 15, attempt: 2 });
  assert.not.ok(o.some((x) => x.type === 'LookForLeader'), 'node 2 can join');
  assert.is((L.sent(o, 'NewEpoch')[0]!.msg as { epoch: number }).epoch, 16);

  // The same when node 2's FollowerInfo reached the leader while it was still looking, after node 1's: it counts.
  const L2 = new M(3, [1, 2, 3], boot);
  L2.recv({ type: 'FollowerInfo', from: 1, acceptedEpoch: 13, attempt: 1 });
  L2.recv({ type: 'FollowerInfo', from: 2, acceptedEpoch: 15, attempt: 1 });
  o = L2.in({ type: 'Elected', role: 'LEADING', leader: 3 });
  assert.is((L2.cmds(o, 'PersistEpochs')[0] as { acceptedEpoch: number }).acceptedEpoch, 16);
  assert.is(zabPhase(L2.s), 'leading:epochpersist');

  // An observer's promise binds nobody and raises nothing.
  const L3 = new M(3, [1, 2, 3], boot, [4]);
  L3.recv({ type: 'FollowerInfo', from: 4, acceptedEpoch: 40, attempt: 1 });
  L3.in({ type: 'Elected', role: 'LEADING', leader: 3 });
  o = L3.recv({ type: 'FollowerInfo', from: 1, acceptedEpoch: 13, attempt: 1 });
  assert.is((L3.cmds(o, 'PersistEpochs')[0] as { acceptedEpoch: number }).acceptedEpoch, 14);
});

test('connection ids never repeat across leaderships of one node, restarts included (a stale leadership\'s messages are ignored)', () => {
  // Leadership 1 at acceptedEpoch 4 leads epoch 5 with follower 3 on some conn.
  const { L, conns } = establishedLeader(3, [3], { epochs: { acceptedEpoch: 4, acceptedLeader: 1, currentEpoch: 4 } });
  const before = conns.get(3)!;
  // A restart: the node boots from its durable epochs (acceptedEpoch 5) and leads again, follower 3 with the same attempt number.
  const L2 = new M(1, [1, 2, 3], { epochs: { acceptedEpoch: L.s.acceptedEpoch, acceptedLeader: 1, currentEpoch: L.s.currentEpoch } });
  L2.in({ type: 'Elected', role: 'LEADING', leader: 1 });
  const o = L2.recv({ type: 'FollowerInfo', from: 3, acceptedEpoch: 5, attempt: 1 });
  const ne = L2.sent(L2.in({ type: 'Storage', reply: { type: 'EpochsPersisted', token: persistToken(L2, o) } }), 'NewEpoch');
  const after = (ne[0]!.msg as { conn: number }).conn;
  assert.is.not(after, before, 'a new connection id');
  // Follower 3 on the new leadership ignores a Proposal of the old one still in the network (seed 0x755eb80c).
  const F = new M(3, [1, 2, 3], { epochs: { acceptedEpoch: 5, acceptedLeader: 1, currentEpoch: 5 }, logTail: entries(z(5, 1)) });
  F.in({ type: 'Elected', role: 'FOLLOWING', leader: 1 });
  F.recv({ type: 'NewEpoch', from: 1, epoch: 6, attempt: 1, conn: after, established: false });
  F.in({ type: 'Storage', reply: { type: 'EpochsPersisted', token: persistToken(F, F.take()) } });
  F.recv({ type: 'NewLeader', from: 1, conn: after, epoch: 6, mode: 'DIFF', truncTo: null, snapshot: null, entries: [], commitTo: 0 });
  F.take();
  const stale = F.recv({ type: 'Proposal', from: 1, conn: before, epoch: 5, entry: { zxid: z(5, 2), txn: 'stale' } });
  assert.is(F.cmds(stale, 'AppendLog').length, 0, 'a proposal of the old leadership is not logged');
  assert.is(F.s.lastAppended, z(5, 1));
});

test('follower: persists acceptedEpoch before ACKEPOCH; rejects an older epoch', () => {
  const F = new M(2, [1, 2, 3], { epochs: { acceptedEpoch: 2, acceptedLeader: 1, currentEpoch: 2 }, logTail: entries(z(2, 1), z(2, 2)) });
  let o = F.in({ type: 'Elected', role: 'FOLLOWING', leader: 1 });
  assert.is((F.sent(o, 'FollowerInfo')[0]!.msg as { acceptedEpoch: number }).acceptedEpoch, 2);
  o = F.recv({ type: 'NewEpoch', from: 1, epoch: 5, attempt: 1, conn: 7, established: false });
  assert.is(F.sent(o, 'AckEpoch').length, 0, 'no ack before persist');
  o = F.in({ type: 'Storage', reply: { type: 'EpochsPersisted', token: persistToken(F, o) } });
  const ack = F.sent(o, 'AckEpoch')[0]!.msg as { currentEpoch: number; lastZxid: number; conn: number };
  assert.equal([ack.currentEpoch, ack.lastZxid, ack.conn], [2, z(2, 2), 7]);

  const G = new M(3, [1, 2, 3], { epochs: { acceptedEpoch: 6, acceptedLeader: 2, currentEpoch: 5 } });
  G.in({ type: 'Elected', role: 'FOLLOWING', leader: 1 });
  o = G.recv({ type: 'NewEpoch', from: 1, epoch: 6, attempt: 1, conn: 1, established: false });
  assert.ok(o.some((x) => x.type === 'LookForLeader'), 'same epoch from another leader attempt: refuse');
});

test('follower: NEWLEADER with TRUNC truncates, logs, persists currentEpoch, and acks only when both are durable', () => {
  const F = new M(2, [1, 2, 3], { epochs: { acceptedEpoch: 1, acceptedLeader: 1, currentEpoch: 1 }, logTail: entries(z(1, 1), z(1, 2), z(1, 3)), committedZxid: z(1, 1) });
  F.in({ type: 'Elected', role: 'FOLLOWING', leader: 3 });
  let o = F.recv({ type: 'NewEpoch', from: 3, epoch: 2, attempt: 1, conn: 1, established: false });
  F.in({ type: 'Storage', reply: { type: 'EpochsPersisted', token: persistToken(F, o) } });
  F.take();
  o = F.recv({ type: 'NewLeader', from: 3, conn: 1, epoch: 2, mode: 'TRUNC', truncTo: z(1, 2), snapshot: null, entries: entries(z(2, 1)), commitTo: z(1, 2) });
  const kinds = o.filter((x) => x.type === 'Storage').map((x) => (x as { cmd: { type: string } }).cmd.type);
  assert.equal(kinds, ['TruncateLog', 'AppendLog', 'CommitTo', 'PersistEpochs'], 'truncate, append, commit, then persist the epoch');
  assert.is(F.s.lastAppended, z(2, 1));
  const token = persistToken(F, o);
  o = F.in({ type: 'Storage', reply: { type: 'EpochsPersisted', token } });
  assert.is(F.sent(o, 'AckNewLeader').length, 0, 'log not durable yet');
  o = F.in({ type: 'Storage', reply: { type: 'Logged', gen: 0, zxid: z(2, 1) } });
  assert.is(F.sent(o, 'AckNewLeader').length, 0, 'a Logged of the generation before the truncate is stale');
  o = F.in({ type: 'Storage', reply: { type: 'Logged', gen: F.s.logGen, zxid: z(2, 1) } });
  assert.is(F.sent(o, 'AckNewLeader').length, 1);
});

test('leader: sync per follower is DIFF, TRUNC or SNAP from its lastZxid', () => {
  const tail = entries(z(1, 1), z(1, 2), z(1, 3), z(1, 4), z(1, 5), z(1, 6), z(1, 7), z(1, 8), z(1, 9), z(1, 10), z(1, 11), z(1, 12));
  const voters = [1, 2, 3, 4, 5];
  const L = new M(1, voters, { epochs: { acceptedEpoch: 1, acceptedLeader: 1, currentEpoch: 1 }, logTail: tail, committedZxid: z(1, 10) });
  assert.is(L.s.windowLen, 10, 'window bounded by logWindowMax');
  L.in({ type: 'Elected', role: 'LEADING', leader: 1 });
  let o: ZabOutput<T>[] = [];
  for (const f of [2, 3, 4, 5]) o.push(...L.recv({ type: 'FollowerInfo', from: f, acceptedEpoch: 1, attempt: 1 }));
  o = L.in({ type: 'Storage', reply: { type: 'EpochsPersisted', token: persistToken(L, o) } });
  const conn = new Map(L.sent(o, 'NewEpoch').map((s) => [s.to, (s.msg as { conn: number }).conn]));
  L.take();
  const last = new Map([
    [2, z(1, 8)], // in the window: DIFF
    [3, z(1, 14)], // ahead in epoch 1: TRUNC to 1_12
    [4, z(1, 1)], // before the window: SNAP
    [5, z(1, 12)], // equal: empty DIFF
  ]);
  // 2 and 5 complete the discovery quorum; 3 (ahead: it would make the leader abandon if it were in that quorum)
  // and 4 join after it, as late followers.
  for (const f of [2, 5, 3, 4]) L.recv({ type: 'AckEpoch', from: f, conn: conn.get(f)!, currentEpoch: 1, lastZxid: last.get(f)! });
  o = L.take();
  const modes = new Map(o.filter((x) => x.type === 'SyncStarted').map((x) => [(x as { peer: number }).peer, (x as { mode: string }).mode]));
  assert.equal([modes.get(2), modes.get(3), modes.get(4), modes.get(5)], ['DIFF', 'TRUNC', 'SNAP', 'DIFF']);
  const nl = new Map(L.sent(o, 'NewLeader').map((s) => [s.to, s.msg as Extract<ZabPeerMsg<T>, { type: 'NewLeader' }>]));
  assert.equal(nl.get(2)!.entries.map((e) => e.zxid), [z(1, 9), z(1, 10), z(1, 11), z(1, 12)]);
  assert.is(nl.get(3)!.truncTo, z(1, 12));
  assert.is(nl.get(3)!.entries.length, 0);
  assert.is(nl.get(5)!.entries.length, 0);
  assert.not.ok(nl.has(4), 'SNAP waits for the snapshot');
  const snapToken = (L.cmds(o, 'TakeSnapshot')[0] as { token: number }).token;
  o = L.in({ type: 'Storage', reply: { type: 'SnapshotTaken', token: snapToken, snapshot: { zxid: z(1, 10), data: 'state@1_10' } } });
  const snap = L.sent(o, 'NewLeader')[0]!.msg as Extract<ZabPeerMsg<T>, { type: 'NewLeader' }>;
  assert.is(snap.mode, 'SNAP');
  assert.equal(snap.snapshot, { zxid: z(1, 10), data: 'state@1_10' });
  assert.equal(snap.entries.map((e) => e.zxid), [z(1, 11), z(1, 12)]);
});

test('leader: a SNAP whose snapshot lags the window is bridged by the entries storage logged after it (no retake loop)', () => {
  // Found by the ensemble swarm (seed 0x65 at the time): a recovered leader applies only up to its lazily persisted
  // commit point, so its snapshot is older than its in-memory window; retaking the snapshot gave the same answer
  // at the same instant, forever.
  const tail = entries(z(1, 1), z(1, 2), z(1, 3), z(1, 4), z(1, 5), z(1, 6), z(1, 7), z(1, 8), z(1, 9), z(1, 10), z(1, 11), z(1, 12));
  const L = new M(1, [1, 2, 3], { epochs: { acceptedEpoch: 1, acceptedLeader: 1, currentEpoch: 1 }, logTail: tail, committedZxid: z(1, 1) });
  assert.is(L.s.windowBase, z(1, 2));
  L.in({ type: 'Elected', role: 'LEADING', leader: 1 });
  let o = L.recv({ type: 'FollowerInfo', from: 2, acceptedEpoch: 1, attempt: 1 });
  o = L.in({ type: 'Storage', reply: { type: 'EpochsPersisted', token: persistToken(L, o) } });
  const conn = (L.sent(o, 'NewEpoch')[0]!.msg as { conn: number }).conn;
  L.take();
  o = L.recv({ type: 'AckEpoch', from: 2, conn, currentEpoch: 1, lastZxid: 0 });
  const token = (L.cmds(o, 'TakeSnapshot')[0] as { token: number }).token;
  // Without the bridge the snapshot cannot reach the window: the leader takes another (and must not send it).
  o = L.in({ type: 'Storage', reply: { type: 'SnapshotTaken', token, snapshot: { zxid: z(1, 1), data: 'state@1_1' } } });
  assert.is(L.sent(o, 'NewLeader').length, 0);
  const token2 = (L.cmds(o, 'TakeSnapshot')[0] as { token: number }).token;
  // With storage's logged-but-unapplied entries the SNAP goes out, contiguous from the snapshot to the last entry.
  o = L.in({ type: 'Storage', reply: { type: 'SnapshotTaken', token: token2, snapshot: { zxid: z(1, 1), data: 'state@1_1' }, entries: tail.slice(1) } });
  const nl = L.sent(o, 'NewLeader')[0]!.msg as Extract<ZabPeerMsg<T>, { type: 'NewLeader' }>;
  assert.is(nl.mode, 'SNAP');
  assert.is(nl.snapshot!.zxid, z(1, 1));
  assert.equal(
    nl.entries.map((e) => e.zxid),
    tail.slice(1).map((e) => e.zxid),
  );
  assert.is(L.cmds(o, 'TakeSnapshot').length, 0, 'no retake');
});

test('leader abandons when a follower in its discovery quorum is more up to date', () => {
  const L = new M(1, [1, 2, 3], { epochs: { acceptedEpoch: 1, acceptedLeader: 1, currentEpoch: 1 }, logTail: entries(z(1, 1)) });
  L.in({ type: 'Elected', role: 'LEADING', leader: 1 });
  let o = L.recv({ type: 'FollowerInfo', from: 2, acceptedEpoch: 1, attempt: 1 });
  o = L.in({ type: 'Storage', reply: { type: 'EpochsPersisted', token: persistToken(L, o) } });
  const conn = (L.sent(o, 'NewEpoch')[0]!.msg as { conn: number }).conn;
  o = L.recv({ type: 'AckEpoch', from: 2, conn, currentEpoch: 1, lastZxid: z(1, 5) });
  assert.ok(o.some((x) => x.type === 'LookForLeader'));
  assert.is(zabPhase(L.s), 'looking');
});

test('mutation ignoreFollowerAhead (docs/swarm-mutations.md): the leader goes on and truncates the follower that is ahead', () => {
  const L = new M(1, [1, 2, 3], { epochs: { acceptedEpoch: 1, acceptedLeader: 1, currentEpoch: 1 }, logTail: entries(z(1, 1)) });
  L.s = { ...L.s, cfg: { ...L.s.cfg, testFaults: { ignoreFollowerAhead: true } } };
  L.in({ type: 'Elected', role: 'LEADING', leader: 1 });
  let o = L.recv({ type: 'FollowerInfo', from: 2, acceptedEpoch: 1, attempt: 1 });
  o = L.in({ type: 'Storage', reply: { type: 'EpochsPersisted', token: persistToken(L, o) } });
  const conn = (L.sent(o, 'NewEpoch')[0]!.msg as { conn: number }).conn;
  o = L.recv({ type: 'AckEpoch', from: 2, conn, currentEpoch: 1, lastZxid: z(1, 5) });
  assert.not.ok(o.some((x) => x.type === 'LookForLeader'));
  const nl = L.sent(o, 'NewLeader')[0]!.msg as { mode: string; truncTo: number | null };
  assert.is(nl.mode, 'TRUNC');
  assert.is(nl.truncTo, z(1, 1), "the follower's 0x1_2..0x1_5 would be cut (committed or not)");
});

test('observer: the leader syncs and streams to it, but its epoch, acks and liveness never count for a quorum', () => {
  const L = new M(1, [1, 2, 3], { epochs: { acceptedEpoch: 3, acceptedLeader: 1, currentEpoch: 3 } }, [4]);
  L.in({ type: 'Elected', role: 'LEADING', leader: 1 });
  let o = L.recv({ type: 'FollowerInfo', from: 4, acceptedEpoch: 9, attempt: 1 });
  assert.equal(L.cmds(o, 'PersistEpochs'), [], 'leader + observer are no quorum for discovery');
  o = L.recv({ type: 'FollowerInfo', from: 2, acceptedEpoch: 3, attempt: 1 });
  const p = L.cmds(o, 'PersistEpochs')[0] as { acceptedEpoch: number; token: number };
  assert.is(p.acceptedEpoch, 4, "the observer's accepted epoch 9 is not in the max");
  o = L.in({ type: 'Storage', reply: { type: 'EpochsPersisted', token: p.token } });
  const conns = new Map(L.sent(o, 'NewEpoch').map((x) => [x.to, (x.msg as { conn: number }).conn] as const));
  assert.equal([...conns.keys()].sort(), [2, 4], 'NewEpoch to the voter and the observer');
  o = L.recv({ type: 'AckEpoch', from: 4, conn: conns.get(4)!, currentEpoch: 3, lastZxid: 0 });
  assert.equal(L.sent(o, 'NewLeader'), [], 'an observer ack is no epoch quorum');
  o = L.recv({ type: 'AckEpoch', from: 2, conn: conns.get(2)!, currentEpoch: 3, lastZxid: 0 });
  assert.equal(L.sent(o, 'NewLeader').map((x) => x.to).sort(), [2, 4], 'both are synced');
  L.in({ type: 'Storage', reply: { type: 'EpochsPersisted', token: persistToken(L, o) } });
  L.recv({ type: 'AckNewLeader', from: 4, conn: conns.get(4)!, epoch: 4 });
  assert.is(zabPhase(L.s), 'leading:newleader', 'an observer ack does not establish the leader');
  o = L.recv({ type: 'AckNewLeader', from: 2, conn: conns.get(2)!, epoch: 4 });
  assert.is(zabPhase(L.s), 'leading:broadcast');
  assert.equal(L.sent(o, 'UpToDate').map((x) => x.to).sort(), [2, 4]);
  L.take();
  L.in({ type: 'Write', reqId: 1, txn: 'w1' });
  o = L.take();
  assert.equal(L.sent(o, 'Proposal').map((x) => x.to).sort(), [2, 4], 'proposals stream to the observer');
  L.in({ type: 'Storage', reply: { type: 'Logged', gen: 0, zxid: z(4, 1) } });
  o = L.recv({ type: 'Ack', from: 4, conn: conns.get(4)!, epoch: 4, zxid: z(4, 1) });
  assert.equal(L.cmds(o, 'CommitTo'), [], 'leader + observer acks: no commit');
  o = L.recv({ type: 'Ack', from: 2, conn: conns.get(2)!, epoch: 4, zxid: z(4, 1) });
  assert.equal(L.cmds(o, 'CommitTo').length, 1);
  assert.equal(L.sent(o, 'Commit').map((x) => x.to).sort(), [2, 4], 'the observer learns the commit');
  // A Request forwarded by the observer is proposed like any other.
  o = L.recv({ type: 'Request', from: 4, conn: conns.get(4)!, reqId: 7, txn: 'from-observer' });
  assert.is(L.cmds(o, 'AppendLog').length, 1);
  // Liveness: only the observer answers pings: the leader steps down.
  for (let i = 0; i < 7; i++) {
    L.in({ type: 'Tick' });
    L.recv({ type: 'PingAck', from: 4, conn: conns.get(4)!, epoch: 4, lastZxid: z(4, 1) });
  }
  assert.is(zabPhase(L.s), 'looking', 'an observer alone keeps no leader');
  // An established leader does not step down for an observer that accepted a newer epoch.
  const { L: L2 } = establishedLeader(3, [2]);
  o = L2.recv({ type: 'FollowerInfo', from: 3, acceptedEpoch: 99, attempt: 1 });
  assert.ok(o.some((x) => x.type === 'LookForLeader'), 'a voter that promised a newer epoch makes it step down');
});

test("observer: follows any leader not older than its history, whatever epoch it accepted; refuses a stale one", () => {
  const O = new M(4, [1, 2, 3], { epochs: { acceptedEpoch: 9, acceptedLeader: 2, currentEpoch: 3 }, logTail: entries(z(3, 1), z(3, 2)) }, [4]);
  let o = O.in({ type: 'Elected', role: 'OBSERVING', leader: 1 });
  assert.is(O.sent(o, 'FollowerInfo').length, 1);
  o = O.recv({ type: 'NewEpoch', from: 1, epoch: 4, attempt: 1, conn: 5, established: true });
  assert.not.ok(o.some((x) => x.type === 'LookForLeader'), 'epoch 4 < accepted 9 is fine for an observer');
  o = O.in({ type: 'Storage', reply: { type: 'EpochsPersisted', token: persistToken(O, o) } });
  const ack = O.sent(o, 'AckEpoch')[0]!.msg as { lastZxid: number };
  assert.is(ack.lastZxid, z(3, 2));
  const S = new M(4, [1, 2, 3], { epochs: { acceptedEpoch: 3, acceptedLeader: 2, currentEpoch: 3 }, logTail: entries(z(3, 1)) }, [4]);
  S.in({ type: 'Elected', role: 'OBSERVING', leader: 1 });
  o = S.recv({ type: 'NewEpoch', from: 1, epoch: 2, attempt: 1, conn: 5, established: true });
  assert.ok(o.some((x) => x.type === 'LookForLeader'), 'a leader of epoch 2 is older than our epoch-3 history');
});

test('broadcast: no commit without a quorum; commits strictly in zxid order; the leader counts itself after its log write', () => {
  const { L, conns, epoch } = establishedLeader(5, [2, 3]);
  for (let i = 1; i <= 3; i++) L.in({ type: 'Write', reqId: i, txn: `w${i}` });
  let o = L.take();
  const props = L.sent(o, 'Proposal');
  assert.is(props.length, 6, 'each proposal to both followers');
  assert.equal(L.cmds(o, 'AppendLog').length, 3);
  const commits: Zxid[] = [];
  const note = (out: ZabOutput<T>[]) => {
    for (const c of L.cmds(out, 'CommitTo')) commits.push((c as { zxid: number }).zxid);
  };
  // n2 acks all three, n3 acks the first two; the leader's own log is durable only up to #1
  note(L.recv({ type: 'Ack', from: 2, conn: conns.get(2)!, epoch, zxid: z(epoch, 3) }));
  assert.equal(commits, [], 'one follower + unlogged leader: no quorum of 3');
  note(L.recv({ type: 'Ack', from: 3, conn: conns.get(3)!, epoch, zxid: z(epoch, 2) }));
  assert.equal(commits, [], 'the leader has not logged anything: still no quorum');
  note(L.in({ type: 'Storage', reply: { type: 'Logged', gen: 0, zxid: z(epoch, 1) } }));
  assert.equal(commits, [z(epoch, 1)], 'leader logged #1: quorum {1,2,3} on #1');
  note(L.in({ type: 'Storage', reply: { type: 'Logged', gen: 0, zxid: z(epoch, 3) } }));
  assert.equal(commits, [z(epoch, 1), z(epoch, 2)], '#3 has only {1,2}');
  o = L.recv({ type: 'Ack', from: 2, conn: 999, epoch, zxid: z(epoch, 3) });
  assert.equal(o, [], 'an ack of another connection does not count');
  note(L.recv({ type: 'Ack', from: 3, conn: conns.get(3)!, epoch, zxid: z(epoch, 3) }));
  assert.equal(commits, [z(epoch, 1), z(epoch, 2), z(epoch, 3)]);
  for (let i = 1; i < commits.length; i++) assert.ok(commits[i]! > commits[i - 1]!, 'strictly increasing');
});

test('purity: stepping an older state again gives the same result (the shared window is never clobbered)', () => {
  const { L } = establishedLeader(3, [2]);
  const s0 = L.s;
  const a = zabStep(s0, { type: 'Write', reqId: 1, txn: 'A' });
  const b = zabStep(s0, { type: 'Write', reqId: 2, txn: 'B' });
  assert.equal(windowOf(s0).map((e) => e.txn), []);
  assert.equal(windowOf(a.state).map((e) => e.txn), ['A']);
  assert.equal(windowOf(b.state).map((e) => e.txn), ['B']);
  const a2 = zabStep(a.state, { type: 'Write', reqId: 3, txn: 'C' });
  assert.equal(windowOf(a2.state).map((e) => e.txn), ['A', 'C']);
  assert.equal(windowOf(b.state).map((e) => e.txn), ['B']);
});

test('sync marker: answered after everything proposed before it commits', () => {
  const { L, conns, epoch } = establishedLeader(3, [2]);
  let o = L.in({ type: 'Sync', reqId: 1 });
  assert.ok(o.some((x) => x.type === 'SyncDone'), 'nothing outstanding: at once');
  L.in({ type: 'Write', reqId: 1, txn: 'w' });
  o = L.recv({ type: 'SyncMarker', from: 2, conn: conns.get(2)!, reqId: 9 });
  assert.is(L.sent(o, 'SyncMarkerDone').length, 0, 'a proposal is outstanding');
  L.in({ type: 'Storage', reply: { type: 'Logged', gen: 0, zxid: z(epoch, 1) } });
  o = L.recv({ type: 'Ack', from: 2, conn: conns.get(2)!, epoch, zxid: z(epoch, 1) });
  const done = L.sent(o, 'SyncMarkerDone');
  assert.is(done.length, 1);
  assert.is((done[0]!.msg as { zxid: number }).zxid, z(epoch, 1));
});

test('liveness: a leader without a quorum heard within syncLimit ticks steps down; with pings answered it stays', () => {
  const { L, conns, epoch } = establishedLeader(3, [2]);
  for (let i = 0; i < 20; i++) {
    L.in({ type: 'Tick' });
    L.recv({ type: 'PingAck', from: 2, conn: conns.get(2)!, epoch, lastZxid: 0 });
  }
  assert.is(zabPhase(L.s), 'leading:broadcast');
  let stepped = -1;
  for (let i = 1; i <= 10 && stepped < 0; i++) if (L.in({ type: 'Tick' }).some((x) => x.type === 'LookForLeader')) stepped = i;
  assert.is(stepped, 6, 'steps down on the first tick past syncLimitTicks = 5');
  assert.is(zabPhase(L.s), 'looking');
});

test('a forwarded request the network duplicated is proposed once; a later one is proposed', () => {
  const { L, conns } = establishedLeader(3, [2]);
  const req = (reqId: number, txn: string) => ({ type: 'Request', from: 2, conn: conns.get(2)!, reqId, txn }) as const;
  const proposals = (o: ReturnType<typeof L.recv>) => L.sent(o, 'Proposal').length;
  const first = proposals(L.recv(req(7, 'a')));
  assert.ok(first > 0, 'the request is proposed');
  assert.is(proposals(L.recv(req(7, 'a'))), 0, 'its duplicate is not');
  assert.is(proposals(L.recv(req(5, 'old'))), 0, 'nor an older id');
  assert.is(proposals(L.recv(req(8, 'b'))), first);
});

/** Node 2 following node 1 in epoch 1, synced (DIFF, empty) and in broadcast. */
function followingInBroadcast(): M {
  const F = new M(2, [1, 2, 3]);
  F.in({ type: 'Elected', role: 'FOLLOWING', leader: 1 });
  let o = F.recv({ type: 'NewEpoch', from: 1, epoch: 1, attempt: 1, conn: 1, established: false });
  F.in({ type: 'Storage', reply: { type: 'EpochsPersisted', token: persistToken(F, o) } });
  F.take();
  o = F.recv({ type: 'NewLeader', from: 1, conn: 1, epoch: 1, mode: 'DIFF', truncTo: null, snapshot: null, entries: [], commitTo: 0 });
  F.in({ type: 'Storage', reply: { type: 'EpochsPersisted', token: persistToken(F, o) } });
  F.recv({ type: 'UpToDate', from: 1, conn: 1, epoch: 1, commitTo: 0 });
  assert.is(zabPhase(F.s), 'following:broadcast');
  return F;
}

test('liveness: bytes arriving from a peer (PeerActive) count as hearing it; from anyone else they do not', () => {
  const { L, conns, epoch } = establishedLeader(3, [2]);
  L.recv({ type: 'PingAck', from: 2, conn: conns.get(2)!, epoch, lastZxid: 0 });
  // a follower whose large message is still arriving keeps the leader in place
  for (let i = 0; i < 20; i++) {
    assert.not.ok(L.in({ type: 'Tick' }).some((x) => x.type === 'LookForLeader'), `tick ${i}`);
    L.in({ type: 'PeerActive', from: 2 });
  }
  // activity from a node that is not a follower does not
  let stepped = -1;
  for (let i = 1; i <= 10 && stepped < 0; i++) {
    L.in({ type: 'PeerActive', from: 9 });
    if (L.in({ type: 'Tick' }).some((x) => x.type === 'LookForLeader')) stepped = i;
  }
  assert.is(stepped, 6);
  // a follower: its leader's bytes keep it following, another peer's do not
  const F = followingInBroadcast();
  for (let i = 0; i < 20; i++) {
    assert.not.ok(F.in({ type: 'Tick' }).some((x) => x.type === 'LookForLeader'), `follower tick ${i}`);
    F.in({ type: 'PeerActive', from: 1 });
  }
  let gone = -1;
  for (let i = 1; i <= 10 && gone < 0; i++) {
    F.in({ type: 'PeerActive', from: 3 });
    if (F.in({ type: 'Tick' }).some((x) => x.type === 'LookForLeader')) gone = i;
  }
  assert.is(gone, 6);
});

test("liveness: a follower whose leader's connection closes (PeerGone) looks for a leader at once; another peer's does not matter", () => {
  const F = followingInBroadcast();
  assert.is(F.in({ type: 'PeerGone', from: 3 }).length, 0, 'a peer that is not the leader');
  assert.is(zabPhase(F.s), 'following:broadcast');
  const o = F.in({ type: 'PeerGone', from: 1 });
  const look = o.filter((x) => x.type === 'LookForLeader');
  assert.is(look.length, 1, 'no tick needed');
  assert.is((look[0] as { reason: string }).reason, leaderGoneReason);
  assert.is(zabPhase(F.s), 'looking');
  // a follower still in its handshake gives up on a leader whose connection closed, too
  const H = new M(2, [1, 2, 3]);
  H.in({ type: 'Elected', role: 'FOLLOWING', leader: 1 });
  assert.is(zabPhase(H.s), 'following:info');
  assert.ok(H.in({ type: 'PeerGone', from: 1 }).some((x) => x.type === 'LookForLeader'));
});

test('liveness: a leader steps down at once when the connections of enough voters close (PeerGone), not for fewer', () => {
  const { L, conns, epoch } = establishedLeader(5, [2, 3, 4]);
  for (const f of [2, 3, 4]) L.recv({ type: 'PingAck', from: f, conn: conns.get(f)!, epoch, lastZxid: 0 });
  assert.is(L.in({ type: 'PeerGone', from: 9 }).length, 0, 'not a follower');
  assert.is(L.in({ type: 'PeerGone', from: 5 }).length, 0, 'a voter that never followed');
  assert.is(L.in({ type: 'PeerGone', from: 2 }).length, 0, 'the leader, 3 and 4 are a quorum of 5');
  assert.is(zabPhase(L.s), 'leading:broadcast');
  // the gone follower is not heard until it speaks again: it no longer keeps the leader in place
  L.recv({ type: 'PingAck', from: 2, conn: conns.get(2)!, epoch, lastZxid: 0 });
  assert.is(L.in({ type: 'PeerGone', from: 3 }).length, 0, '2 spoke again: the leader, 2 and 4 are a quorum');
  const o = L.in({ type: 'PeerGone', from: 4 });
  const down = o.filter((x) => x.type === 'LookForLeader');
  assert.is(down.length, 1, 'only the leader and 2 heard: no tick needed to step down');
  assert.is((down[0] as { reason: string }).reason, quorumGoneReason);
  assert.is(zabPhase(L.s), 'looking');
});

test('liveness: a follower that stops hearing its leader goes back to election', () => {
  const F = followingInBroadcast();
  // a proposal, acked only after the log write
  let o = F.recv({ type: 'Proposal', from: 1, conn: 1, epoch: 1, entry: { zxid: z(1, 1), txn: 'a' } });
  assert.is(F.sent(o, 'Ack').length, 0);
  o = F.in({ type: 'Storage', reply: { type: 'Logged', gen: 0, zxid: z(1, 1) } });
  assert.is((F.sent(o, 'Ack')[0]!.msg as { zxid: number }).zxid, z(1, 1));
  // a gap: reconnect (new FollowerInfo), not accept
  o = F.recv({ type: 'Proposal', from: 1, conn: 1, epoch: 1, entry: { zxid: z(1, 3), txn: 'c' } });
  assert.is(F.sent(o, 'FollowerInfo').length, 1);
  assert.is(F.s.lastAppended, z(1, 1));
  let gone = false;
  for (let i = 0; i < 50 && !gone; i++) gone = F.in({ type: 'Tick' }).some((x) => x.type === 'LookForLeader');
  assert.ok(gone);
});

test.run();
