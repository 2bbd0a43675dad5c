/**
 * Self-preservation with eureka-js-client 4.5.0 on a 3-node cluster: when renewals collapse below the
 * threshold every node stops expiring leases (dead instances stay listed); when renewals recover, eviction
 * resumes and the dead instances go.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EurekaHarness, sleep, waitFor } from './harness.js';
import { die, makeClient, start } from './clients.js';
import type { Eureka } from 'eureka-js-client';

// 200 ms heartbeats, a 2 s "minute": 10 renews per client per window. Threshold = floor(expected x 10 x 0.5).
const config = {
  leaseDurationMs: 1_000,
  expectedClientRenewalIntervalMs: 200,
  renewRateWindowMs: 2_000,
  renewalPercentThreshold: 0.5,
  evictionIntervalMs: 500,
  selfPreservationEnabled: true,
  responseCacheUpdateIntervalMs: 200,
  registrySyncRetryWaitMs: 300,
};

let h: EurekaHarness;
const clients: Eureka[] = [];

async function ids(node: string): Promise<string[]> {
  const r = await fetch(h.url(node), { headers: { accept: 'application/json' } });
  const j = (await r.json()) as { applications: { application: { instance: { hostName: string }[] }[] } };
  return j.applications.application.flatMap((a) => a.instance.map((i) => i.hostName)).sort();
}

async function status(node: string): Promise<{ isLeaseExpirationEnabled: boolean; numOfRenewsPerMinThreshold: number; numOfRenewsInLastMin: number; selfPreservation: boolean }> {
  const r = await fetch(h.url(node, '/eureka/v2/status'), { headers: { accept: 'application/json' } });
  return ((await r.json()) as { applicationStats: never }).applicationStats;
}

test.before(async () => {
  h = await new EurekaHarness({ backend: 'threads', config, replication: { batchDelayMs: 50 }, syncAskTimeoutMs: 300 }).start();
  await waitFor(() => h.events.filter((e) => e.type === 'RegistrySynced').length === 3, 5_000);
});

test.after(async () => {
  for (const c of clients) die(c);
  await h.close();
});

test('self-preservation engages when renewals collapse and eviction resumes when they recover', async () => {
  for (let i = 0; i < 8; i++) {
    const c = makeClient({ app: 'svc', host: `h${i}`, port: h.ports.get(h.names[i % 3]!)!, heartbeatIntervalMs: 200, registryFetchIntervalMs: 1_000, durationInSecs: 3 });
    clients.push(c);
  }
  await Promise.all(clients.map(start));
  assert.ok(await waitFor(async () => (await ids('n1')).length === 8 && (await ids('n3')).length === 8, 5_000), '8 registered everywhere');
  // expected clients = 1 (open-for-traffic default) + 8 registrations = 9 => threshold floor(9 x 10 x 0.5) = 45
  assert.ok(await waitFor(async () => (await status('n2')).isLeaseExpirationEnabled, 8_000), 'expiry enabled with ~80 renews per window');
  assert.is((await status('n2')).numOfRenewsPerMinThreshold, 45);

  // collapse: 3 clients lose their network for a while, 2 die for good => ~30 renews per window
  const paused = clients.slice(0, 3);
  const dead = clients.slice(3, 5);
  for (const c of [...paused, ...dead]) die(c);
  assert.ok(
    await waitFor(() => h.names.every((n) => h.events.some((e) => e.type === 'SelfPreservationEntered' && e.node === n)), 8_000),
    'every node enters self-preservation',
  );
  // Leases of 3 s (doubled expiry: 6 s) leave room for every node to see a full 2 s renew window and enter
  // self-preservation before any silent lease could expire, even on a loaded machine.
  await sleep(7_000); // past the (doubled) 6 s expiry of the silent leases
  assert.is((await ids('n1')).length, 8, 'nothing evicted while preserving');
  assert.not.ok(h.events.some((e) => e.type === 'InstanceEvicted'));
  const st = await status('n1');
  assert.ok(st.selfPreservation && !st.isLeaseExpirationEnabled && st.numOfRenewsInLastMin <= 45, JSON.stringify(st));

  // recovery: the 3 paused clients come back => ~60 renews per window > 45: preservation left, the 2 dead go
  for (const c of paused) c.startHeartbeats();
  assert.ok(await waitFor(() => h.names.every((n) => h.events.some((e) => e.type === 'SelfPreservationLeft' && e.node === n)), 8_000), 'every node leaves self-preservation');
  assert.ok(await waitFor(async () => (await ids('n1')).length === 6 && (await ids('n2')).length === 6 && (await ids('n3')).length === 6, 8_000), 'the 2 dead instances are evicted everywhere');
  assert.equal(await ids('n3'), ['h0', 'h1', 'h2', 'h5', 'h6', 'h7']);
});

test.run();
