/**
 * The embedding API (createCluster) on the worker-thread runtime: CRUD, sequential and ephemeral znodes, version
 * conflicts, multi all-or-nothing, sync, a data watch as an Observable, leader() and a leader kill, and a cluster
 * reopened on the same dataDir coming back with its data.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, toArray, timeout } from 'rxjs';
import { createCluster, ZkError, ZkUnavailableError, type Cluster, type ZkClient } from '../../src/cluster.js';
import { CreateMode, Err, OPEN_ACL_UNSAFE } from '../../src/protocol/txn.js';

const leaderWaitMs = 20_000;
/** Bounds of the retry loops below (a leader change makes a write fail with ZkUnavailableError: retry it). */
const retryAttemptsMax = 2_000;
const retryPauseMs = 10;
const watchWaitMs = 10_000;

const dec = new TextDecoder();
const text = (d: Uint8Array): string => dec.decode(d);

async function retrying<T>(f: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await f();
    } catch (e) {
      if (!(e instanceof ZkUnavailableError) || attempt >= retryAttemptsMax) throw e;
      await new Promise((r) => setTimeout(r, retryPauseMs));
    }
  }
}

async function zkError(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ZkError) return e.code;
    throw e;
  }
  throw new Error('expected a ZkError');
}

let cluster: Cluster;
let a: ZkClient;
let b: ZkClient;

test.before(async () => {
  cluster = await createCluster({ nodes: 3, runtime: 'threads' });
  const leader = await cluster.waitForLeader(leaderWaitMs);
  const others = cluster.nodes.filter((n) => n !== leader);
  a = await cluster.client({ node: others[0]! });
  b = await cluster.client({ node: leader });
});

test.after(async () => {
  await cluster.close();
});

test('create, getData, setData, exists, getChildren, delete', async () => {
  assert.is(await a.create('/crud', 'one'), '/crud');
  const got = await a.getData('/crud');
  assert.is(text(got.data), 'one');
  assert.is(got.stat.version, 0);
  const st = await a.setData('/crud', 'two');
  assert.is(st.version, 1);
  assert.is(st.dataLength, 3);
  await a.create('/crud/x', 'c');
  await a.create('/crud/y');
  assert.equal((await a.getChildren('/crud')).sort(), ['x', 'y']);
  assert.is((await a.exists('/crud/x'))?.dataLength, 1);
  await a.delete('/crud/x');
  assert.is(await a.exists('/crud/x'), null);
  assert.is(await zkError(a.create('/crud/y')), Err.NODEEXISTS);
  assert.is(await zkError(a.getData('/nope')), Err.NONODE);
  assert.is(await zkError(a.delete('/crud')), Err.NOTEMPTY);
  // Another node sees it after a sync.
  await b.sync();
  assert.is(text((await b.getData('/crud')).data), 'two');
});

test('sequential names from the parent counter; an ephemeral is gone after its session closes', async () => {
  await a.create('/seq');
  const s1 = await a.create('/seq/job-', 'x', { mode: CreateMode.PERSISTENT_SEQUENTIAL });
  const s2 = await a.create('/seq/job-', 'y', { mode: CreateMode.PERSISTENT_SEQUENTIAL });
  assert.is(s1, '/seq/job-0000000000');
  assert.is(s2, '/seq/job-0000000001');

  const owner = await cluster.client({ node: a.node });
  const e = await owner.create('/seq/eph-', 'mine', { mode: CreateMode.EPHEMERAL_SEQUENTIAL });
  assert.is(e, '/seq/eph-0000000002');
  assert.is((await a.exists(e))?.ephemeralOwner, owner.sessionId);
  assert.is(await zkError(owner.create(`${e}/child`)), Err.NOCHILDRENFOREPHEMERALS);
  await owner.close();
  await b.sync();
  assert.is(await b.exists(e), null);
  await a.sync();
  assert.is(await a.exists(e), null);
  assert.equal((await a.getChildren('/seq')).sort(), ['job-0000000000', 'job-0000000001']);
});

test('versions: a conditional setData or delete on a stale version is BADVERSION', async () => {
  await a.create('/ver', 'v0');
  const st = await a.setData('/ver', 'v1', 0);
  assert.is(st.version, 1);
  assert.is(await zkError(a.setData('/ver', 'stale', 0)), Err.BADVERSION);
  assert.is(await zkError(a.delete('/ver', 0)), Err.BADVERSION);
  assert.is(text((await a.getData('/ver')).data), 'v1');
  await a.delete('/ver', 1);
  assert.is(await a.exists('/ver'), null);
});

