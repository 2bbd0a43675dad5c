import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Err, type Applied, type OpResult, type Stat } from '../../src/protocol/txn.js';
import { read, reapable } from '../../src/core/tree/read.js';
import { pathError, sequenceSuffix } from '../../src/core/tree/path.js';
import { Harness, create, enc } from './helpers.js';

function created(a: Applied): { path: string; stat: Stat } {
  if (a.result.type !== 'Create') throw new Error(`expected Create, got ${JSON.stringify(a.result)}`);
  return a.result;
}
function err(a: Applied): number {
  return a.result.type === 'Error' ? a.result.err : 0;
}
function stat(h: Harness, path: string): Stat {
  const s = h.tree.stat(path);
  if (s === undefined) throw new Error(`no ${path}`);
  return s;
}

test('fresh tree has /, /zookeeper, /zookeeper/quota, /zookeeper/config; special paths refused', () => {
  const h = new Harness();
  assert.equal(h.tree.size, 4);
  for (const p of ['/', '/zookeeper', '/zookeeper/quota', '/zookeeper/config']) assert.ok(h.tree.has(p), p);
  assert.is(err(h.run(create('/zookeeper'))), Err.BADARGUMENTS);
  assert.is(err(h.run({ type: 'Delete', path: '/zookeeper/quota', version: -1 })), Err.BADARGUMENTS);
  assert.is(err(h.run({ type: 'Delete', path: '/', version: -1 })), Err.BADARGUMENTS);
  // /zookeeper/config is read-only for everyone (ZooKeeper's READ_ACL_UNSAFE there); /zookeeper stays open.
  assert.equal(h.tree.getAcl('/zookeeper/config'), [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }]);
  assert.is(err(h.run({ type: 'SetData', path: '/zookeeper/config', data: enc('x'), version: -1 })), Err.NOAUTH);
  assert.is(err(h.run({ type: 'SetData', path: '/zookeeper', data: enc('x'), version: -1 })), Err.OK);
  // As in ZooKeeper's fresh DataTree: the special children are not counted in their parents' cversion.
  assert.is(stat(h, '/').cversion, -1);
  assert.is(stat(h, '/zookeeper').cversion, -2);
  assert.is(created(h.run(create('/x-', '', 2))).path, '/x-0000000000');
});

test('create: Stat fields, parent pzxid and cversion', () => {
  const h = new Harness();
  const a = h.run(create('/a', 'hello'));
  const { path, stat: s } = created(a);
  assert.is(path, '/a');
  assert.is(s.czxid, a.zxid);
  assert.is(s.mzxid, a.zxid);
  assert.is(s.pzxid, a.zxid);
  assert.is(s.ctime, h.timeMs);
  assert.is(s.mtime, h.timeMs);
  assert.is(s.version, 0);
  assert.is(s.cversion, 0);
  assert.is(s.aversion, 0);
  assert.is(s.ephemeralOwner, 0);
  assert.is(s.dataLength, 5);
  assert.is(s.numChildren, 0);
  const root = stat(h, '/');
  assert.is(root.pzxid, a.zxid);
  assert.is(root.numChildren, 2);
  assert.equal(a.changes, [
    { path: '/a', kind: 'NodeCreated' },
    { path: '/', kind: 'NodeChildrenChanged' },
  ]);
  const r = read(h.tree, { type: 'GetData', path: '/a' });
  assert.is(r.type, 'Data');
  if (r.type === 'Data') assert.is(new TextDecoder().decode(r.data), 'hello');
});

test('create errors: NONODE parent, NODEEXISTS, BADARGUMENTS paths, NOCHILDRENFOREPHEMERALS', () => {
  const h = new Harness();
  const sid = h.session();
  assert.is(err(h.run(create('/x/y'))), Err.NONODE);
  h.run(create('/x'));
  assert.is(err(h.run(create('/x'))), Err.NODEEXISTS);
  for (const bad of ['x', '/x/', '//x', '/x/./y', '/x/../y', '/x\u0000', '', '/a\u0001b', '/a\ud800']) {
    assert.is(err(h.run(create(bad))), Err.BADARGUMENTS, JSON.stringify(bad));
  }
  h.run(create('/e', '', 1), sid);
  assert.is(err(h.run(create('/e/c'), sid)), Err.NOCHILDRENFOREPHEMERALS);
});

