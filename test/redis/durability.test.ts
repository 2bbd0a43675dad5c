/**
 * Acknowledged Redis writes are durable on a 3-process ensemble (`conclave node` members, ioredis on each member's
 * RESP port): pipelined SETs and INCRs from a client on every member while the leader is SIGKILLed (a minority),
 * then every member SIGKILLed and all restarted; every acknowledged SET is read back from every member, both
 * linearizably and from the member's own state (READONLY), and every counter is at least its acknowledged INCRs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Redis } from 'ioredis';
import { Ensemble, waitForLeader } from '../node/helpers.js';

const ids = [1, 2, 3];
const electionTimeoutMs = 30_000;
/** Commands per pipeline, pipelines per writer: bounds of the load. */
const pipelineCommands = 16;
const pipelinesPerWriterMax = 400;
/** Writes before the kill, and after it on the survivors. */
const writeBeforeKillMs = 1_500;
const writeAfterKillMs = 2_000;
/** Keys per MGET when reading back. */
const readChunkKeys = 500;

const ens = new Ensemble(ids);
const clients: Redis[] = [];
const connect = async (id: number, retry: boolean): Promise<Redis> => {
  const r = new Redis({
    port: ens.ports.get(id)!.redis,
    host: '127.0.0.1',
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    // a killed member's client gives up; the survivors' clients keep their connection
    retryStrategy: retry ? () => 100 : () => null,
  });
  r.on('error', () => undefined);
  clients.push(r);
  await new Promise((ready) => r.once('ready', ready));
  return r;
};

test.before(async () => {
  await ens.write('conclave-redis-durable-');
  await Promise.all(ids.map((id) => ens.start(id)));
  await waitForLeader([...ens.ports.values()], electionTimeoutMs);
});

test.after(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  await ens.dispose();
});

interface Acked {
  /** key → value of every acknowledged SET (each key written once). */
  readonly sets: Map<string, string>;
  /** counter key → acknowledged INCRs. */
  readonly incrs: Map<string, number>;
  errors: number;
}

/** One writer: pipelines of SETs (unique keys) and one INCR each, until `stop()` or its bound; records what was acknowledged. */
async function writer(r: Redis, name: string, acked: Acked, stopped: () => boolean): Promise<void> {
  const counter = `ctr:${name}`;
  for (let p = 0; p < pipelinesPerWriterMax && !stopped(); p++) {
    const pipe = r.pipeline();
    const keys: string[] = [];
    for (let i = 0; i < pipelineCommands - 1; i++) {
      const k = `k:${name}:${p}:${i}`;
      keys.push(k);
      pipe.set(k, `v:${p}:${i}`);
    }
    pipe.incr(counter);
    let res: [Error | null, unknown][] | null;
    try {
      res = await pipe.exec();
    } catch {
      res = null;
    }
    if (res === null) {
      acked.errors += pipelineCommands;
      await new Promise((t) => setTimeout(t, 50));
      continue;
    }
    keys.forEach((k, i) => {
      const [e, v] = res![i]!;
      if (e === null && v === 'OK') acked.sets.set(k, `v:${p}:${i}`);
      else acked.errors++;
    });
    const [e] = res[pipelineCommands - 1]!;
    if (e === null) acked.incrs.set(counter, (acked.incrs.get(counter) ?? 0) + 1);
    else acked.errors++;
  }
}

test('acknowledged SETs and INCRs survive SIGKILL of the leader and then of every member, read back from every member', async () => {
  const leader = await waitForLeader([...ens.ports.values()], electionTimeoutMs);
  const acked: Acked = { sets: new Map(), incrs: new Map(), errors: 0 };
  let stop = false;
  const conns = await Promise.all(ids.map((id) => connect(id, id !== leader)));
  const writers = ids.map((id, i) => writer(conns[i]!, `n${id}`, acked, () => stop));
  await new Promise((t) => setTimeout(t, writeBeforeKillMs));
  const before = acked.sets.size;
  ens.member(leader).signal('SIGKILL');
  await ens.member(leader).exited;
  const survivors = ids.filter((id) => id !== leader);
  await waitForLeader(survivors.map((id) => ens.ports.get(id)!), electionTimeoutMs, leader);
  const atElection = acked.sets.size;
  await new Promise((t) => setTimeout(t, writeAfterKillMs));
  stop = true;
  await Promise.all(writers);
  console.log(`  acknowledged ${before} SETs before the leader's SIGKILL, ${atElection} by the new election, ${acked.sets.size} in all; ${acked.errors} refused or lost`);
  assert.ok(before > 0, 'writes were acknowledged before the kill');
  assert.ok(acked.sets.size > atElection, 'the survivors took writes after the kill');
  for (const c of clients.splice(0)) c.disconnect();

  // every member down hard (no clean shutdown), then all of them up again on their data dirs
  for (const id of survivors) ens.member(id).signal('SIGKILL');
  await Promise.all(survivors.map((id) => ens.member(id).exited));
  await Promise.all(ids.map((id) => ens.start(id)));
  await waitForLeader([...ens.ports.values()], electionTimeoutMs);

  const keys = [...acked.sets.keys()];
  for (const id of ids) {
    const r = await connect(id, true);
    for (const mode of ['linearizable', 'local'] as const) {
      if (mode === 'local') assert.is(await r.call('readonly'), 'OK');
      let missing = 0;
      for (let i = 0; i < keys.length; i += readChunkKeys) {
        const chunk = keys.slice(i, i + readChunkKeys);
        const got = await r.mget(...chunk);
        chunk.forEach((k, j) => {
          if (got[j] !== acked.sets.get(k)) missing++;
        });
      }
      assert.is(missing, 0, `n${id} (${mode}): ${missing} of ${keys.length} acknowledged SETs missing or wrong`);
      for (const [ctr, n] of acked.incrs) {
        const v = Number(await r.get(ctr));
        assert.ok(v >= n, `n${id} (${mode}): ${ctr} is ${v}, below its ${n} acknowledged INCRs`);
      }
    }
  }
});

test.run();
