import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SimDisk } from '../../src/runtime/sim/disk.js';
import { Rng } from '../../src/core/rng.js';
import { Storage } from '../../src/storage/storage.js';
import { CorruptLogError } from '../../src/storage/wal.js';
import type { Txn } from '../../src/protocol/txn.js';
import { Harness, create, enc } from './helpers.js';

/** n txns from a leader harness (prepared and applied there, so they are valid in sequence). */
function txns(h: Harness, n: number, prefix = '/k'): Txn[] {
  const out: Txn[] = [];
  if (!h.tree.has(prefix)) out.push(h.apply(h.prepare(create(prefix))) && h.log[h.log.length - 1]!);
  for (let i = out.length; i < n; i++) {
    const t = i % 3 === 2 ? h.prepare({ type: 'SetData', path: prefix, data: enc(`v${i}`), version: -1 }) : h.prepare(create(`${prefix}/n-`, `data ${i}`, 2));
    h.apply(t);
    out.push(t);
  }
  return out;
}

function logAndCommit(s: Storage, batch: Txn[]): void {
  s.append(batch);
  s.sync();
  s.commitTo(batch[batch.length - 1]!.zxid);
}

test('append + one sync per batch (group commit) + recover gives the same state', () => {
  const disk = new SimDisk();
  const s = new Storage(disk);
  s.recover();
  const h = new Harness();
  const all = txns(h, 90);
  const f0 = disk.fsyncs;
  for (let i = 0; i < 90; i += 30) {
    s.append(all.slice(i, i + 10));
    s.append(all.slice(i + 10, i + 30));
    s.sync();
    s.commitTo(all[i + 29]!.zxid);
  }
  assert.is(disk.fsyncs - f0, 3, 'one fsync per batch');
  assert.is(s.tree.digest(), h.tree.digest());
  const r = new Storage(disk);
  const rep = r.recover();
  assert.is(r.lastZxid, all[89]!.zxid);
  // The commit point file is lazy: recovered state is at most the log; ZAB re-commits pending entries.
  r.commitTo(all[89]!.zxid);
  assert.is(r.tree.digest(), h.tree.digest());
  assert.is(rep.truncatedBytes, 0);
});

test('crash loses unsynced appends; acknowledged (synced) entries survive', () => {
  const disk = new SimDisk();
  const s = new Storage(disk);
  s.recover();
  const h = new Harness();
  const all = txns(h, 50);
  logAndCommit(s, all.slice(0, 30));
  s.append(all.slice(30));
  disk.crash(new Rng(1), 0);
  const r = new Storage(disk);
  r.recover();
  assert.is(r.lastZxid, all[29]!.zxid);
  r.commitTo(r.lastZxid);
  const ref = new Harness();
  for (const t of all.slice(0, 30)) ref.apply(t);
  assert.is(r.tree.digest(), ref.tree.digest());
});

test('torn tails (random prefix of the unsynced bytes) are truncated; nothing synced is lost; log usable after', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const disk = new SimDisk();
    const s = new Storage(disk, { segmentBytesMax: 2048 });
    s.recover();
    const h = new Harness();
    const all = txns(h, 60);
    logAndCommit(s, all.slice(0, 25));
    s.append(all.slice(25, 60));
    disk.crash(new Rng(seed), 1);
    const r = new Storage(disk, { segmentBytesMax: 2048 });
    const rep = r.recover();
    assert.ok(r.lastZxid >= all[24]!.zxid, `seed ${seed}: synced entry lost`);
    assert.ok(r.lastZxid <= all[59]!.zxid);
    const k = all.findIndex((t) => t.zxid === r.lastZxid);
    assert.ok(k >= 24, `seed ${seed}: lastZxid is a logged zxid`);
    assert.is(rep.pending + rep.replayed, k + 1, `seed ${seed}: every entry the log kept is replayed or pending`);
    // continue from where the log ends: append the rest, recover again, compare with the reference
    r.append(all.slice(k + 1));
    r.sync();
    const r2 = new Storage(disk, { segmentBytesMax: 2048 });
    r2.recover();
    r2.commitTo(all[59]!.zxid);
    assert.is(r2.tree.digest(), h.tree.digest(), `seed ${seed}`);
  }
});

function segFiles(disk: SimDisk): string[] {
  return disk.list('log').map((n) => `log/${n}`);
}

test('a corrupt record in the middle is an error, never skipped', () => {
  const disk = new SimDisk();
  const s = new Storage(disk);
  s.recover();
  const h = new Harness();
  logAndCommit(s, txns(h, 20));
  const [file] = segFiles(disk);
  const bytes = disk.read(file!)!;
  const bad = bytes.slice();
  bad[Math.floor(bytes.length / 2)]! ^= 0xff;
  disk.writeAtomic(file!, bad);
  assert.throws(() => new Storage(disk).recover(), (e: unknown) => e instanceof CorruptLogError);
});

