/**
 * `conclave node zoo.cfg`: one ensemble member per process from a standard ZooKeeper `zoo.cfg` and
 * `dataDir/myid`, a drop-in for `QuorumPeerMain zoo.cfg`.
 *
 * - Members are the `server.N` lines; member N is node `n<N>` (addresses `n<N>/zookeeper`, ...). Peers talk over
 *   TCP on each server's `host:quorumPort` (our one peer transport); the electionPort is accepted and reserved.
 * - Files live in `<dataDir>/conclave/` (next to `myid`; a ZooKeeper `version-2/` there is left alone); the
 *   write-ahead log goes to `<dataLogDir>/conclave/log/` when dataLogDir is set and differs from dataDir.
 * - Timing: ZAB keeps its own fast tick (`zabTickMs`, default 50 ms, conclave's own zoo.cfg key: pings, sync and
 *   init limits in those ticks, so a leader's loss is noticed in a fraction of a second). `tickTime` sets what clients may negotiate: session
 *   timeouts clamped into [minSessionTimeout, maxSessionTimeout], default [2, 20] x tickTime, as ZooKeeper.
 *   `initLimit`/`syncLimit` are parsed and reported (admin `configuration`); ZAB's limits stay in its own ticks.
 * - RESP (Redis) is served on `redisPort=` (conclave's own key) at `clientPortAddress`, answered by this member's
 *   redis actor (docs/resp.md).
 * - Eureka is served on `eurekaPort=` (conclave's own key) at `clientPortAddress` (default all interfaces),
 *   replicating with the other members' registries.
 * - The AdminServer (admin.enableServer, admin.serverAddress, admin.serverPort, admin.commandURL) answers
 *   `/commands/<name>` with the member's role, leader, configuration.
 * - The ZooKeeper client port (clientPort, clientPortAddress, maxClientCnxns, 4lw.commands.whitelist, tickTime,
 *   min/maxSessionTimeout) is served by this member's zookeeper actor; sessions move between members (their
 *   passwords are keyed on a session secret replicated through the log, src/servers/zookeeper/backend.ts).
 * - Threads: the actors (storage, election, broadcast, zookeeper, registry) and the peer transport run on a worker
 *   thread of their own (runtime/tcp/thread.ts); the front ends (client port, Eureka, admin) on the main thread, so
 *   parsing and encoding client bytes never stalls the loop that pings and acks. They talk by envelopes.
 * - SIGTERM/SIGINT: front ends closed, actors stopped (the storage actor fsyncs its log on stop), peers closed,
 *   exit 0. Starting again on the same dataDir resumes from the log and snapshots there.
 */
import { mkdirSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Subject } from 'rxjs';
import type { Observable } from 'rxjs';
import { actorKindsUrl, memberActors } from './cluster.js';
import type { MemberOptions, ZkGateway } from './cluster.js';
import type { ZooCfg, ZooMember } from './config/zoocfg.js';
import { ZooCfgError, loadZooMember, rootLoggerProperty } from './config/zoocfg.js';
import { jvmPropertiesOf } from './config/jvmprops.js';
import { loadSaslUsers, saslAclsEnabled } from './servers/zookeeper/sasl.js';
import type { Address, AnyMessage, Message } from './protocol/envelope.js';
import type { ClusterEvent, EventPayload } from './protocol/events.js';
import type { ZkReply } from './protocol/zookeeper.js';
import type { FromNode, ToNode } from './runtime/tcp/ipc.js';
import { eventBatchMax } from './runtime/tcp/ipc.js';
import type { TcpNodeThread } from './runtime/tcp/thread.js';
import { startTcpNodeThread } from './runtime/tcp/thread.js';
import type { PeerAddress } from './runtime/tcp/transport.js';
import type { AdminServer } from './servers/admin/server.js';
import type { EurekaServer } from './servers/eureka/server.js';
import type { ZkPortServer } from './servers/zookeeper/serve.js';
import { zkServerVersion } from './servers/zookeeper/serve.js';
import { NodeMetrics, metricsEventTypes } from './servers/admin/metrics.js';
import { FrontEndListenError, startFrontEnds, type FrontEndPlan, type FrontEndService } from './servers/front-ends.js';
import { environmentEntries, storageBytes, zkAdminCommands, type StorageDirs } from './servers/zookeeper/introspect.js';
import { logDir as walDir, snapDir } from './storage/storage.js';
import { DataDirError, claimDataDir } from './storage/identity.js';
import { createLogger, eventLine, logEvents, logLevelDefault, logLevelOf, loggedEventTypes, type LogLevel, type Logger } from './log.js';

