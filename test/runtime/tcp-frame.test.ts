import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  FrameDecoder,
  FrameError,
  asEnvelope,
  asHello,
  decodeBody,
  encodeBody,
  encodeEnvelopeFrame,
  encodeFrame,
  encodeValueFrame,
  bodyTagJson,
  bodyTagV8,
  bodyTagBinary,
  jsonSafe,
  frameBodyBytesMax,
  frameHeaderBytes,
  protocolTag,
} from '../../src/runtime/tcp/frame.js';
import type { Envelope } from '../../src/protocol/envelope.js';
import v8 from 'node:v8';

const v8Roundtrip = (v: unknown): unknown => v8.deserialize(v8.serialize(v));

const msg = (m: { type: string; [k: string]: unknown }) => m;
const envs: Envelope[] = [
  { to: 'n2/pong', from: 'n1/ping', msg: msg({ type: 'Ball', n: 1 }) },
  { to: 'n2/counter', from: null, msg: msg({ type: 'Inc', by: 7 }) },
  { to: 'n1/$ask', from: 'n2/counter', msg: msg({ type: 'Count', count: 42 }), replyTo: 9 },
  { to: 'n3/echo', from: 'n1/$ask', msg: msg({ type: 'Echo', payload: { s: 'é漢字', xs: [1, 2, 3], deep: { a: null } } }), askId: 3 },
];

function decodeAll(chunks: Buffer[], dec = new FrameDecoder()): Envelope[] {
  const out: Envelope[] = [];
  for (const c of chunks) for (const b of dec.push(c)) out.push(asEnvelope(decodeBody(b))!);
  return out;
}

test('a frame is a 4-byte big-endian length and the body', () => {
  const body = Buffer.from('hello');
  const f = encodeFrame(body);
  assert.is(f.length, frameHeaderBytes + 5);
  assert.is(f.readUInt32BE(0), 5);
  assert.equal(f.subarray(4).toString(), 'hello');
});

test('envelopes round-trip, one frame per chunk', () => {
  const got = decodeAll(envs.map((e) => encodeEnvelopeFrame(e)));
  assert.equal(got, envs);
});

test('several frames in one chunk', () => {
  const got = decodeAll([Buffer.concat(envs.map((e) => encodeEnvelopeFrame(e)))]);
  assert.equal(got, envs);
});

test('frames split across chunks at every byte boundary', () => {
  const all = Buffer.concat(envs.map((e) => encodeEnvelopeFrame(e)));
  for (let cut = 1; cut < all.length; cut++) {
    const got = decodeAll([all.subarray(0, cut), all.subarray(cut)]);
    assert.equal(got, envs, `cut at ${cut}`);
  }
  // one byte at a time, header included
  const dec = new FrameDecoder();
  const oneByOne = decodeAll([...all].map((b) => Buffer.from([b])), dec);
  assert.equal(oneByOne, envs);
  assert.is(dec.bufferedBytes, 0);
});

test('a partial frame stays buffered until its last byte arrives', () => {
  const f = encodeEnvelopeFrame(envs[0]!);
  const dec = new FrameDecoder();
  assert.equal(dec.push(f.subarray(0, f.length - 1)), []);
  assert.is(dec.bufferedBytes, f.length - 1);
  assert.is(dec.push(f.subarray(f.length - 1)).length, 1);
  assert.is(dec.bufferedBytes, 0);
});

test('an empty body is a frame', () => {
  const dec = new FrameDecoder();
  const out = dec.push(Buffer.concat([encodeFrame(Buffer.alloc(0)), encodeFrame(Buffer.from('x'))]));
  assert.is(out.length, 2);
  assert.is(out[0]!.length, 0);
  assert.is(out[1]!.toString(), 'x');
});

test('an announced length over the bound throws FrameError before the body arrives', () => {
  const dec = new FrameDecoder(1024);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(1025, 0);
  assert.throws(() => dec.push(header), (e: unknown) => e instanceof FrameError);
  // exactly at the bound is fine
  const ok = new FrameDecoder(1024);
  const out = ok.push(encodeFrame(Buffer.alloc(1024, 1), 1024));
  assert.is(out.length, 1);
  assert.is(out[0]!.length, 1024);
});

test('the default bound rejects a header of 0xffffffff (garbage)', () => {
  const dec = new FrameDecoder();
  assert.throws(() => dec.push(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3])), (e: unknown) => e instanceof FrameError);
  assert.ok(frameBodyBytesMax < 0xffffffff);
});

test('encoding a body over the bound throws', () => {
  assert.throws(() => encodeFrame(Buffer.alloc(11), 10), (e: unknown) => e instanceof FrameError);
});

