/**
 * Blocked clients of one RESP front end (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP,
 * XREAD and XREADGROUP with BLOCK; any command with a row in src/core/keyspace/blocking.ts `blockingCommands`).
 * See ../../../docs/blocking.md.
 *
 * - A blocking command is first sent as a normal write (its attempt). Non-nil: that is the answer. Nil: the client
 *   blocks: it joins the FIFO of each of its keys, the node is asked to report those keys when a txn applied makes
 *   them ready (`RedisReadyWatch`; reports come with the pub/sub poll), and the keys are tried once more (a push may
 *   have applied between the attempt and the watch).
 * - Serving a key: its first waiting client's command is proposed again, as a write conditional on the key holding
 *   data at apply (a nil attempt changes nothing). Served: the client gets the reply and the next client of the key
 *   is tried; nil: the client stays first and the key waits for its next report. At most one serve per key is in
 *   flight from this node (FIFO per key per node; a report meanwhile is remembered and tried after it), so nodes'
 *   serves for a key interleave at the leader one by one each and no node can flood the log for a key.
 * - Every attempt and serve is wrapped as `_once <serve id> ...`: a TRYAGAIN (leader change: applied or not) is
 *   retried with the same id, so it pops at most once and the client gets what it popped.
 * - Timeouts are local timers; CLIENT UNBLOCK answers as a timeout or with the UNBLOCKED error. A client that leaves
 *   (or times out, or is unblocked) while its serve is in flight: the serve's answer decides. Nil: nothing was taken.
 *   Served and the client is still connected: it gets the element (it lost the race with its own timeout). Served
 *   and the client left: the command's undo (e.g. LPUSH of what BLPOP took, at the end it was taken from) is
 *   proposed, once-wrapped too, so no element is lost; BLMOVE's element stays in its destination list.
 */
import type { ReadyKey } from '../../protocol/keyspace.js';
import type { Argv, Reply } from '../../protocol/resp.js';
import { type BlockingSpec, isNothing, onceArgv } from '../../core/keyspace/blocking.js';

/** A TRYAGAIN serve is retried this many times at most (then the client gets the TRYAGAIN error). */
export const serveRetriesMax = 40;
/** The wait before retry k is min(serveRetryBaseMs * 2^k, serveRetryMaxMs). */
export const serveRetryBaseMs = 50;
export const serveRetryMaxMs = 1_000;
/** Clients blocked on one front end at once, at most (beyond: an error at once). */
export const blockedClientsMax = 100_000;
/** The longest one setTimeout waits (Node's bound). */
const timerMsMax = 2 ** 31 - 1;

const nullArray: Reply = { kind: 'NullArray' };
const unblockedError: Reply = { kind: 'Error', text: 'UNBLOCKED client unblocked via CLIENT UNBLOCK' };
const tryAgain = (r: Reply): boolean => r.kind === 'Error' && r.text.startsWith('TRYAGAIN');
const keyName = (db: number, key: Uint8Array): string => `${db}:${Buffer.from(key.buffer, key.byteOffset, key.length).toString('latin1')}`;

/** What the blocked clients need from the node. */
export interface BlockingIo {
  /** A write, answered when applied (or an error: TRYAGAIN when its outcome is unknown). */
  write(db: number, argv: Argv): Promise<Reply>;
  /** A linearizable read (the attempts and serves of a command whose row says `read`: XREAD). */
  read(db: number, argv: Argv): Promise<Reply>;
  /** Start (answered once the node reports the keys) or stop reporting the keys made ready. */
  watch(keys: readonly ReadyKey[], watch: boolean): Promise<void>;
}

