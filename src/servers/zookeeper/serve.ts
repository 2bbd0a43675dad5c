/**
 * The client ports of an ensemble's nodes: one `createZkServer` per node over a {@link ZkClusterBackend}, with the
 * four-letter words answered from the node's own status (refreshed every `statusRefreshMs`, since a 4lw reply is
 * written synchronously).
 */
import type { AddressInfo } from 'node:net';
import { createZkServer, maxClientCnxnsDefault } from './listener.js';
import type { ZkConnection, ZkConnectionOptions } from './connection.js';
import { ZkClusterBackend, newSessionSecret, type ZkGateway } from './backend.js';
import {
  type FourLetterWord,
  type ServerMode,
  type ServerStatsInfo,
  confReply,
  enviReply,
  isroReply,
  mntrReply,
  notServingReply,
  notWhitelistedReply,
  ruokReply,
  srvrReply,
  statReply,
} from '../../wire/jute/index.js';
import type { ZkReply } from '../../protocol/zookeeper.js';

export const zkServerVersion = '3.8.4-conclave, built on 2026-11-28 00:00 UTC';
const statusRefreshMs = 500;
/** Four-letter words answered unless the whitelist says otherwise. */
export const fourLetterWordsDefault: readonly FourLetterWord[] = ['ruok', 'srvr', 'stat', 'mntr', 'conf', 'envi', 'isro'];

export interface ZkServeOptions {
  readonly host?: string;
  readonly tickTimeMs?: number;
  readonly minSessionTimeoutMs?: number;
  readonly maxSessionTimeoutMs?: number;
  readonly sessionSecret?: Uint8Array;
  readonly connection?: ZkConnectionOptions;
  /** `4lw.commands.whitelist`: the words answered; `*` = all (default {@link fourLetterWordsDefault}). */
  readonly fourLetterWordsWhitelist?: readonly string[];
  /** Connections per client address (0 = unlimited; default ZooKeeper's 60). */
  readonly maxClientCnxns?: number;
  /** Where a refused connection is told (default: nowhere). */
  readonly log?: (line: string) => void;
}

export interface ZkPortServer {
  readonly node: string;
  readonly port: number;
  readonly backend: ZkClusterBackend;
  readonly connections: Set<ZkConnection>;
  close(): Promise<void>;
}

type Status = Extract<ZkReply, { type: 'ZkStatusReply' }>;

function modeOf(s: Status | null): ServerMode | null {
  if (s === null || s.role === 'looking') return null;
  return s.role === 'leading' ? 'leader' : 'follower';
}

export async function startZkServer(gateway: ZkGateway, node: string, port: number, opts: ZkServeOptions & { sessionSecret: Uint8Array }): Promise<ZkPortServer> {
  const host = opts.host ?? '127.0.0.1';
  const backend = new ZkClusterBackend({
    gateway,
    node,
    sessionSecret: opts.sessionSecret,
    ...(opts.tickTimeMs !== undefined ? { tickTimeMs: opts.tickTimeMs } : {}),
    ...(opts.minSessionTimeoutMs !== undefined ? { minSessionTimeoutMs: opts.minSessionTimeoutMs } : {}),
    ...(opts.maxSessionTimeoutMs !== undefined ? { maxSessionTimeoutMs: opts.maxSessionTimeoutMs } : {}),
  });
  const maxClientCnxns = opts.maxClientCnxns ?? maxClientCnxnsDefault;
  let status: Status | null = null;
  let nodeCount = 0;
  const listed = opts.fourLetterWordsWhitelist ?? fourLetterWordsDefault;
  const allWords = listed.includes('*');
  const whitelist = new Set(listed);
  const startedMs = Date.now();
  const refresh = async () => {
    backend.checkNode();
    status = backend.nodeUp() ? await backend.status() : null;
    const r = await gateway
      .ask<{ type: string; result?: { type: string; count?: number } }>(`${node}/storage`, { type: 'Read', request: { type: 'GetAllChildrenNumber', path: '/' } }, 1_000)
      .catch(() => null);
    if (r?.result?.type === 'Count') nodeCount = (r.result.count ?? 0) + 1;
  };
  await refresh();
  const timer = setInterval(() => void refresh(), statusRefreshMs);
  timer.unref();
  let actualPort = port;
  const stats = (connections: Set<ZkConnection>): ServerStatsInfo | null => {
    const mode = modeOf(status);
    if (mode === null || status === null) return null;
    let received = 0;
    let sent = 0;
    for (const c of connections) {
      received += c.counters.received;
      sent += c.counters.sent;
    }
    return {
      version: zkServerVersion,
      latencyMinMs: 0,
      latencyAvgMs: 0,
      latencyMaxMs: 0,
      packetsReceived: received,
      packetsSent: sent,
      connections: connections.size,
      outstanding: status.pending,
      lastZxid: BigInt(status.appliedZxid),
      mode,
      nodeCount,
    };
  };
  const { server, connections } = createZkServer(backend, {
    ...opts.connection,
    maxClientCnxns,
    onRefused: (address, max) => opts.log?.(`Too many connections from /${address} - max is ${max}`),
    fourLetterWord: (word: FourLetterWord | 'telnetclose') => {
      if (word === 'telnetclose') return undefined;
      if (!allWords && !whitelist.has(word)) return notWhitelistedReply(word);
      const s = stats(connections);
      switch (word) {
        case 'ruok':
          return ruokReply;
        case 'isro':
          return isroReply(false);
        case 'envi':
          return enviReply(zkServerVersion, [
            ['host.name', host],
            ['java.version', process.version],
            ['os.name', process.platform],
            ['os.arch', process.arch],
            ['user.dir', process.cwd()],
          ]);
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
          return s === null ? notServingReply : statReply(s, [...connections].map((c) => ({ remote: c.remote, interestOps: 1, queued: c.queued, received: c.counters.received, sent: c.counters.sent })));
        case 'mntr': {
          if (s === null || status === null) return notServingReply;
          return mntrReply([
            ['version', zkServerVersion],
            ['avg_latency', 0],
            ['max_latency', 0],
            ['min_latency', 0],
            ['packets_received', s.packetsReceived],
            ['packets_sent', s.packetsSent],
            ['num_alive_connections', s.connections],
            ['outstanding_requests', s.outstanding],
            ['server_state', s.mode],
            ['znode_count', nodeCount],
            ['watch_count', status.watches],
            ['ephemerals_count', 0],
            ['approximate_data_size', 0],
            ['uptime', Date.now() - startedMs],
            ['global_sessions', status.sessionsTracked],
            ['last_zxid', `0x${status.appliedZxid.toString(16)}`],
          ]);
        }
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
    async close() {
      clearInterval(timer);
      backend.stop();
      for (const c of connections) c.close('server stopping');
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** One client port per node (`port` 0 = a free port). Every backend shares one session secret. */
export async function startZkServers(gateway: ZkGateway, nodes: readonly { node: string; port: number }[], opts: ZkServeOptions = {}): Promise<Map<string, ZkPortServer>> {
  const sessionSecret = opts.sessionSecret ?? newSessionSecret();
  const out = new Map<string, ZkPortServer>();
  try {
    for (const n of nodes) out.set(n.node, await startZkServer(gateway, n.node, n.port, { ...opts, sessionSecret }));
  } catch (e) {
    for (const s of out.values()) await s.close();
    throw e;
  }
  return out;
}
