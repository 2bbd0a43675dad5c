import { createHash } from 'node:crypto';
import type { ActorKinds } from '../../kernel/actor.js';
import type { Clock, TimerHandle } from '../../kernel/clock.js';
import { EventBus } from '../../kernel/events.js';
import { Host } from '../../kernel/host.js';
import { Rng } from '../../core/rng.js';
import type { Address, AnyMessage, Envelope, Message } from '../../protocol/envelope.js';
import { nodeOf } from '../../protocol/envelope.js';
import type { ClusterEvent, EventPayload } from '../../protocol/events.js';
import type { Fault, LinkFaults } from '../../protocol/faults.js';
import { UnsupportedFaultError, applyFault, linkCut, noLinkFaults } from '../../protocol/faults.js';
import { logDir } from '../../storage/storage.js';
import { corruptibleOffset } from '../../storage/wal.js';
import type { ActorInspect, NodeSpec, Runtime, RuntimeOptions } from '../driver.js';
import { SimDisk } from './disk.js';
import { MinHeap } from '../../core/heap.js';
import { broadcastActor, peerNoticeEnvelope } from '../../protocol/broadcast.js';

/** A scheduled item of the simulator, ordered by (time, seq). */
export interface Scheduled {
  readonly time: number;
  readonly seq: number;
  readonly fn: () => void;
  readonly kind: 'deliver' | 'timer' | 'defer' | 'control';
  cancelled: boolean;
}
const scheduledBefore = (a: Scheduled, b: Scheduled): boolean => a.time < b.time || (a.time === b.time && a.seq < b.seq);

/** Network and disk behaviour of a simulation, as data. */
export interface SimNetOptions {
  /** One-way latency between nodes, drawn uniformly from [min, max] ms. */
  readonly latencyMinMs: number;
  readonly latencyMaxMs: number;
  /** Probability that a message between nodes is lost. */
  readonly lossRatio: number;
  /** Probability that a message between nodes is delivered twice. */
  readonly duplicateRatio: number;
  /** When true, messages on one link may overtake each other; otherwise each link is FIFO. */
  readonly reorder: boolean;
  /** Client links (between the simulation's clients and a node): probability that a message is lost, or delivered twice. */
  readonly clientLossRatio: number;
  readonly clientDuplicateRatio: number;
  /**
   * Message types a client link never duplicates: requests a real client sends once over one TCP connection and
   * that carry no key to drop a second copy by (a Redis write: a duplicate would be a second command).
   */
  readonly clientOnceTypes: readonly string[];
  /** Nodes the clients cannot reach (nor hear from): a partition between clients and those nodes. */
  readonly clientCut: readonly string[];
  /** Probability that a crash leaves a random prefix of the unsynced writes on disk (a torn last record). */
  readonly tornWriteRatio: number;
  /**
   * When set, each node's disk offers background fsyncs (`Disk.fsyncInBackground`, as a real file system does)
   * that complete this long after they are asked; unset, fsync is synchronous.
   */
  readonly backgroundFsyncMs?: number;
}

export const defaultSimNet: SimNetOptions = {
  latencyMinMs: 0.2,
  latencyMaxMs: 1,
  lossRatio: 0,
  duplicateRatio: 0,
  reorder: false,
  clientLossRatio: 0,
  clientDuplicateRatio: 0,
  clientOnceTypes: [],
  clientCut: [],
  tornWriteRatio: 0,
};

export interface SimOptions extends RuntimeOptions {
  readonly seed: number;
  readonly net?: Partial<SimNetOptions>;
  /** Actor kinds given directly (the simulator runs in this thread); otherwise loaded from `kindsModule`. */
  readonly kinds?: ActorKinds;
  /** Record every delivery in the trace, not only events (for determinism checks). */
  readonly traceMessages?: boolean;
  /**
   * When true (the default), `ask` runs the simulation until its answer arrives. When false, `ask` only sends
   * and returns the promise, which settles while `runFor`/`runUntil` advance time: many concurrent clients and
   * one driver of the clock (the simulation swarm).
   */
  readonly askDrivesClock?: boolean;
}

