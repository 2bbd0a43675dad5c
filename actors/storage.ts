/**
 * The storage actor (`<node>/storage`): the IO shell around `Storage` (WAL + snapshots + the replicated state
 * machine). Messages: src/protocol/storage.ts.
 *
 * Group commit: every AppendLog is appended at once (no fsync) and a `Flush` to self is scheduled with delay 0
 * (one pending at a time), so all AppendLogs that arrive before it share ONE fsync; then one cumulative
 * `Logged{gen, zxid}` goes to the last AppendLog sender (and answers any AppendLog asks). On a real file system
 * the fsync runs in the background (`Disk.fsyncInBackground`) while appends go on, and its `Synced` to self acknowledges.
 *
 * Snapshots: after `snapshotEveryTxns` applied txns a `SnapshotTick` to self starts an incremental snapshot,
 * consistent at that apply point (copy-on-write per node), written `snapshotStepNodes` nodes per `SnapshotStep` turn
 * so commits keep applying in between.
 * Recovery runs in init; a corrupt log (CorruptLogError) is a crash: the supervisor decides (an operator must
 * look at it; nothing is skipped silently).
 */
import { defineActor, type Ctx, type ReplyToken } from '../src/kernel/actor.js';
import { assertNever } from '../src/core/never.js';
import { zxidHex } from '../src/protocol/zxid.js';
import type { Address } from '../src/protocol/envelope.js';
import type { BootInfo, LogEntry, StateMachineName, StorageMsg, StorageReply } from '../src/protocol/storage.js';
import type { Applied, Txn } from '../src/protocol/txn.js';
import type { RedisAnswer } from '../src/protocol/keyspace.js';
import { read, reapable } from '../src/core/tree/read.js';
import { captureStepNodesMax } from '../src/core/tree/codec.js';
import { Storage, resultHash, type StorageOptions, type StorageTestFaults } from '../src/storage/storage.js';

export interface StorageArgs extends StorageOptions {
  /** Take a snapshot after this many applied txns (default 100,000). */
  readonly snapshotEveryTxns?: number;
  /** Nodes written per SnapshotStep turn (default captureStepNodesMax: ~10–20 ms). */
  readonly snapshotStepNodes?: number;
  /** Where the tree's `Applied` batches go (may also be set later with Subscribe). */
  readonly subscriber?: Address;
  /**
   * Group commit window: the Flush (one fsync for every AppendLog before it) runs this long after the first
   * unsynced append (default 0: after the messages already queued). The simulation swarm sets it above 0 to
   * model fsync latency, so crashes find unsynced appends to lose.
   */
  readonly flushDelayMs?: number;
  /** Emit `TxnApplied` per applied txn and `StorageLoaded` on recovery and SNAP (the simulation swarm's checks). */
  readonly appliedEvents?: boolean;
  /** Deliberate bugs, only for the tests that show the simulation swarm catches them. */
  readonly testFaults?: StorageTestFaults;
}


/** Keyspace read batches waiting for the apply point at most (beyond: answered `KeyspaceBusy`). */
export const keyspaceReadsWaitingMax = 100_000;
type KeyspaceReadsMsg = Extract<StorageMsg, { type: 'KeyspaceReads' }>;

function answerKeyspaceReads(s: Storage, ctx: Ctx<Msg>, m: KeyspaceReadsMsg, token: ReplyToken): void {
  const ks = s.keyspace;
  const answers: RedisAnswer[] = m.items.map((it) =>
    it.type === 'read'
      ? { type: 'RedisAnswer', reply: ks.read(it.db, it.argv, m.nowMs, it.draw) }
      : { type: 'RedisRevisions', revisions: it.keys.map((k) => ks.revision(k.db, k.key, m.nowMs)) },
  );
  ctx.respond(token, { type: 'KeyspaceReadsDone', zxid: s.appliedZxid, answers } satisfies StorageReply);
}

/** Answer the waiting keyspace reads the apply point has reached (they wait in zxid order). */
function answerWaitingReads(st: State, ctx: Ctx<Msg>): void {
  if (st.keyspaceReads.length === 0) return;
  const at = st.storage.appliedZxid;
  let n = 0;
  while (n < st.keyspaceReads.length && st.keyspaceReads[n]!.m.atLeastZxid <= at) {
    const w = st.keyspaceReads[n++]!;
    answerKeyspaceReads(st.storage, ctx, w.m, w.token);
  }
  if (n > 0) st.keyspaceReads.splice(0, n);
}

/** Flush is scheduled under this timer key; its default delay is 0 ms (after the messages already queued). */
const flushKey = 'flush';
const flushDelayMsDefault = 0;
/** AppendLog asks waiting for the next fsync; beyond this the oldest are answered at once after a sync. */
export const flushWaitersMax = 10_000;

