import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Cluster, actorKindsUrl, ensembleNodes } from '../../src/cluster.js';
import type { ClusterView } from '../../src/lab/faults.js';
import { FaultResolveError, parseFaultSpec, parseScheduledFault, resolveFault, resolveTarget, undoOf } from '../../src/lab/faults.js';
import type { Fault } from '../../src/protocol/faults.js';
import { linkCut, applyFault, noLinkFaults } from '../../src/protocol/faults.js';
import { createSimRuntime } from '../../src/runtime/sim/index.js';
import type { SimMessage } from '../../src/runtime/sim/index.js';
import { kinds } from '../fixtures/demo-actors.js';

const view = (n: number, leader: string | null, down: string[] = []): ClusterView => ({
  nodes: Array.from({ length: n }, (_, i) => `n${i + 1}`),
  leader: () => leader,
  isUp: (x) => !down.includes(x),
});

test('roles resolve against the current view', () => {
  const v = view(5, 'n3', ['n1']);
  assert.equal(resolveTarget(v, 'leader'), ['n3']);
  assert.equal(resolveTarget(v, 'follower'), ['n2'], 'an up follower');
  assert.equal(resolveTarget(v, 'minority'), ['n1', 'n2']);
  assert.equal(resolveTarget(v, 'minority-with-leader'), ['n3', 'n1']);
  assert.equal(resolveTarget(v, 'majority').length, 3);
  assert.not.ok(resolveTarget(v, 'minority').includes('n3'));
  assert.equal(resolveTarget(v, 'all').length, 5);
  assert.equal(resolveTarget(v, 'n4'), ['n4']);
  assert.throws(() => resolveTarget(view(3, null), 'leader'), (e: Error) => e instanceof FaultResolveError);
  assert.throws(() => resolveTarget(v, 'n9'), /no node 'n9'/);
});

test('partition shapes: leader isolated, minority, majority (leader on the small side), ring', () => {
  const v = view(5, 'n3');
  const groups = (f: Fault[]) => (f[0]!.kind === 'partition' ? f[0]!.groups : null);
  assert.equal(groups(resolveFault(v, { fault: 'partition', shape: 'leader-isolated' })), [['n3'], ['n1', 'n2', 'n4', 'n5']]);
  assert.equal(groups(resolveFault(v, { fault: 'partition', shape: 'minority' })), [['n1', 'n2'], ['n3', 'n4', 'n5']]);
  assert.equal(groups(resolveFault(v, { fault: 'partition', shape: 'majority' })), [['n3', 'n1'], ['n2', 'n4', 'n5']]);
  assert.equal(groups(resolveFault(v, { fault: 'partition', groups: [['leader'], ['n1']] })), [['n3'], ['n1'], ['n2', 'n4', 'n5']]);
  // ring: every node still reaches a majority (itself included), and no two nodes reach the same set
  let links = noLinkFaults;
  for (const f of resolveFault(v, { fault: 'partition', shape: 'ring' })) links = applyFault(links, f);
  const seen = new Set<string>();
  for (const a of v.nodes) {
    const reach = v.nodes.filter((b) => !linkCut(links, a, b) && !linkCut(links, b, a));
    assert.ok(reach.length >= 3, `${a} reaches ${reach}`);
    seen.add(reach.join(','));
  }
  assert.is(seen.size, 5);
});

test('cuts, per-node faults and their undoing', () => {
  const v = view(3, 'n1');
  assert.equal(resolveFault(v, { fault: 'cut', from: 'leader', to: 'all' }), [
    { kind: 'cut', from: 'n1', to: 'n2' },
    { kind: 'cut', from: 'n1', to: 'n3' },
  ]);
  assert.equal(resolveFault(v, { fault: 'clock', target: 'follower', offsetMs: 10 }), [{ kind: 'clock', node: 'n2', offsetMs: 10, driftPpm: 0 }]);
  assert.equal(undoOf({ kind: 'kill', node: 'n1' }), { kind: 'restart', node: 'n1' });
  assert.equal(undoOf({ kind: 'pause', node: 'n1' }), { kind: 'resume', node: 'n1' });
  assert.equal(undoOf({ kind: 'diskSlow', node: 'n1', delayMs: 9 }), { kind: 'diskSlow', node: 'n1', delayMs: 0 });
  assert.equal(undoOf({ kind: 'corrupt', node: 'n1' }), null);
});

