import type { Address, AnyMessage, Envelope, Message } from '../protocol/envelope.js';
import { address } from '../protocol/envelope.js';
import type { EventPayload } from '../protocol/events.js';
import type { ActorKinds, AnyActorDef, Ctx, Directive, ReplyToken, SupervisionPolicy } from './actor.js';
import { ActorGoneError, AskTimeoutError, defaultSupervision } from './actor.js';
import type { Clock, TimerHandle } from './clock.js';
import { deepFreeze, freezeOnDelivery } from './freeze.js';
import type { NodeIo } from './io.js';
import { Mailbox } from './mailbox.js';
import type { SystemMessage } from './mailbox.js';
import { Rng, hash32 } from '../core/rng.js';

/** Messages handled in one drain turn before yielding to other actors. */
export const drainBatchMax = 256;
/** Asks outstanding from one host at once; more are refused at once. */
export const pendingAsksMax = 100_000;

export interface HostOptions {
  readonly node: string;
  readonly clock: Clock;
  readonly seed: number;
  readonly kinds: ActorKinds;
  /** Envelopes for addresses this host does not own. */
  readonly outbound: (env: Envelope) => void;
  /** Events, to be stamped with a sequence number by the cluster's event bus. */
  readonly emit: (node: string, time: number, ev: EventPayload) => void;
  readonly io?: NodeIo;
  /** Called when an actor's supervisor escalates: the driver decides (for example, crash the node). */
  readonly onEscalate?: (actor: Address, error: unknown) => void;
  /** Called when an actor stops for good. */
  readonly onStopped?: (actor: Address, reason: string) => void;
  /** Host id, to keep ask addresses unique when one node spans several hosts (worker threads). */
  readonly hostId?: string;
}

interface PendingAsk {
  readonly resolve: (m: Message) => void;
  readonly reject: (e: Error) => void;
  readonly timer: TimerHandle;
  readonly to: Address;
}

type CellStatus = 'running' | 'restarting' | 'stopped';

class Cell {
  status: CellStatus = 'running';
  state: unknown;
  scheduled = false;
  incarnation = 0;
  restartTimes: number[] = [];
  readonly timers = new Map<string, TimerHandle>();
  current: Envelope | null = null;
  stopRequested = false;
  rng: Rng;
  readonly policy: SupervisionPolicy;
  readonly mailbox: Mailbox;
  ctx!: Ctx;
  restartTimer: TimerHandle | null = null;

  constructor(
    readonly name: string,
    readonly addr: Address,
    readonly kind: string,
    readonly def: AnyActorDef,
    readonly args: unknown,
    seed: number,
  ) {
    this.policy = { ...defaultSupervision, ...def.supervision };
    this.mailbox = new Mailbox(def.mailboxCapacity);
    this.rng = new Rng(seed);
  }
}

/**
 * Hosts the actors of one node (or of one worker thread of a node) on a given clock, routes envelopes between
 * them, forwards the rest to `outbound`, and runs asks, timers and supervision. It does no IO of its own.
 */
export class Host {
  readonly node: string;
  private readonly cells = new Map<string, Cell>();
  /** The same cells by full address: one lookup per routed envelope, no string slicing on the hot path. */
  private readonly byAddr = new Map<Address, Cell>();
  private readonly pending = new Map<number, PendingAsk>();
  private nextAskId = 1;
  private readonly askAddr: Address;
  private crashed = false;
  deadLetters = 0;

  constructor(private readonly opts: HostOptions) {
    this.node = opts.node;
    this.askAddr = address(opts.node, `$ask${opts.hostId ?? ''}`);
  }

  /** The address replies to asks made through `host.ask` come back to. */
  get askAddress(): Address {
    return this.askAddr;
  }

  has(name: string): boolean {
    const c = this.cells.get(name);
    return c !== undefined && c.status !== 'stopped';
  }

  actorNames(): string[] {
    return [...this.cells.values()].filter((c) => c.status !== 'stopped').map((c) => c.name);
  }

  /** Peek at an actor's state (tests, admin); never mutate it. */
  stateOf(name: string): unknown {
    return this.cells.get(name)?.state;
  }

