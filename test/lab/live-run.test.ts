/**
 * Scenarios on the live runtimes: worker threads (a follower killed) and processes over TCP (the leader paused);
 * the Eureka partition on worker threads (self-preservation everywhere, nothing evicted, converged at the sweep).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runScenario } from '../../src/lab/run.js';
import { loadScenario, parseScenarioYaml } from '../../src/lab/scenario.js';

const runsDir = mkdtempSync(join(tmpdir(), 'conclave-lab-live-'));
const scenario = (fault: string) =>
  parseScenarioYaml(`name: live
nodes: 3
durationMs: 2500
workload: { zkClients: 2, redisClients: 2, keys: 2, opsMax: 400, requestTimeoutMs: 1000 }
faults:
  - ${fault}
`);

for (const [runtime, fault, kinds] of [
  ['threads', '{ fault: kill, target: follower, atMs: 500, forMs: 1000 }', ['kill', 'restart']],
  ['tcp', '{ fault: pause, target: leader, atMs: 500, forMs: 800 }', ['pause', 'resume']],
] as const) {
  test(`${runtime}: a scenario runs, records both kinds of clients and checks valid`, async () => {
    const r = await runScenario(scenario(fault), { runtime, seed: 3, runsDir, id: runtime });
    assert.is(r.run.runtime, runtime);
    assert.is(r.run.traceHash, null, 'only sim runs have a trace hash');
    for (const kind of ['zk', 'redis'] as const) assert.ok(r.history.some((o) => o.kind === kind && o.outcome === 'ok'), `${kind} ops answered`);
    const injected = readFileSync(join(r.dir, 'events.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"type":"FaultInjected"'))
      .map((l) => (JSON.parse(l) as { fault: { kind: string } }).fault.kind);
    assert.equal(injected, [...kinds]);
    assert.is(r.verdict.verdict, 'valid', r.verdict.findings.join('; '));
  });
}

test('threads: the Eureka partition scenario checks valid, with self-preservation on every node and no eviction', async () => {
  const s = loadScenario(new URL('../../../scenarios/eureka-partition.yaml', import.meta.url).pathname);
  const r = await runScenario(s, { runtime: 'threads', seed: 3, runsDir, id: 'eureka' });
  const events = readFileSync(join(r.dir, 'events.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string; node: string });
  assert.equal([...new Set(events.filter((e) => e.type === 'SelfPreservationEntered').map((e) => e.node))].sort(), ['n1', 'n2', 'n3']);
  assert.not.ok(events.some((e) => e.type === 'InstanceEvicted'), 'nothing evicted');
  assert.is(r.history.filter((o) => o.kind === 'eureka' && o.final === true && o.outcome === 'ok').length, 3, 'every node answered the sweep');
  assert.is(r.verdict.verdict, 'valid', r.verdict.findings.join('; '));
});

test.after(() => rmSync(runsDir, { recursive: true, force: true }));
test.run();
