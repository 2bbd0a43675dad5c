/**
 * One client-port connection: handshake → established session → close, independent of the tree.
 *
 * - The first 4 bytes may be a four-letter word (answered by `opts.fourLetterWord`, then closed).
 * - The first frame is the ConnectRequest; requests pipelined behind it wait until the backend accepts the session.
 * - Every request gets a reply slot in arrival order; replies are written strictly in that order however the
 *   backend's promises settle (ZooKeeper clients drop the connection on "Xid out of order").
 * - Ping, unknown opcodes (UNIMPLEMENTED) and malformed bodies (MARSHALLINGERROR) are answered here, in order.
 * - Notifications are ordered against replies by zxid: a notification for txn Z is written after every reply
 *   (earlier in request order) that carries a zxid < Z, and before any reply carrying Z or later. So a client sees
 *   the reply that registered a watch before the event, and the event before the new data. The backend must call
 *   {@link ZkConnection.notify} for Z before it resolves any reply carrying Z or a later zxid. A notification waits
 *   while the next reply in order is still unresolved (at most `notificationsQueuedMax`, else the connection closes).
 * - Back-pressure: reading stops while unwritten replies exceed `pendingRepliesMax` or the transport holds more than
 *   `outboundBytesMax` unsent bytes, and resumes below half of each.
 * - A client's bad input (oversized/negative length, undecodable header or ConnectRequest) closes the connection;
 *   nothing a client sends throws out of this class.
 */
import {
  type ConnectRequest,
  type DecodedRequest,
  Err,
  FrameSplitter,
  type FrameEvent,
  type FourLetterWord,
  JuteDecodeError,
  OpCode,
  type WatcherEvent,
  type ZkRequest,
  type ZkResponse,
  decodeConnectRequest,
  decodeRequest,
  encodeConnectResponse,
  encodeNotification,
  encodeReply,
  juteMaxBufferBytesDefault,
  lastOpNames,
  sessionPasswdBytes,
} from '../../wire/jute/index.js';

/** What the connection needs from a socket. */
export interface ZkTransport {
  write(bytes: Uint8Array): void;
  /** Close after everything written so far has been flushed. */
  close(): void;
  /** Stop / restart delivering data (socket.pause/resume). */
  pause(): void;
  resume(): void;
  /** Bytes written but not yet sent (socket.writableLength). */
  outboundBytes(): number;
  /** Remote address as 4lw `cons` prints it, e.g. `/127.0.0.1:58420`. */
  readonly remote: string;
  /** The remote host alone (`127.0.0.1`, `::1`): the session's `ip` ACL id. Absent: taken from `remote`. */
  readonly remoteAddress?: string;
}

export type ConnectResult =
  /** Session created or resumed. `readOnly` is the server's mode (sent only to clients that sent the trailer). */
  | { readonly kind: 'accepted'; readonly sessionId: bigint; readonly timeOut: number; readonly passwd: Uint8Array; readonly readOnly?: boolean }
  /** Unknown/expired session or bad password: reply timeOut 0, sessionId 0, zero passwd, then close. */
  | { readonly kind: 'expired' }
  /** Close without a reply (e.g. lastZxidSeen newer than this server, not serving). */
  | { readonly kind: 'refused'; readonly reason: string };

export interface BackendReply {
  /** ReplyHeader.zxid: the server's last processed zxid after the op. */
  readonly zxid: bigint;
  readonly err: number;
  /** The body when err is 0 (omit for ops without one). */
  readonly response?: ZkResponse;
  /** Write the body even with an error (ZooKeeper's failed SASL step sends its null token). */
  readonly bodyOnError?: boolean;
  /** Close the connection after this reply is written (closeSession, AUTHFAILED). */
  readonly closeAfter?: boolean;
}

/** The session/tree side the lead plugs in (replicated tree, sessions, watches). */
export interface ZkBackend {
  connect(req: ConnectRequest, conn: ZkConnection): Promise<ConnectResult>;
  /** A request on an established session (everything but Ping/Unknown/Malformed). */
  submit(sessionId: bigint, xid: number, request: ZkRequest, conn: ZkConnection): Promise<BackendReply>;
  /** The session was heard from (every frame, pings included). */
  touch(sessionId: bigint): void;
  /** Last processed zxid, for ping replies and locally answered errors. */
  lastZxid(): bigint;
  /** The socket is gone (the session lives on until it expires or is closed). */
  disconnected(sessionId: bigint, conn: ZkConnection): void;
}

