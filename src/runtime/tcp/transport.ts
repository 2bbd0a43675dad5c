/**
 * Peer connections of one node: it listens on its own port for inbound frames and keeps one outbound
 * connection to every peer, reconnecting with exponential back-off. Envelopes for a peer are batched per turn
 * and written once; while the peer is not connected they wait in a bounded buffer. Network faults (partition,
 * one-way cut, slow, drop) are applied here, on the sending side.
 */
import net from 'node:net';
import type { Envelope } from '../../protocol/envelope.js';
import { nodeOf } from '../../protocol/envelope.js';
import type { EventPayload } from '../../protocol/events.js';
import type { Fault, LinkFaults } from '../../protocol/faults.js';
import { applyFault, linkCut, noLinkFaults } from '../../protocol/faults.js';
import { Rng, hash32 } from '../../core/rng.js';
import { ReorderLinks } from '../live-faults.js';
import {
  FrameDecoder,
  FrameError,
  asEnvelope,
  asHello,
  decodeBody,
  encodeValueFrame,
  frameBodyBytesMax,
  helloFrameBytesMax,
  protocolTag,
} from './frame.js';

/** First delay before reconnecting to a peer; doubled on every failed attempt up to `reconnectMaxMs`. */
export const reconnectInitialMs = 25;
export const reconnectMaxMs = 1_000;
/** Envelopes kept for a peer that is not connected; more are dropped (`MessageDropped`, 'peer buffer full'). */
export const peerBufferMessagesMax = 10_000;
/** Envelopes written to one peer in one write; a fuller batch is written at once. */
export const batchMessagesMax = 1_024;
/**
 * Bytes of frames gathered for one peer before they are written at once (a large frame goes out as soon as it is
 * encoded, so the peer starts receiving while the sender encodes the next); a batch this big is written frame
 * by frame (corked) rather than copied into one buffer.
 */
export const batchBytesMax = 256 * 1024;
/**
 * Bytes queued in a socket's user-space buffer before further envelopes to that peer are dropped (one envelope
 * may pass it: a large one is taken while the backlog is under the bound).
 */
export const socketBacklogBytesMax = 32 * 1024 * 1024;
/** Envelopes held back by a `slow` fault at once (all peers); more are dropped. */
export const slowedMessagesMax = 100_000;
/** TCP keep-alive probes start after this much idle time, so a peer host that vanished is noticed. */
export const keepAliveInitialDelayMs = 5_000;
/** Inbound peer connections open at once; more are closed on arrival. */
export const inboundConnectionsMax = 64;
/** An inbound connection must introduce itself within this time. */
export const helloTimeoutMs = 5_000;
/** Partial-message arrivals from one connection are told (`onPeerActive`) at most this often. */
export const peerActiveEveryMs = 10;
/** How long a connect attempt may take before it counts as failed. */
export const connectTimeoutMs = 2_000;

export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

export interface TransportOptions {
  readonly node: string;
  readonly listen: PeerAddress;
  /** Every other node of the cluster by name; an entry for this node itself is ignored. */
  readonly peers: Readonly<Record<string, PeerAddress>>;
  /** Envelopes that arrived for this node. */
  readonly deliver: (env: Envelope) => void;
  /** MessageDropped events. */
  readonly emit: (ev: EventPayload) => void;
  readonly seed: number;
  readonly faults?: LinkFaults;
  readonly frameBodyBytesMax?: number;
  /**
   * Bytes of a message still incomplete arrived from `peer` (a large message on its way): told at most every
   * `peerActiveEveryMs` per connection, so the node's liveness limits can count the peer as heard.
   */
  readonly onPeerActive?: (peer: string) => void;
  /**
   * The current inbound connection of `peer` closed while this transport is open (the peer process died, or a
   * connection was dropped for a bad frame); not told when a newer connection of the peer replaced it.
   */
  readonly onPeerGone?: (peer: string) => void;
}

export interface TransportStats {
  framesSent: number;
  framesReceived: number;
  writes: number;
  dropped: number;
  /** Inbound connections closed for bad frames, bad hellos, oversize frames or the connection bound. */
  rejectedConnections: number;
  connects: number;
}

