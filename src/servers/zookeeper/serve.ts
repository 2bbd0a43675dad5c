/**
 * The client ports of an ensemble's nodes: one `createZkServer` per node over a {@link ZkClusterBackend}, with the
 * four-letter words answered from the node's own status and watch table (refreshed every `statusRefreshMs`, node
 * count and watch table every `detailsEveryRefreshes`-th time, since a 4lw reply is written synchronously; the
 * watch table only while wchs/wchc/wchp are whitelisted).
 */
import type { ReadResult } from '../../protocol/txn.js';
import type { AddressInfo } from 'node:net';
import { createZkServer, maxClientCnxnsDefault } from './listener.js';
import type { ZkConnection, ZkConnectionOptions } from './connection.js';
import { ZkClusterBackend, type ZkGateway } from './backend.js';
import { collectDump, connectionInfo, environmentEntries, storageBytes, type StorageDirs } from './introspect.js';
import {
  type DumpInfo,
  type FourLetterWord,
  type ServerMode,
  type ServerStatsInfo,
  confReply,
  consReply,
  crstReply,
  dirsReply,
  dumpReply,
  enviReply,
  isroReply,
  mntrReply,
  notServingReply,
  notWhitelistedReply,
  ruokReply,
  srvrReply,
  statReply,
  wchcReply,
  wchpReply,
  wchsReply,
} from '../../wire/jute/index.js';
import type { ZkReply } from '../../protocol/zookeeper.js';
import { zxidOf } from '../../protocol/zxid.js';
import { inDataTable } from '../../core/watches/index.js';

/** What `srvr`, `envi` and the AdminServer report as the version (tools such as kazoo parse the leading `3.x.y`). */
export const zkServerVersion = '3.8.0-conclave, built on 2026-11-28 00:00 UTC';
/** The node's role and zxid for srvr/stat/mntr are refreshed this often (a new leader shows within it). */
const statusRefreshMs = 100;
/** The costlier parts (node count, the watch table) every this many status refreshes. */
const detailsEveryRefreshes = 5;
/**
 * Four-letter words answered unless the whitelist says otherwise (`*` = every word). The watch words are not among
 * them: ZooKeeper answers only `srvr` unless whitelisted and warns that wchc/wchp may be expensive.
 */
export const fourLetterWordsDefault: readonly FourLetterWord[] = ['ruok', 'srvr', 'stat', 'mntr', 'conf', 'envi', 'isro'];
/** (session, path) watch entries wchc/wchp list, at most. */
export const watchesListedMax = 100_000;

export interface ZkServeOptions {
  readonly host?: string;
  readonly tickTimeMs?: number;
  readonly minSessionTimeoutMs?: number;
  readonly maxSessionTimeoutMs?: number;
  readonly connection?: ZkConnectionOptions;
  /** `4lw.commands.whitelist`: the words answered; `*` = all (default {@link fourLetterWordsDefault}); others get ZooKeeper's "not in the whitelist" line. */
  readonly fourLetterWordsWhitelist?: readonly string[];
  /** Connections per client address (0 = unlimited; default ZooKeeper's 60). */
  readonly maxClientCnxns?: number;
  /** Where a refused connection is told (default: nowhere). */
  readonly log?: (line: string) => void;
  /**
   * `user:base64(sha1(user:password))`: a session that did `addauth digest user:password` passes every ACL check
   * (ZooKeeper's `zookeeper.DigestAuthenticationProvider.superDigest`).
   */
  readonly superDigest?: string;
  /** SASL (sasl.ts): DIGEST-MD5 users of the JAAS `Server` section, and whether the `sasl` ACL scheme is valid. */
  readonly saslUsers?: ReadonlyMap<string, string>;
  readonly saslAcls?: boolean;
  /** Where a node keeps snapshots (`dataDir`) and its log (`logDir`), for `dirs`; absent: both report 0. */
  readonly storageDirsOf?: (node: string) => StorageDirs;
  /** What `/zookeeper/config` reads as (see ZkClusterBackendOptions.ensembleConfig). */
  readonly ensembleConfig?: string | (() => string);
  /** How this member serves, for srvr/stat/mntr: a one-member ensemble is `standalone`, a non-voter `observer`. */
  readonly membership?: 'voter' | 'observer' | 'standalone';
}

