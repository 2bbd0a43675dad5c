/**
 * Real network partitions (src/runtime/tcp/netns.ts): tcp nodes each in their own network namespace, a partition as
 * blackhole routes between them. The shipped minority-partition scenario runs this way and checks valid; the
 * namespaces and the bridge are gone afterwards, and stale ones of a process that died are removed at the next
 * start. Skipped with a note where namespaces cannot be made (not root, no `ip netns`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runScenario } from '../../src/lab/run.js';
import { loadScenario } from '../../src/lab/scenario.js';
import { createTcpRuntime } from '../../src/runtime/tcp/index.js';
import { netnsPrefix, netnsUnavailable, removeStaleNetns } from '../../src/runtime/tcp/netns.js';

const why = netnsUnavailable();
const ours = () =>
  execFileSync('ip', ['netns', 'list'])
    .toString()
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith(`${netnsPrefix}${process.pid}-`));
const demoKinds = new URL('../fixtures/demo-actors.js', import.meta.url).href;
const demo = (node: string) => ({ node, actors: [{ name: 'counter', kind: 'counter' }] });
type Count = { type: 'Count'; count: number };

if (why !== null) {
  test(`network namespaces: skipped (${why})`, () => {
    console.log(`note: test/lab/netns.test.ts skipped: ${why}`);
  });
} else {
  test('a partition is routes between namespaces: a node cut off neither sends nor receives across it, heal restores it', async () => {
    const rt = await createTcpRuntime({ nodes: [demo('n1'), demo('n2'), demo('n3')], kindsModule: demoKinds, netns: true });
    try {
      assert.is(ours().length, 3, 'one namespace per node');
      assert.equal(rt.addresses.n2, { host: '10.77.0.2', port: 7000 });
      const across = (via: string, to: string) => rt.askVia<Count>(via, `${to}/counter`, { type: 'Get' }, 1_000);
      assert.is((await across('n1', 'n3')).count, 0, 'connected before');
      await rt.partition([['n1', 'n2'], ['n3']]);
      assert.equal(await rt.netns!.blackholes('n1'), ['blackhole 10.77.0.3']);
      assert.equal(await rt.netns!.blackholes('n3'), ['blackhole 10.77.0.1', 'blackhole 10.77.0.2']);
      await across('n1', 'n3').then(
        () => assert.unreachable('crossed the partition'),
        (e: Error) => assert.match(e.message, /timed out/),
      );
      assert.is((await across('n1', 'n2')).count, 0, 'the same side still talks');
      await rt.heal();
      assert.equal(await rt.netns!.blackholes('n3'), []);
      const deadline = Date.now() + 10_000;
      let back = false;
      while (!back && Date.now() < deadline) back = await across('n3', 'n1').then(() => true, () => false);
      assert.ok(back, 'healed');
    } finally {
      await rt.close();
    }
    assert.equal(ours(), [], 'namespaces removed on close');
  });

  test('stale namespaces of a process that is gone are removed at the next start', () => {
    let pid = 3_999_999;
    const alive = (p: number) => {
      try {
        process.kill(p, 0);
        return true;
      } catch {
        return false;
      }
    };
    while (alive(pid)) pid--;
    const stale = `${netnsPrefix}${pid}-0-n1`;
    execFileSync('ip', ['netns', 'add', stale]);
    try {
      assert.ok(removeStaleNetns().includes(stale));
    } finally {
      try {
        execFileSync('ip', ['netns', 'del', stale], { stdio: 'ignore' });
      } catch {
        // removed, as it should be
      }
    }
  });

  test('the minority-partition scenario on tcp nodes in namespaces checks valid', async () => {
    const runsDir = mkdtempSync(join(tmpdir(), 'conclave-lab-netns-'));
    try {
      const s = loadScenario(new URL('../../../scenarios/partition-minority.yaml', import.meta.url).pathname);
      const r = await runScenario(s, { runtime: 'tcp', netns: true, seed: 3, runsDir, id: 'netns' });
      const events = readFileSync(join(r.dir, 'events.jsonl'), 'utf8');
      assert.match(events, /"type":"FaultInjected","fault":\{"kind":"partition"/);
      // live nodes on two shared cores answer a few dozen operations in the scenario's 3 s
      for (const kind of ['zk', 'redis']) assert.ok(r.history.filter((o) => o.kind === kind && o.outcome === 'ok').length > 10, `${kind} clients got answers`);
      assert.is(r.verdict.verdict, 'valid', r.verdict.findings.join('; '));
    } finally {
      rmSync(runsDir, { recursive: true, force: true });
    }
    assert.equal(ours(), [], 'namespaces removed after the run');
  });
}

test.run();
