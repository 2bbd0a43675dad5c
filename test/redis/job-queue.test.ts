/**
 * examples/job-queue.ts (a reliable queue on BLMOVE) on a 3-process ensemble: 150 jobs, one worker per member,
 * the leader SIGKILLed while the jobs are worked off; every job runs exactly once and no list keeps a job.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Redis } from 'ioredis';
import { Ensemble, waitForLeader } from '../node/helpers.js';
import { produce, worker } from '../../examples/job-queue.js';

const ids = [1, 2, 3];
const electionTimeoutMs = 30_000;
const jobs = 150;
/** Jobs done before the leader is killed. */
const jobsBeforeKill = 40;
/** How long one job takes. */
const jobMs = 5;
/** Every job must be done within this. */
const allDoneMs = 90_000;

const ens = new Ensemble(ids);

test.before(async () => {
  await ens.write('conclave-job-queue-');
  await Promise.all(ids.map((id) => ens.start(id)));
  await waitForLeader([...ens.ports.values()], electionTimeoutMs);
});

test.after(async () => {
  await ens.dispose();
});

test('BLMOVE job queue: the leader SIGKILLed mid-run, no job lost, none run twice', async () => {
  const leader = await waitForLeader([...ens.ports.values()], electionTimeoutMs);
  const ports = ids.map((id) => ens.ports.get(id)!.redis);
  const queued = await produce({ ports }, jobs);
  const runs = new Map<string, number>();
  const t0 = Date.now();
  const stop = (): boolean => runs.size >= jobs || Date.now() - t0 > allDoneMs;
  const run = async (job: string): Promise<void> => {
    runs.set(job, (runs.get(job) ?? 0) + 1);
    await new Promise((t) => setTimeout(t, jobMs));
  };
  const workers = ids.map((id) => worker({ ports: [ports[id - 1]!, ...ports.filter((_, i) => i !== id - 1)] }, `w${id}`, run, stop));
  while (runs.size < jobsBeforeKill && Date.now() - t0 < allDoneMs) await new Promise((t) => setTimeout(t, 5));
  ens.member(leader).signal('SIGKILL');
  await ens.member(leader).exited;
  const killedAt = runs.size;
  await Promise.all(workers);
  console.log(`  ${killedAt} jobs ran before the leader (n${leader}) was killed, ${runs.size} in all, ${Date.now() - t0} ms`);
  assert.ok(killedAt < jobs, 'the kill came while jobs were left');
  const twice = [...runs].filter(([, n]) => n > 1).map(([j]) => j);
  assert.equal(twice, [], 'no job ran twice');
  assert.equal([...runs.keys()].sort(), [...queued].sort(), 'every job ran');
  const survivor = ids.find((id) => id !== leader)!;
  const r = new Redis({ port: ens.ports.get(survivor)!.redis, host: '127.0.0.1' });
  try {
    assert.is(await r.llen('jobs'), 0);
    for (const id of ids) assert.is(await r.llen(`processing:w${id}`), 0, `processing:w${id} is empty`);
  } finally {
    r.disconnect();
  }
});

test.run();
