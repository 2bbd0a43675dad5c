import { crc32 } from 'node:zlib';
import type { Disk } from '../kernel/io.js';
import { hash32 } from '../core/rng.js';
import type { Applied, Txn, WriteRequest, Zxid } from '../protocol/txn.js';
import type { DurableEpochs } from '../protocol/storage.js';
import { DecodeError, SnapshotCapture, Writer, captureStepNodesMax, restoreSnapshotPrefix, snapshotChunks } from '../core/tree/codec.js';
import { Keyspace, keyspaceSnapshotChunks, restoreKeyspace } from '../core/keyspace/index.js';
import { prepareLogged } from '../core/tree/prepare.js';
import { DataTree } from '../core/tree/tree.js';
import { CorruptLogError, scanSegment, writeRecord, segmentHeader, segmentHeaderBytes, segmentName } from './wal.js';

/**
 * Durable storage of one node: the write-ahead log (segments under `log/`), snapshots (`snap/`), the ZAB epochs
 * (`epochs`) and a lazily written commit point (`commit`), plus the in-memory state machine (DataTree) they
 * rebuild. Synchronous over the `Disk` interface; the storage actor owns one instance.
 *
 * Two state machines sit behind the log, both applied here in zxid order: the znode tree (with its sessions) and the
 * Redis keyspace (src/core/keyspace). `applyCommitted` dispatches on the txn's body (`Keyspace` bodies to the
 * keyspace, every other to the tree); the tree's lastZxid is the apply point for both. A snapshot file holds the
 * tree's snapshot then the keyspace's (a file without the keyspace section, written before it existed, restores
 * with an empty keyspace); `digest()` covers both.
 *
 * Group commit: `append(batch)` any number of times in a turn, then ONE `sync()`, then acknowledge every zxid
 * ≤ the returned durable zxid.
 *
 * Recovery = newest valid snapshot (CRC-checked; an invalid one falls back to the next older) + log replay:
 * entries ≤ the commit point are applied, later ones stay logged-but-uncommitted (`pending`) until ZAB commits or
 * truncates them. A torn tail of the last segment is truncated; corruption in the middle throws CorruptLogError.
 *
 * Snapshots are consistent: taken at the apply point with no apply in between (synchronous, in 1 MiB chunks).
 * Retention keeps the newest `snapshotsRetainMax` snapshots and deletes log segments wholly older than the oldest
 * retained one.

 *
 * Durability order (docs/tree-and-storage.md): nothing (epochs, commit point, a snapshot replacing the log) is made
 * durable ahead of the log it depends on; truncations are fsynced through the file they cut, and every new or
 * removed name that recovery depends on is followed by an fsync of its directory.
 */

export interface StorageOptions {
  /** Roll the log segment when the next record would pass this size. */
  readonly segmentBytesMax?: number;
  readonly snapshotsRetainMax?: number;
  /** Recent entries kept in memory (DIFF sync, BootInfo.logTail). */
  readonly logWindowMax?: number;
  /** Write the commit point file after this many applied txns (it is an optimisation: lazily durable). */
  readonly commitPersistTxnsMax?: number;
  /** readLog returns null (the leader must SNAP) beyond this many entries. */
  readonly readLogEntriesMax?: number;
  readonly extendedTypesEnabled?: boolean;
}

/** Deliberate bugs for the storage actor (tests only): each breaks a guarantee the simulation swarm must catch. */
export interface StorageTestFaults {
  /** Answer Logged (the ACK's precondition) without ever fsyncing the log. */
  readonly ackWithoutFsync?: boolean;
  /** Silently leave out the n-th (1-based) entry one incarnation is asked to log: a hole in its history. */
  readonly dropLoggedEntryNth?: number;
}

export const defaultSegmentBytesMax = 64 << 20;
export const defaultSnapshotsRetainMax = 3;
export const defaultLogWindowMax = 500;
export const defaultCommitPersistTxnsMax = 10_000;
export const defaultReadLogEntriesMax = 1_000_000;
export const snapTrailerMagic = 0x45535643; // "CVSE"
export const snapTrailerBytes = 8;