test('bodies that are not envelopes or hellos are refused', () => {
  assert.is(asEnvelope({ to: 1, from: null, msg: { type: 'X' } }), null);
  assert.is(asEnvelope({ to: 'a/b', from: null, msg: {} }), null);
  assert.is(asEnvelope({ to: 'a/b', from: 3, msg: { type: 'X' } }), null);
  assert.is(asEnvelope({ to: 'a/b', from: null, msg: { type: 'X' }, askId: 'x' }), null);
  assert.is(asEnvelope('nope'), null);
  assert.ok(asEnvelope({ to: 'a/b', from: null, msg: { type: 'X' } }));
  assert.is(asHello({ hello: 'other/9', node: 'n1' }), null);
  assert.equal(asHello(decodeBody(encodeBody({ hello: protocolTag, node: 'n1' }))), { hello: protocolTag, node: 'n1' });
  assert.throws(() => decodeBody(Buffer.from([0xde, 0xad, 0xbe, 0xef])));
});

test('plain data goes as JSON; what JSON would change goes as v8 and comes back unchanged', () => {
  assert.ok(jsonSafe({ a: [1, 'x', null, true, { b: -2.5 }] }));
  for (const v of [new Uint8Array([1]), new Map(), new Set(), new Date(0), 1n, undefined, NaN, Infinity, [undefined], { a: undefined }]) {
    assert.not.ok(jsonSafe(v), String(v));
  }
  let deep: unknown = 1;
  for (let i = 0; i < 100; i++) deep = [deep];
  assert.not.ok(jsonSafe(deep), 'too deep to check: v8');
  const plain = encodeValueFrame(envs[0]);
  assert.is(plain[frameHeaderBytes], bodyTagJson);
  const odd: Envelope = {
    to: 'n2/store',
    from: 'n1/broadcast',
    msg: msg({ type: 'Append', data: new Uint8Array([0, 255, 7]), index: new Map([['k', 1n]]), when: new Date(5), gone: undefined }),
  };
  const f = encodeValueFrame(odd);
  assert.is(f[frameHeaderBytes], bodyTagV8);
  const [body] = new FrameDecoder().push(f);
  const back = decodeBody(body!) as Envelope & { msg: { data: Uint8Array; index: Map<string, bigint>; when: Date; gone?: unknown } };
  assert.instance(back.msg.data, Uint8Array);
  assert.equal([...back.msg.data], [0, 255, 7]);
  assert.is(back.msg.index.get('k'), 1n);
  assert.is(back.msg.when.getTime(), 5);
  assert.ok('gone' in back.msg);
  assert.ok(asEnvelope(back));
});

test('a body with an unknown tag does not decode', () => {
  assert.throws(() => decodeBody(Buffer.from('{"to":"a/b"}')), (e: unknown) => e instanceof FrameError);
  assert.throws(() => decodeBody(Buffer.alloc(0)), (e: unknown) => e instanceof FrameError);
});


test('the first frame (a hello) has its own bound; later frames the larger one', () => {
  const dec = new FrameDecoder(1 << 20, 64);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(65, 0);
  assert.throws(() => dec.push(header), (e: unknown) => e instanceof FrameError);
  const ok = new FrameDecoder(1 << 20, 64);
  // the hello and a large frame in one chunk
  const out = ok.push(Buffer.concat([encodeFrame(Buffer.alloc(64, 1)), encodeFrame(Buffer.alloc(100_000, 2))]));
  assert.equal(out.map((b) => b.length), [64, 100_000]);
});

test('a large frame in many small chunks is gathered whole (and once)', () => {
  const dec = new FrameDecoder();
  const body = Buffer.alloc(3_000_000);
  for (let i = 0; i < body.length; i++) body[i] = i % 251;
  const f = Buffer.concat([encodeFrame(body), encodeFrame(Buffer.from('tail'))]);
  const out: Buffer[] = [];
  for (let o = 0; o < f.length; o += 65_536) out.push(...dec.push(f.subarray(o, Math.min(f.length, o + 65_536))));
  assert.is(out.length, 2);
  assert.ok(out[0]!.equals(body));
  assert.is(out[1]!.toString(), 'tail');
  assert.is(dec.bufferedBytes, 0);
});

test("byte arrays go raw beside the JSON ('B' body) and come back as equal Uint8Arrays", () => {
  const data = new Uint8Array(300_000).map((_, i) => i % 256);
  const v = { to: 'n2/storage', from: 'n1/broadcast', msg: { type: 'Proposals', entries: [{ zxid: 5, txn: { path: '/a', data, acl: [], passwd: new Uint8Array([1, 2]) } }, { zxid: 6, txn: { data: new Uint8Array(0) } }] } };
  const f = encodeValueFrame(v);
  assert.is(f[frameHeaderBytes], bodyTagBinary);
  const back = decodeBody(f.subarray(frameHeaderBytes)) as typeof v;
  const e = back.msg.entries;
  assert.ok(e[0]!.txn.data instanceof Uint8Array && !Buffer.isBuffer(e[0]!.txn.data));
  assert.equal([...e[0]!.txn.data.subarray(0, 300)], [...data.subarray(0, 300)]);
  assert.is(Buffer.compare(Buffer.from(e[0]!.txn.data), Buffer.from(data)), 0);
  assert.equal([...e[0]!.txn.passwd!], [1, 2]);
  assert.is(e[1]!.txn.data.length, 0);
  assert.equal({ ...back, msg: { ...back.msg, entries: [] } }, { ...v, msg: { ...v.msg, entries: [] } });
  // the same value through v8 decodes equal
  assert.equal(decodeBody(f.subarray(frameHeaderBytes)), v8Roundtrip(v));
});