/** Steps one `run*` call may take before it gives up: a bound against livelock. */
export const simStepsMax = 50_000_000;
const externalNode = '$client';
/** The slowest a drifting node clock may run (a `clock` fault's drift is clamped to it). */
export const clockRateMin = 0.01;

export function formatSeed(seed: number): string {
  return `0x${(seed >>> 0).toString(16).padStart(8, '0')}`;
}

/** A fresh base seed from the clock (a run that covers new seeds each time; print it so it can be repeated). */
export function clockSeed(): number {
  return Math.imul(Date.now() >>> 0, 0x9e3779b1) >>> 0;
}

export function parseSeed(s: string): number {
  return Number.parseInt(s.replace(/^0x/i, ''), 16) >>> 0;
}

interface SimNode {
  readonly spec: NodeSpec;
  host: Host | null;
  readonly disk: SimDisk;
  incarnation: number;
  /** Paused (the `pause` fault): its timers, deferred work and deliveries wait in `held` until `resume`. */
  paused: boolean;
  held: (() => void)[];
  /** The node's clock (the `clock` fault): it reads `skewMs + driftPpm * (now - driftSinceMs) / 1e6` ahead. */
  skewMs: number;
  driftPpm: number;
  driftSinceMs: number;
}

/** One message between actors as the simulator carried it (`SimRuntime.onMessage`): deliverMs null when it was lost. */
export interface SimMessage {
  readonly from: Address | null;
  readonly to: Address;
  readonly type: string;
  readonly sentMs: number;
  readonly deliverMs: number | null;
  readonly dropped?: string;
}

/**
 * The deterministic simulator: one thread, a virtual clock, a scheduler ordered by (time, sequence), a
 * simulated network and disk whose faults are data, all randomness drawn from one seed. The same seed and the
 * same calls give the same trace, byte for byte.
 */
export class SimRuntime implements Runtime {
  readonly kind = 'sim' as const;
  readonly nodes: readonly string[];
  readonly seed: number;
  readonly rng: Rng;
  readonly bus = new EventBus();
  readonly events$ = this.bus.events$;
  readonly net: SimNetOptions;
  private readonly heap = new MinHeap<Scheduled>(scheduledBefore);
  private seq = 0;
  private nowMs = 0;
  private readonly timers = new Map<number, Scheduled>();
  private nextTimerId = 1;
  private readonly simNodes = new Map<string, SimNode>();
  private links: LinkFaults = noLinkFaults;
  private readonly lastDelivery = new Map<string, number>();
  private readonly clogUntil = new Map<string, number>();
  private readonly external: Host;
  private readonly traceLines: string[] = [];
  private readonly traceMessages: boolean;
  private needsFlush = false;
  private pump: Promise<void> = Promise.resolve();
  steps = 0;
  delivered = 0;
  dropped = 0;
  /** Envelopes sent per link, `from actor address > to node` (Runtime.inspect's per-node counters). */
  private readonly sentTo = new Map<Address, Record<string, number>>();
  /** Called for every message between nodes or clients as it is delivered or lost (the lab's Lamport diagrams). */
  onMessage: ((m: SimMessage) => void) | null = null;
  /** Called after every scheduled item runs (cheap invariant checks); may throw to stop the run. */
  onStep: ((sim: SimRuntime) => void) | null = null;
  askDrivesClock: boolean;

  private constructor(
    private readonly opts: SimOptions,
    private readonly kinds: ActorKinds,
  ) {
    this.seed = opts.seed >>> 0;
    this.rng = new Rng(this.seed);
    this.net = { ...defaultSimNet, ...opts.net };
    this.traceMessages = opts.traceMessages ?? false;
    this.askDrivesClock = opts.askDrivesClock ?? true;
    this.nodes = opts.nodes.map((n) => n.node);
    this.bus.events$.subscribe((e) => this.traceLines.push(JSON.stringify(e)));
    this.external = this.makeHost(externalNode, 0);
    for (const spec of opts.nodes) {
      const latencyMs = this.net.backgroundFsyncMs;
      const disk = latencyMs === undefined ? new SimDisk() : new SimDisk({ latencyMs, schedule: (delayMs, fn) => void this.at(this.nowMs + delayMs, 'timer', fn), now: () => this.nowMs });
      const n: SimNode = { spec, host: null, disk, incarnation: 0, paused: false, held: [], skewMs: 0, driftPpm: 0, driftSinceMs: 0 };
      this.simNodes.set(spec.node, n);
    }
    for (const spec of opts.nodes) this.startNode(spec.node);
  }

