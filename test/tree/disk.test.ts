/**
 * Durability steps: the simulated disk loses each one that is not made durable (file fsync, truncation, directory
 * entry), and the storage survives a crash at every point of its disk operations with its durability order intact:
 * acknowledged entries stay, an epoch is never durable over a shorter log, a truncation or a SNAP never leaves
 * entries of the replaced history behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Disk } from '../../src/kernel/io.js';
import { Rng } from '../../src/core/rng.js';
import { SimDisk } from '../../src/runtime/sim/disk.js';
import { FsDisk } from '../../src/runtime/fsdisk.js';
import { Storage } from '../../src/storage/storage.js';
import type { Txn } from '../../src/protocol/txn.js';
import { Harness, create } from './helpers.js';

const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);
const content = (d: Disk, p: string): number[] | null => {
  const b = d.read(p);
  return b === null ? null : [...b];
};

test('SimDisk: appends without an fsync of the file are lost', () => {
  const d = new SimDisk();
  d.append('log/a', bytes(1, 2));
  d.fsync('log/a');
  d.fsyncDir('log');
  d.append('log/a', bytes(3));
  d.crash(new Rng(1), 0);
  assert.equal(content(d, 'log/a'), [1, 2]);
});

test('SimDisk: a truncation without an fsync of the file is undone; with one it holds', () => {
  const d = new SimDisk();
  d.append('log/a', bytes(1, 2, 3, 4));
  d.fsync('log/a');
  d.fsyncDir('log');
  d.truncate('log/a', 1);
  d.append('log/a', bytes(9));
  assert.equal(content(d, 'log/a'), [1, 9]);
  d.crash(new Rng(1), 1);
  assert.equal(content(d, 'log/a'), [1, 2, 3, 4], 'back to the last synced contents (appends after the cut too)');
  d.truncate('log/a', 1);
  d.fsync('log/a');
  d.crash(new Rng(1), 1);
  assert.equal(content(d, 'log/a'), [1]);
});

test('SimDisk: a new file without an fsync of its directory vanishes, fsynced contents and all', () => {
  const d = new SimDisk();
  d.append('log/a', bytes(1));
  d.fsync('log/a');
  d.crash(new Rng(1), 0);
  assert.is(d.read('log/a'), null);
  assert.equal(d.list('log'), []);
  d.append('log/a', bytes(1));
  d.fsync('log/a');
  d.fsyncDir('log');
  d.crash(new Rng(1), 0);
  assert.equal(content(d, 'log/a'), [1]);
});

test('SimDisk: a removed file comes back (with its synced contents) unless its directory is fsynced', () => {
  const d = new SimDisk();
  d.append('snap/a', bytes(1, 2));
  d.fsync('snap/a');
  d.fsyncDir('snap');
  d.append('snap/a', bytes(3));
  d.remove('snap/a');
  d.crash(new Rng(1), 0);
  assert.equal(content(d, 'snap/a'), [1, 2]);
  d.remove('snap/a');
  d.fsyncDir('snap');
  d.crash(new Rng(1), 0);
  assert.is(d.read('snap/a'), null);
  // writeAtomic makes its own entry durable, not the rest of the directory
  d.append('snap/b', bytes(5));
  d.fsync('snap/b');
  d.writeAtomic('snap/c', bytes(6));
  d.crash(new Rng(1), 0);
  assert.equal(d.list('snap'), ['c']);
});

test('FsDisk: truncate goes through the append descriptor (the fsync after it reaches the file); appends continue at the cut', () => {
  const root = mkdtempSync(join(tmpdir(), 'conclave-disk-'));
  try {
    const d = new FsDisk(root);
    d.append('log/a', bytes(1, 2, 3, 4));
    d.fsync('log/a');
    d.fsyncDir('log');
    d.truncate('log/a', 2);
    d.fsync('log/a');
    d.append('log/a', bytes(9));
    assert.equal(content(d, 'log/a'), [1, 2, 9]);
    d.close();
    const e = new FsDisk(root);
    e.truncate('log/a', 1); // no descriptor open yet
    e.fsync('log/a');
    assert.equal([...e.read('log/a')!], [1]);
    e.truncate('log/missing', 0);
    e.fsync('log/missing');
    assert.is(e.read('log/missing'), null, 'truncating or fsyncing a missing file creates nothing');
    e.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

class Crash extends Error {}

/** A disk that crashes (throws, having done nothing) at its `crashAt`-th durable-state operation. */
class CrashingDisk implements Disk {
  ops = 0;
  constructor(
    private readonly d: SimDisk,
    private readonly crashAt: number,
  ) {}
  private step(): void {
    if (++this.ops === this.crashAt) throw new Crash();
  }
  list(dir: string): string[] {
    return this.d.list(dir);
  }
  read(path: string): Uint8Array | null {
    return this.d.read(path);
  }
  size(path: string): number {
    return this.d.size(path);
  }
  append(path: string, data: Uint8Array): void {
    this.step();
    this.d.append(path, data);
  }
  writeAtomic(path: string, data: Uint8Array): void {
    this.step();
    this.d.writeAtomic(path, data);
  }
  fsync(path: string): void {
    this.step();
    this.d.fsync(path);
  }
  fsyncDir(dir: string): void {
    this.step();
    this.d.fsyncDir(dir);
  }
  truncate(path: string, size: number): void {
    this.step();
    this.d.truncate(path, size);
  }
  remove(path: string): void {
    this.step();
    this.d.remove(path);
  }
}

