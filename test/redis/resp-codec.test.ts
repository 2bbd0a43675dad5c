/**
 * The RESP codec alone: every reply kind in RESP2 and RESP3, `%.17g` doubles (vectors from C printf), and the
 * request decoder on every command of a script split at every byte offset (and byte by byte).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Reply } from '../../src/protocol/resp.js';
import { RespRequestDecoder, RespWriter, encodeReply, formatDouble, inlineBytesMax, splitArgs, string2ll, type Decoded } from '../../src/wire/resp/index.js';

const b = (s: string) => Buffer.from(s, 'latin1');
const bulk = (s: string): Reply => ({ kind: 'Bulk', bytes: b(s) });
const enc = (r: Reply, v: 2 | 3) => encodeReply(r, v).toString('latin1');

test('every reply kind, RESP2 and RESP3', () => {
  const cases: [Reply, string, string][] = [
    [{ kind: 'Simple', text: 'OK' }, '+OK\r\n', '+OK\r\n'],
    [{ kind: 'Error', text: 'ERR bad\r\nthing' }, '-ERR bad  thing\r\n', '-ERR bad  thing\r\n'],
    [{ kind: 'Int', value: -42 }, ':-42\r\n', ':-42\r\n'],
    [{ kind: 'Int', value: 9223372036854775807n }, ':9223372036854775807\r\n', ':9223372036854775807\r\n'],
    [bulk(''), '$0\r\n\r\n', '$0\r\n\r\n'],
    [{ kind: 'Bulk', bytes: Uint8Array.of(0, 13, 10, 255) }, '$4\r\n\0\r\n\xff\r\n', '$4\r\n\0\r\n\xff\r\n'],
    [{ kind: 'Null' }, '$-1\r\n', '_\r\n'],
    [{ kind: 'NullArray' }, '*-1\r\n', '_\r\n'],
    [{ kind: 'Array', items: [bulk('a'), { kind: 'Int', value: 1 }, { kind: 'Array', items: [] }] }, '*3\r\n$1\r\na\r\n:1\r\n*0\r\n', '*3\r\n$1\r\na\r\n:1\r\n*0\r\n'],
    [{ kind: 'Map', entries: [[bulk('f'), bulk('v')]] }, '*2\r\n$1\r\nf\r\n$1\r\nv\r\n', '%1\r\n$1\r\nf\r\n$1\r\nv\r\n'],
    [{ kind: 'Set', items: [bulk('m')] }, '*1\r\n$1\r\nm\r\n', '~1\r\n$1\r\nm\r\n'],
    [{ kind: 'Double', value: 1.5 }, '$3\r\n1.5\r\n', ',1.5\r\n'],
    [{ kind: 'Double', value: Infinity }, '$3\r\ninf\r\n', ',inf\r\n'],
    [{ kind: 'Double', value: -Infinity }, '$4\r\n-inf\r\n', ',-inf\r\n'],
    [{ kind: 'Double', value: NaN }, '$3\r\nnan\r\n', ',nan\r\n'],
    [{ kind: 'Bool', value: true }, ':1\r\n', '#t\r\n'],
    [{ kind: 'Bool', value: false }, ':0\r\n', '#f\r\n'],
    [{ kind: 'Verbatim', format: 'txt', text: 'a\nb' }, '$3\r\na\nb\r\n', '=7\r\ntxt:a\nb\r\n'],
    [{ kind: 'BigNumber', digits: '3492890328409238509324850943850943825024385' }, '$43\r\n3492890328409238509324850943850943825024385\r\n', '(3492890328409238509324850943850943825024385\r\n'],
    [{ kind: 'Push', items: [bulk('message'), bulk('ch'), bulk('hi')] }, '*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n', '>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n'],
    [{ kind: 'Simple', text: 'héllo' }, '+h\xc3\xa9llo\r\n', '+h\xc3\xa9llo\r\n'],
  ];
  for (const [r, two, three] of cases) {
    assert.is(enc(r, 2), two, `${r.kind} RESP2`);
    assert.is(enc(r, 3), three, `${r.kind} RESP3`);
  }
});

test('doubles as printf %.17g (glibc, ties to even)', () => {
  const vectors: [number, string][] = [
    [0.1, '0.10000000000000001'], [1.5, '1.5'], [1.0000076293945312, '1.0000076293945312'], [1e300, '1.0000000000000001e+300'],
    [123456789012345678, '1.2345678901234568e+17'], [0.0001, '0.0001'], [0.00001, '1.0000000000000001e-05'], [-2.5, '-2.5'],
    [1e16, '10000000000000000'], [1e17, '1e+17'], [123.456, '123.456'], [5e-324, '4.9406564584124654e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'], [100, '100'], [-0, '-0'], [3, '3'], [2 ** 53, '9007199254740992'],
    [0.30000000000000004, '0.30000000000000004'], [1 / 3, '0.33333333333333331'],
  ];
  for (const [x, s] of vectors) assert.is(formatDouble(x), s, String(x));
});

test('the writer hands out each batch once and keeps growing', () => {
  const w = new RespWriter(16);
  w.write({ kind: 'Simple', text: 'OK' }, 2);
  const first = w.take();
  w.write(bulk('x'.repeat(100)), 2);
  const second = w.take();
  assert.is(first.toString(), '+OK\r\n');
  assert.is(second.length, 100 + 8);
  assert.is(first.toString(), '+OK\r\n', 'the first batch is not overwritten');
  assert.is(w.pendingBytes, 0);
});

test('string2ll is strict', () => {
  const v = (s: string) => string2ll(b(s), 0, s.length);
  assert.is(v('0'), 0);
  assert.is(v('-12'), -12);
  assert.is(v('9223372036854775807'), 9223372036854775807n);
  assert.is(v('-9223372036854775808'), -9223372036854775808n);
  for (const bad of ['', '-', '-0', '01', '+1', '1 ', '9223372036854775808', '12345678901234567890123', 'x']) assert.is(v(bad), null, bad);
});

test('inline splitting as sdssplitargs', () => {
  const split = (s: string) => splitArgs(b(s))?.map((a) => Buffer.from(a).toString('latin1')) ?? null;
  assert.equal(split('  SET  "k 1" "v\\x41\\n" '), ['SET', 'k 1', 'vA\n']);
  assert.equal(split(`a'b c'd`), null);
  assert.equal(split(`x'b c'`), ['xb c']);
  assert.equal(split(`'it\\'s' "\\q\\"" ""`), [`it's`, 'q"', '']);
  assert.equal(split('"abc'), null);
  assert.equal(split('"a"b'), null);
  assert.equal(split('"\\xZZ"'), ['xZZ']);
  assert.equal(split(''), []);
});

/** Decodes the whole stream fed in the given pieces, pulling after each. */
function decodeAll(pieces: Uint8Array[], auth = false): Decoded[] {
  const d = new RespRequestDecoder();
  d.authRequired = auth;
  const out: Decoded[] = [];
  for (const p of pieces) {
    d.push(p);
    for (let x = d.next(); x !== undefined; x = d.next()) out.push(x);
  }
  return out;
}
const show = (ds: Decoded[]) => ds.map((d) => (d.kind === 'error' ? `!${d.text}` : d.argv.map((a) => Buffer.from(a).toString('latin1')).join('|')));

