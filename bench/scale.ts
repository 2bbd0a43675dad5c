/**
 * `conclave bench scale`: grow the znode tree to 1,000,000 znodes of 100 bytes through the real storage path
 * (prepare → WAL append → group-commit fsync → apply), then report
 *   - write latency at ~10 znodes and at 1,000,000 (state machine only: prepare + apply; and durable: + WAL + fsync)
 *   - bytes per znode (heap + external after a full GC, tree only)
 *   - snapshot time and size
 *   - restart-to-serving: recover = load newest snapshot + replay the log written after it
 * Prints a table, one final JSON line, and saves bench/results/scale.json.
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fileURLToPath } from 'node:url';
import { FsDisk } from '../src/runtime/fsdisk.js';
import { OPEN_ACL_UNSAFE, type Txn, type WriteRequest } from '../src/protocol/txn.js';
import { Storage } from '../src/storage/storage.js';
import { saveResult } from './report.js';

/** Bench bounds. */
export const scaleZnodesMax = 5_000_000;
const growBatchTxnsMax = 1000;
const latencySamplesMax = 5000;
const durableSamplesMax = 300;
const tailTxnsAfterSnapshot = 10_000;

function gcFn(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g !== undefined) return g;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function mem(gc: () => void): number {
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

interface Lat {
  p50: number;
  p99: number;
  mean: number;
}
function lat(xs: number[]): Lat {
  return { p50: pct(xs, 50), p99: pct(xs, 99), mean: xs.reduce((a, b) => a + b, 0) / xs.length };
}

export interface ScaleResult {
  znodes: number;
  dataBytes: number;
  bytesPerZnode: number;
  heapMiB: number;
  growSeconds: number;
  growWritesPerSec: number;
  smallTree: { znodes: number; applyUs: Lat; durableMs: Lat };
  bigTree: { znodes: number; applyUs: Lat; durableMs: Lat };
  snapshot: { ms: number; busyMs: number; steps: number; stepMaxMs: number; writesDuring: number; bytes: number };
  recovery: { ms: number; snapshotLoadMs: number; replayedTxns: number; znodes: number };
}

export async function runScale(opts: Record<string, unknown> = {}): Promise<ScaleResult> {
  const target = Math.min(scaleZnodesMax, Number(opts.znodes ?? 1_000_000));
  const dataBytes = Number(opts.dataBytes ?? 100);
  const root = join(tmpdir(), `conclave-scale-${process.pid}`);
  rmSync(root, { recursive: true, force: true });
  const disk = new FsDisk(root);
  // A larger young generation: the tree's long-lived objects are otherwise copied by many scavenges.
  setFlagsFromString('--max-semi-space-size=64');
  const gc = gcFn();
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  const payload = new Uint8Array(dataBytes).fill(0x61);

  const base = mem(gc);
  let st = new Storage(disk);
  st.recover();
  let zxid = 0x1_0000_0000;
  let cxid = 0;
  /** A client's write as the log carries it (storage validates it against the tree when it applies it). */
  const prep = (req: WriteRequest): Txn => ({ zxid: ++zxid, timeMs: 1_700_000_000_000 + zxid, sessionId: 0, cxid: ++cxid, body: { type: 'Request', request: req } });
  const createReq = (path: string): WriteRequest => ({ type: 'Create', path, data: payload, acl: OPEN_ACL_UNSAFE, mode: 0 });

  /**
   * Write cost at the current size. (a) state machine: `latencySamplesMax` setData/create requests prepared one by
   * one (timed), logged as one batch with one fsync (not timed), then applied one by one (timed): per-op
   * prepare + apply with no IO in between. (b) durable: `durableSamplesMax` single writes, each prepare + WAL append
   * + fsync + apply.
   */
  const measure = (label: string): { applyUs: Lat; durableMs: Lat } => {
    const prepUs: number[] = [];
    const batch: Txn[] = [];
    for (let i = 0; i < latencySamplesMax; i++) {
      const path = `/lat/${label}-${i % 10}`;
      const req: WriteRequest = i < 10 ? createReq(path) : { type: 'SetData', path, data: payload, version: -1 };
      const t0 = performance.now();
      batch.push(prep(req));
      prepUs.push((performance.now() - t0) * 1000);
    }
    st.append(batch);
    st.sync();
    const applyUs: number[] = [];
    for (let i = 0; i < batch.length; i++) {
      const t0 = performance.now();
      const applied = st.commitTo(batch[i]!.zxid);
      applyUs.push(prepUs[i]! + (performance.now() - t0) * 1000);
      if (applied.length !== 1 || applied[0]!.result.type === 'Error') throw new Error(`bench write failed: ${JSON.stringify(applied[0]?.result)}`);
    }
    const durableMs: number[] = [];
    for (let i = 0; i < durableSamplesMax; i++) {
      const t0 = performance.now();
      const t = prep({ type: 'SetData', path: `/lat/${label}-${i % 10}`, data: payload, version: -1 });
      st.append([t]);
      st.sync();
      st.commitTo(t.zxid);
      durableMs.push(performance.now() - t0);
    }
    return { applyUs: lat(applyUs), durableMs: lat(durableMs) };
  };

  // -- small tree
  for (const p of ['/lat', '/grow']) {
    const t = prep(createReq(p));
    st.append([t]);
    st.sync();
    st.commitTo(t.zxid);
  }
  const smallM = measure('small');
  const small = { znodes: st.tree.size, ...smallM };
  log(`small tree (${st.tree.size} znodes): apply p50 ${small.applyUs.p50.toFixed(1)} µs, durable p50 ${small.durableMs.p50.toFixed(2)} ms`);

  // -- grow to the target through group commit
  const g0 = performance.now();
  const startSize = st.tree.size;
  let dirs = 0;
  let made = 0;
  const perDir = 1000;
  const toMake = Math.max(0, target - startSize);
  const progressEvery = Math.max(1, Math.floor(toMake / 10));
  let nextProgress = progressEvery;
  while (made < toMake) {
    const batch: Txn[] = [];
    while (batch.length < growBatchTxnsMax && made < toMake) {
      if (made % (perDir + 1) === 0) batch.push(prep(createReq(`/grow/d${dirs++}`)));
      else batch.push(prep(createReq(`/grow/d${dirs - 1}/n${made}`)));
      made++;
    }
    st.append(batch);
    st.sync();
    st.commitTo(batch[batch.length - 1]!.zxid);
    if (made >= nextProgress) {
      log(`  grow: ${st.tree.size.toLocaleString()} znodes, ${((performance.now() - g0) / 1000).toFixed(1)} s`);
      nextProgress += progressEvery;
    }
  }
  const growSeconds = (performance.now() - g0) / 1000;
  const heap = mem(gc) - base;
  const bytesPerZnode = heap / st.tree.size;
  log(`grown to ${st.tree.size.toLocaleString()} znodes in ${growSeconds.toFixed(1)} s; ${bytesPerZnode.toFixed(0)} B/znode`);

  const bigM = measure('big');
  const big = { znodes: st.tree.size, ...bigM };
  log(`big tree (${st.tree.size} znodes): apply p50 ${big.applyUs.p50.toFixed(1)} µs, durable p50 ${big.durableMs.p50.toFixed(2)} ms`);

  // -- snapshot, as the storage actor takes it: incremental steps with writes applied in between
  st.snapshotBegin();
  let snap = null as ReturnType<Storage['snapshotStep']>;
  let stepMaxMs = 0;
  let steps = 0;
  let during = 0;
  while (snap === null) {
    const t0 = performance.now();
    snap = st.snapshotStep();
    stepMaxMs = Math.max(stepMaxMs, performance.now() - t0);
    steps++;
    if (snap === null && steps % 5 === 0) {
      const t = prep({ type: 'SetData', path: `/grow/d${steps % dirs}`, data: payload, version: -1 });
      st.append([t]);
      st.sync();
      st.commitTo(t.zxid);
      during++;
    }
  }
  log(`snapshot: ${snap.busyMs.toFixed(0)} ms of work in ${steps} steps (longest ${stepMaxMs.toFixed(1)} ms), ${(snap.bytes / 2 ** 20).toFixed(0)} MiB, ${during} writes applied meanwhile`);

  // -- a log tail after the snapshot, then restart
  for (let i = 0; i < tailTxnsAfterSnapshot; i += growBatchTxnsMax) {
    const batch: Txn[] = [];
    for (let k = 0; k < growBatchTxnsMax; k++) batch.push(prep({ type: 'SetData', path: `/grow/d${k % dirs}`, data: payload, version: -1 }));
    st.append(batch);
    st.sync();
    st.commitTo(batch[batch.length - 1]!.zxid);
  }
  st.persistCommit();
  const digest = st.tree.digest();
  const size = st.tree.size;
  disk.close();
  // A restart: the old state is gone before recovery starts (one tree in memory, as in a real process).
  st = null as unknown as Storage;
  mem(gc);
  const r = new Storage(new FsDisk(root));
  const rep = r.recover();
  if (r.tree.digest() !== digest || r.tree.size !== size) throw new Error('recovered state differs');
  log(`restart-to-serving: ${rep.ms.toFixed(0)} ms (snapshot + replay of ${rep.replayed} txns)`);

  rmSync(root, { recursive: true, force: true });
  const res: ScaleResult = {
    znodes: size,
    dataBytes,
    bytesPerZnode: Math.round(bytesPerZnode),
    heapMiB: Math.round(heap / 2 ** 20),
    growSeconds: Number(growSeconds.toFixed(1)),
    growWritesPerSec: Math.round(toMake / growSeconds),
    smallTree: small,
    bigTree: big,
    snapshot: { ms: Math.round(snap.ms), busyMs: Math.round(snap.busyMs), steps, stepMaxMs: Number(stepMaxMs.toFixed(1)), writesDuring: during, bytes: snap.bytes },
    recovery: { ms: Math.round(rep.ms), snapshotLoadMs: Math.round(rep.snapshotMs), replayedTxns: rep.replayed, znodes: r.tree.size },
  };
  const f = (x: number, d = 1): string => x.toFixed(d);
  const rows: [string, string, string][] = [
    ['write (prepare+apply), p50 / p99 µs', `${f(small.applyUs.p50)} / ${f(small.applyUs.p99)}`, `${f(big.applyUs.p50)} / ${f(big.applyUs.p99)}`],
    ['write durable (+WAL+fsync), p50 / p99 ms', `${f(small.durableMs.p50, 2)} / ${f(small.durableMs.p99, 2)}`, `${f(big.durableMs.p50, 2)} / ${f(big.durableMs.p99, 2)}`],
  ];
  process.stdout.write(`\n| metric | ${small.znodes} znodes | ${big.znodes.toLocaleString()} znodes |\n|---|---|---|\n`);
  for (const [a, b, c] of rows) process.stdout.write(`| ${a} | ${b} | ${c} |\n`);
  process.stdout.write(
    `\nbytes/znode ${res.bytesPerZnode} (tree heap ${res.heapMiB} MiB for ${size.toLocaleString()} znodes of ${dataBytes} B)\n` +
      `grow ${res.growWritesPerSec.toLocaleString()} writes/s (batches of ${growBatchTxnsMax}, one fsync each)\n` +
      `snapshot ${res.snapshot.busyMs} ms of work (${steps} steps, longest ${res.snapshot.stepMaxMs} ms; writes apply between steps), ${(snap.bytes / 2 ** 20).toFixed(0)} MiB\n` +
      `restart-to-serving ${res.recovery.ms} ms (snapshot load ${res.recovery.snapshotLoadMs} ms + replay ${rep.replayed} txns)\n`,
  );
  // A smaller tree (a smoke run, `--znodes N`) is saved beside the 1M figures, never over them.
  saveResult(target === 1_000_000 ? 'scale' : `scale-${target}`, { ...res });
  return res;
}

// Run directly: node --expose-gc dist/bench/scale.js [znodes]
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await runScale(process.argv[2] !== undefined ? { znodes: Number(process.argv[2]) } : {});
}