  spawn(name: string, kind: string, args?: unknown): Address {
    const def = this.opts.kinds[kind];
    if (def === undefined) throw new Error(`unknown actor kind '${kind}'`);
    const addr = address(this.node, name);
    const old = this.cells.get(name);
    if (old !== undefined && old.status !== 'stopped') throw new Error(`actor ${addr} already exists`);
    const cell = new Cell(name, addr, kind, def, args, this.opts.seed ^ hash32(addr));
    cell.ctx = this.makeCtx(cell);
    this.cells.set(name, cell);
    this.byAddr.set(addr, cell);
    cell.mailbox.arrivals$.subscribe(() => this.scheduleDrain(cell));
    cell.mailbox.overflow$.subscribe((m) => {
      if ('msg' in m) this.dead(m, 'mailbox full');
    });
    this.emit({ type: 'ActorStarted', actor: addr, kind });
    this.initCell(cell);
    return addr;
  }

  /** Inbound envelope from the driver (or a local send). */
  deliver(env: Envelope): void {
    if (this.crashed) return;
    if (env.replyTo !== undefined) {
      const p = this.pending.get(env.replyTo);
      if (p === undefined) {
        this.deadLetters++;
        return; // a late reply to an ask that already timed out
      }
      this.pending.delete(env.replyTo);
      this.opts.clock.clearTimer(p.timer);
      p.resolve(freezeOnDelivery ? deepFreeze(env.msg) : env.msg);
      return;
    }
    const cell = this.byAddr.get(env.to);
    if (cell === undefined || cell.status === 'stopped') {
      // An ask to nobody is not answered: the asker's timeout covers it.
      this.dead(env, cell === undefined ? 'no such actor' : 'actor stopped');
      return;
    }
    cell.mailbox.enqueue(env);
  }

  /** Send from outside the actor system (front ends, tests). */
  send(to: Address, msg: AnyMessage): void {
    this.route({ to, from: null, msg });
  }

  /** Ask from outside the actor system. */
  ask<R extends Message = Message>(to: Address, msg: AnyMessage, timeoutMs: number): Promise<R> {
    return this.askFrom(this.askAddr, to, msg, timeoutMs);
  }

  /** A liveness probe that jumps the user queue: resolves with Pong, or rejects on timeout. */
  ping(name: string, timeoutMs: number): Promise<Message> {
    const to = address(this.node, name);
    if (this.crashed) return Promise.reject(new ActorGoneError(to, `node ${this.node} crashed`));
    const askId = this.nextAskId++;
    return new Promise<Message>((resolve, reject) => {
      const timer = this.opts.clock.setTimer(timeoutMs, () => {
        if (this.pending.delete(askId)) reject(new AskTimeoutError(to, 'Ping', timeoutMs));
      });
      this.pending.set(askId, { resolve, reject, timer, to });
      if (!this.system(name, { type: 'Ping', replyTo: { to, from: this.askAddr, msg: { type: 'Ping' }, askId } })) {
        this.pending.delete(askId);
        this.opts.clock.clearTimer(timer);
        reject(new ActorGoneError(to, 'no such actor'));
      }
    });
  }

  system(name: string, m: SystemMessage): boolean {
    const cell = this.cells.get(name);
    if (cell === undefined || cell.status === 'stopped') return false;
    return cell.mailbox.enqueueSystem(m);
  }

  /** Stop one actor now; what is still queued becomes dead letters. */
  stop(name: string, reason: string): void {
    const cell = this.cells.get(name);
    if (cell !== undefined && cell.status !== 'stopped') this.finalStop(cell, reason, true);
  }

  /** Stop everything gracefully. */
  stopAll(reason: string): void {
    for (const c of this.cells.values()) if (c.status !== 'stopped') this.finalStop(c, reason, true);
  }

  /** A crash: state is lost, timers and asks die, nothing more runs and nothing is delivered. */
  crash(reason: string): void {
    if (this.crashed) return;
    this.crashed = true;
    for (const c of this.cells.values()) {
      for (const t of c.timers.values()) this.opts.clock.clearTimer(t);
      c.timers.clear();
      if (c.restartTimer) this.opts.clock.clearTimer(c.restartTimer);
      c.status = 'stopped';
      c.state = undefined;
      c.mailbox.drainUser();
      c.mailbox.close();
    }
    for (const [id, p] of this.pending) {
      this.opts.clock.clearTimer(p.timer);
      this.pending.delete(id);
      p.reject(new ActorGoneError(p.to, `node ${this.node} crashed`));
    }
    this.emit({ type: 'NodeCrashed', reason });
  }

