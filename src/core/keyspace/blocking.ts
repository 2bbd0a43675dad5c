/**
 * Blocking commands (Redis 7.0) as the replicated keyspace sees them, and the `_once` wrapper that makes a write
 * idempotent. See ../../../docs/blocking.md.
 *
 * - At apply a blocking command is its non-blocking attempt: it pops if one of its keys holds data, else answers
 *   what Redis answers inside MULTI (nil, nothing changed). The RESP front end blocks the client on a nil answer
 *   and, when a key it waits on becomes ready, proposes the same command again: a serve conditional on the key
 *   still holding data at apply, because a nil attempt changes nothing.
 * - `_once <id> <command...>` runs the command once per id: a served (non-nil, non-error) reply is remembered
 *   (the last `onceRepliesMax` ids, in the snapshot too) and a second apply of the same id answers it without
 *   running again, so a serve retried after a leader change pops once.
 * - `blockingCommands` is the plug-in table: per command the keys it waits on, its timeout, and how to put back
 *   what a serve took for a client that left meanwhile (lists, sorted sets, XREADGROUP); XREAD's row is a read
 *   (its attempts and serves take nothing and are not logged).
 */
import type { Argv, Reply } from '../../protocol/resp.js';
import { Reader, Writer } from '../tree/codec.js';
import { NULL, NULL_ARRAY, array, ascii, err, isReply, parseInt64, upper } from './bytes.js';
import { commandOf } from './keyspace.js';
import * as lists from './lists.js';
import { parseLongDouble } from './longdouble.js';
import { type Ctx, keyOf } from './state.js';
import * as zsets from './zsets.js';
import { formatDouble } from './double.js';

/** `_once` replies remembered, at most (the oldest is forgotten first). */
export const onceRepliesMax = 10_000;

const llongMax = 2n ** 63n - 1n;

/**
 * Redis's getTimeoutFromObjectOrReply in seconds: a float (strtold's syntax), times 1000, truncated to a C long
 * long (beyond its range, as x86 converts, a negative value); 0 means forever. The timeout in ms, or the error.
 */
export function timeoutMsArg(b: Uint8Array, nowMs: number): number | Reply {
  const v = parseLongDouble(b);
  if (v === null) return err('ERR timeout is not a float or out of range');
  if (v === 'inf' || v === '-inf') return err('ERR timeout is negative');
  const scaled = v.mant * 1000n;
  let ms = v.exp >= 0 ? scaled << BigInt(v.exp) : scaled >> BigInt(-v.exp);
  if (v.neg) ms = -ms;
  if (ms > llongMax || ms < -llongMax - 1n || ms < 0n) return err('ERR timeout is negative');
  if (ms > 0n && ms > llongMax - BigInt(Math.floor(nowMs))) return err('ERR timeout is out of range');
  return Number(ms);
}

const cmd = (name: string, ...args: Uint8Array[]): Argv => [ascii(name), ...args];

/** BLPOP/BRPOP key [key ...] timeout: the first key holding data, popped; else the null array. */
export function bpop(where: 'left' | 'right') {
  const pop = lists.pop(where);
  return (c: Ctx, a: Argv): Reply => {
    const t = timeoutMsArg(a[a.length - 1]!, c.nowMs);
    if (isReply(t)) return t;
    for (let i = 1; i < a.length - 1; i++) {
      const r = pop(c, cmd(where === 'left' ? 'lpop' : 'rpop', a[i]!));
      if (r.kind === 'Bulk') return array([{ kind: 'Bulk', bytes: a[i]! }, r]);
      if (r.kind === 'Error') return r;
    }
    return NULL_ARRAY;
  };
}

/** BLMOVE src dst LEFT|RIGHT LEFT|RIGHT timeout: LMOVE, or nil when src is empty. */
export function blmove(c: Ctx, a: Argv): Reply {
  const ends = ['LEFT', 'RIGHT'];
  if (!ends.includes(upper(a[3]!)) || !ends.includes(upper(a[4]!))) return err('ERR syntax error');
  const t = timeoutMsArg(a[5]!, c.nowMs);
  return isReply(t) ? t : lists.lmove(c, cmd('lmove', a[1]!, a[2]!, a[3]!, a[4]!));
}