export interface ZkConnectionOptions {
  /** jute.maxbuffer. */
  readonly maxBufferBytes?: number;
  /** Unwritten replies (requests in flight + replies waiting for an earlier one) before reading stops. */
  readonly pendingRepliesMax?: number;
  /** Unsent transport bytes before reading stops. */
  readonly outboundBytesMax?: number;
  /** Notifications waiting for an unresolved earlier reply before the connection is closed as too slow. */
  readonly notificationsQueuedMax?: number;
  /**
   * Answers a four-letter word: the reply text (or a promise of it), written in one write, then the connection
   * closes. Undefined: close at once.
   */
  readonly fourLetterWord?: (word: FourLetterWord | 'telnetclose', conn: ZkConnection) => string | Promise<string | undefined> | undefined;
  /** A monotonic clock in ms for request latencies (default performance.now). */
  readonly monotonicMs?: () => number;
  /**
   * Told when the server closes a connection because the cluster could not carry a request out (a failed connect
   * or request: no leader, a timeout); the client sees CONNECTIONLOSS and retries elsewhere. For the node's log.
   */
  readonly onFailure?: (conn: ZkConnection, reason: string) => void;
  /** Told of every answered request: its short name (as `cons` shows it) and its latency (ms). */
  readonly onResponse?: (op: string, latencyMs: number) => void;
}

/** Per-connection request statistics, as ZooKeeper's ServerCnxn keeps them for `cons` and admin `connections`. */
export interface ConnectionStats {
  /** Wall-clock ms when the session was established (0 before). */
  establishedMs: number;
  /** The negotiated session timeout (0 before). */
  timeoutMs: number;
  /** Short name of the last operation answered (`NA` before any). */
  lastOp: string;
  lastCxid: number;
  lastZxid: bigint;
  /** Monotonic ms of the last reply. */
  lastResponseMs: number;
  lastLatencyMs: number;
  minLatencyMs: number;
  maxLatencyMs: number;
  totalLatencyMs: number;
  count: number;
}

function freshStats(establishedMs = 0, timeoutMs = 0): ConnectionStats {
  return { establishedMs, timeoutMs, lastOp: 'NA', lastCxid: -1, lastZxid: -1n, lastResponseMs: 0, lastLatencyMs: 0, minLatencyMs: 0, maxLatencyMs: 0, totalLatencyMs: 0, count: 0 };
}

export const pendingRepliesMaxDefault = 1000;
export const outboundBytesMaxDefault = 4 * 1024 * 1024;
export const notificationsQueuedMaxDefault = 10_000;

type State = 'handshake' | 'connecting' | 'established' | 'closing' | 'closed';

interface Slot {
  readonly xid: number;
  readonly opCode: number;
  /** Monotonic ms when the request arrived. */
  readonly arrivedMs: number;
  frame?: Uint8Array;
  zxid?: bigint;
  closeAfter?: boolean;
}

interface QueuedNotification {
  readonly zxid: bigint;
  readonly frame: Uint8Array;
}

export class ZkConnection {
  private state: State = 'handshake';
  private readonly splitter: FrameSplitter;
  private inbox: FrameEvent[] = [];
  private readonly slots: Slot[] = [];
  private notifications: QueuedNotification[] = [];
  private readonly notificationsQueuedMax: number;
  private paused = false;
  private pumping = false;
  private readonly pendingRepliesMax: number;
  private readonly outboundBytesMax: number;
  /** The established session (0n before). */
  sessionId = 0n;
  /** Whether the client sent the readOnly trailer (then replies echo it). */
  clientSentReadOnly = false;
  readonly counters = { received: 0, sent: 0, notifications: 0 };
  stats: ConnectionStats = freshStats();
  closeReason: string | undefined;
  private readonly monotonicMs: () => number;

  constructor(
    private readonly transport: ZkTransport,
    private readonly backend: ZkBackend,
    private readonly opts: ZkConnectionOptions = {},
  ) {
    this.splitter = new FrameSplitter({ maxBufferBytes: opts.maxBufferBytes ?? juteMaxBufferBytesDefault, fourLetterWords: true });
    this.pendingRepliesMax = opts.pendingRepliesMax ?? pendingRepliesMaxDefault;
    this.outboundBytesMax = opts.outboundBytesMax ?? outboundBytesMaxDefault;
    this.notificationsQueuedMax = opts.notificationsQueuedMax ?? notificationsQueuedMaxDefault;
    this.monotonicMs = opts.monotonicMs ?? (() => performance.now());
  }

  /** ZooKeeper's crst for this connection: packet counters and latency statistics start over. */
  resetStats(): void {
    this.counters.received = 0;
    this.counters.sent = 0;
    this.stats = { ...freshStats(this.stats.establishedMs, this.stats.timeoutMs), lastZxid: -1n };
  }

