/**
 * List commands (Redis 7.0): LPUSH/RPUSH(X), LPOP/RPOP with count, LLEN, LRANGE, LINDEX, LSET, LINSERT, LREM, LTRIM,
 * LPOS, LMOVE, RPOPLPUSH, LMPOP. A list is an array, head first. Argument errors come before the key is looked up,
 * in Redis's order.
 */
import type { Argv, Reply } from '../../protocol/resp.js';
import { E, NULL, NULL_ARRAY, OK, array, bulk, bytesEqual, err, int, int64Min, isReply, parseInt64, upper } from './bytes.js';
import { type Ctx, keyOf } from './state.js';

type End = 'left' | 'right';
const popEvent = (end: End): string => (end === 'left' ? 'lpop' : 'rpop');
const pushEvent = (end: End): string => (end === 'left' ? 'lpush' : 'rpush');
const list = (items: Uint8Array[]) => ({ type: 'list' as const, items });
const longMax = 2n ** 63n - 1n;

/** Redis's getRangeLongFromObjectOrReply: an integer in [min, max], else `ERR msg`. */
export function rangedLong(b: Uint8Array, min: bigint, max: bigint, msg: string): bigint | Reply {
  const v = parseInt64(b);
  if (v === null || v < min || v > max) return err(`ERR ${msg}`);
  return v;
}
const positive = (b: Uint8Array): bigint | Reply => rangedLong(b, 0n, longMax, 'value is out of range, must be positive');

function end(b: Uint8Array): End | null {
  const w = upper(b);
  return w === 'LEFT' ? 'left' : w === 'RIGHT' ? 'right' : null;
}

/** LPUSH, RPUSH and, with `onlyExisting`, LPUSHX/RPUSHX. */
export function push(where: End, onlyExisting: boolean) {
  return (c: Ctx, a: Argv): Reply => {
    const key = keyOf(a, 1);
    const cur = c.list(key);
    if (isReply(cur)) return cur;
    if (cur === null && onlyExisting) return int(0);
    const items = cur ?? [];
    for (let i = 2; i < a.length; i++) {
      if (where === 'left') items.unshift(a[i]!);
      else items.push(a[i]!);
    }
    c.putCollection(key, list(items));
    c.notify('l', pushEvent(where), key);
    return int(items.length);
  };
}

function popN(items: Uint8Array[], where: End, n: number): Uint8Array[] {
  return where === 'left' ? items.splice(0, n) : items.splice(items.length - n, n).reverse();
}

/** After popping from a key: the pop event, then `del` when it emptied. */
function afterPop(c: Ctx, key: string, items: Uint8Array[], where: End, index: number = c.db): void {
  c.notify('l', popEvent(where), key, index);
  c.putCollection(key, list(items), index);
}

/** LPOP/RPOP key [count]. */
export function pop(where: End) {
  return (c: Ctx, a: Argv): Reply => {
    if (a.length > 3) return err(`ERR wrong number of arguments for '${popEvent(where)}' command`);
    const hasCount = a.length === 3;
    let count = 0n;
    if (hasCount) {
      const n = positive(a[2]!);
      if (isReply(n)) return n;
      count = n;
    }
    const key = keyOf(a, 1);
    const items = c.list(key);
    if (isReply(items)) return items;
    if (items === null) return hasCount ? NULL_ARRAY : NULL;
    if (hasCount && count === 0n) return array([]);
    const got = popN(items, where, hasCount ? Number(count > BigInt(items.length) ? BigInt(items.length) : count) : 1);
    afterPop(c, key, items, where);
    return hasCount ? array(got.map(bulk)) : bulk(got[0]!);
  };
}

export function llen(c: Ctx, a: Argv): Reply {
  const items = c.list(keyOf(a, 1));
  return isReply(items) ? items : int(items?.length ?? 0);
}

/** Redis's start/stop normalisation: [from, to] inclusive, or null when the range is empty. */
export function span(startArg: bigint, stopArg: bigint, len: number): [number, number] | null {
  const n = BigInt(len);
  let start = startArg < 0n ? startArg + n : startArg;
  let stop = stopArg < 0n ? stopArg + n : stopArg;
  if (start < 0n) start = 0n;
  if (start > stop || start >= n) return null;
  if (stop >= n) stop = n - 1n;
  return [Number(start), Number(stop)];
}