/** BRPOPLPUSH src dst timeout. */
export function brpoplpush(c: Ctx, a: Argv): Reply {
  const t = timeoutMsArg(a[3]!, c.nowMs);
  return isReply(t) ? t : lists.rpoplpush(c, cmd('rpoplpush', a[1]!, a[2]!));
}

/** BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]. */
export function blmpop(c: Ctx, a: Argv): Reply {
  const t = timeoutMsArg(a[1]!, c.nowMs);
  return isReply(t) ? t : lists.lmpop(c, cmd('lmpop', ...a.slice(2)));
}

/** BZPOPMIN/BZPOPMAX key [key ...] timeout: [key, member, score] from the first key holding data; else the null array. */
export function bzpop(where: 'min' | 'max') {
  const pop = zsets.zpop(where);
  return (c: Ctx, a: Argv): Reply => {
    const t = timeoutMsArg(a[a.length - 1]!, c.nowMs);
    if (isReply(t)) return t;
    for (let i = 1; i < a.length - 1; i++) {
      const r = pop(c, cmd(where === 'min' ? 'zpopmin' : 'zpopmax', a[i]!));
      if (r.kind === 'Error') return r;
      if (r.kind === 'Array' && r.items.length > 0) return array([{ kind: 'Bulk', bytes: a[i]! }, ...r.items]);
    }
    return NULL_ARRAY;
  };
}

/** BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]: ZMPOP's argument errors come before the timeout's. */
export function bzmpop(c: Ctx, a: Argv): Reply {
  const p = lists.mpopArgs(a, 2, ['MIN', 'MAX']);
  if (isReply(p)) return p;
  const t = timeoutMsArg(a[1]!, c.nowMs);
  return isReply(t) ? t : zsets.zmpop(c, cmd('zmpop', ...a.slice(2)));
}

/** `_once <id> <command...>`: see the file's comment. */
export function once(c: Ctx, a: Argv): Reply {
  const id = keyOf(a, 1);
  const seen = c.ks.onceReplies.get(id);
  if (seen !== undefined) return seen;
  const inner = a.slice(2);
  const spec = commandOf(inner);
  if (!('run' in spec)) return spec;
  if (spec.kind !== 'write' || spec.name === '_once') return err(`ERR '${spec.name}' cannot run once`);
  const r = spec.run(c, inner);
  if (r.kind !== 'Null' && r.kind !== 'NullArray' && r.kind !== 'Error') {
    const table = c.ks.onceReplies;
    table.set(id, r);
    if (table.size > onceRepliesMax) table.delete(table.keys().next().value!);
  }
  return r;
}

/** What the front end needs of a blocking command. */
export interface BlockingSpec {
  /** The keys the client waits on (the argv is valid: its first attempt answered nil). */
  readonly keys: (a: Argv) => Uint8Array[];
  /** Whether the command blocks at all (XREAD/XREADGROUP only with BLOCK); absent: always. */
  readonly blocks?: (a: Argv) => boolean;
  /** The timeout in ms (0 = forever), from the command's arrival time, or its error. */
  readonly timeoutMs: (a: Argv, nowMs: number) => number | Reply;
  /** Attempts and serves are reads (XREAD: nothing is taken): not logged, nothing to undo. */
  readonly read?: boolean;
  /** The command waiting on `key` alone: what a serve proposes when that key is reported ready (Redis serves from it). */
  readonly only: (a: Argv, key: Uint8Array) => Argv;
  /** The write that puts back what `served` took, for a client that left before its serve's answer; null: keep it. */
  readonly undo: (a: Argv, served: Reply) => Argv | null;
}

const listUndo =
  (where: (a: Argv) => string) =>
  (a: Argv, served: Reply): Argv | null => {
    if (served.kind !== 'Array') return null;
    const [key, got] = served.items;
    if (key?.kind !== 'Bulk' || got === undefined) return null;
    const values = got.kind === 'Bulk' ? [got.bytes] : got.kind === 'Array' ? got.items.flatMap((x) => (x.kind === 'Bulk' ? [x.bytes] : [])) : [];
    // popped head first (left) or tail first (right): pushed back in reverse, each lands where it was
    return cmd(where(a) === 'LEFT' ? 'lpush' : 'rpush', key.bytes, ...values.reverse());
  };