  /** A reply (or the session) is ready: ZooKeeper's updateStatsForResponse. */
  private recordResponse(opCode: number, cxid: number, zxid: bigint, arrivedMs: number): void {
    const name = lastOpNames.get(opCode);
    if (name === undefined) return;
    const now = this.monotonicMs();
    this.opts.onResponse?.(name, Math.max(0, now - arrivedMs));
    const latency = Math.max(0, Math.round(now - arrivedMs));
    const st = this.stats;
    st.lastOp = name;
    st.lastCxid = cxid;
    st.lastZxid = zxid;
    st.lastResponseMs = Math.floor(now);
    st.lastLatencyMs = latency;
    st.minLatencyMs = st.count === 0 ? latency : Math.min(st.minLatencyMs, latency);
    st.maxLatencyMs = Math.max(st.maxLatencyMs, latency);
    st.totalLatencyMs += latency;
    st.count++;
  }

  get phase(): State {
    return this.state;
  }
  get remote(): string {
    return this.transport.remote;
  }
  /** The remote host (the `ip` id ZooKeeper gives every connection). */
  get remoteAddress(): string {
    return this.transport.remoteAddress ?? this.transport.remote.replace(/^\//, '').replace(/:\d+$/, '');
  }
  /** Replies not yet written. */
  get queued(): number {
    return this.slots.length;
  }

  /** Bytes from the socket. */
  onData(chunk: Uint8Array): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.inbox.push(...this.splitter.push(chunk));
    this.pump();
  }

  /** The transport flushed its buffer ('drain'). */
  onDrain(): void {
    this.updateBackPressure();
    this.pump();
  }

  /** The socket closed (either side). */
  onClose(): void {
    if (this.state === 'closed') return;
    const wasEstablished = this.sessionId !== 0n;
    this.state = 'closed';
    this.inbox = [];
    this.slots.length = 0;
    this.notifications = [];
    if (wasEstablished) this.backend.disconnected(this.sessionId, this);
  }

  /** A watch notification fired by txn `zxid` for this connection's session (see the ordering rule above). */
  notify(event: { type: number; path: string; state?: number } | WatcherEvent, zxid: bigint): void {
    if (this.state !== 'established') return;
    this.counters.notifications++;
    if (this.notifications.length >= this.notificationsQueuedMax) {
      this.close(`more than ${this.notificationsQueuedMax} notifications queued`);
      return;
    }
    this.notifications.push({ zxid, frame: encodeNotification(event) });
    this.flush();
  }

  /** Closes the connection because a request could not be carried out, and says so (`onFailure`). */
  private fail(reason: string): void {
    if (this.state === 'closed' || this.state === 'closing') return;
    this.opts.onFailure?.(this, reason);
    this.close(reason);
  }

  /** Closes the connection (server side: session expired elsewhere, shutdown). */
  close(reason: string): void {
    if (this.state === 'closed' || this.state === 'closing') return;
    this.closeReason = reason;
    this.state = 'closing';
    this.inbox = [];
    this.transport.close();
  }

