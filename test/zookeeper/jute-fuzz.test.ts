/**
 * Fuzz: random and mutated frames fed to every decoder and to the frame splitter never throw anything but
 * JuteDecodeError, always finish, and never allocate from a hostile length. Seeded; the seed is printed on failure
 * (rerun with JUTE_FUZZ_SEED=<seed>).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng } from '../../src/core/rng.js';
import {
  FrameSplitter,
  JuteDecodeError,
  JuteReader,
  OpCode,
  decodeConnectRequest,
  decodeConnectResponse,
  decodeReply,
  decodeRequest,
  encodeConnectRequest,
  encodeReply,
  encodeRequest,
  readResponseBody,
} from '../../src/wire/jute/index.js';
import { Gen } from './gen.js';

const seed = Number(process.env.JUTE_FUZZ_SEED ?? Date.now() % 0x7fffffff);
const casesMax = Number(process.env.JUTE_FUZZ_CASES ?? 20_000);
const fuzzBudgetMs = 20_000;
const allOps: number[] = [...Object.values(OpCode), 999, -77];

function withSeed(name: string, s: number, body: (rng: Rng) => void): void {
  test(name, () => {
    try {
      body(new Rng(s));
    } catch (e) {
      console.error(`\n${name}: failed with seed=0x${s.toString(16)} (JUTE_FUZZ_SEED=${s})`);
      throw e;
    }
  });
}

/** Runs every decoder on the payload; anything thrown must be a JuteDecodeError. Returns how many threw. */
function decodeAll(payload: Uint8Array, rng: Rng): number {
  let threw = 0;
  const attempt = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      if (!(e instanceof JuteDecodeError)) throw e;
      threw++;
    }
  };
  attempt(() => decodeRequest(payload));
  attempt(() => decodeConnectRequest(payload));
  attempt(() => decodeConnectResponse(payload));
  const op = rng.pick(allOps);
  attempt(() => decodeReply(payload, () => op));
  attempt(() => readResponseBody(op, new JuteReader(payload)));
  return threw;
}

function mutate(frame: Uint8Array, rng: Rng): Uint8Array {
  let b: Uint8Array = frame.slice(4);
  const n = rng.int(1, 4);
  for (let i = 0; i < n; i++) {
    switch (rng.int(0, 5)) {
      case 0: // flip a byte
        if (b.length) b[rng.int(0, b.length - 1)] = rng.int(0, 255);
        break;
      case 1: // truncate
        b = b.slice(0, rng.int(0, b.length));
        break;
      case 2: {
        // plant a hostile int (a length or count) at a random position
        if (b.length >= 4) {
          const at = rng.int(0, b.length - 4);
          const v = rng.pick([0x7fffffff, -1, -2, 0x80000000 | 0, 0x10000000, b.length, 1 << 20]);
          new DataView(b.buffer, b.byteOffset).setInt32(at, v);
        }
        break;
      }
      case 3: // append garbage
        b = Uint8Array.from([...b, ...Array.from({ length: rng.int(1, 16) }, () => rng.int(0, 255))]);
        break;
      case 4: // drop a span
        if (b.length > 2) {
          const at = rng.int(0, b.length - 2);
          b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + rng.int(1, b.length - at))]);
        }
        break;
      default: // duplicate a span
        if (b.length > 2) {
          const at = rng.int(0, b.length - 2);
          const span = b.subarray(at, at + rng.int(1, Math.min(32, b.length - at)));
          b = Uint8Array.from([...b.subarray(0, at), ...span, ...b.subarray(at)]);
        }
    }
  }
  return b;
}

withSeed('random payloads: only JuteDecodeError', seed, (rng) => {
  const t0 = Date.now();
  let cases = 0;
  let threw = 0;
  for (; cases < casesMax && Date.now() - t0 < fuzzBudgetMs; cases++) {
    const len = rng.int(0, 64);
    const b = Uint8Array.from({ length: len }, () => rng.int(0, 255));
    threw += decodeAll(b, rng);
  }
  assert.ok(cases > 100, `ran ${cases} cases`);
  assert.ok(threw > 0, 'some random inputs were rejected');
});

