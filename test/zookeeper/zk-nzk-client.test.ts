/**
 * node-zookeeper-client 1.1.3 against ZkConnection over loopback TCP, with the in-memory test backend: the session
 * layer and codec carry a real client's handshake, CRUD, watches, a transaction and a failed transaction.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { createZkServer } from '../../src/servers/zookeeper/index.js';
import { MemoryBackend } from './memory-backend.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const require = createRequire(import.meta.url);
const zookeeper: any = require('node-zookeeper-client');
const stepTimeoutMs = 5000;

function call<T = any>(fn: (cb: (err: any, ...r: any[]) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timed out')), stepTimeoutMs);
    fn((err, ...r) => {
      clearTimeout(t);
      if (err) reject(err);
      else resolve((r.length <= 1 ? r[0] : r) as T);
    });
  });
}

test('node-zookeeper-client: connect, create, getData+watch, setData fires the watch, children, transaction, remove', async () => {
  const backend = new MemoryBackend();
  const { server, connections } = createZkServer(backend);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const client = zookeeper.createClient(`127.0.0.1:${port}`, { sessionTimeout: 10000, retries: 0 });
  try {
    const connected = new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no connect')), stepTimeoutMs);
      client.once('connected', () => {
        clearTimeout(t);
        resolve();
      });
    });
    client.connect();
    await connected;
    assert.is(connections.size, 1);
    assert.ok(client.getSessionId().readBigInt64BE(0) > 0n);

    const path = await call<string>((cb) => client.create('/app', Buffer.from('v1'), cb));
    assert.is(path, '/app');
    const seqPath = await call<string>((cb) => client.create('/app/s-', Buffer.from('x'), zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL, cb));
    assert.is(seqPath, '/app/s-0000000000');

    const watched = new Promise<any>((resolve) => {
      client.getData(
        '/app',
        (event: any) => resolve(event),
        (err: any, data: Buffer) => {
          if (err) resolve(err);
          else assert.is(data.toString(), 'v1');
        },
      );
    });
    const stat = await call<any>((cb) => client.setData('/app', Buffer.from('v2'), -1, cb));
    assert.is(stat.version, 1);
    const ev = await watched;
    assert.is(ev.getType(), zookeeper.Event.NODE_DATA_CHANGED);
    assert.is(ev.getPath(), '/app');

    const [children] = await call<[string[], any]>((cb) => client.getChildren('/app', cb));
    assert.equal(children, ['s-0000000000']);

    const results = await call<any[]>((cb) =>
      client.transaction().create('/app/t', Buffer.from('t')).setData('/app', Buffer.from('v3'), 1).check('/app', 2).commit(cb),
    );
    assert.equal(results.map((r: any) => r.type), [1, 5, 13]);

    // Failed transaction: create of an existing node; the client sees NODE_EXISTS and nothing was applied.
    let failed: any;
    try {
      await call((cb) => client.transaction().create('/app/u').create('/app/t').commit(cb));
    } catch (e) {
      failed = e;
    }
    assert.ok(failed, 'transaction failed');
    assert.is(failed.getCode(), zookeeper.Exception.NODE_EXISTS);
    const noU = await call<any>((cb) => client.exists('/app/u', cb));
    assert.is(noU, null, 'rolled back');

    await call((cb) => client.remove('/app/t', -1, cb));
    let missing: any;
    try {
      await call((cb) => client.getData('/app/t', cb));
    } catch (e) {
      missing = e;
    }
    assert.is(missing?.getCode?.(), zookeeper.Exception.NO_NODE);
  } finally {
    client.close();
    await new Promise((r) => setTimeout(r, 100));
    for (const c of connections) c.close('test over');
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test.run();
