/**
 * Persistent and recursive watches (addWatch 106), checkWatches (17), removeWatches (18), setWatches2 (105) and the
 * four-letter words wchs/wchc/wchp, as raw jute frames over sockets against the client ports of an embedded 3-node
 * cluster. The watcher and the writer use different servers, so every event crossed the ensemble.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Started } from '../../src/start.js';
import { startZkServers } from '../../src/servers/zookeeper/serve.js';
import { AddWatchMode, Err, EventType, WatcherType, javaHex, type WatcherEvent } from '../../src/wire/jute/index.js';
import { RawZk, fourLetterWord } from './raw-zk.js';
import { digestId } from '../../src/servers/zookeeper/backend.js';
import { startCluster } from './cluster-helpers.js';

const eventName = new Map<number, string>(Object.entries(EventType).map(([k, v]) => [v, k]));
const show = (events: readonly WatcherEvent[]) => events.map((e) => `${eventName.get(e.type) ?? e.type} ${e.path}`);
/** Polls of a four-letter word until its cached snapshot (refreshed every 500 ms) shows a change. */
const fourLetterPollsMax = 40;
const fourLetterPollPauseMs = 250;

let s: Started;
let p1: number;
let p2: number;
let p3: number;
test.before(async () => {
  s = await startCluster({ fourLetterWords: ['*'] });
  [p1, p2, p3] = [...s.zk.values()].map((z) => z.port) as [number, number, number];
});
test.after(async () => {
  await s.close();
});

/** A watcher on server 1 and a writer on server 2, closed after `body`. */
async function pair(body: (watcher: RawZk, writer: RawZk) => Promise<void>): Promise<void> {
  const watcher = await RawZk.open(p1);
  const writer = await RawZk.open(p2);
  try {
    await body(watcher, writer);
  } finally {
    await watcher.close();
    await writer.close();
  }
}

/** Polls a four-letter word on `port` until `ok` holds for its reply; returns the last reply. */
async function fourLetterUntil(port: number, word: string, ok: (reply: string) => boolean): Promise<string> {
  let reply = '';
  for (let i = 0; i < fourLetterPollsMax; i++) {
    reply = await fourLetterWord(port, word);
    if (ok(reply)) return reply;
    await new Promise((r) => setTimeout(r, fourLetterPollPauseMs));
  }
  return reply;
}

test('addWatch PERSISTENT: fires for every change of its path, NodeChildrenChanged included, and stays', async () => {
  await pair(async (w, b) => {
    const r = await w.ok({ type: 'AddWatch', path: '/pw', mode: AddWatchMode.PERSISTENT });
    assert.is(r.response?.type, 'AddWatch');
    assert.is(r.payloadBytes, 16 + 4, 'ReplyHeader + ErrorResponse{0}, as ZooKeeper answers addWatch');
    await b.create('/pw', 'a');
    await b.setData('/pw', 'b');
    await b.setData('/pw', 'c');
    await b.create('/pw/c1');
    await b.create('/pw/c1/deeper'); // a grandchild: no event for /pw
    await b.delete('/pw/c1/deeper');
    await b.delete('/pw/c1');
    await b.delete('/pw');
    await b.create('/pw', 'again');
    await b.setData('/pw', 'end');
    assert.equal(show(await w.eventsUntil(8)), [
      'NodeCreated /pw',
      'NodeDataChanged /pw',
      'NodeDataChanged /pw',
      'NodeChildrenChanged /pw',
      'NodeChildrenChanged /pw',
      'NodeDeleted /pw',
      'NodeCreated /pw',
      'NodeDataChanged /pw',
    ]);
    assert.is(await w.err({ type: 'CheckWatches', path: '/pw', watcherType: WatcherType.Any }), Err.OK, 'still there after firing');
  });
});

