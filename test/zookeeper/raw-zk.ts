/**
 * A scripted ZooKeeper client over a real socket with our jute codec (src/wire/jute), for tests that need opcodes
 * node-zookeeper-client does not send (addWatch, checkWatches, removeWatches, setWatches2) and exact reply bytes.
 * It keeps the notifications it receives in order, and the session id, password and last zxid to resume the
 * session on another server.
 */
import { connect as tcp, type Socket } from 'node:net';
import {
  FrameSplitter,
  decodeConnectResponse,
  decodeReply,
  encodeConnectRequest,
  encodeRequest,
  opCodeOf,
  type ReplyHeader,
  type WatcherEvent,
  type ZkRequest,
  type ZkResponse,
} from '../../src/wire/jute/index.js';
import { OPEN_ACL_UNSAFE } from '../../src/protocol/txn.js';

/** Every wait of this client gives up after this. */
export const rawStepTimeoutMs = 10_000;
/**
 * A refused connect (no reply: the server is not serving, e.g. its node is electing) is tried again, as clients
 * do, this many times with this pause.
 */
const openAttemptsMax = 100;
const openRetryPauseMs = 200;
/** setWatches/setWatches2 go with this xid, as the Java client sends them. */
const setWatchesXid = -8;

export interface RawReply {
  readonly header: ReplyHeader;
  readonly response: ZkResponse | undefined;
  /** The reply frame's payload length (header + body), to check body sizes. */
  readonly payloadBytes: number;
}

export class RawZk {
  sessionId = 0n;
  passwd: Uint8Array = new Uint8Array(16);
  lastZxid = 0n;
  /** Notifications in arrival order. */
  readonly events: WatcherEvent[] = [];
  private readonly splitter = new FrameSplitter({ fourLetterWords: false });
  private readonly waiting = new Map<number, { opCode: number; resolve: (r: RawReply) => void }>();
  private connected: ((outcome: 'accepted' | 'expired' | 'refused') => void) | null = null;
  private eventWaiters: (() => void)[] = [];
  private nextXid = 1;
  closed = false;

  private constructor(private readonly sock: Socket) {
    sock.on('data', (chunk) => this.onData(chunk));
    sock.on('close', () => {
      this.closed = true;
      this.connected?.('refused');
      for (const w of this.eventWaiters) w();
    });
    sock.on('error', () => undefined);
  }

  /** Opens a session on `port` (or resumes `resume`'s session there), trying again while the server refuses. */
  static async open(port: number, resume?: { sessionId: bigint; passwd: Uint8Array; lastZxid: bigint }): Promise<RawZk> {
    for (let attempt = 1; ; attempt++) {
      const c = await RawZk.attempt(port, resume);
      if (c !== null) return c;
      if (attempt >= openAttemptsMax) throw new Error(`session refused on ${port} (${attempt} attempts)`);
      await new Promise((r) => setTimeout(r, openRetryPauseMs));
    }
  }