test('a corrupt LAST record (CRC mismatch at the end) is truncated', () => {
  const disk = new SimDisk();
  const s = new Storage(disk);
  s.recover();
  const h = new Harness();
  const all = txns(h, 20);
  logAndCommit(s, all);
  const [file] = segFiles(disk);
  const bad = disk.read(file!)!.slice();
  bad[bad.length - 2]! ^= 0x55;
  disk.writeAtomic(file!, bad);
  const r = new Storage(disk);
  const rep = r.recover();
  assert.is(r.lastZxid, all[18]!.zxid);
  assert.ok(rep.truncatedBytes > 0);
});

test('a damaged tail in a segment that is not the last is an error', () => {
  const disk = new SimDisk();
  const s = new Storage(disk, { segmentBytesMax: 1024 });
  s.recover();
  const h = new Harness();
  logAndCommit(s, txns(h, 60));
  const files = segFiles(disk);
  assert.ok(files.length >= 3, `rolled into ${files.length} segments`);
  const b = disk.read(files[0]!)!;
  disk.writeAtomic(files[0]!, b.slice(0, b.length - 3));
  assert.throws(() => new Storage(disk, { segmentBytesMax: 1024 }).recover(), (e: unknown) => e instanceof CorruptLogError);
});

test('segments roll at segmentBytesMax; recovery spans them', () => {
  const disk = new SimDisk();
  const s = new Storage(disk, { segmentBytesMax: 4096 });
  s.recover();
  const h = new Harness();
  const all = txns(h, 300);
  for (let i = 0; i < 300; i += 50) logAndCommit(s, all.slice(i, i + 50));
  const files = segFiles(disk);
  assert.ok(files.length > 3);
  for (const f of files) assert.ok(disk.size(f) <= 4096, `${f} is ${disk.size(f)} bytes`);
  const r = new Storage(disk, { segmentBytesMax: 4096 });
  r.recover();
  r.commitTo(r.lastZxid);
  assert.is(r.tree.digest(), h.tree.digest());
});

test('a roll while a background sync is in flight makes the old segment durable first: a crash tears only the last', () => {
  for (let seed = 1; seed <= 40; seed++) {
    // background fsyncs that never complete before the crash
    const disk = new SimDisk({ latencyMs: 5, schedule: () => undefined });
    const s = new Storage(disk, { segmentBytesMax: 2048 });
    s.recover();
    const h = new Harness();
    const all = txns(h, 80);
    // one txn a turn, each turn's appends handed to a background sync that is still in flight at the crash: the
    // txn that does not fit rolls the log while the old segment's tail is only in a background sync
    let rolledAt = -1;
    for (let i = 0; i < all.length && rolledAt < 0; i++) {
      const before = segFiles(disk).length;
      s.syncBegin();
      s.append([all[i]!]);
      if (before > 0 && segFiles(disk).length > before) rolledAt = i;
    }
    assert.ok(rolledAt > 0, 'the log rolled');
    disk.crash(new Rng(seed), 1);
    const r = new Storage(disk, { segmentBytesMax: 2048 });
    r.recover(); // a torn tail before a later segment would throw CorruptLogError
    assert.ok(r.lastZxid >= all[rolledAt - 1]!.zxid, `seed ${seed}: the rolled-from segment was made durable`);
  }
});

test('recovery = newest valid snapshot + log replay; retention keeps N snapshots and prunes old segments', () => {
  const disk = new SimDisk();
  const opts = { segmentBytesMax: 4096, snapshotsRetainMax: 2 };
  const s = new Storage(disk, opts);
  s.recover();
  const h = new Harness();
  const all = txns(h, 400);
  for (let i = 0; i < 400; i += 50) {
    logAndCommit(s, all.slice(i, i + 50));
    if (i % 100 === 50) s.snapshot();
  }
  const snaps = disk.list('snap');
  assert.is(snaps.length, 2);
  const firstSeg = parseInt(disk.list('log')[0]!, 16);
  assert.ok(firstSeg > all[0]!.zxid, 'old segments pruned');
  const r = new Storage(disk, opts);
  const rep = r.recover();
  assert.is(rep.snapshotZxid, all[399]!.zxid);
  r.commitTo(r.lastZxid);
  assert.is(r.tree.digest(), h.tree.digest());
  assert.is(r.tree.recomputeDigest(), h.tree.digest());
  // corrupt the newest snapshot: fall back to the older one, replay more of the log, same state
  const newest = `snap/${snaps[1]}`;
  const b = disk.read(newest)!.slice();
  b[100]! ^= 1;
  disk.writeAtomic(newest, b);
  const r2 = new Storage(disk, opts);
  const rep2 = r2.recover();
  assert.equal(rep2.invalidSnapshots, [snaps[1]]);
  assert.is(rep2.snapshotZxid, all[299]!.zxid);
  r2.commitTo(r2.lastZxid);
  assert.is(r2.tree.digest(), h.tree.digest());
});