  get isCrashed(): boolean {
    return this.crashed;
  }

  // ---- internals ----

  private emit(ev: EventPayload): void {
    this.opts.emit(this.node, this.opts.clock.now(), ev);
  }

  private route(env: Envelope): void {
    if (this.byAddr.has(env.to) || env.to === this.askAddr) {
      this.deliver(env);
    } else {
      this.opts.outbound(env);
    }
  }

  private dead(env: Envelope, reason: string): void {
    this.deadLetters++;
    this.emit({ type: 'DeadLetter', to: env.to, from: env.from, msgType: env.msg.type, reason });
  }

  private askFrom<R extends Message>(from: Address, to: Address, msg: Message, timeoutMs: number): Promise<R> {
    if (this.crashed) return Promise.reject(new ActorGoneError(to, `node ${this.node} crashed`));
    if (this.pending.size >= pendingAsksMax) return Promise.reject(new Error(`too many pending asks (${pendingAsksMax})`));
    const askId = this.nextAskId++;
    return new Promise<R>((resolve, reject) => {
      const timer = this.opts.clock.setTimer(timeoutMs, () => {
        if (this.pending.delete(askId)) reject(new AskTimeoutError(to, msg.type, timeoutMs));
      });
      this.pending.set(askId, { resolve: resolve as (m: Message) => void, reject, timer, to });
      this.route({ to, from, msg, askId });
    });
  }

  private makeCtx(cell: Cell): Ctx {
    const host = this;
    const clock = this.opts.clock;
    return {
      self: cell.addr,
      node: this.node,
      get sender() {
        return cell.current?.from ?? null;
      },
      send: (to, msg) => host.route({ to, from: cell.addr, msg }),
      reply(msg) {
        const cur = cell.current;
        if (cur === null || cur.askId === undefined || cur.from === null) {
          host.deadLetters++;
          return;
        }
        host.route({ to: cur.from, from: cell.addr, msg, replyTo: cur.askId });
      },
      replyToken(): ReplyToken | null {
        const cur = cell.current;
        if (cur === null || cur.askId === undefined || cur.from === null) return null;
        return { to: cur.from, askId: cur.askId };
      },
      respond: (token, msg) => host.route({ to: token.to, from: cell.addr, msg, replyTo: token.askId }),
      ask: (to, msg, timeoutMs) => host.askFrom(host.askAddr, to, msg, timeoutMs),
      schedule(key, delayMs, msg) {
        const old = cell.timers.get(key);
        if (old !== undefined) clock.clearTimer(old);
        const inc = cell.incarnation;
        const h = clock.setTimer(delayMs, () => {
          cell.timers.delete(key);
          if (cell.status === 'running' && cell.incarnation === inc) cell.mailbox.enqueue({ to: cell.addr, from: cell.addr, msg });
        });
        cell.timers.set(key, h);
      },
      cancel(key) {
        const old = cell.timers.get(key);
        if (old !== undefined) {
          clock.clearTimer(old);
          cell.timers.delete(key);
        }
      },
      emit: (ev) => host.emit(ev),
      now: () => clock.now(),
      random: () => cell.rng.next(),
      stop() {
        cell.stopRequested = true;
      },
      io: this.opts.io ?? {},
    };
  }

  private initCell(cell: Cell): void {
    cell.current = null;
    try {
      cell.state = cell.def.init(cell.ctx, cell.args);
      cell.status = 'running';
    } catch (err) {
      this.crashed || this.onCrash(cell, err);
      return;
    }
    if (cell.stopRequested) this.finalStop(cell, 'stopped itself', true);
    else if (cell.mailbox.size > 0) this.scheduleDrain(cell);
  }

  private scheduleDrain(cell: Cell): void {
    if (cell.scheduled || this.crashed) return;
    cell.scheduled = true;
    this.opts.clock.defer(() => {
      cell.scheduled = false;
      this.drain(cell);
    });
  }

