/**
 * `conclave start`: the embedded cluster on worker threads (3 nodes, or `--nodes`; the last `--observers` of them
 * observe), with each node's client front ends on loopback ports (Eureka on 8761-8763, ZooKeeper on 2181-2183, an
 * RESP (Redis) on 6379-6381, an AdminServer on 8081-8083 when asked for), printing where everything listens, until
 * SIGINT/SIGTERM.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { claimDataDir } from './storage/identity.js';
import { createCluster } from './cluster.js';
import { processLogger, type Logger } from './log.js';
import { labPortDefault, startDashboard } from './lab/dashboard.js';
import { checkSuperDigest, fourLetterWordsOf } from './config/zoocfg.js';
import type { Cluster } from './cluster.js';
import { logDir, snapDir } from './storage/storage.js';
import type { AdminServer, AdminServerOptions } from './servers/admin/server.js';
import { FrontEndListenError, startFrontEnds, type FrontEndService, type StartedFrontEnds } from './servers/front-ends.js';
import { zkAdminCommands } from './servers/zookeeper/introspect.js';
import { embeddedEnsembleConfig, zkServerVersion, type ZkPortServer } from './servers/zookeeper/serve.js';

export interface StartOptions {
  readonly data?: string;
  readonly host?: string;
  readonly eurekaBasePort?: number;
  /** ZooKeeper client port of the first node, the others follow (default 2181; 0 = free ports). */
  readonly zkBasePort?: number;
  /** RESP port of the first node, the others follow (default 6379; 0 = free ports; 'off' = none). */
  readonly redisBasePort?: number | 'off';
  /** AdminServer port of the first node, the others follow (0 = free ports); absent: no AdminServer. */
  readonly adminBasePort?: number;
  /** The super user's `user:base64(sha1(user:password))` (ZooKeeper's superDigest). */
  readonly superDigest?: string;
  /** SASL DIGEST-MD5 users (as a JAAS `Server` section gives them) and the `sasl` ACL scheme (src/servers/zookeeper/sasl.ts). */
  readonly saslUsers?: ReadonlyMap<string, string>;
  readonly saslAcls?: boolean;
  /** Four-letter words answered (`*` = all; default: serve.ts's fourLetterWordsDefault). */
  readonly fourLetterWords?: readonly string[];
  /** Nodes (default 3), and how many of them (the last ones) observe: they serve and follow but never vote. */
  readonly nodes?: number;
  readonly observers?: number;
  /** Serve the failure lab's dashboard on this port too (src/lab/dashboard.ts). */
  readonly labPort?: number;
  /** Where the cluster's events and the client ports log (default: nowhere; `conclave start`: stdout). */
  readonly logger?: Logger;
}

export interface Started {
  readonly cluster: Cluster;
  readonly endpoints: readonly { readonly node: string; readonly service: string; readonly url: string }[];
  /** Each node's ZooKeeper client port. */
  readonly zk: ReadonlyMap<string, ZkPortServer>;
  /** Each node's AdminServer (when adminBasePort was given and the port was free). */
  readonly admin: ReadonlyMap<string, AdminServer>;
  /** Problems that did not stop the start (an AdminServer port in use). */
  readonly warnings: readonly string[];
  close(): Promise<void>;
}

/** The AdminServer commands of one embedded node: ruok, leader, and the client port's connections/dump/dirs/environment. */
function nodeAdminCommands(cluster: Cluster, zk: ZkPortServer, host: string): Pick<AdminServerOptions, 'commands' | 'aliases'> {
  const { commands, aliases } = zkAdminCommands(zk, zkServerVersion);
  return {
    commands: {
      ...commands,
      ruok: () => ({}),
      leader: async () => {
        const st = await zk.backend.status();
        const leaderNode = st?.leaderNode ?? null;
        return { is_leader: st?.role === 'leading', leader_id: leaderNode === null ? -1 : cluster.nodes.indexOf(leaderNode) + 1, leader_ip: leaderNode === null ? '' : host };
      },
    },
    aliases: { ...aliases, lead: 'leader' },
  };
}

/** How long `conclave start` waits for a leader, then for the other nodes to join it. */
const startLeaderWaitMs = 30_000;
const startAllServingWaitMs = 10_000;

