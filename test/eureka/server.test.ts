/**
 * The HTTP front end endpoint by endpoint (one node, raw HTTP): queries, metadata, status overrides, response
 * cache timing (readOnly refresh, readWrite invalidation), delta versions, compact, 403 before the startup sync.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EurekaHarness, sleep, waitFor } from './harness.js';

const cacheMs = 600;
const config = { selfPreservationEnabled: false, responseCacheUpdateIntervalMs: cacheMs, leaseDurationMs: 30_000 };
let h: EurekaHarness;

const body = (app: string, host: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ instance: { app, hostName: host, ipAddr: '10.0.0.9', port: { $: 80, '@enabled': 'true' }, vipAddress: `${app.toLowerCase()},shared`, secureVipAddress: `${app.toLowerCase()}-s`, dataCenterInfo: { name: 'MyOwn' }, ...extra } });
const json = { accept: 'application/json' };
async function hostsOf(path: string): Promise<string[]> {
  const r = await fetch(h.url('n1', path), { headers: json });
  const j = (await r.json()) as { applications: { application: { instance: { hostName: string }[] }[] } };
  return j.applications.application.flatMap((a) => a.instance.map((i) => i.hostName)).sort();
}

test.before(async () => {
  h = await new EurekaHarness({ nodes: 1, config }).start();
  await waitFor(() => h.events.some((e) => e.type === 'RegistrySynced'), 2_000);
  for (const [app, host] of [['ALPHA', 'a1'], ['ALPHA', 'a2'], ['BETA', 'b1']] as const) {
    assert.is((await fetch(h.url('n1') + app, { method: 'POST', body: body(app, host) })).status, 204);
  }
});

test.after(async () => {
  await h.close();
});

test('queries: /apps/{app}, /apps/{app}/{id}, /instances/{id}, /vips (comma-split), /svips, all three path styles', async () => {
  for (const base of ['/eureka/v2/', '/eureka/', '/v2/']) {
    const r = await fetch(h.url('n1', `${base}apps/ALPHA/`), { headers: json });
    assert.is(r.status, 200, base);
    const j = (await r.json()) as { application: { name: string; instance: unknown[] } };
    assert.is(j.application.name, 'ALPHA');
    assert.is(j.application.instance.length, 2);
  }
  assert.is((await fetch(h.url('n1', '/eureka/v2/apps/NOPE'))).status, 404);
  const one = (await (await fetch(h.url('n1', '/eureka/v2/apps/beta/b1'), { headers: json })).json()) as { instance: { hostName: string } };
  assert.is(one.instance.hostName, 'b1');
  const byId = (await (await fetch(h.url('n1', '/eureka/v2/instances/a2'), { headers: json })).json()) as { instance: { app: string } };
  assert.is(byId.instance.app, 'ALPHA');
  assert.is((await fetch(h.url('n1', '/eureka/v2/instances/zz'))).status, 404);
  assert.equal(await hostsOf('/eureka/v2/vips/shared'), ['a1', 'a2', 'b1']);
  assert.equal(await hostsOf('/eureka/v2/vips/alpha'), ['a1', 'a2']);
  assert.equal(await hostsOf('/eureka/v2/svips/beta-s'), ['b1']);
  assert.equal(await hostsOf('/eureka/v2/vips/none'), []);
});

test('compact (X-Eureka-Accept) drops leaseInfo and metadata; XML when Accept lacks json; HEAD has no body', async () => {
  const r = await fetch(h.url('n1', '/eureka/v2/apps/'), { headers: { accept: 'application/json', 'x-eureka-accept': 'compact' } });
  const t = await r.text();
  assert.not.ok(t.includes('leaseInfo'));
  assert.ok(t.includes('"hostName":"a1"'));
  const x = await fetch(h.url('n1', '/eureka/v2/apps/ALPHA'), { headers: { accept: '*/*' } });
  assert.is(x.headers.get('content-type'), 'application/xml');
  assert.ok((await x.text()).startsWith('<application><name>ALPHA</name><instance>'));
  const head = await fetch(h.url('n1', '/eureka/v2/apps/'), { method: 'HEAD' });
  assert.is(head.status, 200);
  assert.is(await head.text(), '');
});

test('response cache: readOnly serves the old registry until its next refresh; renewals do not invalidate', async () => {
  await sleep(cacheMs); // let the first refresh after population pass
  await hostsOf('/eureka/v2/apps/');
  const t0 = Date.now();
  assert.is((await fetch(h.url('n1') + 'GAMMA', { method: 'POST', body: body('GAMMA', 'g1') })).status, 204);
  const immediately = await hostsOf('/eureka/v2/apps/');
  const sawAt = await waitFor(async () => (await hostsOf('/eureka/v2/apps/')).includes('g1'), 3 * cacheMs, 20);
  const lag = Date.now() - t0;
  assert.ok(sawAt, 'visible after the refresh');
  assert.ok(lag <= cacheMs + 300, `visible within one refresh interval (${lag} ms)`);
  // the uncached instance endpoint sees it at once
  assert.is((await fetch(h.url('n1', '/eureka/v2/apps/GAMMA/g1'))).status, 200);
  // not a hard-coded expectation: either it was already refreshed, or the stale copy lacked g1
  if (!immediately.includes('g1')) assert.ok(lag > 0);
  const loads = h.servers.get('n1')!.cache.loads;
  for (let i = 0; i < 5; i++) assert.is((await fetch(h.url('n1') + 'ALPHA/a1', { method: 'PUT' })).status, 200);
  await sleep(cacheMs * 2);
  await hostsOf('/eureka/v2/apps/');
  assert.is(h.servers.get('n1')!.cache.loads, loads, 'renewals caused no cache reload');
});

