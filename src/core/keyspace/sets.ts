/**
 * Set commands (Redis 7.0): SADD, SREM, SCARD, SISMEMBER, SMISMEMBER, SMEMBERS, SMOVE, SINTER, SINTERCARD, SUNION,
 * SDIFF and the STORE forms, SRANDMEMBER, SPOP, SSCAN. A set is a Set of members (latin1 strings).
 */
import type { Argv, Reply } from '../../protocol/resp.js';
import { E, NULL, array, bulk, err, fromLatin1, int, isReply, parseInt64, upper } from './bytes.js';
import { beyondCompact } from './encoding.js';
import { emptyScan, invalidCursor, memberItems, parseCursor, parseScanOptions, scanStep } from './cursor.js';
import { randomCount, randomIndexes } from './sample.js';
import { type Ctx, keyOf } from './state.js';

const set = (members: Set<string>) => ({ type: 'set' as const, members });
const setReply = (members: Iterable<string>): Reply => ({ kind: 'Set', items: [...members].map((m) => bulk(fromLatin1(m))) });

export function sadd(c: Ctx, a: Argv): Reply {
  const key = keyOf(a, 1);
  const cur = c.typed(key, 'set');
  if (isReply(cur)) return cur;
  const members = cur?.members ?? new Set<string>();
  const before = members.size;
  for (let i = 2; i < a.length; i++) members.add(keyOf(a, i));
  const added = members.size - before;
  if (added > 0 || cur === null) {
    c.putCollection(key, set(members));
    c.notify('s', 'sadd', key);
  }
  return int(added);
}

export function srem(c: Ctx, a: Argv): Reply {
  const key = keyOf(a, 1);
  const cur = c.typed(key, 'set');
  if (isReply(cur)) return cur;
  if (cur === null) return int(0);
  let removed = 0;
  for (let i = 2; i < a.length; i++) if (cur.members.delete(keyOf(a, i))) removed++;
  if (removed > 0) {
    c.notify('s', 'srem', key);
    c.putCollection(key, cur);
  }
  return int(removed);
}

export function scard(c: Ctx, a: Argv): Reply {
  const cur = c.typed(keyOf(a, 1), 'set');
  return isReply(cur) ? cur : int(cur?.members.size ?? 0);
}

export function sismember(c: Ctx, a: Argv): Reply {
  const cur = c.typed(keyOf(a, 1), 'set');
  return isReply(cur) ? cur : int(cur?.members.has(keyOf(a, 2)) === true ? 1 : 0);
}

export function smismember(c: Ctx, a: Argv): Reply {
  const cur = c.typed(keyOf(a, 1), 'set');
  if (isReply(cur)) return cur;
  return array(a.slice(2).map((_, i) => int(cur?.members.has(keyOf(a, i + 2)) === true ? 1 : 0)));
}

/**
 * A set's members in Redis's order where it is known: an intset's numeric order (a stored set that never converted;
 * a computed one that fits an intset), else insertion order (Redis's hashtable order is its own).
 */
function inOrder(c: Ctx, members: Set<string>, stored: boolean): Iterable<string> {
  const intset = stored ? !c.ks.unpacked.has(members) : !beyondCompact(set(members), c.ks.limits);
  return intset ? [...members].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1)) : members;
}

export function smembers(c: Ctx, a: Argv): Reply {
  const cur = c.typed(keyOf(a, 1), 'set');
  return isReply(cur) ? cur : setReply(cur === null ? [] : inOrder(c, cur.members, true));
}

export function smove(c: Ctx, a: Argv): Reply {
  const src = keyOf(a, 1);
  const dst = keyOf(a, 2);
  const from = c.typed(src, 'set');
  const to = c.typed(dst, 'set');
  if (from === null) return int(0);
  if (isReply(from)) return from;
  if (isReply(to)) return to;
  const m = keyOf(a, 3);
  if (src === dst) return int(from.members.has(m) ? 1 : 0);
  if (!from.members.delete(m)) return int(0);
  c.notify('s', 'srem', src);
  c.putCollection(src, from);
  const members = to?.members ?? new Set<string>();
  if (members.has(m)) return int(1);
  members.add(m);
  c.putCollection(dst, set(members));
  c.notify('s', 'sadd', dst);
  return int(1);
}

type Op = 'inter' | 'union' | 'diff';

/** The sets of keys `from` ≤ i < `to` in order (null for a missing key), or WRONGTYPE. */
function operands(c: Ctx, a: Argv, from: number, to: number): (Set<string> | null)[] | Reply {
  const out: (Set<string> | null)[] = [];
  for (let i = from; i < to; i++) {
    const v = c.typed(keyOf(a, i), 'set');
    if (isReply(v)) return v;
    out.push(v?.members ?? null);
  }
  return out;
}

