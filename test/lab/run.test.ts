/** The runner's records, `replay`, `shrink`, and a deliberately broken storage caught by the checker. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readRun, replayRun, runScenario, shrinkFaults, shrinkRun } from '../../src/lab/run.js';
import { parseScenarioYaml } from '../../src/lab/scenario.js';

const runsDir = mkdtempSync(join(tmpdir(), 'conclave-lab-run-'));

const yaml = (extra: string) => `name: test run
nodes: 3
durationMs: 2000
workload: { zkClients: 3, redisClients: 3, keys: 2, opsMax: 1000 }
${extra}
faults:
  - { fault: kill, target: all, atMs: 600 }
  - { fault: restart, target: all, atMs: 700 }
  - { fault: partition, shape: minority, atMs: 1200, forMs: 300 }
`;

test('a sim run records run.json, events, history and every message; replay repeats it, a changed trace fails', async () => {
  const r = await runScenario(parseScenarioYaml(yaml('')), { seed: 0x2a, runsDir, id: 'plain' });
  const { run, history } = readRun(r.dir);
  assert.is(run.seed, '0x0000002a');
  assert.is(run.runtime, 'sim');
  assert.is(history.length, r.history.length);
  assert.ok(history.some((o) => o.kind === 'zk' && o.op === 'setData' && o.outcome === 'ok' && typeof o.zxid === 'string' && typeof o.version === 'number'));
  assert.ok(history.some((o) => o.kind === 'redis' && o.op === 'multi' && o.outcome === 'ok' && Array.isArray(o.txnResults)));
  const events = readFileSync(join(r.dir, 'events.jsonl'), 'utf8');
  assert.match(events, /"type":"LabFault"/);
  assert.match(events, /"type":"FaultInjected"/);
  const first = JSON.parse(readFileSync(join(r.dir, 'messages.jsonl'), 'utf8').split('\n')[0]!) as { sentMs: number; deliverMs: number };
  assert.ok(first.deliverMs >= first.sentMs);
  assert.is(run.messagesRecorded, readFileSync(join(r.dir, 'messages.jsonl'), 'utf8').split('\n').length - 1);
  assert.ok(existsSync(join(r.dir, 'verdict.json')));

  const again = await replayRun(r.dir);
  assert.ok(again.same, JSON.stringify(again));
  writeFileSync(join(r.dir, 'run.json'), JSON.stringify({ ...run, traceHash: '0'.repeat(64) }));
  assert.not.ok((await replayRun(r.dir)).same, 'a trace that differs fails the replay');
});

test('a deliberately broken storage (drops a logged entry on one node) turns the verdict to violation', async () => {
  const ok = await runScenario(parseScenarioYaml(yaml('')), { seed: 1, runsDir, id: 'healthy' });
  assert.is(ok.verdict.verdict, 'valid', ok.verdict.findings.join('; '));
  const bad = await runScenario(parseScenarioYaml(yaml('broken: { node: n2, storage: { dropLoggedEntryNth: 30 } }')), { seed: 1, runsDir, id: 'broken' });
  assert.is(bad.verdict.verdict, 'violation');
  assert.ok(bad.verdict.ops.length > 0, 'the ops that explain it');
});

test('shrinkFaults keeps only what the failure needs', async () => {
  let runs = 0;
  const fails = async (p: readonly string[]) => (runs++, p.includes('b') && p.includes('e'));
  assert.equal(await shrinkFaults(['a', 'b', 'c', 'd', 'e', 'f'], fails, 100), ['b', 'e']);
  assert.ok(runs <= 12, `${runs} tries`);
  assert.equal((await shrinkFaults(['a', 'b', 'c'], async () => true, 2)).length, 1, 'bounded by runsMax');
});

test('shrink: a failing run cut down to the faults it needs, written as a scenario that still fails', async () => {
  const bad = await runScenario(parseScenarioYaml(yaml('broken: { node: n2, storage: { dropLoggedEntryNth: 30 } }')), { seed: 1, runsDir, id: 'to-shrink' });
  assert.is(bad.verdict.verdict, 'violation');
  const s = await shrinkRun(bad.dir);
  assert.ok(s.faults.length < 3, `${s.faults.length} faults left`);
  assert.is(s.removed, 3 - s.faults.length);
  const shrunk = parseScenarioYaml(readFileSync(s.path, 'utf8'));
  assert.equal(shrunk.faults, s.faults);
  const again = await runScenario(shrunk, { runsDir, id: 'shrunk' });
  assert.is(again.verdict.verdict, 'violation', 'the shrunk scenario (with its seed) still fails');
  await shrinkRun(join(runsDir, 'healthy')).then(
    () => assert.unreachable('a valid run has nothing to shrink'),
    (e: Error) => assert.match(e.message, /does not fail/),
  );
});

test.after(() => rmSync(runsDir, { recursive: true, force: true }));
test.run();