/** How the blocked clients wait (real timers; the lab's simulated clients pass virtual ones). */
export interface BlockingTimers {
  /** Calls `fn` after `ms`; the answer cancels it. */
  after(ms: number, fn: () => void): () => void;
}
const realTimers: BlockingTimers = {
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

interface Blocked {
  readonly client: number;
  readonly db: number;
  readonly argv: Argv;
  readonly spec: BlockingSpec;
  readonly keys: readonly string[];
  readonly resolve: (r: Reply) => void;
  serving: boolean;
  /** Set while a serve is in flight: what to answer if it comes back nil ('gone': nothing; the client left). */
  end: Reply | 'gone' | null;
  /** Cancels the timeout timer. */
  timer: (() => void) | null;
}

interface KeyQueue {
  readonly db: number;
  readonly key: Uint8Array;
  readonly clients: Blocked[];
  /** A serve for this key is in flight from this node. */
  busy: boolean;
  /** A report came while no serve could start: try again when one can. */
  again: boolean;
}

export class BlockedClients {
  private readonly queues = new Map<string, KeyQueue>();
  private readonly byClient = new Map<number, Blocked[]>();
  /** Clients with a first attempt in flight (how many), and those of them that left meanwhile. */
  private readonly attempting = new Map<number, number>();
  private readonly left = new Set<number>();
  private count = 0;
  private nextServe = 0;

  constructor(
    private readonly io: BlockingIo,
    /** Unique to this front end's life (node, start time, a random part): serve ids never repeat. */
    private readonly idPrefix: string,
    private readonly now: () => number,
    private readonly timers: BlockingTimers = realTimers,
  ) {}

  /** A blocking command outside MULTI: its reply once served, timed out, unblocked or failed. */
  async run(client: number, db: number, argv: Argv, spec: BlockingSpec): Promise<Reply> {
    this.attempting.set(client, (this.attempting.get(client) ?? 0) + 1);
    const startMs = this.now();
    const first = await this.attempt(db, argv, spec.read === true);
    const n = this.attempting.get(client)! - 1;
    const left = this.left.has(client);
    if (n > 0) this.attempting.set(client, n);
    else {
      this.attempting.delete(client);
      this.left.delete(client);
    }
    if (left) {
      // the client left during its first attempt: nothing is kept for it
      if (!isNothing(first) && first.kind !== 'Error') this.undo(db, argv, spec, first);
      return nullArray;
    }
    if (!isNothing(first)) return first;
    if (this.count >= blockedClientsMax) return { kind: 'Error', text: `ERR more than ${blockedClientsMax} blocked clients on this node` };
    const timeoutMs = spec.timeoutMs(argv, startMs);
    if (typeof timeoutMs !== 'number') return timeoutMs; // valid at apply a moment ago: cannot happen
    return new Promise<Reply>((resolve) => {
      const byName = new Map(spec.keys(argv).map((k) => [keyName(db, k), k] as const));
      const keys = [...byName.keys()];
      const b: Blocked = { client, db, argv, spec, keys, resolve, serving: false, end: null, timer: null };
      // the timeout counts from the command's arrival (its first attempt took some of it)
      if (timeoutMs > 0) this.arm(b, startMs + timeoutMs);
      const mine = this.byClient.get(client);
      if (mine === undefined) this.byClient.set(client, [b]);
      else mine.push(b);
      this.count++;
      const fresh: ReadyKey[] = [];
      for (const [name, key] of byName) {
        let q = this.queues.get(name);
        if (q === undefined) {
          q = { db, key, clients: [], busy: false, again: false };
          this.queues.set(name, q);
          fresh.push({ db, key: q.key });
        }
        q.clients.push(b);
      }
      const tryKeys = (): void => keys.forEach((k) => this.kick(k));
      if (fresh.length === 0) tryKeys();
      else this.io.watch(fresh, true).then(tryKeys, tryKeys);
    });
  }

  /** The node reports keys made ready. */
  keysReady(keys: readonly ReadyKey[]): void {
    for (const k of keys) this.kick(keyName(k.db, k.key));
  }

  /** The node forgot the watched keys: watch them all again, and try them. */
  keysLost(): void {
    const all = [...this.queues.values()].map((q) => ({ db: q.db, key: q.key }));
    if (all.length === 0) return;
    const retry = (): void => this.keysReady(all);
    this.io.watch(all, true).then(retry, retry);
  }

  /** The connection closed or was reset: its blocked commands end, and nothing more is popped for them. */
  release(client: number): void {
    if (this.attempting.has(client)) this.left.add(client);
    for (const b of [...(this.byClient.get(client) ?? [])]) this.expire(b, 'gone');
  }

  /** CLIENT UNBLOCK: the oldest blocked command of the client ends as timed out or with the UNBLOCKED error. */
  unblock(client: number, error: boolean): boolean {
    const b = this.byClient.get(client)?.find((x) => x.end === null);
    if (b === undefined) return false;
    this.expire(b, error ? unblockedError : nullArray);
    return true;
  }

  blockedCount(): number {
    return this.byClient.size;
  }

  isBlocked(client: number): boolean {
    return this.byClient.has(client);
  }

  /** The timeout timer; beyond what one timer can wait (about 24.8 days) it is re-armed. */
  private arm(b: Blocked, deadlineMs: number): void {
    const waitMs = deadlineMs - this.now();
    if (waitMs > timerMsMax) b.timer = this.timers.after(timerMsMax, () => this.arm(b, deadlineMs));
    else b.timer = this.timers.after(Math.max(1, waitMs), () => this.expire(b, nullArray));
  }

  /** Ends a blocked command now, or, while its serve is in flight, when the serve comes back nil. */
  private expire(b: Blocked, end: Reply | 'gone'): void {
    if (b.serving) b.end = end;
    else this.finish(b, end === 'gone' ? nullArray : end);
  }

  private finish(b: Blocked, reply: Reply): void {
    if (b.timer !== null) b.timer();
    const mine = this.byClient.get(b.client);
    if (mine === undefined || !mine.includes(b)) return;
    mine.splice(mine.indexOf(b), 1);
    if (mine.length === 0) this.byClient.delete(b.client);
    this.count--;
    const dropped: ReadyKey[] = [];
    for (const name of b.keys) {
      const q = this.queues.get(name);
      if (q === undefined) continue;
      q.clients.splice(q.clients.indexOf(b), 1);
      if (q.clients.length === 0 && !q.busy) {
        this.queues.delete(name);
        dropped.push({ db: q.db, key: q.key });
      }
    }
    if (dropped.length > 0) this.io.watch(dropped, false).catch(() => undefined);
    b.resolve(reply);
  }

  /** Serve the key's first waiting client, unless a serve for the key is in flight (then: again after it). */
  private kick(name: string): void {
    const q = this.queues.get(name);
    if (q === undefined) return;
    const b = q.busy ? undefined : q.clients.find((x) => !x.serving && x.end === null);
    if (b === undefined) {
      q.again = true;
      return;
    }
    q.busy = true;
    q.again = false;
    b.serving = true;
    void this.attempt(b.db, b.spec.only(b.argv, q.key), b.spec.read === true).then((r) => this.served(b, name, r));
  }

  private served(b: Blocked, name: string, r: Reply): void {
    b.serving = false;
    const q = this.queues.get(name)!;
    q.busy = false;
    const took = !isNothing(r) && r.kind !== 'Error';
    if (took) {
      if (b.end === 'gone') this.undo(b.db, b.argv, b.spec, r);
      this.finish(b, r);
    } else if (b.end !== null) this.finish(b, b.end === 'gone' ? nullArray : b.end);
    else if (tryAgain(r)) this.finish(b, r); // retries exhausted: the outcome is unknown, the client is told
    // a key whose serve was in flight (or whose clients all were) when it was reported is tried now; after a
    // serve that took something, the next client of the key is tried (the key may hold more)
    if (q.clients.length === 0 && this.queues.get(name) === q) {
      this.queues.delete(name);
      this.io.watch([{ db: q.db, key: q.key }], false).catch(() => undefined);
    }
    if (took || q.again) this.kick(name);
    for (const k of b.keys) if (k !== name && this.queues.get(k)?.again === true) this.kick(k);
  }

  /** Put back what a serve took for a client that left. */
  private undo(db: number, argv: Argv, spec: BlockingSpec, served: Reply): void {
    const undo = spec.undo(argv, served);
    if (undo !== null) void this.attempt(db, undo, false);
  }

  /** One once-wrapped write (or a read: XREAD), retried with the same id while its outcome is unknown (bounded). */
  private async attempt(db: number, argv: Argv, read: boolean): Promise<Reply> {
    const once = onceArgv(`${this.idPrefix}:${++this.nextServe}`, argv);
    for (let k = 0; ; k++) {
      const r = await (read ? this.io.read(db, argv) : this.io.write(db, once));
      if (!tryAgain(r) || k >= serveRetriesMax) return r;
      await new Promise<void>((res) => this.timers.after(Math.min(serveRetryBaseMs * 2 ** k, serveRetryMaxMs), res));
    }
  }
}
