/**
 * Sessions as a pure machine. The session TABLE is replicated state (DataTree.sessions: id → timeout, changed
 * only by CreateSession/CloseSession txns, so it is in every snapshot). Liveness tracking is leader state:
 * `SessionTracker` keeps ZooKeeper's ExpiryQueue — each session sits in the bucket of its deadline rounded UP to
 * the next multiple of `tickMs`, so a session expires within [timeout, timeout + tick) of its last touch and a
 * tick expires whole buckets at once. Time enters as `nowMs` in every call (no clock).
 *
 * Session ids: chosen by the server that receives the connect (`SessionIds`): ZooKeeper's layout, the server id in
 * the high byte of the 64-bit id and a counter seeded from the clock at start below it, so that server can match
 * the CreateSession it sees applied to its own connect and tools reading `id >>> 56` find the server. The counter
 * steps by 2^11, so every id is a multiple of 2^11 below 2^64 and a JS number holds it exactly; wire codecs send it
 * as int64 (negative for server ids ≥ 128, as Java's signed long).
 *
 * Leader flow: on becoming leader `reload(tree.sessions, nowMs)` (every known session gets a full timeout);
 * touch on every client request or learner ping report; each tick `expired(nowMs)` → for each id prepare a
 * CloseSession request with ctx.sessionId = id (one txn deletes all its ephemerals); `remove(id)` when a
 * CloseSession commits.
 */
import type { SessionId } from '../../protocol/txn.js';

/** Sessions expired per `expired` call; the rest wait for the next tick. */
export const expiredPerCallMax = 10_000;

/** Server ids must fit this many bits (the high byte of the id); the counter below them has `sessionCounterBits`. */
export const sessionServerIdBits = 8;
/** The server id's place in the 64-bit session id (ZooKeeper: `myid << 56`). */
export const sessionServerIdShift = 56;
/** Low bits always 0: a multiple of 2^11 below 2^64 is an exact JS number. */
export const sessionCounterShift = 11;
export const sessionCounterBits = sessionServerIdShift - sessionCounterShift;

/**
 * Session ids of one server: `serverId * 2^56 + counter * 2^11`, the counter starting at `(startMs mod 2^21) * 2^24`
 * (so a restarted server does not reuse the ids of its last run unless its clock went back, as in ZooKeeper).
 */
export class SessionIds {
  private next: number;
  private readonly base: number;
  constructor(serverId: number, startMs: number) {
    if (!Number.isInteger(serverId) || serverId < 0 || serverId >= 2 ** sessionServerIdBits) throw new RangeError(`server id ${serverId}`);
    this.base = serverId * 2 ** sessionServerIdShift;
    this.next = (Math.floor(startMs) % 2 ** (sessionCounterBits - 24)) * 2 ** 24 + 1;
  }
  take(): number {
    const id = this.base + this.next * 2 ** sessionCounterShift;
    this.next = (this.next + 1) % 2 ** sessionCounterBits || 1;
    return id;
  }
}

export function roundToNextInterval(timeMs: number, tickMs: number): number {
  return (Math.floor(timeMs / tickMs) + 1) * tickMs;
}

export class SessionTracker {
  private readonly deadlineOf = new Map<SessionId, number>();
  private readonly timeoutOf = new Map<SessionId, number>();
  private readonly buckets = new Map<number, Set<SessionId>>();
  /** The earliest bucket that may still hold sessions. */
  private nextExpiryMs: number;

  constructor(
    readonly tickMs: number,
    nowMs: number,
  ) {
    if (!(tickMs > 0)) throw new Error('tickMs must be > 0');
    this.nextExpiryMs = roundToNextInterval(nowMs, tickMs);
  }

  get size(): number {
    return this.deadlineOf.size;
  }

  has(id: SessionId): boolean {
    return this.deadlineOf.has(id);
  }

  deadline(id: SessionId): number | undefined {
    return this.deadlineOf.get(id);
  }

  /** Track every session of the replicated table (leader start). */
  reload(table: ReadonlyMap<SessionId, number>, nowMs: number): void {
    for (const [id, t] of table) this.add(id, t, nowMs);
  }

  /**
   * Every tracked session gets a full timeout from now (a new leader: ZooKeeper's leader starts every session's
   * clock afresh, so none expires for the time no leader was there to hear it).
   */
  touchAll(nowMs: number): void {
    for (const id of this.timeoutOf.keys()) this.touch(id, nowMs);
  }

  add(id: SessionId, timeoutMs: number, nowMs: number): void {
    this.timeoutOf.set(id, timeoutMs);
    this.touch(id, nowMs);
  }

  /** A sign of life: move to the bucket of now + timeout (rounded up to the tick). False if unknown. */
  touch(id: SessionId, nowMs: number): boolean {
    const t = this.timeoutOf.get(id);
    if (t === undefined) return false;
    const d = roundToNextInterval(nowMs + t, this.tickMs);
    const old = this.deadlineOf.get(id);
    if (old === d) return true;
    if (old !== undefined) this.unbucket(id, old);
    this.deadlineOf.set(id, d);
    let b = this.buckets.get(d);
    if (b === undefined) this.buckets.set(d, (b = new Set()));
    b.add(id);
    return true;
  }

  /** The expiry buckets, earliest first: at most `max` of them (4lw `dump`). */
  expiryBuckets(max: number): [number, SessionId[]][] {
    const keys = [...this.buckets.keys()].sort((a, b) => a - b).slice(0, Math.max(0, max));
    return keys.map((d) => [d, [...this.buckets.get(d)!]]);
  }

  remove(id: SessionId): void {
    const old = this.deadlineOf.get(id);
    if (old !== undefined) this.unbucket(id, old);
    this.deadlineOf.delete(id);
    this.timeoutOf.delete(id);
  }

  private unbucket(id: SessionId, d: number): void {
    const b = this.buckets.get(d);
    if (b === undefined) return;
    b.delete(id);
    if (b.size === 0) this.buckets.delete(d);
  }

  /**
   * Sessions whose bucket deadline is ≤ nowMs (at most expiredPerCallMax), in deadline then touch order. They stay
   * tracked until `remove` (when their CloseSession commits), but are moved out of the buckets so they are reported
   * once; a touch re-arms them.
   */
  expired(nowMs: number): SessionId[] {
    const out: SessionId[] = [];
    if (nowMs < this.nextExpiryMs) return out;
    // Walk bucket by bucket; if the gap is large (virtual time jumps), walk the bucket keys instead.
    const steps = Math.floor((nowMs - this.nextExpiryMs) / this.tickMs) + 1;
    const keys = steps <= this.buckets.size + 1 ? null : [...this.buckets.keys()].filter((k) => k <= nowMs).sort((a, b) => a - b);
    const visit = (d: number): boolean => {
      const b = this.buckets.get(d);
      if (b === undefined) return true;
      for (const id of b) {
        if (out.length >= expiredPerCallMax) return false;
        out.push(id);
        b.delete(id);
        this.deadlineOf.delete(id);
      }
      this.buckets.delete(d);
      return true;
    };
    if (keys === null) {
      for (let d = this.nextExpiryMs; d <= nowMs; d += this.tickMs) {
        if (!visit(d)) {
          this.nextExpiryMs = d;
          return out;
        }
      }
    } else {
      for (const d of keys) {
        if (!visit(d)) {
          this.nextExpiryMs = d;
          return out;
        }
      }
    }
    this.nextExpiryMs = roundToNextInterval(nowMs, this.tickMs);
    return out;
  }
}