  private drain(cell: Cell): void {
    let n = 0;
    let handled = 0;
    while (n < drainBatchMax && !this.crashed) {
      if (cell.status === 'stopped') return;
      if (cell.status === 'restarting' && !cell.mailbox.hasSystem()) return; // user messages wait for the restart
      const item = cell.mailbox.next();
      if (item === null) break;
      n++;
      if ('system' in item) {
        this.handleSystem(cell, item.system);
        continue;
      }
      const env = item.user;
      cell.current = env;
      const msg = freezeOnDelivery ? deepFreeze(env.msg) : env.msg;
      try {
        cell.state = cell.def.receive(cell.state, msg, cell.ctx);
      } catch (err) {
        cell.current = null;
        this.onCrash(cell, err);
        continue;
      }
      cell.current = null;
      handled++;
      if (cell.stopRequested) {
        this.finalStop(cell, 'stopped itself', true);
        return;
      }
    }
    if (handled > 0 && cell.def.drained !== undefined && cell.status === 'running' && !this.crashed) {
      try {
        cell.state = cell.def.drained(cell.state, cell.ctx);
      } catch (err) {
        this.onCrash(cell, err);
      }
      if (cell.stopRequested && cell.status === 'running') {
        this.finalStop(cell, 'stopped itself', true);
        return;
      }
    }
    if (cell.mailbox.size > 0 && cell.status !== 'stopped') this.scheduleDrain(cell);
  }

  private handleSystem(cell: Cell, m: SystemMessage): void {
    switch (m.type) {
      case 'Stop':
        this.finalStop(cell, m.reason, true);
        return;
      case 'Restart':
        this.restartNow(cell, 0);
        return;
      case 'Ping':
        if (m.replyTo !== null && m.replyTo.from !== null && m.replyTo.askId !== undefined) {
          this.route({ to: m.replyTo.from, from: cell.addr, msg: { type: 'Pong' }, replyTo: m.replyTo.askId });
        }
        return;
    }
  }

  private onCrash(cell: Cell, err: unknown): void {
    const policy = cell.policy;
    let directive: Directive;
    try {
      directive = policy.decide(err);
    } catch {
      directive = 'Escalate';
    }
    const now = this.opts.clock.now();
    const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    if (directive === 'Restart') {
      cell.restartTimes = cell.restartTimes.filter((t) => now - t < policy.restartWindowMs);
      if (cell.restartTimes.length >= policy.restartsMax) directive = policy.onLimit;
    }
    if (directive === 'Restart') {
      cell.restartTimes.push(now);
      const attempt = cell.restartTimes.length;
      const backoffMs = Math.min(policy.backoffMaxMs, policy.backoffInitialMs * 2 ** (attempt - 1));
      this.emit({ type: 'ActorRestarted', actor: cell.addr, directive, attempt, backoffMs, error: text });
      this.restartNow(cell, backoffMs);
      return;
    }
    this.emit({ type: 'ActorRestarted', actor: cell.addr, directive, attempt: cell.restartTimes.length, backoffMs: 0, error: text });
    this.finalStop(cell, `crashed: ${text}`, false);
    if (directive === 'Escalate') this.opts.onEscalate?.(cell.addr, err);
  }

  private restartNow(cell: Cell, backoffMs: number): void {
    for (const t of cell.timers.values()) this.opts.clock.clearTimer(t);
    cell.timers.clear();
    cell.incarnation++;
    cell.state = undefined;
    cell.status = 'restarting';
    cell.rng = new Rng(this.opts.seed ^ hash32(cell.addr) ^ cell.incarnation);
    const go = () => {
      cell.restartTimer = null;
      if (cell.status !== 'restarting' || this.crashed) return;
      this.initCell(cell);
    };
    if (backoffMs <= 0) go();
    else cell.restartTimer = this.opts.clock.setTimer(backoffMs, go);
  }

  private finalStop(cell: Cell, reason: string, callStopped: boolean): void {
    if (cell.status === 'stopped') return;
    const wasRunning = cell.status === 'running';
    for (const t of cell.timers.values()) this.opts.clock.clearTimer(t);
    cell.timers.clear();
    if (cell.restartTimer) this.opts.clock.clearTimer(cell.restartTimer);
    cell.status = 'stopped';
    if (callStopped && wasRunning && cell.def.stopped) {
      try {
        cell.def.stopped(cell.state, cell.ctx);
      } catch {
        // a failing cleanup must not take the host down
      }
    }
    for (const env of cell.mailbox.drainUser()) this.dead(env, 'actor stopped');
    cell.mailbox.close();
    this.emit({ type: 'ActorStopped', actor: cell.addr, reason });
    this.opts.onStopped?.(cell.addr, reason);
  }
}
