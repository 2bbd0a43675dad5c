/**
 * The RESP front end, independent of how it is hosted: `startRedisServer(backend, opts)` listens on a TCP port and
 * returns a listener with close(). Connections beyond `maxclients` get Redis's error and are closed.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { RedisConnection, type RedisBackend, type RedisServerContext, type RedisTransport } from './connection.js';
import { localAclStore, RedisAcl, type AclStore } from './acl.js';
import { commandTable, type CommandTable } from './commands.js';
import { RedisConfig, type RedisConfigValues } from './config.js';
import { corkedWrite, unmapped } from '../socket.js';
import type { PubsubService } from './pubsub.js';
import { ServerStats, type RedisNodeService } from './server-commands.js';
import { TrackingTable } from './tracking.js';

/** What HELLO reports as the server's version: a 7.x version, which clients check. */
export const redisServerVersion = '7.0.15';

export interface RedisServerOptions {
  readonly host?: string;
  /** 0: a free port. */
  readonly port?: number;
  /** The command table (default: the connection commands of commands.ts). */
  readonly table?: CommandTable;
  /** Initial CONFIG values (proto-max-bulk-len, client-query-buffer-limit, maxclients, requirepass, ...). */
  readonly config?: Partial<RedisConfigValues>;
  /** Where the ACL users live (default: in memory; a node's: replicated, src/servers/redis/acl.ts). */
  readonly aclStore?: AclStore;
  readonly role?: () => 'master' | 'replica';
  readonly log?: (line: string) => void;
  /** Told of every keyspace command answered: its name and latency (ms). */
  readonly onCommand?: (name: string, latencyMs: number) => void;
  /** The node's pub/sub (SUBSCRIBE and the rest answer an error without it). */
  readonly pubsub?: PubsubService;
  /** The node behind the port (INFO consensus and keyspace, WAIT, SAVE). */
  readonly node?: RedisNodeService;
}

export interface RedisListener {
  readonly port: number;
  readonly config: RedisConfig;
  readonly clients: ReadonlyMap<number, RedisConnection>;
  close(): Promise<void>;
}

const addr = (host: string | undefined, port: number | undefined): string => {
  const h = unmapped(host ?? '?');
  return `${h.includes(':') ? `[${h}]` : h}:${port ?? 0}`;
};

/**
 * A connection's transport. Writes of one turn are corked and leave together (one writev), so a pipelining
 * client's replies cost one system call per batch.
 */
export function redisSocketTransport(socket: Socket): RedisTransport {
  return {
    write: corkedWrite(socket, process.nextTick),
    // Reading goes on (and is dropped) until the client's end arrives: a paused socket would never see it.
    close: () => void socket.end().resume(),
    destroy: () => void socket.destroy(),
    pause: () => void socket.pause(),
    resume: () => void socket.resume(),
    outboundBytes: () => socket.writableLength,
    remote: addr(socket.remoteAddress, socket.remotePort),
    local: addr(socket.localAddress, socket.localPort),
  };
}

export function createRedisServer(backend: RedisBackend, opts: RedisServerOptions = {}): { server: Server; context: RedisServerContext } {
  const config = new RedisConfig(opts.config);
  const clients = new Map<number, RedisConnection>();
  const acl = new RedisAcl(opts.aclStore ?? localAclStore(), config.values.requirePass, () => clients.values());
  const context: RedisServerContext = {
    config,
    table: opts.table ?? commandTable(),
    acl,
    backend,
    clients,
    serverName: 'redis',
    version: redisServerVersion,
    role: opts.role ?? (() => 'master'),
    ...(opts.log ? { log: opts.log } : {}),
    ...(opts.onCommand ? { onCommand: opts.onCommand } : {}),
    ...(opts.pubsub ? { pubsub: opts.pubsub } : {}),
    ...(opts.node ? { node: opts.node } : {}),
    stats: new ServerStats(),
    tracking: new TrackingTable(opts.pubsub, (id) => clients.get(id)),
  };
  let nextId = 1;
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    context.stats.connectionsReceived++;
    if (context.clients.size >= config.values.maxClients) {
      context.stats.rejectedConnections++;
      socket.end('-ERR max number of clients reached\r\n').resume();
      return;
    }
    const conn = new RedisConnection(redisSocketTransport(socket), context, nextId++);
    context.clients.set(conn.id, conn);
    socket.on('data', (chunk: Buffer) => conn.onData(chunk));
    socket.on('drain', () => conn.onDrain());
    socket.on('close', () => conn.onClose());
  });
  return { server, context };
}

export async function startRedisServer(backend: RedisBackend, opts: RedisServerOptions = {}): Promise<RedisListener> {
  const { server, context } = createRedisServer(backend, opts);
  const ps = context.pubsub;
  const stopAcl = context.acl.start();
  const stopPubsub = ps?.start({
    subscriber: (id) => context.clients.get(id),
    subscribers: () => [...context.clients.values()].filter((c) => c.subs.total > 0),
    notifyFlags: () => context.config.values.notifyKeyspaceEvents,
    ready: (keys) => backend.keysReady?.(keys),
    readyLost: () => backend.keysLost?.(),
    modified: (keys) => context.tracking.modified(keys),
    trackingLost: () => context.tracking.lost(),
  });
  if (ps !== undefined) context.config.listeners.push((changed) => changed.includes('notify-keyspace-events') && ps.notifyConfig(context.config.values.notifyKeyspaceEvents));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    config: context.config,
    clients: context.clients,
    async close() {
      stopPubsub?.();
      stopAcl();
      const closed = new Promise<void>((r) => server.close(() => r()));
      for (const c of [...context.clients.values()]) c.kill();
      await closed;
    },
  };
}
