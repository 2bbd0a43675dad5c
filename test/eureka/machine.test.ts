import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { RegistryState } from '../../src/core/registry/machine.js';
import { deltaView, effectiveStatus, fullView, hashcode, initRegistry, instanceView, isExpired, leaseOf, step } from '../../src/core/registry/machine.js';
import type { RegistryConfig, RegistryInput, RegistryOutput } from '../../src/core/registry/types.js';
import { inst } from './fixtures.js';

function reg(cfg: Partial<RegistryConfig> = {}): RegistryState {
  const s = initRegistry({ openForTrafficCountDefault: 0, ...cfg }, 0);
  step(s, { type: 'OpenForTraffic', nowMs: 0, peerAnswered: true });
  return s;
}
function run(s: RegistryState, i: RegistryInput): RegistryOutput[] {
  return [...step(s, i).out];
}
function code(out: RegistryOutput[]): number {
  const r = out.find((o) => o.type === 'Reply');
  return r !== undefined && r.type === 'Reply' ? r.code : -1;
}
function events(out: RegistryOutput[]): string[] {
  return out.flatMap((o) => (o.type === 'Event' ? [o.event.type] : []));
}
const noPreserve = { selfPreservationEnabled: false };

test('a never-renewed lease expires 90 s after registration', () => {
  const s = reg(noPreserve);
  run(s, { type: 'Register', nowMs: 0, info: inst('a', 'i1'), replication: false });
  const l = leaseOf(s, 'A', 'i1')!;
  assert.is(isExpired(s, l, 90_000, 0), false);
  assert.is(isExpired(s, l, 90_001, 0), true);
});

test('renewed leases expire after 2 x duration with the compat flag (default), 1 x without', () => {
  const on = reg(noPreserve);
  const off = reg({ ...noPreserve, leaseExpiryDoubledCompat: false });
  for (const s of [on, off]) {
    run(s, { type: 'Register', nowMs: 0, info: inst('a', 'i1'), replication: false });
    assert.is(code(run(s, { type: 'Renew', nowMs: 10_000, app: 'a', id: 'i1', replication: false })), 200);
  }
  assert.is(isExpired(on, leaseOf(on, 'A', 'i1')!, 190_000, 0), false);
  assert.is(isExpired(on, leaseOf(on, 'A', 'i1')!, 190_001, 0), true);
  assert.is(isExpired(off, leaseOf(off, 'A', 'i1')!, 100_000, 0), false);
  assert.is(isExpired(off, leaseOf(off, 'A', 'i1')!, 100_001, 0), true);
  // served lastRenewalTimestamp carries the bug: last renew + duration
  assert.is(fullView(on).applications[0]!.instances[0]!.leaseInfo.lastRenewalTimestamp, 100_000);
});

test('eviction is capped at size - floor(size x 0.85) per run, never replicated', () => {
  const s = reg(noPreserve);
  for (let i = 0; i < 20; i++) run(s, { type: 'Register', nowMs: 0, info: inst('a', `i${i}`), replication: false });
  const out = run(s, { type: 'Evict', nowMs: 200_000, seed: 42 });
  assert.is(events(out).filter((e) => e === 'InstanceEvicted').length, 3);
  assert.is(out.filter((o) => o.type === 'Replicate').length, 0);
  assert.is(s.size, 17);
  const s6 = reg(noPreserve);
  for (let i = 0; i < 6; i++) run(s6, { type: 'Register', nowMs: 0, info: inst('a', `i${i}`), replication: false });
  assert.is(events(run(s6, { type: 'Evict', nowMs: 200_000, seed: 1 })).filter((e) => e === 'InstanceEvicted').length, 1);
});

test('eviction victims are chosen by the seed (different seeds, different victims)', () => {
  const victims = (seed: number) => {
    const s = reg(noPreserve);
    for (let i = 0; i < 40; i++) run(s, { type: 'Register', nowMs: 0, info: inst('a', `i${i}`), replication: false });
    return run(s, { type: 'Evict', nowMs: 200_000, seed }).flatMap((o) => (o.type === 'Event' && o.event.type === 'InstanceEvicted' ? [o.event.id] : [])).join(',');
  };
  assert.is(victims(5), victims(5));
  assert.is.not(victims(5), victims(6));
});

test('a late eviction run compensates for its lateness', () => {
  const s = reg(noPreserve);
  run(s, { type: 'Evict', nowMs: 0, seed: 1 });
  run(s, { type: 'Register', nowMs: 0, info: inst('a', 'i1'), replication: false });
  // 40 s late: the lease (expired at 90 s) gets 40 s more
  assert.is(events(run(s, { type: 'Evict', nowMs: 100_000, seed: 1 })).includes('InstanceEvicted'), false);
  assert.is(events(run(s, { type: 'Evict', nowMs: 160_000, seed: 1 })).includes('InstanceEvicted'), true);
});

