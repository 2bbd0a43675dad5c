/**
 * The ensemble swarm's own Redis clients (src/lab/swarm/ensemble-swarm.ts), beside the lab's (registers, counters,
 * lists, queues and MULTI, checked by src/lab/check): every type those checkers do not model, sent to a node's
 * `redis` actor. Strings with expiry (`SET s:i v [PX ms]`, `PEXPIRE`, `DEL`, `GET`) while the leader's active expiry
 * (`RedisExpire` txns) runs; hashes (HSET, HDEL, HINCRBY, HRANDFIELD); sets (SADD, SREM, SPOP with a count, SMOVE);
 * sorted sets (ZADD incl. INCR GT, ZINCRBY, ZPOPMIN/ZPOPMAX with a count, ZREMRANGEBYSCORE, ZUNIONSTORE); HyperLogLog
 * (PFADD, PFMERGE); streams with a consumer group (XADD `*` with MAXLEN ~, XGROUP CREATE MKSTREAM, XREADGROUP `>`,
 * XACK, XCLAIM, XAUTOCLAIM, XTRIM); MULTI blocks mixing them; now and then a CONFIG SET of an encoding threshold
 * (the logged `_encodingset`). The swarm's digest checks (every replica applies the same history, tree and keyspace
 * digest after each txn) cover their effects; this module checks what the answers say:
 * - a GET answers a value some SET wrote, or nil; a hash field a value some HSET wrote;
 * - no set or sorted-set element is popped more often than it was written (each SADD/ZADD writes a fresh element;
 *   ZINCRBY / ZADD INCR of an old one may write it again);
 * - no stream entry is delivered by `>` twice in a group (claims are not `>` deliveries), and each entry delivered
 *   carries a value some XADD wrote;
 * - an XADD's id is above every id of that stream acknowledged before the XADD was sent, and no two XADDs get one id;
 * - an answer that is an error is a failure, except `TRYAGAIN` (a leader change: outcome unknown), BUSYGROUP for
 *   XGROUP CREATE, and NOGROUP while no XGROUP CREATE of the stream is known to have taken effect.
 */
import type { Rng } from '../../core/rng.js';
import type { RedisRequest } from '../../protocol/keyspace.js';
import type { Argv, Reply } from '../../protocol/resp.js';

/** Keys of each type the workload writes. */
const keysPerType = 3;
/** Streams the workload writes (each with the consumer group `g`). */
const streamsCount = 2;
/** Consumers of the group. */
const consumersCount = 3;
/** Fields of a hash HSET writes, and its HINCRBY counters. */
const hashFieldsCount = 4;
/** The longest relative expiry a SET or PEXPIRE sets. */
const expiryMaxMs = 300;
/** Commands in one MULTI block, at most. */
const multiCommandsMax = 4;
/** Elements one SPOP / ZPOP / XREADGROUP / XAUTOCLAIM asks for, at most. */
const countMax = 3;
/** The approximate length XADD and XTRIM keep a stream at. */
const streamMaxLen = 20;
/** SREM, SMOVE, ZINCRBY and ZADD INCR pick among this many of the newest elements written. */
const recentMax = 30;
/** Failures kept, at most. */
const failuresMax = 20;

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const argv = (...parts: string[]): Argv => parts.map(enc);

/** One request and what to do with its answer. */
export interface SwarmRedisOp {
  readonly request: RedisRequest;
  readonly what: string;
  answered(reply: Reply): void;
}

/** One command and the check of its answer (a description of what is wrong, or null). */
interface Cmd {
  readonly argv: Argv;
  readonly read?: boolean;
  /** Error prefixes that are answers by design. */
  readonly allowed?: () => readonly string[];
  check(reply: Reply): string | null;
}

/** The leaves of a reply, as strings (arrays, maps and pairs flattened in order). */
function leaves(reply: Reply): string[] {
  switch (reply.kind) {
    case 'Bulk':
      return [dec(reply.bytes)];
    case 'Simple':
    case 'Verbatim':
      return [reply.text];
    case 'Int':
    case 'Double':
      return [String(reply.value)];
    case 'Array':
    case 'Set':
    case 'Push':
      return reply.items.flatMap(leaves);
    case 'Map':
      return reply.entries.flatMap(([k, v]) => [...leaves(k), ...leaves(v)]);
    case 'Pairs':
      return reply.pairs.flatMap(([k, v]) => [...leaves(k), ...leaves(v)]);
    default:
      return [];
  }
}