test('path validation matches ZooKeeper rules', () => {
  assert.is(pathError('/'), null);
  assert.is(pathError('/a/b.c/..d'), null);
  assert.ok(pathError('/a//b') !== null);
  assert.ok(pathError('/a/.') !== null);
  assert.ok(pathError('a') !== null);
  assert.ok(pathError('/a\u007f') !== null);
  assert.ok(pathError('/a\uffff') !== null);
});

test('setData: version +1, mzxid/mtime, BADVERSION, version -1 means any', () => {
  const h = new Harness();
  const c = created(h.run(create('/a', 'x')));
  const a = h.run({ type: 'SetData', path: '/a', data: enc('yy'), version: 0 });
  assert.is(a.result.type, 'SetData');
  const s = stat(h, '/a');
  assert.is(s.version, 1);
  assert.is(s.mzxid, a.zxid);
  assert.is(s.czxid, c.stat.czxid);
  assert.is(s.dataLength, 2);
  assert.ok(s.mtime > c.stat.mtime);
  assert.equal(a.changes, [{ path: '/a', kind: 'NodeDataChanged' }]);
  const bad = h.run({ type: 'SetData', path: '/a', data: enc('z'), version: 0 });
  assert.is(err(bad), Err.BADVERSION);
  assert.equal(bad.changes, []);
  assert.is(stat(h, '/a').version, 1);
  h.run({ type: 'SetData', path: '/a', data: enc('z'), version: -1 });
  assert.is(stat(h, '/a').version, 2);
  assert.is(err(h.run({ type: 'SetData', path: '/nope', data: enc('z'), version: -1 })), Err.NONODE);
});

test('failed single writes still take a zxid and change nothing', () => {
  const h = new Harness();
  h.run(create('/a'));
  h.run(create('/a/b'));
  const d0 = h.tree.digest();
  const a = h.run({ type: 'Delete', path: '/a', version: -1 });
  assert.is(err(a), Err.NOTEMPTY);
  assert.is(h.tree.lastZxid, a.zxid);
  // Only lastZxid moved; the digest covers nodes and sessions.
  assert.is(h.tree.digest(), d0);
});

test('delete: version check, NOTEMPTY, parent pzxid, client cversion = creates + deletes', () => {
  const h = new Harness();
  h.run(create('/p'));
  h.run(create('/p/a'));
  h.run(create('/p/b'));
  assert.is(stat(h, '/p').cversion, 2);
  h.run({ type: 'SetData', path: '/p/a', data: enc('1'), version: -1 });
  assert.is(err(h.run({ type: 'Delete', path: '/p/a', version: 0 })), Err.BADVERSION);
  const d = h.run({ type: 'Delete', path: '/p/a', version: 1 });
  assert.is(d.result.type, 'Delete');
  assert.equal(d.changes, [
    { path: '/p/a', kind: 'NodeDeleted' },
    { path: '/p', kind: 'NodeChildrenChanged' },
  ]);
  const p = stat(h, '/p');
  assert.is(p.cversion, 3);
  assert.is(p.pzxid, d.zxid);
  assert.is(p.numChildren, 1);
  assert.is(err(h.run({ type: 'Delete', path: '/p', version: -1 })), Err.NOTEMPTY);
  assert.is(err(h.run({ type: 'Delete', path: '/p/zz', version: -1 })), Err.NONODE);
});

