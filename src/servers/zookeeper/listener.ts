/** Binds TCP sockets of a client port to {@link ZkConnection}s. */
import { createServer, type Server, type Socket } from 'node:net';
import { ZkConnection, type ZkBackend, type ZkConnectionOptions, type ZkTransport } from './connection.js';

/** A dual-stack socket's IPv4-mapped address (`::ffff:1.2.3.4`) as the IPv4 one, as a Java server reports it. */
export function unmapped(addr: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr);
  return m ? m[1]! : addr;
}

export function socketTransport(socket: Socket): ZkTransport {
  return {
    write: (bytes) => {
      socket.write(bytes);
    },
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

/** Attaches a ZkConnection to a socket; returns it. */
export function attachZkConnection(socket: Socket, backend: ZkBackend, opts: ZkConnectionOptions = {}): ZkConnection {
  socket.setNoDelay(true);
  const conn = new ZkConnection(socketTransport(socket), backend, opts);
  socket.on('data', (chunk: Buffer) => conn.onData(chunk));
  socket.on('drain', () => conn.onDrain());
  socket.on('error', () => socket.destroy());
  socket.on('close', () => conn.onClose());
  return conn;
}

/** A client-port server; `connections` holds the live ones (for 4lw cons/stat). */
export function createZkServer(backend: ZkBackend, opts: ZkConnectionOptions = {}): { server: Server; connections: Set<ZkConnection> } {
  const connections = new Set<ZkConnection>();
  const server = createServer((socket) => {
    const conn = attachZkConnection(socket, backend, opts);
    connections.add(conn);
    socket.on('close', () => connections.delete(conn));
  });
  return { server, connections };
}
