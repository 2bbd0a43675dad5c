/**
 * The ensemble swarm's expiring keys (src/lab/swarm/ensemble-swarm.ts), beside the lab's Redis clients it also runs
 * (registers, counters, lists, queues and MULTI, checked by src/lab/check): what those checkers do not model. The
 * swarm's clients send `SET s:i v [PX ms]`, `PEXPIRE`, `DEL` and linearizable `GET`s to a node's `redis` actor while
 * the leader's active expiry (`RedisExpire` txns) runs; the swarm's digest checks (every replica applies the same
 * history, tree and keyspace digest after each txn) cover their effects, and a GET must answer a value some SET
 * wrote, or nil. An answer that is an error other than `TRYAGAIN` (a leader change: outcome unknown) is a failure.
 */
import type { Rng } from '../../core/rng.js';
import type { RedisRequest } from '../../protocol/keyspace.js';
import type { Argv, Reply } from '../../protocol/resp.js';

/** String keys the workload writes. */
const stringKeysCount = 6;
/** The longest relative expiry a SET or PEXPIRE sets. */
const expiryMaxMs = 300;

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const argv = (...parts: string[]): Argv => parts.map(enc);

/** One request and what to do with its answer. */
export interface ExpiryOp {
  readonly request: RedisRequest;
  readonly what: string;
  answered(reply: Reply): void;
}

export class SwarmRedisWorkload {
  /** Values ever written to each key. */
  private readonly written = new Map<string, Set<string>>();
  private seq = 0;
  readonly failures: string[] = [];

  constructor(private readonly r: Rng) {}

  private fail(text: string): void {
    if (this.failures.length < 20) this.failures.push(text);
  }

  /** The next request of client `client`. */
  next(client: number): ExpiryOp {
    const r = this.r;
    const key = `s:${r.int(0, stringKeysCount - 1)}`;
    const roll = r.next();
    const answered = (what: string, ok: (reply: Reply) => string | null) => (reply: Reply) => {
      if (reply.kind === 'Error') {
        if (!reply.text.startsWith('TRYAGAIN')) this.fail(`${what} answered the error ${reply.text}`);
        return;
      }
      const wrong = ok(reply);
      if (wrong !== null) this.fail(`${what} answered ${wrong}`);
    };
    if (roll < 0.6) {
      const a = r.chance(0.5) ? argv('GET', key) : null;
      if (a !== null) {
        const what = `GET ${key}`;
        return {
          request: { type: 'RedisRead', db: 0, argv: a, local: false },
          what,
          answered: answered(what, (reply) => {
            if (reply.kind === 'Null') return null;
            if (reply.kind !== 'Bulk') return JSON.stringify(reply);
            return this.written.get(key)?.has(dec(reply.bytes)) ? null : `${dec(reply.bytes)}, which no SET wrote`;
          }),
        };
      }
      const value = `v${client}-${++this.seq}`;
      let values = this.written.get(key);
      if (values === undefined) this.written.set(key, (values = new Set()));
      values.add(value);
      const set = r.chance(0.7) ? argv('SET', key, value, 'PX', String(r.int(1, expiryMaxMs))) : argv('SET', key, value);
      const what = set.map(dec).join(' ');
      return { request: { type: 'RedisWrite', db: 0, commands: [set], exec: false, watched: [] }, what, answered: answered(what, (reply) => (reply.kind === 'Simple' ? null : JSON.stringify(reply))) };
    }
    const a = r.chance(0.6) ? argv('PEXPIRE', key, String(r.int(1, expiryMaxMs))) : argv('DEL', key);
    const what = a.map(dec).join(' ');
    return { request: { type: 'RedisWrite', db: 0, commands: [a], exec: false, watched: [] }, what, answered: answered(what, (reply) => (reply.kind === 'Int' ? null : JSON.stringify(reply))) };
  }
}