test('sequential names from the parent counter, 10 digits, shared by all children, create-only counter', () => {
  const h = new Harness();
  h.run(create('/q'));
  assert.is(created(h.run(create('/q/n-', '', 2))).path, '/q/n-0000000000');
  h.run(create('/q/plain'));
  assert.is(created(h.run(create('/q/n-', '', 2))).path, '/q/n-0000000002');
  h.run({ type: 'Delete', path: '/q/plain', version: -1 });
  // delete does not bump the stored counter
  assert.is(created(h.run(create('/q/m-', '', 2))).path, '/q/m-0000000003');
  // a sequential create may name only the parent
  assert.is(created(h.run(create('/q/', '', 2))).path, '/q/0000000004');
  assert.is(sequenceSuffix(2147483647), '2147483647');
  assert.is(sequenceSuffix(-2147483648), '-2147483648');
  assert.is(sequenceSuffix(-5), '-000000005');
});

test('pipelined requests see each other (validated at apply): two sequential creates logged before any apply', () => {
  const h = new Harness();
  h.run(create('/q'));
  const t1 = h.prepare(create('/q/s-', '', 2));
  const t2 = h.prepare(create('/q/s-', '', 2));
  const t3 = h.prepare(create('/q/s-0000000001'));
  const t4 = h.prepare({ type: 'Delete', path: '/q', version: -1 });
  assert.is(created(h.apply(t1)).path, '/q/s-0000000000');
  assert.is(created(h.apply(t2)).path, '/q/s-0000000001');
  assert.is(err(h.apply(t3)), Err.NODEEXISTS);
  assert.is(err(h.apply(t4)), Err.NOTEMPTY);
});

test('ephemerals: owner in Stat, close deletes all of them in one txn with events', () => {
  const h = new Harness();
  const sid = h.session();
  const other = h.session();
  h.run(create('/e'));
  const a = created(h.run(create('/e/x', '', 1), sid));
  assert.is(a.stat.ephemeralOwner, sid);
  h.run(create('/e/y-', '', 3), sid);
  h.run(create('/e/z', '', 1), other);
  const r = read(h.tree, { type: 'GetEphemerals', sessionId: sid, prefix: '/' });
  assert.equal(r, { type: 'Paths', paths: ['/e/x', '/e/y-0000000001'] });
  const c = h.run({ type: 'CloseSession' }, sid);
  assert.is(c.result.type, 'CloseSession');
  assert.equal(h.tree.children('/e'), ['z']);
  assert.equal(
    c.changes.filter((x) => x.kind === 'NodeDeleted').map((x) => x.path),
    ['/e/x', '/e/y-0000000001'],
  );
  assert.not.ok(h.tree.sessions.has(sid));
  // the closed session can no longer write
  assert.is(err(h.run(create('/e/w', '', 1), sid)), Err.SESSIONEXPIRED);
  assert.is(err(h.run({ type: 'CloseSession' }, sid)), Err.SESSIONEXPIRED);
});

test('close of a session whose ephemeral create is still pending deletes it too', () => {
  const h = new Harness();
  const sid = h.session();
  const t1 = h.prepare(create('/eph', '', 1), sid);
  const t2 = h.prepare({ type: 'CloseSession' }, sid);
  const t3 = h.prepare(create('/eph'));
  h.apply(t1);
  const c = h.apply(t2);
  assert.equal(c.changes[0], { path: '/eph', kind: 'NodeDeleted' });
  assert.is(created(h.apply(t3)).path, '/eph');
});

test('setACL: aversion, ADMIN check, NOAUTH on read/write, INVALIDACL', () => {
  const h = new Harness();
  const alice = { ids: [{ scheme: 'digest', id: 'alice:hash' }] };
  h.run(create('/s', 'x', 0, [{ perms: 31, id: { scheme: 'auth', id: '' } }]), 0, alice);
  assert.equal(h.tree.getAcl('/s'), [{ perms: 31, id: { scheme: 'digest', id: 'alice:hash' } }]);
  assert.is(err(h.run(create('/t', '', 0, [{ perms: 31, id: { scheme: 'auth', id: '' } }]))), Err.INVALIDACL);
  assert.is(err(h.run(create('/t', '', 0, []))), Err.INVALIDACL);
  assert.is(err(h.run({ type: 'SetData', path: '/s', data: enc('y'), version: -1 })), Err.NOAUTH);
  assert.is(read(h.tree, { type: 'GetData', path: '/s' }).type, 'Error');
  assert.is(read(h.tree, { type: 'Exists', path: '/s' }).type, 'Stat');
  assert.is(read(h.tree, { type: 'GetData', path: '/s' }, alice).type, 'Data');
  const a = h.run({ type: 'SetACL', path: '/s', acl: [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }], version: 0 }, 0, alice);
  assert.is(a.result.type, 'SetACL');
  assert.equal(a.changes, []);
  assert.is(stat(h, '/s').aversion, 1);
  assert.is(err(h.run({ type: 'SetACL', path: '/s', acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], version: 0 }, 0, alice)), Err.NOAUTH);
  assert.is(read(h.tree, { type: 'GetData', path: '/s' }).type, 'Data');
});