interface Flush {
  readonly type: 'Flush';
}
/** A background sync (`disk.fsyncInBackground`) finished: `seq` names it, `error` says why it failed. */
interface Synced {
  readonly type: 'Synced';
  readonly seq: number;
  readonly error?: string;
}
type Msg = StorageMsg | Flush | Synced;

/** A background sync in flight: what it makes durable and whom it answers. */
interface InFlight {
  readonly seq: number;
  readonly gen: number;
  readonly zxid: number;
  readonly waiters: readonly ReplyToken[];
  readonly logTo: Address | null;
  /** When the fsync started (ctx.now(), ms): fsynctime. */
  readonly startedMs: number;
}

interface State {
  readonly storage: Storage;
  gen: number;
  logTo: Address | null;
  waiters: ReplyToken[];
  flushScheduled: boolean;
  /** Keyspace reads waiting for the apply point to reach their sync marker's zxid. */
  keyspaceReads: { readonly m: KeyspaceReadsMsg; readonly token: ReplyToken }[];
  /** Where each state machine's `Applied` batches go. */
  readonly subscribers: Map<StateMachineName, Address>;
  sinceSnapshot: number;
  readonly snapshotEveryTxns: number;
  readonly snapshotStepNodes: number;
  readonly flushDelayMs: number;
  readonly appliedEvents: boolean;
  readonly testFaults: StorageTestFaults;
  /** Entries asked to be logged in this incarnation (for testFaults.dropLoggedEntryNth). */
  loggedCount: number;
  /** The background sync in flight (one at a time), when the disk has `fsyncInBackground`. */
  inFlight: InFlight | null;
  /** A Flush came while a background sync was in flight: flush again when it is done. */
  flushAgain: boolean;
  syncSeq: number;
}

function answer(ctx: Ctx<Msg>, msg: StorageReply): void {
  if (ctx.replyToken() !== null) ctx.reply(msg);
  else if (ctx.sender !== null) ctx.send(ctx.sender, msg);
}

export function bootInfo(s: Storage, logTailMax?: number): BootInfo {
  const tail = s.tail(logTailMax);
  return {
    epochs: s.readEpochs(),
    lastZxid: s.lastZxid,
    committedZxid: s.appliedZxid,
    logTail: tail.txns.map((txn) => ({ zxid: txn.zxid, txn })),
    logTailBase: tail.txns.length === 0 ? s.lastZxid : tail.base,
  };
}

function acknowledge(ctx: Ctx<Msg>, gen: number, zxid: number, waiters: readonly ReplyToken[], logTo: Address | null): void {
  const msg: StorageReply = { type: 'Logged', gen, zxid };
  for (const w of waiters) ctx.respond(w, msg);
  if (logTo !== null) ctx.send(logTo, msg);
}

/**
 * Make what is appended durable and say so. With a disk that syncs in the background (`fsyncInBackground`: a real
 * file system) the fsync runs off the thread while appends go on, and a `Synced` to self acknowledges; one such sync
 * at a time, a Flush meanwhile waits for it. Otherwise (the simulated disk) the fsync runs here.
 */
function flush(st: State, ctx: Ctx<Msg>): void {
  st.flushScheduled = false;
  const disk = ctx.io.disk!;
  if (st.testFaults.ackWithoutFsync === true || disk.fsyncInBackground === undefined) {
    const zxid = st.testFaults.ackWithoutFsync === true ? st.storage.lastZxid : st.storage.sync();
    acknowledge(ctx, st.gen, zxid, st.waiters, st.logTo);
    st.waiters = [];
    return;
  }
  if (st.inFlight !== null) {
    st.flushAgain = true;
    return;
  }
  const { paths, zxid } = st.storage.syncBegin();
  if (paths.length === 0) {
    acknowledge(ctx, st.gen, st.storage.syncEnd(zxid), st.waiters, st.logTo);
    st.waiters = [];
    return;
  }
  const seq = ++st.syncSeq;
  st.inFlight = { seq, gen: st.gen, zxid, waiters: st.waiters, logTo: st.logTo, startedMs: ctx.now() };
  st.waiters = [];
  const self = ctx.self;
  disk.fsyncInBackground(paths, (e) => ctx.send(self, e === null ? ({ type: 'Synced', seq } satisfies Synced) : ({ type: 'Synced', seq, error: e.message } satisfies Synced)));
}