/** ZAB's tick in a `conclave node` unless zoo.cfg sets `zabTickMs=` (pings; ZAB's limits are counted in these). */
export const zabTickMsDefault = 50;
/** How long a clean shutdown may take before the process exits anyway (code 1). */
export const shutdownGraceMs = 15_000;
/** How long a status question to the member's own zookeeper actor may take. */
const statusAskTimeoutMs = 2_000;
/** Resolution of the front ends' event-loop stall histogram (admin `monitor`: conclave_loop_stall_front_*). */
const loopStallResolutionMs = 10;
/** Events held for the control channel at most; older ones are dropped. */
const controlEventsBufferedMax = 100_000;

export const nodeNameOf = (serverId: number): string => `n${serverId}`;

export type ZkStatus = Extract<ZkReply, { type: 'ZkStatusReply' }>;

export interface NodeOptions {
  /** Where the member's log lines go, its notable events among them (default: none). */
  readonly logger?: Logger;
  /** The member, when the caller has read its zoo.cfg already. */
  readonly member?: ZooMember;
  /** Every event of the node, as it happens (e.g. to print them as JSON lines). */
  readonly onEvent?: (ev: ClusterEvent) => void;
  /**
   * The event types wanted from the actors' thread, for `onEvent` and `events$` (default all; each event crosses
   * the thread boundary, so a member that only logs a few asks for those).
   */
  readonly eventTypes?: readonly string[];
  readonly seed?: number;
  /** `-Dname=value` arguments given before the zoo.cfg path (Java system properties, src/config/jvmprops.ts). */
  readonly jvmArgs?: readonly string[];
}

export interface RunningNode {
  readonly member: ZooMember;
  readonly node: string;
  /** The member's actors and peer transport, on a worker thread of their own. */
  readonly thread: TcpNodeThread;
  /** ZkClient access to this member (connectZk(runningNode.gateway, runningNode.node)). */
  readonly gateway: ZkGateway;
  readonly events$: Observable<ClusterEvent>;
  readonly endpoints: readonly { readonly service: string; readonly address: string }[];
  readonly admin: AdminServer | null;
  readonly eureka: EurekaServer | null;
  /** The ZooKeeper client port (null without clientPort). */
  readonly zk: ZkPortServer | null;
  status(): Promise<ZkStatus | null>;
  close(): Promise<void>;
}

/** The peers of a member: every other server's quorum address by node name. */
export function peersOf(member: ZooMember): Record<string, PeerAddress> {
  const out: Record<string, PeerAddress> = {};
  for (const s of member.cfg.servers) if (s.id !== member.myId) out[nodeNameOf(s.id)] = { host: s.host, port: s.quorumPort };
  return out;
}