const script = b(
  '*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$3\r\nk\0y\r\n$0\r\n\r\nPING\r\n\r\n  ECHO "a b"\n*0\r\n*2\r\n$4\r\nECHO\r\n$20\r\n' + 'x'.repeat(20) + '\r\n*-1\r\nGET k\r\n',
);
const expected = ['PING', 'SET|k\0y|', 'PING', 'ECHO|a b', 'ECHO|' + 'x'.repeat(20), 'GET|k'];

test('the same commands whatever the split: every single cut, every two cuts, byte by byte', () => {
  assert.equal(show(decodeAll([script])), expected);
  for (let i = 0; i <= script.length; i++) assert.equal(show(decodeAll([script.subarray(0, i), script.subarray(i)])), expected, `cut at ${i}`);
  for (let i = 0; i <= script.length; i += 3) for (let j = i; j <= script.length; j += 5) assert.equal(show(decodeAll([script.subarray(0, i), script.subarray(i, j), script.subarray(j)])), expected, `cuts at ${i}, ${j}`);
  assert.equal(show(decodeAll([...script].map((x) => Uint8Array.of(x)))), expected);
});

test('protocol errors, whatever the split', () => {
  const cases: [string, string][] = [
    ['*x\r\n', 'invalid multibulk length'],
    ['*2147483648\r\n', 'invalid multibulk length'],
    ['*1\r\n+PING\r\n', "expected '$', got '+'"],
    ['*1\r\n$-1\r\n', 'invalid bulk length'],
    ['*1\r\n$536870913\r\n', 'invalid bulk length'],
    ['ECHO "ab\r\n', 'unbalanced quotes in request'],
  ];
  for (const [s, text] of cases) {
    const bytes = b(s);
    for (let i = 0; i <= bytes.length; i++) {
      const got = show(decodeAll([bytes.subarray(0, i), bytes.subarray(i)]));
      assert.equal(got, [`!ERR Protocol error: ${text}`], `${JSON.stringify(s)} cut at ${i}`);
    }
  }
  assert.equal(show(decodeAll([b('*11\r\n')], true)), ['!ERR Protocol error: unauthenticated multibulk length']);
  assert.equal(show(decodeAll([b('*1\r\n$16385\r\n')], true)), ['!ERR Protocol error: unauthenticated bulk length']);
  assert.equal(show(decodeAll([b('*1\r\n$16385\r\n')], false)), []);
});