class PeerLink {
  socket: net.Socket | null = null;
  ready = false;
  attempt = 0;
  reconnectTimer: NodeJS.Timeout | null = null;
  /** Frames waiting for a connection. */
  pending: Buffer[] = [];
  /** Frames collected this turn, and their envelopes (for MessageDropped if the connection goes first). */
  batch: Buffer[] = [];
  batchEnvs: Envelope[] = [];
  batchBytes = 0;
  flushScheduled = false;
  /** Envelopes held back by `slow`, in send order, each with the time it may go. */
  delayed: { readonly atMs: number; readonly env: Envelope }[] = [];
  delayedHead = 0;
  delayTimer: NodeJS.Timeout | null = null;
  constructor(
    readonly name: string,
    readonly addr: PeerAddress,
  ) {}
}

export class TcpTransport {
  readonly node: string;
  private faults: LinkFaults;
  private readonly links = new Map<string, PeerLink>();
  private readonly rng: Rng;
  private readonly reorder = new ReorderLinks<PeerLink, Envelope>((link, env) => this.forward(link, env));
  private readonly server: net.Server;
  private readonly inbound = new Set<net.Socket>();
  private slowedCount = 0;
  /** The inbound connection of each peer that said hello: a newer one replaces it. */
  private readonly inboundByPeer = new Map<string, net.Socket>();
  private closed = false;
  private readonly bodyBytesMax: number;
  readonly stats: TransportStats = { framesSent: 0, framesReceived: 0, writes: 0, dropped: 0, rejectedConnections: 0, connects: 0 };

  constructor(private readonly opts: TransportOptions) {
    this.node = opts.node;
    this.faults = opts.faults ?? noLinkFaults;
    this.rng = new Rng(opts.seed ^ hash32(`transport:${opts.node}`));
    this.bodyBytesMax = opts.frameBodyBytesMax ?? frameBodyBytesMax;
    for (const [name, addr] of Object.entries(opts.peers)) {
      if (name !== opts.node) this.links.set(name, new PeerLink(name, addr));
    }
    this.server = net.createServer((s) => this.onInbound(s));
  }

  /** Listen on the node's own port, then start connecting to every peer. */
  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.server.once('error', onError);
      this.server.listen(this.opts.listen.port, this.opts.listen.host, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    this.server.on('error', () => {
      // a listening server only errors on accept failures; the node keeps running
    });
    for (const link of this.links.values()) this.connect(link);
  }

  get port(): number {
    const a = this.server.address();
    return typeof a === 'object' && a !== null ? a.port : this.opts.listen.port;
  }

  get linkFaults(): LinkFaults {
    return this.faults;
  }

  applyFault(f: Fault): void {
    this.faults = applyFault(this.faults, f);
  }

  /** Names of the peers with a live outbound connection. */
  connectedPeers(): string[] {
    return [...this.links.values()].filter((l) => l.ready).map((l) => l.name);
  }

