/** Shared by the cluster-* tests: an embedded 3-node cluster with its client ports, and promisified nzk calls. */
import { createRequire } from 'node:module';
import { startEmbedded, type Started } from '../../src/start.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const require = createRequire(import.meta.url);
export const zookeeper: any = require('node-zookeeper-client');
export const stepTimeoutMs = 10_000;

export function call<T = any>(fn: (cb: (err: any, ...r: any[]) => void) => void, timeoutMs = stepTimeoutMs): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timed out')), timeoutMs);
    fn((err, ...r) => {
      clearTimeout(t);
      if (err) reject(err);
      else resolve((r.length <= 1 ? r[0] : r) as T);
    });
  });
}

export async function codeOf(p: Promise<unknown>): Promise<number | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return (e as any)?.getCode?.();
  }
}

export async function startCluster(opts: { fourLetterWords?: readonly string[] } = {}): Promise<Started> {
  return startEmbedded({ eurekaBasePort: 0, zkBasePort: 0, redisBasePort: 0, adminBasePort: 0, ...opts });
}

export function ports(s: Started): number[] {
  return [...s.zk.values()].map((z) => z.port);
}

export async function connect(connectString: string, opts: { sessionTimeout?: number } = {}): Promise<any> {
  const client = zookeeper.createClient(connectString, { sessionTimeout: opts.sessionTimeout ?? 10_000, retries: 0, spinDelay: 100 });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no connect to ${connectString}`)), stepTimeoutMs);
    client.once('connected', () => {
      clearTimeout(t);
      resolve();
    });
    client.connect();
  });
  return client;
}

export function closeClient(client: any): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, 2_000);
    client.once('disconnected', () => {
      clearTimeout(t);
      resolve();
    });
    client.close();
  });
}

/**
 * ZooKeeper's sync on the server at `port` (node-zookeeper-client 1.1.3 has no sync): a short session of our own
 * client codec sends Sync; afterwards every session's reads on that server see what was committed before.
 */
export async function rawSync(port: number, path = '/'): Promise<void> {
  const { encodeConnectRequest, encodeRequest, decodeConnectResponse, decodeReplyHeader, FrameSplitter } = await import('../../src/wire/jute/index.js');
  const { connect: tcp } = await import('node:net');
  const sock = tcp(port, '127.0.0.1');
  const split = new FrameSplitter();
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`sync on ${port} timed out`)), stepTimeoutMs);
      let connected = false;
      sock.on('error', (e) => (clearTimeout(t), reject(e)));
      sock.on('close', () => (clearTimeout(t), reject(new Error('sync: connection closed'))));
      sock.on('data', (chunk) => {
        for (const ev of split.push(chunk)) {
          if (ev.kind !== 'frame') continue;
          if (!connected) {
            const r = decodeConnectResponse(ev.payload);
            if (r.timeOut <= 0) return reject(new Error('sync: session refused'));
            connected = true;
            sock.write(encodeRequest(1, { type: 'Sync', path }));
          } else {
            const h = decodeReplyHeader(ev.payload);
            if (h.xid === 1) {
              clearTimeout(t);
              if (h.err !== 0) return reject(new Error(`sync: err ${h.err}`));
              sock.write(encodeRequest(2, { type: 'CloseSession' }));
              resolve();
            }
          }
        }
      });
      sock.write(encodeConnectRequest({ protocolVersion: 0, lastZxidSeen: 0n, timeOut: 4000, sessionId: 0n, passwd: new Uint8Array(16) }));
    });
  } finally {
    sock.removeAllListeners('close');
    sock.on('error', () => undefined);
    setTimeout(() => sock.destroy(), 200).unref();
  }
}

/**
 * A session of our own client codec on `port`, its socket bound to `localAddress` (e.g. 127.0.0.2, to be another
 * client address on loopback), for what node-zookeeper-client cannot do. `request` answers the reply's error code
 * and body.
 */
export async function rawSession(port: number, localAddress: string): Promise<{
  request(req: import('../../src/wire/jute/index.js').ZkRequest): Promise<{ err: number; response: unknown }>;
  close(): void;
}> {
  const jute = await import('../../src/wire/jute/index.js');
  const { connect: tcp } = await import('node:net');
  const sock = tcp({ port, host: '127.0.0.1', localAddress });
  sock.on('error', () => undefined);
  const split = new jute.FrameSplitter();
  const waiting = new Map<number, { opCode: number; resolve: (r: { err: number; response: unknown }) => void }>();
  let xid = 0;
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`raw session on ${port} from ${localAddress}: no connect`)), stepTimeoutMs);
    let connected = false;
    sock.on('close', () => (clearTimeout(t), reject(new Error('raw session: closed'))));
    sock.on('data', (chunk) => {
      for (const ev of split.push(chunk)) {
        if (ev.kind !== 'frame') continue;
        if (!connected) {
          connected = true;
          clearTimeout(t);
          if (jute.decodeConnectResponse(ev.payload).timeOut <= 0) return reject(new Error('raw session: refused'));
          resolve();
          continue;
        }
        const d = jute.decodeReply(ev.payload, (x) => waiting.get(x)?.opCode ?? -1);
        if (d.kind !== 'reply') continue;
        const w = waiting.get(d.header.xid);
        waiting.delete(d.header.xid);
        w?.resolve({ err: d.header.err, response: d.response });
      }
    });
    sock.write(jute.encodeConnectRequest({ protocolVersion: 0, lastZxidSeen: 0n, timeOut: 10_000, sessionId: 0n, passwd: new Uint8Array(16) }));
  });
  return {
    request(req) {
      const x = ++xid;
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`raw session: no reply to ${req.type}`)), stepTimeoutMs);
        waiting.set(x, { opCode: jute.opCodeOf(req), resolve: (r) => (clearTimeout(t), resolve(r)) });
        sock.write(jute.encodeRequest(x, req));
      });
    },
    close() {
      sock.removeAllListeners('close');
      sock.destroy();
    },
  };
}

/** A four-letter word sent on a fresh connection; the whole reply (the server closes after it). */
export async function fourLetterWord(port: number, word: string): Promise<string> {
  const { connect: tcp } = await import('node:net');
  return new Promise((resolve, reject) => {
    const sock = tcp(port, '127.0.0.1');
    const t = setTimeout(() => (sock.destroy(), reject(new Error(`${word} on ${port}: no reply`))), stepTimeoutMs);
    let out = '';
    sock.on('data', (d) => (out += d.toString('utf8')));
    sock.on('error', (e) => (clearTimeout(t), reject(e)));
    sock.on('close', () => (clearTimeout(t), resolve(out)));
    sock.write(word);
  });
}
