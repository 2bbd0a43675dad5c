/**
 * eureka-js-client 4.5.0 against a 3-node conclave registry cluster: register, heartbeat, full and delta
 * polling, cancel, status change, both path styles, cross-node visibility, restart catch-up, partition heal.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gunzipSync } from 'node:zlib';
import { EurekaHarness, sleep, waitFor } from './harness.js';
import { die, hosts, makeClient, start, stop } from './clients.js';
import type { Eureka } from 'eureka-js-client';

const config = {
  leaseDurationMs: 1_000,
  expectedClientRenewalIntervalMs: 300,
  evictionIntervalMs: 300,
  renewRateWindowMs: 1_000,
  selfPreservationEnabled: false,
  responseCacheUpdateIntervalMs: 200,
  deltaRetentionTimerIntervalMs: 500,
  registrySyncRetryWaitMs: 300,
  waitTimeWhenSyncEmptyMs: 2_000,
};

let h: EurekaHarness;
const clients: Eureka[] = [];

async function view(node: string): Promise<{ ids: string[]; hash: string; status: Record<string, string> } | null> {
  try {
    const r = await fetch(h.url(node), { headers: { accept: 'application/json' } });
    if (r.status !== 200) return null;
    const j = (await r.json()) as { applications: { apps__hashcode: string; application: { name: string; instance: { hostName: string; status: string }[] }[] } };
    const ids = j.applications.application.flatMap((a) => a.instance.map((i) => `${a.name}/${i.hostName}`)).sort();
    const status = Object.fromEntries(j.applications.application.flatMap((a) => a.instance.map((i) => [i.hostName, i.status])));
    return { ids, hash: j.applications.apps__hashcode, status };
  } catch {
    return null;
  }
}

async function converged(nodes = h.names): Promise<boolean> {
  const vs = await Promise.all(nodes.map(view));
  if (vs.some((v) => v === null)) return false;
  return vs.every((v) => JSON.stringify(v!.ids) === JSON.stringify(vs[0]!.ids) && v!.hash === vs[0]!.hash);
}

test.before(async () => {
  h = await new EurekaHarness({ backend: 'threads', config, replication: { batchDelayMs: 50, askTimeoutMs: 500, taskExpiryMs: 5_000 }, syncAskTimeoutMs: 300 }).start();
  await waitFor(() => h.events.filter((e) => e.type === 'RegistrySynced').length === 3, 5_000);
});

test.after(async () => {
  for (const c of clients) die(c);
  await h.close();
});

test('register + heartbeat via /eureka/v2/apps/ and /eureka/apps/ (numeric port, no @class); seen through every node', async () => {
  const a = makeClient({ app: 'aservice', host: 'a-host', port: h.ports.get('n1')!, servicePath: '/eureka/v2/apps/' });
  const b = makeClient({ app: 'bservice', host: 'b-host', port: h.ports.get('n2')!, servicePath: '/eureka/apps/', instancePort: 8081, withClass: false });
  clients.push(a, b);
  await Promise.all([start(a), start(b)]);
  assert.ok(await waitFor(() => hosts(a, 'BSERVICE').length === 1 && hosts(b, 'ASERVICE').length === 1, 10_000), 'each client sees the other');
  assert.ok(await waitFor(() => h.events.filter((e) => e.type === 'InstanceRenewed' && e.node === 'n3' && e.replication).length >= 4, 10_000), 'n3 sees replicated heartbeats');
  for (const n of h.names) {
    const r = await fetch(h.url(n, '/v2/apps/ASERVICE/a-host'), { headers: { accept: 'application/json' } });
    assert.is(r.status, 200, `instance on ${n}`);
    const j = (await r.json()) as { instance: { status: string; port: { $: number; '@enabled': string }; app: string } };
    assert.equal([j.instance.app, j.instance.status, j.instance.port], ['ASERVICE', 'UP', { $: 8080, '@enabled': 'true' }]);
  }
  const bOnN1 = await fetch(h.url('n1', '/eureka/apps/BSERVICE/'), { headers: { accept: 'application/json' } });
  const bj = (await bOnN1.json()) as { application: { name: string; instance: { port: { $: number } }[] } };
  assert.is(bj.application.instance[0]!.port.$, 8081);
});

test('gzip on request, XML by default, clear 4xx for bad bodies and unknown routes', async () => {
  const r = await fetch(h.url('n3'), { headers: { accept: 'application/json', 'accept-encoding': 'gzip' } });
  assert.is(r.status, 200);
  const raw = await new Promise<Buffer>((resolve, reject) => {
    // fetch decodes gzip itself; check the header and decode a raw request to be sure the bytes are gzip
    import('node:http').then(({ get }) =>
      get(h.url('n3'), { headers: { accept: 'application/json', 'accept-encoding': 'gzip' } }, (res) => {
        assert.is(res.headers['content-encoding'], 'gzip');
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
      }).on('error', reject),
    );
  });
  assert.ok(gunzipSync(raw).toString().startsWith('{"applications":{"versions__delta":"1"'));
  const x = await fetch(h.url('n2'));
  assert.ok((await x.text()).startsWith('<applications><versions__delta>1</versions__delta>'));
  const bad = await fetch(h.url('n1') + 'X', { method: 'POST', body: '{"instance":', headers: { 'content-type': 'application/json' } });
  assert.is(bad.status, 400);
  assert.match(await bad.text(), /Malformed JSON/);
  const mism = await fetch(h.url('n1') + 'X', { method: 'POST', body: JSON.stringify({ instance: { app: 'Y', hostName: 'h', ipAddr: '1.1.1.1', dataCenterInfo: { name: 'MyOwn' } } }) });
  assert.is(mism.status, 400);
  assert.is(await mism.text(), 'Mismatched appName, expecting X but was Y');
  assert.is((await fetch(h.url('n1', '/nothing/here'))).status, 404);
  assert.is((await fetch(h.url('n1') + 'ASERVICE/nobody', { method: 'PUT' })).status, 404);
  assert.is((await fetch(h.url('n1') + 'ASERVICE/a-host/status?value=SLEEPY', { method: 'PUT' })).status, 400);
});

test('delta polling client learns a later registration; full-polling client sees status change and cancel', async () => {
  const watcher = makeClient({ app: 'watcher', host: 'w-host', port: h.ports.get('n3')!, shouldUseDelta: true });
  const full = makeClient({ app: 'fullwatcher', host: 'f-host', port: h.ports.get('n2')! });
  clients.push(watcher, full);
  await Promise.all([start(watcher), start(full)]);
  const d = makeClient({ app: 'dservice', host: 'd-host', port: h.ports.get('n1')! });
  clients.push(d);
  await start(d);
  assert.ok(await waitFor(() => hosts(watcher, 'DSERVICE').length === 1, 10_000), 'delta client sees DSERVICE');
  assert.ok(await waitFor(() => hosts(full, 'DSERVICE').length === 1, 10_000), 'full client sees DSERVICE');
  // status override through n2, seen by the full-polling client (filterUpInstances) that reads n2
  assert.is((await fetch(h.url('n2') + 'DSERVICE/d-host/status?value=OUT_OF_SERVICE', { method: 'PUT' })).status, 200);
  assert.ok(await waitFor(() => hosts(full, 'DSERVICE').length === 0, 10_000), 'OUT_OF_SERVICE filtered');
  assert.ok(await waitFor(async () => (await view('n1'))?.status['d-host'] === 'OUT_OF_SERVICE', 10_000), 'override replicated to n1 (heartbeats keep it)');
  await sleep(800); // heartbeats keep going: the override sticks
  assert.is((await view('n1'))?.status['d-host'], 'OUT_OF_SERVICE');
  assert.is((await fetch(h.url('n2') + 'DSERVICE/d-host/status?value=UP', { method: 'DELETE' })).status, 200);
  assert.ok(await waitFor(() => hosts(full, 'DSERVICE').length === 1, 10_000), 'back UP after override removal');
  // cancel (stop() deregisters with DELETE -> 200)
  await stop(d);
  clients.splice(clients.indexOf(d), 1);
  assert.ok(await waitFor(() => hosts(full, 'DSERVICE').length === 0 && hosts(watcher, 'DSERVICE').length === 0, 10_000), 'cancel seen by full and delta clients');
  assert.ok(h.events.some((e) => e.type === 'InstanceCancelled' && e.app === 'DSERVICE' && e.node === 'n3' && e.replication));
});

test('a killed node restarts and catches up from its peers', async () => {
  await h.kill('n3');
  const e = makeClient({ app: 'eservice', host: 'e-host', port: h.ports.get('n1')! });
  clients.push(e);
  await start(e);
  await sleep(300);
  await h.restart('n3');
  assert.ok(await waitFor(async () => (await view('n3'))?.ids.includes('ESERVICE/e-host') === true, 10_000), 'n3 has the instance registered while it was down');
  assert.ok(h.events.some((ev) => ev.type === 'RegistrySynced' && ev.node === 'n3' && ev.instances > 0 && ev.peersAnswered > 0));
  assert.ok(await waitFor(() => converged(), 10_000), 'all three agree');
});

test('a partition heals and views converge (renew 404 -> re-register, expiry of lost cancels)', async () => {
  await h.partition([['n1'], ['n2', 'n3']]);
  const f = makeClient({ app: 'fservice', host: 'f1-host', port: h.ports.get('n1')! });
  const g = makeClient({ app: 'gservice', host: 'g-host', port: h.ports.get('n2')! });
  clients.push(f, g);
  await Promise.all([start(f), start(g)]);
  // the aservice client (on n1) leaves during the partition: n2/n3 miss the cancel
  const a = clients[0]!;
  await stop(a);
  clients.splice(0, 1);
  await sleep(500);
  const v1 = await view('n1');
  const v2 = await view('n2');
  assert.ok(v1!.ids.includes('FSERVICE/f1-host') && !v1!.ids.includes('GSERVICE/g-host'), 'n1 only knows its side');
  assert.ok(v2!.ids.includes('GSERVICE/g-host') && !v2!.ids.includes('FSERVICE/f1-host') && v2!.ids.includes('ASERVICE/a-host'), 'n2 only knows its side');
  await h.heal();
  assert.ok(await waitFor(() => converged(), 10_000), 'views converge after the heal');
  const v = await view('n2');
  assert.ok(v!.ids.includes('FSERVICE/f1-host') && v!.ids.includes('GSERVICE/g-host') && !v!.ids.includes('ASERVICE/a-host'), JSON.stringify(v));
});

test.run();
