import { transfer, wrap } from 'comlink';
import type { Remote } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { ActorSpec, SupervisionPolicy } from '../../kernel/actor.js';
import { defaultSupervision } from '../../kernel/actor.js';
import { realClock } from '../../kernel/clock.js';
import { EventBus } from '../../kernel/events.js';
import type { ClusterEvent } from '../../protocol/events.js';
import { Host } from '../../kernel/host.js';
import type { Address, AnyMessage, Envelope, Message } from '../../protocol/envelope.js';
import { address } from '../../protocol/envelope.js';
import type { Fault, LinkFaults } from '../../protocol/faults.js';
import { UnsupportedFaultError, applyFault, linkCut, noLinkFaults } from '../../protocol/faults.js';
import { broadcastActor, peerNoticeEnvelope } from '../../protocol/broadcast.js';
import { corruptLogFile } from '../fsdisk.js';
import type { NodeFaults } from '../live-faults.js';
import { applyNodeFault, noNodeFaults } from '../live-faults.js';
import type { ActorInspect, Runtime, RuntimeOptions } from '../driver.js';
import { withTimeout } from '../driver.js';
import type { ActorControl, ActorTask, ActorTaskResult, PortFrame } from './wire.js';

/** Admin calls (comlink) never wait longer than this. */
export const controlTimeoutMs = 2_000;
/** How long starting one actor on a worker thread may take (thread start, module load, init). */
export const startTimeoutMs = 10_000;
/** How long the driver keeps an ended actor's ports open for frames still in flight. */
export const portLingerMs = 500;
/** Worker threads at most, whatever the actor count. */
export const threadsMax = 32;

export interface ThreadsOptions extends RuntimeOptions {
  /** Worker threads (default: one per actor, at most `threadsMax`). */
  readonly threads?: number;
  /** How the driver supervises a crashed worker thread (its actor is restarted on another). */
  readonly supervision?: Partial<SupervisionPolicy>;
}

interface Slot {
  readonly addr: Address;
  readonly node: string;
  readonly spec: ActorSpec;
  control: Remote<ActorControl> | null;
  controlPort: MessagePort | null;
  gateway: MessagePort | null;
  running: boolean;
  /** The current incarnation's task; a settled older one is ignored. */
  incarnation: number;
  restartTimes: number[];
}

/**
 * Actors on worker threads hosted by piscina: one long-lived task per actor on a fixed pool (no idle reaping),
 * a MessageChannel between every pair of actors so that actor traffic never passes through the main thread,
 * comlink on a separate control channel for the admin plane, always behind a timeout.
 */
export class ThreadsRuntime implements Runtime {
  readonly kind = 'threads' as const;
  readonly nodes: readonly string[];
  readonly bus = new EventBus();
  readonly events$ = this.bus.events$;

  recentEvents(): readonly ClusterEvent[] {
    return this.bus.recent();
  }
  private readonly pool: Piscina;
  private readonly slots = new Map<Address, Slot>();
  private readonly down = new Set<string>();
  private faults: LinkFaults = noLinkFaults;
  /** Each node's pause, clock and disk faults (src/runtime/live-faults.ts). */
  private readonly nodeFaults = new Map<string, NodeFaults>();
  /** Corruptions injected so far (each picks another record). */
  private corruptions = 0;
  private readonly gatewayHost: Host;
  private readonly policy: SupervisionPolicy;
  private closing = false;
  private readonly clock = realClock();

  constructor(private readonly opts: ThreadsOptions) {
    this.nodes = opts.nodes.map((n) => n.node);
    const actorCount = opts.nodes.reduce((a, n) => a + n.actors.length, 0);
    const threads = Math.max(1, Math.min(threadsMax, opts.threads ?? actorCount));
    this.pool = new Piscina({
      filename: new URL('./worker.js', import.meta.url).href,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: Number.POSITIVE_INFINITY,
      concurrentTasksPerWorker: Math.max(1, Math.ceil(actorCount / threads)),
      atomics: 'disabled',
      maxQueue: 'auto',
    });
    this.policy = { ...defaultSupervision, ...opts.supervision };
    this.gatewayHost = new Host({
      node: '$main',
      clock: this.clock,
      seed: opts.seed ?? 1,
      kinds: {},
      outbound: (env) => this.fromMain(env),
      emit: (node, time, ev) => this.bus.publish(node, time, ev),
    });
    for (const n of opts.nodes) {
      for (const a of n.actors) {
        const addr = address(n.node, a.name);
        this.slots.set(addr, { addr, node: n.node, spec: a, control: null, controlPort: null, gateway: null, running: false, incarnation: 0, restartTimes: [] });
      }
    }
  }