test('fault specs from untrusted JSON: clear errors', () => {
  assert.equal(parseFaultSpec({ fault: 'kill', target: 'leader' }), { fault: 'kill', target: 'leader' });
  assert.equal(parseScheduledFault({ fault: 'heal', atMs: 5, forMs: 2 }), { fault: 'heal', atMs: 5, forMs: 2 });
  assert.throws(() => parseFaultSpec({ fault: 'explode' }), /unknown fault "explode"/);
  assert.throws(() => parseFaultSpec({ fault: 'drop', ratio: 2 }), /"ratio" must be a number in \[0, 1\]/);
  assert.throws(() => parseFaultSpec({ fault: 'kill' }), /"target" must be a node name/);
  assert.throws(() => parseFaultSpec({ fault: 'partition', shape: 'star' }), /"shape"/);
  assert.throws(() => parseFaultSpec([1]), /an object/);
  assert.throws(() => parseScheduledFault({ fault: 'heal' }), /"atMs"/);
});

// ---- the simulator's new faults ----

type Count = { type: 'Count'; count: number };
type EchoStats = { type: 'EchoStats'; seen: number; inversions: number };

const demo = (node: string) => ({ node, actors: [{ name: 'counter', kind: 'counter' }, { name: 'echo', kind: 'echo' }] });

test('sim pause: a paused node runs nothing and receives nothing until resumed; then all of it', async () => {
  const rt = await createSimRuntime({ seed: 7, kinds, kindsModule: '', nodes: [demo('n1'), demo('n2')] });
  await rt.inject({ kind: 'pause', node: 'n2' });
  rt.send('n2/counter', { type: 'Inc', by: 5 });
  await rt.runFor(100);
  await rt.ask('n2/counter', { type: 'Get' }, 50).then(
    () => assert.unreachable('a paused node answered'),
    (e: Error) => assert.match(e.message, /timed out/),
  );
  assert.is((await rt.ask<Count>('n1/counter', { type: 'Get' }, 50)).count, 0, 'the other node runs');
  await rt.inject({ kind: 'resume', node: 'n2' });
  assert.is((await rt.ask<Count>('n2/counter', { type: 'Get' }, 50)).count, 5, 'what waited is delivered');
  await rt.close();
});

test('sim duplicate and reorder: messages between nodes arrive twice and out of order', async () => {
  const rt = await createSimRuntime({ seed: 9, kinds, kindsModule: '', nodes: [demo('n1'), demo('n2')], net: { latencyMinMs: 0.1, latencyMaxMs: 5 } });
  const msgs: SimMessage[] = [];
  rt.onMessage = (m) => msgs.push(m);
  await rt.inject({ kind: 'duplicate', ratio: 0.5 });
  await rt.inject({ kind: 'reorder', ratio: 1 });
  rt.send('n1/echo', { type: 'Batch', to: 'n2/echo', count: 200 });
  await rt.runFor(100);
  const s = await rt.ask<EchoStats>('n2/echo', { type: 'Stats' }, 50);
  assert.ok(s.seen > 230 && s.seen < 370, `seen ${s.seen} of 200 sent`);
  assert.ok(s.inversions > 10, `inversions ${s.inversions}`);
  assert.ok(msgs.some((m) => m.to === 'n2/echo' && m.deliverMs !== null && m.deliverMs > m.sentMs));
  await rt.inject({ kind: 'duplicate', ratio: 0 });
  await rt.inject({ kind: 'reorder', ratio: 0 });
  rt.send('n1/echo', { type: 'Batch', to: 'n2/echo', count: 100 });
  await rt.runFor(100);
  const t = await rt.ask<EchoStats>('n2/echo', { type: 'Stats' }, 50);
  assert.is(t.seen - s.seen, 100, 'cleared: each once');
  assert.is(t.inversions - s.inversions, 1, 'cleared: in order (one inversion where the new batch restarts at 0)');
  await rt.close();
});

