/**
 * The registry checker (src/lab/check/registry.ts) on hand-made histories (each check passes a good one and fails the
 * broken one it exists for), and the shipped Eureka partition scenario under the simulator: valid as shipped, a
 * violation once self-preservation is turned off (the lone node evicts every instance it stops hearing about).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkHistory } from '../../src/lab/check/index.js';
import { evictionLimit } from '../../src/lab/check/registry.js';
import type { EurekaOp } from '../../src/lab/history.js';
import { runScenario } from '../../src/lab/run.js';
import { loadScenario, parseScenario } from '../../src/lab/scenario.js';

const expiryMs = 1_000;
const ids = Array.from({ length: 10 }, (_, i) => `LAB/i${i}`);

/** Every instance renews on n1 every 100 ms over [0, endMs); queries of `node` every 200 ms list what `listed(t)` says. */
function history(endMs: number, listed: (node: string, t: number) => readonly string[], nodes = ['n1', 'n2'], sweep?: (node: string) => readonly string[]): EurekaOp[] {
  const ops: EurekaOp[] = [];
  const add = (o: Omit<EurekaOp, 'id' | 'kind'>) => ops.push({ ...o, id: ops.length, kind: 'eureka' } as EurekaOp);
  for (let t = 0; t < endMs; t += 100) {
    for (const [i, id] of ids.entries()) {
      add({ client: `c${i}`, node: 'n1', instance: id, op: t === 0 ? 'register' : 'renew', callMs: t, returnMs: t + 1, outcome: 'ok', code: t === 0 ? 204 : 200, expiryMs });
    }
    if (t % 200 === 100) for (const n of nodes) add({ client: 'q', node: n, instance: '', op: 'query', callMs: t + 2, returnMs: t + 3, outcome: 'ok', instances: [...listed(n, t)] });
  }
  if (sweep !== undefined) for (const n of nodes) add({ client: '$sweep', node: n, instance: '', op: 'query', callMs: endMs, returnMs: endMs + 1, outcome: 'ok', instances: [...sweep(n)], final: true });
  return ops;
}

test('eviction limit per run is Eureka\'s (15 %, at least one)', () => {
  assert.is(evictionLimit(10), 2);
  assert.is(evictionLimit(6), 1);
  assert.is(evictionLimit(100), 15);
  assert.is(evictionLimit(0), 0);
});

test('a registry that keeps every renewing instance and converges is valid', () => {
  const v = checkHistory(history(3_000, () => ids, undefined, () => ids));
  assert.is(v.verdict, 'valid', v.findings.join('; '));
});

test('renewing instances evicted en masse at one node are a violation; one eviction run\'s worth is not', () => {
  const mass = checkHistory(history(3_000, (n, t) => (n === 'n2' && t > 1_500 ? ids.slice(0, 5) : ids)));
  assert.is(mass.verdict, 'violation');
  assert.match(mass.findings[0]!, /n2: 5 instances vanished while their clients kept renewing/);
  assert.is(mass.ops.length, 2, 'the query that listed one and the one that did not');
  const few = checkHistory(history(3_000, (n, t) => (n === 'n2' && t > 1_500 ? ids.slice(0, 8) : ids)));
  assert.is(few.verdict, 'valid', few.findings.join('; '));
});

test('instances whose leases lapsed (renewals stopped longer than the expiry) or were cancelled may go', () => {
  // renewals only until 1,000 ms: every lease may expire by 2,000 ms
  const lapsed = history(3_000, (_n, t) => (t > 2_100 ? [] : ids)).filter((o) => o.op !== 'renew' || o.callMs < 1_000);
  assert.is(checkHistory(lapsed).verdict, 'valid', 'lapsed leases');
  const ops = history(3_000, (n, t) => (n === 'n2' && t > 1_500 ? [] : ids));
  const cancels = ids.map((id, i): EurekaOp => ({ id: ops.length + i, kind: 'eureka', client: `c${i}`, node: 'n1', instance: id, op: 'cancel', callMs: 1_400, returnMs: 1_401, outcome: 'ok', code: 200 }));
  assert.is(checkHistory([...ops, ...cancels]).verdict, 'valid', 'cancelled');
});

test('nodes that differ at the final sweep, or miss a live instance there, are a violation', () => {
  const differ = checkHistory(history(2_000, () => ids, undefined, (n) => (n === 'n2' ? [...ids, 'LAB/ghost'] : ids)));
  assert.is(differ.verdict, 'violation');
  assert.match(differ.findings[0]!, /did not converge.*only on n2: LAB\/ghost/);
  const missing = checkHistory(history(2_000, () => ids, undefined, () => ids.slice(1)));
  assert.is(missing.verdict, 'violation');
  assert.match(missing.findings.join('\n'), /misses 1 live instances at the final sweep \(LAB\/i0\)/);
  const unanswered = history(2_000, () => ids, undefined, () => ids).map((o) => (o.final === true && o.node === 'n2' ? { ...o, outcome: 'fail' as const, returnMs: o.returnMs, instances: undefined } : o));
  assert.match(checkHistory(unanswered).findings[0]!, /final sweep got no registry from n2/);
});

const runsDir = mkdtempSync(join(tmpdir(), 'conclave-lab-registry-'));
const scenarioPath = new URL('../../../scenarios/eureka-partition.yaml', import.meta.url).pathname;

test('eureka-partition: self-preservation on every node, nothing evicted, converged at the sweep; without self-preservation a violation', async () => {
  const s = loadScenario(scenarioPath);
  const r = await runScenario(s, { runtime: 'sim', seed: 5, runsDir, id: 'on' });
  assert.is(r.verdict.verdict, 'valid', r.verdict.findings.join('; '));
  const events = readFileSync(join(r.dir, 'events.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; node: string });
  assert.equal([...new Set(events.filter((e) => e.type === 'SelfPreservationEntered').map((e) => e.node))].sort(), ['n1', 'n2', 'n3']);
  assert.not.ok(events.some((e) => e.type === 'InstanceEvicted'));
  const sweep = r.history.filter((o) => o.kind === 'eureka' && o.final === true) as EurekaOp[];
  assert.is(sweep.length, 3);
  assert.ok(sweep.every((o) => o.outcome === 'ok' && o.instances!.length === 9), JSON.stringify(sweep));

  const off = parseScenario({ ...(JSON.parse(JSON.stringify(r.run.scenario)) as object), registry: { ...s.registry, selfPreservationEnabled: false } });
  const broken = await runScenario(off, { runtime: 'sim', seed: 5, runsDir, id: 'off' });
  assert.is(broken.verdict.verdict, 'violation');
  assert.match(broken.verdict.findings[0]!, /instances vanished while their clients kept renewing/);
});

test.after(() => rmSync(runsDir, { recursive: true, force: true }));
test.run();