test('lines without an end: waits up to 64 KiB, then the too-big errors', () => {
  const big = 'x'.repeat(inlineBytesMax);
  assert.equal(show(decodeAll([b(big)])), [], 'exactly the bound: still waiting');
  assert.equal(show(decodeAll([b(big), b('y')])), ['!ERR Protocol error: too big inline request']);
  assert.equal(show(decodeAll([b(big + 'y\r\n')])), ['x'.repeat(inlineBytesMax) + 'y'], 'a complete line is accepted');
  assert.equal(show(decodeAll([b('*' + '1'.repeat(inlineBytesMax)), b('1')])), ['!ERR Protocol error: too big mbulk count string']);
  assert.equal(show(decodeAll([b('*1\r\n$' + '1'.repeat(inlineBytesMax)), b('1')])), ['!ERR Protocol error: too big bulk count string']);
  // strchr stops at a NUL: the line end after it is not seen.
  assert.equal(show(decodeAll([b('PI\0NG\r\n')])), []);
});

test('a large bulk arriving in small chunks is joined once; bufferedBytes counts it', () => {
  const n = 1_000_000;
  const frame = Buffer.concat([b(`*2\r\n$4\r\nECHO\r\n$${n}\r\n`), Buffer.alloc(n, 0x61), b('\r\n')]);
  const d = new RespRequestDecoder();
  let got: Decoded | undefined;
  let maxBuffered = 0;
  for (let off = 0; off < frame.length; off += 4096) {
    d.push(frame.subarray(off, off + 4096));
    maxBuffered = Math.max(maxBuffered, d.bufferedBytes);
    got = d.next() ?? got;
  }
  assert.ok(got !== undefined && got.kind === 'command');
  if (got?.kind === 'command') assert.is(got.argv[1]!.length, n);
  assert.ok(maxBuffered <= frame.length, `buffered ${maxBuffered}`);
  assert.is(d.bufferedBytes, 0);
});

test.run();
