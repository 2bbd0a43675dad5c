/**
 * A reliable job queue on BLMOVE (Redis's "reliable queue" pattern) against a conclave cluster, with ioredis:
 *
 *   producer:  RPUSH jobs <job> ...
 *   worker w:  BLMOVE jobs processing:<w> LEFT RIGHT <timeout>  → run the job → LREM processing:<w> 1 <job>
 *
 * Each worker has its own processing list, so a job taken is in exactly one place until it is done. When a
 * worker's connection fails (its node died, a leader change answered TRYAGAIN) it connects to another node and
 * first recovers: every job still in its processing list is run unless it already ran (the worker remembers), then
 * removed. A BLMOVE that was applied but whose answer was lost is thereby found; one that was not applied left the
 * job in `jobs`. With conclave's blocking serves applied at most once (see docs/blocking.md), no job is lost and
 * none runs twice, whichever node is killed.
 *
 * Run: node dist/examples/job-queue.js <port> [<port> ...] — enqueues `jobsDefault` jobs and works them off with
 * one worker per port, then prints how many ran.
 */
import { Redis } from 'ioredis';

export const jobsDefault = 150;
/** Jobs per RPUSH of the producer. */
export const jobsPerPushMax = 50;
/** A worker's BLMOVE waits at most this long (seconds) before it looks whether it should stop. */
export const blockSeconds = 0.5;
/** A worker gives up after this many failed connections in a row. */
export const reconnectsMax = 100;
export const reconnectDelayMs = 200;

export interface QueueOptions {
  readonly ports: readonly number[];
  readonly queue?: string;
}

const connect = (port: number): Redis => {
  const r = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, enableOfflineQueue: false, autoResendUnfulfilledCommands: false, retryStrategy: () => null, lazyConnect: true });
  r.on('error', () => undefined);
  return r;
};

/** Enqueues job ids `job:0` … (before any failure: a refused RPUSH is not retried, it throws). */
export async function produce(o: QueueOptions, jobs: number): Promise<string[]> {
  const r = connect(o.ports[0]!);
  await r.connect();
  const ids = Array.from({ length: jobs }, (_, i) => `job:${i}`);
  try {
    for (let i = 0; i < ids.length; i += jobsPerPushMax) await r.rpush(o.queue ?? 'jobs', ...ids.slice(i, i + jobsPerPushMax));
  } finally {
    r.disconnect();
  }
  return ids;
}

/**
 * One worker: takes jobs until `stop()` is true and its processing list is empty; `run` is called once per job it
 * takes. Moves to the next port whenever a command fails.
 */
export async function worker(o: QueueOptions, name: string, run: (job: string) => Promise<void>, stop: () => boolean): Promise<void> {
  const queue = o.queue ?? 'jobs';
  const processing = `processing:${name}`;
  const ran = new Set<string>();
  let portIndex = name.length % o.ports.length;
  let r: Redis | null = null;
  let recover = true;
  let failures = 0;
  const runOnce = async (job: string): Promise<void> => {
    if (ran.has(job)) return;
    ran.add(job);
    await run(job);
  };
  for (;;) {
    try {
      if (r === null) {
        r = connect(o.ports[portIndex % o.ports.length]!);
        await r.connect();
      }
      if (recover) {
        for (const job of await r.lrange(processing, 0, -1)) {
          await runOnce(job);
          await r.lrem(processing, 1, job);
        }
        recover = false;
      }
      if (stop()) break;
      const job = await r.blmove(queue, processing, 'LEFT', 'RIGHT', blockSeconds);
      failures = 0;
      if (job === null) continue;
      await runOnce(job);
      await r.lrem(processing, 1, job);
    } catch {
      if (++failures > reconnectsMax) throw new Error(`worker ${name}: no node answered ${reconnectsMax} times in a row`);
      r?.disconnect();
      r = null;
      recover = true;
      portIndex++;
      await new Promise((t) => setTimeout(t, reconnectDelayMs));
    }
  }
  r?.disconnect();
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const ports = process.argv.slice(2).map(Number);
  if (ports.length === 0) {
    console.error('usage: node dist/examples/job-queue.js <port> [<port> ...]');
    process.exit(2);
  }
  const ids = await produce({ ports }, jobsDefault);
  const done = new Set<string>();
  await Promise.all(
    ports.map((_, i) =>
      worker({ ports }, `w${i}`, async (job) => void done.add(job), () => done.size >= ids.length),
    ),
  );
  console.log(`${done.size} of ${ids.length} jobs ran`);
}
