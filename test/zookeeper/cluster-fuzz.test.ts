/**
 * Fuzz against the served client port of a running cluster: seeded random and mutated frames (seed printed, set
 * CONCLAVE_FUZZ_SEED to replay). The node answers or closes the connection, never crashes, and data written before
 * is intact after.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect as tcp } from 'node:net';
import { Rng } from '../../src/core/rng.js';
import { encodeConnectRequest, encodeRequest } from '../../src/wire/jute/index.js';
import { Gen } from './gen.js';
import { call, closeClient, connect, ports, rawSync, startCluster } from './cluster-helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const connectionsMax = 60;
const framesPerConnectionMax = 20;
/** How long one fuzz connection may stay open before the test closes it (the server may keep a valid session). */
const connectionHoldMs = 150;

function mutate(rng: Rng, frame: Uint8Array): Uint8Array {
  const out = Uint8Array.from(frame);
  const n = rng.int(1, 4);
  for (let i = 0; i < n && out.length > 0; i++) out[rng.int(0, out.length - 1)] = rng.int(0, 255);
  if (rng.chance(0.2)) return out.subarray(0, rng.int(0, out.length));
  return out;
}

function randomBytes(rng: Rng, max: number): Uint8Array {
  const out = new Uint8Array(rng.int(0, max));
  for (let i = 0; i < out.length; i++) out[i] = rng.int(0, 255);
  return out;
}

/** Sends bytes; resolves with whether the server closed the connection within the hold time. */
function session(port: number, chunks: readonly Uint8Array[]): Promise<'closed' | 'open'> {
  return new Promise((resolve) => {
    const sock = tcp(port, '127.0.0.1');
    let done = false;
    const finish = (how: 'closed' | 'open') => {
      if (done) return;
      done = true;
      sock.destroy();
      resolve(how);
    };
    sock.on('error', () => finish('closed'));
    sock.on('close', () => finish('closed'));
    sock.on('data', () => undefined);
    sock.on('connect', () => {
      for (const c of chunks) sock.write(c);
      setTimeout(() => finish('open'), connectionHoldMs);
    });
  });
}

test('random and mutated frames on a served port: answered or closed, the node keeps serving, data intact', async () => {
  const seed = Number(process.env.CONCLAVE_FUZZ_SEED ?? Date.now() % 1_000_000);
  console.log(`cluster-fuzz seed ${seed}`);
  const s = await startCluster();
  let client: any;
  try {
    const [p1, p2] = ports(s) as [number, number];
    client = await connect(`127.0.0.1:${p1}`);
    await call((cb) => client.create('/fuzzkeep', Buffer.from('precious'), cb));
    await call((cb) => client.create('/fuzzkeep/child', Buffer.from('c'), cb));
    const rng = new Rng(seed);
    const gen = new Gen(rng);
    const outcomes = { closed: 0, open: 0 };
    for (let i = 0; i < connectionsMax; i++) {
      const chunks: Uint8Array[] = [];
      const mode = rng.int(0, 2);
      if (mode === 0) {
        chunks.push(randomBytes(rng, 200));
      } else {
        const hello = encodeConnectRequest({ protocolVersion: 0, lastZxidSeen: 0n, timeOut: 4000, sessionId: 0n, passwd: new Uint8Array(16) });
        chunks.push(mode === 1 && rng.chance(0.3) ? mutate(rng, hello) : hello);
        const reqs = gen.everyRequest();
        const n = rng.int(1, framesPerConnectionMax);
        for (let k = 0; k < n; k++) {
          const frame = encodeRequest(k + 1, rng.pick(reqs));
          chunks.push(mode === 2 && rng.chance(0.5) ? mutate(rng, frame) : frame);
        }
      }
      outcomes[await session(rng.chance(0.5) ? p1 : p2, chunks)]++;
    }
    console.log(`cluster-fuzz outcomes: ${JSON.stringify(outcomes)}`);
    // Every node still serves and the data is intact, seen from a fresh session on another server.
    const st = await s.cluster.status();
    assert.is(Object.keys(st).length, 3, 'every node answers');
    await rawSync(p2);
    const other = await connect(`127.0.0.1:${p2}`);
    try {
      const [data] = await call<[Buffer, any]>((cb) => other.getData('/fuzzkeep', cb));
      assert.is(data.toString(), 'precious');
      const [children] = await call<[string[], any]>((cb) => other.getChildren('/fuzzkeep', cb));
      assert.equal(children, ['child']);
    } finally {
      await closeClient(other);
    }
    const [d1] = await call<[Buffer, any]>((cb) => client.getData('/fuzzkeep/child', cb));
    assert.is(d1.toString(), 'c');
  } finally {
    if (client) await closeClient(client);
    await s.close();
  }
});

test.run();
