/**
 * Fuzz the session layer: random and mutated byte streams (valid handshake first, then frames with garbage, bad
 * lengths and corrupted bodies) fed in random chunks to ZkConnection with the in-memory backend. It must never
 * throw, must answer every request it accepted in xid order or close, and the tree stays consistent.
 * Seeded; prints the seed on failure (rerun with ZK_FUZZ_SEED=<seed>).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng } from '../../src/core/rng.js';
import { ZkConnection, type ZkTransport } from '../../src/servers/zookeeper/index.js';
import { FrameSplitter, JuteReader, encodeConnectRequest, encodeRequest, readReplyHeader } from '../../src/wire/jute/index.js';
import { Gen } from './gen.js';
import { MemoryBackend } from './memory-backend.js';

const seed = Number(process.env.ZK_FUZZ_SEED ?? Date.now() % 0x7fffffff);
const connectionsMax = 400;
const fuzzBudgetMs = 20_000;

class Sink implements ZkTransport {
  out: Uint8Array[] = [];
  closed = false;
  readonly remote = '/127.0.0.1:1';
  write(b: Uint8Array) {
    if (this.closed) throw new Error('write after close');
    this.out.push(Uint8Array.from(b));
  }
  close() {
    this.closed = true;
  }
  pause() {}
  resume() {}
  outboundBytes() {
    return 0;
  }
}

test('random and mutated streams never crash the connection; replies stay in order', async () => {
  const rng = new Rng(seed);
  const g = new Gen(rng);
  const backend = new MemoryBackend();
  const t0 = Date.now();
  let closedCount = 0;
  let replies = 0;
  try {
    for (let c = 0; c < connectionsMax && Date.now() - t0 < fuzzBudgetMs; c++) {
      const sink = new Sink();
      const conn = new ZkConnection(sink, backend, { maxBufferBytes: 64 * 1024 });
      const parts: Uint8Array[] = [encodeConnectRequest({ protocolVersion: 0, lastZxidSeen: 0n, timeOut: 10000, sessionId: 0n, passwd: new Uint8Array(16), readOnly: rng.chance(0.5) ? false : undefined })];
      for (let k = rng.int(1, 20); k > 0; k--) {
        const f = encodeRequest(k, rng.pick(g.everyRequest()));
        const r = rng.next();
        if (r < 0.7) parts.push(f);
        else if (r < 0.85) {
          const m = f.slice();
          for (let i = rng.int(1, 3); i > 0; i--) m[rng.int(4, m.length - 1)] = rng.int(0, 255);
          parts.push(m);
        } else parts.push(Uint8Array.from({ length: rng.int(1, 24) }, () => rng.int(0, 255)));
      }
      const all = Buffer.concat(parts);
      for (let off = 0; off < all.length; ) {
        const n = rng.int(1, 256);
        conn.onData(all.subarray(off, off + n));
        off += n;
        if (rng.chance(0.1)) await new Promise((r) => setImmediate(r));
      }
      await new Promise((r) => setTimeout(r, 1));
      // The xids the connection should answer, in order: those of the frames after the ConnectRequest, up to
      // the first frame too short for a RequestHeader or an oversized length (where it closes).
      const expected: number[] = [];
      const inSp = new FrameSplitter({ fourLetterWords: false, maxBufferBytes: 64 * 1024 });
      let skip = true;
      for (const e of inSp.push(all)) {
        if (e.kind !== 'frame' || e.payload.length < 8) break;
        if (skip) {
          skip = false;
          continue;
        }
        expected.push(new JuteReader(e.payload).int());
      }
      // Everything written parses as frames; reply xids (notifications aside) are a prefix of the expected ones.
      const sp = new FrameSplitter({ fourLetterWords: false, maxBufferBytes: 1 << 24 });
      const xids: number[] = [];
      let first = true;
      for (const b of sink.out) {
        for (const e of sp.push(b)) {
          assert.is(e.kind, 'frame');
          if (e.kind !== 'frame') continue;
          if (first) {
            first = false;
            continue;
          }
          const h = readReplyHeader(new JuteReader(e.payload));
          if (h.xid === -1 && h.zxid === -1n) continue;
          xids.push(h.xid);
          replies++;
        }
      }
      assert.equal(xids, expected.slice(0, xids.length), 'replies in request order');
      if (!sink.closed) assert.is(xids.length, expected.length, 'every request answered');
      if (sink.closed) closedCount++;
      conn.onClose();
    }
  } catch (e) {
    console.error(`\nzk-connection fuzz failed with seed=0x${seed.toString(16)} (ZK_FUZZ_SEED=${seed})`);
    throw e;
  }
  assert.ok(replies > 0, 'some requests were answered');
  assert.ok(closedCount > 0, 'some connections were closed for bad input');
  // The tree stays consistent: every child listed exists and every node's parent lists it.
  for (const [p, n] of backend.nodes) {
    for (const ch of n.children) assert.ok(backend.nodes.has(p === '/' ? `/${ch}` : `${p}/${ch}`));
  }
});

test.run();