test('self-preservation: threshold floor(N x 2 x 0.85), entered below it, left above it', () => {
  const s = reg();
  for (let i = 0; i < 10; i++) run(s, { type: 'Register', nowMs: 0, info: inst('a', `i${i}`), replication: false });
  assert.is(s.expectedClients, 10);
  assert.is(s.threshold, 17);
  // window 1 (0..60 s): 18 renews => next window sees 18 > 17
  for (let k = 0; k < 18; k++) run(s, { type: 'Renew', nowMs: 1_000 + k, app: 'a', id: `i${k % 9}`, replication: false });
  let out = run(s, { type: 'Evict', nowMs: 60_000, seed: 1 });
  assert.equal(events(out), []);
  // window 2: only 16 renews (i9 died, others partial) => preservation, nothing evicted even when expired
  for (let k = 0; k < 16; k++) run(s, { type: 'Renew', nowMs: 61_000 + k, app: 'a', id: `i${k % 8}`, replication: false });
  out = run(s, { type: 'Evict', nowMs: 120_000, seed: 1 });
  assert.equal(events(out), ['SelfPreservationEntered']);
  out = run(s, { type: 'Evict', nowMs: 500_000, seed: 1 }); // rate of last window = 0
  assert.equal(events(out), []);
  assert.is(s.size, 10);
  // recovery: 18 renews in a window => left, and the expired i8, i9 go
  for (let k = 0; k < 18; k++) run(s, { type: 'Renew', nowMs: 540_000 + k, app: 'a', id: `i${k % 8}`, replication: false });
  out = run(s, { type: 'Evict', nowMs: 600_001, seed: 1 });
  assert.equal(events(out), ['SelfPreservationLeft', 'InstanceEvicted', 'InstanceEvicted'], 'limit 10 - floor(8.5) = 2');
});

test('renewal threshold recount raises, or lowers by less than 15 % only', () => {
  const s = reg();
  for (let i = 0; i < 10; i++) run(s, { type: 'Register', nowMs: 0, info: inst('a', `i${i}`), replication: false });
  s.expectedClients = 20; // e.g. after evictions that do not decrement
  run(s, { type: 'UpdateRenewalThreshold', nowMs: 1 });
  assert.is(s.expectedClients, 20, '10 <= 20 x 0.85: stays');
  s.expectedClients = 11;
  run(s, { type: 'UpdateRenewalThreshold', nowMs: 2 });
  assert.is(s.expectedClients, 10);
  assert.is(s.threshold, 17);
  run(s, { type: 'Cancel', nowMs: 3, app: 'a', id: 'i0', replication: false });
  assert.is(s.expectedClients, 9);
});

test('status rules: DownOrStarting, OverrideExists, LeaseExists (non-replication), AlwaysMatch', () => {
  assert.is(effectiveStatus('DOWN', 'OUT_OF_SERVICE', 'UP', false), 'DOWN');
  assert.is(effectiveStatus('STARTING', undefined, 'UP', false), 'STARTING');
  assert.is(effectiveStatus('UP', 'OUT_OF_SERVICE', 'UP', false), 'OUT_OF_SERVICE');
  assert.is(effectiveStatus('UP', undefined, 'OUT_OF_SERVICE', false), 'OUT_OF_SERVICE');
  assert.is(effectiveStatus('UP', undefined, 'OUT_OF_SERVICE', true), 'UP');
  assert.is(effectiveStatus('OUT_OF_SERVICE', undefined, null, false), 'OUT_OF_SERVICE');
});