test('ACL lists are shared: one cache entry for many znodes, freed when unused', () => {
  const h = new Harness();
  const before = h.tree.acls.size;
  for (let i = 0; i < 100; i++) h.run(create(`/n${i}`));
  assert.is(h.tree.acls.size, before);
  const custom = [{ perms: 3, id: { scheme: 'world', id: 'anyone' } }];
  h.run(create('/c1', '', 0, custom));
  h.run(create('/c2', '', 0, custom));
  assert.is(h.tree.acls.size, before + 1);
  h.run({ type: 'Delete', path: '/c1', version: -1 });
  h.run({ type: 'Delete', path: '/c2', version: -1 });
  assert.is(h.tree.acls.size, before);
});

test('multi: all-or-nothing, one zxid, ZooKeeper per-op error encoding (0, code, -2)', () => {
  const h = new Harness();
  h.run(create('/w'));
  const d0 = h.tree.digest();
  const cv0 = stat(h, '/w').cversion;
  const f = h.run({
    type: 'Multi',
    ops: [create('/w/a'), create('/w'), { type: 'SetData', path: '/w', data: enc('x'), version: -1 }],
  });
  assert.equal(f.result, {
    type: 'Multi',
    results: [
      { type: 'Error', err: 0 },
      { type: 'Error', err: Err.NODEEXISTS },
      { type: 'Error', err: Err.RUNTIMEINCONSISTENCY },
    ],
  });
  assert.equal(f.changes, []);
  assert.not.ok(h.tree.has('/w/a'));
  assert.is(h.tree.digest(), d0);
  assert.is(stat(h, '/w').cversion, cv0);
  // the failed multi did not bump the sequential counter
  assert.is(created(h.run(create('/w/s-', '', 2))).path, '/w/s-0000000000');
  const ok = h.run({
    type: 'Multi',
    ops: [create('/w/b'), create('/w/b/c', 'd'), { type: 'Check', path: '/w/b', version: 0 }, { type: 'SetData', path: '/w/b', data: enc('v'), version: 0 }, { type: 'Delete', path: '/w/s-0000000000', version: -1 }],
  });
  assert.is(ok.result.type, 'Multi');
  const results = (ok.result as { results: readonly OpResult[] }).results;
  assert.equal(results.map((r) => r.type), ['Create', 'Create', 'Check', 'SetData', 'Delete']);
  const s = stat(h, '/w/b');
  assert.is(s.czxid, ok.zxid);
  assert.is(s.mzxid, ok.zxid);
  assert.is(s.version, 1);
  assert.ok(ok.changes.length >= 7);
  const badCheck = h.run({ type: 'Multi', ops: [{ type: 'Check', path: '/w/b', version: 0 }] });
  assert.equal(badCheck.result, { type: 'Multi', results: [{ type: 'Error', err: Err.BADVERSION }] });
});

