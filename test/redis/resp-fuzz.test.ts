/**
 * Fuzzing the RESP request side. Decoder: any commands, encoded as multibulk or inline and split anywhere, decode
 * to the same argv; random and mutated bytes never throw, end in commands and at most one protocol error, and it
 * never holds more than it was given. Live server: random and mutated frames on many connections get answers or a
 * close, never crash it, and every connection is gone after its client leaves; a fresh PING still answers.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { RespRequestDecoder, type Decoded } from '../../src/wire/resp/index.js';
import { startRedisServer } from '../../src/servers/redis/index.js';
import { emptyBackend, rawSession, testTable } from './helpers.js';

const decoderRuns = 500;
const liveRuns = 120;
const liveBudgetMs = 30_000;
const liveQuietMs = 30;

const mb = (argv: Uint8Array[]): Buffer => Buffer.concat(argv.flatMap((a, i) => [...(i === 0 ? [Buffer.from(`*${argv.length}\r\n`)] : []), Buffer.from(`$${a.length}\r\n`), Buffer.from(a), Buffer.from('\r\n')]));
/** Inline form of an argv whose arguments are plain words (no quotes, blanks, NUL). */
const inline = (argv: Uint8Array[]): Buffer => Buffer.from(`${argv.map((a) => Buffer.from(a).toString('latin1')).join(' ')}\r\n`, 'latin1');
const plainWord = fc.uint8Array({ minLength: 1, maxLength: 12 }).map((a) => Uint8Array.from(a, (x) => 0x61 + (x % 26)));
const anyArg = fc.uint8Array({ maxLength: 40 });

function feed(pieces: Uint8Array[]): { out: Decoded[]; maxBuffered: number; pushed: number } {
  const d = new RespRequestDecoder();
  const out: Decoded[] = [];
  let maxBuffered = 0;
  let pushed = 0;
  for (const p of pieces) {
    d.push(p);
    pushed += p.length;
    maxBuffered = Math.max(maxBuffered, d.bufferedBytes - pushed);
    for (let x = d.next(); x !== undefined; x = d.next()) out.push(x);
  }
  return { out, maxBuffered, pushed };
}

function splitAt(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
}

test('valid commands decode to the same argv however they are split', () => {
  const command = fc.oneof(
    fc.array(anyArg, { minLength: 1, maxLength: 6 }).map((argv) => ({ argv, bytes: mb(argv) })),
    fc.array(plainWord, { minLength: 1, maxLength: 6 }).map((argv) => ({ argv, bytes: inline(argv) })),
  );
  fc.assert(
    fc.property(fc.array(command, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (cmds, cuts) => {
      const all = Buffer.concat(cmds.map((c) => c.bytes));
      const { out } = feed(splitAt(all, cuts));
      assert.equal(
        out.map((d) => (d.kind === 'command' ? d.argv.map((a) => Buffer.from(a).toString('hex')) : d.text)),
        cmds.map((c) => c.argv.map((a) => Buffer.from(a).toString('hex'))),
      );
    }),
    { numRuns: decoderRuns },
  );
});

test('random and mutated bytes: no throw, at most one error and nothing after it, nothing held beyond the input', () => {
  const valid = fc.array(anyArg, { minLength: 1, maxLength: 4 }).map(mb);
  const mutated = fc.tuple(valid, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })).map(([b, muts]) => {
    const m = Buffer.from(b);
    for (const [i, v] of muts) m[i % m.length] = v;
    return m;
  });
  const noise = fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a));
  const headers = fc.constantFrom('*', '$', '\r\n', '*-1\r\n', '*99999999999\r\n', '$-5\r\n', '"', "'", '\\x', '\0').map((s) => Buffer.from(s));
  fc.assert(
    fc.property(fc.array(fc.oneof(valid, mutated, noise, headers), { minLength: 1, maxLength: 10 }), fc.array(fc.nat(), { maxLength: 10 }), (parts, cuts) => {
      const all = Buffer.concat(parts);
      const { out, maxBuffered } = feed(splitAt(all, cuts));
      const errors = out.filter((d) => d.kind === 'error');
      assert.ok(errors.length <= 1);
      if (errors.length === 1) {
        assert.is(out[out.length - 1]!.kind, 'error');
        assert.match((errors[0] as { text: string }).text, /^ERR Protocol error: /);
      }
      assert.ok(maxBuffered <= 0, 'held no more than given');
    }),
    { numRuns: decoderRuns },
  );
});

test('live server: random and mutated frames get answers or a close, the server stays up and lets go of every connection', async () => {
  const server = await startRedisServer(emptyBackend, { table: testTable });
  const t0 = Date.now();
  try {
    const known = fc.constantFrom('PING', 'ECHO', 'GET', 'HELLO', 'SELECT', 'CLIENT', 'CONFIG', 'COMMAND', 'AUTH', 'RESET', 'INFO', 'nope');
    const argv = fc.tuple(known, fc.array(fc.oneof(fc.constantFrom('3', '2', '0', '99', 'SETNAME', 'GETNAME', 'ID', 'INFO', 'LIST', 'REPLY', 'OFF', 'SKIP', 'GET', '*', 'x'), fc.string({ maxLength: 8 })), { maxLength: 4 }));
    const frame = argv.map(([n, args]) => mb([Buffer.from(n), ...args.map((a) => Buffer.from(a))]));
    const mutated = fc.tuple(frame, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([b, i, v]) => {
      const m = Buffer.from(b);
      m[i % m.length] = v;
      return m;
    });
    const chunk = fc.oneof(frame, frame, mutated, fc.uint8Array({ maxLength: 48 }).map((a) => Buffer.from(a)));
    let runs = 0;
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(chunk, { minLength: 1, maxLength: 6 }), async (chunks) => {
        if (Date.now() - t0 > liveBudgetMs) return;
        runs++;
        const r = await rawSession(server.port, chunks, liveQuietMs);
        if (r.bytes.length > 0 || r.closed) answered++;
      }),
      { numRuns: liveRuns },
    );
    assert.ok(answered > runs / 2, `${answered} of ${runs} sessions answered`);
    for (let i = 0; i < 100 && server.clients.size > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.is(server.clients.size, 0, 'every connection released');
    assert.is((await rawSession(server.port, [Buffer.from('PING\r\n')])).bytes.toString(), '+PONG\r\n');
  } finally {
    await server.close();
  }
});

test.run();
