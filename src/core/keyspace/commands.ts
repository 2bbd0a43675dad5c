/**
 * The keyspace's command table: per command its arity (Redis's convention: n exact, -n at least n, the name
 * counted), its kind (read: runs on local state; write: normalised, logged through ZAB and applied on every replica;
 * connection: only meaningful inside an EXEC block, e.g. SELECT), its key positions (first, last (-1 = the last
 * argument), step) and, for writes whose meaning depends on the clock, the normaliser run before logging.
 * The RESP front end's command table merges this one.
 */
import type { Argv, Reply } from '../../protocol/resp.js';
import * as acl from './acl.js';
import * as bits from './bits.js';
import * as encoding from './encoding.js';
import * as blocking from './blocking.js';
import * as hashes from './hashes.js';
import * as hll from './hll.js';
import * as introspect from './introspect.js';
import * as keys from './keys.js';
import * as lists from './lists.js';
import * as sets from './sets.js';
import type { Ctx } from './state.js';
import * as str from './strings.js';
import * as zsets from './zsets.js';
import * as streams from './streams.js';

export type CommandKind = 'read' | 'write' | 'connection';

export interface CommandSpec {
  readonly name: string;
  readonly arity: number;
  readonly kind: CommandKind;
  readonly firstKey: number;
  readonly lastKey: number;
  readonly keyStep: number;
  readonly run: (c: Ctx, a: Argv) => Reply;
  /** Rewrites relative times to absolute ones and reports syntax errors before anything is logged. */
  readonly normalize?: (a: Argv, nowMs: number) => Argv | Reply;
}

/**
 * PUBLISH / SPUBLISH: logged like a write that changes no key; every node delivers the message at apply. The
 * reply here is a placeholder: the node that took the command answers with the receivers it counted.
 */
const publish =
  (kind: 'publish' | 'spublish') =>
  (c: Ctx, a: Argv): Reply => {
    c.publish(kind, a[1]!, a[2]!);
    return { kind: 'Int', value: 0 };
  };

type Row = [name: string, arity: number, kind: CommandKind, first: number, last: number, step: number, run: CommandSpec['run'], normalize?: CommandSpec['normalize']];

