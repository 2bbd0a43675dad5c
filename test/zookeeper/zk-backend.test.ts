/**
 * ZkClusterBackend over a fake gateway (the node's zookeeper actor stubbed): a session's requests keep ZooKeeper's
 * per-session order (a read waits for the session's earlier writes), and whoAmI names digest users as ZooKeeper does.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SessionOrder } from '../../src/servers/zookeeper/session-order.js';
import { ZkClusterBackend, userOf, type ZkGateway } from '../../src/servers/zookeeper/backend.js';
import type { ZkConnection } from '../../src/servers/zookeeper/connection.js';
import type { ZkRequest } from '../../src/wire/jute/index.js';

const tick = () => new Promise<void>((r) => setTimeout(r, 5));

test('SessionOrder: a read waits for earlier writes, a write for earlier reads; runs of one kind start together', async () => {
  const o = new SessionOrder();
  const started: string[] = [];
  const w1 = o.enter('write');
  const w2 = o.enter('write');
  const r1 = o.enter('read');
  const r2 = o.enter('read');
  const w3 = o.enter('write');
  for (const [name, t] of [['w1', w1], ['w2', w2], ['r1', r1], ['r2', r2], ['w3', w3]] as const) void t.ready.then(() => started.push(name));
  await tick();
  assert.equal(started, ['w1', 'w2'], 'both writes pipelined, reads held');
  w1.done();
  await tick();
  assert.equal(started, ['w1', 'w2'], 'reads wait for every earlier write');
  w2.done();
  w2.done(); // a second done is ignored
  await tick();
  assert.equal(started, ['w1', 'w2', 'r1', 'r2']);
  r2.done();
  await tick();
  assert.equal(started, ['w1', 'w2', 'r1', 'r2'], 'the write waits for the earlier read');
  r1.done();
  await tick();
  assert.equal(started, ['w1', 'w2', 'r1', 'r2', 'w3']);
  assert.not.ok(o.idle);
  w3.done();
  assert.ok(o.idle);
  const late = o.enter('write');
  let lateStarted = false;
  void late.ready.then(() => (lateStarted = true));
  await tick();
  assert.ok(lateStarted, 'joins an idle tail group at once');
});

/* eslint-disable @typescript-eslint/no-explicit-any */
class FakeGateway implements ZkGateway {
  value = 'v0';
  zxid = 5;
  readonly writes: { msg: any; resolve: (r: any) => void }[] = [];
  readonly asked: string[] = [];
  private stat() {
    return { czxid: 1, mzxid: this.zxid, ctime: 0, mtime: 0, version: 0, cversion: 0, aversion: 0, ephemeralOwner: 0, dataLength: this.value.length, numChildren: 0, pzxid: 1 };
  }
  ask<R extends { type: string }>(_to: string, msg: any): Promise<R> {
    if (msg.type !== 'ZkPoll') this.asked.push(msg.type === 'ZkWrite' || msg.type === 'ZkRead' ? `${msg.type}:${msg.request.type}` : msg.type);
    switch (msg.type) {
      case 'ZkPoll':
        return new Promise((r) => setTimeout(() => r({ type: 'ZkEvents', events: [] } as any), 20));
      case 'ZkStatus':
        return Promise.resolve({ type: 'ZkStatusReply', role: 'leading', leaderNode: 'n1', epoch: 1, appliedZxid: this.zxid, pending: 0, watches: 0, sessionsTracked: 1 } as any);
      case 'ZkConnect':
        return Promise.resolve({ type: 'ZkConnected', sessionId: 77, timeoutMs: 10_000, zxid: this.zxid } as any);
      case 'ZkWrite':
        // the backend's proposal of the ensemble's session secret: this one is in effect
        if (msg.request.type === 'SessionSecret') return Promise.resolve({ type: 'ZkWriteDone', zxid: this.zxid, result: { type: 'SessionSecret', secret: msg.request.secret } } as any);
        return new Promise((resolve) => this.writes.push({ msg, resolve }));
      case 'ZkRead':
        return Promise.resolve({ type: 'ZkReadDone', zxid: this.zxid, result: { type: 'Data', data: new TextEncoder().encode(this.value), stat: this.stat() } } as any);
      default:
        return Promise.reject(new Error(`unexpected ${msg.type}`));
    }
  }
  send(): void {}
  /** Applies the oldest pending setData and answers it. */
  applyNextWrite(): void {
    const w = this.writes.shift()!;
    this.value = new TextDecoder().decode(w.msg.request.data);
    this.zxid++;
    w.resolve({ type: 'ZkWriteDone', zxid: this.zxid, result: { type: 'SetData', stat: this.stat() } });
  }
}