export interface ZkPortServer {
  readonly node: string;
  readonly port: number;
  readonly backend: ZkClusterBackend;
  readonly connections: Set<ZkConnection>;
  /** The node's sessions and ephemerals (`dump`); null if the node does not answer. */
  dump(): Promise<DumpInfo | null>;
  /** Bytes of the node's snapshot and log directories (`dirs`). */
  dirs(): Promise<{ readonly dataBytes: number; readonly logBytes: number }>;
  /** `envi` entries after zookeeper.version. */
  environment(): [string, string][];
  /** What `mntr` reports now, for the metrics page (null while the node does not serve). */
  gauges(): ZkPortGauges | null;
  close(): Promise<void>;
}

export interface ZkPortGauges {
  readonly connections: number;
  readonly outstanding: number;
  /** As srvr's Mode: leader, follower, observer, standalone. */
  readonly state: ServerMode;
  readonly lastZxid: number;
  readonly znodes: number;
  /** Path and data bytes of every znode summed (ZooKeeper's approximate_data_size). */
  readonly approximateDataSize: number;
  readonly watches: number;
  readonly sessions: number;
  readonly latency: { readonly minMs: number; readonly avgMs: number; readonly maxMs: number };
}

/** Ephemeral znodes in a `dump` (its path list is bounded by dumpPathsMax). */
export function ephemeralsIn(d: DumpInfo): number {
  let n = 0;
  for (const [, paths] of d.ephemerals) n += paths.length;
  return n;
}

type Status = Extract<ZkReply, { type: 'ZkStatusReply' }>;
type Watches = Extract<ZkReply, { type: 'ZkWatchesReply' }>;

/** wchc's and wchp's groups from a watch report: ZooKeeper lists its data-watch table only. */
function watchGroups(r: Watches): { bySession: Map<bigint, string[]>; byPath: Map<string, bigint[]> } {
  const bySession = new Map<bigint, string[]>();
  const byPath = new Map<string, bigint[]>();
  for (const w of r.watches) {
    for (const { sessionId, kinds } of w.sessions) {
      if (!inDataTable(kinds)) continue;
      const id = BigInt(sessionId);
      let paths = bySession.get(id);
      if (paths === undefined) bySession.set(id, (paths = []));
      paths.push(w.path);
      let ids = byPath.get(w.path);
      if (ids === undefined) byPath.set(w.path, (ids = []));
      ids.push(id);
    }
  }
  return { bySession, byPath };
}

/**
 * The last zxid as ZooKeeper reports it: a new leader's epoch shows at once (ZooKeeper sets its zxid to
 * epoch << 32 when it takes office), not only after the epoch's first commit.
 */
function lastZxidOf(s: Status): number {
  return s.role === 'looking' || s.epoch < 0 ? s.appliedZxid : Math.max(s.appliedZxid, zxidOf(s.epoch, 0));
}

function modeOf(s: Status | null, membership: ZkServeOptions['membership']): ServerMode | null {
  if (s === null || s.role === 'looking') return null;
  if (membership === 'standalone') return 'standalone';
  if (membership === 'observer') return 'observer';
  return s.role === 'leading' ? 'leader' : 'follower';
}