test('an incomplete snapshot write (crash before fsync, torn) is ignored', () => {
  const disk = new SimDisk();
  const s = new Storage(disk);
  s.recover();
  const h = new Harness();
  const all = txns(h, 40);
  logAndCommit(s, all.slice(0, 20));
  s.snapshot();
  logAndCommit(s, all.slice(20));
  // simulate a torn snapshot file for a later zxid
  const full = s.snapshotBytes().bytes;
  disk.append('snap/ffffffffffffffff', full.slice(0, full.length - 10));
  const r = new Storage(disk);
  const rep = r.recover();
  assert.equal(rep.invalidSnapshots, ['ffffffffffffffff']);
  r.commitTo(r.lastZxid);
  assert.is(r.tree.digest(), h.tree.digest());
});

test('uncommitted entries stay pending after recovery until CommitTo; the commit point file is honoured', () => {
  const disk = new SimDisk();
  const s = new Storage(disk, { commitPersistTxnsMax: 10 });
  s.recover();
  const h = new Harness();
  const all = txns(h, 30);
  s.append(all);
  s.sync();
  s.commitTo(all[19]!.zxid);
  const r = new Storage(disk, { commitPersistTxnsMax: 10 });
  const rep = r.recover();
  assert.is(r.appliedZxid, all[19]!.zxid);
  assert.is(rep.pending, 10);
  const applied = r.commitTo(all[29]!.zxid);
  assert.is(applied.length, 10);
  assert.is(applied[0]!.zxid, all[20]!.zxid);
  assert.is(r.tree.digest(), h.tree.digest());
});

test('truncate (TRUNC) drops entries after toZxid durably; readLog serves DIFF from memory and disk', () => {
  const disk = new SimDisk();
  const opts = { segmentBytesMax: 2048, logWindowMax: 10 };
  const s = new Storage(disk, opts);
  s.recover();
  const h = new Harness();
  const all = txns(h, 120);
  logAndCommit(s, all.slice(0, 100));
  s.append(all.slice(100));
  s.sync();
  // DIFF: from memory and from disk
  assert.equal(s.readLog(all[110]!.zxid)!.map((t) => t.zxid), all.slice(111).map((t) => t.zxid));
  assert.equal(s.readLog(all[5]!.zxid)!.map((t) => t.zxid), all.slice(6).map((t) => t.zxid));
  assert.equal(s.readLog(all[119]!.zxid), []);
  assert.throws(() => s.truncate(all[50]!.zxid));
  s.truncate(all[104]!.zxid);
  assert.is(s.lastZxid, all[104]!.zxid);
  assert.is(s.pendingCount, 5);
  const r = new Storage(disk, opts);
  r.recover();
  assert.is(r.lastZxid, all[104]!.zxid);
  // After a snapshot prunes segments, a DIFF from before the log is refused (null ⇒ SNAP).
  s.commitTo(all[104]!.zxid);
  s.snapshot();
  const files = disk.list('log');
  assert.ok(parseInt(files[0]!, 16) > all[1]!.zxid, 'segments before the snapshot pruned');
  assert.is(s.readLog(all[0]!.zxid), null);
});

test('loadSnapshot (SNAP) replaces state and log; recovery finds it', () => {
  const leaderDisk = new SimDisk();
  const leader = new Storage(leaderDisk);
  leader.recover();
  const h = new Harness();
  const all = txns(h, 50);
  logAndCommit(leader, all);
  const snap = leader.snapshotBytes();
  const disk = new SimDisk();
  const f = new Storage(disk);
  f.recover();
  const other = new Harness();
  other.zxid = 0x5000;
  logAndCommit(f, txns(other, 10, '/junk'));
  assert.is(f.loadSnapshot(snap.bytes), all[49]!.zxid);
  assert.is(f.tree.digest(), h.tree.digest());
  assert.equal(disk.list('log'), []);
  const r = new Storage(disk);
  r.recover();
  assert.is(r.tree.digest(), h.tree.digest());
  assert.is(r.lastZxid, all[49]!.zxid);
  const bad = snap.bytes.slice();
  bad[50]! ^= 1;
  assert.throws(() => r.loadSnapshot(bad));
});

test('epochs are durable', () => {
  const disk = new SimDisk();
  const s = new Storage(disk);
  assert.equal(s.readEpochs(), { acceptedEpoch: 0, acceptedLeader: -1, currentEpoch: 0 });
  s.persistEpochs({ acceptedEpoch: 5, acceptedLeader: 2, currentEpoch: 4 });
  disk.crash(new Rng(3), 1);
  assert.equal(new Storage(disk).readEpochs(), { acceptedEpoch: 5, acceptedLeader: 2, currentEpoch: 4 });
});

test.run();
