/**
 * The faults the live drivers (threads, tcp) carry out inside a node, as the simulator does in its own scheduler:
 * `pause` (threads: the node's timers, deferred work and deliveries are held until `resume`; tcp uses SIGSTOP),
 * `clock` (what the node's actors read is skewed and drifts; their timers run at the drifted rate), `diskSlow` and
 * `diskStall` (background fsyncs, the log's group commit, complete late), and `reorder` on a link.
 */
import type { Clock, TimerHandle } from '../kernel/clock.js';
import type { Disk } from '../kernel/io.js';
import type { Fault } from '../protocol/faults.js';

/** One node's faults, plain data (it crosses to worker threads and node processes). Times are real-clock ms. */
export interface NodeFaults {
  readonly paused: boolean;
  readonly offsetMs: number;
  readonly driftPpm: number;
  /** When the drift began (real clock): the node reads `offsetMs + driftPpm * (now - driftSinceMs) / 1e6` ahead. */
  readonly driftSinceMs: number;
  readonly diskSlowMs: number;
  /** No background fsync completes before this (real clock). */
  readonly diskStalledUntilMs: number;
}

export const noNodeFaults: NodeFaults = { paused: false, offsetMs: 0, driftPpm: 0, driftSinceMs: 0, diskSlowMs: 0, diskStalledUntilMs: 0 };

/** The slowest a drifting clock may run (as the simulator's clockRateMin). */
export const liveClockRateMin = 0.01;
/** The longest a reordered envelope waits for the next one on its link before it goes anyway. */
export const reorderHoldMaxMs = 20;
/** Work a paused node holds at most (timers, deferred work, deliveries); beyond it the oldest is dropped. */
export const pausedHeldMax = 1_000_000;

/** The node faults after `fault` at real time `nowMs` (faults of other kinds leave them as they are). */
export function applyNodeFault(f: NodeFaults, fault: Fault, nowMs: number): NodeFaults {
  switch (fault.kind) {
    case 'pause':
      return { ...f, paused: true };
    case 'resume':
    case 'restart':
      return { ...f, paused: false };
    case 'clock':
      return { ...f, offsetMs: fault.offsetMs, driftPpm: fault.driftPpm, driftSinceMs: nowMs };
    case 'diskSlow':
      return { ...f, diskSlowMs: Math.max(0, fault.delayMs) };
    case 'diskStall':
      return { ...f, diskStalledUntilMs: Math.max(f.diskStalledUntilMs, nowMs + fault.durationMs) };
    default:
      return f;
  }
}

/**
 * A node's faults in force, for its clock, its disk and its deliveries. `set` changes them; work held while the
 * node was paused runs, in order, when it resumes.
 */
export class NodeFaultGate {
  private held: (() => void)[] = [];

  constructor(
    private f: NodeFaults,
    private readonly real: Clock,
  ) {}

  get faults(): NodeFaults {
    return this.f;
  }

  get paused(): boolean {
    return this.f.paused;
  }

  set(f: NodeFaults): void {
    this.f = f;
    if (f.paused) return;
    const held = this.held;
    this.held = [];
    for (const fn of held) fn();
  }

  /** `fn` now, or when the node resumes. */
  run(fn: () => void): void {
    if (!this.f.paused) return fn();
    if (this.held.length >= pausedHeldMax) this.held.shift();
    this.held.push(fn);
  }

  /** The node's clock: skewed and drifting, its timers and deferred work held while paused. */
  clock(): Clock {
    const gated = (fn: () => void) => () => this.run(fn);
    return {
      now: () => {
        const t = this.real.now();
        return t + this.f.offsetMs + (this.f.driftPpm * (t - this.f.driftSinceMs)) / 1e6;
      },
      setTimer: (delayMs, fn): TimerHandle => this.real.setTimer(Math.max(0, delayMs) / Math.max(liveClockRateMin, 1 + this.f.driftPpm / 1e6), gated(fn)),
      clearTimer: (h) => this.real.clearTimer(h),
      defer: (fn) => this.real.defer(gated(fn)),
    };
  }

  /** The node's disk with its background fsyncs slowed or stalled (synchronous fsyncs are left alone, as in the sim). */
  disk(inner: Disk): Disk {
    const bg = inner.fsyncInBackground?.bind(inner);
    const late = (done: (e: Error | null) => void) => (e: Error | null) => {
      const waitMs = Math.max(this.f.diskSlowMs, this.f.diskStalledUntilMs - this.real.now());
      if (waitMs > 0) setTimeout(() => done(e), waitMs);
      else done(e);
    };
    return {
      list: (dir) => inner.list(dir),
      read: (path) => inner.read(path),
      append: (path, data) => inner.append(path, data),
      writeAtomic: (path, data) => inner.writeAtomic(path, data),
      fsync: (path) => inner.fsync(path),
      fsyncDir: (dir) => inner.fsyncDir(dir),
      ...(bg !== undefined ? { fsyncInBackground: (paths: readonly string[], done: (e: Error | null) => void) => bg(paths, late(done)) } : {}),
      truncate: (path, size) => inner.truncate(path, size),
      remove: (path) => inner.remove(path),
      size: (path) => inner.size(path),
    };
  }
}

/**
 * `reorder` on live links: an envelope picked for reordering is held back and goes right after the next one on its
 * link (or after `reorderHoldMaxMs` if none follows), so it is overtaken.
 */
export class ReorderLinks<L, E> {
  private readonly held = new Map<L, { readonly item: E; readonly timer: NodeJS.Timeout }>();

  constructor(private readonly send: (link: L, item: E) => void) {}

  pass(link: L, item: E, holdBack: boolean): void {
    const h = this.held.get(link);
    if (holdBack && h === undefined) {
      const timer = setTimeout(() => {
        this.held.delete(link);
        this.send(link, item);
      }, reorderHoldMaxMs);
      this.held.set(link, { item, timer });
      return;
    }
    this.send(link, item);
    if (h !== undefined) {
      clearTimeout(h.timer);
      this.held.delete(link);
      this.send(link, h.item);
    }
  }

  /** Forget what is held (the node is closing). */
  clear(): void {
    for (const h of this.held.values()) clearTimeout(h.timer);
    this.held.clear();
  }
}
