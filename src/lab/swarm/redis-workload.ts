/**
 * The ensemble swarm's own Redis commands (src/lab/swarm/ensemble-swarm.ts), beside the lab's Redis clients it also
 * runs (registers, counters, lists and MULTI, checked for linearizability by src/lab/check): what those checkers do
 * not model — pops and expiry. The swarm's clients send them to a node's `redis` actor; the swarm's digest checks
 * (every replica applies the same history, tree and keyspace digest after each txn) cover their effects, and these
 * checks cover what the clients were told:
 *
 *  - a queue (`RPUSH q <unique element>`, `LPOP q`): no element is popped twice or present twice; every element the
 *    final list or an acknowledged pop holds was pushed; an acknowledged push missing from both is only allowed for as
 *    many pops as had an unknown outcome;
 *  - strings with expiry (`SET s:i v PX ms`, `PEXPIRE`, `DEL`) and linearizable reads of them: a read answers a value
 *    that some SET wrote, or nil. Active expiry (the leader's `RedisExpire` txns) runs throughout.
 *
 * A request whose answer is an error (`TRYAGAIN` after a leader change) or that times out has an unknown outcome.
 */
import type { Rng } from '../../core/rng.js';
import type { Keyspace } from '../../core/keyspace/index.js';
import type { RedisRequest } from '../../protocol/keyspace.js';
import type { Argv, Reply } from '../../protocol/resp.js';

/** String keys with expiry the workload writes. */
const stringKeysCount = 6;
/** The longest relative expiry a SET or PEXPIRE sets. */
const expiryMaxMs = 300;
const queueKey = 'q';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const argv = (...parts: string[]): Argv => parts.map(enc);

/** One request and what to do with its answer. */
export interface RedisOp {
  readonly request: RedisRequest;
  readonly what: string;
  /** The answer (an `Error` reply means an unknown outcome for a write). */
  answered(reply: Reply): void;
  /** No answer (timeout, lost): an unknown outcome. */
  unknown(): void;
}

export class SwarmRedisWorkload {
  private readonly pushed = new Set<string>();
  private readonly pushAcked = new Set<string>();
  private readonly popped = new Set<string>();
  private popsUnknown = 0;
  /** Pops not answered yet (at the end: outcome unknown). */
  private popsPending = 0;
  /** Values ever written to each string key. */
  private readonly written = new Map<string, Set<string>>();
  private seq = 0;
  readonly failures: string[] = [];
  opsIssued = 0;
  opsAnswered = 0;

  constructor(private readonly r: Rng) {}

  private fail(text: string): void {
    if (this.failures.length < 20) this.failures.push(text);
  }

  private pushAnswered(el: string, reply: Reply, what: string): void {
    if (reply.kind !== 'Int') return this.fail(`${what} answered ${JSON.stringify(reply)}`);
    this.pushAcked.add(el);
  }

  /** The next request of client `client`. */
  next(client: number): RedisOp {
    const r = this.r;
    this.opsIssued++;
    const roll = r.next();
    const write = (commands: Argv[], exec: boolean): RedisRequest => ({ type: 'RedisWrite', db: 0, commands, exec, watched: [] });
    const done = (what: string, onReply: (reply: Reply) => void, onUnknown: () => void = () => {}): Pick<RedisOp, 'answered' | 'unknown'> => ({
      answered: (reply) => {
        this.opsAnswered++;
        if (reply.kind === 'Error') {
          if (!reply.text.startsWith('TRYAGAIN')) this.fail(`${what} answered the error ${reply.text}`);
          return onUnknown();
        }
        onReply(reply);
      },
      unknown: onUnknown,
    });
    if (roll < 0.35) {
      const el = `e${client}-${++this.seq}`;
      this.pushed.add(el);
      const what = `RPUSH ${queueKey} ${el}`;
      return { request: write([argv('RPUSH', queueKey, el)], false), what, ...done(what, (reply) => this.pushAnswered(el, reply, what)) };
    }
    if (roll < 0.6) {
      const what = `LPOP ${queueKey}`;
      this.popsPending++;
      const settled = () => this.popsPending--;
      return {
        request: write([argv('LPOP', queueKey)], false),
        what,
        ...done(
          what,
          (reply) => {
            settled();
            if (reply.kind === 'Null') return;
            if (reply.kind !== 'Bulk') return this.fail(`${what} answered ${JSON.stringify(reply)}`);
            const el = dec(reply.bytes);
            if (this.popped.has(el)) this.fail(`${what}: ${el} was popped twice`);
            if (!this.pushed.has(el)) this.fail(`${what}: ${el} was never pushed`);
            this.popped.add(el);
          },
          () => {
            settled();
            this.popsUnknown++;
          },
        ),
      };
    }
    const key = `s:${r.int(0, stringKeysCount - 1)}`;
    if (roll < 0.8) {
      const value = `v${client}-${++this.seq}`;
      let values = this.written.get(key);
      if (values === undefined) this.written.set(key, (values = new Set()));
      values.add(value);
      const a = r.chance(0.6) ? argv('SET', key, value, 'PX', String(r.int(1, expiryMaxMs))) : argv('SET', key, value);
      const what = a.map(dec).join(' ');
      return { request: write([a], false), what, ...done(what, (reply) => reply.kind !== 'Simple' && this.fail(`${what} answered ${JSON.stringify(reply)}`)) };
    }
    if (roll < 0.87) {
      const a = r.chance(0.5) ? argv('PEXPIRE', key, String(r.int(1, expiryMaxMs))) : argv('DEL', key);
      const what = a.map(dec).join(' ');
      return { request: write([a], false), what, ...done(what, (reply) => reply.kind !== 'Int' && this.fail(`${what} answered ${JSON.stringify(reply)}`)) };
    }
    const what = `GET ${key}`;
    return {
      request: { type: 'RedisRead', db: 0, argv: argv('GET', key), local: false },
      what,
      ...done(what, (reply) => {
        if (reply.kind === 'Null') return;
        if (reply.kind !== 'Bulk') return this.fail(`${what} answered ${JSON.stringify(reply)}`);
        if (!this.written.get(key)?.has(dec(reply.bytes))) this.fail(`${what} answered ${dec(reply.bytes)}, which no SET wrote`);
      }),
    };
  }

  /** The end, on a converged node's keyspace at `nowMs`: the checks of the module comment. */
  finalCheck(ks: Keyspace, nowMs: number): string[] {
    const list = ks.read(0, argv('LRANGE', queueKey, '0', '-1'), nowMs);
    const held = list.kind === 'Array' ? list.items.map((x) => (x.kind === 'Bulk' ? dec(x.bytes) : '?')) : [];
    const inList = new Set<string>();
    for (const el of held) {
      if (inList.has(el)) this.fail(`${el} is in ${queueKey} twice`);
      if (this.popped.has(el)) this.fail(`${el} is in ${queueKey} and was popped`);
      if (!this.pushed.has(el)) this.fail(`${el} is in ${queueKey} but was never pushed`);
      inList.add(el);
    }
    const missing = [...this.pushAcked].filter((el) => !inList.has(el) && !this.popped.has(el));
    if (missing.length > this.popsUnknown + this.popsPending) {
      this.fail(`${missing.length} acknowledged pushes are neither in ${queueKey} nor popped, with ${this.popsUnknown + this.popsPending} pops of unknown outcome: ${missing.slice(0, 5).join(', ')}`);
    }
    return this.failures;
  }
}
