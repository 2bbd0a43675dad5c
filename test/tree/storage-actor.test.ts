import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSimRuntime } from '../../src/runtime/sim/index.js';
import { storageKinds } from '../../actors/storage.js';
import type { StorageReply } from '../../src/protocol/storage.js';
import { Harness, create } from './helpers.js';

type Reply<T extends StorageReply['type']> = Extract<StorageReply, { type: T }>;

async function world(seed: number) {
  return createSimRuntime({
    seed,
    kinds: storageKinds,
    kindsModule: '',
    nodes: [{ node: 'n1', actors: [{ name: 'storage', kind: 'storage', args: { snapshotEveryTxns: 25 } }] }],
    net: { latencyMinMs: 1, latencyMaxMs: 1 },
  });
}

test('storage actor: group-committed AppendLog (one fsync), CommitTo, Read; survives a crash + restart', async () => {
  const rt = await world(11);
  const h = new Harness();
  // the txns front ends log (requests, validated at apply), shipped as log entries in several messages of one turn
  const first = h.prepare(create('/x', 'hello'));
  h.apply(first);
  const txns = [first];
  for (let i = 0; i < 40; i++) {
    const t = h.prepare(create(`/x/n-`, `v${i}`, 2));
    h.apply(t);
    txns.push(t);
  }
  const f0 = rt.disk('n1').fsyncs;
  const asks = [];
  for (let i = 0; i < txns.length; i += 10) {
    asks.push(rt.ask<Reply<'Logged'>>('n1/storage', { type: 'AppendLog', gen: 1, entries: txns.slice(i, i + 10).map((txn) => ({ zxid: txn.zxid, txn })) }, 1000));
  }
  const logged = await Promise.all(asks);
  // Cumulative acks, each covering at least its own batch; the batches that arrived together share one fsync.
  logged.forEach((l, k) => assert.ok(l.zxid >= txns[Math.min(txns.length - 1, k * 10 + 9)]!.zxid));
  const fsyncs = rt.disk('n1').fsyncs - f0;
  assert.ok(fsyncs >= 1 && fsyncs < logged.length, `${fsyncs} fsyncs for ${logged.length} AppendLogs`);
  rt.send('n1/storage', { type: 'CommitTo', zxid: txns[30]!.zxid });
  await rt.runFor(5);
  const r = await rt.ask<Reply<'ReadDone'>>('n1/storage', { type: 'Read', request: { type: 'GetChildren', path: '/x' } }, 1000);
  assert.is(r.result.type === 'Children' ? r.result.children.length : -1, 30);
  assert.is(r.zxid, txns[30]!.zxid);
  // crash and restart: recovery from the simulated disk; uncommitted entries are pending, not applied
  await rt.kill('n1');
  await rt.restart('n1');
  await rt.runFor(5);
  const boot = await rt.ask<Reply<'Boot'>>('n1/storage', { type: 'GetBoot' }, 1000);
  assert.is(boot.boot.lastZxid, txns[txns.length - 1]!.zxid);
  assert.ok(boot.boot.committedZxid >= txns[24]!.zxid, 'snapshot after 25 txns is recovered');
  assert.is(boot.boot.logTail[boot.boot.logTail.length - 1]!.zxid, boot.boot.lastZxid);
  rt.send('n1/storage', { type: 'CommitTo', zxid: txns[txns.length - 1]!.zxid });
  await rt.runFor(5);
  const r2 = await rt.ask<Reply<'ReadDone'>>('n1/storage', { type: 'Read', request: { type: 'GetChildren', path: '/x' } }, 1000);
  assert.is(r2.result.type === 'Children' ? r2.result.children.length : -1, 40);
  const diff = await rt.ask<Reply<'LogRead'>>('n1/storage', { type: 'ReadLog', fromZxid: txns[35]!.zxid }, 1000);
  assert.equal(diff.entries!.map((e) => e.zxid), txns.slice(36).map((t) => t.zxid));
  const rec = await rt.ask<Reply<'StorageRecovered'>>('n1/storage', { type: 'StorageRecover', logTailMax: 3 }, 1000);
  assert.equal(rec.boot.logTail.map((e) => e.zxid), txns.slice(-3).map((t) => t.zxid));
  assert.is(rec.boot.logTailBase, txns[txns.length - 4]!.zxid);
  const ep = await rt.ask<Reply<'EpochsPersisted'>>('n1/storage', { type: 'PersistEpochs', token: 9, acceptedEpoch: 2, acceptedLeader: 1, currentEpoch: 1 }, 1000);
  assert.is(ep.token, 9);
  await rt.close();
});