  /** An envelope this node's host does not own. */
  send(env: Envelope): void {
    if (this.closed) return;
    const dest = nodeOf(env.to);
    if (dest === this.node) {
      this.opts.deliver(env); // an actor of ours that does not exist: the host counts a dead letter
      return;
    }
    const link = this.links.get(dest);
    if (link === undefined) return this.drop(env, 'unknown node');
    if (linkCut(this.faults, this.node, dest)) return this.drop(env, 'partition');
    if (this.faults.dropRatio > 0 && this.rng.chance(this.faults.dropRatio)) return this.drop(env, 'drop');
    // once anything is slowed on this link, later envelopes queue behind it: the link stays FIFO (unless reordered)
    const copies = this.faults.duplicateRatio > 0 && this.rng.chance(this.faults.duplicateRatio) ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      // a reordered envelope is held back until the next one on its link has gone
      if (this.faults.reorderRatio > 0) this.reorder.pass(link, env, this.rng.chance(this.faults.reorderRatio));
      else this.forward(link, env);
    }
  }

  private forward(link: PeerLink, env: Envelope): void {
    if (this.closed) return;
    const slowMs = this.faults.slowMs[link.name] ?? 0;
    if (slowMs > 0 || link.delayed.length > link.delayedHead) this.delay(link, env, slowMs);
    else this.enqueue(link, env);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.reorder.clear();
    for (const link of this.links.values()) {
      if (link.reconnectTimer) clearTimeout(link.reconnectTimer);
      if (link.delayTimer) clearTimeout(link.delayTimer);
      link.delayed = [];
      link.delayedHead = 0;
      if (link.socket !== null && link.ready && link.batch.length > 0) this.flush(link);
      link.socket?.end();
      link.socket?.destroy();
      link.socket = null;
      link.ready = false;
      link.pending = [];
      link.batch = [];
      link.batchEnvs = [];
    }
    for (const s of this.inbound) s.destroy();
    this.inbound.clear();
    this.inboundByPeer.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- outbound ----

  private drop(env: Envelope, reason: string): void {
    this.stats.dropped++;
    this.opts.emit({ type: 'MessageDropped', from: env.from, to: env.to, msgType: env.msg.type, reason });
  }

  private delay(link: PeerLink, env: Envelope, slowMs: number): void {
    if (this.slowedCount >= slowedMessagesMax) return this.drop(env, 'slow queue full');
    const last = link.delayed[link.delayed.length - 1];
    const atMs = Math.max(performance.now() + slowMs, last?.atMs ?? 0);
    link.delayed.push({ atMs, env });
    this.slowedCount++;
    if (link.delayTimer === null) this.armDelay(link);
  }

  private armDelay(link: PeerLink): void {
    const head = link.delayed[link.delayedHead];
    if (head === undefined) {
      link.delayed = [];
      link.delayedHead = 0;
      link.delayTimer = null;
      return;
    }
    if (link.delayedHead > 1_024 && link.delayedHead * 2 > link.delayed.length) {
      link.delayed = link.delayed.slice(link.delayedHead);
      link.delayedHead = 0;
    }
    link.delayTimer = setTimeout(() => {
      link.delayTimer = null;
      if (this.closed) return;
      const now = performance.now();
      while (link.delayedHead < link.delayed.length && link.delayed[link.delayedHead]!.atMs <= now) {
        const { env } = link.delayed[link.delayedHead]!;
        link.delayed[link.delayedHead++] = undefined as never;
        this.slowedCount--;
        this.enqueue(link, env);
      }
      this.armDelay(link);
    }, Math.max(0, head.atMs - performance.now()));
  }

  private enqueue(link: PeerLink, env: Envelope): void {
    let frame: Buffer;
    try {
      frame = encodeValueFrame(env, this.bodyBytesMax);
    } catch (e) {
      return this.drop(env, e instanceof FrameError ? 'frame too large' : `not serializable: ${String(e)}`);
    }
    if (!link.ready || link.socket === null) {
      if (link.pending.length >= peerBufferMessagesMax) return this.drop(env, 'peer buffer full');
      link.pending.push(frame);
      return;
    }
    if (link.socket.writableLength > socketBacklogBytesMax) return this.drop(env, 'peer backlog full');
    link.batch.push(frame);
    link.batchEnvs.push(env);
    link.batchBytes += frame.length;
    if (link.batch.length >= batchMessagesMax || link.batchBytes >= batchBytesMax) this.flush(link);
    else if (!link.flushScheduled) {
      link.flushScheduled = true;
      setImmediate(() => {
        link.flushScheduled = false;
        this.flush(link);
      });
    }
  }

  private flush(link: PeerLink): void {
    if (link.batch.length === 0) return;
    const frames = link.batch;
    const envs = link.batchEnvs;
    const bytes = link.batchBytes;
    link.batch = [];
    link.batchEnvs = [];
    link.batchBytes = 0;
    if (!link.ready || link.socket === null) {
      // the connection went away in between: the frames wait for the next one, within the bound
      const room = Math.max(0, peerBufferMessagesMax - link.pending.length);
      link.pending.push(...frames.slice(0, room));
      for (const env of envs.slice(room)) this.drop(env, 'peer buffer full');
      return;
    }
    if (frames.length === 1 || bytes < batchBytesMax) link.socket.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames, bytes));
    else {
      link.socket.cork();
      for (const f of frames) link.socket.write(f);
      link.socket.uncork();
    }
    this.stats.writes++;
    this.stats.framesSent += frames.length;
  }

  private connect(link: PeerLink): void {
    if (this.closed) return;
    link.reconnectTimer = null;
    const sock = net.connect({ host: link.addr.host, port: link.addr.port });
    link.socket = sock;
    sock.setNoDelay(true);
    sock.setKeepAlive(true, keepAliveInitialDelayMs);
    sock.setTimeout(connectTimeoutMs);
    sock.on('timeout', () => {
      if (!link.ready) sock.destroy();
    });
    sock.on('connect', () => {
      if (this.closed || link.socket !== sock) return sock.destroy();
      sock.setTimeout(0);
      link.ready = true;
      link.attempt = 0;
      this.stats.connects++;
      const hello = encodeValueFrame({ hello: protocolTag, node: this.node });
      // the buffered frames go out in bounded batches, in order
      const pending = link.pending;
      link.pending = [];
      sock.write(hello);
      for (let i = 0; i < pending.length; i += batchMessagesMax) {
        const part = pending.slice(i, i + batchMessagesMax);
        sock.write(Buffer.concat(part));
        this.stats.writes++;
        this.stats.framesSent += part.length;
      }
    });
    sock.on('data', () => {
      // peers never write on our outbound connection
    });
    sock.on('error', () => {
      // 'close' follows and schedules the reconnect
    });
    sock.on('close', () => {
      if (link.socket !== sock) return;
      link.socket = null;
      link.ready = false;
      if (link.batch.length > 0) this.flush(link); // moves the batch back to pending
      if (this.closed) return;
      const delayMs = Math.min(reconnectMaxMs, reconnectInitialMs * 2 ** Math.min(link.attempt, 30));
      link.attempt++;
      link.reconnectTimer = setTimeout(() => this.connect(link), delayMs);
    });
  }

  // ---- inbound ----

  private onInbound(sock: net.Socket): void {
    if (this.closed || this.inbound.size >= inboundConnectionsMax) {
      this.stats.rejectedConnections++;
      if (!this.closed) this.opts.emit({ type: 'PeerConnectionRefused', remote: `${sock.remoteAddress}:${sock.remotePort}`, reason: `more than ${inboundConnectionsMax} inbound connections` });
      sock.destroy();
      return;
    }
    this.inbound.add(sock);
    sock.setNoDelay(true);
    sock.setKeepAlive(true, keepAliveInitialDelayMs);
    const decoder = new FrameDecoder(this.bodyBytesMax, helloFrameBytesMax);
    let peer: string | null = null;
    let activeToldMs = 0;
    const helloTimer = setTimeout(() => reject(`no hello within ${helloTimeoutMs} ms`), helloTimeoutMs);
    const remote = `${sock.remoteAddress}:${sock.remotePort}`;
    const reject = (reason: string) => {
      this.stats.rejectedConnections++;
      this.opts.emit({ type: 'PeerConnectionRefused', remote, reason });
      sock.destroy();
    };
    sock.on('data', (chunk: Buffer) => {
      let bodies: Buffer[];
      try {
        bodies = decoder.push(chunk);
      } catch (e) {
        return reject(`bad frame: ${(e as Error).message}`);
      }
      for (const b of bodies) {
        let v: unknown;
        try {
          v = decodeBody(b);
        } catch {
          return reject('undecodable frame');
        }
        if (peer === null) {
          const h = asHello(v);
          if (h === null) return reject('not a conclave peer (no hello)');
          peer = h.node;
          clearTimeout(helloTimer);
          // a peer keeps one connection to us: an older one from the same name is stale (its host may have
          // vanished without closing it)
          const older = this.inboundByPeer.get(peer);
          if (older !== undefined && older !== sock) older.destroy();
          this.inboundByPeer.set(peer, sock);
          continue;
        }
        const env = asEnvelope(v);
        if (env === null || nodeOf(env.to) !== this.node) return reject(env === null ? 'not an envelope' : `a message for ${env.to}, not this node`);
        this.stats.framesReceived++;
        this.opts.deliver(env);
        if (sock.destroyed) return;
      }
      if (peer !== null && decoder.bufferedBytes > 0 && this.opts.onPeerActive !== undefined) {
        const now = performance.now();
        if (now - activeToldMs >= peerActiveEveryMs) {
          activeToldMs = now;
          this.opts.onPeerActive(peer);
        }
      }
    });
    sock.on('error', () => {
      // 'close' follows
    });
    sock.on('close', () => {
      clearTimeout(helloTimer);
      this.inbound.delete(sock);
      if (peer !== null && this.inboundByPeer.get(peer) === sock) {
        this.inboundByPeer.delete(peer);
        if (!this.closed) this.opts.onPeerGone?.(peer);
      }
    });
  }
}
