/**
 * A client writing continuously, as the failover bench and the tcp ensemble test use it: one create at a time
 * (`<prefix>-<n>` with data `v<n>`), each retried on ZkUnavailableError (a leader change: outcome unknown) until it
 * is acknowledged. A retry answered NODEEXISTS means the earlier attempt committed: acknowledged too (the paths are
 * unique to this writer). Every acknowledgement is recorded with its time and zxid.
 */
import { Err, OPEN_ACL_UNSAFE } from '../src/protocol/txn.js';
import { ZkError, ZkUnavailableError, type ZkClient } from '../src/cluster.js';

/** Pause between retries of one write (the service answers at once while it has no leader). */
export const writeRetryPauseMs = 2;
/** Attempts of one write at most before the writer gives up (and reports it). */
export const writeAttemptsMax = 50_000;

export interface Ack {
  readonly path: string;
  readonly data: string;
  readonly atMs: number;
  /** Zxid that committed it (-1 when known only from a NODEEXISTS retry). */
  readonly zxid: number;
}

export class ContinuousWriter {
  readonly acks: Ack[] = [];
  retries = 0;
  failures: string[] = [];
  private stopped = false;
  private done: Promise<void> | null = null;

  constructor(
    private readonly client: ZkClient,
    private readonly prefix: string,
    /** Writes at most (the time bound is `stop()`). */
    private readonly writesMax: number,
  ) {}

  start(): void {
    this.done = this.loop();
  }

  /** Stop after the write in flight is acknowledged (or given up). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }

  private async loop(): Promise<void> {
    for (let n = 0; n < this.writesMax && !this.stopped; n++) {
      const path = `${this.prefix}-${n}`;
      const data = `v${n}`;
      let retried = false;
      for (let attempt = 1; ; attempt++) {
        try {
          const { zxid, result } = await this.client.write({ type: 'Create', path, data: new TextEncoder().encode(data), acl: OPEN_ACL_UNSAFE, mode: 0 });
          if (result.type === 'Error') {
            if (result.err === Err.NODEEXISTS && retried) {
              this.acks.push({ path, data, atMs: performance.now(), zxid: -1 });
              break;
            }
            throw new ZkError(result.err, `create ${path}`);
          }
          this.acks.push({ path, data, atMs: performance.now(), zxid });
          break;
        } catch (e) {
          if (!(e instanceof ZkUnavailableError)) {
            this.failures.push(`${path}: ${(e as Error).message}`);
            return;
          }
          if (attempt >= writeAttemptsMax) {
            this.failures.push(`${path}: gave up after ${attempt} attempts (${e.message})`);
            return;
          }
          retried = true;
          this.retries++;
          await new Promise((r) => setTimeout(r, writeRetryPauseMs));
        }
      }
    }
  }
}

/** The longest gap between successive acknowledgements within [fromMs, toMs], and where it started. */
export function longestGap(acks: readonly Ack[], fromMs: number, toMs: number): { gapMs: number; startMs: number } {
  let best = { gapMs: 0, startMs: Number.NaN };
  let prev: number | null = null;
  for (const a of acks) {
    if (a.atMs < fromMs) {
      prev = a.atMs;
      continue;
    }
    if (a.atMs > toMs) break;
    if (prev !== null && a.atMs - prev > best.gapMs) best = { gapMs: a.atMs - prev, startMs: prev };
    prev = a.atMs;
  }
  return best;
}

/** How long a read-back waits for a node that is not serving (an election under way) before it gives up. */
export const verifyUnavailableMaxMs = 20_000;
const verifyRetryPauseMs = 50;

/** Retries `fn` while the node answers "not serving" (ZkUnavailableError), within verifyUnavailableMaxMs. */
async function whenServing<T>(fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof ZkUnavailableError) || Date.now() - t0 > verifyUnavailableMaxMs) throw e;
      await new Promise((r) => setTimeout(r, verifyRetryPauseMs));
    }
  }
}

/**
 * Read every acknowledged write back from each client's node after a `sync`; returns the writes that are missing
 * or differ, as `node: path` strings (at most `reportMax`).
 */
export async function verifyAcks(clients: readonly ZkClient[], acks: readonly Ack[], concurrency = 64, reportMax = 20): Promise<{ checked: number; lostCount: number; lost: string[] }> {
  const lost: string[] = [];
  let checked = 0;
  let lostCount = 0;
  const dec = new TextDecoder();
  for (const c of clients) {
    await whenServing(() => c.sync());
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < acks.length) {
        const a = acks[next++]!;
        let got: string | null;
        try {
          got = dec.decode((await whenServing(() => c.getData(a.path))).data);
        } catch (e) {
          if (!(e instanceof ZkError)) throw e;
          got = null;
        }
        checked++;
        if (got !== a.data) lostCount++;
        if (got !== a.data && lost.length < reportMax) lost.push(`${c.node}: ${a.path} ${got === null ? 'missing' : `has ${got}`}`);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
  }
  return { checked, lostCount, lost };
}