test('storage actor: TakeSnapshot → InstallSnapshot on another node', async () => {
  const rt = await createSimRuntime({
    seed: 3,
    kinds: storageKinds,
    kindsModule: '',
    nodes: ['n1', 'n2'].map((node) => ({ node, actors: [{ name: 'storage', kind: 'storage' }] })),
  });
  const h = new Harness();
  const txns = [];
  for (let i = 0; i < 20; i++) {
    const t = h.prepare(create(`/s${i}`, 'd'));
    h.apply(t);
    txns.push(t);
  }
  await rt.ask<Reply<'Logged'>>('n1/storage', { type: 'AppendLog', gen: 1, entries: txns.map((txn) => ({ zxid: txn.zxid, txn })) }, 1000);
  // Commit only 15 of 20: the snapshot is at the apply point and carries the 5 logged-but-unapplied entries, so a
  // leader whose window no longer reaches back to its apply point can still SNAP (found by the ensemble swarm).
  rt.send('n1/storage', { type: 'CommitTo', zxid: txns[14]!.zxid });
  const early = await rt.ask<Reply<'SnapshotTaken'>>('n1/storage', { type: 'TakeSnapshot', token: 1 }, 1000);
  assert.is(early.snapshot.zxid, txns[14]!.zxid);
  assert.equal(
    (early.entries ?? []).map((e) => e.zxid),
    txns.slice(15).map((t) => t.zxid),
  );
  rt.send('n1/storage', { type: 'CommitTo', zxid: txns[19]!.zxid });
  const snap = await rt.ask<Reply<'SnapshotTaken'>>('n1/storage', { type: 'TakeSnapshot', token: 1 }, 1000);
  assert.is(snap.snapshot.zxid, txns[19]!.zxid);
  assert.equal(snap.entries, []);
  const l = await rt.ask<Reply<'Logged'>>('n2/storage', { type: 'InstallSnapshot', gen: 2, snapshot: snap.snapshot }, 1000);
  assert.is(l.zxid, txns[19]!.zxid);
  const r = await rt.ask<Reply<'ReadDone'>>('n2/storage', { type: 'Read', request: { type: 'Exists', path: '/s19' } }, 1000);
  assert.is(r.result.type, 'Stat');
  await rt.close();
});

test('storage actor: TruncateLog drops the uncommitted tail; an AppendLog of an older gen is ignored', async () => {
  const rt = await world(5);
  const h = new Harness();
  const txns = [];
  for (let i = 0; i < 10; i++) {
    const t = h.prepare(create(`/t${i}`));
    h.apply(t);
    txns.push(t);
  }
  const entries = txns.map((txn) => ({ zxid: txn.zxid, txn }));
  await rt.ask<Reply<'Logged'>>('n1/storage', { type: 'AppendLog', gen: 1, entries: entries.slice(0, 8) }, 1000);
  rt.send('n1/storage', { type: 'CommitTo', zxid: txns[3]!.zxid });
  rt.send('n1/storage', { type: 'TruncateLog', gen: 2, toZxid: txns[5]!.zxid });
  await rt.runFor(5);
  let boot = await rt.ask<Reply<'Boot'>>('n1/storage', { type: 'GetBoot' }, 1000);
  assert.is(boot.boot.lastZxid, txns[5]!.zxid);
  assert.is(boot.boot.committedZxid, txns[3]!.zxid);
  // a late AppendLog of gen 1 must not resurrect anything
  rt.send('n1/storage', { type: 'AppendLog', gen: 1, entries: entries.slice(6) });
  await rt.runFor(5);
  boot = await rt.ask<Reply<'Boot'>>('n1/storage', { type: 'GetBoot' }, 1000);
  assert.is(boot.boot.lastZxid, txns[5]!.zxid);
  const l = await rt.ask<Reply<'Logged'>>('n1/storage', { type: 'AppendLog', gen: 2, entries: entries.slice(6) }, 1000);
  assert.equal([l.gen, l.zxid], [2, txns[9]!.zxid]);
  await rt.kill('n1');
  await rt.restart('n1');
  await rt.runFor(5);
  boot = await rt.ask<Reply<'Boot'>>('n1/storage', { type: 'GetBoot' }, 1000);
  assert.is(boot.boot.lastZxid, txns[9]!.zxid);
  await rt.close();
});

test('storage actor with background fsync: acknowledged only once durable; appends meanwhile join the next sync; a crash first loses them', async () => {
  const fsyncMs = 10;
  const rt = await createSimRuntime({
    seed: 8,
    kinds: storageKinds,
    kindsModule: '',
    nodes: [{ node: 'n1', actors: [{ name: 'storage', kind: 'storage' }] }],
    net: { latencyMinMs: 1, latencyMaxMs: 1, backgroundFsyncMs: fsyncMs },
  });
  const h = new Harness();
  const txns = [];
  for (let i = 0; i < 30; i++) {
    const t = h.prepare(create(`/b${i}`));
    h.apply(t);
    txns.push(t);
  }
  const entries = txns.map((txn) => ({ zxid: txn.zxid, txn }));
  const t0 = rt.now();
  const first = await rt.ask<Reply<'Logged'>>('n1/storage', { type: 'AppendLog', gen: 1, entries: entries.slice(0, 10) }, 1000);
  assert.is(first.zxid, txns[9]!.zxid);
  assert.ok(rt.now() - t0 >= fsyncMs, `acknowledged after ${rt.now() - t0} ms, before the ${fsyncMs} ms fsync`);
  // two AppendLogs, the second while the first one's fsync is in flight: each acknowledged at its own zxid
  const a = rt.ask<Reply<'Logged'>>('n1/storage', { type: 'AppendLog', gen: 1, entries: entries.slice(10, 20) }, 1000);
  await rt.runFor(fsyncMs / 2);
  const b = rt.ask<Reply<'Logged'>>('n1/storage', { type: 'AppendLog', gen: 1, entries: entries.slice(20, 25) }, 1000);
  const [la, lb] = await Promise.all([a, b]);
  assert.is(la.zxid, txns[19]!.zxid, 'the first sync covers only what was appended before it began');
  assert.is(lb.zxid, txns[24]!.zxid);
  // appended, then a crash before the background fsync completes: recovery finds the acknowledged log only
  rt.send('n1/storage', { type: 'AppendLog', gen: 1, entries: entries.slice(25) });
  await rt.runFor(2);
  await rt.kill('n1');
  await rt.runFor(fsyncMs * 2);
  await rt.restart('n1');
  await rt.runFor(2);
  const boot = await rt.ask<Reply<'Boot'>>('n1/storage', { type: 'GetBoot' }, 1000);
  assert.is(boot.boot.lastZxid, txns[24]!.zxid);
  await rt.close();
});

test.run();