test('status override flow: put OOS sticks across re-register; delete => renew 404 => re-register UP', () => {
  const s = reg();
  run(s, { type: 'Register', nowMs: 0, info: inst('a', 'i1'), replication: false });
  const up = run(s, { type: 'StatusUpdate', nowMs: 1, app: 'a', id: 'i1', value: 'OUT_OF_SERVICE', replication: false });
  assert.is(code(up), 200);
  assert.ok(up.some((o) => o.type === 'Replicate' && o.item.action === 'StatusUpdate'));
  assert.is(leaseOf(s, 'A', 'i1')!.info.status, 'OUT_OF_SERVICE');
  assert.is(code(run(s, { type: 'Renew', nowMs: 2, app: 'a', id: 'i1', replication: false })), 200);
  run(s, { type: 'Register', nowMs: 3, info: inst('a', 'i1'), replication: false });
  assert.is(leaseOf(s, 'A', 'i1')!.info.status, 'OUT_OF_SERVICE', 'override survives re-registration');
  run(s, { type: 'Register', nowMs: 4, info: inst('a', 'i1', { status: 'DOWN' }), replication: false });
  assert.is(leaseOf(s, 'A', 'i1')!.info.status, 'DOWN', 'DOWN reported beats the override');
  assert.is(hashcode(s), 'DOWN_1_');
  assert.is(code(run(s, { type: 'DeleteStatusOverride', nowMs: 5, app: 'a', id: 'i1', replication: false })), 200);
  assert.is(leaseOf(s, 'A', 'i1')!.info.status, 'UNKNOWN');
  assert.is(code(run(s, { type: 'Renew', nowMs: 6, app: 'a', id: 'i1', replication: false })), 404);
  run(s, { type: 'Register', nowMs: 7, info: inst('a', 'i1'), replication: false });
  assert.is(leaseOf(s, 'A', 'i1')!.info.status, 'UP');
  assert.is(code(run(s, { type: 'StatusUpdate', nowMs: 8, app: 'a', id: 'nope', value: 'DOWN', replication: false })), 404);
});

test('a late replicated heartbeat carrying an old override does not resurrect a deleted override', () => {
  const s = reg();
  run(s, { type: 'Register', nowMs: 0, info: inst('a', 'i1'), replication: false });
  run(s, { type: 'StatusUpdate', nowMs: 1, app: 'a', id: 'i1', value: 'OUT_OF_SERVICE', replication: false });
  run(s, { type: 'DeleteStatusOverride', nowMs: 2, app: 'a', id: 'i1', value: 'UP', replication: false });
  // the peer's heartbeat was sent before the delete reached it
  assert.is(code(run(s, { type: 'Renew', nowMs: 3, app: 'a', id: 'i1', replication: true, overriddenStatus: 'OUT_OF_SERVICE' })), 200);
  assert.is(leaseOf(s, 'A', 'i1')!.info.status, 'UP');
  assert.is(s.overrides.has('i1'), false);
  // ... but a replicated heartbeat answered 404 stores the override it carries (Eureka's rule)
  assert.is(code(run(s, { type: 'Renew', nowMs: 4, app: 'a', id: 'zz', replication: true, overriddenStatus: 'OUT_OF_SERVICE' })), 404);
  assert.is(s.overrides.get('zz')?.status, 'OUT_OF_SERVICE');
});

test('lastDirtyTimestamp: newer incoming => 404; older => 409 + copy for replication, 200 for clients', () => {
  const s = reg();
  run(s, { type: 'Register', nowMs: 0, info: inst('a', 'i1', { lastDirtyTimestamp: 1000 }), replication: false });
  assert.is(code(run(s, { type: 'Renew', nowMs: 1, app: 'a', id: 'i1', replication: false, lastDirtyTimestamp: 2000 })), 404);
  const r = run(s, { type: 'Renew', nowMs: 2, app: 'a', id: 'i1', replication: true, lastDirtyTimestamp: 500 });
  assert.is(code(r), 409);
  const rep = r.find((o) => o.type === 'Reply');
  assert.is(rep?.type === 'Reply' ? rep.instanceInfo?.lastDirtyTimestamp : -1, 1000);
  assert.is(code(run(s, { type: 'Renew', nowMs: 3, app: 'a', id: 'i1', replication: false, lastDirtyTimestamp: 500 })), 200);
  assert.is(code(run(s, { type: 'Renew', nowMs: 4, app: 'a', id: 'i1', replication: true, lastDirtyTimestamp: 1000 })), 200);
  // register over an existing lease with an older dirty ts keeps the stored copy; ties take the incoming one
  run(s, { type: 'Register', nowMs: 5, info: inst('a', 'i1', { lastDirtyTimestamp: 900, metadata: { v: 'old' } }), replication: true });
  assert.equal(leaseOf(s, 'A', 'i1')!.info.metadata, {});
  run(s, { type: 'Register', nowMs: 6, info: inst('a', 'i1', { lastDirtyTimestamp: 1000, metadata: { v: 'tie' } }), replication: true });
  assert.equal(leaseOf(s, 'A', 'i1')!.info.metadata, { v: 'tie' });
});

