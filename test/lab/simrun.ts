/**
 * A small simulated run written as a run directory (run.json, events.jsonl, history.jsonl, messages.jsonl): three
 * nodes, one client writing and reading, the leader killed half-way. For the dashboard's tests of recorded runs
 * and report.html.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCluster, ZkError } from '../../src/cluster.js';
import type { HistoryOp } from '../../src/lab/history.js';
import type { ClusterEvent } from '../../src/protocol/events.js';
import { zxidHex } from '../../src/protocol/zxid.js';
import type { SimRuntime } from '../../src/runtime/sim/sim.js';
import type { RecordedMessage } from '../../src/lab/recorded.js';

export async function writeSimRun(dir: string, seed = 7, opsCount = 40): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const cluster = await createCluster({ runtime: 'sim', seed });
  const sim = cluster.runtime as SimRuntime;
  const events: ClusterEvent[] = [];
  const messages: RecordedMessage[] = [];
  const history: HistoryOp[] = [];
  cluster.events$.subscribe((e) => events.push(e));
  sim.onMessage = (m) => messages.push(m);
  try {
    await cluster.waitForLeader();
    let zk = await cluster.client({ node: 'n1' });
    await zk.create('/k', '');
    for (let i = 0; i < opsCount; i++) {
      if (i === opsCount / 2) await cluster.kill(cluster.leader() ?? 'n1');
      const callMs = sim.now();
      const write = i % 2 === 0;
      const value = `v${i}`;
      const base = { id: i + 1, client: 'c1', node: zk.node, kind: 'zk' as const, path: '/k', session: zk.sessionId.toString(16), callMs };
      try {
        if (write) {
          const st = await zk.setData('/k', value);
          history.push({ ...base, op: 'setData', value, zxid: zxidHex(st.mzxid), version: st.version, returnMs: sim.now(), outcome: 'ok' });
        } else {
          const r = await zk.getData('/k');
          history.push({ ...base, op: 'getData', value: new TextDecoder().decode(r.data), zxid: zxidHex(r.stat.mzxid), version: r.stat.version, returnMs: sim.now(), outcome: 'ok' });
        }
      } catch (e) {
        history.push({ ...base, op: write ? 'setData' : 'getData', returnMs: e instanceof ZkError ? sim.now() : null, outcome: e instanceof ZkError || !write ? 'fail' : 'unknown', error: (e as Error).message });
        if (!(e instanceof ZkError)) zk = await cluster.client({ node: cluster.nodes.find((n) => sim.isUp(n) && n !== zk.node) ?? 'n2' });
      }
      await sim.sleep(20);
    }
  } finally {
    await cluster.close();
  }
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ version: 1, id: 'test-sim', seed: `0x${seed.toString(16)}`, runtime: 'sim', scenario: 'leader killed under load', nodes: cluster.nodes }));
  writeFileSync(join(dir, 'events.jsonl'), events.map((e) => JSON.stringify(e) + '\n').join(''));
  writeFileSync(join(dir, 'history.jsonl'), history.map((o) => JSON.stringify(o) + '\n').join(''));
  writeFileSync(join(dir, 'messages.jsonl'), messages.map((m) => JSON.stringify(m) + '\n').join(''));
}
