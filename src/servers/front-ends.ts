/**
 * The client-facing front ends of a node, registered in one place: `createCluster` (RESP), `conclave start`
 * (Eureka, ZooKeeper, AdminServer, on top of createCluster's RESP) and `conclave node` (all four, from zoo.cfg) start
 * them with `startFrontEnds`, in the registry's order; what differs between them is only each front end's options.
 * Their actors (the `zookeeper` and `redis` actors, told of role changes by the broadcast actor) are listed in
 * `frontEndActors`, which `memberActors` (src/cluster.ts) hands to every member's broadcast actor.
 */
import type { RegistryReply } from '../core/registry/messages.js';

/** How long a scrape waits for a node's actor to answer a gauge's question. */
const scrapeAskTimeoutMs = 1_000;
import type { Logger } from '../log.js';
import type { Gateway } from './eureka/gateway.js';
import { startEurekaServer, type EurekaServer, type EurekaServerOptions } from './eureka/server.js';
import type { ZkGateway } from './zookeeper/backend.js';
import { startZkServer, type ZkPortServer, type ZkServeOptions } from './zookeeper/serve.js';
import { keyspaceBackend, keyspaceCommandTable, type RedisGateway } from './redis/keyspace.js';
import { startRedisServer, type RedisListener, type RedisServerOptions } from './redis/listener.js';
import { nodeService } from './redis/node-service.js';
import { nodePubsub } from './redis/pubsub.js';
import { nodeAclStore } from './redis/acl.js';
import { metricsPath, startAdminServer, type AdminServer, type AdminServerOptions } from './admin/server.js';
import type { NodeMetrics } from './admin/metrics.js';
import { ephemeralsIn } from './zookeeper/serve.js';

/** The actors behind the front ends: each is told of its node's role changes (session and key expiry run on the leader). */
export const frontEndActors: readonly string[] = ['zookeeper', 'redis'];

/** The front ends, in the order a node starts them (the AdminServer last: its commands look at the others). */
export const frontEndServices = ['eureka', 'zookeeper', 'redis', 'admin', 'metrics'] as const;
export type FrontEndService = (typeof frontEndServices)[number];

/** What each front end's listener is. */
export interface FrontEndListeners {
  eureka: EurekaServer;
  zookeeper: ZkPortServer;
  redis: RedisListener;
  admin: AdminServer;
  /** The metrics page on a port of its own (zoo.cfg's metricsProvider.httpPort). */
  metrics: AdminServer;
}

/** Every front end's options for one node; a front end left out is not started. */
export interface FrontEndPlan {
  readonly eureka?: Omit<EurekaServerOptions, 'gateway' | 'registryAddress'> & { readonly host: string };
  readonly zookeeper?: ZkServeOptions & { readonly port: number; readonly host: string };
  readonly redis?: Omit<RedisServerOptions, 'table' | 'pubsub' | 'node'> & { readonly host: string; readonly port: number };
  /**
   * The node's metrics: the front ends started here report their requests and gauges to it, and the AdminServer
   * serves it as `/metrics`.
   */
  readonly metrics?: NodeMetrics;
  /** Where the front ends log connections refused or closed for a reason (default: nowhere). */
  readonly logger?: Logger;
  /** Also serve `metrics` as `/metrics` on this port (needs `metrics`). */
  readonly metricsPort?: { readonly host: string; readonly port: number };
  /** `commands` sees the front ends started before it; `optional`: a port in use is a warning, not a failure. */
  readonly admin?: Omit<AdminServerOptions, 'commands' | 'aliases' | 'metrics'> & {
    readonly optional?: boolean;
    commands(started: Partial<FrontEndListeners>): Pick<AdminServerOptions, 'commands' | 'aliases'>;
  };
}

/** A front end could not listen: which one, where, and why (the caller names its own setting for it). */
export class FrontEndListenError extends Error {
  constructor(
    readonly service: FrontEndService,
    readonly host: string,
    readonly port: number,
    readonly reason: string,
  ) {
    super(`cannot listen on ${host}:${port} (${reason})`);
    this.name = 'FrontEndListenError';
  }
}

export interface StartedFrontEnds {
  readonly listeners: Partial<FrontEndListeners>;
  /** Where each started front end is reached, in the registry's order. */
  readonly endpoints: readonly { readonly service: FrontEndService; readonly address: string }[];
  /** Optional front ends that did not start. */
  readonly warnings: readonly string[];
  /** Closes them, in the reverse order. */
  close(): Promise<void>;
}

const hostPort = (host: string, port: number): string => `${host.includes(':') ? `[${host}]` : host}:${port}`;