  static async create(opts: SimOptions): Promise<SimRuntime> {
    const kinds = opts.kinds ?? ((await import(opts.kindsModule)) as { kinds: ActorKinds }).kinds;
    return new SimRuntime(opts, kinds);
  }

  // ---- the virtual clock and scheduler ----

  now(): number {
    return this.nowMs;
  }

  private at(time: number, kind: Scheduled['kind'], fn: () => void): Scheduled {
    const s: Scheduled = { time: Math.max(time, this.nowMs), seq: ++this.seq, fn, kind, cancelled: false };
    this.heap.push(s);
    return s;
  }

  /** The clock of `node`'s actors (the outside world's for null): skewed and paused by the faults. */
  private clockFor(node: SimNode | null): Clock {
    const gated = (fn: () => void) => (node === null ? fn : () => (node.paused ? node.held.push(fn) : fn()));
    return {
      now: () => (node === null ? this.nowMs : this.nowMs + node.skewMs + (node.driftPpm * (this.nowMs - node.driftSinceMs)) / 1e6),
      setTimer: (delayMs, fn): TimerHandle => {
        const id = this.nextTimerId++;
        const run = gated(fn);
        const rate = node === null ? 1 : Math.max(clockRateMin, 1 + node.driftPpm / 1e6);
        const s = this.at(this.nowMs + Math.max(0, delayMs) / rate, 'timer', () => {
          this.timers.delete(id);
          run();
        });
        this.timers.set(id, s);
        return { id };
      },
      clearTimer: (h) => {
        const s = this.timers.get(h.id);
        if (s !== undefined) {
          s.cancelled = true;
          this.timers.delete(h.id);
        }
      },
      defer: (fn) => {
        this.at(this.nowMs, 'defer', gated(fn));
      },
    };
  }

  /** The next live item (cancelled timers are discarded on the way). */
  private peekLive(): Scheduled | undefined {
    let top = this.heap.peek();
    while (top !== undefined && top.cancelled) {
      this.heap.pop();
      top = this.heap.peek();
    }
    return top;
  }

  /** Run one scheduled item; false when nothing is left. */
  private stepOnce(): boolean {
    const s = this.peekLive();
    if (s === undefined) return false;
    this.heap.pop();
    this.nowMs = s.time;
    this.steps++;
    s.fn();
    if (s.kind === 'timer') this.needsFlush = true;
    if (this.onStep !== null) this.onStep(this);
    return true;
  }

  /** Let promise continuations (ask replies, timeouts) run at this exact point of the schedule. */
  private async flush(): Promise<void> {
    this.needsFlush = false;
    await new Promise<void>((r) => setImmediate(r));
  }

  private async runLocked(cond: () => boolean, untilMs: number): Promise<void> {
    let n = 0;
    while (cond()) {
      const top = this.peekLive();
      if (top === undefined || top.time > untilMs) {
        this.nowMs = Math.max(this.nowMs, Math.min(untilMs, top?.time ?? untilMs));
        if (this.needsFlush) await this.flush();
        if (top === undefined || top.time > untilMs) {
          if (Number.isFinite(untilMs)) this.nowMs = Math.max(this.nowMs, untilMs);
          return;
        }
        continue;
      }
      this.stepOnce();
      if (this.needsFlush) await this.flush();
      if (++n > simStepsMax) throw new Error(`simulation ran ${simStepsMax} steps without finishing (seed=${formatSeed(this.seed)})`);
    }
  }

  private serialize(fn: () => Promise<void>): Promise<void> {
    const p = this.pump.then(fn);
    this.pump = p.catch(() => undefined);
    return p;
  }

  /** Advance virtual time by `ms`, running everything due. */
  runFor(ms: number): Promise<void> {
    return this.serialize(() => this.runLocked(() => true, this.nowMs + ms));
  }

