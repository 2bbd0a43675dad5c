/**
 * A tcp ensemble: three node processes talking over loopback TCP. Clients on the followers write continuously;
 * the leader's process is SIGKILLed under writes; the survivors elect and carry on; the killed node is restarted on
 * its data dir and catches up; every acknowledged write is read back, with its value, from every node after a sync.
 * And: the followers of a SIGKILLed leader go looking when its connection closes, before its silence could tell.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCluster, type ZkClient } from '../../src/cluster.js';
import type { TcpRuntime } from '../../src/runtime/tcp/index.js';
import { zxidEpoch } from '../../src/protocol/zxid.js';
import { leaderGoneReason, zabDefaults } from '../../src/core/zab/index.js';
import { ContinuousWriter, verifyAcks } from '../../bench/writers.js';

const leaderWaitMs = 30_000;
const steadyMs = 700;
/** Bounds: writes per writer, polls while waiting for the new leader to serve and for the catch-up. */
const writesPerWriterMax = 20_000;
const pollsMax = 3_000;
const pollMs = 10;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('tcp ensemble: SIGKILL of the leader under writes, survivors carry on, restart catches up, nothing acknowledged lost', async () => {
  const cluster = await createCluster({ nodes: 3, runtime: 'tcp' });
  const rt = cluster.runtime as TcpRuntime;
  const writers: ContinuousWriter[] = [];
  try {
    const leader = await cluster.waitForLeader(leaderWaitMs);
    const epochBefore = (await cluster.status())[leader]!.epoch;
    const pids = cluster.nodes.map((n) => rt.pid(n));
    assert.ok(pids.every((p) => p !== null && p !== process.pid), 'every node is its own process');
    assert.is(new Set(pids).size, 3);

    const followers = cluster.nodes.filter((n) => n !== leader);
    const c0 = await cluster.client({ node: followers[0]! });
    await c0.create('/ens');
    const clients: ZkClient[] = [c0, await cluster.client({ node: followers[1]! })];
    clients.forEach((c, i) => writers.push(new ContinuousWriter(c, `/ens/w${i}`, writesPerWriterMax)));
    writers.forEach((w) => w.start());
    await sleep(steadyMs);
    const acksBeforeKill = writers.map((w) => w.acks.length);
    assert.ok(acksBeforeKill.every((n) => n > 0), 'writes flow from both followers before the kill');

    const leaderPid = rt.pid(leader)!;
    await cluster.kill(leader);
    assert.is(alive(leaderPid), false, 'the leader process is gone (SIGKILL)');

    // The survivors elect: writes commit again, with zxids of a newer epoch.
    const newEpochAcks = (): number => writers.reduce((a, w) => a + w.acks.filter((x) => x.zxid >= 0 && zxidEpoch(x.zxid) > epochBefore).length, 0);
    for (let i = 0; i < pollsMax && newEpochAcks() < 20; i++) await sleep(pollMs);
    assert.ok(newEpochAcks() >= 20, 'writes commit through a new leader');
    const newLeader = await cluster.waitForLeader(leaderWaitMs);
    assert.ok(followers.includes(newLeader));
    assert.ok((await cluster.status())[newLeader]!.epoch > epochBefore);

    // Restart the killed node on its data dir while writes go on; then stop writing and let it catch up.
    await cluster.restart(leader);
    assert.ok(rt.pid(leader) !== null && rt.pid(leader) !== leaderPid, 'a new process for the restarted node');
    await sleep(steadyMs);
    await Promise.all(writers.map((w) => w.stop()));
    assert.equal(
      writers.flatMap((w) => w.failures),
      [],
    );
    let caughtUp = false;
    for (let i = 0; i < pollsMax && !caughtUp; i++) {
      const st = await cluster.status();
      const l = Object.values(st).find((s) => s.role === 'leading');
      const o = st[leader];
      caughtUp = l !== undefined && o !== undefined && o.role === 'following' && o.appliedZxid >= l.appliedZxid;
      if (!caughtUp) await sleep(pollMs);
    }
    assert.ok(caughtUp, 'the restarted node follows and has applied everything');

    // Every acknowledged write, from every node (the restarted one included), after a sync.
    const acks = writers.flatMap((w) => w.acks);
    const readers: ZkClient[] = [];
    for (const n of cluster.nodes) readers.push(await cluster.client({ node: n }));
    const v = await verifyAcks(readers, acks);
    assert.is(v.checked, acks.length * 3);
    assert.equal(v.lost, []);
    assert.is(v.lostCount, 0);
    // And nothing beyond them per writer but at most the one write in flight at the stop (unique paths, in order).
    for (const [i, w] of writers.entries()) {
      const names = (await readers[0]!.getChildren('/ens')).filter((n) => n.startsWith(`w${i}-`));
      assert.ok(names.length >= w.acks.length && names.length <= w.acks.length + 1, `writer ${i}: ${names.length} znodes for ${w.acks.length} acks`);
    }
  } finally {
    await Promise.all(writers.map((w) => w.stop()));
    await cluster.close();
  }
});

test("tcp ensemble: the followers of a SIGKILLed leader look for a new one when its connection closes, before the tick limit", async () => {
  const cluster = await createCluster({ nodes: 3, runtime: 'tcp' });
  const lost: { node: string; reason: string; time: number }[] = [];
  const sub = cluster.events$.subscribe((e) => {
    if (e.type === 'LeaderLost') lost.push({ node: e.node, reason: e.reason, time: e.time });
  });
  try {
    const leader = await cluster.waitForLeader(leaderWaitMs);
    // both followers following it (a follower still joining when the leader dies has no leader to lose)
    assert.ok(await cluster.waitForAllServing(leaderWaitMs), 'every node serves');
    const followers = cluster.nodes.filter((n) => n !== leader);
    lost.length = 0;
    const killWallMs = performance.timeOrigin + performance.now();
    await cluster.kill(leader);
    const newLeader = await cluster.waitForLeader(leaderWaitMs);
    assert.ok(followers.includes(newLeader));
    const firstLost = () => followers.map((n) => lost.find((l) => l.node === n)).filter((l): l is (typeof lost)[number] => l !== undefined);
    for (let i = 0; i < pollsMax && firstLost().length < followers.length; i++) await sleep(pollMs);
    assert.is(firstLost().length, followers.length, 'each follower lost its leader');
    // Silence alone tells only after syncLimitTicks ticks without a word from the leader: later than this.
    const silenceMinMs = zabDefaults.syncLimitTicks * zabDefaults.tickMs;
    for (const l of firstLost()) {
      assert.is(l.reason, leaderGoneReason, `${l.node}: why it went looking`);
      assert.ok(l.time - killWallMs < silenceMinMs, `${l.node} went looking ${(l.time - killWallMs).toFixed(0)} ms after the kill`);
    }
  } finally {
    sub.unsubscribe();
    await cluster.close();
  }
});

test.run();