export async function startEmbedded(opts: StartOptions = {}): Promise<Started> {
  const host = opts.host ?? '127.0.0.1';
  const nodeCount = opts.nodes ?? 3;
  const observers = opts.observers ?? 0;
  // a kept data dir must be this cluster's: each node's directory is checked (and claimed) before anything opens it
  if (opts.data !== undefined) {
    for (let i = 0; i < nodeCount; i++) {
      const dir = join(opts.data, `n${i + 1}`);
      mkdirSync(dir, { recursive: true });
      claimDataDir(dir, i + 1);
    }
  }
  const cluster = await createCluster({
    nodes: nodeCount,
    observers,
    runtime: 'threads',
    redisBasePort: opts.redisBasePort ?? 6379,
    redisHost: host,
    ...(opts.logger !== undefined ? { logger: opts.logger } : {}),
    ...(opts.data !== undefined ? { dataDir: opts.data } : {}),
  });
  const observes = (i: number): boolean => i >= nodeCount - observers;
  try {
    await cluster.waitForLeader(startLeaderWaitMs);
    // Ready means every node serves, so the first client of any port is not refused while its node syncs.
    if (!(await cluster.waitForAllServing(startAllServingWaitMs))) processLogger().warn({ actor: 'start' }, `not every node serves after ${startAllServingWaitMs} ms; starting with a quorum`);
    const eurekaBase = opts.eurekaBasePort ?? 8761;
    const zkBase = opts.zkBasePort ?? 2181;
    const dataDir = cluster.dataDir;
    const ensembleConfig = embeddedEnsembleConfig(host, () => cluster.nodes.map((node, i) => ({ port: zk.get(node)?.port ?? 0, observer: observes(i) })));
    const fronts: StartedFrontEnds[] = [];
    const zk = new Map<string, ZkPortServer>();
    const admin = new Map<string, AdminServer>();
    const warnings: string[] = [];
    const closeFronts = async (): Promise<void> => {
      for (const f of fronts.splice(0).reverse()) await f.close();
    };
    try {
      for (const [i, node] of cluster.nodes.entries()) {
        const at = (base: number): number => (base === 0 ? 0 : base + i);
        const f = await startFrontEnds(cluster.runtime, node, {
          metrics: cluster.metrics.get(node)!,
          ...(opts.logger !== undefined ? { logger: opts.logger } : {}),
          eureka: { host, port: at(eurekaBase) },
          zookeeper: {
            host,
            port: at(zkBase),
            ensembleConfig,
            ...(observes(i) ? { membership: 'observer' as const } : {}),
            ...(opts.superDigest !== undefined ? { superDigest: opts.superDigest } : {}),
            ...(opts.saslUsers !== undefined ? { saslUsers: opts.saslUsers } : {}),
            ...(opts.saslAcls !== undefined ? { saslAcls: opts.saslAcls } : {}),
            ...(opts.fourLetterWords !== undefined ? { fourLetterWordsWhitelist: opts.fourLetterWords } : {}),
            ...(dataDir !== null ? { storageDirsOf: (n: string) => ({ dataDir: join(dataDir, n, snapDir), logDir: join(dataDir, n, logDir) }) } : {}),
          },
          ...(opts.adminBasePort !== undefined
            ? { admin: { host, port: at(opts.adminBasePort), optional: true, commands: (started) => nodeAdminCommands(cluster, started.zookeeper!, host) } }
            : {}),
        });
        fronts.push(f);
        zk.set(node, f.listeners.zookeeper!);
        if (f.listeners.admin !== undefined) admin.set(node, f.listeners.admin);
        warnings.push(...f.warnings);
      }
    } catch (e) {
      await closeFronts();
      throw e;
    }
    const endpoints = cluster.nodes.flatMap((node, i) => {
      const f = fronts[i]!.endpoints;
      const url = (service: string) => f.find((e) => e.service === service)?.address;
      return [
        { node, service: 'eureka', url: url('eureka')! },
        { node, service: 'zookeeper', url: url('zookeeper')! },
        ...(cluster.redis.has(node) ? [{ node, service: 'redis', url: `redis://${host}:${cluster.redis.get(node)!.port}` }] : []),
        ...(admin.has(node) ? [{ node, service: 'admin', url: url('admin')! }] : []),
      ];
    });
    return {
      cluster,
      endpoints,
      zk,
      admin,
      warnings,
      async close() {
        await closeFronts();
        await cluster.close();
      },
    };
  } catch (e) {
    await cluster.close();
    throw e;
  }
}

/** The `conclave start` flags as StartOptions; a bad value is an Error naming the flag. */
/** `conclave start --nodes` at most (the ports of node i are the base ports + i). */
export const startNodesMax = 9;

