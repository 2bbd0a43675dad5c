/**
 * Large client values on a 3-process ensemble are carried whole: many ZooKeeper writes of ~1 MB (jute.maxbuffer)
 * at once, and Redis SET/MSET of several MB, go through the leader's proposals, the peer links' frames and the
 * followers' logs (before the frame, merge and write bounds, 8 MB of them in flight broke the peer link and the
 * ensemble re-elected without end). Every write is read back from every member; a client retries a write that a
 * leader change interrupted, as real clients do, and the elections seen are printed (on a quiet machine there are
 * none; on the loaded shared one, moving tens of MB can stall a process past the liveness limit). A value too
 * large for the replicated log gets a clear error and changes nothing.
 */
import { Redis } from 'ioredis';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeClient, connect } from '../zookeeper/cluster-helpers.js';
import { Ensemble, admin, waitForLeader } from './helpers.js';

const ids = [1, 2, 3];
/**
 * ZAB's tick for this ensemble: 100 ms, so 500 ms of silence drops a peer. Moving tens of MB through three
 * processes costs a few hundred ms of copying on the shared 2-core machine (the consensus thread's stalls are
 * printed with SHOW_OUTPUT=1); what this test guards is that the peer path carries large values whole (frame,
 * merge and write bounds), not the liveness limit (test/node/client-input.test.ts runs at the default).
 */
const zabTickMs = 100;
const electionTimeoutMs = 15_000;
/** ZooKeeper writes of ~1 MB in flight at once (together more than the 8 MiB one peer frame used to hold). */
const zkBigWrites = 10;
const zkValueBytes = 1_000_000;

const ens = new Ensemble(ids);
test.before(async () => {
  await ens.write('conclave-large-', `zabTickMs=${zabTickMs}`);
  await Promise.all(ids.map((id) => ens.start(id)));
});
test.after(async () => {
  if (process.env.SHOW_OUTPUT)
    for (const id of ids) {
      const m = await admin(ens.ports.get(id)!.admin, 'mntr');
      const stalls = Object.entries(m ?? {}).filter(([k]) => k.includes('loop_stall'));
      console.log(`--- n${id} ${JSON.stringify(stalls)}\n${ens.member(id).output}`);
    }
  return ens.dispose();
});

/** Attempts of one write interrupted by a leader change. */
const writeAttemptsMax = 5;

async function retried<R>(what: string, f: () => Promise<R>, transient: (e: Error) => boolean): Promise<R> {
  for (let i = 1; ; i++) {
    try {
      return await f();
    } catch (e) {
      if (i >= writeAttemptsMax || !transient(e as Error)) throw e;
      console.log(`  ${what}: ${(e as Error).message.slice(0, 60)}; again`);
      await waitForLeader([...ens.ports.values()], electionTimeoutMs);
    }
  }
}

const countElections = () => {
  let n = 0;
  const subs = ids.map((id) => ens.member(id).gateway.events$.subscribe((e) => void (e.type === 'LeaderElected' && n++)));
  return { count: () => n, stop: () => subs.forEach((s) => s.unsubscribe()) };
};

test('ZooKeeper: 10 writes of 1 MB at once (more than the old 8 MiB peer frame) all land on every member', async () => {
  const all = [...ens.ports.values()];
  await waitForLeader(all, electionTimeoutMs);
  const elections = countElections();
  const connectString = ids.map((id) => `127.0.0.1:${ens.ports.get(id)!.client}`);
  // each client lists one member first (the writes spread over all three), then the others to move to
  const clients = await Promise.all(ids.map((_, i) => connect([...connectString.slice(i), ...connectString.slice(0, i)].join(','), { sessionTimeout: 30_000 })));
  try {
    // a create that a leader change interrupted may have applied: NODE_EXISTS then means done
    const create = (c: any, path: string, data: Buffer) =>
      retried(
        path,
        () => new Promise<void>((res, rej) => c.create(path, data, (e: any) => (e && e.getCode?.() !== -110 ? rej(e) : res()))),
        (e) => /CONNECTION_LOSS|OPERATION_TIMEOUT/.test(e.message),
      );
    const get = (c: any, path: string) => new Promise<Buffer>((res, rej) => c.getData(path, (e: Error | null, d: Buffer) => (e ? rej(e) : res(d))));
    const value = (i: number) => Buffer.alloc(zkValueBytes, 65 + (i % 26));
    await Promise.all(Array.from({ length: zkBigWrites }, (_, i) => create(clients[i % clients.length], `/big${i}`, value(i))));
    for (const c of clients) {
      await new Promise<void>((res) => c.exists('/', () => res())); // a round trip on each
      for (let i = 0; i < zkBigWrites; i++) {
        const d = await get(c, `/big${i}`);
        assert.ok(d.equals(value(i)), `/big${i}`);
      }
    }
    console.log(`  ${elections.count()} leader elections during the writes`);
  } finally {
    elections.stop();
    for (const c of clients) await closeClient(c);
  }
});

test('Redis: SET of 6 MB and MSET of 4 x 2 MB land on every member; 40 MB gets an error and changes nothing', async () => {
  const all = [...ens.ports.values()];
  await waitForLeader(all, electionTimeoutMs);
  const elections = countElections();
  const rs = ids.map((id) => new Redis({ port: ens.ports.get(id)!.redis, host: '127.0.0.1', maxRetriesPerRequest: 1 }));
  // SET and MSET are idempotent: a client retries what a leader change interrupted (TRYAGAIN)
  const w = (what: string, f: () => Promise<unknown>) => retried(what, f, (e) => /^TRYAGAIN/.test(e.message));
  try {
    const six = 'x'.repeat(6_000_000);
    assert.is(await w('six', () => rs[1]!.set('six', six)), 'OK');
    const two = (i: number) => String(i).repeat(2_000_000);
    assert.is(await w('mset', () => rs[2]!.mset('m0', two(0), 'm1', two(1), 'm2', two(2), 'm3', two(3))), 'OK');
    await Promise.all([0, 1, 2].map((i) => w(`p${i}`, () => rs[i]!.set(`p${i}`, six))));
    for (const r of rs) {
      assert.is((await r.get('six'))?.length, six.length);
      for (let i = 0; i < 4; i++) assert.ok((await r.get(`m${i}`)) === two(i), `m${i}`);
      for (let i = 0; i < 3; i++) assert.is((await r.get(`p${i}`))?.length, six.length);
    }
    const huge = 'y'.repeat(40_000_000);
    const err = await rs[0]!.set('huge', huge).then(
      () => null,
      (e: Error) => e.message,
    );
    assert.ok(err !== null && /too large/.test(err), `40 MB: ${err}`);
    assert.is(await rs[0]!.exists('huge'), 0);
    console.log(`  ${elections.count()} leader elections during the writes`);
  } finally {
    elections.stop();
    for (const r of rs) r.disconnect();
  }
});

test.run();