  /** Run until `pred()` holds or `maxMs` of virtual time passed; resolves with whether it held. */
  async runUntil(pred: () => boolean, maxMs: number): Promise<boolean> {
    let ok = pred();
    await this.serialize(async () => {
      const until = this.nowMs + maxMs;
      await this.runLocked(() => !(ok = pred()) && this.nowMs < until, until);
    });
    return ok || pred();
  }

  sleep(ms: number): Promise<void> {
    return this.runFor(ms);
  }

  /** Settles after `ms` of virtual time without driving the clock (clients of a run whose driver calls `runFor`). */
  delay(ms: number): Promise<void> {
    return new Promise<void>((resolve) => void this.at(this.nowMs + Math.max(0, ms), 'timer', resolve));
  }

  // ---- nodes ----

  private makeHost(node: string, incarnation: number): Host {
    return new Host({
      node,
      clock: this.clockFor(this.simNodes.get(node) ?? null),
      seed: (this.seed ^ Math.imul(incarnation + 1, 0x9e3779b1)) >>> 0,
      kinds: this.kinds,
      outbound: (env) => this.transmit(node, env),
      // stamped with the simulation's time, not the node's (possibly skewed) clock
      emit: (n, _time, ev) => this.emitEvent(n, this.nowMs, ev),
      io: node === externalNode ? {} : { disk: this.simNodes.get(node)!.disk },
      onEscalate: (actor, err) => {
        // An escalation takes the node down, as a crashed process would; `restart` brings it back.
        void actor;
        void err;
        this.crashNode(node, 'escalated');
      },
    });
  }

  private startNode(node: string): void {
    const n = this.simNodes.get(node)!;
    n.incarnation++;
    n.host = this.makeHost(node, n.incarnation);
    this.emitEvent(node, this.nowMs, { type: 'NodeStarted', incarnation: n.incarnation });
    for (const a of n.spec.actors) n.host.spawn(a.name, a.kind, a.args);
  }

  private crashNode(node: string, reason: string): void {
    const n = this.simNodes.get(node)!;
    if (n.host === null) return;
    n.host.crash(reason);
    n.host = null;
    n.paused = false;
    n.held = [];
    n.disk.crash(this.rng, this.net.tornWriteRatio);
    this.peersSeeConnectionsClose(node);
  }

  /**
   * As over TCP, the peers of a crashed node see its connections close, after what it sent them before (FIFO) and
   * not across a partition: ZAB need not wait for its silence. It draws no randomness.
   */
  private peersSeeConnectionsClose(node: string): void {
    for (const [peer, p] of this.simNodes) {
      if (peer === node || p.host === null || !p.host.has(broadcastActor) || linkCut(this.links, node, peer)) continue;
      const link = `${node}>${peer}`;
      const t = Math.max(this.nowMs + this.net.latencyMinMs, this.lastDelivery.get(link) ?? 0, this.clogUntil.get(peer) ?? 0);
      this.lastDelivery.set(link, t);
      const sentMs = this.nowMs;
      this.at(t, 'deliver', () => this.arrive(peerNoticeEnvelope(peer, { type: 'PeerGone', node }), sentMs));
    }
  }

  isUp(node: string): boolean {
    return this.simNodes.get(node)?.host != null;
  }

  async inspect(): Promise<readonly ActorInspect[]> {
    const out: ActorInspect[] = [];
    for (const [node, n] of this.simNodes) {
      if (n.host === null) continue;
      for (const name of n.host.actorNames()) {
        const i = n.host.inspect(name);
        const addr = `${node}/${name}`;
        if (i !== null) out.push({ addr, node, incarnation: n.incarnation, ...i, sentTo: { ...this.sentTo.get(addr) } });
      }
    }
    return out;
  }

  host(node: string): Host | null {
    return this.simNodes.get(node)?.host ?? null;
  }

  disk(node: string): SimDisk {
    return this.simNodes.get(node)!.disk;
  }

  // ---- the network ----

  private emitEvent(node: string, time: number, ev: EventPayload): void {
    this.bus.publish(node, time, ev);
  }