function roleName(member: ZooMember, st: ZkStatus | null): string {
  if (st === null) return 'unknown';
  if (member.standalone) return 'standalone';
  if (st.role === 'leading') return 'leader';
  if (st.role === 'following') return member.self.role === 'observer' ? 'observer' : 'follower';
  return 'looking';
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/** A member as ZooKeeper writes it in its configuration: `host:quorumPort:electionPort:role[;clientAddr:clientPort]`. */
function serverLine(s: ZooMember['cfg']['servers'][number]): string {
  const client = s.clientPort !== undefined ? `;${s.clientAddress ?? '0.0.0.0'}:${s.clientPort}` : '';
  return `${s.host}:${s.quorumPort}:${s.electionPort}:${s.role}${client}`;
}

/** What `/zookeeper/config` holds in ZooKeeper (and zkCli's `config` prints): the members, then `version=`. */
export function ensembleConfigText(member: ZooMember): string {
  return member.cfg.servers.map((s) => `server.${s.id}=${serverLine(s)}\n`).join('') + 'version=0';
}

/**
 * The ZooKeeper client port: `clientPortAddress`:`clientPort` served by this member's zookeeper actor, with
 * `maxClientCnxns` per client address, `4lw.commands.whitelist`, tickTime and the session timeout bounds of zoo.cfg.
 */
/**
 * SASL from the Java properties: the JAAS file's `Server` users (a file that cannot be read or parsed stops the
 * start) and the `sasl` ACL scheme when an `authProvider.N` (zoo.cfg's or the property) names SASLAuthenticationProvider.
 */
function saslOptionsOf(cfg: ZooMember['cfg']): { saslUsers?: ReadonlyMap<string, string>; saslAcls?: boolean } {
  const jaas = cfg.jvm?.jaasConfigPath;
  const users = jaas === undefined ? undefined : loadSaslUsers(jaas);
  const acls = saslAclsEnabled({ ...cfg.jvm?.authProviders, ...cfg.authProviders });
  return { ...(users !== undefined ? { saslUsers: users } : {}), ...(acls ? { saslAcls: true } : {}) };
}

/** The ZooKeeper client port's options from zoo.cfg. */
function clientPortOptions(member: ZooMember, dirs: StorageDirs): NonNullable<FrontEndPlan['zookeeper']> {
  const cfg = member.cfg;
  return {
    host: member.clientAddress,
    port: member.clientPort!,
    tickTimeMs: cfg.tickTimeMs,
    minSessionTimeoutMs: cfg.minSessionTimeoutMs,
    maxSessionTimeoutMs: cfg.maxSessionTimeoutMs,
    fourLetterWordsWhitelist: cfg.fourLetterWords,
    maxClientCnxns: cfg.maxClientCnxns,
    ...(cfg.jvm?.juteMaxBufferBytes !== undefined ? { connection: { maxBufferBytes: cfg.jvm.juteMaxBufferBytes } } : {}),
    ...(cfg.superDigest !== undefined ? { superDigest: cfg.superDigest } : {}),
    ...saslOptionsOf(cfg),
    storageDirsOf: () => dirs,
    ensembleConfig: ensembleConfigText(member),
    membership: member.standalone ? 'standalone' : member.self.role === 'observer' ? 'observer' : 'voter',
  };
}

function adminCommands(n: {
  member: ZooMember;
  node: string;
  thread: TcpNodeThread;
  status(): Promise<ZkStatus | null>;
  startedAtMs: number;
  eurekaPort: number | null;
  zk(): ZkPortServer | null;
  dirs: StorageDirs;
  /** Delays of the front ends' event loop (the main thread), since the member started (ns). */
  loopStalls: IntervalHistogram;
}) {
  const { member, thread } = n;
  // connections, dump, dirs, environment as ZooKeeper's AdminServer has them (empty while no client port serves)
  const zkCommands = zkAdminCommands(
    {
      get connections() {
        return n.zk()?.connections ?? new Set();
      },
      dump: () => n.zk()?.dump() ?? Promise.resolve(null),
      dirs: () => storageBytes(n.dirs),
      environment: environmentEntries,
    },
    zkServerVersion,
  );
  const cfg = member.cfg;
  const leaderOf = (st: ZkStatus | null): number | null => {
    if (st === null || st.leaderNode === null) return null;
    const id = Number(st.leaderNode.slice(1));
    return Number.isInteger(id) ? id : null;
  };
  const stats = async () => {
    const [st, th] = await Promise.all([n.status(), thread.stats()]);
    return {
      version: zkServerVersion,
      read_only: false,
      server_stats: {
        server_state: roleName(member, st),
        last_processed_zxid: st?.appliedZxid ?? -1,
        outstanding_requests: st?.pending ?? 0,
        num_alive_client_connections: n.zk()?.connections.size ?? 0,
        uptime: Date.now() - n.startedAtMs,
        data_dir_size: 0,
        log_dir_size: 0,
      },
      conclave: {
        node: n.node,
        server_id: member.myId,
        role: st?.role ?? null,
        leader_node: st?.leaderNode ?? null,
        epoch: st?.epoch ?? -1,
        applied_zxid: st === null ? null : hex(st.appliedZxid),
        watches: st?.watches ?? 0,
        sessions: st?.sessionsTracked ?? 0,
        connected_peers: th?.connectedPeers ?? null,
      },
    };
  };
  return {
    commands: {
      ...zkCommands.commands,
      ruok: () => ({}),
      is_read_only: () => ({ read_only: false }),
      stats,
      leader: async () => {
        const st = await n.status();
        const id = leaderOf(st);
        const host = id === null ? null : (cfg.servers.find((s) => s.id === id)?.host ?? null);
        return { is_leader: st?.role === 'leading', leader_id: id ?? -1, leader_ip: host ?? '' };
      },
      configuration: () => ({
        client_port: member.clientPort ?? -1,
        data_dir: join(cfg.dataDir, 'conclave'),
        data_log_dir: cfg.dataLogDir !== undefined ? join(cfg.dataLogDir, 'conclave') : join(cfg.dataDir, 'conclave'),
        tick_time: cfg.tickTimeMs,
        max_client_cnxns: cfg.maxClientCnxns,
        min_session_timeout: cfg.minSessionTimeoutMs,
        max_session_timeout: cfg.maxSessionTimeoutMs,
        server_id: member.myId,
        init_limit: cfg.initLimitTicks,
        sync_limit: cfg.syncLimitTicks,
        zab_tick_ms: cfg.zabTickMs ?? zabTickMsDefault,
        eureka_port: n.eurekaPort,
      }),
      voting_view: () => ({ current_config: Object.fromEntries(cfg.servers.map((s) => [String(s.id), serverLine(s)])) }),
      monitor: async () => {
        const [st, th] = await Promise.all([n.status(), thread.stats()]);
        const ms = (ns: number): number => Math.round(ns / 1e6);
        return {
          version: zkServerVersion,
          server_state: roleName(member, st),
          znode_count: null,
          watch_count: st?.watches ?? 0,
          global_sessions: st?.sessionsTracked ?? 0,
          outstanding_requests: st?.pending ?? 0,
          quorum_size: cfg.servers.filter((s) => s.role === 'participant').length,
          uptime: Date.now() - n.startedAtMs,
          // the longest and the 99th-percentile stall of each loop: the actors' and peers' thread, the front ends'
          conclave_loop_stall_consensus_max_ms: th === null ? null : ms(th.loopStallMaxNs),
          conclave_loop_stall_consensus_p99_ms: th === null ? null : ms(th.loopStallP99Ns),
          conclave_loop_stall_front_max_ms: ms(n.loopStalls.max),
          conclave_loop_stall_front_p99_ms: ms(n.loopStalls.percentile(99)),
        };
      },
    },
    aliases: { ...zkCommands.aliases, srvr: 'stats', stat: 'stats', server_stats: 'stats', conf: 'configuration', config: 'configuration', lead: 'leader', mntr: 'monitor', isro: 'is_read_only' },
  };
}

/** Start this member: its actors and peers, then its front ends. */
/** The actors' options from zoo.cfg. */
export function memberOptionsOf(cfg: ZooCfg): MemberOptions {
  return {
    tickMs: cfg.zabTickMs ?? zabTickMsDefault,
    sessionTimeoutMinMs: cfg.minSessionTimeoutMs,
    sessionTimeoutMaxMs: cfg.maxSessionTimeoutMs,
    // ZooKeeper purges only with autopurge.purgeInterval > 0; our storage purges at every snapshot, keeping this many
    snapshotsRetainMax: cfg.autopurge.snapRetainCount,
    ...(cfg.jvm?.extendedTypesEnabled !== undefined ? { extendedTypesEnabled: cfg.jvm.extendedTypesEnabled } : {}),
  };
}

export async function startNode(configPath: string, opts: NodeOptions = {}): Promise<RunningNode> {
  const warnings: string[] = [];
  const member = opts.member ?? loadZooMember(configPath, process.env, opts.jvmArgs ?? [], (l) => warnings.push(l));
  const cfg = member.cfg;
  const node = nodeNameOf(member.myId);
  const logger = opts.logger ?? createLogger({ level: 'silent' });
  const log = logger.child({ node, actor: 'node' });
  for (const w of warnings) log.warn(w);
  const members: Record<number, string> = {};
  for (const s of cfg.servers) members[s.id] = nodeNameOf(s.id);
  if (member.standalone) members[member.myId] = node;
  const voters = member.standalone ? [member.myId] : cfg.servers.filter((s) => s.role === 'participant').map((s) => s.id);
  const dataRoot = join(cfg.dataDir, 'conclave');
  const logRoot = cfg.dataLogDir !== undefined && resolve(cfg.dataLogDir) !== resolve(cfg.dataDir) ? join(cfg.dataLogDir, 'conclave') : undefined;
  const storageDirs: StorageDirs = { dataDir: join(dataRoot, snapDir), logDir: join(logRoot ?? dataRoot, walDir) };
  for (const d of [dataRoot, logRoot]) {
    if (d === undefined) continue;
    try {
      mkdirSync(d, { recursive: true });
    } catch (e) {
      throw new ZooCfgError(`cannot create ${d}: ${(e as Error).message}`);
    }
    try {
      claimDataDir(d, member.myId);
    } catch (e) {
      throw e instanceof DataDirError ? new ZooCfgError(e.message) : e;
    }
  }

  const events = new Subject<ClusterEvent>();
  let seq = 0;
  const onEvent = (n: string, time: number, ev: EventPayload): void => {
    const stamped = { ...ev, node: n, time, seq: seq++ } as ClusterEvent;
    opts.onEvent?.(stamped);
    events.next(stamped);
  };
  const metrics = new NodeMetrics({ node, quorumSize: voters.length, events$: events, processMetrics: true });
  const logged = logEvents(logger, events);
  const listen: PeerAddress = member.standalone ? { host: '127.0.0.1', port: 0 } : { host: member.self.host, port: member.self.quorumPort };
  let thread: TcpNodeThread;
  try {
    thread = await startTcpNodeThread({
      node,
      listen,
      peers: peersOf(member),
      kindsModule: actorKindsUrl,
      actors: memberActors(
        { node, myId: member.myId, members, voters },
        memberOptionsOf(cfg),
      ),
      dataDir: dataRoot,
      ...(logRoot !== undefined ? { logDir: logRoot } : {}),
      seed: opts.seed ?? member.myId,
      onEvent,
      ...(opts.eventTypes !== undefined ? { eventTypes: [...new Set([...opts.eventTypes, ...metricsEventTypes, ...loggedEventTypes])] } : {}),
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES') {
      throw new ZooCfgError(`server.${member.myId}: cannot listen for peers on ${listen.host}:${listen.port} (${code})`);
    }
    throw e;
  }
  const host = thread.host;
  const gateway: ZkGateway = {
    ask: <R extends Message = Message>(to: Address, msg: AnyMessage, timeoutMs: number) => host.ask<R>(to, msg, timeoutMs),
    send: (to, msg) => host.send(to, msg),
    events$: events,
    now: () => Date.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  };
  const status = async (): Promise<ZkStatus | null> => {
    const r = await host.ask<ZkReply>(`${node}/zookeeper`, { type: 'ZkStatus' }, statusAskTimeoutMs).catch(() => null);
    return r?.type === 'ZkStatusReply' ? r : null;
  };

  const closers: (() => Promise<void>)[] = [];
  const endpoints: { service: string; address: string }[] = [{ service: 'peers', address: `${listen.host}:${thread.port}` }];
  let admin: AdminServer | null = null;
  let eureka: EurekaServer | null = null;
  let zk: ZkPortServer | null = null;
  const loopStalls = monitorEventLoopDelay({ resolution: loopStallResolutionMs });
  loopStalls.enable();
  const closeAll = async (): Promise<void> => {
    loopStalls.disable();
    for (const c of closers.reverse()) await c().catch(() => undefined);
    closers.length = 0;
    await thread.close();
    events.complete();
    logged.unsubscribe();
    metrics.close();
  };
  /** The zoo.cfg setting behind each front end, for a listen error. */
  const settingOf: Readonly<Record<FrontEndService, string>> = { eureka: 'eurekaPort', zookeeper: 'clientPort', redis: 'redisPort', admin: 'admin.serverPort', metrics: 'metricsProvider.httpPort' };
  try {
    const frontHost = member.clientAddress;
    if (member.clientPort === undefined) log.warn('no clientPort configured: no ZooKeeper client port');
    const startedAtMs = Date.now();
    const fronts = await startFrontEnds(gateway, node, {
      metrics,
      logger,
      ...(cfg.metricsProvider !== undefined ? { metricsPort: cfg.metricsProvider } : {}),
      ...(cfg.eurekaPort !== undefined ? { eureka: { port: cfg.eurekaPort, host: frontHost } } : {}),
      ...(member.clientPort !== undefined ? { zookeeper: clientPortOptions(member, storageDirs) } : {}),
      ...(cfg.redisPort !== undefined ? { redis: { port: cfg.redisPort, host: frontHost } } : {}),
      ...(cfg.admin.enabled
        ? {
            admin: {
              host: cfg.admin.address,
              port: cfg.admin.port,
              commandUrl: cfg.admin.commandUrl,
              commands: (started) =>
                adminCommands({ member, node, thread, status, startedAtMs, eurekaPort: started.eureka?.port ?? null, zk: () => zk, dirs: storageDirs, loopStalls }),
            },
          }
        : {}),
    }).catch((e: unknown) => {
      throw e instanceof FrontEndListenError ? new ZooCfgError(`${settingOf[e.service]}: ${e.message}`) : e;
    });
    closers.push(() => fronts.close());
    endpoints.push(...fronts.endpoints);
    eureka = fronts.listeners.eureka ?? null;
    zk = fronts.listeners.zookeeper ?? null;
    admin = fronts.listeners.admin ?? null;
  } catch (e) {
    await closeAll();
    throw e;
  }
  let closing: Promise<void> | null = null;
  return {
    member,
    node,
    thread,
    gateway,
    events$: events,
    endpoints,
    admin,
    eureka,
    zk,
    status,
    close() {
      closing ??= closeAll();
      return closing;
    },
  };
}

export interface RunNodeFlags {
  /** Print every event as a JSON line (default: notable ones as log lines). */
  readonly events?: boolean;
  /** 'ipc': answer asks from the parent process over Node IPC (tests, supervisors); exit when it goes away. */
  readonly control?: string;
  /** `-Dname=value` arguments before the zoo.cfg path. */
  readonly jvmArgs?: readonly string[];
  /** `--log-level`: above zoo.cfg's logLevel and the zookeeper.root.logger system property. */
  readonly logLevel?: string;
}

/**
 * The member's log level: `--log-level`, else zoo.cfg's `logLevel=` (conclave's own key), else the level of
 * ZooKeeper's `-Dzookeeper.root.logger=LEVEL,APPENDER` in SERVER_JVMFLAGS/JVMFLAGS, else ZOO_LOG4J_PROP's
 * (zkEnv.sh's `LEVEL,APPENDER`), else info.
 */
export function nodeLogLevel(flag: string | undefined, cfg: ZooCfg, env: Readonly<Record<string, string | undefined>> = process.env, jvmArgs: readonly string[] = []): LogLevel {
  if (flag !== undefined) return logLevelOf(flag, '--log-level');
  if (cfg.logLevel !== undefined) return cfg.logLevel;
  const prop = jvmPropertiesOf(`${env.SERVER_JVMFLAGS ?? ''} ${env.JVMFLAGS ?? ''}`, jvmArgs).get(rootLoggerProperty);
  if (prop !== undefined) return logLevelOf(prop.split(',')[0]!, `-D${rootLoggerProperty} (SERVER_JVMFLAGS/JVMFLAGS/-D)`);
  if (env.ZOO_LOG4J_PROP !== undefined && env.ZOO_LOG4J_PROP !== '') return logLevelOf(env.ZOO_LOG4J_PROP.split(',')[0]!, 'ZOO_LOG4J_PROP');
  return logLevelDefault;
}

/** The CLI: start, print where it listens, run until SIGTERM/SIGINT, exit 0 after a clean stop. */
export async function runNode(configPath: string, flags: RunNodeFlags = {}): Promise<void> {
  const fail = (message: string, code: number): never => {
    writeSync(2, `conclave node: ${message}\n`);
    process.exit(code);
  };
  if (flags.control !== undefined && flags.control !== 'ipc') fail(`--control must be 'ipc', got '${flags.control}'`, 2);
  const controlled = flags.control === 'ipc';
  if (controlled && typeof process.send !== 'function') fail('--control ipc needs a parent process with an IPC channel', 2);

  // the control channel: events the parent wants (watch notifications), batched per turn
  let pendingEvents: [number, EventPayload][] = [];
  let flushScheduled = false;
  const toParent = (m: FromNode): void => {
    if (process.connected) process.send!(m, undefined, undefined, () => undefined);
  };
  const flush = (): void => {
    flushScheduled = false;
    while (pendingEvents.length > 0) {
      toParent({ t: 'events', list: pendingEvents.slice(0, eventBatchMax) });
      pendingEvents = pendingEvents.slice(eventBatchMax);
    }
  };

  const t0 = Date.now();
  let running: RunningNode;
  let logger: Logger;
  try {
    const warnings: string[] = [];
    const member = loadZooMember(configPath, process.env, flags.jvmArgs ?? [], (l) => warnings.push(l));
    logger = createLogger({ level: nodeLogLevel(flags.logLevel, member.cfg, process.env, flags.jvmArgs ?? []) });
    for (const w of warnings) logger.warn(w);
    const printEvent = eventLine(logger);
    running = await startNode(configPath, {
      member,
      logger,
      ...(flags.events || controlled ? {} : { eventTypes: [] }),
      onEvent: (ev) => {
        const { node: n, time, seq: _s, ...payload } = ev as ClusterEvent & Record<string, unknown>;
        if (flags.events) printEvent(n, time, payload as unknown as EventPayload);
        if (controlled) {
          if (pendingEvents.length >= controlEventsBufferedMax) pendingEvents.shift();
          pendingEvents.push([time, payload as unknown as EventPayload]);
          if (!flushScheduled) {
            flushScheduled = true;
            setImmediate(flush);
          }
        }
      },
    });
  } catch (e) {
    if (e instanceof ZooCfgError) return fail(e.message, 2);
    return fail(e instanceof Error ? e.message : String(e), 1);
  }
  const m = running.member;
  const log = logger.child({ node: running.node, actor: 'node' });
  if (m.cfg.unknownKeys.length > 0) log.warn({ keys: m.cfg.unknownKeys }, `ignoring unknown keys in ${m.cfg.path}: ${m.cfg.unknownKeys.join(', ')}`);
  if (m.cfg.ignoredKeys.length > 0) log.info({ keys: m.cfg.ignoredKeys }, `accepted without effect: ${m.cfg.ignoredKeys.join(', ')}`);
  log.info(
    { serverId: m.myId, endpoints: Object.fromEntries(running.endpoints.map((e) => [e.service, e.address])), ...(m.standalone ? {} : { electionPortReserved: `${m.self.host}:${m.self.electionPort}` }) },
    `conclave node ${running.node} (server.${m.myId}${m.standalone ? ', standalone' : `, ${m.self.role} of ${m.cfg.servers.length}`}) ` +
      `started in ${Date.now() - t0} ms, data in ${join(m.cfg.dataDir, 'conclave')}; ` +
      running.endpoints.map((e) => `${e.service} ${e.address}`).join(', '),
  );

  let stopping = false;
  const stop = async (why: string, code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info(`stopping (${why})`);
    const timer = setTimeout(() => fail(`clean stop took more than ${shutdownGraceMs} ms; exiting anyway`, 1), shutdownGraceMs);
    try {
      await running.close();
    } finally {
      clearTimeout(timer);
    }
    flush();
    log.info('stopped');
    // let the last IPC messages leave before the process goes
    setTimeout(() => process.exit(code), controlled ? 50 : 0);
  };
  // the actors' thread ending on its own (it failed) ends the member, as a crash of the process did
  void running.thread.ended.then((why) => {
    if (!stopping) fail(why, 1);
  });
  process.on('SIGTERM', () => void stop('SIGTERM', 0));
  process.on('SIGINT', () => void stop('SIGINT', 0));

  if (controlled) {
    process.on('disconnect', () => void stop('control channel closed', 0));
    process.on('message', (raw) => {
      const msg = raw as ToNode;
      if (msg.t === 'send') running.gateway.send(msg.env.to, msg.env.msg);
      else if (msg.t === 'ask') {
        running.gateway.ask(msg.to, msg.msg, msg.timeoutMs).then(
          (reply) => toParent({ t: 'reply', id: msg.id, msg: reply }),
          (e: unknown) => toParent({ t: 'replyError', id: msg.id, name: e instanceof Error ? e.name : 'Error', message: e instanceof Error ? e.message : String(e) }),
        );
      }
    });
    toParent({ t: 'ready', port: running.thread.port });
  }
}
