/** The pure watch table (src/core/watches): ZooKeeper's trigger matrix with persistent and recursive watches. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WatchTable, ancestorsOf, inDataTable } from '../../src/core/watches/index.js';
import type { WatchRegistration } from '../../src/protocol/zookeeper.js';

const big = { registrationsMax: 1_000, persistentPerSessionMax: 100 };
const sorted = (ids: number[]) => [...ids].sort((a, b) => a - b);

/** A table holding `watches` as [path, session, kind]. */
function tableOf(watches: readonly (readonly [string, number, WatchRegistration])[]): WatchTable {
  const t = new WatchTable(big);
  for (const [path, sessionId, kind] of watches) assert.is(t.add(path, sessionId, kind), 'added');
  return t;
}

test('ancestorsOf: nearest first, root last; none for the root', () => {
  assert.equal([...ancestorsOf('/a/b/c')], ['/a/b', '/a', '/']);
  assert.equal([...ancestorsOf('/a')], ['/']);
  assert.equal([...ancestorsOf('/')], []);
});

test('one-shot watches fire once: data on setData, exists on create, children on a child change', () => {
  const t = new WatchTable(big);
  t.add('/a', 1, 'data');
  t.add('/b', 2, 'exists');
  t.add('/a', 3, 'children');
  assert.equal(t.trigger('/a', 'NodeChildrenChanged'), [3]);
  assert.equal(t.trigger('/a', 'NodeChildrenChanged'), []);
  assert.equal(t.trigger('/a', 'NodeDataChanged'), [1]);
  assert.equal(t.trigger('/a', 'NodeDataChanged'), []);
  assert.equal(t.trigger('/b', 'NodeCreated'), [2]);
  assert.is(t.size, 0);
});

test('a persistent watch fires for every change of its path, NodeChildrenChanged included, and stays', () => {
  const t = new WatchTable(big);
  t.add('/p', 7, 'persistent');
  for (let i = 0; i < 3; i++) {
    assert.equal(t.trigger('/p', 'NodeCreated'), [7]);
    assert.equal(t.trigger('/p', 'NodeDataChanged'), [7]);
    assert.equal(t.trigger('/p', 'NodeChildrenChanged'), [7]);
    assert.equal(t.trigger('/p', 'NodeDeleted'), [7]);
  }
  assert.equal(t.trigger('/p/c', 'NodeCreated'), [], 'not for a child');
  assert.equal(t.trigger('/', 'NodeChildrenChanged'), [], 'not for the parent');
  assert.ok(t.has('/p', 7, 'persistent'));
});

test('a recursive watch fires for its path and every descendant, never NodeChildrenChanged', () => {
  const t = new WatchTable(big);
  t.add('/r', 5, 'persistentRecursive');
  assert.equal(t.trigger('/r', 'NodeCreated'), [5]);
  assert.equal(t.trigger('/r/a', 'NodeCreated'), [5]);
  assert.equal(t.trigger('/r/a/b', 'NodeDataChanged'), [5]);
  assert.equal(t.trigger('/r/a/b', 'NodeDeleted'), [5]);
  assert.equal(t.trigger('/r', 'NodeChildrenChanged'), []);
  assert.equal(t.trigger('/r/a', 'NodeChildrenChanged'), []);
  assert.equal(t.trigger('/rx', 'NodeCreated'), [], 'a sibling sharing the prefix is not below /r');
  assert.equal(t.trigger('/', 'NodeDataChanged'), [], 'not for an ancestor');
  const root = new WatchTable(big);
  root.add('/', 9, 'persistentRecursive');
  assert.equal(root.trigger('/x/y', 'NodeCreated'), [9], 'a recursive watch on / sees everything');
});

test('one event per session per change whatever watches it holds; one-shots are consumed, persistent stay', () => {
  const t = tableOf([
    ['/d', 1, 'data'],
    ['/d', 1, 'exists'],
    ['/d', 1, 'children'],
    ['/d', 1, 'persistent'],
    ['/', 1, 'persistentRecursive'],
    ['/d', 2, 'children'],
    ['/d', 2, 'data'],
  ]);
  // delete: the data table and the child table at /d notify session 1 and 2 once each.
  assert.equal(sorted(t.trigger('/d', 'NodeDeleted')), [1, 2]);
  assert.not.ok(t.has('/d', 1, 'data'));
  assert.not.ok(t.has('/d', 1, 'children'));
  assert.not.ok(t.has('/d', 2, 'any'), "session 2's one-shot watches are gone");
  assert.ok(t.has('/d', 1, 'persistent'));
  assert.equal(t.trigger('/d', 'NodeDeleted'), [1]);
  // setData consumes the data watch but not the child watch.
  t.add('/e', 3, 'data');
  t.add('/e', 3, 'children');
  assert.equal(sorted(t.trigger('/e', 'NodeDataChanged')), [1, 3], "session 1's recursive watch on / sees it too");
  assert.ok(t.has('/e', 3, 'children'));
  assert.not.ok(t.has('/e', 3, 'data'));
});