test('addWatch PERSISTENT_RECURSIVE: the path and every descendant, never NodeChildrenChanged', async () => {
  await pair(async (w, b) => {
    await w.ok({ type: 'AddWatch', path: '/rw', mode: AddWatchMode.PERSISTENT_RECURSIVE });
    await b.create('/rw');
    await b.create('/rw/a');
    await b.create('/rw/a/b', 'x');
    await b.setData('/rw/a/b', 'y');
    await b.create('/rwx'); // shares the prefix, not below /rw
    await b.delete('/rw/a/b');
    await b.setData('/rw', 'end');
    assert.equal(show(await w.eventsUntil(6)), [
      'NodeCreated /rw',
      'NodeCreated /rw/a',
      'NodeCreated /rw/a/b',
      'NodeDataChanged /rw/a/b',
      'NodeDeleted /rw/a/b',
      'NodeDataChanged /rw',
    ]);
  });
});

test('a one-shot and a persistent watch of one session on one path: one event per change', async () => {
  await pair(async (w, b) => {
    await b.create('/dd', '0');
    await w.ok({ type: 'Sync', path: '/dd' }); // the watcher's server has the node before the watches go on
    await w.ok({ type: 'AddWatch', path: '/dd', mode: AddWatchMode.PERSISTENT });
    await w.ok({ type: 'GetData', path: '/dd', watch: true });
    await w.ok({ type: 'Exists', path: '/dd', watch: true });
    await b.setData('/dd', '1'); // the one-shots and the persistent watch: one event
    await b.setData('/dd', '2'); // the persistent watch alone
    await b.create('/dd/kid');
    assert.equal(show(await w.eventsUntil(3)), ['NodeDataChanged /dd', 'NodeDataChanged /dd', 'NodeChildrenChanged /dd']);
    assert.is(await w.err({ type: 'CheckWatches', path: '/dd', watcherType: WatcherType.Data }), Err.NOWATCHER, 'the one-shot data watches fired');
  });
});

test('checkWatches and removeWatches: types Children, Data, Any; NOWATCHER when none; bad numbers MARSHALLINGERROR', async () => {
  await pair(async (w, b) => {
    const check = (path: string, watcherType: number) => w.err({ type: 'CheckWatches', path, watcherType });
    const remove = (path: string, watcherType: number) => w.err({ type: 'RemoveWatches', path, watcherType });
    assert.is(await check('/nothing', WatcherType.Any), Err.NOWATCHER);
    assert.is(await remove('/nothing', WatcherType.Any), Err.NOWATCHER);
    const r = await w.request({ type: 'RemoveWatches', path: '/nothing', watcherType: WatcherType.Any });
    assert.is(r.payloadBytes, 16, 'an error reply has no body');

    await b.create('/cw');
    await w.ok({ type: 'Sync', path: '/cw' });
    await w.ok({ type: 'GetChildren', path: '/cw', watch: true });
    assert.is(await check('/cw', WatcherType.Children), Err.OK);
    assert.is(await check('/cw', WatcherType.Data), Err.NOWATCHER);
    const ok = await w.request({ type: 'CheckWatches', path: '/cw', watcherType: WatcherType.Any });
    assert.equal([ok.header.err, ok.payloadBytes], [Err.OK, 16], 'success: empty body');
    assert.is(await remove('/cw', WatcherType.Data), Err.NOWATCHER);
    assert.is(await remove('/cw', WatcherType.Children), Err.OK);
    assert.is(await check('/cw', WatcherType.Any), Err.NOWATCHER);

    // A persistent watch is not a Data or Children watch; Any removes it.
    await w.ok({ type: 'AddWatch', path: '/cw', mode: AddWatchMode.PERSISTENT_RECURSIVE });
    await w.ok({ type: 'GetData', path: '/cw', watch: true });
    assert.is(await remove('/cw', WatcherType.Children), Err.NOWATCHER);
    assert.is(await remove('/cw', WatcherType.Data), Err.OK);
    assert.is(await check('/cw', WatcherType.Any), Err.OK, 'the recursive watch is left');
    assert.is(await remove('/cw', WatcherType.Any), Err.OK);
    assert.is(await remove('/cw', WatcherType.Any), Err.NOWATCHER);

    assert.is(await check('/cw', 9), Err.MARSHALLINGERROR);
    assert.is(await w.err({ type: 'AddWatch', path: '/cw', mode: 7 }), Err.MARSHALLINGERROR);

    // Nothing fires for the removed watches: events come in zxid order, so the first is the marker's.
    assert.is(await w.err({ type: 'Exists', path: '/cw/mark', watch: true }), Err.NONODE, 'an exists watch on a missing node');
    await b.create('/cw/x');
    await b.setData('/cw', 'changed');
    await b.create('/cw/mark');
    assert.equal(show(await w.eventsUntil(1)), ['NodeCreated /cw/mark']);
  });
});