// Our history: 25 txns. A foreign one: our first 10, then 2 of its own (zxids 11, 12), sent to us as a SNAP.
const ours = new Harness();
const H: Txn[] = [];
H.push(ours.prepare(create('/k')));
ours.apply(H[0]!);
for (let i = 1; i < 25; i++) {
  const t = ours.prepare(create(`/k/n-`, `d${i}`, 2));
  ours.apply(t);
  H.push(t);
}
const z = (n: number): number => H[n - 1]!.zxid;
const foreign = (() => {
  const s = new Storage(new SimDisk());
  s.recover();
  const h = new Harness();
  for (const t of H.slice(0, 10)) {
    h.apply(t);
    h.zxid = t.zxid;
  }
  const f = [h.prepare(create('/f')), h.prepare(create('/f/x'))];
  s.append([...H.slice(0, 10), ...f]);
  s.sync();
  s.commitTo(f[1]!.zxid);
  return { ...s.snapshotBytes(), digest: s.tree.digest() };
})();
/** Digests of our history's prefixes (by length) and of the foreign snapshot. */
const ourDigests = new Map<number, number>();
{
  const h = new Harness();
  ourDigests.set(0, h.tree.digest());
  H.forEach((t, i) => {
    h.apply(t);
    ourDigests.set(i + 1, h.tree.digest());
  });
}

/**
 * The storage's life: log 20 entries over several segments (acknowledged at sync), epoch 1; 5 more unsynced, TRUNC
 * to 15, epoch 2; SNAP of the foreign history at 12, epoch 3; a snapshot of its own.
 */
function life(s: Storage, acked: () => void = () => {}, truncating: () => void = () => {}): void {
  s.recover();
  s.append(H.slice(0, 8));
  s.sync();
  acked();
  s.append(H.slice(8, 20));
  s.persistEpochs({ acceptedEpoch: 1, acceptedLeader: 1, currentEpoch: 1 });
  s.append(H.slice(20, 25));
  truncating();
  s.truncate(z(15));
  s.persistEpochs({ acceptedEpoch: 2, acceptedLeader: 2, currentEpoch: 2 });
  s.loadSnapshot(foreign.bytes);
  s.persistEpochs({ acceptedEpoch: 3, acceptedLeader: 3, currentEpoch: 3 });
  s.snapshot();
}

test('storage: a crash at any disk operation keeps the durability order (epochs, TRUNC, SNAP, roll, snapshot)', () => {
  const opts = { segmentBytesMax: 700, snapshotsRetainMax: 1 };
  const total = (() => {
    const cd = new CrashingDisk(new SimDisk(), -1);
    life(new Storage(cd, opts));
    return cd.ops;
  })();
  assert.ok(total > 30, `the life has many steps (${total})`);
  for (let k = 1; k <= total; k++) {
    for (const torn of [0, 1]) {
      const sim = new SimDisk();
      let acked = false;
      let truncating = false;
      // a first life that ends in a crash at operation k (before it is done)
      try {
        life(new Storage(new CrashingDisk(sim, k), opts), () => (acked = true), () => (truncating = true));
        assert.unreachable('crashes');
      } catch (e) {
        if (!(e instanceof Crash)) throw e;
      }
      sim.crash(new Rng(k), torn);
      const r = new Storage(sim, opts);
      r.recover();
      const e = r.readEpochs();
      const at = `crash at operation ${k}/${total} (torn ${torn}), epoch ${e.currentEpoch}, log to ${r.lastZxid.toString(16)}`;
      // every logged entry applied: the state must be a prefix of one history, never a mix
      r.commitTo(r.lastZxid);
      const d = r.tree.digest();
      const isForeign = r.lastZxid === foreign.zxid && d === foreign.digest;
      const ourLen = H.findIndex((t) => t.zxid === r.lastZxid) + 1;
      const isOurs = (r.lastZxid === 0 && d === ourDigests.get(0)) || (ourLen > 0 && d === ourDigests.get(ourLen));
      assert.ok(isOurs || isForeign, `${at}: one history`);
      if (e.currentEpoch === 1) assert.ok(isOurs && r.lastZxid >= (truncating ? z(15) : z(20)), `${at}: epoch 1 vouches for the log to 20 (until the TRUNC to 15)`);
      if (e.currentEpoch === 2) assert.ok((isOurs && r.lastZxid <= z(15)) || isForeign, `${at}: epoch 2 vouches for the TRUNC to 15`);
      if (e.currentEpoch === 3) assert.ok(isForeign, `${at}: epoch 3 vouches for the SNAP`);
      if (acked && e.currentEpoch === 0) assert.ok(r.lastZxid >= z(8), `${at}: acknowledged entries (synced to 8) stay`);
    }
  }
});

test.run();
