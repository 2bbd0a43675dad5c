/**
 * A rate limiter on a conclave cluster, with ioredis as against Redis: at most `limit` hits per client in any
 * sliding window of `windowMs`, shared by every node (each hit is one MULTI/EXEC block replicated through ZAB).
 *
 * Sliding-window counter: a counter per fixed window (`<prefix>:<id>:<window number>`), INCR'd by each hit and
 * expiring two windows later; a hit is allowed when its counter plus the previous window's, weighted by how much
 * of that window still overlaps the sliding one, stays within the limit. A refused hit gives its INCR back (DECR),
 * so the counters hold allowed hits only, and concurrent hits never allow more than `limit` in a window.
 *
 *   npm run build && node dist/examples/rate-limiter.js     (a 3-node cluster, 3 clients on 3 nodes)
 */
import { Redis } from 'ioredis';
import { fileURLToPath } from 'node:url';
import { createCluster } from '../src/cluster.js';

export interface RateLimiterOptions {
  /** Hits allowed per sliding window. */
  readonly limit: number;
  readonly windowMs: number;
  readonly prefix?: string;
  /** The clock (unix ms); tests pass their own. */
  readonly nowMs?: () => number;
}

export interface Verdict {
  readonly allowed: boolean;
  /** Allowed hits counted in the sliding window, this one included when allowed. */
  readonly count: number;
}

export class RateLimiter {
  private readonly prefix: string;
  private readonly nowMs: () => number;
  constructor(
    private readonly redis: Redis,
    private readonly opts: RateLimiterOptions,
  ) {
    this.prefix = opts.prefix ?? 'rate';
    this.nowMs = opts.nowMs ?? Date.now;
  }

  async hit(id: string): Promise<Verdict> {
    const { limit, windowMs } = this.opts;
    const now = this.nowMs();
    const window = Math.floor(now / windowMs);
    const key = `${this.prefix}:${id}:${window}`;
    const replies = await this.redis
      .multi()
      .incr(key)
      .pexpire(key, 2 * windowMs, 'NX')
      .get(`${this.prefix}:${id}:${window - 1}`)
      .exec();
    if (replies === null) throw new Error('rate limiter: transaction aborted');
    for (const [e] of replies) if (e !== null) throw e;
    const current = Number(replies[0]![1]);
    const previous = Number(replies[2]![1] ?? 0);
    const overlap = 1 - (now - window * windowMs) / windowMs;
    const count = current + Math.floor(previous * overlap);
    if (count <= limit) return { allowed: true, count };
    await this.redis.decr(key);
    return { allowed: false, count: count - 1 };
  }
}

/** The demo: `hits` hits from three clients on three nodes, in turn; the verdicts in order. */
export async function demo(hits = 15, limit = 10, nowMs: () => number = Date.now): Promise<Verdict[]> {
  const cluster = await createCluster({ nodes: 3 });
  const clients: Redis[] = [];
  try {
    await cluster.waitForLeader(20_000);
    await cluster.waitForAllServing(10_000);
    for (const port of cluster.redisPorts.values()) clients.push(new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 }));
    const limiters = clients.map((r) => new RateLimiter(r, { limit, windowMs: 60_000, nowMs }));
    const out: Verdict[] = [];
    for (let i = 0; i < hits; i++) out.push(await limiters[i % limiters.length]!.hit('client-42'));
    return out;
  } finally {
    for (const c of clients) c.disconnect();
    await cluster.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const verdicts = await demo();
  verdicts.forEach((v, i) => console.log(`hit ${i + 1}: ${v.allowed ? 'allowed' : 'refused'} (${v.count} in the window)`));
}