/** Where the write-ahead log segments live on the node's disk (a node may put this directory on another disk). */
export const logDir = 'log';
export const snapDir = 'snap';
export const epochsFile = 'epochs';

/** The epochs file's text (null: no file yet); a damaged one is a CorruptLogError. */
export function parseEpochs(b: Uint8Array | null): DurableEpochs {
  if (b === null) return { acceptedEpoch: 0, acceptedLeader: -1, currentEpoch: 0 };
  const parts = Buffer.from(b).toString('utf8').trim().split(/\s+/).map(Number);
  if (parts.length !== 3 || parts.some((n) => !Number.isFinite(n))) throw new CorruptLogError(`bad epochs file`);
  return { acceptedEpoch: parts[0]!, acceptedLeader: parts[1]!, currentEpoch: parts[2]! };
}
export const commitFile = 'commit';

export interface RecoveryReport {
  readonly snapshotZxid: Zxid;
  readonly snapshotFile: string | null;
  /** Snapshots that failed their CRC or decode (skipped for an older one). */
  readonly invalidSnapshots: readonly string[];
  readonly replayed: number;
  readonly pending: number;
  /** Bytes cut from a torn tail (0 if none). */
  readonly truncatedBytes: number;
  /** Time to read + CRC-check + restore the snapshot. */
  readonly snapshotMs: number;
  readonly ms: number;
}

export interface SnapshotResult {
  readonly zxid: Zxid;
  readonly file: string;
  readonly bytes: number;
  /** Start to durable, wall time. */
  readonly ms: number;
  /** Time spent inside snapshot calls (what the actor was blocked for, summed over steps). */
  readonly busyMs: number;
}

interface Segment {
  readonly name: string;
  readonly path: string;
  readonly base: Zxid;
  bytes: number;
}

export class Storage {
  tree: DataTree = DataTree.fresh();
  keyspace = new Keyspace();
  /** Last zxid appended to the log (maybe not yet durable). */
  lastZxid: Zxid = 0;
  /** Last zxid known durable (fsynced). */
  durableZxid: Zxid = 0;
  /** Highest commit seen; entries up to it are applied as soon as they are logged. */
  commitTarget: Zxid = 0;
  /** Observer of every applied txn with the tree digest right after it (the simulation swarm); null = off. */
  onApply: ((applied: Applied, digest: number) => void) | null = null;
  private pending: Txn[] = [];
  private pendingHead = 0;
  private recent: Txn[] = [];
  private recentBase: Zxid = 0;
  private segs: Segment[] = [];
  private readonly unsynced = new Set<string>();
  /** The files of the background sync in flight (see syncBegin). */
  private syncing: readonly string[] = [];
  private readonly writer = new Writer(1 << 16);
  private sinceCommitPersist = 0;
  /** The running snapshot: the tree's copy-on-write capture, and the keyspace's chunks encoded when it began. */
  private capture: { cap: SnapshotCapture; keyspace: Uint8Array[]; file: string; crc: number; bytes: number; t0: number; busyMs: number } | null = null;
  private persistedCommit: Zxid = 0;
  private readonly segmentBytesMax: number;
  private readonly snapshotsRetainMax: number;
  private readonly logWindowMax: number;
  private readonly commitPersistTxnsMax: number;
  private readonly readLogEntriesMax: number;
  private readonly extendedTypesEnabled: boolean;

  constructor(
    readonly disk: Disk,
    opts: StorageOptions = {},
  ) {
    this.segmentBytesMax = opts.segmentBytesMax ?? defaultSegmentBytesMax;
    this.snapshotsRetainMax = Math.max(1, opts.snapshotsRetainMax ?? defaultSnapshotsRetainMax);
    this.logWindowMax = opts.logWindowMax ?? defaultLogWindowMax;
    this.commitPersistTxnsMax = opts.commitPersistTxnsMax ?? defaultCommitPersistTxnsMax;
    this.readLogEntriesMax = opts.readLogEntriesMax ?? defaultReadLogEntriesMax;
    this.extendedTypesEnabled = opts.extendedTypesEnabled ?? true;
  }