/**
 * BZPOPMIN/BZPOPMAX's [key, member, score] and BZMPOP's [key, [[member, score], ...]] put back with ZADD (a member
 * re-added meanwhile gets its popped score back).
 */
function zsetUndo(_a: Argv, served: Reply): Argv | null {
  if (served.kind !== 'Array') return null;
  const [key, ...rest] = served.items;
  if (key?.kind !== 'Bulk') return null;
  const pairs = rest.length === 1 && rest[0]!.kind === 'Array' ? rest[0]!.items.flatMap((p) => (p.kind === 'Array' ? [...p.items] : [])) : rest;
  const args: Uint8Array[] = [];
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    const [m, s] = [pairs[i]!, pairs[i + 1]!];
    if (m.kind !== 'Bulk' || s.kind !== 'Double') return null;
    args.push(ascii(formatDouble(s.value)), m.bytes);
  }
  return args.length === 0 ? null : cmd('zadd', key.bytes, ...args);
}

/** The timeout in seconds at argument `i` (negative: from the end). */
const secondsAt =
  (i: number) =>
  (a: Argv, nowMs: number): number | Reply =>
    timeoutMsArg(a[i < 0 ? a.length + i : i]!, nowMs);
/** BLPOP/BRPOP/BZPOPMIN/BZPOPMAX key [key ...] timeout. */
const lastTimeoutKeys = (a: Argv): Uint8Array[] => a.slice(1, -1);
const lastTimeoutOnly = (a: Argv, k: Uint8Array): Argv => [a[0]!, k, a[a.length - 1]!];

/** BLMPOP/BZMPOP's numkeys. */
const numkeys = (a: Argv): number => Number(parseInt64(a[2]!) ?? 0n);
const mpopKeys = (a: Argv): Uint8Array[] => a.slice(3, 3 + numkeys(a));
const mpopOnly = (a: Argv, k: Uint8Array): Argv => [a[0]!, a[1]!, ascii('1'), k, ...a.slice(3 + numkeys(a))];

/** XREAD/XREADGROUP: the index of BLOCK's argument (0: none) and of the first key (after STREAMS). */
function xreadArgs(a: Argv): { block: number; streams: number } {
  let block = 0;
  for (let i = 1; i < a.length; i++) {
    const o = upper(a[i]!);
    if (o === 'STREAMS') return { block, streams: i + 1 };
    if (o === 'BLOCK') block = ++i;
    else if (o === 'COUNT') i++;
    else if (o === 'GROUP') i += 2;
  }
  return { block, streams: a.length };
}
const xreadBlockAt = (a: Argv): number => xreadArgs(a).block;
const xreadKeys = (a: Argv): Uint8Array[] => {
  const s = xreadArgs(a).streams;
  return a.slice(s, s + (a.length - s) / 2);
};
/** The keys' ids: XREAD's `$` became concrete ids before blocking (the front end's job), XREADGROUP's are `>`. */
function xreadOnly(a: Argv, k: Uint8Array): Argv {
  const s = xreadArgs(a).streams;
  const n = (a.length - s) / 2;
  const i = a.slice(s, s + n).findIndex((x) => Buffer.compare(x, k) === 0);
  return [...a.slice(0, s), k, a[s + n + i]!];
}
/** BLOCK is milliseconds (an integer, checked by the attempt). */
const xreadTimeoutMs = (a: Argv): number => Number(parseInt64(a[xreadBlockAt(a)]!) ?? 0n);

/** BLMPOP's numkeys. */
/** BLMPOP's LEFT|RIGHT. */
const mpopWhere = (a: Argv): string => upper(a[3 + numkeys(a)]!);

/**
 * The blocking commands, by lower-case name. BLMOVE and BRPOPLPUSH keep a served element in the destination list
 * when the client left (it is not lost: it is where the move put it, as for a client that dies after its reply).
 */