/** A 3-node sim ensemble as the lab runs it (fsyncs take 1 ms, in the background). */
async function ensemble(seed: number) {
  const sim = await createSimRuntime({ seed, nodes: ensembleNodes(3), kindsModule: actorKindsUrl, net: { backgroundFsyncMs: 1 } });
  const cluster = new Cluster(sim, null);
  const leader = await cluster.waitForLeader(10_000);
  const client = await cluster.client({ node: leader });
  return { sim, cluster, leader, client };
}

test('sim clock: the leader stamps mtimes with its skewed, drifting clock', async () => {
  const { sim, cluster, leader, client } = await ensemble(11);
  await client.create('/a', 'x');
  const before = (await client.setData('/a', 'y')).mtime;
  assert.ok(Math.abs(before - sim.now()) < 50, `mtime ${before} at ${sim.now()}`);
  await cluster.inject({ kind: 'clock', node: leader, offsetMs: 3_600_000, driftPpm: 100_000 });
  const t0 = sim.now();
  const m1 = (await client.setData('/a', 'z')).mtime;
  assert.ok(m1 - sim.now() > 3_599_000, 'an hour ahead');
  await sim.runFor(1_000);
  const m2 = (await client.setData('/a', 'w')).mtime;
  const realMs = sim.now() - t0;
  assert.ok(m2 - m1 > realMs * 1.05, `drift: ${m2 - m1} ms on the node's clock in ${realMs} ms`);
  await cluster.close();
});

test('sim diskSlow and diskStall hold up fsyncs, and so commits', async () => {
  const { sim, cluster, client } = await ensemble(12);
  await client.create('/d', '0');
  const latency = async (v: string) => {
    const t = sim.now();
    await client.setData('/d', v);
    return sim.now() - t;
  };
  const base = await latency('1');
  assert.ok(base < 20, `base ${base}`);
  for (const node of cluster.nodes) await cluster.inject({ kind: 'diskSlow', node, delayMs: 60 });
  assert.ok((await latency('2')) >= 60, 'slow fsyncs');
  for (const node of cluster.nodes) await cluster.inject({ kind: 'diskSlow', node, delayMs: 0 });
  assert.ok((await latency('3')) < 20, 'back to normal');
  for (const node of cluster.nodes) await cluster.inject({ kind: 'diskStall', node, durationMs: 500 });
  assert.ok((await latency('4')) >= 450, 'a stalled disk holds the commit');
  await cluster.close();
});

test('sim corrupt: a bit flipped mid-log is refused by recovery (the node stays down)', async () => {
  const { sim, cluster, leader, client } = await ensemble(13);
  for (let i = 0; i < 20; i++) await client.create(`/c${i}`, `v${i}`);
  const victim = cluster.nodes.find((n) => n !== leader)!;
  const reasons: string[] = [];
  cluster.events$.subscribe((e) => {
    if (e.node === victim && e.type === 'ActorStopped') reasons.push(e.reason);
  });
  await cluster.inject({ kind: 'corrupt', node: victim });
  await cluster.inject({ kind: 'restart', node: victim });
  await sim.runFor(2_000);
  assert.not.ok(sim.isUp(victim), 'the node refused its log');
  assert.ok(reasons.some((r) => /CorruptLogError: .*CRC mismatch/.test(r)), reasons.join('; '));
  await client.create('/after', 'x'); // the other two carry on
  await cluster.close();
});

test.run();
