/**
 * A 3-node (by default) Eureka cluster for tests and the bench, on one of two backends:
 * - 'threads': the real worker-thread runtime (src/runtime/threads): each registry actor on its own thread,
 *   the Eureka HTTP servers on the main thread talking to them through the runtime (the `conclave start` shape);
 * - 'inproc': one kernel Host per node on the real clock in this thread, envelopes between hosts delivered on
 *   the next tick unless the link is cut (fast to start; used by the single-node endpoint tests).
 * Either way, one Eureka HTTP server per node on 127.0.0.1.
 */
import type { Subscription } from 'rxjs';
import type { Envelope, Message } from '../../src/protocol/envelope.js';
import { nodeOf } from '../../src/protocol/envelope.js';
import type { ClusterEvent, EventPayload } from '../../src/protocol/events.js';
import { Host } from '../../src/kernel/host.js';
import { realClock } from '../../src/kernel/clock.js';
import { EventBus } from '../../src/kernel/events.js';
import type { RegistryConfig } from '../../src/core/registry/types.js';
import type { RegistryArgs, ReplicationOptions } from '../../actors/registry.js';
import { kinds } from '../../actors/index.js';
import type { EurekaServer } from '../../src/servers/eureka/server.js';
import { startEurekaServer } from '../../src/servers/eureka/server.js';
import type { Gateway } from '../../src/servers/eureka/gateway.js';
import type { ThreadsRuntime } from '../../src/runtime/threads/index.js';
import { createThreadsRuntime } from '../../src/runtime/threads/index.js';

/** Events kept by the harness for assertions (oldest dropped). */
export const harnessEventsMax = 50_000;

export interface HarnessOptions {
  readonly nodes?: number;
  readonly backend?: 'threads' | 'inproc';
  readonly config?: Partial<RegistryConfig>;
  readonly replication?: Partial<ReplicationOptions>;
  readonly syncAskTimeoutMs?: number;
  readonly seed?: number;
  /** Peers of a node's registry (default: the other nodes' registry actors). */
  readonly peersOf?: (node: string) => string[];
  /** More actors to spawn on each node before the registry (for example HTTP peer bridges). */
  readonly extraActors?: (node: string) => { name: string; kind: string; args?: unknown }[];
}

export class EurekaHarness {
  readonly names: string[];
  readonly hosts = new Map<string, Host>();
  readonly servers = new Map<string, EurekaServer>();
  readonly ports = new Map<string, number>();
  readonly bus = new EventBus();
  private eventLog: ClusterEvent[] = [];
  private rt: ThreadsRuntime | null = null;
  private sub: Subscription | null = null;
  /** Groups of nodes that can talk (inproc backend); null = everyone. */
  private groups: string[][] | null = null;
  private incarnation = 0;
  readonly backend: 'threads' | 'inproc';

  constructor(readonly o: HarnessOptions = {}) {
    this.names = Array.from({ length: o.nodes ?? 3 }, (_, i) => `n${i + 1}`);
    this.backend = o.backend ?? 'inproc';
  }

  get events(): readonly ClusterEvent[] {
    return this.eventLog;
  }

  private record(e: ClusterEvent): void {
    this.eventLog.push(e);
    if (this.eventLog.length >= 2 * harnessEventsMax) this.eventLog = this.eventLog.slice(-harnessEventsMax);
  }

  private registryArgs(node: string): RegistryArgs {
    return {
      peers: this.o.peersOf?.(node) ?? this.names.filter((n) => n !== node).map((n) => `${n}/registry`),
      config: this.o.config ?? {},
      replication: this.o.replication ?? {},
      syncAskTimeoutMs: this.o.syncAskTimeoutMs ?? 1_000,
    };
  }

  private linked(a: string, b: string): boolean {
    if (a === b || this.groups === null) return true;
    const g = this.groups.find((x) => x.includes(a));
    return g !== undefined && g.includes(b);
  }

  private outbound(from: string, env: Envelope): void {
    const to = nodeOf(env.to);
    setImmediate(() => {
      const h = this.hosts.get(to);
      if (h === undefined || h.isCrashed || !this.linked(from, to)) return;
      h.deliver(env);
    });
  }