function twoInts(a: Argv, i: number): [bigint, bigint] | Reply {
  const x = parseInt64(a[i]!);
  const y = parseInt64(a[i + 1]!);
  return x === null || y === null ? E.notInt : [x, y];
}

export function lrange(c: Ctx, a: Argv): Reply {
  const r = twoInts(a, 2);
  if (isReply(r)) return r;
  const items = c.list(keyOf(a, 1));
  if (isReply(items)) return items;
  const s = span(r[0], r[1], items?.length ?? 0);
  return array(s === null ? [] : items!.slice(s[0], s[1] + 1).map(bulk));
}

function at(items: Uint8Array[], i: bigint): number | null {
  const j = i < 0n ? i + BigInt(items.length) : i;
  return j < 0n || j >= BigInt(items.length) ? null : Number(j);
}

export function lindex(c: Ctx, a: Argv): Reply {
  const items = c.list(keyOf(a, 1));
  if (isReply(items)) return items;
  if (items === null) return NULL;
  const i = parseInt64(a[2]!);
  if (i === null) return E.notInt;
  const j = at(items, i);
  return j === null ? NULL : bulk(items[j]!);
}

/** LSET (like LINDEX, the key is looked up before the index is parsed). */
export function lset(c: Ctx, a: Argv): Reply {
  const key = keyOf(a, 1);
  const items = c.list(key);
  if (isReply(items)) return items;
  if (items === null) return E.noSuchKey;
  const i = parseInt64(a[2]!);
  if (i === null) return E.notInt;
  const j = at(items, i);
  if (j === null) return err('ERR index out of range');
  items[j] = a[3]!;
  c.putCollection(key, list(items));
  c.notify('l', 'lset', key);
  return OK;
}

export function linsert(c: Ctx, a: Argv): Reply {
  const w = upper(a[2]!);
  if (w !== 'BEFORE' && w !== 'AFTER') return E.syntax;
  const key = keyOf(a, 1);
  const items = c.list(key);
  if (isReply(items)) return items;
  if (items === null) return int(0);
  const i = items.findIndex((x) => bytesEqual(x, a[3]!));
  if (i < 0) return int(-1);
  items.splice(w === 'BEFORE' ? i : i + 1, 0, a[4]!);
  c.putCollection(key, list(items));
  c.notify('l', 'linsert', key);
  return int(items.length);
}

export function lrem(c: Ctx, a: Argv): Reply {
  const n = parseInt64(a[2]!);
  if (n === null) return E.notInt;
  const key = keyOf(a, 1);
  const items = c.list(key);
  if (isReply(items)) return items;
  if (items === null) return int(0);
  const limit = n === 0n ? Infinity : Number(n < 0n ? -n : n);
  const drop = new Array<boolean>(items.length).fill(false);
  let removed = 0;
  for (let k = 0; k < items.length && removed < limit; k++) {
    const i = n < 0n ? items.length - 1 - k : k;
    if (bytesEqual(items[i]!, a[3]!)) {
      drop[i] = true;
      removed++;
    }
  }
  const kept = items.filter((_, i) => !drop[i]);
  items.length = 0;
  items.push(...kept);
  if (removed > 0) {
    c.notify('l', 'lrem', key);
    c.putCollection(key, list(items));
  }
  return int(removed);
}

export function ltrim(c: Ctx, a: Argv): Reply {
  const r = twoInts(a, 2);
  if (isReply(r)) return r;
  const key = keyOf(a, 1);
  const items = c.list(key);
  if (isReply(items)) return items;
  if (items === null) return OK;
  const s = span(r[0], r[1], items.length);
  const kept = s === null ? [] : items.slice(s[0], s[1] + 1);
  items.length = 0;
  items.push(...kept);
  c.notify('l', 'ltrim', key);
  c.putCollection(key, list(items));
  return OK;
}

