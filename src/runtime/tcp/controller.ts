/**
 * The tcp runtime's controller: forks one process per node (node-main.js), drives it over IPC (control only:
 * outside sends and asks, faults, status) and collects its events into one EventBus. Peer traffic between the
 * node processes goes over their own TCP connections, never through the controller.
 */
import { fork, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { freePorts } from './ports.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Observable } from 'rxjs';
import { ActorGoneError, AskTimeoutError } from '../../kernel/actor.js';
import { realClock } from '../../kernel/clock.js';
import { EventBus } from '../../kernel/events.js';
import type { Address, Message } from '../../protocol/envelope.js';
import { address, nodeOf } from '../../protocol/envelope.js';
import type { ClusterEvent, EventPayload } from '../../protocol/events.js';
import type { Fault, LinkFaults } from '../../protocol/faults.js';
import { UnsupportedFaultError, applyFault, noLinkFaults } from '../../protocol/faults.js';
import { corruptLogFile } from '../fsdisk.js';
import type { NodeFaults } from '../live-faults.js';
import { applyNodeFault, noNodeFaults } from '../live-faults.js';
import type { NodeSpec, Runtime, RuntimeOptions } from '../driver.js';
import type { FromNode, NodeStatus, ToNode } from './ipc.js';
import type { TcpNodeConfig } from './node.js';
import type { PeerAddress } from './transport.js';
import { NetnsNetwork } from './netns.js';

/** How long a node process may take to load its kinds and listen. */
export const nodeStartTimeoutMs = 45_000;
/** How long a control request (fault, status) may wait for a node's acknowledgement. */
export const controlTimeoutMs = 5_000;
/** After SIGTERM, how long `close` waits before SIGKILL; also the wait for a SIGKILLed process to exit. */
export const closeGraceMs = 3_000;
/** Outside asks outstanding at once; more are refused. */
export const runtimeAsksMax = 100_000;
/** Name under which the controller's own events (FaultInjected, NodeCrashed of a process) appear. */
export const controllerNodeName = '$tcp';

export interface TcpRuntimeOptions extends RuntimeOptions {
  /** Node i listens on basePort + i; default: free ports picked at start (kept across restarts). */
  readonly basePort?: number;
  /** Loopback by default. */
  readonly host?: string;
  /**
   * Each node in its own network namespace (root and `ip netns` needed; src/runtime/tcp/netns.ts): partitions and
   * cuts are then blackhole routes between the namespaces instead of the transports' drops.
   */
  readonly netns?: boolean;
}

export interface TcpRuntime extends Runtime {
  readonly kind: 'tcp';
  /** Each node's peer address. */
  readonly addresses: Readonly<Record<string, PeerAddress>>;
  /** A node's transport and actors as it reports them (tests, admin). */
  status(node: string): Promise<NodeStatus>;
  /** Events so far (at most the bus's history bound). */
  recentEvents(): readonly ClusterEvent[];
  /** The process id of a node that is up (tests check that nothing outlives `close`). */
  pid(node: string): number | null;
  /** The nodes' namespaces when started with `netns` (else null). */
  readonly netns: NetnsNetwork | null;
  /** Send from inside node `via` (through its host, so the message crosses the peer network to `to`). */
  sendVia<T extends Message>(via: string, to: Address, msg: T): void;
  /** Ask from inside node `via`: request and reply cross the peer network; bounded by `timeoutMs`. */
  askVia<R extends Message = Message, T extends Message = Message>(via: string, to: Address, msg: T, timeoutMs: number): Promise<R>;
}

interface Control {
  readonly resolve: (s: NodeStatus | undefined) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
}

interface Child {
  readonly spec: NodeSpec;
  readonly addr: PeerAddress;
  proc: ChildProcess | null;
  up: boolean;
  /** Clock and disk faults, handed to each new process (pause is SIGSTOP and ends with the process). */
  nodeFaults: NodeFaults;
  incarnation: number;
  exited: Promise<void> | null;
  /** kill and restart of one node run one after the other. */
  lifecycle: Promise<void>;
}

interface OutsideAsk {
  readonly resolve: (m: Message) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
  readonly to: Address;
  readonly msgType: string;
  readonly timeoutMs: number;
}

async function freePort(host: string): Promise<number> {
  return (await freePorts(1, host))[0]!;
}

const nodeMainPath = join(fileURLToPath(new URL('.', import.meta.url)), 'node-main.js');

export async function createTcpRuntime(opts: TcpRuntimeOptions): Promise<TcpRuntime> {
  const hostName = opts.host ?? '127.0.0.1';
  const clock = realClock();
  const bus = new EventBus();
  const seed = opts.seed ?? 1;
  const children = new Map<string, Child>();
  const asks = new Map<number, OutsideAsk>();
  const controls = new Map<number, Control>();
  let nextId = 1;
  let faults: LinkFaults = noLinkFaults;
  let closing = false;

  const net = opts.netns === true ? await NetnsNetwork.create(opts.nodes.map((n) => n.node)) : null;
  const addresses: Record<string, PeerAddress> = {};
  for (let i = 0; i < opts.nodes.length; i++) {
    const spec = opts.nodes[i]!;
    if (children.has(spec.node)) {
      net?.close();
      throw new Error(`node '${spec.node}' listed twice`);
    }
    const addr = net !== null ? net.addresses[spec.node]! : { host: hostName, port: opts.basePort !== undefined ? opts.basePort + i : await freePort(hostName) };
    addresses[spec.node] = addr;
    children.set(spec.node, { spec, addr, proc: null, up: false, nodeFaults: noNodeFaults, incarnation: 0, exited: null, lifecycle: Promise.resolve() });
  }

  const publish = (node: string, ev: EventPayload, time = clock.now()) => bus.publish(node, time, ev);

  function child(node: string): Child {
    const c = children.get(node);
    if (c === undefined) throw new Error(`unknown node '${node}'`);
    return c;
  }

  function post(c: Child, m: ToNode): boolean {
    const p = c.proc;
    if (!c.up || p === null || !p.connected) return false;
    try {
      p.send(m, undefined, undefined, () => undefined);
      return true;
    } catch {
      return false;
    }
  }

  function onMessage(c: Child, m: FromNode): void {
    switch (m.t) {
      case 'events':
        for (const [time, ev] of m.list) publish(c.spec.node, ev, time);
        return;
      case 'reply':
      case 'replyError': {
        const a = asks.get(m.id);
        if (a === undefined) return; // timed out already
        asks.delete(m.id);
        clearTimeout(a.timer);
        if (m.t === 'reply') a.resolve(m.msg);
        else if (m.name === 'AskTimeoutError') a.reject(new AskTimeoutError(a.to, a.msgType, a.timeoutMs));
        else if (m.name === 'ActorGoneError') a.reject(new ActorGoneError(a.to, m.message));
        else a.reject(new Error(m.message));
        return;
      }
      case 'ack': {
        const k = controls.get(m.id);
        if (k === undefined) return;
        controls.delete(m.id);
        clearTimeout(k.timer);
        k.resolve(m.status);
        return;
      }
      case 'ready':
      case 'fatal':
        return; // handled while starting
    }
  }

  function control(c: Child, make: (id: number) => ToNode): Promise<NodeStatus | undefined> {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        controls.delete(id);
        reject(new Error(`node ${c.spec.node} did not answer a control request within ${controlTimeoutMs} ms`));
      }, controlTimeoutMs);
      controls.set(id, { resolve, reject, timer });
      if (!post(c, make(id))) {
        controls.delete(id);
        clearTimeout(timer);
        reject(new Error(`node ${c.spec.node} is down`));
      }
    });
  }

  function startNode(c: Child): Promise<void> {
    const node = c.spec.node;
    const config: TcpNodeConfig = {
      node,
      listen: c.addr,
      peers: addresses,
      kindsModule: opts.kindsModule,
      actors: c.spec.actors,
      ...(opts.dataDir !== undefined ? { dataDir: join(opts.dataDir, node) } : {}),
      seed,
      faults,
      nodeFaults: c.nodeFaults,
    };
    const args = ['--config-json', JSON.stringify(config)];
    const stdio: ['ignore', 'inherit', 'inherit', 'ipc'] = ['ignore', 'inherit', 'inherit', 'ipc'];
    // `ip netns exec` execs node in the namespace: same process, same IPC channel
    const proc =
      net !== null
        ? spawn(...net.command(node, [process.execPath, ...process.execArgv, nodeMainPath, ...args]), { serialization: 'advanced', stdio })
        : fork(nodeMainPath, args, { serialization: 'advanced', stdio });
    c.proc = proc;
    c.incarnation++;
    const incarnation = c.incarnation;
    c.exited = new Promise<void>((resolve) => {
      proc.once('exit', (code, signal) => {
        const wasUp = c.up;
        if (c.proc === proc) {
          c.proc = null;
          c.up = false;
        }
        if (!closing && wasUp) publish(node, { type: 'NodeCrashed', reason: signal !== null ? `process killed by ${signal}` : `process exited with code ${code}` });
        resolve();
      });
    });
    proc.on('error', () => {
      // 'exit' follows (or the start times out)
    });
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`node ${node} did not start within ${nodeStartTimeoutMs} ms`));
      }, nodeStartTimeoutMs);
      const onExit = (code: number | null, signal: string | null) => {
        clearTimeout(timer);
        reject(new Error(`node ${node} exited while starting (code ${code}, signal ${signal})`));
      };
      proc.once('exit', onExit);
      proc.on('message', (raw) => {
        const m = raw as FromNode;
        if (m.t === 'ready') {
          clearTimeout(timer);
          proc.off('exit', onExit);
          c.up = true;
          publish(node, { type: 'NodeStarted', incarnation });
          resolve();
        } else if (m.t === 'fatal') {
          clearTimeout(timer);
          proc.off('exit', onExit);
          proc.kill('SIGKILL');
          reject(new Error(`node ${node} failed to start: ${m.message}`));
        } else onMessage(c, m);
      });
    });
  }

  async function waitExit(c: Child, boundMs: number): Promise<boolean> {
    const exited = c.exited;
    if (c.proc === null || exited === null) return true;
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), boundMs)))]);
    clearTimeout(timer);
    return done;
  }

  async function killNode(c: Child): Promise<void> {
    const p = c.proc;
    if (p === null) return;
    p.kill('SIGKILL');
    await waitExit(c, closeGraceMs);
  }

  async function networkFault(f: Fault): Promise<void> {
    publish(controllerNodeName, { type: 'FaultInjected', fault: f });
    if (net !== null && (f.kind === 'partition' || f.kind === 'cut' || f.kind === 'heal')) return net.apply(f);
    faults = applyFault(faults, f);
    const acks = [...children.values()].filter((c) => c.up).map((c) => control(c, (id) => ({ t: 'fault', id, fault: f })).catch(() => undefined));
    await Promise.all(acks);
  }

  function serially(c: Child, fn: () => Promise<void>): Promise<void> {
    const p = c.lifecycle.then(fn);
    c.lifecycle = p.catch(() => undefined);
    return p;
  }

  let closed: Promise<void> | null = null;
  function close(): Promise<void> {
    closed ??= closeNow();
    return closed;
  }

  async function closeNow(): Promise<void> {
    closing = true;
    for (const [id, a] of asks) {
      clearTimeout(a.timer);
      asks.delete(id);
      a.reject(new ActorGoneError(a.to, 'runtime closed'));
    }
    for (const [id, k] of controls) {
      clearTimeout(k.timer);
      controls.delete(id);
      k.reject(new Error('runtime closed'));
    }
    const all = [...children.values()];
    for (const c of all) c.proc?.kill('SIGTERM');
    const graceful = await Promise.all(all.map((c) => waitExit(c, closeGraceMs)));
    for (let i = 0; i < all.length; i++) if (!graceful[i]) all[i]!.proc?.kill('SIGKILL');
    await Promise.all(all.map((c) => waitExit(c, closeGraceMs)));
    net?.close();
    bus.complete();
  }

  function sendVia<T extends Message>(via: string, to: Address, msg: T): void {
    const c = children.get(via);
    if (c === undefined || !post(c, { t: 'send', env: { to, from: null, msg } })) {
      publish(controllerNodeName, { type: 'MessageDropped', from: null, to, msgType: msg.type, reason: c === undefined ? 'unknown node' : 'node down' });
    }
  }

  function askVia<R extends Message = Message, T extends Message = Message>(via: string, to: Address, msg: T, timeoutMs: number): Promise<R> {
    if (closing) return Promise.reject(new ActorGoneError(to, 'runtime closed'));
    if (!children.has(via)) return Promise.reject(new Error(`unknown node '${via}'`));
    if (asks.size >= runtimeAsksMax) return Promise.reject(new Error(`too many pending asks (${runtimeAsksMax})`));
    const id = nextId++;
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (asks.delete(id)) reject(new AskTimeoutError(to, msg.type, timeoutMs));
      }, timeoutMs);
      asks.set(id, { resolve: resolve as (m: Message) => void, reject, timer, to, msgType: msg.type, timeoutMs });
      const c = children.get(via);
      // a down node loses the ask like a network would: it times out
      if (c !== undefined) post(c, { t: 'ask', id, to, msg, timeoutMs });
    });
  }

  try {
    await Promise.all([...children.values()].map((c) => startNode(c)));
  } catch (e) {
    await close();
    throw e;
  }

  const runtime: TcpRuntime = {
    kind: 'tcp',
    nodes: opts.nodes.map((n) => n.node),
    addresses,
    netns: net,
    events$: bus.events$ as Observable<ClusterEvent>,
    recentEvents: () => bus.recent(),
    send: (to, msg) => sendVia(nodeOf(to), to, msg),
    sendVia,
    ask: (to, msg, timeoutMs) => askVia(nodeOf(to), to, msg, timeoutMs),
    askVia,
    isUp: (node) => child(node).up,
    pid: (node) => (child(node).up ? (child(node).proc?.pid ?? null) : null),
    now: () => clock.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    close,
    async inspect() {
      const up = [...children.values()].filter((c) => c.up);
      const all = await Promise.all(
        up.map(async (c) => {
          const s = await control(c, (id) => ({ t: 'status', id })).catch(() => undefined);
          // Peer frames are counted per node process, not per actor: no per-link counters over tcp yet.
          return Object.entries(s?.inspect ?? {}).map(([a, i]) => ({ addr: address(c.spec.node, a), node: c.spec.node, incarnation: c.incarnation, ...i, sentTo: {} }));
        }),
      );
      return all.flat();
    },
    async status(node) {
      const s = await control(child(node), (id) => ({ t: 'status', id }));
      if (s === undefined) throw new Error(`node ${node} sent no status`);
      return s;
    },
    kill(node) {
      const c = child(node);
      return serially(c, async () => {
        publish(controllerNodeName, { type: 'FaultInjected', fault: { kind: 'kill', node } });
        await killNode(c);
      });
    },
    restart(node) {
      const c = child(node);
      return serially(c, async () => {
        publish(controllerNodeName, { type: 'FaultInjected', fault: { kind: 'restart', node } });
        await killNode(c);
        if (!closing) await startNode(c);
      });
    },
    partition: (groups) => networkFault({ kind: 'partition', groups: groups.map((g) => [...g]) }),
    cut: (from, to) => networkFault({ kind: 'cut', from, to }),
    heal: () => networkFault({ kind: 'heal' }),
    slow: (node, delayMs) => networkFault({ kind: 'slow', node, delayMs }),
    drop: (ratio) => networkFault({ kind: 'drop', ratio }),
    async inject(f) {
      switch (f.kind) {
        case 'kill':
          return runtime.kill(f.node);
        case 'restart':
          return runtime.restart(f.node);
        case 'partition':
        case 'cut':
        case 'heal':
        case 'slow':
        case 'drop':
        case 'duplicate':
        case 'reorder':
          return networkFault(f);
        case 'clock':
        case 'diskStall':
        case 'diskSlow': {
          if (f.kind !== 'clock' && opts.dataDir === undefined) throw new UnsupportedFaultError('tcp (without a data directory)', f);
          const c = child(f.node);
          return serially(c, async () => {
            publish(controllerNodeName, { type: 'FaultInjected', fault: f });
            c.nodeFaults = applyNodeFault(c.nodeFaults, f, clock.now());
            if (c.up) await control(c, (id) => ({ t: 'fault', id, fault: f }));
          });
        }
        case 'pause':
        case 'resume': {
          const c = child(f.node);
          return serially(c, async () => {
            publish(controllerNodeName, { type: 'FaultInjected', fault: f });
            c.proc?.kill(f.kind === 'pause' ? 'SIGSTOP' : 'SIGCONT');
          });
        }
        case 'corrupt':
          if (opts.dataDir === undefined) throw new UnsupportedFaultError('tcp (without a data directory)', f);
          publish(controllerNodeName, { type: 'FaultInjected', fault: f });
          if (!corruptLogFile(join(opts.dataDir, f.node), nextId++)) throw new Error(`corrupt ${f.node}: no log segment with two records to corrupt`);
          return;
      }
    },
  };
  return runtime;
}
