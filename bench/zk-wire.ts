/**
 * A minimal pipelined ZooKeeper client session over TCP, on our own jute codec (src/wire/jute), for the load
 * generator of `conclave bench zk`. It speaks to conclave and to Apache ZooKeeper alike:
 *
 * - ConnectRequest/ConnectResponse, then request frames `xid, opCode, body` and replies `xid, zxid, err, body`;
 *   replies arrive in request order (ZooKeeper's guarantee), so in-flight requests are a FIFO.
 * - Requests are encoded once per kind into a template frame; each send copies it and patches the xid. Frames
 *   queued during one turn of the event loop go out in one socket write (a real client's outgoing queue).
 * - A ping when nothing was sent for a third of the session timeout; the connection is dropped when nothing was
 *   received for two thirds of it (ZooKeeper's client read timeout).
 * - On connection loss every in-flight request fails with CONNECTIONLOSS and the session reconnects to the next
 *   server with the same session id and password (as ZooKeeper clients do), until it is connected again, the
 *   server says the session expired, or the bounds run out.
 *
 * Also: {@link fourLetterWord} (e.g. `srvr`), {@link modeOfSrvr}, {@link epochOfSrvr}.
 */
import net from 'node:net';
import {
  Err,
  FrameSplitter,
  JuteReader,
  OpCode,
  Xid,
  decodeConnectResponse,
  encodeConnectRequest,
  encodeRequest,
  readReplyHeader,
  readResponseBody,
  sessionPasswdBytes,
  type ZkRequest,
  type ZkResponse,
} from '../src/wire/jute/index.js';

export interface ServerAddress {
  readonly host: string;
  readonly port: number;
}

/** Session timeout the generator asks for (ZooKeeper clamps it into [2, 20] x tickTime). */
export const sessionTimeoutRequestMs = 10_000;
/** Requests in flight on one connection at most (the generator's window stays far below). */
export const inFlightMax = 4_096;
/** Reconnect attempts after one connection loss at most, and the pause between attempts. */
export const reconnectAttemptsMax = 5_000;
export const reconnectPauseMs = 10;
/** Ping check period, at most (a third of the negotiated timeout is the ping interval). */
const pingCheckPeriodMaxMs = 250;
const fourLetterTimeoutMs = 1_000;
/** Bytes of a four-letter word reply kept at most. */
const fourLetterReplyBytesMax = 64 * 1024;

/** A request encoded once; sends patch the xid at bytes 4..7. */
export interface RequestTemplate {
  readonly opCode: number;
  readonly frame: Uint8Array;
}

export function requestTemplate(req: ZkRequest): RequestTemplate {
  const frame = encodeRequest(0, req);
  const opCode = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getInt32(8);
  return { opCode, frame: frame.slice() };
}

/** Called once per request: err (0 = OK), the reply's zxid, and the decoded body when err is 0. */
export type ReplyCallback = (err: number, zxid: bigint, response: ZkResponse | undefined) => void;

interface InFlight {
  readonly xid: number;
  readonly opCode: number;
  readonly cb: ReplyCallback;
}

type State = 'idle' | 'connecting' | 'connected' | 'closed' | 'expired';

const wallNowMs = (): number => performance.timeOrigin + performance.now();

export class ZkWireSession {
  sessionId = 0n;
  passwd: Uint8Array = new Uint8Array(sessionPasswdBytes);
  negotiatedTimeoutMs = 0;
  lastZxidSeen = 0n;
  /** Reconnections after a loss (the first connect not counted). */
  reconnects = 0;
  /** The server the session is on (index into `servers`). */
  serverIndex: number;
  private state: State = 'idle';
  private sock: net.Socket | null = null;
  private splitter = new FrameSplitter({ fourLetterWords: false });
  private readonly inFlight: InFlight[] = [];
  private inFlightHead = 0;
  private outQueue: { t: RequestTemplate; xid: number }[] = [];
  private flushScheduled = false;
  private nextXid = 1;
  private lastSentMs = 0;
  private lastReceivedMs = 0;
  private timer: NodeJS.Timeout | null = null;
  private connectedWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private readonly pingTemplate: RequestTemplate = { opCode: OpCode.ping, frame: encodeRequest(Xid.ping, { type: 'Ping' }).slice() };