test('checkWatches/removeWatches types: children, data (and exists), any, persistent, persistentRecursive', () => {
  const t = new WatchTable(big);
  t.add('/x', 1, 'exists');
  t.add('/x', 1, 'persistent');
  assert.ok(t.has('/x', 1, 'data'), 'an exists watch is a data watch');
  assert.not.ok(t.has('/x', 1, 'children'));
  assert.not.ok(t.has('/x', 1, 'persistentRecursive'));
  assert.not.ok(t.remove('/x', 1, 'children'), 'nothing to remove');
  assert.ok(t.remove('/x', 1, 'data'));
  assert.ok(t.has('/x', 1, 'persistent'), 'data leaves the persistent watch');
  assert.ok(t.remove('/x', 1, 'any'));
  assert.not.ok(t.has('/x', 1, 'any'));
  assert.not.ok(t.remove('/x', 1, 'any'));
  assert.not.ok(t.has('/x', 2, 'any'), 'another session holds nothing');
  t.add('/y', 1, 'persistentRecursive');
  assert.ok(t.remove('/y', 1, 'persistentRecursive'));
  assert.equal(t.trigger('/y/z', 'NodeCreated'), [], 'a removed recursive watch no longer fires');
  assert.is(t.size, 0);
});

test('dropSession removes every watch of one session only', () => {
  const t = new WatchTable(big);
  t.add('/a', 1, 'persistentRecursive');
  t.add('/b', 1, 'data');
  t.add('/b', 2, 'data');
  t.dropSession(1);
  assert.equal(t.trigger('/a/x', 'NodeCreated'), []);
  assert.equal(t.trigger('/b', 'NodeDataChanged'), [2]);
  assert.is(t.size, 0);
});

test('bounds: registrations per node and persistent watches per session', () => {
  const t = new WatchTable({ registrationsMax: 3, persistentPerSessionMax: 2 });
  assert.is(t.add('/1', 1, 'persistent'), 'added');
  assert.is(t.add('/1', 1, 'persistent'), 'present');
  assert.is(t.add('/2', 1, 'persistentRecursive'), 'added');
  assert.is(t.add('/3', 1, 'persistent'), 'sessionFull');
  assert.is(t.add('/3', 1, 'data'), 'added', 'one-shot watches do not count against the session bound');
  assert.is(t.add('/4', 2, 'data'), 'tableFull');
  t.remove('/1', 1, 'any');
  assert.is(t.add('/3', 1, 'persistent'), 'added', 'room again after a removal');
});

test("summary and report: wchs counts ZooKeeper's data table only; the report lists everything, bounded", () => {
  const t = tableOf([
    ['/a', 1, 'data'],
    ['/a', 2, 'persistent'],
    ['/b', 1, 'persistentRecursive'],
    ['/c', 3, 'children'],
  ]);
  assert.equal(t.summary(), { sessions: 2, paths: 2, total: 3 });
  const r = t.report(100);
  assert.is(r.truncated, false);
  assert.equal(
    r.watches.map((w) => [w.path, w.sessions.map((s) => `${s.sessionId}:${s.kinds.join('+')}`)]),
    [
      ['/a', ['1:data', '2:persistent']],
      ['/b', ['1:persistentRecursive']],
      ['/c', ['3:children']],
    ],
  );
  assert.ok(inDataTable(['exists']));
  assert.ok(inDataTable(['children', 'persistent']));
  assert.not.ok(inDataTable(['children']));
  const cut = t.report(2);
  assert.is(cut.truncated, true);
  assert.is(cut.watches.reduce((n, w) => n + w.sessions.length, 0), 2);
  // The counts follow firings, removals and dropped sessions.
  t.trigger('/a', 'NodeDataChanged'); // consumes session 1's data watch on /a
  assert.equal(t.summary(), { sessions: 2, paths: 2, total: 2 });
  t.dropSession(2);
  assert.equal(t.summary(), { sessions: 1, paths: 1, total: 1 });
  t.remove('/b', 1, 'any');
  assert.equal(t.summary(), { sessions: 0, paths: 0, total: 0 });
  assert.is(t.size, 1, "session 3's child watch is left");
});

test.run();
