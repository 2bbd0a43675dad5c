import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Rng } from '../../src/core/rng.js';
import type { Notification, Vote } from '../../src/protocol/election.js';
import { zxidOf } from '../../src/protocol/zxid.js';
import { fleDefaults, fleInit, fleStep, voteBeats, type FleConfig, type FleInput, type FleOutput, type FleState } from '../../src/core/fle/index.js';

function cfg(myId: number, voters: number[], all = voters): FleConfig {
  return { myId, voters, peers: all.filter((p) => p !== myId), ...fleDefaults };
}

test('vote order: peerEpoch, then zxid, then id; non-voters never win', () => {
  const v = [1, 2, 3];
  const a: Vote = { leader: 1, zxid: zxidOf(1, 9), peerEpoch: 2 };
  assert.ok(voteBeats(a, { leader: 3, zxid: zxidOf(2, 0), peerEpoch: 1 }, v), 'higher peerEpoch wins over higher zxid and id');
  assert.ok(voteBeats({ leader: 1, zxid: zxidOf(1, 10), peerEpoch: 2 }, { leader: 3, zxid: zxidOf(1, 9), peerEpoch: 2 }, v), 'higher zxid wins');
  assert.ok(voteBeats({ leader: 3, zxid: 5, peerEpoch: 2 }, { leader: 2, zxid: 5, peerEpoch: 2 }, v), 'higher id breaks ties');
  assert.not.ok(voteBeats({ leader: 2, zxid: 5, peerEpoch: 2 }, { leader: 2, zxid: 5, peerEpoch: 2 }, v), 'irreflexive');
  assert.not.ok(voteBeats({ leader: 9, zxid: 99, peerEpoch: 9 }, { leader: 1, zxid: 0, peerEpoch: 0 }, v), 'observer 9 never wins');
});

test('vote order is a strict total order (property)', () => {
  const vote = fc.record({ leader: fc.integer({ min: 1, max: 5 }), zxid: fc.integer({ min: 0, max: 50 }), peerEpoch: fc.integer({ min: 0, max: 3 }) });
  const v = [1, 2, 3, 4, 5];
  fc.assert(
    fc.property(vote, vote, vote, (a, b, c) => {
      const same = a.leader === b.leader && a.zxid === b.zxid && a.peerEpoch === b.peerEpoch;
      if (!same && voteBeats(a, b, v) === voteBeats(b, a, v)) return false; // total + antisymmetric
      if (voteBeats(a, b, v) && voteBeats(b, c, v) && !voteBeats(a, c, v)) return false; // transitive
      return true;
    }),
    { numRuns: 2000 },
  );
});

/** A tiny network of FLE machines: random delivery order, optional drops, timers fire when the queue drains. */
class Net {
  st = new Map<number, FleState>();
  q: { to: number; msg: Notification }[] = [];
  timers = new Map<string, number>();
  decided = new Map<number, Extract<FleOutput, { type: 'Decided' }>>();
  down = new Set<number>();
  constructor(readonly rng: Rng, readonly ids: number[], voters = ids) {
    for (const id of ids) this.st.set(id, fleInit(cfg(id, voters, ids)));
  }
  input(id: number, i: FleInput): void {
    if (this.down.has(id)) return;
    const { state, out } = fleStep(this.st.get(id)!, i);
    this.st.set(id, state);
    for (const o of out) {
      if (o.type === 'Send') this.q.push({ to: o.to, msg: o.msg });
      else if (o.type === 'SetTimer') this.timers.set(`${id}:${o.key}`, o.delayMs);
      else if (o.type === 'CancelTimer') this.timers.delete(`${id}:${o.key}`);
      else if (o.type === 'Decided') this.decided.set(id, o);
    }
  }
  run(stepsMax = 20_000): void {
    for (let n = 0; n < stepsMax; n++) {
      if (this.q.length > 0) {
        const i = this.rng.int(0, this.q.length - 1);
        const [m] = this.q.splice(i, 1);
        this.input(m!.to, { type: 'Receive', msg: m!.msg });
        continue;
      }
      if (this.timers.size === 0) return;
      const [key] = [...this.timers.entries()].sort((a, b) => a[1] - b[1])[0]!;
      this.timers.delete(key);
      const [id, k] = key.split(':');
      this.input(Number(id), { type: 'TimerFired', key: k as 'notify' | 'finalize' });
    }
    throw new Error('election did not settle');
  }
}