export function parseStartFlags(o: {
  data?: string;
  host: string;
  eurekaPort: string;
  zkPort: string;
  adminPort: string;
  redisPort?: string;
  superDigest?: string;
  '4lw'?: string;
  nodes?: string;
  observers?: string;
  lab?: string | boolean;
}): StartOptions {
  const port = (v: string, flag: string): number => {
    if (!/^\d+$/.test(v) || Number(v) > 65_535) throw new Error(`${flag} must be a port number (0-65535), got '${v}'`);
    return Number(v);
  };
  const superDigest = o.superDigest === undefined ? undefined : checkSuperDigest(o.superDigest, '--super-digest');
  const words = o['4lw'] === undefined ? undefined : fourLetterWordsOf(o['4lw'], '--4lw');
  const count = (v: string | undefined, flag: string, min: number, max: number): number | undefined => {
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new Error(`${flag} must be a whole number from ${min} to ${max}, got '${v}'`);
    return Number(v);
  };
  const nodes = count(o.nodes, '--nodes', 1, startNodesMax);
  const observers = count(o.observers, '--observers', 0, (nodes ?? 3) - 1);
  return {
    ...(nodes !== undefined ? { nodes } : {}),
    ...(observers !== undefined ? { observers } : {}),
    ...(o.data !== undefined ? { data: o.data } : {}),
    host: o.host,
    eurekaBasePort: port(o.eurekaPort, '--eureka-port'),
    zkBasePort: port(o.zkPort, '--zk-port'),
    ...(o.adminPort !== 'off' ? { adminBasePort: port(o.adminPort, '--admin-port') } : {}),
    ...(o.redisPort !== undefined ? { redisBasePort: o.redisPort === 'off' ? ('off' as const) : port(o.redisPort, '--redis-port') } : {}),
    ...(superDigest !== undefined ? { superDigest } : {}),
    ...(words !== undefined ? { fourLetterWords: words } : {}),
    ...(o.lab !== undefined && o.lab !== false ? { labPort: o.lab === true ? labPortDefault : port(o.lab, '--lab') } : {}),
  };
}

/** The flag behind each front end's port, for a listen error. */
const portFlagOf: Readonly<Record<FrontEndService, string>> = { eureka: '--eureka-port', zookeeper: '--zk-port', redis: '--redis-port', admin: '--admin-port', metrics: '--admin-port' };

/** A start-up failure as one line a person can act on (the flag to change, or the error's own message). */
export function startFailure(e: unknown): string {
  if (e instanceof FrontEndListenError) return `${e.message}; choose another port with ${portFlagOf[e.service]} (or 0 for free ports)`;
  return e instanceof Error ? e.message : String(e);
}

export async function runStart(opts: StartOptions): Promise<void> {
  const t0 = Date.now();
  const log = processLogger().child({ actor: 'start' });
  const s = await startEmbedded({ ...opts, logger: processLogger() });
  const st = await s.cluster.status();
  log.info({ nodes: s.cluster.nodes.length, readyMs: Date.now() - t0 }, `conclave: ${s.cluster.nodes.length} nodes on worker threads, ready in ${Date.now() - t0} ms`);
  const observerFrom = s.cluster.nodes.length - (opts.observers ?? 0);
  for (const [i, node] of s.cluster.nodes.entries()) {
    const role = st[node]?.role ?? 'starting';
    const endpoints = s.endpoints.filter((x) => x.node === node);
    log.info(
      { node, role: role === 'following' && i >= observerFrom ? 'observing' : role, endpoints: Object.fromEntries(endpoints.map((e) => [e.service, e.url])) },
      endpoints.map((e) => `${e.service} ${e.url}`).join('  '),
    );
  }
  for (const w of s.warnings) log.warn(w);
  const connect = [...s.zk.values()].map((z) => `${opts.host ?? '127.0.0.1'}:${z.port}`).join(',');
  log.info({ connect }, `ZooKeeper connect string: ${connect}`);
  if (opts.superDigest !== undefined) log.info(`ZooKeeper super user: ${opts.superDigest.slice(0, opts.superDigest.indexOf(':'))} (addauth digest <user>:<password>)`);
  const dash = opts.labPort !== undefined ? await startDashboard(s.cluster, { port: opts.labPort, ...(opts.host !== undefined ? { host: opts.host } : {}) }) : null;
  if (dash !== null) log.info({ url: dash.server.url }, `failure lab dashboard: ${dash.server.url}`);
  log.info('Ctrl-C stops the cluster.');
  const why = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  log.info(`conclave: stopping (${why}): closing client ports, then each node's actors and files; Ctrl-C again forces`);
  const force = (): void => {
    log.warn('conclave: forced stop; the logs keep what was fsynced (acknowledged writes are)');
    process.exit(130);
  };
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  const timer = setTimeout(() => {
    log.error(`conclave: clean stop took more than ${startStopGraceMs} ms; exiting anyway`);
    process.exit(1);
  }, startStopGraceMs);
  const t1 = Date.now();
  await dash?.close();
  await s.close();
  clearTimeout(timer);
  log.info({ stopMs: Date.now() - t1 }, `conclave: stopped in ${Date.now() - t1} ms (${s.cluster.nodes.length} node${s.cluster.nodes.length === 1 ? '' : 's'} closed${opts.data !== undefined ? `, data kept in ${opts.data}` : ''})`);
}

/** How long `conclave start` may take to stop cleanly before it exits anyway (code 1). */
export const startStopGraceMs = 10_000;