withSeed('mutated valid frames (every request and response): only JuteDecodeError', seed + 1, (rng) => {
  const g = new Gen(rng);
  const t0 = Date.now();
  const frames: Uint8Array[] = [];
  for (const req of g.everyRequest()) frames.push(encodeRequest(g.int(), req));
  for (const [, res] of g.everyResponse()) frames.push(encodeReply({ xid: 1, zxid: g.long(), err: 0 }, res));
  frames.push(encodeConnectRequest({ protocolVersion: 0, lastZxidSeen: 5n, timeOut: 30000, sessionId: 0n, passwd: new Uint8Array(16), readOnly: false }));
  let cases = 0;
  let malformed = 0;
  for (; cases < casesMax && Date.now() - t0 < fuzzBudgetMs; cases++) {
    const m = mutate(rng.pick(frames), rng);
    decodeAll(m, rng);
    try {
      if (decodeRequest(m).request.type === 'Malformed') malformed++;
    } catch (e) {
      if (!(e instanceof JuteDecodeError)) throw e;
    }
  }
  assert.ok(cases > 100, `ran ${cases} cases`);
  assert.ok(malformed > 0, 'some mutated requests were reported Malformed');
});

test('a length of 2^31-1 in a buffer, string or vector fails at once without allocating', () => {
  const before = process.memoryUsage().arrayBuffers;
  const t0 = Date.now();
  for (let i = 0; i < 1000; i++) {
    // setData with data length 0x7fffffff
    const f = Uint8Array.from([0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 2, 0x2f, 0x61, 0x7f, 0xff, 0xff, 0xff, 1, 2, 3]);
    assert.is(decodeRequest(f).request.type, 'Malformed');
    // setWatches with a vector count 0x7fffffff
    const s = Uint8Array.from([0, 0, 0, 1, 0, 0, 0, 101, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
    assert.is(decodeRequest(s).request.type, 'Malformed');
    // path string length 0x7fffffff
    const p = Uint8Array.from([0, 0, 0, 1, 0, 0, 0, 4, 0x7f, 0xff, 0xff, 0xff, 1]);
    assert.is(decodeRequest(p).request.type, 'Malformed');
  }
  assert.ok(Date.now() - t0 < 5000);
  assert.ok(process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024, 'no large allocation');
});

withSeed('frame splitter: random chunking of random streams never throws, buffers at most one frame', seed + 2, (rng) => {
  const g = new Gen(rng);
  const maxBufferBytes = 4096;
  const chunkBytesMax = 512;
  const t0 = Date.now();
  for (let stream = 0; stream < 2000 && Date.now() - t0 < fuzzBudgetMs; stream++) {
    const s = new FrameSplitter({ maxBufferBytes, fourLetterWords: rng.chance(0.5) });
    // A stream of valid frames with random garbage sometimes spliced in.
    const parts: Uint8Array[] = [];
    for (let k = rng.int(1, 8); k > 0; k--) {
      parts.push(rng.chance(0.2) ? Uint8Array.from({ length: rng.int(1, 40) }, () => rng.int(0, 255)) : encodeRequest(k, rng.pick(g.everyRequest())));
    }
    const all = Buffer.concat(parts);
    let off = 0;
    let ended = false;
    while (off < all.length) {
      const n = rng.int(1, chunkBytesMax);
      const events = s.push(all.subarray(off, off + n));
      off += n;
      for (const e of events) {
        if (e.kind === 'frame') {
          assert.ok(e.payload.length <= maxBufferBytes);
          decodeAll(e.payload, rng);
        } else ended = true;
      }
      assert.ok(s.bufferedBytes <= maxBufferBytes + 4 + chunkBytesMax, `buffered ${s.bufferedBytes}`);
      if (ended) assert.is(s.bufferedBytes, 0);
    }
  }
});

test.run();