test('setWatches2 after a reconnect to another server sets persistent and recursive watches there', async () => {
  const b = await RawZk.open(p3);
  const a = await RawZk.open(p1);
  let a2: RawZk | undefined;
  try {
    await a.ok({ type: 'AddWatch', path: '/sw', mode: AddWatchMode.PERSISTENT });
    await a.ok({ type: 'AddWatch', path: '/sr', mode: AddWatchMode.PERSISTENT_RECURSIVE });
    await b.create('/sw', '0');
    assert.equal(show(await a.eventsUntil(1)), ['NodeCreated /sw']);
    const hex = javaHex(a.sessionId);
    a.drop();
    // Server 1 forgets the connection's watches (ZooKeeper's watches belong to the connection).
    const gone = await fourLetterUntil(p1, 'wchc', (t) => !t.includes(hex));
    assert.not.ok(gone.includes(hex), `server 1 still lists ${hex}:\n${gone}`);
    await b.setData('/sw', 'missed'); // while disconnected: persistent watches do not replay what they missed
    a2 = await RawZk.open(p2, { sessionId: a.sessionId, passwd: a.passwd, lastZxid: a.lastZxid });
    assert.is(a2.sessionId, a.sessionId, 'the same session');
    await a2.ok({ type: 'Sync', path: '/sw' }); // server 2 has applied the missed change before the watches go on
    const r = await a2.request({
      type: 'SetWatches2',
      relativeZxid: a.lastZxid,
      dataWatches: [],
      existWatches: [],
      childWatches: [],
      persistentWatches: ['/sw'],
      persistentRecursiveWatches: ['/sr'],
    });
    assert.equal([r.header.xid, r.header.err, r.payloadBytes], [-8, Err.OK, 16]);
    await b.setData('/sw', '1');
    await b.create('/sw/kid');
    await b.create('/sr');
    await b.create('/sr/x');
    assert.equal(show(await a2.eventsUntil(4)), ['NodeDataChanged /sw', 'NodeChildrenChanged /sw', 'NodeCreated /sr', 'NodeCreated /sr/x']);
    const listed = await fourLetterUntil(p2, 'wchc', (t) => t.includes(hex));
    assert.match(listed, `${hex}\n\t/sw\n\t/sr\n`);
  } finally {
    await a2?.close();
    a.drop();
    await b.close();
  }
});

test('wchs, wchc, wchp: the data-watch table of the server, per session and per path', async () => {
  const w1 = await RawZk.open(p3);
  const w2 = await RawZk.open(p3);
  try {
    await w1.create('/ww2');
    await w1.create('/ww3');
    await w1.ok({ type: 'AddWatch', path: '/ww', mode: AddWatchMode.PERSISTENT });
    await w1.ok({ type: 'GetData', path: '/ww2', watch: true });
    await w1.ok({ type: 'GetChildren', path: '/ww3', watch: true }); // child-only: not in the data table
    assert.is(await w2.err({ type: 'Exists', path: '/ww', watch: true }), Err.NONODE);
    const [h1, h2] = [javaHex(w1.sessionId), javaHex(w2.sessionId)];
    const wchs = await fourLetterUntil(p3, 'wchs', (t) => t.startsWith('2 '));
    assert.is(wchs, '2 connections watching 2 paths\nTotal watches:3\n');
    assert.is(await fourLetterWord(p3, 'wchc'), `${h1}\n\t/ww\n\t/ww2\n${h2}\n\t/ww\n\n`);
    assert.is(await fourLetterWord(p3, 'wchp'), `/ww\n\t${h1}\n\t${h2}\n/ww2\n\t${h1}\n\n`);
    await w1.close();
    assert.is(await fourLetterUntil(p3, 'wchs', (t) => t.startsWith('1 ')), '1 connections watching 1 paths\nTotal watches:1\n', "a closed session's watches go");
    assert.is(await fourLetterWord(p3, 'wchp'), `/ww\n\t${h2}\n\n`);
  } finally {
    await w1.close();
    await w2.close();
  }
});