function electionConverges(n: number, seed: number): void {
  const rng = new Rng(seed);
  const ids = Array.from({ length: n }, (_, i) => i + 1);
  const net = new Net(rng, ids);
  const votes = new Map(ids.map((id) => [id, { leader: id, zxid: zxidOf(rng.int(0, 2), rng.int(0, 3)), peerEpoch: rng.int(1, 2) }]));
  let best = votes.get(1)!;
  for (const v of votes.values()) if (voteBeats(v, best, ids)) best = v;
  for (const id of ids) net.input(id, { type: 'Start', lastZxid: votes.get(id)!.zxid, currentEpoch: votes.get(id)!.peerEpoch });
  net.run();
  assert.is(net.decided.size, n, `seed=0x${seed.toString(16)}: everyone decided`);
  for (const [id, d] of net.decided) {
    assert.is(d.leader, best.leader, `seed=0x${seed.toString(16)}: n${id} follows the best vote`);
    assert.is(d.role, id === best.leader ? 'LEADING' : 'FOLLOWING');
  }
}

test('3-node elections converge on the highest (epoch, zxid, id) under any delivery order', () => {
  for (let s = 1; s <= 100; s++) electionConverges(3, 0x300 + s);
});

test('5-node elections converge on the highest (epoch, zxid, id) under any delivery order', () => {
  for (let s = 1; s <= 100; s++) electionConverges(5, 0x500 + s);
});

test('all voters agreeing decides at once; a bare quorum waits finalizeWaitMs', () => {
  const net = new Net(new Rng(7), [1, 2, 3]);
  for (const id of [1, 2, 3]) net.input(id, { type: 'Start', lastZxid: 0, currentEpoch: 0 });
  // deliver in order without running timers: everyone sees every vote
  while (net.q.length > 0) {
    const m = net.q.shift()!;
    net.input(m.to, { type: 'Receive', msg: m.msg });
  }
  assert.is(net.decided.size, 3, 'no finalize wait needed when all voters agree');
  assert.is(net.decided.get(1)!.leader, 3);

  const net2 = new Net(new Rng(8), [1, 2, 3]);
  net2.down.add(3);
  for (const id of [1, 2]) net2.input(id, { type: 'Start', lastZxid: 0, currentEpoch: 0 });
  while (net2.q.length > 0) {
    const m = net2.q.shift()!;
    net2.input(m.to, { type: 'Receive', msg: m.msg });
  }
  assert.is(net2.decided.size, 0, 'a quorum of 2/3 waits');
  assert.is(net2.timers.get('1:finalize'), fleDefaults.finalizeWaitMs);
  net2.run();
  assert.is(net2.decided.get(1)!.leader, 2);
  assert.is(net2.decided.get(2)!.role, 'LEADING');
});

test('a late joiner follows the established leader (quorum of FOLLOWING/LEADING answers)', () => {
  const net = new Net(new Rng(9), [1, 2, 3, 4, 5]);
  net.down.add(5);
  for (const id of [1, 2, 3, 4]) net.input(id, { type: 'Start', lastZxid: 0, currentEpoch: 3 });
  net.run();
  assert.is(net.decided.get(1)!.leader, 4);
  net.down.delete(5);
  // n5 has a better vote (higher epoch) but the ensemble already decided: it must follow n4
  net.input(5, { type: 'Start', lastZxid: zxidOf(4, 1), currentEpoch: 4 });
  net.run();
  assert.is(net.decided.get(5)!.leader, 4);
  assert.is(net.decided.get(5)!.role, 'FOLLOWING');
});

