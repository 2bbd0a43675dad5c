/** ZkConnection over a fake transport with the in-memory test backend. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ZkConnection, type ZkTransport } from '../../src/servers/zookeeper/index.js';
import {
  Err,
  EventType,
  FrameSplitter,
  OpCode,
  decodeConnectResponse,
  decodeReply,
  encodeConnectRequest,
  encodeRequest,
  srvrReply,
  type ConnectRequest,
  type DecodedReply,
  type ZkRequest,
} from '../../src/wire/jute/index.js';
import { MemoryBackend } from './memory-backend.js';

class FakeTransport implements ZkTransport {
  written: Uint8Array[] = [];
  closed = false;
  paused = false;
  outbound = 0;
  readonly remote = '/127.0.0.1:50000';
  write(b: Uint8Array) {
    this.written.push(Uint8Array.from(b));
  }
  close() {
    this.closed = true;
  }
  pause() {
    this.paused = true;
  }
  resume() {
    this.paused = false;
  }
  outboundBytes() {
    return this.outbound;
  }
}

const connectReq = (over: Partial<ConnectRequest> = {}): ConnectRequest => ({
  protocolVersion: 0,
  lastZxidSeen: 0n,
  timeOut: 30000,
  sessionId: 0n,
  passwd: new Uint8Array(16),
  readOnly: false,
  ...over,
});

/** A scripted client: tracks opcodes by xid and parses what the server wrote. */
class Client {
  t = new FakeTransport();
  backend: MemoryBackend;
  conn: ZkConnection;
  private ops = new Map<number, number>();
  private xid = 1;
  private read = 0;
  private splitter = new FrameSplitter({ fourLetterWords: false });
  constructor(backend = new MemoryBackend(), opts: ConstructorParameters<typeof ZkConnection>[2] = {}) {
    this.backend = backend;
    this.conn = new ZkConnection(this.t, backend, opts);
  }
  send(req: ZkRequest, xid = this.xid++): number {
    const f = encodeRequest(xid, req);
    this.ops.set(xid, new DataView(f.buffer, f.byteOffset).getInt32(8));
    this.conn.onData(f);
    return xid;
  }
  /** Frames written since last call (after the ConnectResponse), decoded. */
  replies(): DecodedReply[] {
    const out: DecodedReply[] = [];
    for (; this.read < this.t.written.length; this.read++) {
      for (const e of this.splitter.push(this.t.written[this.read]!)) {
        if (e.kind === 'frame') out.push(decodeReply(e.payload, (x) => this.ops.get(x) ?? -999));
      }
    }
    return out;
  }
  async connect(req = connectReq()) {
    this.conn.onData(encodeConnectRequest(req));
    await tick();
    const first = this.t.written[this.read++]!;
    return decodeConnectResponse(first.subarray(4));
  }
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));
const enc = (s: string) => Uint8Array.from(Buffer.from(s));

test('handshake echoes the readOnly trailer only when the client sent it', async () => {
  const a = new Client();
  const ra = await a.connect();
  assert.is(a.t.written[0]!.length, 4 + 37);
  assert.is(ra.readOnly, false);
  assert.is(ra.timeOut, 30000);
  assert.ok(ra.sessionId > 0n);
  const b = new Client(a.backend);
  const rb = await b.connect(connectReq({ readOnly: undefined, timeOut: 1000 }));
  assert.is(b.t.written[0]!.length, 4 + 36);
  assert.is(rb.timeOut, 4000, 'backend clamps');
  assert.is(b.conn.phase, 'established');
});

test('unknown session: timeOut 0, sessionId 0, zero passwd, then close', async () => {
  const c = new Client();
  const r = await c.connect(connectReq({ sessionId: 0x77n }));
  assert.equal(r, { protocolVersion: 0, timeOut: 0, sessionId: 0n, passwd: new Uint8Array(16), readOnly: false });
  assert.ok(c.t.closed);
});

test('lastZxidSeen newer than the server: closed without reply', async () => {
  const c = new Client();
  c.conn.onData(encodeConnectRequest(connectReq({ lastZxidSeen: 99n })));
  await tick();
  assert.is(c.t.written.length, 0);
  assert.ok(c.t.closed);
});

test('requests pipelined behind the ConnectRequest are answered after it, in order', async () => {
  const c = new Client();
  const all = Buffer.concat([
    encodeConnectRequest(connectReq()),
    encodeRequest(1, { type: 'Create', path: '/a', data: enc('x'), acl: [], flags: 0 }),
    encodeRequest(2, { type: 'GetData', path: '/a', watch: false }),
  ]);
  (c as unknown as { ops: Map<number, number> }).ops.set(1, OpCode.create).set(2, OpCode.getData);
  c.conn.onData(all);
  await tick();
  assert.is(decodeConnectResponse(c.t.written[0]!.subarray(4)).protocolVersion, 0);
  (c as unknown as { read: number }).read = 1;
  const r = c.replies();
  assert.equal(r.map((x) => x.header.xid), [1, 2]);
  const g = r[1]!;
  assert.ok(g.kind === 'reply' && g.response?.type === 'GetData' && Buffer.from(g.response.data!).toString() === 'x');
});