test('the watch words are answered only when whitelisted (not by default, as ZooKeeper)', async () => {
  const node = s.cluster.nodes[0]!;
  const servers = await startZkServers(s.cluster.runtime, [{ node, port: 0 }]);
  try {
    const port = servers.get(node)!.port;
    for (const word of ['wchs', 'wchc', 'wchp']) assert.is(await fourLetterWord(port, word), `${word} is not executed because it is not in the whitelist.\n`);
    assert.is(await fourLetterWord(port, 'ruok'), 'imok');
  } finally {
    for (const z of servers.values()) await z.close();
  }
});

test('a recursive watch hears nothing of a node its session may not READ (CVE-2024-23944), until it authenticates', async () => {
  await pair(async (w, b) => {
    await w.ok({ type: 'AddWatch', path: '/rr', mode: AddWatchMode.PERSISTENT_RECURSIVE });
    await b.create('/rr');
    // alice may do anything; everyone else may only write it (no READ)
    const acl = [
      { perms: 31, id: { scheme: 'digest', id: digestId('alice:pw')! } },
      { perms: 2, id: { scheme: 'world', id: 'anyone' } },
    ];
    await b.ok({ type: 'Create', path: '/rr/secret', data: Buffer.from('s'), acl, flags: 0 });
    await b.setData('/rr/secret', 's2');
    await b.create('/rr/open');
    await b.setData('/rr/open', 'o2');
    const seen = show(await w.eventsUntil(3));
    assert.equal(seen, ['NodeCreated /rr', 'NodeCreated /rr/open', 'NodeDataChanged /rr/open']);
    // as alice the session READs /rr/secret: its next change reaches it
    await w.ok({ type: 'Auth', authType: 0, scheme: 'digest', auth: Buffer.from('alice:pw') });
    await b.setData('/rr/secret', 's3');
    await b.setData('/rr/open', 'o3');
    assert.equal(show(await w.eventsUntil(5)).slice(3), ['NodeDataChanged /rr/secret', 'NodeDataChanged /rr/open']);
  });
});

test('a session resumed on another server: its old connection gets SESSIONMOVED on a write and is closed (ZOOKEEPER-710)', async () => {
  const a = await RawZk.open(p1);
  await a.create('/moved', 'v0');
  const b = await RawZk.open(p2, { sessionId: a.sessionId, passwd: a.passwd, lastZxid: a.lastZxid });
  try {
    assert.is(b.sessionId, a.sessionId, 'the same session, now on server 2');
    assert.is(await a.err({ type: 'SetData', path: '/moved', data: Buffer.from('stale'), version: -1 }), Err.SESSIONMOVED);
    const closedBy = Date.now() + 5_000;
    while (!a.closed && Date.now() < closedBy) await new Promise((r) => setTimeout(r, 20));
    assert.ok(a.closed, 'the stale connection is closed');
    await b.setData('/moved', 'v1');
    const r = await b.ok({ type: 'GetData', path: '/moved', watch: false });
    assert.is(Buffer.from((r.response as { data: Uint8Array }).data).toString(), 'v1', 'the stale write never applied');
    await b.delete('/moved');
  } finally {
    await b.close();
    await a.close();
  }
});

test.run();