test("a 'B' body whose references point outside it is refused", () => {
  const bad = (json: string, extra = 0): Buffer => {
    const t = Buffer.from(json);
    const b = Buffer.alloc(5 + t.length + extra);
    b[0] = bodyTagBinary;
    b.writeUInt32BE(t.length, 1);
    t.copy(b, 5);
    return b;
  };
  assert.throws(() => decodeBody(bad('{"a":{"\\u0000b":[0,10]}}', 5)), (e: unknown) => e instanceof FrameError);
  assert.throws(() => decodeBody(bad('{"a":{"\\u0000b":[-1,1]}}', 5)), (e: unknown) => e instanceof FrameError);
  assert.throws(() => decodeBody(bad('{"a":{"\\u0000b":"x"}}', 5)), (e: unknown) => e instanceof FrameError);
  const short = Buffer.from([bodyTagBinary, 0, 0, 1, 0]);
  assert.throws(() => decodeBody(short), (e: unknown) => e instanceof FrameError);
  assert.equal(decodeBody(bad('{"a":{"\\u0000b":[1,2]}}', 4)), { a: new Uint8Array(2) });
});

test('the transport tells when a peer’s large message is on its way (onPeerActive), then delivers it whole', async () => {
  const { TcpTransport } = await import('../../src/runtime/tcp/transport.js');
  const net = await import('node:net');
  const active: string[] = [];
  const got: Envelope[] = [];
  const t = new TcpTransport({
    node: 'n1',
    listen: { host: '127.0.0.1', port: 0 },
    peers: {},
    deliver: (env) => got.push(env),
    emit: () => undefined,
    seed: 1,
    onPeerActive: (peer) => active.push(peer),
  });
  await t.start();
  try {
    const s = net.connect(t.port, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    const big = encodeValueFrame({ to: 'n1/x', from: null, msg: { type: 'Big', data: new Uint8Array(2_000_000) } });
    s.write(Buffer.concat([encodeFrame(encodeBody({ hello: protocolTag, node: 'n7' })), big.subarray(0, 1_000_000)]));
    const t0 = Date.now();
    while (active.length === 0 && Date.now() - t0 < 5_000) await new Promise((r) => setTimeout(r, 10));
    assert.equal(active.slice(0, 1), ['n7']);
    assert.is(got.length, 0);
    s.write(big.subarray(1_000_000));
    while (got.length === 0 && Date.now() - t0 < 5_000) await new Promise((r) => setTimeout(r, 10));
    assert.is((got[0]!.msg as unknown as { data: Uint8Array }).data.length, 2_000_000);
    s.destroy();
  } finally {
    await t.close();
  }
});

test('the transport tells when a peer’s current connection closes (onPeerGone), not when a newer one replaced it', async () => {
  const { TcpTransport } = await import('../../src/runtime/tcp/transport.js');
  const net = await import('node:net');
  const gone: string[] = [];
  const t = new TcpTransport({
    node: 'n1',
    listen: { host: '127.0.0.1', port: 0 },
    peers: {},
    deliver: () => undefined,
    emit: () => undefined,
    seed: 1,
    onPeerGone: (peer) => gone.push(peer),
  });
  await t.start();
  const waitMs = 5_000;
  const until = async (cond: () => boolean) => {
    const t0 = Date.now();
    while (!cond() && Date.now() - t0 < waitMs) await new Promise((r) => setTimeout(r, 10));
  };
  try {
    const hello = (s: import('node:net').Socket, node: string) => s.write(encodeFrame(encodeBody({ hello: protocolTag, node })));
    const open = async (node: string) => {
      const s = net.connect(t.port, '127.0.0.1');
      await new Promise((r) => s.once('connect', r));
      hello(s, node);
      return s;
    };
    const first = await open('n7');
    const firstClosed = new Promise((r) => first.once('close', r));
    await new Promise((r) => setTimeout(r, 50));
    // a newer connection of n7 replaces the first: the transport closes the older one, and that is no news
    const second = await open('n7');
    await firstClosed;
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(gone, []);
    // a connection that never said hello is nobody's
    const anon = net.connect(t.port, '127.0.0.1');
    await new Promise((r) => anon.once('connect', r));
    anon.destroy();
    second.destroy();
    await until(() => gone.length > 0);
    assert.equal(gone, ['n7']);
    // the transport closing closes n8's connection: that is no news either
    await open('n8');
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    await t.close();
  }
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(gone, ['n7'], 'closing the transport itself tells nothing');
});

test.run();
