/**
 * The `conclave bench zk` load generator against the embedded cluster's client ports: it counts acknowledged
 * operations in both modes (run in its own process, as the bench does), failover writers report their
 * acknowledgements, a session reconnects with the same id after its connection is dropped, `srvr` replies parse.
 * No timing assertions: the bench measures speed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startEmbedded, type Started } from '../../src/start.js';
import { Err } from '../../src/wire/jute/index.js';
import { advantage, summarize } from '../../bench/zk.js';
import { LoadChild } from '../../bench/zk-load.js';
import { epochOfSrvr, fourLetterWord, modeOfSrvr, requestTemplate, sleep, ZkWireSession, type ServerAddress } from '../../bench/zk-wire.js';

let s: Started;
let servers: ServerAddress[];
test.before(async () => {
  s = await startEmbedded({ eurekaBasePort: 0, zkBasePort: 0 });
  servers = [...s.zk.values()].map((z) => ({ host: '127.0.0.1', port: z.port }));
});
test.after(async () => {
  await s.close();
});

test('throughput: the generator process counts acknowledged writes and reads', async () => {
  const gen = new LoadChild();
  try {
    const r = await gen.throughput({ servers, clients: 3, window: 4, size: 100, seconds: 1, parent: '/bench-test' });
    for (const m of [r.write, r.read]) {
      assert.ok(m.ops > 0, `${m.mode}: ops ${m.ops}`);
      // Errors are the cluster's doing (e.g. a leader change on a loaded machine); they are counted and named.
      assert.ok(m.errors === 0 || r.errorNames.length > 0, `${m.mode}: ${m.errors} errors`);
      assert.ok(m.opsPerSec > 0 && Number.isFinite(m.p50ms) && m.p99ms >= m.p50ms && m.maxms >= m.p99ms, JSON.stringify(m));
    }
    // The failover writers: synchronous writes from sessions on two servers, acknowledged and summarized.
    await gen.failoverStart({ servers, size: 100, parent: '/bench-test-fo' }, [1, 2], 1);
    await sleep(300);
    const p = await gen.failoverProgress();
    assert.is(p.lastAckWallMs.length, 2);
    const sum = await gen.failoverStop();
    assert.ok(sum.acks > 0, `acks ${sum.acks}`);
    assert.ok(sum.longestGapMs > 0, `the longest gap between two acknowledgements: ${sum.longestGapMs} ms`);
    assert.is(sum.sessionsExpired, 0);
    assert.equal(sum.failures, []);
  } finally {
    await gen.close();
  }
});

test('a dropped connection: the session reconnects to another server with the same id and writes go on', async () => {
  const session = new ZkWireSession(servers, 0);
  await session.open();
  try {
    const id = session.sessionId;
    const create = requestTemplate({ type: 'Create', path: '/bench-rc', data: null, acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], flags: 0 });
    const c = await session.call(create);
    assert.ok(c.err === Err.OK || c.err === Err.NODEEXISTS, `create ${c.err}`);
    const first = [...s.zk.values()][0]!;
    for (const conn of first.connections) conn.close('test drops it');
    const set = requestTemplate({ type: 'SetData', path: '/bench-rc', data: new Uint8Array(3), version: -1 });
    let ok = false;
    for (let attempt = 0; attempt < 50 && !ok; attempt++) {
      await session.whenConnected();
      ok = (await session.call(set)).err === Err.OK;
    }
    assert.ok(ok, 'a write after the reconnect');
    assert.ok(session.reconnects >= 1, `reconnects ${session.reconnects}`);
    assert.is(session.sessionId, id);
    assert.is.not(session.serverIndex, 0);
    assert.ok(!session.expired);
  } finally {
    await session.close();
  }
});

test('srvr replies: one leader, two followers; figures and advantage directions', async () => {
  const modes = await Promise.all(servers.map(async (a) => modeOfSrvr(await fourLetterWord(a, 'srvr'))));
  assert.equal([...modes].sort(), ['follower', 'follower', 'leader']);
  assert.is(modeOfSrvr('This ZooKeeper instance is not currently serving requests\n'), null);
  assert.is(epochOfSrvr('Latency min/avg/max: 0/0.0/0\nZxid: 0x300000007\nMode: leader\n'), 3);
  assert.is(advantage(200, 100, true), 2);
  assert.is(advantage(50, 100, false), 2);
  assert.ok(Number.isNaN(advantage(Number.NaN, 1, true)));
  assert.equal(summarize([3, 1, 2, Number.NaN]), { median: 2, worst: 3 });
});

test.run();