test('a node whose election has not started (its log not recovered yet) ignores votes: it is never chosen early', () => {
  let n3 = fleInit(cfg(3, [1, 2, 3]));
  const looking: Notification = { type: 'Notification', from: 1, state: 'LOOKING', leader: 1, zxid: 0, peerEpoch: 0, electionEpoch: 1 };
  const r = fleStep(n3, { type: 'Receive', msg: looking });
  assert.equal(r.out, [], 'no answer, no vote, no decision before Start');
  assert.is(r.state.logicalclock, 0);
  assert.equal(r.state.recvset, {});
  n3 = fleStep(r.state, { type: 'Start', lastZxid: 0, currentEpoch: 0 }).state;
  const after = fleStep(n3, { type: 'Receive', msg: looking });
  assert.ok(after.state.recvset[1] !== undefined, 'started: it counts the vote');
  // Net: n3 starts late; n1 and n2 decide between themselves (n2), and n3 follows
  const net = new Net(new Rng(11), [1, 2, 3]);
  for (const id of [1, 2]) net.input(id, { type: 'Start', lastZxid: 0, currentEpoch: 0 });
  net.run();
  assert.is(net.decided.get(1)!.leader, 2);
  net.input(3, { type: 'Start', lastZxid: 0, currentEpoch: 0 });
  net.run();
  assert.is(net.decided.get(3)!.leader, 2);
});

test('leader loss: the survivors re-enter election and pick the best of themselves', () => {
  const net = new Net(new Rng(10), [1, 2, 3]);
  for (const id of [1, 2, 3]) net.input(id, { type: 'Start', lastZxid: zxidOf(1, id), currentEpoch: 1 });
  net.run();
  assert.is(net.decided.get(1)!.leader, 3);
  net.down.add(3);
  net.decided.clear();
  net.q = [];
  net.input(1, { type: 'Start', lastZxid: zxidOf(2, 5), currentEpoch: 2 });
  net.input(2, { type: 'Start', lastZxid: zxidOf(2, 4), currentEpoch: 2 });
  net.run();
  assert.is(net.decided.get(2)!.leader, 1, 'n1 has the higher zxid');
  assert.is(net.decided.get(1)!.role, 'LEADING');
  assert.ok(net.st.get(1)!.logicalclock >= 2, 'a new round');
});

test('observers never vote and learn the established leader', () => {
  const net = new Net(new Rng(11), [1, 2, 3, 4], [1, 2, 3]);
  for (const id of [1, 2, 3]) net.input(id, { type: 'Start', lastZxid: 0, currentEpoch: 0 });
  net.run();
  net.input(4, { type: 'Start', lastZxid: zxidOf(9, 9), currentEpoch: 9 });
  net.run();
  assert.is(net.decided.get(1)!.leader, 3, 'observer 4 with a huge zxid is not elected');
  assert.is(net.decided.get(4)!.role, 'OBSERVING');
  assert.is(net.decided.get(4)!.leader, 3);
});

test('notification re-sends back off exponentially up to the bound', () => {
  let s = fleInit(cfg(1, [1, 2, 3]));
  s = fleStep(s, { type: 'Start', lastZxid: 0, currentEpoch: 0 }).state;
  const delays: number[] = [];
  for (let i = 0; i < 10; i++) {
    const r = fleStep(s, { type: 'TimerFired', key: 'notify' });
    s = r.state;
    const t = r.out.find((o) => o.type === 'SetTimer');
    if (t && t.type === 'SetTimer') delays.push(t.delayMs);
    assert.is(r.out.filter((o) => o.type === 'Send').length, 2, 're-sends to both peers');
  }
  assert.is(delays[0], fleDefaults.notifyIntervalMinMs * 2);
  assert.is(Math.max(...delays), fleDefaults.notifyIntervalMaxMs);
  assert.ok(delays.every((d, i) => i === 0 || d >= delays[i - 1]!));
});

test.run();