/** The front ends of `node` in the plan, in the registry's order; on a failure the started ones are closed again. */
export async function startFrontEnds(gateway: Gateway & ZkGateway & RedisGateway, node: string, plan: FrontEndPlan): Promise<StartedFrontEnds> {
  const listeners: Partial<FrontEndListeners> = {};
  const endpoints: { service: FrontEndService; address: string }[] = [];
  const warnings: string[] = [];
  const closers: (() => Promise<void>)[] = [];
  const logTo = (actor: string): ((line: string) => void) | undefined => {
    const l = plan.logger?.child({ node, actor });
    return l === undefined ? undefined : (line) => l.warn(line);
  };
  const close = async (): Promise<void> => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  };
  const listen = async <S extends FrontEndService>(service: S, host: string, port: number, start: () => Promise<FrontEndListeners[S]>): Promise<FrontEndListeners[S]> => {
    let l: FrontEndListeners[S];
    try {
      l = await start();
    } catch (e) {
      throw new FrontEndListenError(service, host, port, (e as NodeJS.ErrnoException).code ?? (e as Error).message);
    }
    listeners[service] = l;
    closers.push(() => l.close());
    return l;
  };
  const m = plan.metrics;
  try {
    for (const service of frontEndServices) {
      switch (service) {
        case 'eureka': {
          const o = plan.eureka;
          if (o === undefined) break;
          const s = await listen(service, o.host, o.port, () =>
            startEurekaServer({ ...o, gateway, registryAddress: `${node}/registry`, ...(m !== undefined ? { onRequest: (op, ms) => m.observe('eureka', op, ms) } : {}) }),
          );
          if (m !== undefined) {
            m.gauges.eureka = async () => {
              const r = await gateway.ask<RegistryReply>(`${node}/registry`, { type: 'EurekaStats' }, scrapeAskTimeoutMs);
              return r.type === 'EurekaStatsResult' ? r.stats : null;
            };
          }
          endpoints.push({ service, address: `http://${hostPort(o.host, s.port)}/eureka/v2/apps/` });
          break;
        }
        case 'zookeeper': {
          const o = plan.zookeeper;
          if (o === undefined) break;
          const connection = m === undefined ? o.connection : { ...o.connection, onResponse: (op: string, ms: number) => m.observe('zookeeper', op, ms) };
          const log = logTo('zookeeper-port');
          const s = await listen(service, o.host, o.port, () => startZkServer(gateway, node, o.port, { ...(log !== undefined ? { log } : {}), ...o, ...(connection !== undefined ? { connection } : {}) }));
          if (m !== undefined) {
            m.gauges.zookeeper = () => s.gauges();
            m.gauges.ephemerals = () => s.dump().then((d) => (d === null ? null : ephemeralsIn(d)));
          }
          endpoints.push({ service, address: hostPort(o.host, s.port) });
          break;
        }
        case 'redis': {
          const o = plan.redis;
          if (o === undefined) break;
          const log = logTo('redis-port');
          const redisNode = nodeService(gateway, node);
          const s = await listen(service, o.host, o.port, () => startRedisServer(keyspaceBackend(gateway, node), {
              ...(log !== undefined ? { log } : {}),
              ...o,
              table: keyspaceCommandTable(),
              pubsub: nodePubsub(gateway, node),
              aclStore: nodeAclStore(gateway, node),
              node: redisNode,
              ...(m !== undefined ? { onCommand: (name: string, ms: number) => m.observe('redis', name, ms) } : {}),
            }),);
          if (m !== undefined) {
            m.gauges.redis = () => ({ clients: s.clients.size });
            m.gauges.keyspace = async () => {
              const [st, info] = await Promise.all([redisNode.status(), redisNode.keyspaceInfo()]);
              let keys = 0;
              for (const k of info.matchAll(/:keys=(\d+)/g)) keys += Number(k[1]);
              return { keys, expiredKeys: st.expiredKeys };
            };
          }
          endpoints.push({ service, address: `redis://${hostPort(o.host, s.port)}` });
          break;
        }
        case 'admin': {
          const o = plan.admin;
          if (o === undefined) break;
          try {
            const s = await listen(service, o.host, o.port, () => startAdminServer({ ...o, ...o.commands(listeners), ...(m !== undefined ? { metrics: m } : {}) }));
            endpoints.push({ service, address: `http://${hostPort(o.host, s.port)}${o.commandUrl ?? '/commands'}` });
          } catch (e) {
            if (o.optional !== true || !(e instanceof FrontEndListenError)) throw e;
            warnings.push(`${node}: no AdminServer, ${e.message}`);
          }
          break;
        }
        case 'metrics': {
          const o = plan.metricsPort;
          if (o === undefined || m === undefined) break;
          const s = await listen(service, o.host, o.port, () => startAdminServer({ host: o.host, port: o.port, commands: {}, metrics: m }));
          endpoints.push({ service, address: `http://${hostPort(o.host, s.port)}${metricsPath}` });
          break;
        }
      }
    }
  } catch (e) {
    await close();
    throw e;
  }
  return { listeners, endpoints, warnings, close };
}