  private gateway(node: string): Gateway {
    if (this.rt !== null) return this.rt;
    return this.hosts.get(node)!;
  }

  private spawnInproc(node: string): void {
    const h = new Host({
      node,
      clock: realClock(),
      seed: (this.o.seed ?? 7) + this.incarnation++,
      kinds,
      outbound: (env) => this.outbound(node, env),
      emit: (n: string, t: number, ev: EventPayload) => this.record(this.bus.publish(n, t, ev)),
    });
    this.hosts.set(node, h);
    for (const a of this.o.extraActors?.(node) ?? []) h.spawn(a.name, a.kind, a.args);
    h.spawn('registry', 'registry', this.registryArgs(node));
  }

  private async startServer(node: string, port: number): Promise<void> {
    const cfg = this.o.config ?? {};
    const srv = await startEurekaServer({
      port,
      gateway: this.gateway(node),
      registryAddress: `${node}/registry`,
      ...(cfg.responseCacheUpdateIntervalMs !== undefined ? { responseCacheUpdateIntervalMs: cfg.responseCacheUpdateIntervalMs } : {}),
      ...(cfg.responseCacheAutoExpirationMs !== undefined ? { responseCacheAutoExpirationMs: cfg.responseCacheAutoExpirationMs } : {}),
      ...(cfg.useReadOnlyResponseCache !== undefined ? { useReadOnlyResponseCache: cfg.useReadOnlyResponseCache } : {}),
    });
    this.servers.set(node, srv);
    this.ports.set(node, srv.port);
  }

  /** Inproc backend: start (or restart) one node. */
  async startNode(node: string, port = 0): Promise<void> {
    this.spawnInproc(node);
    await this.startServer(node, port || this.ports.get(node) || 0);
  }

  async start(): Promise<this> {
    if (this.backend === 'threads') {
      this.rt = await createThreadsRuntime({
        nodes: this.names.map((n) => ({ node: n, actors: [...(this.o.extraActors?.(n) ?? []), { name: 'registry', kind: 'registry', args: this.registryArgs(n) }] })),
        kindsModule: new URL('../../actors/index.js', import.meta.url).href,
        threads: this.names.length,
        seed: this.o.seed ?? 7,
      });
      this.sub = this.rt.events$.subscribe((e) => this.record(e));
      for (const n of this.names) await this.startServer(n, 0);
    } else {
      for (const n of this.names) await this.startNode(n);
    }
    return this;
  }

  async partition(groups: string[][]): Promise<void> {
    if (this.rt !== null) await this.rt.partition(groups);
    else this.groups = groups;
  }

  async heal(): Promise<void> {
    if (this.rt !== null) await this.rt.heal();
    else this.groups = null;
  }

  /** The node dies: its registry (and its HTTP server) stop. */
  async kill(node: string): Promise<void> {
    if (this.rt !== null) await this.rt.kill(node);
    else this.hosts.get(node)?.crash('killed by test');
    await this.servers.get(node)?.close();
    this.servers.delete(node);
  }

  /** The node comes back empty, on the same HTTP port, and syncs from its peers. */
  async restart(node: string): Promise<void> {
    if (this.servers.has(node)) await this.kill(node);
    if (this.rt !== null) {
      await this.rt.restart(node);
      await this.startServer(node, this.ports.get(node)!);
    } else await this.startNode(node, this.ports.get(node));
  }

  url(node: string, path = '/eureka/v2/apps/'): string {
    return `http://127.0.0.1:${this.ports.get(node)}${path}`;
  }

  ask<R extends Message>(node: string, msg: Message, timeoutMs = 2_000): Promise<R> {
    return this.gateway(node).ask<R>(`${node}/registry`, msg, timeoutMs);
  }

  async close(): Promise<void> {
    for (const n of this.names) {
      await this.servers.get(n)?.close();
      this.servers.delete(n);
      this.hosts.get(n)?.crash('closed');
    }
    if (this.rt !== null) await this.rt.close();
    this.sub?.unsubscribe();
    this.bus.complete();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Poll `cond` every `everyMs` until true or `timeoutMs` passes; returns whether it became true. */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return true;
    await sleep(everyMs);
  }
  return cond();
}
