/**
 * A 3-process ensemble of `conclave node zoo.cfg` members on loopback, from three generated zoo.cfg files: a
 * leader elected, writes through one member read through another, Eureka replicated between members, SIGTERM
 * exiting 0 and a full restart on the same dataDirs resuming, SIGKILL of the leader followed by a new leader.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Redis } from 'ioredis';
import { connectZk } from '../../src/cluster.js';
import { Ensemble, admin, waitForLeader } from './helpers.js';

const ids = [1, 2, 3];
const electionTimeoutMs = 15_000;
const dec = new TextDecoder();

const ens = new Ensemble(ids);
const members = ens.members;
const startMember = (id: number) => ens.start(id);
let ports = ens.ports;

test.before(async () => {
  await ens.write('conclave-node-');
  ports = ens.ports;
});

test.after(() => ens.dispose());

test('three members from zoo.cfg elect one leader; the admin port reports roles and configuration', async () => {
  const t0 = Date.now();
  await Promise.all(ids.map(startMember));
  const leader = await waitForLeader([...ports.values()], electionTimeoutMs);
  console.log(`  leader n${leader} agreed by all three ${Date.now() - t0} ms after the processes were forked`);
  const roles = await Promise.all(ids.map(async (id) => ((await admin(ports.get(id)!.admin, 'srvr'))?.server_stats as { server_state: string }).server_state));
  assert.equal(roles.slice().sort(), ['follower', 'follower', 'leader']);
  const conf = await admin(ports.get(1)!.admin, 'configuration');
  assert.is(conf?.tick_time, 2000);
  assert.is(conf?.min_session_timeout, 4000);
  assert.is(conf?.max_session_timeout, 40000);
  assert.is(conf?.client_port, ports.get(1)!.client);
  assert.is((await admin(ports.get(2)!.admin, 'nope'))?.error, 'Unknown command: nope');
  assert.match(members.get(1)!.output, /zookeeper 127\.0\.0\.1:\d+/);
});

test('a write through one member is read through another; session timeouts are clamped to [2, 20] x tickTime', async () => {
  const a = await connectZk(members.get(1)!.gateway, 'n1', { sessionTimeoutMs: 1_000 });
  const b = await connectZk(members.get(3)!.gateway, 'n3', { sessionTimeoutMs: 100_000 });
  assert.is(a.timeoutMs, 4000);
  assert.is(b.timeoutMs, 40000);
  assert.is(await a.create('/conf', 'v1'), '/conf');
  await a.setData('/conf', 'v2');
  const seq = await a.create('/conf/item-', 'x', { mode: 2 });
  await b.sync();
  assert.is(dec.decode((await b.getData('/conf')).data), 'v2');
  assert.equal(await b.getChildren('/conf'), [seq.slice('/conf/'.length)]);
  // a watch set through n3 fires on a write through n1
  const fired = new Promise<string>((resolve, reject) => b.watch('/conf', 'data').subscribe({ next: (e) => resolve(e.event), error: reject }));
  await new Promise((r) => setTimeout(r, 100));
  await a.setData('/conf', 'v3');
  assert.is(await fired, 'NodeDataChanged');
  await a.close();
  await b.close();
});

test('RESP on redisPort: a SET on one member is read on the others (linearizable reads)', async () => {
  const rs = [1, 2, 3].map((id) => new Redis({ port: ports.get(id)!.redis, host: '127.0.0.1', maxRetriesPerRequest: 1 }));
  try {
    assert.is(await rs[0]!.set('member-key', 'v'), 'OK');
    assert.is(await rs[1]!.get('member-key'), 'v');
    assert.is(await rs[2]!.get('member-key'), 'v');
  } finally {
    for (const r of rs) r.disconnect();
  }
});

test('Eureka on eurekaPort: an instance registered on one member shows on another', async () => {
  const body = {
    instance: {
      app: 'ORDERS',
      hostName: 'orders-1',
      instanceId: 'orders-1',
      ipAddr: '127.0.0.1',
      port: { $: 9000, '@enabled': 'true' },
      vipAddress: 'orders',
      status: 'UP',
      dataCenterInfo: { '@class': 'com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo', name: 'MyOwn' },
    },
  };
  const url = (id: number) => `http://127.0.0.1:${ports.get(id)!.eureka}/eureka/v2/apps/ORDERS`;
  const reg = await fetch(url(2), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.is(reg.status, 204);
  const t0 = Date.now();
  let seen = false;
  while (!seen && Date.now() - t0 < 10_000) {
    const r = await fetch(`${url(3)}/orders-1`, { headers: { accept: 'application/json' } });
    seen = r.status === 200;
    if (!seen) await new Promise((res) => setTimeout(res, 50));
  }
  assert.ok(seen, 'registered on n2, visible on n3');
  console.log(`  eureka: n2 -> n3 in ${Date.now() - t0} ms`);
});

test('SIGTERM of one follower exits 0; restarted on its dataDir it catches up with what it missed', async () => {
  const leader = await waitForLeader([...ports.values()], electionTimeoutMs);
  const follower = ids.find((id) => id !== leader)!;
  const { code } = await members.get(follower)!.stop();
  assert.is(code, 0);
  assert.match(members.get(follower)!.output, /stopping \(SIGTERM\)[\s\S]*stopped/);
  const w = await connectZk(members.get(leader)!.gateway, `n${leader}`);
  await w.create('/while-down', 'missed');
  await w.close();
  const t0 = Date.now();
  await startMember(follower);
  const r = await connectZk(members.get(follower)!.gateway, `n${follower}`);
  await r.sync();
  assert.is(dec.decode((await r.getData('/while-down')).data), 'missed');
  assert.is(dec.decode((await r.getData('/conf')).data), 'v3');
  console.log(`  n${follower} restarted and caught up in ${Date.now() - t0} ms`);
  await r.close();
});

test('SIGTERM exits 0; all three restarted on the same dataDirs resume with their data', async () => {
  const t0 = Date.now();
  const exits = await Promise.all(ids.map((id) => members.get(id)!.stop()));
  assert.equal(exits.map((e) => e.code), [0, 0, 0]);
  console.log(`  three members stopped by SIGTERM in ${Date.now() - t0} ms`);
  assert.ok(existsSync(join(ens.base, 'n1', 'data', 'conclave')), 'files under dataDir/conclave');
  assert.ok(readdirSync(join(ens.base, 'n1', 'data', 'conclave', 'log')).length > 0, 'a write-ahead log');
  const t1 = Date.now();
  await Promise.all(ids.map(startMember));
  await waitForLeader([...ports.values()], electionTimeoutMs);
  console.log(`  restarted and led again in ${Date.now() - t1} ms`);
  const c = await connectZk(members.get(2)!.gateway, 'n2');
  await c.sync();
  assert.is(dec.decode((await c.getData('/conf')).data), 'v3');
  assert.is((await c.getChildren('/conf')).length, 1);
  await c.close();
});

test('SIGKILL of the leader: the survivors elect a new leader and take writes; the old leader rejoins', async () => {
  const old = await waitForLeader([...ports.values()], electionTimeoutMs);
  const survivors = ids.filter((id) => id !== old);
  const t0 = Date.now();
  members.get(old)!.signal('SIGKILL');
  const { signal } = await members.get(old)!.exited;
  assert.is(signal, 'SIGKILL');
  const next = await waitForLeader(survivors.map((id) => ports.get(id)!), electionTimeoutMs, old);
  console.log(`  leader n${old} killed; n${next} leads the survivors after ${Date.now() - t0} ms`);
  assert.ok(survivors.includes(next));
  const c = await connectZk(members.get(survivors[0]!)!.gateway, `n${survivors[0]}`);
  await c.create('/after-failover', 'ok');
  await c.close();
  await startMember(old);
  await waitForLeader([...ports.values()], electionTimeoutMs);
  const r = await connectZk(members.get(old)!.gateway, `n${old}`);
  await r.sync();
  assert.is(dec.decode((await r.getData('/after-failover')).data), 'ok');
  await r.close();
});

test.run();
