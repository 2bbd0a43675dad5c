/**
 * Every shipped scenario under the simulator: on two seeds it gets the verdict it expects, and the same seed gives
 * the same event trace and the same history, byte for byte.
 */
import { readdirSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runScenario } from '../../src/lab/run.js';
import { loadScenario } from '../../src/lab/scenario.js';

const dir = new URL('../../../scenarios/', import.meta.url).pathname;
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
const runsDir = mkdtempSync(join(tmpdir(), 'conclave-lab-scenarios-'));
const seeds = [0x1, 0x2];

test('the shipped scenarios are there', () => {
  for (const f of ['leader-kill', 'partition-minority', 'partition-majority', 'leader-isolated', 'one-way-cut', 'flapping-links', 'slow-disk', 'clock-skew', 'rolling-restarts', 'redis-multi-failover', 'redis-queue-failover', 'redis-watch-failover', 'redis-blocking-failover']) {
    assert.ok(files.includes(`${f}.yaml`), f);
  }
});

for (const f of files) {
  test(`${f}: the expected verdict on seeds ${seeds.join(', ')}; a seed repeats its trace and history`, async () => {
    const s = loadScenario(join(dir, f));
    const hashes: string[] = [];
    for (const seed of [...seeds, seeds[0]!]) {
      const r = await runScenario(s, { runtime: 'sim', seed, runsDir, id: `${f}-${seed}-${hashes.length}` });
      assert.ok(r.history.filter((o) => o.outcome === 'ok').length > 100, `${f} seed ${seed}: clients got answers`);
      assert.is(r.verdict.verdict, s.expect, `${f} seed ${seed}: ${r.verdict.findings.slice(0, 2).join('; ')}`);
      hashes.push(`${r.run.traceHash} ${r.run.historyHash}`);
    }
    assert.is(hashes[2], hashes[0], 'same seed, same trace and history');
    assert.is.not(hashes[1], hashes[0], 'another seed, another run');
  });
}

test.after(() => rmSync(runsDir, { recursive: true, force: true }));
test.run();
