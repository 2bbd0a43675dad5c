/** Binds TCP sockets of a client port to {@link ZkConnection}s. */
import { createServer, type Server, type Socket } from 'node:net';
import { corkedWrite, unmapped } from '../socket.js';
import { ZkConnection, type ZkBackend, type ZkConnectionOptions, type ZkTransport } from './connection.js';


/**
 * A connection's transport. Writes of one event-loop turn are corked and leave together (one writev) when the
 * turn ends: a pipelining client's replies cost one system call per turn rather than one each.
 */
export function socketTransport(socket: Socket): ZkTransport {
  return {
    write: corkedWrite(socket, setImmediate),
    close: () => {
      socket.end();
    },
    pause: () => {
      socket.pause();
    },
    resume: () => {
      socket.resume();
    },
    outboundBytes: () => socket.writableLength,
    remote: `/${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`,
    remoteAddress: unmapped(socket.remoteAddress ?? ''),
  };
}

/**
 * A connection must have sent its whole ConnectRequest (or a four-letter word) within this, else it is closed
 * (ZooKeeper's `zookeeper.nio.sessionlessCnxnTimeout`, 10 s): a half-sent first frame holds at most jute.maxbuffer
 * for this long.
 */
export const sessionlessConnectionTimeoutMs = 10_000;

/** Attaches a ZkConnection to a socket; returns it. */
export function attachZkConnection(socket: Socket, backend: ZkBackend, opts: ZkConnectionOptions = {}): ZkConnection {
  socket.setNoDelay(true);
  const conn = new ZkConnection(socketTransport(socket), backend, opts);
  const sessionless = setTimeout(() => {
    if (conn.phase === 'handshake') socket.destroy();
  }, sessionlessConnectionTimeoutMs);
  socket.once('close', () => clearTimeout(sessionless));
  socket.on('data', (chunk: Buffer) => conn.onData(chunk));
  socket.on('drain', () => conn.onDrain());
  socket.on('error', () => socket.destroy());
  socket.on('close', () => conn.onClose());
  return conn;
}

export interface ZkServerOptions extends ZkConnectionOptions {
  /** zoo.cfg maxClientCnxns: concurrent connections per client address; 0 = unlimited. */
  readonly maxClientCnxns?: number;
  /** Told of every connection refused for exceeding maxClientCnxns. */
  readonly onRefused?: (remoteAddress: string, max: number) => void;
}

/** ZooKeeper's default maxClientCnxns. */
export const maxClientCnxnsDefault = 60;

/**
 * A client-port server; `connections` holds the live ones (for 4lw cons/stat). A connection beyond
 * `maxClientCnxns` from one address is closed at once, before any byte is read (as ZooKeeper does).
 */
export function createZkServer(backend: ZkBackend, opts: ZkServerOptions = {}): { server: Server; connections: Set<ZkConnection> } {
  const connections = new Set<ZkConnection>();
  const perAddress = new Map<string, number>();
  const max = opts.maxClientCnxns ?? maxClientCnxnsDefault;
  const server = createServer((socket) => {
    const address = socket.remoteAddress ?? '?';
    const count = perAddress.get(address) ?? 0;
    if (max > 0 && count >= max) {
      opts.onRefused?.(address, max);
      socket.destroy();
      return;
    }
    perAddress.set(address, count + 1);
    const conn = attachZkConnection(socket, backend, opts);
    connections.add(conn);
    socket.on('close', () => {
      connections.delete(conn);
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left <= 0) perAddress.delete(address);
      else perAddress.set(address, left);
    });
  });
  return { server, connections };
}