test('delta: versions__delta increments per readWrite load; ADDED/MODIFIED/DELETED; always "application": []', async () => {
  const d1 = (await (await fetch(h.url('n1', '/eureka/v2/apps/delta'), { headers: json })).json()) as { applications: { versions__delta: string; apps__hashcode: string; application: { instance: { hostName: string; actionType: string }[] }[] } };
  assert.ok(Array.isArray(d1.applications.application));
  const acts = Object.fromEntries(d1.applications.application.flatMap((a) => a.instance.map((i) => [i.hostName, i.actionType])));
  assert.is(acts.a1, 'ADDED');
  assert.is(d1.applications.apps__hashcode, 'UP_4_');
  assert.is((await fetch(h.url('n1') + 'BETA/b1/status?value=DOWN', { method: 'PUT' })).status, 200);
  assert.is((await fetch(h.url('n1') + 'ALPHA/a2', { method: 'DELETE' })).status, 200);
  await sleep(cacheMs + 200);
  const d2 = (await (await fetch(h.url('n1', '/eureka/v2/apps/delta'), { headers: json })).json()) as typeof d1;
  assert.ok(Number(d2.applications.versions__delta) > Number(d1.applications.versions__delta), `${d1.applications.versions__delta} -> ${d2.applications.versions__delta}`);
  const acts2 = Object.fromEntries(d2.applications.application.flatMap((a) => a.instance.map((i) => [i.hostName, i.actionType])));
  assert.is(acts2.b1, 'MODIFIED');
  assert.is(acts2.a2, 'DELETED');
  assert.is(d2.applications.apps__hashcode, 'DOWN_1_UP_2_');
});

test('metadata PUT merges query params; status override delete => renew 404 => re-register', async () => {
  assert.is((await fetch(h.url('n1') + 'ALPHA/a1/metadata?zone=z9&team=core', { method: 'PUT' })).status, 200);
  const j = (await (await fetch(h.url('n1', '/eureka/v2/apps/ALPHA/a1'), { headers: json })).json()) as { instance: { metadata: Record<string, string> } };
  assert.equal(j.instance.metadata, { zone: 'z9', team: 'core' });
  assert.is((await fetch(h.url('n1') + 'ALPHA/nobody/metadata?x=1', { method: 'PUT' })).status, 404);
  assert.is((await fetch(h.url('n1') + 'ALPHA/a1/status?value=OUT_OF_SERVICE', { method: 'PUT' })).status, 200);
  const ov = (await (await fetch(h.url('n1', '/serverinfo/statusoverrides'))).json()) as Record<string, string>;
  assert.is(ov.a1, 'OUT_OF_SERVICE');
  assert.is((await fetch(h.url('n1') + 'ALPHA/a1/status', { method: 'DELETE' })).status, 200);
  const ov2 = (await (await fetch(h.url('n1', '/eureka/serverinfo/statusoverrides'))).json()) as Record<string, string>;
  assert.is(ov2.a1, undefined);
  assert.is((await fetch(h.url('n1') + 'ALPHA/a1', { method: 'PUT' })).status, 404, 'UNKNOWN after delete => 404');
  assert.is((await fetch(h.url('n1') + 'ALPHA', { method: 'POST', body: body('ALPHA', 'a1') })).status, 204);
  assert.is((await fetch(h.url('n1') + 'ALPHA/a1', { method: 'PUT' })).status, 200);
  assert.is((await fetch(h.url('n1') + 'ALPHA/a1?lastDirtyTimestamp=99999999999999', { method: 'PUT' })).status, 404, 'newer client dirty ts => 404');
  const st = (await (await fetch(h.url('n1', '/eureka/v2/status'), { headers: json })).json()) as { applicationStats: { 'registered-instances': number } };
  assert.is(st.applicationStats['registered-instances'], 3, 'a1, b1, g1 (a2 cancelled)');
});

test('registry reads answer 403 while the startup sync has reached no peer', async () => {
  const lone = await new EurekaHarness({ nodes: 1, config: { ...config, registrySyncRetriesMax: 1, registrySyncRetryWaitMs: 100, waitTimeWhenSyncEmptyMs: 60_000 }, peersOf: () => ['n9/registry'], syncAskTimeoutMs: 200 }).start();
  try {
    assert.is((await fetch(lone.url('n1'))).status, 403);
    await sleep(500);
    const r = await fetch(lone.url('n1'));
    assert.is(r.status, 403, 'locked out for waitTimeWhenSyncEmptyMs');
    assert.match(await r.text(), /not yet open/);
    assert.is((await fetch(lone.url('n1') + 'X', { method: 'POST', body: body('X', 'x1') })).status, 204, 'writes are still taken (AP)');
  } finally {
    await lone.close();
  }
});

test.run();
