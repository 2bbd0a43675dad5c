/**
 * What the four-letter words `cons`, `dump`, `dirs`, `envi` and the AdminServer's `connections`, `dump`, `dirs`,
 * `environment` report about one client port: its connections, the node's sessions and ephemerals, the sizes of
 * its files. The text layouts live in src/wire/jute/fourletter.ts; the JSON ones (ZooKeeper's field names) here.
 */
import { readdir, stat } from 'node:fs/promises';
import { hostname, release, userInfo } from 'node:os';
import { join } from 'node:path';
import type { ConnectionInfo, DumpInfo } from '../../wire/jute/index.js';
import type { AdminCommand } from '../admin/server.js';
import type { StorageReply } from '../../protocol/storage.js';
import type { ZkReply } from '../../protocol/zookeeper.js';
import type { ZkGateway } from './backend.js';
import type { ZkConnection } from './connection.js';

/** Ephemeral paths one dump lists at most (the rest are left out). */
export const dumpPathsMax = 100_000;
/** Expiry buckets one dump lists at most. */
export const dumpBucketsMax = 10_000;
/** Directory entries `dirs` visits at most per directory tree. */
export const dirEntriesMax = 100_000;
const introspectAskTimeoutMs = 2_000;

/** A connection as `cons`/`stat` print it; `asking` is the 4lw connection itself (not reading: `[0]`). */
export function connectionInfo(c: ZkConnection, asking?: ZkConnection): ConnectionInfo {
  const reading = c !== asking && !c.isPaused && (c.phase === 'handshake' || c.phase === 'established');
  const base = { remote: c.remote, interestOps: reading ? 1 : 0, queued: c.queued, received: c.counters.received, sent: c.counters.sent };
  if (c.sessionId === 0n) return base;
  const st = c.stats;
  return {
    ...base,
    session: {
      sessionId: c.sessionId,
      lastOp: st.lastOp,
      establishedMs: st.establishedMs,
      timeoutMs: st.timeoutMs,
      lastCxid: st.lastCxid,
      lastZxid: st.lastZxid,
      lastResponseMs: st.lastResponseMs,
      lastLatencyMs: st.lastLatencyMs,
      minLatencyMs: st.minLatencyMs,
      avgLatencyMs: st.count === 0 ? 0 : Math.trunc(st.totalLatencyMs / st.count),
      maxLatencyMs: st.maxLatencyMs,
    },
  };
}

/** AdminServer `connections`: one entry per connection with a session, ZooKeeper's field names. */
export function connectionJson(c: ZkConnection): Record<string, unknown> {
  const i = connectionInfo(c);
  const s = i.session;
  return {
    remote_socket_address: c.remote.replace(/^\//, ''),
    interest_ops: i.interestOps,
    outstanding_requests: i.queued,
    packets_received: i.received,
    packets_sent: i.sent,
    ...(s === undefined
      ? {}
      : {
          // a Java long: negative for server ids ≥ 128
          session_id: Number(BigInt.asIntN(64, s.sessionId)),
          last_operation: s.lastOp,
          established: s.establishedMs,
          session_timeout: s.timeoutMs,
          last_cxid: s.lastCxid,
          last_zxid: Number(s.lastZxid),
          last_response_time: s.lastResponseMs,
          last_latency: s.lastLatencyMs,
          min_latency: s.minLatencyMs,
          avg_latency: s.avgLatencyMs,
          max_latency: s.maxLatencyMs,
        }),
  };
}

/**
 * The node's session tracker and ephemerals for `dump`: the expiry buckets when the node leads (only the leader
 * tracks expiry, as in ZooKeeper), the replicated session table otherwise. Null when the node does not answer.
 */
export async function collectDump(gateway: ZkGateway, node: string): Promise<(DumpInfo & { readonly truncated: boolean }) | null> {
  const [eph, exp] = await Promise.all([
    gateway.ask<StorageReply>(`${node}/storage`, { type: 'ListEphemerals', pathsMax: dumpPathsMax }, introspectAskTimeoutMs).catch(() => null),
    gateway.ask<ZkReply>(`${node}/zookeeper`, { type: 'ZkSessionExpiry', bucketsMax: dumpBucketsMax }, introspectAskTimeoutMs).catch(() => null),
  ]);
  if (eph?.type !== 'EphemeralsList' || exp?.type !== 'ZkSessionExpiryReply') return null;
  const ephemerals = eph.ephemerals.map(([id, paths]) => [BigInt(id), paths] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  if (exp.role === 'leading') {
    return { expiry: { buckets: exp.buckets.map(([d, ids]) => [d, ids.map((i) => BigInt(i))] as const), tracked: exp.tracked }, ephemerals, truncated: eph.truncated };
  }
  const sessions = eph.sessions.map(([id, t]) => [BigInt(id), t] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return { sessions, ephemerals, truncated: eph.truncated };
}

/** AdminServer `dump`: expiry time → session ids (leader; `{}` elsewhere, as ZooKeeper), session → ephemerals. */
export function dumpJson(d: DumpInfo): Record<string, unknown> {
  return {
    // session ids as Java's signed longs (negative for server ids ≥ 128); the keys in exact decimal
    expiry_time_to_session_ids: Object.fromEntries((d.expiry?.buckets ?? []).map(([t, ids]) => [String(t), ids.map((id) => Number(BigInt.asIntN(64, id)))])),
    session_id_to_ephemeral_paths: Object.fromEntries(d.ephemerals.map(([id, paths]) => [String(BigInt.asIntN(64, id)), paths])),
  };
}

/** Where a node keeps snapshots (`dataDir`) and its log (`logDir`): what 4lw/admin `dirs` measure. */
export interface StorageDirs {
  readonly dataDir: string;
  readonly logDir: string;
}

/** `dirs`: the bytes of a node's snapshot and log directories. */
export async function storageBytes(d: StorageDirs): Promise<{ readonly dataBytes: number; readonly logBytes: number }> {
  return { dataBytes: await dirBytes(d.dataDir), logBytes: await dirBytes(d.logDir) };
}

/** Bytes of the files under `dir` (0 if it does not exist), visiting at most `dirEntriesMax` entries. */
export async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  let visited = 0;
  const stack = [dir];
  while (stack.length > 0 && visited < dirEntriesMax) {
    const d = stack.pop()!;
    const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (++visited > dirEntriesMax) break;
      const p = join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.isFile()) total += (await stat(p).catch(() => null))?.size ?? 0;
    }
  }
  return total;
}

