/**
 * A real-time, in-process cluster for the Eureka tests and bench until the threads runtime lands: one kernel
 * Host per node on the real clock, envelopes between hosts delivered on the next tick unless the link is cut,
 * one Eureka HTTP server per node on 127.0.0.1.
 */
import type { Envelope, Message } from '../../src/protocol/envelope.js';
import { nodeOf } from '../../src/protocol/envelope.js';
import type { ClusterEvent, EventPayload } from '../../src/protocol/events.js';
import { Host } from '../../src/kernel/host.js';
import { realClock } from '../../src/kernel/clock.js';
import { EventBus } from '../../src/kernel/events.js';
import type { RegistryConfig } from '../../src/core/registry/types.js';
import type { ReplicationOptions } from '../../actors/registry.js';
import { kinds } from '../../actors/index.js';
import type { EurekaServer } from '../../src/servers/eureka/server.js';
import { startEurekaServer } from '../../src/servers/eureka/server.js';

export interface HarnessOptions {
  readonly nodes?: number;
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
  /** Groups of nodes that can talk; null = everyone. */
  groups: string[][] | null = null;
  private incarnation = 0;

  constructor(readonly o: HarnessOptions = {}) {
    this.names = Array.from({ length: o.nodes ?? 3 }, (_, i) => `n${i + 1}`);
  }

  get events(): readonly ClusterEvent[] {
    return this.bus.recent();
  }

  linked(a: string, b: string): boolean {
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

  private makeHost(node: string): Host {
    const h = new Host({
      node,
      clock: realClock(),
      seed: (this.o.seed ?? 7) + this.incarnation++,
      kinds,
      outbound: (env) => this.outbound(node, env),
      emit: (n: string, t: number, ev: EventPayload) => void this.bus.publish(n, t, ev),
    });
    return h;
  }

  async startNode(node: string, port = 0): Promise<void> {
    const h = this.makeHost(node);
    this.hosts.set(node, h);
    for (const a of this.o.extraActors?.(node) ?? []) h.spawn(a.name, a.kind, a.args);
    h.spawn('registry', 'registry', {
      peers: this.o.peersOf?.(node) ?? this.names.filter((n) => n !== node).map((n) => `${n}/registry`),
      config: this.o.config ?? {},
      replication: this.o.replication ?? {},
      syncAskTimeoutMs: this.o.syncAskTimeoutMs ?? 1_000,
    });
    const cfg = this.o.config ?? {};
    const srv = await startEurekaServer({
      port: port || this.ports.get(node) || 0,
      gateway: h,
      registryAddress: `${node}/registry`,
      ...(cfg.responseCacheUpdateIntervalMs !== undefined ? { responseCacheUpdateIntervalMs: cfg.responseCacheUpdateIntervalMs } : {}),
      ...(cfg.responseCacheAutoExpirationMs !== undefined ? { responseCacheAutoExpirationMs: cfg.responseCacheAutoExpirationMs } : {}),
      ...(cfg.useReadOnlyResponseCache !== undefined ? { useReadOnlyResponseCache: cfg.useReadOnlyResponseCache } : {}),
    });
    this.servers.set(node, srv);
    this.ports.set(node, srv.port);
  }

  async start(): Promise<this> {
    for (const n of this.names) await this.startNode(n);
    return this;
  }

  async kill(node: string): Promise<void> {
    this.hosts.get(node)?.crash('killed by test');
    await this.servers.get(node)?.close();
    this.servers.delete(node);
  }

  async restart(node: string): Promise<void> {
    await this.kill(node);
    await this.startNode(node, this.ports.get(node));
  }

  url(node: string, path = '/eureka/v2/apps/'): string {
    return `http://127.0.0.1:${this.ports.get(node)}${path}`;
  }

  ask<R extends Message>(node: string, msg: Message, timeoutMs = 2_000): Promise<R> {
    return this.hosts.get(node)!.ask<R>(`${node}/registry`, msg, timeoutMs);
  }

  async close(): Promise<void> {
    for (const n of this.names) await this.kill(n);
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