test('replication decisions: client actions replicate, replicated ones and renew 404s do not', () => {
  const s = reg();
  const rep = (out: RegistryOutput[]) => out.flatMap((o) => (o.type === 'Replicate' ? [o.item.action] : []));
  assert.equal(rep(run(s, { type: 'Register', nowMs: 0, info: inst('a', 'i1'), replication: false })), ['Register']);
  assert.equal(rep(run(s, { type: 'Register', nowMs: 0, info: inst('a', 'i2'), replication: true })), []);
  assert.equal(rep(run(s, { type: 'Renew', nowMs: 1, app: 'a', id: 'i1', replication: false })), ['Heartbeat']);
  assert.equal(rep(run(s, { type: 'Renew', nowMs: 1, app: 'a', id: 'zz', replication: false })), []);
  assert.equal(rep(run(s, { type: 'Cancel', nowMs: 2, app: 'a', id: 'i1', replication: false })), ['Cancel']);
  assert.equal(rep(run(s, { type: 'Cancel', nowMs: 2, app: 'a', id: 'i2', replication: true })), []);
  assert.is(code(run(s, { type: 'Cancel', nowMs: 2, app: 'a', id: 'i2', replication: false })), 404);
});

test('delta queue: last item per id wins, pruned after 180 s; hashcode over the full registry', () => {
  const s = reg();
  run(s, { type: 'Register', nowMs: 0, info: inst('a', 'i1'), replication: false });
  run(s, { type: 'Register', nowMs: 0, info: inst('a', 'i2'), replication: false });
  run(s, { type: 'Register', nowMs: 0, info: inst('b', 'j1'), replication: false });
  run(s, { type: 'Cancel', nowMs: 10_000, app: 'a', id: 'i1', replication: false });
  run(s, { type: 'StatusUpdate', nowMs: 20_000, app: 'b', id: 'j1', value: 'OUT_OF_SERVICE', replication: false });
  let d = deltaView(s, '7');
  assert.is(d.versionsDelta, '7');
  assert.is(d.appsHashcode, 'OUT_OF_SERVICE_1_UP_1_');
  const acts = Object.fromEntries(d.applications.flatMap((a) => a.instances.map((i) => [i.instanceId, i.actionType])));
  assert.equal(acts, { i1: 'DELETED', i2: 'ADDED', j1: 'MODIFIED' });
  run(s, { type: 'Register', nowMs: 30_000, info: inst('a', 'i1'), replication: false });
  d = deltaView(s, '8');
  assert.is(d.applications.find((a) => a.name === 'A')!.instances.find((i) => i.instanceId === 'i1')!.actionType, 'ADDED');
  run(s, { type: 'PruneDelta', nowMs: 195_000 });
  d = deltaView(s, '9');
  assert.equal(d.applications.flatMap((a) => a.instances.map((i) => i.instanceId)).sort(), ['i1', 'j1']);
  run(s, { type: 'PruneDelta', nowMs: 400_000 });
  assert.equal(deltaView(s, '10').applications, []);
});

test('hashcode format is byte-identical to Eureka: sorted by status name, zero counts dropped', () => {
  const s = reg();
  assert.is(hashcode(s), '');
  for (let i = 0; i < 18; i++) run(s, { type: 'Register', nowMs: 0, info: inst('a', `u${i}`), replication: false });
  run(s, { type: 'Register', nowMs: 0, info: inst('b', 'd1', { status: 'DOWN' }), replication: false });
  run(s, { type: 'Register', nowMs: 0, info: inst('b', 'd2', { status: 'DOWN' }), replication: false });
  run(s, { type: 'Register', nowMs: 0, info: inst('c', 'o1'), replication: false });
  run(s, { type: 'StatusUpdate', nowMs: 1, app: 'c', id: 'o1', value: 'OUT_OF_SERVICE', replication: false });
  assert.is(hashcode(s), 'DOWN_2_OUT_OF_SERVICE_1_UP_18_');
  assert.is(fullView(s).appsHashcode, 'DOWN_2_OUT_OF_SERVICE_1_UP_18_');
  assert.is(fullView(s).versionsDelta, '1');
});

test('GET instance hides expired-not-yet-evicted leases', () => {
  const s = reg();
  run(s, { type: 'Register', nowMs: 0, info: inst('a', 'i1'), replication: false });
  assert.ok(instanceView(s, 'a', 'i1', 1_000) !== null);
  assert.is(instanceView(s, 'a', 'i1', 100_000), null);
});

// Renewal speed is measured by `npx conclave bench eureka`, not here (no timed assertions in tests).
test('200k renews over 10k instances keep every instance registered', () => {
  const s = reg();
  for (let i = 0; i < 10_000; i++) run(s, { type: 'Register', nowMs: 0, info: inst(`app${i % 100}`, `i${i}`), replication: false });
  for (let k = 0; k < 200_000; k++) step(s, { type: 'Renew', nowMs: 1 + (k >> 10), app: `app${k % 100}`, id: `i${k % 10_000}`, replication: false });
  assert.is(s.size, 10_000);
});

test.run();
