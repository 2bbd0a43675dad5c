/**
 * Frame body codecs for the tcp driver on small envelopes: JSON (UTF-8) against v8.serialize. Prints ns per
 * envelope to encode and to decode, and the body size. Run: `node dist/bench/tcp-codec.js`.
 */
import v8 from 'node:v8';
import type { Envelope } from '../src/protocol/envelope.js';
import { decodeBody, encodeValueFrame } from '../src/runtime/tcp/frame.js';

const envelopes: Envelope[] = [
  { to: 'n2/pong', from: 'n1/ping', msg: { type: 'Ball', n: 17 } as { type: string } },
  { to: 'n2/counter', from: 'n1/$ask', msg: { type: 'Inc', by: 1 } as { type: string }, askId: 12345 },
  {
    to: 'n3/broadcast',
    from: 'n1/broadcast',
    msg: { type: 'Proposal', zxid: 4294967297, path: '/app/config/x', data: 'hello world', epoch: 3 } as { type: string },
  },
];
const roundsMax = 5;
const envelopesPerRound = 200_000;

interface Codec {
  readonly name: string;
  readonly encode: (e: Envelope) => Buffer;
  readonly decode: (b: Buffer) => unknown;
}

const codecs: Codec[] = [
  { name: 'json', encode: (e) => Buffer.from(JSON.stringify(e), 'utf8'), decode: (b) => JSON.parse(b.toString('utf8')) },
  { name: 'v8', encode: (e) => v8.serialize(e), decode: (b) => v8.deserialize(b) },
  // what the driver does: check the value is JSON-safe, tag byte, JSON, frame header in one buffer
  { name: 'frame', encode: (e) => encodeValueFrame(e), decode: (b) => decodeBody(b.subarray(4)) },
];

function measure(c: Codec): { encodeNs: number; decodeNs: number; bytes: number } {
  const bodies = envelopes.map((e) => c.encode(e));
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < envelopesPerRound; i++) c.encode(envelopes[i % envelopes.length]!);
  const encodeNs = Number(process.hrtime.bigint() - t0) / envelopesPerRound;
  t0 = process.hrtime.bigint();
  for (let i = 0; i < envelopesPerRound; i++) c.decode(bodies[i % bodies.length]!);
  const decodeNs = Number(process.hrtime.bigint() - t0) / envelopesPerRound;
  const bytes = bodies.reduce((a, b) => a + b.length, 0) / bodies.length;
  return { encodeNs, decodeNs, bytes };
}

const best = new Map<string, { encodeNs: number; decodeNs: number; bytes: number }>();
for (let r = 0; r < roundsMax; r++) {
  for (const c of codecs) {
    const m = measure(c);
    const b = best.get(c.name);
    best.set(c.name, b === undefined ? m : { encodeNs: Math.min(b.encodeNs, m.encodeNs), decodeNs: Math.min(b.decodeNs, m.decodeNs), bytes: m.bytes });
  }
}
for (const [name, m] of best) {
  process.stdout.write(`${name.padEnd(6)} encode ${m.encodeNs.toFixed(0).padStart(5)} ns  decode ${m.decodeNs.toFixed(0).padStart(5)} ns  body ${m.bytes.toFixed(1)} bytes\n`);
}
process.stdout.write(JSON.stringify({ bench: 'tcp-codec', results: Object.fromEntries(best) }) + '\n');