const fakeConn = { remote: '/127.0.0.1:40000', remoteAddress: '127.0.0.1', close() {}, notify() {} } as unknown as ZkConnection;
const setData = (v: string): ZkRequest => ({ type: 'SetData', path: '/a', data: new TextEncoder().encode(v), version: -1 });
const getData: ZkRequest = { type: 'GetData', path: '/a', watch: false };

test('backend: a pipelined getData after setData on the same session reads the new value', async () => {
  const gw = new FakeGateway();
  const backend = new ZkClusterBackend({ gateway: gw, node: 'n1' });
  try {
    const c = await backend.connect({ protocolVersion: 0, lastZxidSeen: 0n, timeOut: 10_000, sessionId: 0n, passwd: new Uint8Array(16) }, fakeConn);
    assert.is(c.kind, 'accepted');
    const sid = 77n;
    const s1 = backend.submit(sid, 1, setData('v1'), fakeConn);
    const s2 = backend.submit(sid, 2, setData('v2'), fakeConn);
    const g = backend.submit(sid, 3, getData, fakeConn);
    const s3 = backend.submit(sid, 4, setData('v3'), fakeConn);
    await tick();
    assert.equal(gw.asked.filter((a) => a.startsWith('Zk') && a !== 'ZkStatus' && a !== 'ZkConnect' && a !== 'ZkWrite:SessionSecret'), ['ZkWrite:SetData', 'ZkWrite:SetData'], 'writes pipelined, the read and the later write wait');
    gw.applyNextWrite();
    await tick();
    assert.is(gw.asked.filter((a) => a === 'ZkRead:GetData').length, 0, 'still one earlier write pending');
    gw.applyNextWrite();
    const r = await g;
    assert.is(r.err, 0);
    assert.is(new TextDecoder().decode((r.response as any).data), 'v2', 'sees its own earlier writes, not the later one');
    await tick();
    assert.is(gw.writes.length, 1, 'the write after the read went out once the read was answered');
    gw.applyNextWrite();
    assert.is((await s3).err, 0);
    assert.is((await s1).err, 0);
    assert.is((await s2).err, 0);
  } finally {
    backend.stop();
  }
});

test('whoAmI names a digest id by its user part, as ZooKeeper (DigestAuthenticationProvider.getUserName)', async () => {
  assert.is(userOf({ scheme: 'digest', id: 'javauser:NB2hNdODEtavRIYKZZ4Ef2dn6VM=' }), 'javauser');
  assert.is(userOf({ scheme: 'ip', id: '127.0.0.1' }), '127.0.0.1');
  const gw = new FakeGateway();
  const backend = new ZkClusterBackend({ gateway: gw, node: 'n1' });
  try {
    await backend.connect({ protocolVersion: 0, lastZxidSeen: 0n, timeOut: 10_000, sessionId: 0n, passwd: new Uint8Array(16) }, fakeConn);
    const a = await backend.submit(77n, 1, { type: 'Auth', authType: 0, scheme: 'digest', auth: new TextEncoder().encode('javauser:pw') }, fakeConn);
    assert.is(a.err, 0);
    const r = await backend.submit(77n, 2, { type: 'WhoAmI' }, fakeConn);
    assert.equal((r.response as any).clientInfo, [
      { authScheme: 'ip', user: '127.0.0.1' },
      { authScheme: 'digest', user: 'javauser' },
    ]);
  } finally {
    backend.stop();
  }
});

test('reconfig is refused with RECONFIGDISABLED, as ZooKeeper with reconfigEnabled=false (its default)', async () => {
  const gw = new FakeGateway();
  const backend = new ZkClusterBackend({ gateway: gw, node: 'n1' });
  try {
    await backend.connect({ protocolVersion: 0, lastZxidSeen: 0n, timeOut: 10_000, sessionId: 0n, passwd: new Uint8Array(16) }, fakeConn);
    const r = await backend.submit(77n, 1, { type: 'Reconfig', joiningServers: null, leavingServers: '3', newMembers: null, curConfigId: -1n }, fakeConn);
    assert.is(r.err, -123);
    assert.not.ok(gw.asked.some((a) => a.startsWith('ZkWrite') && a !== 'ZkWrite:SessionSecret'), 'nothing written');
  } finally {
    backend.stop();
  }
});

test.run();