function userName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? '';
  }
}

/** `envi` / AdminServer `environment`, after zookeeper.version: the Java names with Node's values. */
export function environmentEntries(): [string, string][] {
  const mem = process.memoryUsage();
  const mb = (n: number) => `${Math.round(n / (1024 * 1024))}MB`;
  return [
    ['host.name', hostname()],
    ['java.version', process.version],
    ['java.vendor', 'Node.js'],
    ['java.home', process.execPath],
    ['java.class.path', process.argv[1] ?? ''],
    ['java.library.path', ''],
    ['java.io.tmpdir', process.env.TMPDIR ?? '/tmp'],
    ['java.compiler', '<NA>'],
    ['os.name', process.platform === 'linux' ? 'Linux' : process.platform],
    ['os.arch', process.arch === 'x64' ? 'amd64' : process.arch],
    ['os.version', release()],
    ['user.name', userName()],
    ['user.home', process.env.HOME ?? ''],
    ['user.dir', process.cwd()],
    ['os.memory.free', mb(mem.heapTotal - mem.heapUsed)],
    ['os.memory.max', mb(mem.rss)],
    ['os.memory.total', mb(mem.heapTotal)],
  ];
}

/** What the AdminServer commands below need of a client port (ZkPortServer has it). */
export interface ZkIntrospectable {
  readonly connections: ReadonlySet<ZkConnection>;
  dump(): Promise<DumpInfo | null>;
  dirs(): Promise<{ readonly dataBytes: number; readonly logBytes: number }>;
  environment(): [string, string][];
}

/**
 * The AdminServer commands backed by one client port, with ZooKeeper's names and aliases: connections (cons),
 * connection_stat_reset (crst), dump, dirs, environment (env, envi).
 */
export function zkAdminCommands(zk: ZkIntrospectable, version: string): { commands: Record<string, AdminCommand>; aliases: Record<string, string> } {
  return {
    commands: {
      connections: () => ({ connections: [...zk.connections].map(connectionJson), secure_connections: [] }),
      connection_stat_reset: () => {
        for (const c of zk.connections) c.resetStats();
        return {};
      },
      dump: async () => {
        const d = await zk.dump();
        if (d === null) throw new Error('This ZooKeeper instance is not currently serving requests');
        return dumpJson(d);
      },
      dirs: async () => {
        const d = await zk.dirs();
        return { datadir_size: d.dataBytes, logdir_size: d.logBytes };
      },
      environment: () => Object.fromEntries([['zookeeper.version', version], ...zk.environment()]),
    },
    aliases: { cons: 'connections', crst: 'connection_stat_reset', env: 'environment', envi: 'environment' },
  };
}
