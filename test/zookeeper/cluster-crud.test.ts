/**
 * node-zookeeper-client 1.1.3 against the client ports of an embedded 3-node cluster (`startEmbedded`): CRUD,
 * ephemeral and sequential nodes, watches, transactions, digest auth and ACLs, sync across servers.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { call, closeClient, codeOf, connect, ports, rawSync, startCluster, zookeeper } from './cluster-helpers.js';
import type { Started } from '../../src/start.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
let s: Started;
test.before(async () => {
  s = await startCluster();
});
test.after(async () => {
  await s.close();
});

test('CRUD, sequential and ephemeral nodes (ephemerals gone after close), read on another server after sync', async () => {
  const [p1, p2] = ports(s);
  const a = await connect(`127.0.0.1:${p1}`);
  const b = await connect(`127.0.0.1:${p2}`);
  try {
    assert.is(await call((cb) => a.create('/crud', Buffer.from('v1'), cb)), '/crud');
    assert.is(await codeOf(call((cb) => a.create('/crud', Buffer.from('x'), cb))), zookeeper.Exception.NODE_EXISTS);
    const [data, stat] = await call<[Buffer, any]>((cb) => a.getData('/crud', cb));
    assert.is(data.toString(), 'v1');
    assert.is(stat.version, 0);
    const st2 = await call<any>((cb) => a.setData('/crud', Buffer.from('v2'), 0, cb));
    assert.is(st2.version, 1);
    assert.is(await codeOf(call((cb) => a.setData('/crud', Buffer.from('v3'), 0, cb))), zookeeper.Exception.BAD_VERSION);
    const s1 = await call<string>((cb) => a.create('/crud/s-', Buffer.from(''), zookeeper.CreateMode.PERSISTENT_SEQUENTIAL, cb));
    const s2 = await call<string>((cb) => a.create('/crud/s-', Buffer.from(''), zookeeper.CreateMode.PERSISTENT_SEQUENTIAL, cb));
    assert.is(s1, '/crud/s-0000000000');
    assert.is(s2, '/crud/s-0000000001');
    const e = await call<string>((cb) => a.create('/crud/eph', Buffer.from('e'), zookeeper.CreateMode.EPHEMERAL, cb));
    assert.is(e, '/crud/eph');
    const es = await call<any>((cb) => a.exists('/crud/eph', cb));
    assert.ok(es.ephemeralOwner.readBigInt64BE(0) > 0n, 'ephemeral owner set');
    assert.is(await codeOf(call((cb) => a.remove('/crud', -1, cb))), zookeeper.Exception.NOT_EMPTY);

    // Written through server 1, read on server 2 after sync.
    await rawSync(p2!);
    const [children] = await call<[string[], any]>((cb) => b.getChildren('/crud', cb));
    assert.equal(children.sort(), ['eph', 's-0000000000', 's-0000000001']);
    const [d2] = await call<[Buffer, any]>((cb) => b.getData('/crud', cb));
    assert.is(d2.toString(), 'v2');

    await closeClient(a);
    let gone = false;
    for (let i = 0; i < 100 && !gone; i++) {
      await rawSync(p2!);
      gone = (await call<any>((cb) => b.exists('/crud/eph', cb))) === null;
      if (!gone) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(gone, 'ephemeral removed with its session');
    await call((cb) => b.remove('/crud/s-0000000000', -1, cb));
    assert.is(await codeOf(call((cb) => b.getData('/crud/s-0000000000', cb))), zookeeper.Exception.NO_NODE);
  } finally {
    a.close();
    await closeClient(b);
  }
});

test('watches: data, exists and children each fire once', async () => {
  const [p1, , p3] = ports(s);
  const a = await connect(`127.0.0.1:${p1}`);
  const w = await connect(`127.0.0.1:${p3}`);
  try {
    await call((cb) => a.create('/w', Buffer.from('0'), cb));
    await rawSync(p3!);
    const events: string[] = [];
    const dataWatch = new Promise<any>((resolve) => w.getData('/w', (ev: any) => (events.push(`data:${ev.getName()}`), resolve(ev)), () => undefined));
    const existsWatch = new Promise<any>((resolve) => w.exists('/w/new', (ev: any) => (events.push(`exists:${ev.getName()}`), resolve(ev)), () => undefined));
    const childWatch = new Promise<any>((resolve) => w.getChildren('/w', (ev: any) => (events.push(`children:${ev.getName()}`), resolve(ev)), () => undefined));
    await call((cb) => w.exists('/w', cb)); // replies come in order: the three watches are set
    await call((cb) => a.setData('/w', Buffer.from('1'), -1, cb));
    await call((cb) => a.create('/w/new', Buffer.from(''), cb));
    const [d, e, c] = await Promise.all([dataWatch, existsWatch, childWatch]);
    assert.is(d.getType(), zookeeper.Event.NODE_DATA_CHANGED);
    assert.is(d.getPath(), '/w');
    assert.is(e.getType(), zookeeper.Event.NODE_CREATED);
    assert.is(e.getPath(), '/w/new');
    assert.is(c.getType(), zookeeper.Event.NODE_CHILDREN_CHANGED);
    // One-shot: more changes fire nothing more.
    await call((cb) => a.setData('/w', Buffer.from('2'), -1, cb));
    await call((cb) => a.create('/w/new2', Buffer.from(''), cb));
    await call((cb) => a.setData('/w/new', Buffer.from('x'), -1, cb));
    await rawSync(p3!);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(events.sort(), ['children:NODE_CHILDREN_CHANGED', 'data:NODE_DATA_CHANGED', 'exists:NODE_CREATED']);
  } finally {
    await closeClient(a);
    await closeClient(w);
  }
});

test('/zookeeper/config lists the nodes with their client ports, as server.N= lines (what ensemble trackers read)', async () => {
  const ps = ports(s);
  const c = await connect(`127.0.0.1:${ps[1]}`);
  try {
    const [data] = await call<[Buffer, any]>((cb) => c.getData('/zookeeper/config', cb));
    assert.equal(
      data.toString().split('\n'),
      [...ps.map((p, i) => `server.${i + 1}=127.0.0.1:0:0:participant;127.0.0.1:${p}`), 'version=0'],
    );
  } finally {
    await closeClient(c);
  }
});

test('transactions: success applies all; failure applies nothing', async () => {
  const [p1, p2] = ports(s);
  const a = await connect(`127.0.0.1:${p2}`);
  try {
    const results = await call<any[]>((cb) => a.transaction().create('/tx', Buffer.from('t')).create('/tx/a').setData('/tx', Buffer.from('u'), 0).check('/tx', 1).commit(cb));
    assert.equal(results.map((r: any) => r.type), [1, 1, 5, 13]);
    const failed = await codeOf(call((cb) => a.transaction().create('/tx/b').remove('/tx/a').check('/tx', 7).commit(cb)));
    assert.is(failed, zookeeper.Exception.BAD_VERSION);
    assert.is(await call((cb) => a.exists('/tx/b', cb)), null, 'create rolled back');
    assert.ok(await call((cb) => a.exists('/tx/a', cb)), 'delete rolled back');
    void p1;
  } finally {
    await closeClient(a);
  }
});

test('digest auth: an ACL for one user refuses another session; getACL shows it', async () => {
  const [p1, p2] = ports(s);
  const owner = await connect(`127.0.0.1:${p1}`);
  const other = await connect(`127.0.0.1:${p2}`);
  try {
    owner.addAuthInfo('digest', Buffer.from('alice:secret'));
    const acl = [new zookeeper.ACL(zookeeper.Permission.ALL, new zookeeper.Id('auth', ''))];
    await call((cb) => owner.create('/secure', Buffer.from('s'), acl, zookeeper.CreateMode.PERSISTENT, cb));
    const [d] = await call<[Buffer, any]>((cb) => owner.getData('/secure', cb));
    assert.is(d.toString(), 's');
    const [acls] = await call<[any[], any]>((cb) => owner.getACL('/secure', cb));
    assert.is(acls.length, 1);
    assert.is(acls[0].id.scheme, 'digest');
    assert.match(acls[0].id.id, /^alice:/);
    await rawSync(p2!);
    assert.is(await codeOf(call((cb) => other.getData('/secure', cb))), zookeeper.Exception.NO_AUTH);
    assert.is(await codeOf(call((cb) => other.setData('/secure', Buffer.from('x'), -1, cb))), zookeeper.Exception.NO_AUTH);
    other.addAuthInfo('digest', Buffer.from('alice:wrong'));
    assert.is(await codeOf(call((cb) => other.getData('/secure', cb))), zookeeper.Exception.NO_AUTH);
  } finally {
    await closeClient(owner);
    await closeClient(other);
  }
});

test.run();