  private static async attempt(port: number, resume: { sessionId: bigint; passwd: Uint8Array; lastZxid: bigint } | undefined): Promise<RawZk | null> {
    const c = new RawZk(tcp(port, '127.0.0.1'));
    const outcome = await new Promise<'accepted' | 'expired' | 'refused'>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no session on ${port}`)), rawStepTimeoutMs);
      c.connected = (v) => (clearTimeout(t), resolve(v));
      c.sock.write(
        encodeConnectRequest({
          protocolVersion: 0,
          lastZxidSeen: resume?.lastZxid ?? 0n,
          timeOut: 10_000,
          sessionId: resume?.sessionId ?? 0n,
          passwd: resume?.passwd ?? new Uint8Array(16),
          readOnly: false,
        }),
      );
    });
    if (outcome !== 'accepted') c.sock.destroy();
    if (outcome === 'expired') throw new Error(`session expired on ${port}`);
    if (outcome === 'refused') return null;
    if (resume !== undefined) c.lastZxid = resume.lastZxid;
    return c;
  }

  private onData(chunk: Uint8Array): void {
    for (const ev of this.splitter.push(chunk)) {
      if (ev.kind !== 'frame') continue;
      if (this.connected !== null) {
        const r = decodeConnectResponse(ev.payload);
        this.sessionId = r.sessionId;
        this.passwd = r.passwd ?? new Uint8Array(16);
        const done = this.connected;
        this.connected = null;
        done(r.timeOut > 0 ? 'accepted' : 'expired');
        continue;
      }
      const d = decodeReply(ev.payload, (xid) => this.waiting.get(xid)?.opCode ?? -999);
      if (d.kind === 'notification') {
        this.events.push(d.event);
        const ws = this.eventWaiters;
        this.eventWaiters = [];
        for (const w of ws) w();
        continue;
      }
      if (d.header.zxid > this.lastZxid) this.lastZxid = d.header.zxid;
      const w = this.waiting.get(d.header.xid);
      this.waiting.delete(d.header.xid);
      w?.resolve({ header: d.header, response: d.response, payloadBytes: ev.payload.length });
    }
  }

  /** Sends a request and resolves with its reply (setWatches/setWatches2 go with xid -8). */
  request(req: ZkRequest): Promise<RawReply> {
    const xid = req.type === 'SetWatches' || req.type === 'SetWatches2' ? setWatchesXid : this.nextXid++;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no reply to ${req.type}`)), rawStepTimeoutMs);
      this.waiting.set(xid, {
        opCode: opCodeOf(req),
        resolve: (r) => (clearTimeout(t), resolve(r)),
      });
      this.sock.write(encodeRequest(xid, req));
    });
  }

  /** The reply's error code (0 = OK). */
  async err(req: ZkRequest): Promise<number> {
    return (await this.request(req)).header.err;
  }

  /** Sends a request that must succeed (err 0), else rejects. */
  async ok(req: ZkRequest): Promise<RawReply> {
    const r = await this.request(req);
    if (r.header.err !== 0) throw new Error(`${req.type} ${'path' in req ? req.path : ''}: err ${r.header.err}`);
    return r;
  }

  async create(path: string, data = ''): Promise<void> {
    await this.ok({ type: 'Create', path, data: Buffer.from(data), acl: OPEN_ACL_UNSAFE, flags: 0 });
  }
  async setData(path: string, data: string): Promise<void> {
    await this.ok({ type: 'SetData', path, data: Buffer.from(data), version: -1 });
  }
  async delete(path: string): Promise<void> {
    await this.ok({ type: 'Delete', path, version: -1 });
  }

  /** Resolves once `count` notifications arrived in all (rejects after the step timeout). */
  async eventsUntil(count: number): Promise<WatcherEvent[]> {
    const deadline = Date.now() + rawStepTimeoutMs;
    while (this.events.length < count) {
      if (this.closed) throw new Error(`connection closed with ${this.events.length}/${count} events`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.events.length}/${count} events: ${JSON.stringify(this.events)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.eventWaiters.push(() => (clearTimeout(t), r()));
      });
    }
    return this.events.slice(0, count);
  }

  /** Ends the session (closeSession) and the socket. */
  async close(): Promise<void> {
    if (!this.closed) await this.request({ type: 'CloseSession' }).catch(() => undefined);
    this.sock.destroy();
  }

  /** Drops the socket without closing the session (the client can resume it elsewhere). */
  drop(): void {
    this.sock.destroy();
  }
}

/** Sends a four-letter word to `port` and resolves with the whole reply (the server closes after it). */
export function fourLetterWord(port: number, word: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = tcp(port, '127.0.0.1');
    let out = '';
    const t = setTimeout(() => (sock.destroy(), reject(new Error(`${word}: no reply`))), rawStepTimeoutMs);
    sock.on('data', (d) => (out += d.toString('utf8')));
    sock.on('error', (e) => (clearTimeout(t), reject(e)));
    sock.on('close', () => (clearTimeout(t), resolve(out)));
    sock.write(word);
  });
}