  constructor(
    readonly servers: readonly ServerAddress[],
    firstServer: number,
    private readonly timeoutRequestMs = sessionTimeoutRequestMs,
  ) {
    this.serverIndex = firstServer % servers.length;
  }

  get connected(): boolean {
    return this.state === 'connected';
  }
  get expired(): boolean {
    return this.state === 'expired';
  }
  get outstanding(): number {
    return this.inFlight.length - this.inFlightHead;
  }

  /** Connect (a new session) to the first server; tries the others in turn within the reconnect bounds. */
  async open(): Promise<void> {
    if (this.state !== 'idle') throw new Error(`open: session is ${this.state}`);
    this.state = 'connecting';
    this.timer = setInterval(() => this.checkTimers(), pingCheckPeriodMaxMs);
    this.timer.unref();
    void this.connectLoop(false);
    await this.whenConnected();
  }

  /** Resolves when connected (at once if it is); rejects when the session expired or was closed. */
  whenConnected(): Promise<void> {
    if (this.state === 'connected') return Promise.resolve();
    if (this.state === 'expired' || this.state === 'closed') return Promise.reject(new Error(`session ${this.state}`));
    return new Promise((resolve, reject) => this.connectedWaiters.push({ resolve, reject }));
  }

  /** Queue a request; `cb` runs once with the reply, or CONNECTIONLOSS / SESSIONEXPIRED. */
  submit(t: RequestTemplate, cb: ReplyCallback): void {
    if (this.state !== 'connected' || this.outstanding >= inFlightMax) {
      const err = this.state === 'expired' ? Err.SESSIONEXPIRED : Err.CONNECTIONLOSS;
      queueMicrotask(() => cb(err, -1n, undefined));
      return;
    }
    const xid = this.nextXid;
    this.nextXid = this.nextXid >= 0x7fff_fff0 ? 1 : this.nextXid + 1;
    this.inFlight.push({ xid, opCode: t.opCode, cb });
    this.outQueue.push({ t, xid });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(() => this.flush());
    }
  }

  /** One request as a promise: resolves with err/zxid/response (it never rejects). */
  call(t: RequestTemplate): Promise<{ err: number; zxid: bigint; response: ZkResponse | undefined }> {
    return new Promise((resolve) => this.submit(t, (err, zxid, response) => resolve({ err, zxid, response })));
  }

  /** CloseSession (answered within `waitMs` or not), then the socket is gone and the session closed. */
  async close(waitMs = 1_000): Promise<void> {
    if (this.state === 'connected') {
      await Promise.race([this.call({ opCode: OpCode.closeSession, frame: encodeRequest(0, { type: 'CloseSession' }).slice() }), sleep(waitMs)]);
    }
    this.shutdown('closed');
  }

  /** Stop without CloseSession: the server keeps the session until it expires (a crashed client). */
  abandon(): void {
    this.shutdown('closed');
  }

  private shutdown(state: 'closed' | 'expired'): void {
    this.state = state;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.dropSocket();
    this.failInFlight(state === 'expired' ? Err.SESSIONEXPIRED : Err.CONNECTIONLOSS);
    const ws = this.connectedWaiters;
    this.connectedWaiters = [];
    for (const w of ws) w.reject(new Error(`session ${state}`));
  }

  private flush(): void {
    this.flushScheduled = false;
    const q = this.outQueue;
    this.outQueue = [];
    if (q.length === 0 || this.sock === null || this.state !== 'connected') return;
    let total = 0;
    for (const e of q) total += e.t.frame.length;
    const buf = Buffer.allocUnsafe(total);
    let at = 0;
    for (const e of q) {
      buf.set(e.t.frame, at);
      buf.writeInt32BE(e.xid, at + 4);
      at += e.t.frame.length;
    }
    this.lastSentMs = performance.now();
    this.sock.write(buf);
  }

  private checkTimers(): void {
    if (this.state !== 'connected' || this.negotiatedTimeoutMs <= 0) return;
    const now = performance.now();
    if (now - this.lastReceivedMs > (this.negotiatedTimeoutMs * 2) / 3) {
      this.connectionLost();
      return;
    }
    if (now - this.lastSentMs > this.negotiatedTimeoutMs / 3 && this.sock !== null) {
      // Pings carry their own xid (-2); their replies are not in the FIFO.
      this.lastSentMs = now;
      this.sock.write(this.pingTemplate.frame);
    }
  }

  private failInFlight(err: number): void {
    const list = this.inFlight.splice(0);
    const from = this.inFlightHead;
    this.inFlightHead = 0;
    for (let i = from; i < list.length; i++) list[i]!.cb(err, -1n, undefined);
  }

  private dropSocket(): void {
    const s = this.sock;
    this.sock = null;
    this.outQueue = [];
    if (s !== null) {
      s.removeAllListeners();
      s.on('error', () => undefined);
      s.destroy();
    }
  }

  private connectionLost(): void {
    if (this.state !== 'connected') return;
    this.state = 'connecting';
    this.dropSocket();
    this.failInFlight(Err.CONNECTIONLOSS);
    this.reconnects++;
    this.serverIndex = (this.serverIndex + 1) % this.servers.length;
    void this.connectLoop(true);
  }

  /** Try servers in turn from `serverIndex` until one accepts the session (bounded in attempts and time). */
  private async connectLoop(isReconnect: boolean): Promise<void> {
    const t0 = performance.now();
    // A session outlives its connection for its timeout; after that the server has expired it anyway.
    const windowMs = Math.max(this.negotiatedTimeoutMs, this.timeoutRequestMs) * 2;
    for (let attempt = 0; attempt < reconnectAttemptsMax && performance.now() - t0 < windowMs; attempt++) {
      if (this.state !== 'connecting') return;
      const addr = this.servers[this.serverIndex]!;
      const perAttemptMs = Math.max(200, Math.floor(this.timeoutRequestMs / this.servers.length));
      const outcome = await this.attempt(addr, perAttemptMs);
      if (this.state !== 'connecting') {
        return;
      }
      if (outcome === 'connected') {
        this.state = 'connected';
        const ws = this.connectedWaiters;
        this.connectedWaiters = [];
        for (const w of ws) w.resolve();
        return;
      }
      if (outcome === 'expired') {
        this.shutdown('expired');
        return;
      }
      this.serverIndex = (this.serverIndex + 1) % this.servers.length;
      if (attempt % this.servers.length === this.servers.length - 1 || isReconnect) await sleep(reconnectPauseMs);
    }
    this.shutdown('closed');
  }

  private attempt(addr: ServerAddress, timeoutMs: number): Promise<'connected' | 'failed' | 'expired'> {
    return new Promise((resolve) => {
      const sock = net.connect({ host: addr.host, port: addr.port, noDelay: true });
      const splitter = new FrameSplitter({ fourLetterWords: false });
      let settled = false;
      const done = (r: 'connected' | 'failed' | 'expired') => {
        if (settled) return;
        settled = true;
        clearTimeout(t);
        if (r !== 'connected') {
          sock.removeAllListeners();
          sock.on('error', () => undefined);
          sock.destroy();
        }
        resolve(r);
      };
      const t = setTimeout(() => done('failed'), timeoutMs);
      sock.on('error', () => done('failed'));
      sock.on('close', () => done('failed'));
      sock.on('connect', () => {
        sock.write(
          encodeConnectRequest({
            protocolVersion: 0,
            lastZxidSeen: this.lastZxidSeen,
            timeOut: this.timeoutRequestMs,
            sessionId: this.sessionId,
            passwd: this.passwd,
            readOnly: false,
          }),
        );
      });
      sock.on('data', (chunk: Buffer) => {
        for (const ev of splitter.push(chunk)) {
          if (ev.kind !== 'frame') return done('failed');
          let r;
          try {
            r = decodeConnectResponse(ev.payload);
          } catch {
            return done('failed');
          }
          if (r.timeOut <= 0) return done(this.sessionId === 0n ? 'failed' : 'expired');
          if (this.sessionId === 0n) {
            this.sessionId = r.sessionId;
            if (r.passwd) this.passwd = r.passwd;
          }
          this.negotiatedTimeoutMs = r.timeOut;
          if (settled) return;
          settled = true;
          clearTimeout(t);
          sock.removeAllListeners();
          this.adopt(sock, splitter);
          resolve('connected');
          return;
        }
      });
    });
  }

  private adopt(sock: net.Socket, splitter: FrameSplitter): void {
    this.sock = sock;
    this.splitter = splitter;
    this.nextXid = 1;
    const now = performance.now();
    this.lastReceivedMs = now;
    this.lastSentMs = now;
    sock.on('data', (chunk: Buffer) => this.onData(chunk));
    sock.on('error', () => this.connectionLost());
    sock.on('close', () => this.connectionLost());
  }

  private onData(chunk: Buffer): void {
    this.lastReceivedMs = performance.now();
    let events = this.splitter.push(chunk);
    while (events.length > 0) {
      for (const ev of events) {
        if (ev.kind !== 'frame') return this.connectionLost();
        if (!this.onFrame(ev.payload)) return;
      }
      events = this.splitter.drain();
    }
  }

  /** False when the connection was dropped while handling the frame. */
  private onFrame(payload: Uint8Array): boolean {
    let header;
    const r = new JuteReader(payload);
    try {
      header = readReplyHeader(r);
    } catch {
      this.connectionLost();
      return false;
    }
    if (header.zxid > this.lastZxidSeen) this.lastZxidSeen = header.zxid;
    if (header.xid === Xid.ping || header.xid === Xid.notification) return true;
    const head = this.inFlight[this.inFlightHead];
    if (head === undefined || head.xid !== header.xid) {
      // Out of order: ZooKeeper's client treats this as a fatal connection error.
      this.connectionLost();
      return false;
    }
    this.inFlightHead++;
    if (this.inFlightHead > 1024 && this.inFlightHead * 2 > this.inFlight.length) {
      this.inFlight.splice(0, this.inFlightHead);
      this.inFlightHead = 0;
    }
    if (header.err === Err.SESSIONEXPIRED) {
      head.cb(header.err, header.zxid, undefined);
      this.shutdown('expired');
      return false;
    }
    let response: ZkResponse | undefined;
    if (header.err === Err.OK) {
      try {
        response = readResponseBody(head.opCode, r);
      } catch {
        head.cb(Err.MARSHALLINGERROR, header.zxid, undefined);
        this.connectionLost();
        return false;
      }
    }
    head.cb(header.err, header.zxid, response);
    return this.sock !== null;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export { wallNowMs };

/** Send a four-letter word and return the whole reply ('' when the server is down or silent). */
export function fourLetterWord(addr: ServerAddress, word: string, timeoutMs = fourLetterTimeoutMs): Promise<string> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: addr.host, port: addr.port });
    const chunks: Buffer[] = [];
    let bytes = 0;
    const done = () => {
      clearTimeout(t);
      sock.removeAllListeners();
      sock.on('error', () => undefined);
      sock.destroy();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const t = setTimeout(done, timeoutMs);
    sock.on('connect', () => sock.end(word));
    sock.on('data', (d: Buffer) => {
      if (bytes < fourLetterReplyBytesMax) chunks.push(d);
      bytes += d.length;
    });
    sock.on('error', done);
    sock.on('close', done);
  });
}

/** The `Mode:` line of a `srvr` reply (leader, follower, standalone, ...), or null when not serving. */
export function modeOfSrvr(reply: string): string | null {
  const m = /^Mode: (\S+)/m.exec(reply);
  return m ? m[1]! : null;
}

/** The epoch (zxid >> 32) of the `Zxid:` line of a `srvr` reply, or null. */
export function epochOfSrvr(reply: string): number | null {
  const m = /^Zxid: (0x[0-9a-fA-F]+)/m.exec(reply);
  return m ? Number(BigInt(m[1]!) >> 32n) : null;
}