export async function startZkServer(gateway: ZkGateway, node: string, port: number, opts: ZkServeOptions): Promise<ZkPortServer> {
  const host = opts.host ?? '127.0.0.1';
  const backend = new ZkClusterBackend({
    gateway,
    node,
    ...(opts.tickTimeMs !== undefined ? { tickTimeMs: opts.tickTimeMs } : {}),
    ...(opts.minSessionTimeoutMs !== undefined ? { minSessionTimeoutMs: opts.minSessionTimeoutMs } : {}),
    ...(opts.maxSessionTimeoutMs !== undefined ? { maxSessionTimeoutMs: opts.maxSessionTimeoutMs } : {}),
    ...(opts.superDigest !== undefined ? { superDigest: opts.superDigest } : {}),
    ...(opts.saslUsers !== undefined ? { saslUsers: opts.saslUsers } : {}),
    ...(opts.saslAcls !== undefined ? { saslAcls: opts.saslAcls } : {}),
    ...(opts.ensembleConfig !== undefined ? { ensembleConfig: opts.ensembleConfig } : {}),
  });
  const maxClientCnxns = opts.maxClientCnxns ?? maxClientCnxnsDefault;
  let status: Status | null = null;
  let watches: Watches | null = null;
  let nodeCount = 0;
  let dataSize = 0;
  const listed = opts.fourLetterWordsWhitelist ?? fourLetterWordsDefault;
  const allWords = listed.includes('*');
  const whitelist = new Set(listed);
  const dirs = async () => {
    const d = opts.storageDirsOf?.(node);
    return d === undefined ? { dataBytes: 0, logBytes: 0 } : storageBytes(d);
  };
  const dump = () => collectDump(gateway, node);
  const whitelisted = (word: string) => allWords || whitelist.has(word);
  const watchWords = whitelisted('wchs') || whitelisted('wchc') || whitelisted('wchp');
  const watchEntriesMax = whitelisted('wchc') || whitelisted('wchp') ? watchesListedMax : 0;
  const startedMs = Date.now();
  /** Server-wide request latency since start (ZooKeeper's ServerStats), in ms. */
  const latency = { minMs: 0, maxMs: 0, totalMs: 0, count: 0 };
  const onResponse = (op: string, ms: number): void => {
    const whole = Math.round(ms);
    latency.minMs = latency.count === 0 ? whole : Math.min(latency.minMs, whole);
    latency.maxMs = Math.max(latency.maxMs, whole);
    latency.totalMs += whole;
    latency.count++;
    opts.connection?.onResponse?.(op, ms);
  };
  const latencyNow = () => ({ minMs: latency.minMs, avgMs: latency.count === 0 ? 0 : latency.totalMs / latency.count, maxMs: latency.maxMs });
  let refreshes = 0;
  let refreshing = false;
  const refresh = async () => {
    if (refreshing) return; // the previous one is still waiting for its answers
    refreshing = true;
    try {
      await refreshOnce();
    } finally {
      refreshing = false;
    }
  };
  const refreshOnce = async () => {
    backend.checkNode();
    status = backend.nodeUp() ? await backend.status() : null;
    if (refreshes++ % detailsEveryRefreshes !== 0) return;
    if (watchWords) {
      const w = status === null ? null : await gateway.ask<ZkReply>(`${node}/zookeeper`, { type: 'ZkWatchesQuery', entriesMax: watchEntriesMax }, 1_000).catch(() => null);
      watches = w?.type === 'ZkWatchesReply' ? w : null;
    }
    const r = await gateway
      .ask<{ type: string; result?: ReadResult }>(`${node}/storage`, { type: 'Read', request: { type: 'GetTreeSize' } }, 1_000)
      .catch(() => null);
    if (r?.result?.type === 'TreeSize') {
      nodeCount = r.result.znodes;
      dataSize = r.result.approximateDataSize;
    }
  };
  await refresh();
  const timer = setInterval(() => void refresh(), statusRefreshMs);
  timer.unref();
  let actualPort = port;
  const stats = (connections: Set<ZkConnection>): ServerStatsInfo | null => {
    const mode = modeOf(status, opts.membership);
    if (mode === null || status === null) return null;
    let received = 0;
    let sent = 0;
    for (const c of connections) {
      received += c.counters.received;
      sent += c.counters.sent;
    }
    return {
      version: zkServerVersion,
      latencyMinMs: latency.minMs,
      latencyAvgMs: latencyNow().avgMs,
      latencyMaxMs: latency.maxMs,
      packetsReceived: received,
      packetsSent: sent,
      connections: connections.size,
      outstanding: status.pending,
      lastZxid: BigInt(lastZxidOf(status)),
      mode,
      nodeCount,
    };
  };
  const { server, connections } = createZkServer(backend, {
    ...opts.connection,
    onResponse,
    maxClientCnxns,
    onRefused: (address, max) => opts.log?.(`Too many connections from /${address} - max is ${max}`),
    onFailure: (conn, reason) => opts.log?.(`Closed the connection from /${conn.remoteAddress} (session 0x${conn.sessionId.toString(16)}): ${reason}`),
    fourLetterWord: (word: FourLetterWord | 'telnetclose', asking: ZkConnection) => {
      if (word === 'telnetclose') return undefined;
      if (!whitelisted(word)) return notWhitelistedReply(word);
      const s = stats(connections);
      switch (word) {
        case 'ruok':
          return ruokReply;
        case 'isro':
          return isroReply(false);
        case 'envi':
          return enviReply(zkServerVersion, environmentEntries());
        case 'conf':
          return confReply([
            ['clientPort', actualPort],
            ['clientPortAddress', host],
            ['tickTime', backend.tickTimeMs],
            ['maxClientCnxns', maxClientCnxns],
            ['minSessionTimeout', backend.minSessionTimeoutMs],
            ['maxSessionTimeout', backend.maxSessionTimeoutMs],
            ['serverId', node],
          ]);
        case 'srvr':
          return s === null ? notServingReply : srvrReply(s);
        case 'stat':
          return s === null ? notServingReply : statReply(s, [...connections].map((c) => connectionInfo(c, asking)));
        case 'cons':
          return s === null ? notServingReply : consReply([...connections].map((c) => connectionInfo(c, asking)));
        case 'crst':
          if (s === null) return notServingReply;
          for (const c of connections) c.resetStats();
          return crstReply;
        case 'dump':
          return s === null ? notServingReply : dump().then((d) => (d === null ? notServingReply : dumpReply(d)));
        case 'dirs':
          return s === null ? notServingReply : dirs().then((d) => dirsReply(d.dataBytes, d.logBytes));
        case 'mntr': {
          if (s === null || status === null) return notServingReply;
          const st = status;
          return dump().then((d) => {
            const ephemerals = d === null ? 0 : ephemeralsIn(d);
            return mntrReply([
              ['version', zkServerVersion],
              ['avg_latency', s.latencyAvgMs],
              ['max_latency', s.latencyMaxMs],
              ['min_latency', s.latencyMinMs],
              ['packets_received', s.packetsReceived],
              ['packets_sent', s.packetsSent],
              ['num_alive_connections', s.connections],
              ['outstanding_requests', s.outstanding],
              ['server_state', s.mode],
              ['znode_count', nodeCount],
              ['watch_count', st.watches],
              ['ephemerals_count', ephemerals],
              ['approximate_data_size', dataSize],
              ['uptime', Date.now() - startedMs],
              ['global_sessions', st.sessionsTracked],
              ['last_zxid', `0x${lastZxidOf(st).toString(16)}`],
            ]);
          });
        }
        case 'wchs':
          return s === null || watches === null ? notServingReply : wchsReply(watches.sessions, watches.paths, watches.total);
        case 'wchc':
          return s === null || watches === null ? notServingReply : wchcReply(watchGroups(watches).bySession);
        case 'wchp':
          return s === null || watches === null ? notServingReply : wchpReply(watchGroups(watches).byPath);
        default:
          return undefined;
      }
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  actualPort = (server.address() as AddressInfo).port;
  return {
    node,
    port: actualPort,
    backend,
    connections,
    dump,
    dirs,
    environment: environmentEntries,
    gauges() {
      const info = stats(connections);
      if (info === null || status === null) return null;
      return {
        connections: info.connections,
        outstanding: info.outstanding,
        state: info.mode,
        lastZxid: lastZxidOf(status),
        znodes: nodeCount,
        approximateDataSize: dataSize,
        watches: status.watches,
        sessions: status.sessionsTracked,
        latency: latencyNow(),
      };
    },
    async close() {
      clearInterval(timer);
      backend.stop();
      for (const c of connections) c.close('server stopping');
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * One client port per node (`port` 0 = a free port). Unless told
 * otherwise, `/zookeeper/config` lists the nodes as ZooKeeper's `server.N=` lines with their client addresses
 * (what Curator's ensemble tracker reads); the nodes talk in-process, so the quorum and election ports are 0.
 */
/** `/zookeeper/config` of an embedded ensemble (server i + 1 = member i), with its members' client ports as they listen. */
export function embeddedEnsembleConfig(listenHost: string, members: () => readonly { readonly port: number; readonly observer?: boolean }[]): () => string {
  const host = listenHost.includes(':') ? `[${listenHost}]` : listenHost;
  return () => members().map((m, i) => `server.${i + 1}=${host}:0:0:${m.observer === true ? 'observer' : 'participant'};${host}:${m.port}\n`).join('') + 'version=0';
}

export async function startZkServers(
  gateway: ZkGateway,
  nodes: readonly { node: string; port: number; observer?: boolean }[],
  opts: ZkServeOptions = {},
): Promise<Map<string, ZkPortServer>> {
  const out = new Map<string, ZkPortServer>();
  const ensembleConfig =
    opts.ensembleConfig ?? embeddedEnsembleConfig(opts.host ?? '127.0.0.1', () => nodes.map((n) => ({ port: out.get(n.node)?.port ?? n.port, observer: n.observer === true })));
  try {
    for (const n of nodes) {
      const membership = n.observer === true ? { membership: 'observer' as const } : {};
      out.set(n.node, await startZkServer(gateway, n.node, n.port, { ...opts, ensembleConfig, ...membership }));
    }
  } catch (e) {
    for (const s of out.values()) await s.close();
    throw e;
  }
  return out;
}