const rows: Row[] = [
  ['get', 2, 'read', 1, 1, 1, str.get],
  ['set', -3, 'write', 1, 1, 1, str.set, str.normalizeSet],
  ['setnx', 3, 'write', 1, 1, 1, str.setnx],
  ['setex', 4, 'write', 1, 1, 1, str.setex('EX', 'setex'), (a, now) => str.normalizeSetex(a, now, 'EX', 'setex')],
  ['psetex', 4, 'write', 1, 1, 1, str.setex('PX', 'psetex'), (a, now) => str.normalizeSetex(a, now, 'PX', 'psetex')],
  ['getset', 3, 'write', 1, 1, 1, str.getset],
  ['getdel', 2, 'write', 1, 1, 1, str.getdel],
  ['getex', -2, 'write', 1, 1, 1, str.getex, str.normalizeGetex],
  ['mget', -2, 'read', 1, -1, 1, str.mget],
  ['mset', -3, 'write', 1, -1, 2, str.mset],
  ['msetnx', -3, 'write', 1, -1, 2, str.msetnx],
  ['append', 3, 'write', 1, 1, 1, str.append],
  ['strlen', 2, 'read', 1, 1, 1, str.strlen],
  ['getrange', 4, 'read', 1, 1, 1, str.getrange],
  ['substr', 4, 'read', 1, 1, 1, str.getrange],
  ['setrange', 4, 'write', 1, 1, 1, str.setrange],
  ['lcs', -3, 'read', 1, 2, 1, str.lcs],
  ['incr', 2, 'write', 1, 1, 1, str.incr(1n)],
  ['decr', 2, 'write', 1, 1, 1, str.incr(-1n)],
  ['incrby', 3, 'write', 1, 1, 1, str.incrby(1n)],
  ['decrby', 3, 'write', 1, 1, 1, str.incrby(-1n)],
  ['incrbyfloat', 3, 'write', 1, 1, 1, str.incrbyfloat],
  ['setbit', 4, 'write', 1, 1, 1, bits.setbit],
  ['getbit', 3, 'read', 1, 1, 1, bits.getbit],
  ['bitcount', -2, 'read', 1, 1, 1, bits.bitcount],
  ['bitpos', -3, 'read', 1, 1, 1, bits.bitpos],
  ['bitop', -4, 'write', 2, -1, 1, bits.bitop],
  ['bitfield', -2, 'write', 1, 1, 1, bits.bitfield(false)],
  ['bitfield_ro', -2, 'read', 1, 1, 1, bits.bitfield(true)],
  ['hset', -4, 'write', 1, 1, 1, hashes.hset('hset')],
  ['hmset', -4, 'write', 1, 1, 1, hashes.hset('hmset')],
  ['hsetnx', 4, 'write', 1, 1, 1, hashes.hsetnx],
  ['hget', 3, 'read', 1, 1, 1, hashes.hget],
  ['hmget', -3, 'read', 1, 1, 1, hashes.hmget],
  ['hgetall', 2, 'read', 1, 1, 1, hashes.hgetall('all')],
  ['hkeys', 2, 'read', 1, 1, 1, hashes.hgetall('keys')],
  ['hvals', 2, 'read', 1, 1, 1, hashes.hgetall('vals')],
  ['hdel', -3, 'write', 1, 1, 1, hashes.hdel],
  ['hexists', 3, 'read', 1, 1, 1, hashes.hexists],
  ['hlen', 2, 'read', 1, 1, 1, hashes.hlen],
  ['hstrlen', 3, 'read', 1, 1, 1, hashes.hstrlen],
  ['hincrby', 4, 'write', 1, 1, 1, hashes.hincrby],
  ['hincrbyfloat', 4, 'write', 1, 1, 1, hashes.hincrbyfloat],
  ['hrandfield', -2, 'read', 1, 1, 1, hashes.hrandfield],
  ['hscan', -3, 'read', 1, 1, 1, hashes.hscan],
  ['lpush', -3, 'write', 1, 1, 1, lists.push('left', false)],
  ['rpush', -3, 'write', 1, 1, 1, lists.push('right', false)],
  ['lpushx', -3, 'write', 1, 1, 1, lists.push('left', true)],
  ['rpushx', -3, 'write', 1, 1, 1, lists.push('right', true)],
  ['lpop', -2, 'write', 1, 1, 1, lists.pop('left')],
  ['rpop', -2, 'write', 1, 1, 1, lists.pop('right')],
  ['llen', 2, 'read', 1, 1, 1, lists.llen],
  ['lrange', 4, 'read', 1, 1, 1, lists.lrange],
  ['lindex', 3, 'read', 1, 1, 1, lists.lindex],
  ['lset', 4, 'write', 1, 1, 1, lists.lset],
  ['linsert', 5, 'write', 1, 1, 1, lists.linsert],
  ['lrem', 4, 'write', 1, 1, 1, lists.lrem],
  ['ltrim', 4, 'write', 1, 1, 1, lists.ltrim],
  ['lpos', -3, 'read', 1, 1, 1, lists.lpos],
  ['lmove', 5, 'write', 1, 2, 1, lists.lmove],
  ['rpoplpush', 3, 'write', 1, 2, 1, lists.rpoplpush],
  ['lmpop', -4, 'write', 0, 0, 0, lists.lmpop],
  ['blpop', -3, 'write', 1, -2, 1, blocking.bpop('left')],
  ['brpop', -3, 'write', 1, -2, 1, blocking.bpop('right')],
  ['blmove', 6, 'write', 1, 2, 1, blocking.blmove],
  ['brpoplpush', 4, 'write', 1, 2, 1, blocking.brpoplpush],
  ['blmpop', -5, 'write', 0, 0, 0, blocking.blmpop],
  // a write applied at most once per id (blocking serves retried after a leader change)
  ['_once', -4, 'write', 0, 0, 0, blocking.once],
  ['sadd', -3, 'write', 1, 1, 1, sets.sadd],
  ['srem', -3, 'write', 1, 1, 1, sets.srem],
  ['scard', 2, 'read', 1, 1, 1, sets.scard],
  ['sismember', 3, 'read', 1, 1, 1, sets.sismember],
  ['smismember', -3, 'read', 1, 1, 1, sets.smismember],
  ['smembers', 2, 'read', 1, 1, 1, sets.smembers],
  ['smove', 4, 'write', 1, 2, 1, sets.smove],
  ['sinter', -2, 'read', 1, -1, 1, sets.combineRead('inter')],
  ['sunion', -2, 'read', 1, -1, 1, sets.combineRead('union')],
  ['sdiff', -2, 'read', 1, -1, 1, sets.combineRead('diff')],
  ['sinterstore', -3, 'write', 1, -1, 1, sets.combineStore('inter')],
  ['sunionstore', -3, 'write', 1, -1, 1, sets.combineStore('union')],
  ['sdiffstore', -3, 'write', 1, -1, 1, sets.combineStore('diff')],
  ['sintercard', -3, 'read', 0, 0, 0, sets.sintercard],
  ['srandmember', -2, 'read', 1, 1, 1, sets.srandmember],
  ['spop', -2, 'write', 1, 1, 1, sets.spop],
  ['sscan', -3, 'read', 1, 1, 1, sets.sscan],
  ['pfadd', -2, 'write', 1, 1, 1, hll.pfadd],
  // a write: PFCOUNT of one key stores its estimate in the value (as Redis, where it touches WATCH)
  ['pfcount', -2, 'write', 1, -1, 1, hll.pfcount],
  ['pfmerge', -2, 'write', 1, -1, 1, hll.pfmerge],
  ['pfdebug', 3, 'write', 2, 2, 1, hll.pfdebug],
  ['zadd', -4, 'write', 1, 1, 1, zsets.zadd],
  ['zincrby', 4, 'write', 1, 1, 1, zsets.zincrby],
  ['zrem', -3, 'write', 1, 1, 1, zsets.zrem],
  ['zcard', 2, 'read', 1, 1, 1, zsets.zcard],
  ['zscore', 3, 'read', 1, 1, 1, zsets.zscore],
  ['zmscore', -3, 'read', 1, 1, 1, zsets.zmscore],
  ['zrank', 3, 'read', 1, 1, 1, zsets.zrank(false)],
  ['zrevrank', 3, 'read', 1, 1, 1, zsets.zrank(true)],
  ['zcount', 4, 'read', 1, 1, 1, zsets.zcount('score')],
  ['zlexcount', 4, 'read', 1, 1, 1, zsets.zcount('lex')],
  ['zrange', -4, 'read', 1, 1, 1, zsets.zrange],
  ['zrangestore', -5, 'write', 1, 2, 1, zsets.zrangestore],
  ['zrevrange', -4, 'read', 1, 1, 1, zsets.zrangeForm('rank', true)],
  ['zrangebyscore', -4, 'read', 1, 1, 1, zsets.zrangeForm('score', false)],
  ['zrevrangebyscore', -4, 'read', 1, 1, 1, zsets.zrangeForm('score', true)],
  ['zrangebylex', -4, 'read', 1, 1, 1, zsets.zrangeForm('lex', false)],
  ['zrevrangebylex', -4, 'read', 1, 1, 1, zsets.zrangeForm('lex', true)],
  ['zremrangebyrank', 4, 'write', 1, 1, 1, zsets.zremrange('rank')],
  ['zremrangebyscore', 4, 'write', 1, 1, 1, zsets.zremrange('score')],
  ['zremrangebylex', 4, 'write', 1, 1, 1, zsets.zremrange('lex')],
  ['zpopmin', -2, 'write', 1, 1, 1, zsets.zpop('min')],
  ['zpopmax', -2, 'write', 1, 1, 1, zsets.zpop('max')],
  ['zmpop', -4, 'write', 0, 0, 0, zsets.zmpop],
  ['bzpopmin', -3, 'write', 1, -2, 1, blocking.bzpop('min')],
  ['bzpopmax', -3, 'write', 1, -2, 1, blocking.bzpop('max')],
  ['bzmpop', -5, 'write', 0, 0, 0, blocking.bzmpop],
  ['zunion', -3, 'read', 0, 0, 0, zsets.zsetOp('union')],
  ['zinter', -3, 'read', 0, 0, 0, zsets.zsetOp('inter')],
  ['zdiff', -3, 'read', 0, 0, 0, zsets.zsetOp('diff')],
  ['zunionstore', -4, 'write', 1, 1, 1, zsets.zsetOpStore('union')],
  ['zinterstore', -4, 'write', 1, 1, 1, zsets.zsetOpStore('inter')],
  ['zdiffstore', -4, 'write', 1, 1, 1, zsets.zsetOpStore('diff')],
  ['zintercard', -3, 'read', 0, 0, 0, zsets.zintercard],
  ['zrandmember', -2, 'read', 1, 1, 1, zsets.zrandmember],
  ['zscan', -3, 'read', 1, 1, 1, zsets.zscan],
  ['xadd', -5, 'write', 1, 1, 1, streams.xadd],
  ['xlen', 2, 'read', 1, 1, 1, streams.xlen],
  ['xrange', -4, 'read', 1, 1, 1, streams.xrange(false)],
  ['xrevrange', -4, 'read', 1, 1, 1, streams.xrange(true)],
  ['xdel', -3, 'write', 1, 1, 1, streams.xdel],
  ['xtrim', -4, 'write', 1, 1, 1, streams.xtrim],
  ['xread', -4, 'read', 0, 0, 0, streams.xread(false)],
  ['xreadgroup', -7, 'write', 0, 0, 0, streams.xread(true)],
  ['xgroup', -2, 'write', 2, 2, 1, streams.xgroup],
  ['xack', -4, 'write', 1, 1, 1, streams.xack],
  ['xpending', -3, 'read', 1, 1, 1, streams.xpending],
  ['xclaim', -6, 'write', 1, 1, 1, streams.xclaim],
  ['xautoclaim', -6, 'write', 1, 1, 1, streams.xautoclaim],
  ['xinfo', -2, 'read', 2, 2, 1, streams.xinfo],
  ['xsetid', -3, 'write', 1, 1, 1, streams.xsetid],
  ['del', -2, 'write', 1, -1, 1, keys.del],
  ['unlink', -2, 'write', 1, -1, 1, keys.del],
  ['exists', -2, 'read', 1, -1, 1, keys.exists],
  ['type', 2, 'read', 1, 1, 1, keys.type],
  ['touch', -2, 'read', 1, -1, 1, keys.exists],
  ['rename', 3, 'write', 1, 2, 1, keys.rename],
  ['renamenx', 3, 'write', 1, 2, 1, keys.renamenx],
  ['copy', -3, 'write', 1, 2, 1, keys.copy],
  ['move', 3, 'write', 1, 1, 1, keys.move],
  ['keys', 2, 'read', 0, 0, 0, keys.keys],
  ['scan', -2, 'read', 0, 0, 0, keys.scan],
  ['randomkey', 1, 'read', 0, 0, 0, keys.randomkey],
  ['dump', 2, 'read', 1, 1, 1, keys.dump],
  ['restore', -4, 'write', 1, 1, 1, keys.restore, keys.normalizeRestore],
  ['expire', -3, 'write', 1, 1, 1, keys.expire({ cmd: 'expire', seconds: true, relative: true }), keys.normalizeExpire({ cmd: 'expire', seconds: true, relative: true })],
  ['pexpire', -3, 'write', 1, 1, 1, keys.expire({ cmd: 'pexpire', seconds: false, relative: true }), keys.normalizeExpire({ cmd: 'pexpire', seconds: false, relative: true })],
  ['expireat', -3, 'write', 1, 1, 1, keys.expire({ cmd: 'expireat', seconds: true, relative: false }), keys.normalizeExpire({ cmd: 'expireat', seconds: true, relative: false })],
  ['pexpireat', -3, 'write', 1, 1, 1, keys.expire({ cmd: 'pexpireat', seconds: false, relative: false })],
  ['ttl', 2, 'read', 1, 1, 1, keys.ttl(false, false)],
  ['pttl', 2, 'read', 1, 1, 1, keys.ttl(true, false)],
  ['expiretime', 2, 'read', 1, 1, 1, keys.ttl(false, true)],
  ['pexpiretime', 2, 'read', 1, 1, 1, keys.ttl(true, true)],
  ['persist', 2, 'write', 1, 1, 1, keys.persist],
  ['dbsize', 1, 'read', 0, 0, 0, keys.dbsize],
  ['flushdb', -1, 'write', 0, 0, 0, keys.flushdb],
  ['flushall', -1, 'write', 0, 0, 0, keys.flushall],
  ['swapdb', 3, 'write', 0, 0, 0, keys.swapdb],
  ['select', 2, 'connection', 0, 0, 0, keys.select],
  ['object', -2, 'read', 2, 2, 1, introspect.object],
  ['memory', -2, 'read', 2, 2, 1, introspect.memory],
  // CONFIG GET / SET of the encoding thresholds, sent by the front end (replicated state: encoding.ts)
  ['_encodingset', -3, 'write', 0, 0, 0, encoding.encodingSet],
  ['_encodingget', -2, 'read', 0, 0, 0, encoding.encodingGet],
  // INFO's keyspace section, asked by the front end (not in its client command table: the name starts with '_')
  ['_keyspaceinfo', 1, 'read', 0, 0, 0, introspect.keyspaceInfo],
  ['publish', 3, 'write', 0, 0, 0, publish('publish')],
  ['spublish', 3, 'write', 1, 1, 1, publish('spublish')],
  // ACL SETUSER / DELUSER as logged (passwords hashed) and the state the front ends copy (acl.ts)
  ['_aclsetuser', -2, 'write', 0, 0, 0, (c, a) => acl.aclSetUserReply(acl.aclOf(c.ks), a)],
  ['_acldeluser', -2, 'write', 0, 0, 0, (c, a) => acl.aclDelUserReply(acl.aclOf(c.ks), a)],
  ['_aclstate', -1, 'read', 0, 0, 0, (c, a) => acl.aclStateReply(acl.aclOf(c.ks), a)],
];

/** Lower-case command name → spec. */
export const keyspaceCommands: ReadonlyMap<string, CommandSpec> = new Map(
  rows.map(([name, arity, kind, firstKey, lastKey, keyStep, run, normalize]) => [
    name,
    { name, arity, kind, firstKey, lastKey, keyStep, run, ...(normalize !== undefined ? { normalize } : {}) },
  ]),
);

export function arityOk(spec: CommandSpec, argc: number): boolean {
  return spec.arity >= 0 ? argc === spec.arity : argc >= -spec.arity;
}