test('containers: clients see ephemeralOwner 0; reaped only after having had a child and becoming empty', () => {
  const h = new Harness();
  const c = created(h.run(create('/c', '', 4)));
  assert.is(c.stat.ephemeralOwner, 0);
  assert.equal(reapable(h.tree, h.timeMs + 1e9, 100), []);
  h.run(create('/c/x'));
  assert.equal(reapable(h.tree, h.timeMs, 100), []);
  h.run({ type: 'Delete', path: '/c/x', version: -1 });
  assert.equal(reapable(h.tree, h.timeMs, 100), ['/c']);
  const d = h.run({ type: 'DeleteContainer', path: '/c' });
  assert.is(d.result.type, 'Delete');
  assert.not.ok(h.tree.has('/c'));
  assert.equal(d.changes[0], { path: '/c', kind: 'NodeDeleted' });
  // DeleteContainer of a plain node or a non-empty container fails
  h.run(create('/p'));
  assert.is(err(h.run({ type: 'DeleteContainer', path: '/p' })), Err.BADARGUMENTS);
  h.run(create('/c2', '', 4));
  h.run(create('/c2/k'));
  assert.is(err(h.run({ type: 'DeleteContainer', path: '/c2' })), Err.NOTEMPTY);
});

test('TTL nodes: range checks, reaped after ttl without change and without children', () => {
  const h = new Harness();
  assert.is(err(h.run(create('/t', '', 5))), Err.BADARGUMENTS);
  assert.is(err(h.run(create('/t', '', 5, undefined, 0x100_0000_0000))), Err.BADARGUMENTS);
  assert.is(err(h.run(create('/t', '', 0, undefined, 5))), Err.BADARGUMENTS);
  const t = created(h.run(create('/t', '', 5, undefined, 1000)));
  assert.is(t.stat.ephemeralOwner, 0);
  const seq = created(h.run(create('/ts-', '', 6, undefined, 1000)));
  assert.match(seq.path, /^\/ts-\d{10}$/);
  assert.equal(reapable(h.tree, t.stat.mtime + 1000, 100), []);
  assert.equal(reapable(h.tree, t.stat.mtime + 1001, 100), ['/t']);
  h.run({ type: 'SetData', path: '/t', data: enc('x'), version: -1 });
  assert.equal(reapable(h.tree, t.stat.mtime + 1001, 100), []);
  h.run(create('/t/child'));
  assert.equal(reapable(h.tree, h.timeMs + 5000, 100), [seq.path]);
  const noExt = new Harness();
  noExt.opts = { extendedTypesEnabled: false };
  assert.is(err(noExt.run(create('/t', '', 5, undefined, 1000))), Err.UNIMPLEMENTED);
});

test('bad client input gives error results, never a throw', () => {
  const h = new Harness();
  const junk = [
    { type: 'Create', path: 42, data: enc(''), acl: [], mode: 0 },
    { type: 'Create', path: '/a', data: 'str', acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], mode: 0 },
    { type: 'Create', path: '/a', data: enc(''), acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], mode: 9 },
    { type: 'SetData', path: '/', data: enc(''), version: 1.5 },
    { type: 'Nope' },
    { type: 'Multi', ops: [{ type: 'Multi', ops: [] }] },
    { type: 'Multi', ops: 'x' },
    { type: 'CreateSession', sessionId: 77, timeoutMs: -1 },
    { type: 'CreateSession', timeoutMs: 1000 },
    null,
  ];
  for (const j of junk) {
    const a = h.run(j as never);
    const code = a.result.type === 'Error' ? a.result.err : a.result.type === 'Multi' ? (a.result.results[0] as { err?: number }).err : 0;
    assert.ok(typeof code === 'number' && code < 0, JSON.stringify(j));
  }
  assert.is(read(h.tree, { type: 'GetData', path: 'bad' }).type, 'Error');
});

test('getChildren, getAllChildrenNumber, exists', () => {
  const h = new Harness();
  h.run(create('/r'));
  for (let i = 0; i < 5; i++) h.run(create(`/r/${i}`));
  h.run(create('/r/0/x'));
  const r = read(h.tree, { type: 'GetChildren', path: '/r' });
  assert.ok(r.type === 'Children' && r.children.length === 5 && r.stat.numChildren === 5);
  assert.equal(read(h.tree, { type: 'GetAllChildrenNumber', path: '/r' }), { type: 'Count', count: 6 });
  assert.equal(read(h.tree, { type: 'Exists', path: '/zz' }), { type: 'Error', err: Err.NONODE });
});

test.run();