  private transmit(fromNode: string, env: Envelope): void {
    const toNode = nodeOf(env.to);
    const ext = fromNode === externalNode || toNode === externalNode;
    if (env.from !== null) {
      let c = this.sentTo.get(env.from);
      if (c === undefined) this.sentTo.set(env.from, (c = {}));
      c[toNode] = (c[toNode] ?? 0) + 1;
    }
    const drop = (reason: string) => {
      this.dropped++;
      this.onMessage?.({ from: env.from ?? null, to: env.to, type: env.msg.type, sentMs: this.nowMs, deliverMs: null, dropped: reason });
      this.emitEvent(fromNode, this.nowMs, { type: 'MessageDropped', from: env.from, to: env.to, msgType: env.msg.type, reason });
    };
    if (!ext && fromNode !== toNode) {
      if (linkCut(this.links, fromNode, toNode)) return drop('partition');
      if (this.rng.chance(this.links.dropRatio)) return drop('drop');
      if (this.rng.chance(this.net.lossRatio)) return drop('loss');
    } else if (fromNode !== toNode) {
      if (this.net.clientCut.includes(fromNode === externalNode ? toNode : fromNode)) return drop('client partition');
      if (this.net.clientLossRatio > 0 && this.rng.chance(this.net.clientLossRatio)) return drop('client loss');
    }
    const twice =
      fromNode !== toNode &&
      (ext
        ? this.net.clientDuplicateRatio > 0 && !this.net.clientOnceTypes.includes(env.msg.type) && this.rng.chance(this.net.clientDuplicateRatio)
        : this.rng.chance(this.net.duplicateRatio) || (this.links.duplicateRatio > 0 && this.rng.chance(this.links.duplicateRatio)));
    const fifo = !this.net.reorder && !(!ext && fromNode !== toNode && this.links.reorderRatio > 0 && this.rng.chance(this.links.reorderRatio));
    const sentMs = this.nowMs;
    const copies = twice ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      let t = this.nowMs;
      if (fromNode !== toNode) t += this.net.latencyMinMs + this.rng.next() * (this.net.latencyMaxMs - this.net.latencyMinMs);
      t += this.links.slowMs[toNode] ?? 0;
      t = Math.max(t, this.clogUntil.get(toNode) ?? 0, this.clogUntil.get(fromNode) ?? 0);
      const link = `${fromNode}>${toNode}`;
      if (fifo) {
        t = Math.max(t, this.lastDelivery.get(link) ?? 0);
        this.lastDelivery.set(link, t);
      }
      this.at(t, 'deliver', () => this.arrive(env, sentMs));
    }
  }

  private arrive(env: Envelope, sentMs: number): void {
    const toNode = nodeOf(env.to);
    const n = this.simNodes.get(toNode);
    if (n?.paused === true && n.host !== null) {
      n.held.push(() => this.arrive(env, sentMs));
      return;
    }
    const host = toNode === externalNode ? this.external : n?.host;
    if (host == null) {
      this.dropped++;
      this.onMessage?.({ from: env.from ?? null, to: env.to, type: env.msg.type, sentMs, deliverMs: null, dropped: 'node down' });
      this.emitEvent(toNode, this.nowMs, { type: 'MessageDropped', from: env.from, to: env.to, msgType: env.msg.type, reason: 'node down' });
      return;
    }
    this.delivered++;
    this.onMessage?.({ from: env.from ?? null, to: env.to, type: env.msg.type, sentMs, deliverMs: this.nowMs });
    if (this.traceMessages) this.traceLines.push(`${this.nowMs.toFixed(6)} ${env.from ?? '-'} > ${env.to} ${env.msg.type}`);
    host.deliver(env);
    if (env.replyTo !== undefined) this.needsFlush = true;
  }

  // ---- the Runtime interface ----

  send(to: Address, msg: AnyMessage): void {
    this.external.send(to, msg);
  }

  async ask<R extends Message = Message>(to: Address, msg: AnyMessage, timeoutMs: number): Promise<R> {
    let settled = false;
    const p = this.external.ask<R>(to, msg, timeoutMs);
    if (!this.askDrivesClock) return p;
    p.then(
      () => (settled = true),
      () => (settled = true),
    );
    await this.serialize(() => this.runLocked(() => !settled, Number.POSITIVE_INFINITY));
    return p;
  }

  private fault(f: Fault): void {
    this.emitEvent('$sim', this.nowMs, { type: 'FaultInjected', fault: f });
    this.links = applyFault(this.links, f);
  }

  async kill(node: string): Promise<void> {
    this.fault({ kind: 'kill', node });
    this.crashNode(node, 'killed');
  }
  async restart(node: string): Promise<void> {
    this.fault({ kind: 'restart', node });
    if (this.isUp(node)) this.crashNode(node, 'restarted');
    this.startNode(node);
  }
  async partition(groups: readonly (readonly string[])[]): Promise<void> {
    this.fault({ kind: 'partition', groups });
  }
  async cut(from: string, to: string): Promise<void> {
    this.fault({ kind: 'cut', from, to });
  }
  async heal(): Promise<void> {
    this.fault({ kind: 'heal' });
  }
  async slow(node: string, delayMs: number): Promise<void> {
    this.fault({ kind: 'slow', node, delayMs });
  }
  async drop(ratio: number): Promise<void> {
    this.fault({ kind: 'drop', ratio });
  }
  async inject(f: Fault): Promise<void> {
    switch (f.kind) {
      case 'kill':
        return this.kill(f.node);
      case 'restart':
        return this.restart(f.node);
      case 'partition':
      case 'cut':
      case 'heal':
      case 'slow':
      case 'drop':
      case 'duplicate':
      case 'reorder':
        return this.fault(f);
      case 'pause': {
        const n = this.simNode(f.node);
        this.fault(f);
        if (n.host !== null) n.paused = true;
        return;
      }
      case 'resume': {
        const n = this.simNode(f.node);
        this.fault(f);
        const held = n.held;
        n.paused = false;
        n.held = [];
        for (const fn of held) this.at(this.nowMs, 'defer', fn);
        this.needsFlush = true;
        return;
      }
      case 'clock': {
        const n = this.simNode(f.node);
        this.fault(f);
        n.skewMs = f.offsetMs;
        n.driftPpm = f.driftPpm;
        n.driftSinceMs = this.nowMs;
        return;
      }
      case 'diskStall':
      case 'diskSlow': {
        const disk = this.simNode(f.node).disk;
        if (disk.fsyncInBackground === undefined) throw new UnsupportedFaultError('sim (without net.backgroundFsyncMs)', f);
        this.fault(f);
        if (f.kind === 'diskSlow') disk.slowMs = Math.max(0, f.delayMs);
        else disk.stalledUntilMs = Math.max(disk.stalledUntilMs, this.nowMs + f.durationMs);
        return;
      }
      case 'corrupt': {
        const disk = this.simNode(f.node).disk;
        this.fault(f);
        for (const name of disk.list(logDir).reverse()) {
          const path = `${logDir}/${name}`;
          const offset = corruptibleOffset(path, disk.read(path)!, this.rng.int(0, 1 << 20));
          if (offset !== null && disk.flipBit(path, offset, this.rng.int(0, 7))) return;
        }
        throw new Error(`corrupt ${f.node}: no log segment with two records to corrupt`);
      }
    }
  }

  private simNode(node: string): SimNode {
    const n = this.simNodes.get(node);
    if (n === undefined) throw new Error(`no node ${node}`);
    return n;
  }

  /** Simulator only: hold every message into or out of `node` for `ms` (a clogged link), then release it. */
  clog(node: string, ms: number): void {
    this.clogUntil.set(node, this.nowMs + ms);
  }
  /** Simulator only: change network behaviour mid-run (for example faults off for the liveness phase). */
  setNet(net: Partial<SimNetOptions>): void {
    (this as { net: SimNetOptions }).net = { ...this.net, ...net };
  }

  async close(): Promise<void> {
    for (const n of this.simNodes.values()) n.host?.stopAll('closed');
    this.bus.complete();
  }

  // ---- determinism ----

  trace(): readonly string[] {
    return this.traceLines;
  }

  /** SHA-256 of the whole trace: equal for equal seeds and calls. */
  traceHash(): string {
    const h = createHash('sha256');
    for (const l of this.traceLines) h.update(l).update('\n');
    return h.digest('hex');
  }

  recentEvents(): readonly ClusterEvent[] {
    return this.bus.recent();
  }
}

export function createSimRuntime(opts: SimOptions): Promise<SimRuntime> {
  return SimRuntime.create(opts);
}
