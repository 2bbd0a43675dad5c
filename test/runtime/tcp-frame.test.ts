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
  jsonSafe,
  frameBodyBytesMax,
  frameHeaderBytes,
  protocolTag,
} from '../../src/runtime/tcp/frame.js';
import type { Envelope } from '../../src/protocol/envelope.js';

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

test.run();
