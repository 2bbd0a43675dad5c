/** Scenarios on the live runtimes: worker threads (a follower killed) and processes over TCP (the leader paused). */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runScenario } from '../../src/lab/run.js';
import { parseScenarioYaml } from '../../src/lab/scenario.js';

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

test.after(() => rmSync(runsDir, { recursive: true, force: true }));
test.run();