  private write(bytes: Uint8Array): void {
    this.counters.sent++;
    this.transport.write(bytes);
    this.updateBackPressure();
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.paused && (this.state === 'handshake' || this.state === 'established')) {
        if (this.inbox.length === 0) {
          this.inbox = this.splitter.drain();
          if (this.inbox.length === 0) break;
        }
        this.handle(this.inbox.shift()!);
      }
    } finally {
      this.pumping = false;
    }
  }

  private handle(ev: FrameEvent): void {
    switch (ev.kind) {
      case 'error':
        return this.close(ev.reason);
      case 'fourLetterWord': {
        this.counters.received++;
        const reply = this.opts.fourLetterWord?.(ev.word, this);
        if (typeof reply === 'object') {
          // Answered later: read nothing more, write the reply when it comes, then close.
          this.closeReason = `4lw ${ev.word}`;
          this.state = 'closing';
          this.inbox = [];
          const finish = (text: string | undefined): void => {
            if (this.state === 'closed') return;
            if (text !== undefined) this.transport.write(Buffer.from(text, 'utf8'));
            this.transport.close();
          };
          reply.then(finish, () => finish(undefined));
          return;
        }
        if (reply !== undefined) this.transport.write(Buffer.from(reply, 'utf8'));
        return this.close(`4lw ${ev.word}`);
      }
      case 'frame':
        this.counters.received++;
        if (this.state === 'handshake') return this.handshake(ev.payload);
        return this.request(ev.payload);
    }
  }

  private handshake(payload: Uint8Array): void {
    let req: ConnectRequest;
    try {
      req = decodeConnectRequest(payload);
    } catch (e) {
      if (e instanceof JuteDecodeError) return this.close(`bad ConnectRequest: ${e.message}`);
      throw e;
    }
    this.clientSentReadOnly = req.readOnly !== undefined;
    this.state = 'connecting';
    const arrivedMs = this.monotonicMs();
    this.backend.connect(req, this).then(
      (res) => this.connected(res, arrivedMs),
      (e: unknown) => this.fail(`connect failed: ${String(e)}`),
    );
  }

  private connected(res: ConnectResult, arrivedMs: number): void {
    if (this.state !== 'connecting') return;
    const readOnlyTrailer = (ro: boolean) => (this.clientSentReadOnly ? ro : undefined);
    switch (res.kind) {
      case 'refused':
        // not serving yet (no leader, behind the client, no quorum for the session move): logged, the client retries
        return this.fail(`connect refused: ${res.reason}`);
      case 'expired':
        this.write(encodeConnectResponse({ protocolVersion: 0, timeOut: 0, sessionId: 0n, passwd: new Uint8Array(sessionPasswdBytes), readOnly: readOnlyTrailer(false) }));
        return this.close('session expired');
      case 'accepted':
        this.sessionId = res.sessionId;
        this.state = 'established';
        this.stats = freshStats(Date.now(), res.timeOut);
        this.recordResponse(OpCode.createSession, 0, this.backend.lastZxid(), arrivedMs);
        this.write(encodeConnectResponse({ protocolVersion: 0, timeOut: res.timeOut, sessionId: res.sessionId, passwd: res.passwd, readOnly: readOnlyTrailer(res.readOnly ?? false) }));
        this.pump();
        return;
    }
  }

  private request(payload: Uint8Array): void {
    let d: DecodedRequest;
    try {
      d = decodeRequest(payload);
    } catch (e) {
      if (e instanceof JuteDecodeError) return this.close(`bad request header: ${e.message}`);
      throw e;
    }
    this.backend.touch(this.sessionId);
    const slot: Slot = { xid: d.xid, opCode: d.opCode, arrivedMs: this.monotonicMs() };
    this.slots.push(slot);
    this.updateBackPressure();
    const r = d.request;
    if (r.type === 'Ping') return this.fill(slot, { zxid: this.backend.lastZxid(), err: Err.OK });
    if (r.type === 'Unknown') return this.fill(slot, { zxid: this.backend.lastZxid(), err: Err.UNIMPLEMENTED });
    if (r.type === 'Malformed') return this.fill(slot, { zxid: this.backend.lastZxid(), err: Err.MARSHALLINGERROR });
    const sessionId = this.sessionId;
    this.backend.submit(sessionId, d.xid, r, this).then(
      (reply) => this.fill(slot, { ...reply, closeAfter: reply.closeAfter ?? d.opCode === OpCode.closeSession }),
      (e: unknown) => this.fail(`backend failed on ${r.type}: ${String(e)}`),
    );
  }

  private fill(slot: Slot, reply: BackendReply): void {
    if (this.state === 'closed') return;
    slot.frame = encodeReply({ xid: slot.xid, zxid: reply.zxid, err: reply.err }, reply.response ?? { type: 'Empty' }, reply.bodyOnError === true);
    slot.zxid = reply.zxid;
    slot.closeAfter = reply.closeAfter === true;
    if (reply.err !== Err.UNIMPLEMENTED && reply.err !== Err.MARSHALLINGERROR) this.recordResponse(slot.opCode, slot.xid, reply.zxid, slot.arrivedMs);
    this.flush();
  }

  private flush(): void {
    while (this.state === 'established' || this.state === 'connecting') {
      const head = this.slots[0];
      const note = this.notifications[0];
      if (note !== undefined) {
        // A notification waits for an unresolved reply ahead of it, and goes after a resolved one with an older zxid.
        if (head !== undefined && head.frame === undefined) break;
        if (head === undefined || head.zxid! >= note.zxid) {
          this.notifications.shift();
          this.write(note.frame);
          continue;
        }
      }
      if (head === undefined || head.frame === undefined) break;
      this.slots.shift();
      this.write(head.frame);
      if (head.closeAfter) {
        this.close(head.opCode === OpCode.closeSession ? 'closeSession' : 'closed after reply');
        return;
      }
    }
    this.updateBackPressure();
    this.pump();
  }

  private updateBackPressure(): void {
    if (this.state === 'closed' || this.state === 'closing') return;
    const outbound = this.transport.outboundBytes();
    if (!this.paused && (this.slots.length > this.pendingRepliesMax || outbound > this.outboundBytesMax)) {
      this.paused = true;
      this.transport.pause();
    } else if (this.paused && this.slots.length <= this.pendingRepliesMax / 2 && outbound <= this.outboundBytesMax / 2) {
      this.paused = false;
      this.transport.resume();
    }
  }

  /** Whether reading is paused by back-pressure. */
  get isPaused(): boolean {
    return this.paused;
  }
}
