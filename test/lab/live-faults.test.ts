/**
 * The lab's faults on the live runtimes (src/runtime/live-faults.ts): on worker threads and over TCP, `reorder`
 * (messages between nodes overtake each other), `clock` (the leader stamps mtimes with its skewed, drifting clock),
 * `diskSlow` / `diskStall` (commits wait for the slowed fsyncs), `pause` on threads (the node's actors hold
 * everything until resumed) and `corrupt` then restart (recovery refuses the log).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Cluster } from '../../src/cluster.js';
import { createCluster } from '../../src/cluster.js';
import type { Runtime } from '../../src/runtime/driver.js';
import { createTcpRuntime } from '../../src/runtime/tcp/index.js';
import { createThreadsRuntime } from '../../src/runtime/threads/index.js';

type Count = { type: 'Count'; count: number };
type EchoStats = { type: 'EchoStats'; seen: number; inversions: number };
const demoKinds = new URL('../fixtures/demo-actors.js', import.meta.url).href;
const demo = (node: string) => ({ node, actors: [{ name: 'counter', kind: 'counter' }, { name: 'echo', kind: 'echo' }] });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function echoStats(rt: Runtime, seen: number): Promise<EchoStats> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const s = await rt.ask<EchoStats>('n2/echo', { type: 'Stats' }, 1_000);
    if (s.seen >= seen || Date.now() > deadline) return s;
    await sleep(20);
  }
}

for (const runtime of ['threads', 'tcp'] as const) {
  test(`${runtime} reorder: messages between nodes overtake each other, and stop once cleared`, async () => {
    const opts = { nodes: [demo('n1'), demo('n2')], kindsModule: demoKinds, seed: 3 };
    const rt: Runtime = runtime === 'threads' ? await createThreadsRuntime(opts) : await createTcpRuntime(opts);
    try {
      await rt.inject({ kind: 'diskSlow', node: 'n1', delayMs: 5 }).then(
        () => assert.unreachable('a disk fault without a disk'),
        (e: Error) => assert.match(e.message, `the ${runtime} (without a data directory) runtime cannot inject 'diskSlow' faults`),
      );
      await rt.inject({ kind: 'reorder', ratio: 0.3 });
      rt.send('n1/echo', { type: 'Batch', to: 'n2/echo', count: 300 });
      const s = await echoStats(rt, 300);
      assert.is(s.seen, 300, 'each once');
      assert.ok(s.inversions > 10, `inversions ${s.inversions}`);
      await rt.inject({ kind: 'reorder', ratio: 0 });
      rt.send('n1/echo', { type: 'Batch', to: 'n2/echo', count: 100 });
      const t = await echoStats(rt, 400);
      assert.is(t.inversions - s.inversions, 1, 'cleared: in order (one inversion where the new batch restarts at 0)');
    } finally {
      await rt.close();
    }
  });

  test(`${runtime} clock, diskSlow, diskStall and corrupt on an ensemble`, async () => {
    const cluster: Cluster = await createCluster({ runtime, nodes: 3, redisBasePort: 'off' });
    try {
      const leader = await cluster.waitForLeader(20_000);
      const client = await cluster.client({ node: leader, connectTimeoutMs: 10_000 });
      await client.create('/a', 'x');
      const now = () => performance.timeOrigin + performance.now();
      const m0 = (await client.setData('/a', 'y')).mtime;
      assert.ok(Math.abs(m0 - now()) < 1_000, `mtime ${m0} at ${now()}`);
      // a few seconds ahead: a jump past the session timeout would expire the sessions the leader tracks
      await cluster.inject({ kind: 'clock', node: leader, offsetMs: 4_000, driftPpm: 500_000 });
      const t0 = now();
      const m1 = (await client.setData('/a', 'z')).mtime;
      assert.ok(m1 - now() > 3_500, `seconds ahead: ${m1 - now()}`);
      await sleep(1_000);
      const m2 = (await client.setData('/a', 'w')).mtime;
      assert.ok(m2 - m1 > (now() - t0) * 1.2, `drift: ${m2 - m1} ms on the node's clock in ${now() - t0} ms`);
      await cluster.inject({ kind: 'clock', node: leader, offsetMs: 0, driftPpm: 0 });

      const latency = async (v: string) => {
        const t = now();
        await client.setData('/a', v);
        return now() - t;
      };
      for (const node of cluster.nodes) await cluster.inject({ kind: 'diskSlow', node, delayMs: 300 });
      assert.ok((await latency('s1')) >= 290, 'slow fsyncs hold the commit');
      for (const node of cluster.nodes) await cluster.inject({ kind: 'diskSlow', node, delayMs: 0 });
      await latency('s2'); // a sync begun while slow may still be finishing
      const base = await latency('s3');
      for (const node of cluster.nodes) await cluster.inject({ kind: 'diskStall', node, durationMs: 1_000 });
      const stalled = await latency('s4');
      assert.ok(stalled >= 900 && stalled > base + 500, `a stalled disk holds the commit: ${stalled} ms (then ${base} ms)`);

      for (let i = 0; i < 20; i++) await client.create(`/c${i}`, `v${i}`);
      const victim = cluster.nodes.find((n) => n !== leader)!;
      const refusals: string[] = [];
      const sub = cluster.events$.subscribe((e) => {
        if (e.node === victim && (e.type === 'ActorStopped' || e.type === 'ActorRestarted' || e.type === 'NodeCrashed')) {
          const text = 'reason' in e ? String(e.reason) : 'error' in e ? String(e.error) : '';
          if (/CorruptLogError/.test(text)) refusals.push(text);
        }
      });
      await cluster.inject({ kind: 'corrupt', node: victim });
      await cluster.inject({ kind: 'restart', node: victim }).catch(() => undefined); // tcp: the process may exit while starting
      const deadline = Date.now() + 10_000;
      while (refusals.length === 0 && Date.now() < deadline) await sleep(50);
      sub.unsubscribe();
      assert.ok(refusals.length > 0 && /CRC mismatch/.test(refusals[0]!), `recovery refused the log: ${refusals[0]}`);
      await client.create('/after', 'x'); // the other two carry on
      await client.close();
    } finally {
      await cluster.close();
    }
  });
}

test('threads pause: a paused node answers nothing until resumed, then everything that waited', async () => {
  const rt = await createThreadsRuntime({ nodes: [demo('n1'), demo('n2')], kindsModule: demoKinds, seed: 4 });
  try {
    await rt.inject({ kind: 'pause', node: 'n2' });
    rt.send('n2/counter', { type: 'Inc', by: 5 });
    await rt.ask('n2/counter', { type: 'Get' }, 300).then(
      () => assert.unreachable('a paused node answered'),
      (e: Error) => assert.match(e.message, /timed out/),
    );
    assert.is((await rt.ask<Count>('n1/counter', { type: 'Get' }, 1_000)).count, 0, 'the other node runs');
    await rt.inject({ kind: 'resume', node: 'n2' });
    assert.is((await rt.ask<Count>('n2/counter', { type: 'Get' }, 1_000)).count, 5, 'what waited is delivered');
  } finally {
    await rt.close();
  }
});

test.run();