test('replies are written in request order even when the backend settles them out of order', async () => {
  const c = new Client();
  await c.connect();
  c.backend.delayMs = (req) => (req.type === 'GetData' ? 30 : 0);
  c.send({ type: 'Create', path: '/o', data: null, acl: [], flags: 0 });
  await tick(5);
  c.send({ type: 'GetData', path: '/o', watch: false }); // slow
  c.send({ type: 'Exists', path: '/o', watch: false }); // fast
  c.send({ type: 'Ping' }, -2); // answered locally, still in order
  await tick(5);
  const early = c.replies();
  assert.equal(early.map((x) => x.header.xid), [1], 'nothing after the slow reply yet');
  await tick(60);
  assert.equal(c.replies().map((x) => x.header.xid), [2, 3, -2]);
});

test('ping, unknown opcode (UNIMPLEMENTED), malformed body (MARSHALLINGERROR), NONODE', async () => {
  const c = new Client();
  await c.connect();
  c.send({ type: 'Ping' }, -2);
  c.send({ type: 'Unknown', opCode: 999 });
  const bad = encodeRequest(7, { type: 'GetData', path: '/abc', watch: true });
  c.conn.onData(Uint8Array.from([...new Uint8Array([0, 0, 0, bad.length - 5]), ...bad.subarray(4, bad.length - 1)]));
  c.send({ type: 'GetData', path: '/missing', watch: false });
  await tick();
  const r = c.replies();
  assert.equal(r.map((x) => [x.header.xid, x.header.err]), [[-2, 0], [1, Err.UNIMPLEMENTED], [7, Err.MARSHALLINGERROR], [2, Err.NONODE]]);
  assert.ok(c.backend.touched >= 4);
  assert.not.ok(c.t.closed);
});

test('a watch notification is written before the reply of the write that fired it', async () => {
  const w = new Client();
  await w.connect();
  w.send({ type: 'Create', path: '/n', data: null, acl: [], flags: 0 });
  w.send({ type: 'GetData', path: '/n', watch: true });
  w.send({ type: 'SetData', path: '/n', data: enc('y'), version: -1 });
  await tick();
  const r = w.replies();
  assert.equal(r.map((x) => x.header.xid), [1, 2, -1, 3]);
  const n = r[2]!;
  assert.ok(n.kind === 'notification' && n.event.type === EventType.NodeDataChanged && n.event.path === '/n');
});

test('closeSession: reply, then close; socket close tells the backend', async () => {
  const c = new Client();
  await c.connect();
  c.send({ type: 'CloseSession' });
  c.send({ type: 'Ping' }, -2); // after close: never answered
  await tick();
  const r = c.replies();
  assert.equal(r.map((x) => x.header.xid), [1]);
  assert.ok(c.t.closed);
  c.conn.onClose();
  assert.is(c.backend.disconnects, 1);
});

test('a request the backend cannot carry out closes the connection (CONNECTIONLOSS for the client) and is told to onFailure', async () => {
  const failures: string[] = [];
  const backend = new MemoryBackend();
  const c = new Client(backend, { onFailure: (_conn, reason) => failures.push(reason) });
  await c.connect();
  backend.submit = () => Promise.reject(new Error('no leader'));
  c.send({ type: 'GetData', path: '/x', watch: false });
  await tick();
  assert.ok(c.t.closed);
  assert.equal(failures, ['backend failed on GetData: Error: no leader']);
  c.conn.close('shutdown');
  assert.is(failures.length, 1, 'an ordinary close is not a failure');
});

test('oversized frame and bad ConnectRequest close the connection', async () => {
  const c = new Client(new MemoryBackend(), { maxBufferBytes: 100 });
  await c.connect();
  c.conn.onData(Uint8Array.from([0, 0, 0, 101]));
  assert.ok(c.t.closed);
  const d = new Client();
  d.conn.onData(Uint8Array.from([0, 0, 0, 3, 1, 2, 3]));
  assert.ok(d.t.closed);
  assert.is(d.t.written.length, 0);
});

test('four-letter word: one write, then close', () => {
  const c = new Client(new MemoryBackend(), {
    fourLetterWord: (w) => (w === 'ruok' ? 'imok' : w === 'srvr' ? srvrReply({ version: '3.8.0', latencyMinMs: 0, latencyAvgMs: 0, latencyMaxMs: 0, packetsReceived: 0, packetsSent: 0, connections: 1, outstanding: 0, lastZxid: 0n, mode: 'standalone', nodeCount: 5 }) : undefined),
  });
  c.conn.onData(enc('ruok'));
  assert.equal(c.t.written.map((b) => Buffer.from(b).toString()), ['imok']);
  assert.ok(c.t.closed);
  const d = new Client(new MemoryBackend());
  d.conn.onData(enc('stat'));
  assert.ok(d.t.closed);
  assert.is(d.t.written.length, 0);
});