const isArray = (r: Reply): boolean => r.kind === 'Array' || r.kind === 'Map' || r.kind === 'Pairs' || r.kind === 'Set';
const shape = (ok: boolean, r: Reply): string | null => (ok ? null : JSON.stringify(r));
const intReply = (r: Reply): string | null => shape(r.kind === 'Int', r);
const okReply = (r: Reply): string | null => shape(r.kind === 'Simple', r);
const streamId = /^(\d+)-(\d+)$/;
/** Compares two stream ids (`ms-seq`). */
function idCmp(a: string, b: string): number {
  const [, am, as] = streamId.exec(a)!;
  const [, bm, bs] = streamId.exec(b)!;
  const d = BigInt(am!) - BigInt(bm!) || BigInt(as!) - BigInt(bs!);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

export class SwarmRedisWorkload {
  /** Values ever written to each string key / hash field (`key field`) / stream. */
  private readonly written = new Map<string, Set<string>>();
  /** How often each set / sorted-set element may have been written, and how often it was popped. */
  private readonly writes = new Map<string, number>();
  private readonly pops = new Map<string, number>();
  /** Set elements and sorted-set members written (to remove, move or update), the newest last. */
  private readonly elems: string[] = [];
  private readonly members: string[] = [];
  /** Per stream: the highest XADD id acknowledged, every id acknowledged, ids delivered by `>`, whether its group exists. */
  private readonly acked = new Map<string, string>();
  private readonly ids = new Set<string>();
  private readonly delivered = new Set<string>();
  private readonly grouped = new Set<string>();
  private seq = 0;
  readonly failures: string[] = [];

  constructor(private readonly r: Rng) {}

  private fail(text: string): void {
    if (this.failures.length < failuresMax) this.failures.push(text);
  }

  private wrote(key: string, value: string): void {
    let values = this.written.get(key);
    if (values === undefined) this.written.set(key, (values = new Set()));
    values.add(value);
  }

  private fresh(client: number): string {
    return `e${client}-${++this.seq}`;
  }

  /** The next request of client `client`. */
  next(client: number): SwarmRedisOp {
    const r = this.r;
    if (r.chance(0.15)) {
      const cmds = Array.from({ length: r.int(2, multiCommandsMax) }, () => this.write(client));
      const what = `MULTI ${cmds.map((c) => c.argv.map(dec).join(' ')).join('; ')} EXEC`;
      return {
        request: { type: 'RedisWrite', db: 0, commands: cmds.map((c) => c.argv), exec: true, watched: [] },
        what,
        answered: (reply) => {
          if (reply.kind === 'Error' && reply.text.startsWith('TRYAGAIN')) return;
          if (reply.kind !== 'Array' || reply.items.length !== cmds.length) return this.fail(`${what} answered ${JSON.stringify(reply)}`);
          cmds.forEach((c, i) => this.judge(c, reply.items[i]!, `${what} (command ${i + 1})`));
        },
      };
    }
    const cmd = r.chance(0.3) ? this.read() : this.write(client);
    const what = cmd.argv.map(dec).join(' ');
    const request: RedisRequest = cmd.read === true ? { type: 'RedisRead', db: 0, argv: cmd.argv, local: false } : { type: 'RedisWrite', db: 0, commands: [cmd.argv], exec: false, watched: [] };
    return { request, what, answered: (reply) => this.judge(cmd, reply, what) };
  }

  private judge(cmd: Cmd, reply: Reply, what: string): void {
    if (reply.kind === 'Error') {
      if (reply.text.startsWith('TRYAGAIN') || (cmd.allowed?.() ?? []).some((p) => reply.text.startsWith(p))) return;
      return this.fail(`${what} answered the error ${reply.text}`);
    }
    const wrong = cmd.check(reply);
    if (wrong !== null) this.fail(`${what} answered ${wrong}`);
  }

  private read(): Cmd {
    const r = this.r;
    const k = r.int(0, keysPerType - 1);
    if (r.chance(0.5)) {
      const key = `s:${k}`;
      return {
        argv: argv('GET', key),
        read: true,
        check: (reply) => {
          if (reply.kind === 'Null') return null;
          if (reply.kind !== 'Bulk') return JSON.stringify(reply);
          return this.written.get(key)?.has(dec(reply.bytes)) ? null : `${dec(reply.bytes)}, which no SET wrote`;
        },
      };
    }
    const key = `h:${k}`;
    return {
      argv: argv('HRANDFIELD', key, String(r.int(1, countMax)), 'WITHVALUES'),
      read: true,
      check: (reply) => {
        if (!isArray(reply)) return JSON.stringify(reply);
        const l = leaves(reply);
        for (let i = 0; i + 1 < l.length; i += 2) {
          const [field, value] = [l[i]!, l[i + 1]!];
          const ok = field.startsWith('n') ? /^-?\d+$/.test(value) : this.written.get(`${key} ${field}`)?.has(value) === true;
          if (!ok) return `${field} = ${value}, which no HSET or HINCRBY wrote`;
        }
        return null;
      },
    };
  }

  private write(client: number): Cmd {
    const r = this.r;
    const k = r.int(0, keysPerType - 1);
    const other = `${(k + r.int(1, keysPerType - 1)) % keysPerType}`;
    const roll = r.int(0, 24);
    if (roll < 4) {
      const key = `s:${k}`;
      if (roll === 0) return { argv: r.chance(0.6) ? argv('PEXPIRE', key, String(r.int(1, expiryMaxMs))) : argv('DEL', key), check: intReply };
      const value = `v${client}-${++this.seq}`;
      this.wrote(key, value);
      return { argv: r.chance(0.7) ? argv('SET', key, value, 'PX', String(r.int(1, expiryMaxMs))) : argv('SET', key, value), check: okReply };
    }
    if (roll < 7) {
      const key = `h:${k}`;
      const field = String(r.int(0, hashFieldsCount - 1));
      if (roll === 4) {
        const value = this.fresh(client);
        this.wrote(`${key} f${field}`, value);
        return { argv: argv('HSET', key, `f${field}`, value), check: intReply };
      }
      if (roll === 5) return { argv: argv('HINCRBY', key, `n${field}`, String(r.int(-5, 5))), check: intReply };
      return { argv: argv('HDEL', key, `f${field}`, `n${field}`), check: intReply };
    }
    if (roll < 11) {
      const key = `set:${k}`;
      if (roll === 7) {
        const elems = Array.from({ length: r.int(1, 3) }, () => this.fresh(client));
        for (const e of elems) this.writes.set(e, 1);
        this.elems.push(...elems);
        return { argv: argv('SADD', key, ...elems), check: intReply };
      }
      if (roll === 8) return { argv: argv('SPOP', key, String(r.int(1, countMax))), check: (reply) => (isArray(reply) ? this.popped(leaves(reply), 'SPOP') : JSON.stringify(reply)) };
      const elem = this.elems.length > 0 ? this.elems[r.int(Math.max(0, this.elems.length - recentMax), this.elems.length - 1)]! : 'none';
      if (roll === 9) return { argv: argv('SMOVE', key, `set:${other}`, elem), check: intReply };
      return { argv: argv('SREM', key, elem), check: intReply };
    }
    if (roll < 17) {
      const key = `z:${k}`;
      const score = String(r.int(-20, 20));
      const old = this.members.length > 0 ? this.members[r.int(Math.max(0, this.members.length - recentMax), this.members.length - 1)]! : null;
      if (roll === 11 || old === null) {
        const m = this.fresh(client);
        this.members.push(m);
        this.writes.set(m, 1);
        return { argv: argv('ZADD', key, score, m), check: intReply };
      }
      if (roll === 12 || roll === 13) {
        // may write an old member again (ZADD INCR GT adds a missing one; ZINCRBY too)
        this.writes.set(old, (this.writes.get(old) ?? 0) + 1);
        const a = roll === 12 ? argv('ZADD', key, 'GT', 'INCR', score, old) : argv('ZINCRBY', key, score, old);
        return { argv: a, check: (reply) => shape(reply.kind === 'Bulk' || reply.kind === 'Double' || (roll === 12 && reply.kind === 'Null'), reply) };
      }
      if (roll === 14) {
        const name = r.chance(0.5) ? 'ZPOPMIN' : 'ZPOPMAX';
        return {
          argv: argv(name, key, String(r.int(1, countMax))),
          check: (reply) => {
            if (!isArray(reply)) return JSON.stringify(reply);
            return this.popped(leaves(reply).filter((_, i) => i % 2 === 0), name);
          },
        };
      }
      if (roll === 15) return { argv: argv('ZREMRANGEBYSCORE', key, String(r.int(-20, 0)), `(${r.int(0, 20)}`), check: intReply };
      // the union lands in a key nothing pops, so that no member is duplicated into a popped set
      return { argv: argv('ZUNIONSTORE', `zu:${k}`, '2', key, `z:${other}`, 'AGGREGATE', r.pick(['SUM', 'MIN', 'MAX'])), check: intReply };
    }
    if (roll < 19) {
      if (roll === 17) return { argv: argv('PFADD', `hll:${k}`, ...Array.from({ length: r.int(1, 4) }, () => this.fresh(client))), check: intReply };
      return { argv: argv('PFMERGE', `hll:${k}`, `hll:${other}`), check: okReply };
    }
    if (roll === 19 && r.chance(0.3)) {
      const [name, value] = r.pick([
        ['hash-max-listpack-entries', () => String(r.int(1, 8))],
        ['set-max-intset-entries', () => String(r.int(1, 8))],
        ['zset-max-listpack-entries', () => String(r.int(1, 8))],
        ['hash-max-listpack-value', () => String(r.int(4, 64))],
      ] as const);
      return { argv: argv('_encodingset', name, value()), check: okReply };
    }
    return this.stream(client, roll);
  }

  /** Elements popped: each at most as often as it was written. */
  private popped(elems: readonly string[], name: string): string | null {
    for (const e of elems) {
      const n = (this.pops.get(e) ?? 0) + 1;
      this.pops.set(e, n);
      if (n > (this.writes.get(e) ?? 0)) return `${e}, popped ${n} times but written ${this.writes.get(e) ?? 0} (${name})`;
    }
    return null;
  }

  private stream(client: number, roll: number): Cmd {
    const r = this.r;
    const key = `x:${r.int(0, streamsCount - 1)}`;
    const consumer = `c${r.int(0, consumersCount - 1)}`;
    // NOGROUP is an answer by design while no XGROUP CREATE of the stream was known to take effect when it was sent
    const allowed = this.grouped.has(key) ? [] : ['NOGROUP'];
    const noGroup = () => allowed;
    if (roll < 21) {
      const value = this.fresh(client);
      this.wrote(key, value);
      const before = this.acked.get(key) ?? '0-0';
      return {
        argv: argv('XADD', key, 'MAXLEN', '~', String(streamMaxLen), '*', 'f', value),
        check: (reply) => {
          if (reply.kind !== 'Bulk' || !streamId.test(dec(reply.bytes))) return JSON.stringify(reply);
          const id = dec(reply.bytes);
          if (idCmp(id, before) <= 0) return `${id}, not above ${before} acknowledged before it was sent`;
          if (this.ids.has(`${key} ${id}`)) return `${id}, an id an earlier XADD got`;
          this.ids.add(`${key} ${id}`);
          if (idCmp(id, this.acked.get(key) ?? '0-0') > 0) this.acked.set(key, id);
          return null;
        },
      };
    }
    switch (roll) {
      case 21:
        return {
          argv: argv('XGROUP', 'CREATE', key, 'g', '0', 'MKSTREAM'),
          allowed: () => {
            this.grouped.add(key);
            return ['BUSYGROUP'];
          },
          check: (reply) => {
            this.grouped.add(key);
            return okReply(reply);
          },
        };
      case 22:
        return {
          argv: argv('XREADGROUP', 'GROUP', 'g', consumer, 'COUNT', String(r.int(1, countMax)), 'STREAMS', key, '>'),
          allowed: noGroup,
          check: (reply) => {
            if (reply.kind === 'Null' || reply.kind === 'NullArray') return null;
            if (!isArray(reply)) return JSON.stringify(reply);
            const l = leaves(reply);
            for (let i = 1; i + 2 < l.length; i += 3) {
              const [id, f, v] = [l[i]!, l[i + 1]!, l[i + 2]!];
              if (!streamId.test(id) || f !== 'f') return `an entry ${id} ${f} (not an XADD's)`;
              if (this.written.get(key)?.has(v) !== true) return `${id} = ${v}, which no XADD wrote`;
              if (this.delivered.has(`${key} ${id}`)) return `${id}, already delivered to the group by '>'`;
              this.delivered.add(`${key} ${id}`);
            }
            return null;
          },
        };
      case 23: {
        const acked = this.acked.get(key) ?? '0-1';
        return r.chance(0.5)
          ? { argv: argv('XACK', key, 'g', acked), allowed: noGroup, check: intReply }
          : { argv: argv('XCLAIM', key, 'g', consumer, '0', acked, 'JUSTID'), allowed: noGroup, check: (reply) => shape(isArray(reply), reply) };
      }
      default:
        return r.chance(0.5)
          ? { argv: argv('XAUTOCLAIM', key, 'g', consumer, String(r.int(0, 50)), '0', 'COUNT', String(r.int(1, countMax))), allowed: noGroup, check: (reply) => shape(isArray(reply), reply) }
          : { argv: argv('XTRIM', key, 'MAXLEN', '~', String(streamMaxLen)), check: intReply };
    }
  }
}