const itself = (a: Argv): Argv => a;
export const blockingCommands: ReadonlyMap<string, BlockingSpec> = new Map<string, BlockingSpec>([
  ['blpop', { keys: lastTimeoutKeys, timeoutMs: secondsAt(-1), only: lastTimeoutOnly, undo: listUndo(() => 'LEFT') }],
  ['brpop', { keys: lastTimeoutKeys, timeoutMs: secondsAt(-1), only: lastTimeoutOnly, undo: listUndo(() => 'RIGHT') }],
  ['blmove', { keys: (a) => [a[1]!], timeoutMs: secondsAt(5), only: itself, undo: () => null }],
  ['brpoplpush', { keys: (a) => [a[1]!], timeoutMs: secondsAt(3), only: itself, undo: () => null }],
  ['blmpop', { keys: mpopKeys, timeoutMs: secondsAt(1), only: mpopOnly, undo: listUndo(mpopWhere) }],
  ['bzpopmin', { keys: lastTimeoutKeys, timeoutMs: secondsAt(-1), only: lastTimeoutOnly, undo: zsetUndo }],
  ['bzpopmax', { keys: lastTimeoutKeys, timeoutMs: secondsAt(-1), only: lastTimeoutOnly, undo: zsetUndo }],
  ['bzmpop', { keys: mpopKeys, timeoutMs: secondsAt(1), only: mpopOnly, undo: zsetUndo }],
  ['xread', { blocks: (a) => xreadBlockAt(a) > 0, keys: xreadKeys, timeoutMs: xreadTimeoutMs, only: xreadOnly, undo: () => null, read: true }],
  ['xreadgroup', { blocks: (a) => xreadBlockAt(a) > 0, keys: xreadKeys, timeoutMs: xreadTimeoutMs, only: xreadOnly, undo: () => null }],
]);

/** Whether a blocking command's reply means "nothing yet" (the client blocks). */
export const isNothing = (r: Reply): boolean => r.kind === 'Null' || r.kind === 'NullArray';

// ---------------------------------------------------------------------------------------------------------------
// The remembered `_once` replies in snapshots
// ---------------------------------------------------------------------------------------------------------------
function writeReply(w: Writer, r: Reply): void {
  switch (r.kind) {
    case 'Bulk':
      w.u8(2);
      w.bytes(r.bytes);
      return;
    case 'Array':
      w.u8(3);
      w.u32(r.items.length);
      for (const x of r.items) writeReply(w, x);
      return;
    case 'Int':
      w.u8(4);
      w.latin1(String(r.value));
      return;
    case 'Double':
      w.u8(5);
      w.f64(r.value);
      return;
    case 'Map':
      w.u8(r.resp2 === 'pairs' ? 7 : 6);
      w.u32(r.entries.length);
      for (const [k, v] of r.entries) {
        writeReply(w, k);
        writeReply(w, v);
      }
      return;
    default:
      w.u8(r.kind === 'NullArray' ? 1 : 0);
  }
}

function readReply(r: Reader): Reply {
  const tag = r.u8();
  if (tag === 2) return { kind: 'Bulk', bytes: r.bytes() };
  if (tag === 3) {
    const n = r.u32();
    const items: Reply[] = [];
    for (let i = 0; i < n; i++) items.push(readReply(r));
    return array(items);
  }
  if (tag === 4) {
    const v = BigInt(r.latin1());
    return { kind: 'Int', value: v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v };
  }
  if (tag === 5) return { kind: 'Double', value: r.f64() };
  if (tag === 6 || tag === 7) {
    const n = r.u32();
    const entries: [Reply, Reply][] = [];
    for (let i = 0; i < n; i++) entries.push([readReply(r), readReply(r)]);
    return tag === 7 ? { kind: 'Map', entries, resp2: 'pairs' } : { kind: 'Map', entries };
  }
  return tag === 1 ? NULL_ARRAY : NULL;
}

/** The remembered replies, oldest first: u32 count, then (id latin1, reply) each. */
export function writeOnceReplies(w: Writer, table: ReadonlyMap<string, Reply>): void {
  w.u32(table.size);
  for (const [id, r] of table) {
    w.latin1(id);
    writeReply(w, r);
  }
}

export function readOnceReplies(r: Reader, into: Map<string, Reply>): void {
  const n = r.u32();
  for (let i = 0; i < n; i++) into.set(r.latin1(), readReply(r));
}

/** A command's id key for `_once` (the front end's serve ids are latin1 text). */
export const onceArgv = (id: string, a: Argv): Argv => [ascii('_once'), Buffer.from(id, 'latin1'), ...a];