test('four-letter word answered later (a promise): nothing more is read, the reply is written once it settles, then close', async () => {
  let settle: (text: string) => void = () => undefined;
  const c = new Client(new MemoryBackend(), { fourLetterWord: () => new Promise<string>((r) => (settle = r)) });
  c.conn.onData(Buffer.concat([enc('dump'), encodeConnectRequest(connectReq())]));
  await tick();
  assert.is(c.t.written.length, 0, 'nothing before the reply, the bytes after the word are ignored');
  assert.not.ok(c.t.closed);
  assert.is(c.conn.counters.received, 1, 'the word counts as one packet, as in ZooKeeper');
  settle('SessionTracker dump:\n');
  await tick();
  assert.equal(c.t.written.map((b) => Buffer.from(b).toString()), ['SessionTracker dump:\n']);
  assert.ok(c.t.closed);
  // a socket gone before the answer: nothing is written
  const d = new Client(new MemoryBackend(), { fourLetterWord: () => new Promise<string>((r) => (settle = r)) });
  d.conn.onData(enc('cons'));
  d.conn.onClose();
  settle('late');
  await tick();
  assert.is(d.t.written.length, 0);
});

test('connection statistics for cons: lop, lcxid, lzxid and latencies per reply, SESS at connect, reset by crst', async () => {
  let nowMs = 1000;
  const c = new Client(new MemoryBackend(), { monotonicMs: () => nowMs });
  assert.is(c.conn.stats.lastOp, 'NA');
  await c.connect();
  assert.is(c.conn.stats.lastOp, 'SESS');
  assert.is(c.conn.stats.timeoutMs, 30000);
  assert.ok(Math.abs(c.conn.stats.establishedMs - Date.now()) < 60_000, 'established on the wall clock');
  c.backend.delayMs = () => 5;
  const x = c.send({ type: 'Create', path: '/st', data: enc('x'), acl: [], flags: 0 });
  nowMs += 7;
  await tick(20);
  assert.is(c.conn.stats.lastOp, 'CREA');
  assert.is(c.conn.stats.lastCxid, x);
  assert.is(c.conn.stats.lastLatencyMs, 7);
  assert.is(c.conn.stats.maxLatencyMs, 7);
  assert.is(c.conn.stats.lastResponseMs, 1007);
  c.backend.delayMs = () => 0;
  c.send({ type: 'GetData', path: '/st', watch: false });
  nowMs += 1;
  await tick();
  assert.is(c.conn.stats.lastOp, 'GETD');
  assert.is(c.conn.stats.minLatencyMs, 0, 'the connect took 0 ms on this clock');
  assert.is(c.conn.stats.count, 3);
  assert.ok(c.conn.stats.lastZxid > 0n);
  c.conn.resetStats();
  assert.equal({ ...c.conn.stats, establishedMs: 0 }, { establishedMs: 0, timeoutMs: 30000, lastOp: 'NA', lastCxid: -1, lastZxid: -1n, lastResponseMs: 0, lastLatencyMs: 0, minLatencyMs: 0, maxLatencyMs: 0, totalLatencyMs: 0, count: 0 });
  assert.is(c.conn.counters.received, 0);
});

test('back-pressure: reading pauses above pendingRepliesMax and resumes when replies drain', async () => {
  const c = new Client(new MemoryBackend(), { pendingRepliesMax: 4 });
  await c.connect();
  c.backend.delayMs = () => 20;
  const frames = Buffer.concat(Array.from({ length: 20 }, (_, i) => encodeRequest(i + 1, { type: 'Exists', path: '/', watch: false })));
  for (let i = 1; i <= 20; i++) (c as unknown as { ops: Map<number, number> }).ops.set(i, OpCode.exists);
  c.conn.onData(frames);
  assert.ok(c.t.paused, 'paused');
  assert.ok(c.conn.queued <= 5, `queued ${c.conn.queued}`);
  for (let i = 0; i < 50; i++) {
    await tick(25);
    if (!c.t.paused && c.conn.queued === 0) break;
  }
  const r = c.replies();
  assert.equal(r.map((x) => x.header.xid), Array.from({ length: 20 }, (_, i) => i + 1));
  assert.not.ok(c.t.paused);
  // Outbound bytes over the bound also pause reading.
  c.t.outbound = 10 * 1024 * 1024;
  c.send({ type: 'Ping' }, -2);
  await tick();
  assert.ok(c.t.paused);
  c.t.outbound = 0;
  c.conn.onDrain();
  assert.not.ok(c.t.paused);
});

test.run();
