/**
 * Peer replication over HTTP, both directions of `/peerreplication/batch`: two single-node registries that know
 * each other only by URL (as a conclave node and a Java Eureka peer would), through the `eurekaHttpPeer` bridge.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EurekaHarness, waitFor } from './harness.js';

const config = { leaseDurationMs: 2_000, evictionIntervalMs: 500, selfPreservationEnabled: false, responseCacheUpdateIntervalMs: 100, registrySyncRetryWaitMs: 200 };
const free = async () => {
  const { createServer } = await import('node:net');
  return new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
};

test('registrations, heartbeats, status and cancels cross an HTTP peer link; startup sync reads the peer over HTTP', async () => {
  const [pa, pb] = [await free(), await free()];
  const mk = (peerPort: number) =>
    new EurekaHarness({
      nodes: 1,
      config,
      replication: { batchDelayMs: 50, askTimeoutMs: 2_000 },
      syncAskTimeoutMs: 1_000,
      peersOf: () => ['n1/peer'],
      extraActors: () => [{ name: 'peer', kind: 'eurekaHttpPeer', args: { url: `http://127.0.0.1:${peerPort}/eureka/v2/` } }],
    });
  const a = mk(pb);
  const b = mk(pa);
  try {
    await a.startNode('n1', pa);
    const body = (host: string) => JSON.stringify({ instance: { app: 'web', hostName: host, ipAddr: '10.1.1.1', port: { $: 80, '@enabled': 'true' }, vipAddress: 'web', dataCenterInfo: { '@class': 'com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo', name: 'MyOwn' } } });
    // A runs alone first (B down: sync fails, replication retries), then B starts and syncs from A over HTTP
    assert.is((await fetch(a.url('n1') + 'WEB', { method: 'POST', body: body('w1') })).status, 204);
    await b.startNode('n1', pb);
    assert.ok(await waitFor(async () => (await fetch(b.url('n1') + 'WEB/w1')).status === 200, 5_000), 'B has w1 (sync or replication over HTTP)');
    assert.is((await fetch(b.url('n1') + 'WEB', { method: 'POST', body: body('w2') })).status, 204);
    assert.ok(await waitFor(async () => (await fetch(a.url('n1') + 'WEB/w2')).status === 200, 5_000), 'A has w2 replicated from B');
    assert.is((await fetch(a.url('n1') + 'WEB/w2/status?value=OUT_OF_SERVICE', { method: 'PUT' })).status, 200);
    assert.ok(
      await waitFor(async () => {
        const r = await fetch(b.url('n1') + 'WEB/w2', { headers: { accept: 'application/json' } });
        return r.status === 200 && ((await r.json()) as { instance: { status: string } }).instance.status === 'OUT_OF_SERVICE';
      }, 5_000),
      'status update replicated A -> B',
    );
    assert.is((await fetch(b.url('n1') + 'WEB/w1', { method: 'DELETE' })).status, 200);
    assert.ok(await waitFor(async () => (await fetch(a.url('n1') + 'WEB/w1')).status === 404, 5_000), 'cancel replicated B -> A');
    assert.ok(a.events.some((e) => e.type === 'InstanceRegistered' && e.id === 'w2' && e.replication));
  } finally {
    await a.close();
    await b.close();
  }
});

test('a Java-shaped batch posted to /peerreplication/batch gets a positional response (200, 404, 409 + entity)', async () => {
  const h = await new EurekaHarness({ nodes: 1, config }).start();
  try {
    const inst = { instanceId: 'x1', hostName: 'x1', app: 'JAVA', ipAddr: '1.2.3.4', status: 'UP', overriddenStatus: 'UNKNOWN', port: { $: 1, '@enabled': 'true' }, dataCenterInfo: { '@class': 'com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo', name: 'MyOwn' }, lastDirtyTimestamp: '5000', lastUpdatedTimestamp: '5000' };
    const batch = {
      replicationList: [
        { appName: 'JAVA', id: 'x1', lastDirtyTimestamp: 5000, status: 'UP', action: 'Register', instanceInfo: inst },
        { appName: 'JAVA', id: 'nobody', action: 'Heartbeat', status: 'UP' },
        { appName: 'JAVA', id: 'x1', lastDirtyTimestamp: 4000, status: 'UP', action: 'Heartbeat' },
        { appName: 'JAVA', id: 'x1', lastDirtyTimestamp: 5000, status: 'UP', action: 'Heartbeat' },
      ],
    };
    const r = await fetch(h.url('n1', '/eureka/v2/peerreplication/batch/'), { method: 'POST', body: JSON.stringify(batch), headers: { 'content-type': 'application/json', accept: 'application/json', 'x-netflix-discovery-replication': 'true' } });
    assert.is(r.status, 200);
    const j = (await r.json()) as { responseList: { statusCode: number; responseEntity?: { lastDirtyTimestamp: string } }[] };
    assert.equal(j.responseList.map((x) => x.statusCode), [200, 404, 409, 200]);
    assert.is(j.responseList[2]!.responseEntity!.lastDirtyTimestamp, '5000');
    const bad = await fetch(h.url('n1', '/eureka/v2/peerreplication/batch'), { method: 'POST', body: '{"replicationList":[{"action":"Nope"}]}' });
    assert.is(bad.status, 400);
  } finally {
    await h.close();
  }
});

test.run();