  static async create(opts: ThreadsOptions): Promise<ThreadsRuntime> {
    const rt = new ThreadsRuntime(opts);
    await rt.startAll([...rt.slots.values()]);
    return rt;
  }

  now(): number {
    return this.clock.now();
  }

  sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
  }

  isUp(node: string): boolean {
    return this.nodes.includes(node) && !this.down.has(node);
  }

  /** Start these actors (fresh incarnations), wiring them to each other and to every running actor. */
  private async startAll(starting: Slot[]): Promise<void> {
    const peersOf = new Map<Slot, Record<string, MessagePort>>();
    for (const s of starting) peersOf.set(s, {});
    const connects: Promise<void>[] = [];
    const startingSet = new Set(starting);
    for (let i = 0; i < starting.length; i++) {
      const a = starting[i]!;
      for (let j = i + 1; j < starting.length; j++) {
        const b = starting[j]!;
        const ch = new MessageChannel();
        peersOf.get(a)![b.addr] = ch.port1;
        peersOf.get(b)![a.addr] = ch.port2;
      }
      for (const b of this.slots.values()) {
        if (startingSet.has(b) || !b.running || b.control === null) continue;
        const ch = new MessageChannel();
        peersOf.get(a)![b.addr] = ch.port1;
        connects.push(withTimeout(b.control.connect(a.addr, transfer(ch.port2, [ch.port2 as never])), controlTimeoutMs, `connect ${b.addr}`).catch(() => undefined));
      }
    }
    await Promise.all(connects);
    await Promise.all(starting.map((s) => this.launch(s, peersOf.get(s)!)));
  }

  /** Start one actor's task; resolves when its actor is spawned and listening (or after `startTimeoutMs`). */
  private launch(s: Slot, peers: Record<string, MessagePort>): Promise<void> {
    const control = new MessageChannel();
    const gateway = new MessageChannel();
    s.incarnation++;
    const inc = s.incarnation;
    s.running = true;
    s.controlPort = control.port1;
    s.control = wrap<ActorControl>(nodeEndpoint(control.port1));
    s.gateway = gateway.port1;
    let ready!: () => void;
    const readyP = new Promise<void>((r) => (ready = r));
    gateway.port1.on('message', (f: PortFrame) => (f.t === 'ready' ? ready() : this.onGatewayFrame(f)));
    const task: ActorTask = {
      node: s.node,
      name: s.spec.name,
      kind: s.spec.kind,
      args: s.spec.args,
      kindsModule: this.opts.kindsModule,
      seed: ((this.opts.seed ?? 1) ^ inc) >>> 0,
      dataDir: this.opts.dataDir ?? null,
      faults: this.faults,
      nodeFaults: this.nodeFaults.get(s.node) ?? noNodeFaults,
      control: control.port2,
      gateway: gateway.port2,
      peers,
    };
    const transferList = [control.port2, gateway.port2, ...Object.values(peers)];
    (this.pool.run(task, { transferList: transferList as never }) as Promise<ActorTaskResult>).then(
      (r) => this.onTaskEnded(s, inc, null, r.reason),
      (e: unknown) => this.onTaskEnded(s, inc, e, String(e)),
    );
    return withTimeout(readyP, startTimeoutMs, `start ${s.addr}`).catch(() => undefined);
  }

  private onGatewayFrame(f: PortFrame): void {
    if (f.t === 'env') {
      for (const env of f.b) this.gatewayHost.deliver(env);
    } else if (f.t === 'ev') {
      for (const [node, time, ev] of f.b) this.bus.publish(node, time, ev);
    }
  }

  /** The driver is the supervisor of worker threads: a thread that died takes its actor with it. */
  private onTaskEnded(s: Slot, inc: number, err: unknown, reason: string): void {
    if (inc !== s.incarnation) return;
    s.running = false;
    s.control = null;
    // The task's result travels on piscina's own port and may overtake the last frames and comlink replies
    // on ours: let them land before closing.
    const ports = [s.controlPort, s.gateway];
    setTimeout(() => ports.forEach((p) => p?.close()), portLingerMs).unref();
    if (err === null || this.closing || this.down.has(s.node)) return;
    // The worker thread crashed (or the actor escalated): restart it per the driver's policy.
    const now = this.now();
    s.restartTimes = s.restartTimes.filter((t) => now - t < this.policy.restartWindowMs);
    const text = err instanceof Error ? err.message : reason;
    if (s.restartTimes.length >= this.policy.restartsMax) {
      this.bus.publish(s.node, now, { type: 'ActorRestarted', actor: s.addr, directive: 'Stop', attempt: s.restartTimes.length, backoffMs: 0, error: text });
      return;
    }
    s.restartTimes.push(now);
    const attempt = s.restartTimes.length;
    const backoffMs = Math.min(this.policy.backoffMaxMs, this.policy.backoffInitialMs * 2 ** (attempt - 1));
    this.bus.publish(s.node, now, { type: 'ActorRestarted', actor: s.addr, directive: 'Restart', attempt, backoffMs, error: text });
    setTimeout(() => {
      if (!this.closing && !this.down.has(s.node) && !s.running) void this.startAll([s]);
    }, backoffMs);
  }

  private fromMain(env: Envelope): void {
    const target = this.slotFor(env.to);
    if (target === undefined || !target.running || target.gateway === null) {
      this.bus.publish('$main', this.now(), { type: 'MessageDropped', from: env.from, to: env.to, msgType: env.msg.type, reason: 'not running' });
      return;
    }
    target.gateway.postMessage({ t: 'env', b: [env] } satisfies PortFrame);
  }

  private slotFor(addr: Address): Slot | undefined {
    return this.slots.get(addr);
  }

  send(to: Address, msg: AnyMessage): void {
    this.gatewayHost.send(to, msg);
  }

  ask<R extends Message = Message>(to: Address, msg: AnyMessage, timeoutMs: number): Promise<R> {
    return this.gatewayHost.ask<R>(to, msg, timeoutMs);
  }

  /** Admin: per-actor counters over comlink, behind a timeout. */
  async stats(addr: Address): Promise<ReturnType<ActorControl['stats']>> {
    const s = this.slots.get(addr);
    if (s?.control == null) throw new Error(`${addr} is not running`);
    return withTimeout(s.control.stats() as Promise<ReturnType<ActorControl['stats']>>, controlTimeoutMs, `stats ${addr}`);
  }

  async inspect(): Promise<readonly ActorInspect[]> {
    // a killed node's tasks may still be winding down: they are not inspected
    const running = [...this.slots.values()].filter((s) => s.running && s.control !== null && !this.down.has(s.node));
    const out = await Promise.all(
      running.map(async (s) => {
        const i = await withTimeout(s.control!.inspect() as Promise<ReturnType<ActorControl['inspect']>>, controlTimeoutMs, `inspect ${s.addr}`).catch(() => null);
        return i === null ? null : { addr: s.addr, node: s.node, incarnation: s.incarnation, ...i };
      }),
    );
    return out.filter((x): x is ActorInspect => x !== null);
  }

  private async broadcastFaults(f: Fault): Promise<void> {
    this.bus.publish('$main', this.now(), { type: 'FaultInjected', fault: f });
    this.faults = applyFault(this.faults, f);
    const calls: Promise<unknown>[] = [];
    for (const s of this.slots.values()) {
      if (s.running && s.control !== null) calls.push(withTimeout(s.control.setFaults(this.faults), controlTimeoutMs, `faults ${s.addr}`).catch(() => undefined));
    }
    await Promise.all(calls);
  }

  /** Pause, clock and disk faults: the node's actors apply them in their threads (live-faults.ts). */
  private async nodeFault(f: Extract<Fault, { node: string }>): Promise<void> {
    if (!this.nodes.includes(f.node)) throw new Error(`unknown node '${f.node}'`);
    this.bus.publish('$main', this.now(), { type: 'FaultInjected', fault: f });
    const nf = applyNodeFault(this.nodeFaults.get(f.node) ?? noNodeFaults, f, this.now());
    this.nodeFaults.set(f.node, nf);
    const calls: Promise<unknown>[] = [];
    for (const s of this.slots.values()) {
      if (s.node === f.node && s.running && s.control !== null) calls.push(withTimeout(s.control.setNodeFaults(nf), controlTimeoutMs, `node faults ${s.addr}`).catch(() => undefined));
    }
    await Promise.all(calls);
  }

  async kill(node: string): Promise<void> {
    this.bus.publish('$main', this.now(), { type: 'FaultInjected', fault: { kind: 'kill', node } });
    this.down.add(node);
    const calls: Promise<unknown>[] = [];
    for (const s of this.slots.values()) {
      if (s.node === node && s.running && s.control !== null) {
        calls.push(withTimeout(s.control.crash('killed'), controlTimeoutMs, `crash ${s.addr}`).catch(() => undefined));
      }
    }
    await Promise.all(calls);
    this.bus.publish(node, this.now(), { type: 'NodeCrashed', reason: 'killed' });
    // As over TCP, its peers see its connections close (not across a partition): ZAB need not wait for its silence.
    for (const peer of this.nodes) {
      const s = this.slotFor(address(peer, broadcastActor));
      if (peer !== node && !this.down.has(peer) && !linkCut(this.faults, node, peer) && s?.running === true) {
        this.fromMain(peerNoticeEnvelope(peer, { type: 'PeerGone', node }));
      }
    }
  }

  async restart(node: string): Promise<void> {
    if (!this.down.has(node)) await this.kill(node);
    this.bus.publish('$main', this.now(), { type: 'FaultInjected', fault: { kind: 'restart', node } });
    // Wait for the killed tasks to wind down before starting the new incarnation.
    const deadline = Date.now() + controlTimeoutMs;
    while ([...this.slots.values()].some((s) => s.node === node && s.running) && Date.now() < deadline) await this.sleep(5);
    this.down.delete(node);
    this.nodeFaults.set(node, applyNodeFault(this.nodeFaults.get(node) ?? noNodeFaults, { kind: 'restart', node }, this.now()));
    this.bus.publish(node, this.now(), { type: 'NodeStarted', incarnation: 0 });
    await this.startAll([...this.slots.values()].filter((s) => s.node === node));
  }

  partition(groups: readonly (readonly string[])[]): Promise<void> {
    return this.broadcastFaults({ kind: 'partition', groups });
  }
  cut(from: string, to: string): Promise<void> {
    return this.broadcastFaults({ kind: 'cut', from, to });
  }
  heal(): Promise<void> {
    return this.broadcastFaults({ kind: 'heal' });
  }
  slow(node: string, delayMs: number): Promise<void> {
    return this.broadcastFaults({ kind: 'slow', node, delayMs });
  }
  drop(ratio: number): Promise<void> {
    return this.broadcastFaults({ kind: 'drop', ratio });
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
        return this.broadcastFaults(f);
      case 'diskStall':
      case 'diskSlow':
        if (this.opts.dataDir === undefined) throw new UnsupportedFaultError('threads (without a data directory)', f);
        return this.nodeFault(f);
      case 'pause':
      case 'resume':
      case 'clock':
        return this.nodeFault(f);
      case 'corrupt':
        if (this.opts.dataDir === undefined) throw new UnsupportedFaultError('threads (without a data directory)', f);
        this.bus.publish('$main', this.now(), { type: 'FaultInjected', fault: f });
        if (!corruptLogFile(join(this.opts.dataDir, f.node), this.corruptions++)) throw new Error(`corrupt ${f.node}: no log segment with two records to corrupt`);
        return;
    }
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const calls: Promise<unknown>[] = [];
    for (const s of this.slots.values()) {
      if (s.running && s.control !== null) calls.push(withTimeout(s.control.stop('closed'), controlTimeoutMs, `stop ${s.addr}`).catch(() => undefined));
    }
    await Promise.all(calls);
    await this.pool.destroy();
    this.gatewayHost.stopAll('closed');
    this.bus.complete();
  }
}

export function createThreadsRuntime(opts: ThreadsOptions): Promise<ThreadsRuntime> {
  return ThreadsRuntime.create(opts);
}