test('multi is all-or-nothing', async () => {
  const ok = await a.multi([
    { type: 'Create', path: '/m', data: new Uint8Array(0), acl: OPEN_ACL_UNSAFE, mode: 0 },
    { type: 'Create', path: '/m/a', data: new TextEncoder().encode('A'), acl: OPEN_ACL_UNSAFE, mode: 0 },
    { type: 'SetData', path: '/m', data: new TextEncoder().encode('parent'), version: 0 },
  ]);
  assert.equal(
    ok.map((r) => r.type),
    ['Create', 'Create', 'SetData'],
  );
  const failed = await a.multi([
    { type: 'Create', path: '/m/b', data: new Uint8Array(0), acl: OPEN_ACL_UNSAFE, mode: 0 },
    { type: 'SetData', path: '/m', data: new TextEncoder().encode('no'), version: 0 },
    { type: 'Delete', path: '/m/a', version: -1 },
  ]);
  assert.equal(
    failed.map((r) => (r.type === 'Error' ? r.err : r.type)),
    [0, Err.BADVERSION, Err.RUNTIMEINCONSISTENCY],
  );
  // Nothing of the failed multi happened.
  assert.is(await a.exists('/m/b'), null);
  assert.ok(await a.exists('/m/a'));
  assert.is(text((await a.getData('/m')).data), 'parent');
  assert.is((await a.getData('/m')).stat.version, 1);
});

test('sync: after it, a read on another node sees a write acknowledged elsewhere', async () => {
  for (let i = 0; i < 20; i++) {
    await b.setData('/crud', `s${i}`);
    const z = await a.sync();
    assert.ok(z > 0);
    assert.is(text((await a.getData('/crud')).data), `s${i}`);
  }
});

test('a data watch is an Observable that fires once, then completes', async () => {
  await a.create('/w', 'w0');
  const fired = firstValueFrom(a.watch('/w', 'data').pipe(toArray(), timeout(watchWaitMs)));
  // The watch is set by a read on a's node; make sure it is in place before changing the node.
  await a.getData('/w');
  await b.setData('/w', 'w1');
  await b.setData('/w', 'w2');
  const events = await fired;
  assert.is(events.length, 1);
  assert.is(events[0]!.event, 'NodeDataChanged');
  assert.is(events[0]!.path, '/w');
});

test('leader(): killing the leader, the cluster elects another and carries on', async () => {
  const old = await cluster.waitForLeader(leaderWaitMs);
  assert.is(cluster.leader(), old);
  const survivor = cluster.nodes.find((n) => n !== old)!;
  const c = await cluster.client({ node: survivor });
  await retrying(() => c.create('/lk', 'before'));
  await cluster.kill(old);
  assert.is(cluster.leader() === old, false);
  await retrying(() => c.setData('/lk', 'after'));
  const now = await cluster.waitForLeader(leaderWaitMs);
  assert.is.not(now, old);
  assert.is(cluster.leader(), now);
  assert.is(text((await c.getData('/lk')).data), 'after');
  await cluster.restart(old);
  await cluster.waitForLeader(leaderWaitMs);
  const back = await cluster.client({ node: old });
  await retrying(() => back.sync());
  assert.is(text((await back.getData('/lk')).data), 'after');
  // Clients of the shared cluster may have been on the killed node: reconnect them.
  a = await cluster.client({ node: survivor });
  b = back;
});

test('a cluster reopened on the same dataDir comes back with its data', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'conclave-test-'));
  try {
    const first = await createCluster({ nodes: 3, runtime: 'threads', dataDir });
    try {
      await first.waitForLeader(leaderWaitMs);
      const c = await first.client();
      await c.create('/keep', 'root');
      for (let i = 0; i < 50; i++) await c.create(`/keep/k${i}`, `value-${i}`);
      await c.setData('/keep', 'root-2');
    } finally {
      await first.close();
    }
    const second = await createCluster({ nodes: 3, runtime: 'threads', dataDir });
    try {
      await second.waitForLeader(leaderWaitMs);
      for (const node of second.nodes) {
        const c = await second.client({ node });
        await retrying(() => c.sync());
        assert.is(text((await c.getData('/keep')).data), 'root-2', node);
        assert.is((await c.getChildren('/keep')).length, 50, node);
        assert.is(text((await c.getData('/keep/k49')).data), 'value-49', node);
      }
    } finally {
      await second.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