function combine(sets: (Set<string> | null)[], op: Op, limit = 0): Set<string> {
  if (op === 'union') {
    const out = new Set<string>();
    for (const s of sets) if (s !== null) for (const m of s) out.add(m);
    return out;
  }
  if (op === 'diff') {
    const out = new Set(sets[0] ?? []);
    for (const s of sets.slice(1)) if (s !== null) for (const m of s) out.delete(m);
    return out;
  }
  if (sets.some((s) => s === null)) return new Set();
  const sorted = [...(sets as Set<string>[])].sort((x, y) => x.size - y.size);
  const out = new Set<string>();
  for (const m of sorted[0] ?? []) {
    if (sorted.every((s) => s.has(m))) out.add(m);
    if (limit > 0 && out.size >= limit) break;
  }
  return out;
}

/** SINTER, SUNION, SDIFF. */
export function combineRead(op: Op) {
  return (c: Ctx, a: Argv): Reply => {
    const sets = operands(c, a, 1, a.length);
    return isReply(sets) ? sets : setReply(inOrder(c, combine(sets, op), false));
  };
}

/** SINTERSTORE, SUNIONSTORE, SDIFFSTORE: the result replaces dst (whatever its type); empty deletes it. */
export function combineStore(op: Op) {
  return (c: Ctx, a: Argv): Reply => {
    const sets = operands(c, a, 2, a.length);
    if (isReply(sets)) return sets;
    const result = combine(sets, op);
    const dst = keyOf(a, 1);
    if (result.size === 0) {
      if (c.lookup(dst) !== undefined) {
        c.del(dst);
        c.notify('g', 'del', dst);
      }
      return int(0);
    }
    c.put(dst, set(result), null);
    c.notify('s', `s${op}store`, dst);
    return int(result.size);
  };
}

export function sintercard(c: Ctx, a: Argv): Reply {
  const n = parseInt64(a[1]!);
  if (n === null || n < 1n) return err('ERR numkeys should be greater than 0');
  if (n > BigInt(a.length - 2)) return err("ERR Number of keys can't be greater than number of args");
  const end = 2 + Number(n);
  let limit = 0n;
  for (let j = end; j < a.length; j++) {
    if (upper(a[j]!) === 'LIMIT' && j + 1 < a.length) {
      const v = parseInt64(a[++j]!);
      if (v === null || v < 0n) return err("ERR LIMIT can't be negative");
      limit = v;
    } else return E.syntax;
  }
  const sets = operands(c, a, 2, end);
  if (isReply(sets)) return sets;
  return int(combine(sets, 'inter', Number(limit > 2n ** 52n ? 0n : limit)).size);
}


/** SRANDMEMBER key [count]: one member (or null), or an array of picks (sample.ts). */
export function srandmember(c: Ctx, a: Argv): Reply {
  if (a.length > 3) return E.syntax;
  const count = a.length === 3 ? randomCount(a[2]!) : null;
  if (isReply(count)) return count;
  const cur = c.typed(keyOf(a, 1), 'set');
  if (isReply(cur)) return cur;
  const members = cur === null ? [] : [...inOrder(c, cur.members, true)];
  if (count === null) return members.length === 0 ? NULL : bulk(fromLatin1(members[c.randomBelow(members.length)]!));
  return array(randomIndexes(c, members.length, count).map((i) => bulk(fromLatin1(members[i]!))));
}

/** SPOP key [count]: removes and answers one member (or null), or a set of up to count distinct members. */
export function spop(c: Ctx, a: Argv): Reply {
  if (a.length > 3) return E.syntax;
  let count: number | null = null;
  if (a.length === 3) {
    const n = parseInt64(a[2]!);
    if (n === null || n < 0n) return err('ERR value is out of range, must be positive');
    count = Number(n > 2n ** 52n ? 2n ** 52n : n);
  }
  const key = keyOf(a, 1);
  const cur = c.typed(key, 'set');
  if (isReply(cur)) return cur;
  if (cur === null) return count === null ? NULL : setReply([]);
  if (count === 0) return setReply([]);
  const members = [...inOrder(c, cur.members, true)];
  const popped = randomIndexes(c, members.length, count ?? 1).map((i) => members[i]!);
  for (const m of popped) cur.members.delete(m);
  c.notify('s', 'spop', key);
  c.putCollection(key, cur);
  return count === null ? bulk(fromLatin1(popped[0]!)) : setReply(popped);
}

/** SSCAN key cursor [MATCH p] [COUNT n] (cursor.ts); an intset answers its members in numeric order, as Redis. */
export function sscan(c: Ctx, a: Argv): Reply {
  const cursor = parseCursor(a[2]!);
  if (cursor === null) return invalidCursor;
  const cur = c.typed(keyOf(a, 1), 'set');
  if (isReply(cur)) return cur;
  if (cur === null) return emptyScan;
  const o = parseScanOptions(a, 3, false);
  if (isReply(o)) return o;
  return scanStep(inOrder(c, cur.members, true), (m) => m, cursor, o, !c.ks.unpacked.has(cur.members), memberItems);
}