function synced(st: State, m: Synced, ctx: Ctx<Msg>): void {
  const f = st.inFlight;
  if (f === null || f.seq !== m.seq) return; // from an earlier incarnation
  // A failed fsync leaves the log's durability unknown: crash, and let recovery decide (as ZooKeeper exits).
  if (m.error !== undefined) throw new Error(`fsync failed: ${m.error}`);
  st.inFlight = null;
  ctx.emit({ type: 'LogFsynced', ms: ctx.now() - f.startedMs });
  acknowledge(ctx, f.gen, st.storage.syncEnd(f.zxid), f.waiters, f.logTo);
  if (st.flushAgain) {
    st.flushAgain = false;
    flush(st, ctx);
  }
}

export const storageActor = defineActor<State, Msg, StorageArgs | undefined>({
  init(ctx, args) {
    const disk = ctx.io.disk;
    if (disk === undefined) throw new Error('storage actor needs ctx.io.disk');
    const storage = new Storage(disk, args ?? {});
    const recovered = storage.recover();
    if (recovered.snapshotFile !== null) ctx.emit({ type: 'SnapshotRestored', zxid: recovered.snapshotZxid, source: 'disk' });
    const appliedEvents = args?.appliedEvents === true;
    if (appliedEvents) {
      ctx.emit({ type: 'StorageLoaded', zxid: storage.appliedZxid, digest: storage.digest(), source: 'recovery' });
      storage.onApply = (a, digest) => ctx.emit({ type: 'TxnApplied', zxid: a.zxid, digest, resultHash: resultHash(a.result) });
    }
    return {
      storage,
      gen: 0,
      logTo: null,
      waiters: [],
      flushScheduled: false,
      keyspaceReads: [],
      subscribers: new Map(args?.subscriber !== undefined ? [['tree', args.subscriber]] : []),
      sinceSnapshot: 0,
      snapshotEveryTxns: args?.snapshotEveryTxns ?? 100_000,
      snapshotStepNodes: args?.snapshotStepNodes ?? captureStepNodesMax,
      flushDelayMs: args?.flushDelayMs ?? flushDelayMsDefault,
      appliedEvents,
      testFaults: args?.testFaults ?? {},
      loggedCount: 0,
      inFlight: null,
      flushAgain: false,
      syncSeq: 0,
    };
  },
  receive(st, m, ctx) {
    const s = st.storage;
    switch (m.type) {
      case 'PersistEpochs':
        s.persistEpochs({ acceptedEpoch: m.acceptedEpoch, acceptedLeader: m.acceptedLeader, currentEpoch: m.currentEpoch });
        answer(ctx, { type: 'EpochsPersisted', token: m.token });
        return st;
      case 'AppendLog': {
        if (m.gen < st.gen) return st; // stale: a TRUNC/SNAP happened since
        st.gen = m.gen;
        const fresh: Txn[] = [];
        let last = s.lastZxid;
        for (const e of m.entries) {
          if (e.zxid <= last) continue; // retransmission of what we have
          if (++st.loggedCount === st.testFaults.dropLoggedEntryNth) continue; // deliberate bug (tests only)
          // ZAB assigns the zxid: the logged txn takes the entry's.
          fresh.push(e.txn.zxid === e.zxid ? e.txn : { ...e.txn, zxid: e.zxid });
          last = e.zxid;
        }
        if (fresh.length > 0) s.append(fresh);
        const tok = ctx.replyToken();
        if (tok !== null) st.waiters.push(tok);
        else if (ctx.sender !== null) st.logTo = ctx.sender;
        if (st.waiters.length >= flushWaitersMax) flush(st, ctx);
        else if (!st.flushScheduled) {
          st.flushScheduled = true;
          ctx.schedule(flushKey, st.flushDelayMs, { type: 'Flush' });
        }
        // Commits that arrived before their entries apply now.
        deliver(st, ctx, s.applyCommitted());
        return st;
      }
      case 'Flush':
        flush(st, ctx);
        return st;
      case 'Synced':
        synced(st, m, ctx);
        return st;
      case 'TruncateLog':
        st.gen = Math.max(st.gen, m.gen);
        s.sync();
        s.truncate(m.toZxid);
        return st;
      case 'InstallSnapshot': {
        st.gen = Math.max(st.gen, m.gen);
        const zxid = s.loadSnapshot(m.snapshot.data);
        st.sinceSnapshot = 0;
        ctx.emit({ type: 'SnapshotRestored', zxid, source: 'leader' });
        if (st.appliedEvents) ctx.emit({ type: 'StorageLoaded', zxid, digest: s.digest(), source: 'snapshot' });
        answerWaitingReads(st, ctx);
        answer(ctx, { type: 'Logged', gen: st.gen, zxid });
        return st;
      }
      case 'CommitTo':
        deliver(st, ctx, s.commitTo(m.zxid));
        return st;
      case 'SnapshotTick':
        if (s.snapshotBegin()) ctx.schedule('snapshotStep', 0, { type: 'SnapshotStep' });
        return st;
      case 'SnapshotStep': {
        const done = s.snapshotStep(st.snapshotStepNodes);
        if (done !== null) ctx.emit({ type: 'SnapshotWritten', zxid: done.zxid, bytes: done.bytes });
        else if (s.snapshotRunning) ctx.schedule('snapshotStep', 0, { type: 'SnapshotStep' });
        return st;
      }
      case 'TakeSnapshot': {
        const snap = s.snapshotBytes();
        // The entries logged after the apply point go with it: the leader's window may not reach back that far.
        const entries: LogEntry[] = s.pendingTxns().map((txn) => ({ zxid: txn.zxid, txn }));
        answer(ctx, { type: 'SnapshotTaken', token: m.token, snapshot: { zxid: snap.zxid, data: snap.bytes }, entries });
        return st;
      }
      case 'ReadLog': {
        const txns = s.readLog(m.fromZxid);
        const entries: LogEntry[] | null = txns === null ? null : txns.map((txn) => ({ zxid: txn.zxid, txn }));
        answer(ctx, { type: 'LogRead', fromZxid: m.fromZxid, entries });
        return st;
      }
      case 'GetBoot':
        answer(ctx, { type: 'Boot', boot: bootInfo(s) });
        return st;
      case 'StorageRecover':
        answer(ctx, { type: 'StorageRecovered', boot: bootInfo(s, m.logTailMax) });
        return st;
      case 'Read':
        answer(ctx, { type: 'ReadDone', zxid: s.appliedZxid, result: read(s.tree, m.request, m.auth) });
        return st;
      case 'Subscribe':
        st.subscribers.set(m.machine ?? 'tree', m.to);
        return st;
      case 'KeyspaceReads': {
        const token = ctx.replyToken();
        if (token === null) return st;
        if (m.atLeastZxid <= s.appliedZxid) answerKeyspaceReads(s, ctx, m, token);
        else if (st.keyspaceReads.length >= keyspaceReadsWaitingMax) ctx.respond(token, { type: 'KeyspaceBusy' });
        else {
          // kept sorted by zxid, so the apply point answers them from the front
          let i = st.keyspaceReads.length;
          while (i > 0 && st.keyspaceReads[i - 1]!.m.atLeastZxid > m.atLeastZxid) i--;
          st.keyspaceReads.splice(i, 0, { m, token });
        }
        return st;
      }
      case 'KeyspaceListExpired':
        answer(ctx, { type: 'KeyspaceExpired', keys: s.keyspace.expiredKeys(m.nowMs, m.max) });
        return st;
      case 'ListReapable':
        answer(ctx, { type: 'ReapableList', paths: reapable(s.tree, m.nowMs, m.max) });
        return st;
      case 'ListSessions':
        answer(ctx, { type: 'SessionTable', sessions: [...s.tree.sessions] });
        return st;
      case 'ListEphemerals': {
        const ephemerals: [number, string[]][] = [];
        let left = Math.max(0, m.pathsMax);
        let truncated = false;
        for (const [id, paths] of s.tree.ephemerals) {
          if (paths.size === 0) continue;
          if (paths.size > left) {
            truncated = true;
            break;
          }
          left -= paths.size;
          ephemerals.push([id, [...paths].sort()]);
        }
        answer(ctx, { type: 'EphemeralsList', sessions: [...s.tree.sessions], ephemerals, truncated });
        return st;
      }
      default:
        return assertNever(m);
    }
  },
  stopped(st) {
    st.storage.sync();
    st.storage.persistCommit();
  },
  inspect: (st) => ({ applied: zxidHex(st.storage.appliedZxid), logged: zxidHex(st.storage.lastZxid) }),
});

/**
 * Hand applied txns to their state machine's subscriber (the front end: answers clients, fires watches), in order
 * per machine; count toward a snapshot.
 */
function deliver(st: State, ctx: Ctx<Msg>, applied: readonly Applied[]): void {
  if (applied.length === 0) return;
  const tree: Applied[] = [];
  const keyspace: Applied[] = [];
  for (const a of applied) (a.result.type === 'Keyspace' ? keyspace : tree).push(a);
  for (const [machine, list] of [['tree', tree], ['keyspace', keyspace]] as const) {
    const to = st.subscribers.get(machine);
    if (to !== undefined && (list.length > 0 || machine === 'tree')) ctx.send(to, { type: 'Applied', applied: list, upTo: applied[applied.length - 1]!.zxid } satisfies StorageReply);
  }
  answerWaitingReads(st, ctx);
  st.sinceSnapshot += applied.length;
  if (st.sinceSnapshot >= st.snapshotEveryTxns) {
    st.sinceSnapshot = 0;
    ctx.schedule('snapshot', 0, { type: 'SnapshotTick' });
  }
}

export const storageKinds = { storage: storageActor };