  /** The apply point. */
  get appliedZxid(): Zxid {
    return this.tree.lastZxid;
  }

  /** The digest of both state machines (what replicas compare). */
  digest(): number {
    return stateDigest(this.tree, this.keyspace);
  }

  get pendingCount(): number {
    return this.pending.length - this.pendingHead;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Epochs
  // -------------------------------------------------------------------------------------------------------------
  readEpochs(): DurableEpochs {
    return parseEpochs(this.disk.read(epochsFile));
  }

  /**
   * Durable when it returns (one small atomic write), and never ahead of the log it vouches for: everything appended
   * so far (what a background sync holds included) is made durable first. A currentEpoch durable over an older log
   * would let this node win an election, or pass the leader's "is a follower ahead of me" check, with a short history.
   */
  persistEpochs(e: DurableEpochs): void {
    this.sync();
    this.disk.writeAtomic(epochsFile, Buffer.from(`${e.acceptedEpoch} ${e.acceptedLeader} ${e.currentEpoch}\n`));
  }

  // -------------------------------------------------------------------------------------------------------------
  // Recovery
  // -------------------------------------------------------------------------------------------------------------
  recover(): RecoveryReport {
    this.abortSnapshot();
    const t0 = performance.now();
    const invalid: string[] = [];
    let snapFile: string | null = null;
    let state: { tree: DataTree; keyspace: Keyspace } | null = null;
    for (const name of this.disk.list(snapDir).slice().reverse()) {
      const bytes = this.disk.read(`${snapDir}/${name}`);
      try {
        if (bytes === null) throw new DecodeError('unreadable');
        state = restoreState(checkSnapshotTrailer(bytes));
        snapFile = name;
        break;
      } catch (e) {
        if (!(e instanceof DecodeError || e instanceof CorruptLogError)) throw e;
        invalid.push(name);
        // an incomplete or damaged snapshot newer than the one we use: remove it so retention counts only good ones
        this.disk.remove(`${snapDir}/${name}`);
      }
    }
    this.tree = state?.tree ?? DataTree.fresh();
    this.keyspace = state?.keyspace ?? new Keyspace();
    const snapshotMs = performance.now() - t0;
    const snapZxid = this.tree.lastZxid;
    const cb = this.disk.read(commitFile);
    const commitPoint = cb === null ? 0 : Number(Buffer.from(cb).toString('utf8').trim()) || 0;
    this.persistedCommit = commitPoint;

    // Scan the log.
    this.segs = [];
    this.pending = [];
    this.pendingHead = 0;
    this.recent = [];
    this.recentBase = snapZxid;
    let truncatedBytes = 0;
    const names = this.disk.list(logDir);
    let lastZxid = snapZxid;
    /** The last zxid of the segment before (the next one's base must be it). */
    let segLast = snapZxid;
    const replay: Txn[] = [];
    for (let k = 0; k < names.length; k++) {
      const name = names[k]!;
      const path = `${logDir}/${name}`;
      const bytes = this.disk.read(path) ?? new Uint8Array(0);
      const scan = scanSegment(name, bytes, true, snapZxid);
      const isLast = k === names.length - 1;
      if (scan.tornTail) {
        if (!isLast) throw new CorruptLogError(`${name}: damaged tail in a segment that is not the last`);
        truncatedBytes = bytes.length - scan.validBytes;
        if (scan.validBytes < segmentHeaderBytes || scan.records.length === 0) {
          // durably gone: were it to come back after a later segment, it would be a damaged segment in the middle
          this.disk.remove(path);
          this.disk.fsyncDir(logDir);
          continue;
        }
        this.disk.truncate(path, scan.validBytes);
        this.disk.fsync(path);
      }
      if (this.segs.length === 0 && scan.base > snapZxid && scan.records.length > 0) {
        throw new CorruptLogError(`log starts after ${scan.base} but the snapshot is at ${snapZxid}: a gap`);
      }
      if (this.segs.length > 0 && scan.base !== segLast) {
        throw new CorruptLogError(`${name} starts after ${scan.base} but the segment before ends at ${segLast}: a gap`);
      }
      this.segs.push({ name, path, base: scan.base, bytes: scan.validBytes });
      for (const t of scan.txns!) {
        if (t.zxid <= lastZxid) throw new CorruptLogError(`${name}: zxid ${t.zxid} out of order`);
        replay.push(t);
        lastZxid = t.zxid;
      }
      if (scan.records.length > 0) lastZxid = Math.max(lastZxid, scan.records[scan.records.length - 1]!.zxid);
      segLast = scan.records.length > 0 ? scan.records[scan.records.length - 1]!.zxid : scan.base;
    }
    // What recovery read may be in the page cache only (a process crash keeps it, a power loss does not): make it
    // durable before anything (an epoch, an ACK) depends on it. Earlier segments were fsynced before the next began.
    const lastSeg = this.segs[this.segs.length - 1];
    if (lastSeg !== undefined) {
      this.disk.fsync(lastSeg.path);
      this.disk.fsyncDir(logDir);
    }
    if (snapFile !== null) {
      this.disk.fsync(`${snapDir}/${snapFile}`);
      this.disk.fsyncDir(snapDir);
    }
    this.lastZxid = lastZxid;
    this.durableZxid = lastZxid;
    for (const t of replay) this.pending.push(t);
    this.commitTarget = Math.max(commitPoint, snapZxid);
    const applied = this.applyCommitted();
    return {
      snapshotZxid: snapZxid,
      snapshotFile: snapFile,
      invalidSnapshots: invalid,
      replayed: applied.length,
      pending: this.pendingCount,
      truncatedBytes,
      snapshotMs,
      ms: performance.now() - t0,
    };
  }

  // -------------------------------------------------------------------------------------------------------------
  // Log
  // -------------------------------------------------------------------------------------------------------------
  /**
   * Append txns (zxid strictly increasing, after lastZxid). Not durable until `sync()`. The records of one call
   * go to disk in one append per segment touched (one write syscall for a batch).
   */
  append(txns: readonly Txn[]): void {
    let prev = this.lastZxid;
    for (const t of txns) {
      if (!(t.zxid > prev)) throw new Error(`append: zxid ${t.zxid} not after ${prev}`);
      prev = t.zxid;
    }
    const w = this.writer;
    w.reset();
    let cur = this.segs[this.segs.length - 1];
    let last = this.lastZxid;
    const flushTo = (seg: Segment | undefined): void => {
      if (seg === undefined || w.pos === 0) return;
      this.disk.append(seg.path, w.view().slice());
      this.unsynced.add(seg.path);
      w.reset();
    };
    for (const t of txns) {
      const at = w.pos;
      const n = writeRecord(w, t);
      if (cur === undefined || (cur.bytes + n > this.segmentBytesMax && cur.bytes > segmentHeaderBytes)) {
        // Roll: the records before this one go to the old segment, which is made durable first, so only the
        // last segment can ever be torn. That includes appends a background sync has in flight: it may not have
        // reached the disk when the new segment does.
        const rec = w.buf.subarray(at, w.pos);
        const pendingRec = Buffer.from(rec);
        w.pos = at;
        flushTo(cur);
        if (cur !== undefined && (this.unsynced.has(cur.path) || this.syncing.includes(cur.path))) {
          this.disk.fsync(cur.path);
          this.unsynced.delete(cur.path);
        }
        const name = segmentName(t.zxid);
        cur = { name, path: `${logDir}/${name}`, base: last, bytes: segmentHeaderBytes };
        this.disk.append(cur.path, segmentHeader(last));
        // the new file's directory entry: without it a crash loses the whole segment, fsynced records and all
        this.disk.fsyncDir(logDir);
        this.unsynced.add(cur.path);
        this.segs.push(cur);
        w.reset();
        w.bytesRaw(pendingRec);
      }
      cur.bytes += n;
      this.pending.push(t);
      last = t.zxid;
    }
    flushTo(cur);
    this.lastZxid = last;
  }

  /** One fsync for everything appended since the last sync (and what a background sync still has); returns the durable zxid. */
  sync(): Zxid {
    for (const p of this.unsynced) this.disk.fsync(p);
    for (const p of this.syncing) if (!this.unsynced.has(p)) this.disk.fsync(p);
    this.unsynced.clear();
    this.durableZxid = this.lastZxid;
    return this.durableZxid;
  }

  /**
   * Begin a background sync (the disk's `fsyncInBackground`): the files to fsync and the zxid durable once they are.
   * Appends may go on meanwhile; they belong to the next sync. Finish with `syncEnd(zxid)`.
   */
  syncBegin(): { readonly paths: readonly string[]; readonly zxid: Zxid } {
    const paths = [...this.unsynced];
    this.unsynced.clear();
    this.syncing = paths;
    return { paths, zxid: this.lastZxid };
  }

  /** The background sync begun at `zxid` is done (clamped: a truncation since may have cut the log shorter). */
  syncEnd(zxid: Zxid): Zxid {
    this.syncing = [];
    this.durableZxid = Math.max(this.durableZxid, Math.min(zxid, this.lastZxid));
    return this.durableZxid;
  }

  /** Apply every logged entry up to `zxid` (and remember the commit point for entries logged later). */
  commitTo(zxid: Zxid): Applied[] {
    if (zxid > this.commitTarget) this.commitTarget = zxid;
    return this.applyCommitted();
  }

  /** Apply logged entries ≤ commitTarget, in zxid order, exactly once. */
  applyCommitted(): Applied[] {
    const out: Applied[] = [];
    while (this.pendingHead < this.pending.length && this.pending[this.pendingHead]!.zxid <= this.commitTarget) {
      const logged = this.pending[this.pendingHead]!;
      this.pending[this.pendingHead++] = undefined as unknown as Txn;
      // A client's write is validated here, against this replica's tree at this zxid: the same on every replica.
      const t = prepareLogged(this.tree, logged, { extendedTypesEnabled: this.extendedTypesEnabled });
      const a = this.applyOne(t, logged);
      out.push(a);
      if (this.onApply !== null) this.onApply(a, this.digest());
      this.recent.push(t);
      if (this.recent.length > this.logWindowMax * 2) {
        const drop = this.recent.length - this.logWindowMax;
        this.recentBase = this.recent[drop - 1]!.zxid;
        this.recent.splice(0, drop);
      }
    }
    if (this.pendingHead > 0 && (this.pendingHead >= this.pending.length || this.pendingHead > 4096)) {
      this.pending.splice(0, this.pendingHead);
      this.pendingHead = 0;
    }
    if (out.length > 0) {
      this.sinceCommitPersist += out.length;
      if (this.sinceCommitPersist >= this.commitPersistTxnsMax) this.persistCommit();
    }
    return out;
  }

  /**
   * The dispatcher: a keyspace txn to the keyspace (the tree's apply point moves with it), every other to the tree
   * (`t`: prepared from `logged`). The result names the submitting front end, if any (`Applied.origin`).
   */
  private applyOne(t: Txn, logged: Txn): Applied {
    const b = t.body;
    if (b.type !== 'Keyspace') {
      const a = this.tree.apply(t);
      return logged.body.type === 'Request' && logged.body.origin !== undefined ? { ...a, origin: logged.body.origin } : a;
    }
    if (t.zxid <= this.tree.lastZxid) throw new Error(`apply out of order: zxid ${t.zxid} after ${this.tree.lastZxid}`);
    const r = this.keyspace.apply(b.txn);
    this.tree.lastZxid = t.zxid;
    return { zxid: t.zxid, sessionId: t.sessionId, cxid: t.cxid, result: { type: 'Keyspace', ...r }, changes: [], origin: b.origin };
  }

  /**
   * Write the commit point file (lazily durable; an optimisation for recovery), never ahead of the log: the entries
   * it says are applied are made durable first.
   */
  persistCommit(): void {
    this.sinceCommitPersist = 0;
    if (this.tree.lastZxid === this.persistedCommit) return;
    this.sync();
    this.persistedCommit = this.tree.lastZxid;
    this.disk.writeAtomic(commitFile, Buffer.from(`${this.persistedCommit}\n`));
  }

  /** Entries logged but not applied, in order. */
  pendingTxns(): Txn[] {
    return this.pending.slice(this.pendingHead);
  }

  /** The last up to `max` logged entries (applied window + pending) and the zxid before the first of them. */
  tail(max = this.logWindowMax): { base: Zxid; txns: Txn[] } {
    const all = [...this.recent, ...this.pendingTxns()];
    if (all.length <= max) return { base: this.recentBase, txns: all };
    const cut = all.length - max;
    return { base: all[cut - 1]!.zxid, txns: all.slice(cut) };
  }

  /**
   * Logged entries with zxid > fromZxid, in order (for DIFF), or null if the log does not reach back that far
   * (or holds more than readLogEntriesMax of them): the leader must send a SNAP.
   */
  readLog(fromZxid: Zxid): Txn[] | null {
    if (fromZxid >= this.lastZxid) return [];
    const mem = this.tail(Number.MAX_SAFE_INTEGER);
    if (fromZxid >= mem.base) return mem.txns.filter((t) => t.zxid > fromZxid);
    if (this.segs.length === 0 || this.segs[0]!.base > fromZxid) return null;
    const out: Txn[] = [];
    for (let k = 0; k < this.segs.length; k++) {
      const next = this.segs[k + 1];
      if (next !== undefined && next.base <= fromZxid) continue;
      const s = this.segs[k]!;
      const scan = scanSegment(s.name, this.disk.read(s.path) ?? new Uint8Array(0), true, fromZxid);
      for (const t of scan.txns!) {
        if (t.zxid > fromZxid) {
          out.push(t);
          if (out.length > this.readLogEntriesMax) return null;
        }
      }
    }
    return out;
  }

  /**
   * TRUNC: drop every logged entry with zxid > toZxid, durably (the cut file fsynced, the removed segments' directory
   * too: entries of another history must not come back after a crash). Never below the apply point.
   */
  truncate(toZxid: Zxid): void {
    if (toZxid < this.tree.lastZxid) throw new Error(`truncate to ${toZxid} below the apply point ${this.tree.lastZxid}`);
    if (toZxid >= this.lastZxid) return;
    // Whole segments go first, durably: were they to come back after the cut below, the log would have a gap.
    let removed = false;
    let cutAt: { seg: Segment; at: number } | null = null;
    while (this.segs.length > 0) {
      const s = this.segs[this.segs.length - 1]!;
      const scan = scanSegment(s.name, this.disk.read(s.path) ?? new Uint8Array(0), false);
      const cut = scan.records.findIndex((r) => r.zxid > toZxid);
      if (cut === 0 || (cut < 0 && scan.records.length === 0)) {
        this.disk.remove(s.path);
        this.unsynced.delete(s.path);
        removed = true;
        this.segs.pop();
        if (s.base <= toZxid) break;
        continue;
      }
      if (cut > 0) cutAt = { seg: s, at: scan.records[cut]!.offset };
      break;
    }
    if (removed) this.disk.fsyncDir(logDir);
    if (cutAt !== null) {
      this.disk.truncate(cutAt.seg.path, cutAt.at);
      this.disk.fsync(cutAt.seg.path);
      this.unsynced.delete(cutAt.seg.path);
      cutAt.seg.bytes = cutAt.at;
    }
    const keep: Txn[] = [];
    for (const t of this.pendingTxns()) if (t.zxid <= toZxid) keep.push(t);
    this.pending = keep;
    this.pendingHead = 0;
    this.lastZxid = Math.max(this.tree.lastZxid, keep.length > 0 ? keep[keep.length - 1]!.zxid : this.lastLoggedBefore(toZxid));
    this.durableZxid = Math.min(this.durableZxid, this.lastZxid);
    if (this.commitTarget > this.lastZxid) this.commitTarget = this.tree.lastZxid;
  }

  private lastLoggedBefore(toZxid: Zxid): Zxid {
    for (let k = this.recent.length - 1; k >= 0; k--) if (this.recent[k]!.zxid <= toZxid) return this.recent[k]!.zxid;
    return Math.min(toZxid, this.recentBase);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Snapshots
  // -------------------------------------------------------------------------------------------------------------
  /** Write a snapshot of the applied state at once (durable), apply retention; returns its zxid, file and size. */
  snapshot(): SnapshotResult {
    if (this.capture !== null) {
      // finish the running one first
      let r: SnapshotResult | null = null;
      while (r === null) r = this.snapshotStep(Number.MAX_SAFE_INTEGER);
    }
    this.snapshotBegin();
    let r: SnapshotResult | null = null;
    while (r === null) r = this.snapshotStep(Number.MAX_SAFE_INTEGER);
    return r;
  }

  get snapshotRunning(): boolean {
    return this.capture !== null;
  }

  /**
   * Start an incremental snapshot of the applied state (consistent at the current apply point while txns keep
   * applying: copy-on-write per node). Returns false if one is already running.
   */
  snapshotBegin(): boolean {
    if (this.capture !== null) return false;
    // The log must hold everything the snapshot does (a DIFF from the log may start before the snapshot).
    this.sync();
    const cap = new SnapshotCapture(this.tree);
    // The keyspace has no copy-on-write capture yet: its section is encoded now, at the same apply point.
    const keyspace = [...keyspaceSnapshotChunks(this.keyspace)];
    const file = `${snapDir}/${segmentName(cap.zxid)}`;
    if (this.disk.size(file) > 0) this.disk.remove(file);
    this.capture = { cap, keyspace, file, crc: 0, bytes: 0, t0: performance.now(), busyMs: 0 };
    return true;
  }

  /** Write up to `maxNodes` more nodes of the running snapshot; returns its result when it is complete and durable. */
  snapshotStep(maxNodes = captureStepNodesMax): SnapshotResult | null {
    const c = this.capture;
    if (c === null) return null;
    const t0 = performance.now();
    let wrote = false;
    const chunks = c.cap.step(maxNodes);
    if (c.cap.done) chunks.push(...c.keyspace);
    for (const chunk of chunks) {
      c.crc = crc32(chunk, c.crc);
      c.bytes += chunk.length;
      this.disk.append(c.file, chunk);
      wrote = true;
    }
    // fsync as we go, so the last step does not flush the whole file at once
    if (wrote && !c.cap.done) this.disk.fsync(c.file);
    if (!c.cap.done) {
      c.busyMs += performance.now() - t0;
      return null;
    }
    const w = new Writer(snapTrailerBytes);
    w.u32(c.crc);
    w.u32(snapTrailerMagic);
    this.disk.append(c.file, w.view().slice());
    this.disk.fsync(c.file);
    // durable, entry and all, before the commit point moves past the log or retention removes what it replaces
    this.disk.fsyncDir(snapDir);
    this.capture = null;
    this.persistCommit();
    this.retain();
    c.busyMs += performance.now() - t0;
    return { zxid: c.cap.zxid, file: c.file, bytes: c.bytes + snapTrailerBytes, ms: performance.now() - c.t0, busyMs: c.busyMs };
  }

  private abortSnapshot(): void {
    if (this.capture === null) return;
    this.capture.cap.abort();
    this.disk.remove(this.capture.file);
    this.capture = null;
  }

  /** The applied state as one transferable buffer (file format, CRC trailer included) for a SNAP sync. */
  snapshotBytes(): { zxid: Zxid; bytes: Uint8Array } {
    const parts: Uint8Array[] = [];
    let crc = 0;
    let n = 0;
    for (const chunk of [...snapshotChunks(this.tree), ...keyspaceSnapshotChunks(this.keyspace)]) {
      crc = crc32(chunk, crc);
      n += chunk.length;
      parts.push(chunk);
    }
    const out = new Uint8Array(n + snapTrailerBytes);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    const b = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    b.writeUInt32LE(crc, n);
    b.writeUInt32LE(snapTrailerMagic, n + 4);
    return { zxid: this.tree.lastZxid, bytes: out };
  }

  /**
   * SNAP: replace the state machine and the log with a snapshot (durable when it returns). Returns its zxid.
   * The old log goes first, durably: a crash between the two steps leaves the older snapshot and no log (this node
   * acknowledged nothing of the new history yet, and its currentEpoch is still the old one), never the new snapshot
   * with the old log's entries after it (another history's suffix).
   */
  loadSnapshot(bytes: Uint8Array): Zxid {
    this.abortSnapshot();
    const { tree, keyspace } = restoreState(checkSnapshotTrailer(bytes));
    const zxid = tree.lastZxid;
    for (const s of this.segs) this.disk.remove(s.path);
    if (this.segs.length > 0) this.disk.fsyncDir(logDir);
    this.segs = [];
    this.unsynced.clear();
    this.disk.writeAtomic(`${snapDir}/${segmentName(zxid)}`, bytes);
    this.tree = tree;
    this.keyspace = keyspace;
    this.pending = [];
    this.pendingHead = 0;
    this.recent = [];
    this.recentBase = zxid;
    this.lastZxid = zxid;
    this.durableZxid = zxid;
    this.commitTarget = zxid;
    this.persistedCommit = -1;
    this.persistCommit();
    this.retain();
    return zxid;
  }

  private retain(): void {
    const snaps = this.disk.list(snapDir);
    const drop = snaps.length - this.snapshotsRetainMax;
    for (let i = 0; i < drop; i++) this.disk.remove(`${snapDir}/${snaps[i]}`);
    const kept = snaps.slice(Math.max(0, drop));
    if (kept.length === 0) return;
    const oldest = parseInt(kept[0]!, 16);
    // A segment can go when the next one starts at or below the oldest retained snapshot.
    while (this.segs.length > 1 && this.segs[1]!.base <= oldest) {
      const s = this.segs.shift()!;
      this.disk.remove(s.path);
      this.unsynced.delete(s.path);
    }
  }
}

/** A hash of a write's result (what a client is told), to compare replicas' results and acknowledgements. */
export function resultHash(r: Applied['result']): number {
  return hash32(JSON.stringify(r));
}

/** The digest replicas compare: the tree's and the keyspace's together. */
export function stateDigest(tree: DataTree, keyspace: Keyspace): number {
  return hash32(`${tree.digest()}:${keyspace.digest()}`);
}

/** A snapshot file's body: the tree's snapshot, then the keyspace's (absent in files written before it existed). */
export function restoreState(body: Uint8Array): { tree: DataTree; keyspace: Keyspace } {
  const { tree, end } = restoreSnapshotPrefix(body);
  return { tree, keyspace: end === body.length ? new Keyspace() : restoreKeyspace(body.subarray(end)) };
}

/** Verify a snapshot file's CRC trailer; returns the snapshot body. */
export function checkSnapshotTrailer(bytes: Uint8Array): Uint8Array {
  if (bytes.length < snapTrailerBytes) throw new DecodeError('snapshot too short');
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length - snapTrailerBytes;
  if (b.readUInt32LE(n + 4) !== snapTrailerMagic) throw new DecodeError('snapshot trailer missing (incomplete write)');
  const body = bytes.subarray(0, n);
  if (crc32(body) !== b.readUInt32LE(n)) throw new DecodeError('snapshot CRC mismatch');
  return body;
}