export function lpos(c: Ctx, a: Argv): Reply {
  let rank = 1n;
  let count: bigint | null = null;
  let maxlen = 0n;
  for (let j = 3; j < a.length; j++) {
    const opt = upper(a[j]!);
    const more = j + 1 < a.length;
    if (opt === 'RANK' && more) {
      const v = parseInt64(a[++j]!);
      if (v === null) return E.notInt;
      if (v === 0n) return err("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
      rank = v;
    } else if (opt === 'COUNT' && more) {
      const v = positive(a[++j]!);
      if (isReply(v)) return err("ERR COUNT can't be negative");
      count = v;
    } else if (opt === 'MAXLEN' && more) {
      const v = positive(a[++j]!);
      if (isReply(v)) return err("ERR MAXLEN can't be negative");
      maxlen = v;
    } else return E.syntax;
  }
  const items = c.list(keyOf(a, 1));
  if (isReply(items)) return items;
  const found: Reply[] = [];
  const want = count === null ? 1n : count === 0n ? BigInt(Number.MAX_SAFE_INTEGER) : count;
  // Redis negates a negative rank in a C long: LONG_MIN stays negative and so skips no match.
  let skip = rank === int64Min ? 0n : (rank < 0n ? -rank : rank) - 1n;
  const len = items?.length ?? 0;
  for (let k = 0; k < len && (maxlen === 0n || BigInt(k) < maxlen) && BigInt(found.length) < want; k++) {
    const i = rank < 0n ? len - 1 - k : k;
    if (!bytesEqual(items![i]!, a[2]!)) continue;
    if (skip > 0n) skip--;
    else found.push(int(i));
  }
  if (count !== null) return array(found);
  return found[0] ?? NULL;
}

/** LMOVE src dst LEFT|RIGHT LEFT|RIGHT and RPOPLPUSH (RIGHT LEFT). */
function move(c: Ctx, a: Argv, from: End, to: End): Reply {
  const src = keyOf(a, 1);
  const dst = keyOf(a, 2);
  const items = c.list(src);
  if (isReply(items)) return items;
  if (items === null) return NULL;
  const target = src === dst ? items : c.list(dst);
  if (isReply(target)) return target;
  const [v] = popN(items, from, 1);
  const out = target ?? [];
  if (to === 'left') out.unshift(v!);
  else out.push(v!);
  c.putCollection(dst, list(out));
  c.notify('l', pushEvent(to), dst);
  afterPop(c, src, items, from);
  return bulk(v!);
}

export function lmove(c: Ctx, a: Argv): Reply {
  const from = end(a[3]!);
  const to = end(a[4]!);
  if (from === null || to === null) return E.syntax;
  return move(c, a, from, to);
}

export function rpoplpush(c: Ctx, a: Argv): Reply {
  return move(c, a, 'right', 'left');
}

/**
 * The arguments of LMPOP/ZMPOP (and their blocking forms): numkeys at `numkeysIdx`, the keys, one of `ends`, an
 * optional COUNT. Returns the keys' index range [first, end), which end (0 or 1) and the count (1 by default).
 */
export function mpopArgs(a: Argv, numkeysIdx: number, ends: readonly [string, string]): { first: number; end: number; which: 0 | 1; count: number } | Reply {
  const nk = rangedLong(a[numkeysIdx]!, 1n, longMax, 'numkeys should be greater than 0');
  if (isReply(nk)) return nk;
  const whereIdx = BigInt(numkeysIdx + 1) + nk;
  if (whereIdx >= BigInt(a.length)) return E.syntax;
  const w = ends.indexOf(upper(a[Number(whereIdx)]!));
  if (w < 0) return E.syntax;
  let count = -1n;
  for (let j = Number(whereIdx) + 1; j < a.length; j++) {
    if (count === -1n && upper(a[j]!) === 'COUNT' && j + 1 < a.length) {
      const v = rangedLong(a[++j]!, 1n, longMax, 'count should be greater than 0');
      if (isReply(v)) return v;
      count = v;
    } else return E.syntax;
  }
  const n = count === -1n ? 1 : count > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(count);
  return { first: numkeysIdx + 1, end: Number(whereIdx), which: w as 0 | 1, count: n };
}

/** LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]. */
export function lmpop(c: Ctx, a: Argv): Reply {
  const p = mpopArgs(a, 1, ['LEFT', 'RIGHT']);
  if (isReply(p)) return p;
  const where: End = p.which === 0 ? 'left' : 'right';
  for (let i = p.first; i < p.end; i++) {
    const key = keyOf(a, i);
    const items = c.list(key);
    if (isReply(items)) return items;
    if (items === null || items.length === 0) continue;
    const got = popN(items, where, Math.min(p.count, items.length));
    afterPop(c, key, items, where);
    return array([bulk(a[i]!), array(got.map(bulk))]);
  }
  return NULL_ARRAY;
}
