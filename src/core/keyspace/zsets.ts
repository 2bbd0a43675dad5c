/**
 * Sorted set commands (Redis 7.0): ZADD (NX XX GT LT CH INCR), ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK,
 * ZREVRANK, ZCOUNT, ZLEXCOUNT, ZRANGE (BYSCORE BYLEX REV LIMIT WITHSCORES) and the older ZRANGEBYSCORE,
 * ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX, ZREVRANGE, ZRANGESTORE, ZREMRANGEBYRANK/SCORE/LEX, ZPOPMIN,
 * ZPOPMAX, ZMPOP, ZUNION, ZINTER, ZDIFF, ZINTERCARD and the STORE forms, ZRANDMEMBER, ZSCAN. Errors in Redis's
 * order (arguments, then the key). A zset is a `SortedSet` (sorted.ts). Scores are doubles, answered as `Double`
 * replies (RESP3 `,`; RESP2 a bulk of `%.17g`); WITHSCORES answers nested pairs in RESP3 (`pairs`).
 */
import type { Argv, Reply } from '../../protocol/resp.js';
import { E, NULL, NULL_ARRAY, array, bulk, bulkText, err, fromLatin1, int, isReply, latin1, parseInt64, upper } from './bytes.js';
import { formatDouble, strtod, string2d } from './double.js';
import { globMatch } from './glob.js';
import { emptyScan, invalidCursor, parseCursor, parseScanOptions, scanStep } from './cursor.js';
import { mpopArgs, rangedLong, span } from './lists.js';
import { SortedSet, type ZNode, type ZsetLimits } from './sorted.js';
import { type Ctx, keyOf } from './state.js';

const longMax = 2n ** 63n - 1n;
/** ZRANDMEMBER answers at most this many members (Redis streams any count; conclave builds the reply whole). */
export const randomMembersMax = 1_000_000;

const zval = (z: SortedSet) => ({ type: 'zset' as const, z });
const dbl = (value: number): Reply => ({ kind: 'Double', value });
const nanError = err('ERR resulting score is not a number (NaN)');
const notFloatRange = err('ERR min or max is not a float');
const notLexRange = err('ERR min or max not valid string range item');

type Entry = readonly [member: string, score: number];

/** Members (and scores): a flat array, or with scores RESP3 pairs / RESP2 flat. */
function entriesReply(entries: readonly Entry[], withScores: boolean): Reply {
  if (!withScores) return array(entries.map(([m]) => bulk(fromLatin1(m))));
  return { kind: 'Pairs', pairs: entries.map(([m, s]) => [bulk(fromLatin1(m)), dbl(s)] as const) };
}

/** The thresholds in force (the keyspace's, replicated: CONFIG SET zset-max-listpack-*). */
const limitsOf = (c: Ctx): ZsetLimits => ({ entries: c.ks.limits.zsetMaxListpackEntries, valueBytes: c.ks.limits.zsetMaxListpackValue });

/** A new zset under the thresholds in force. */
function newZset(c: Ctx): SortedSet {
  const z = new SortedSet();
  z.limits = limitsOf(c);
  return z;
}

function zsetOf(c: Ctx, key: string, index?: number): SortedSet | null | Reply {
  const v = c.typed(key, 'zset', index);
  if (v === null || isReply(v)) return v;
  v.z.limits = limitsOf(c);
  return v.z;
}

/** Redis's getLongFromObject: a signed 64-bit integer, else `ERR value is not an integer or out of range`. */
function long(b: Uint8Array): bigint | Reply {
  const v = parseInt64(b);
  return v === null ? E.notInt : v;
}

// -------------------------------------------------------------------------------------------------------------
// Ranges
// -------------------------------------------------------------------------------------------------------------
interface ScoreRange {
  readonly min: number;
  readonly max: number;
  readonly minex: boolean;
  readonly maxex: boolean;
}

/** zslParseRange's item: `(` = exclusive; strtod up to the end (or a NUL); NaN refused. */
function scoreBound(b: Uint8Array): { v: number; ex: boolean } | null {
  const ex = b[0] === 0x28;
  const r = strtod(b, ex ? 1 : 0);
  if ((r.end < b.length && b[r.end] !== 0) || Number.isNaN(r.value)) return null;
  return { v: r.value, ex };
}

function scoreRange(min: Uint8Array, max: Uint8Array): ScoreRange | null {
  const lo = scoreBound(min);
  const hi = scoreBound(max);
  return lo === null || hi === null ? null : { min: lo.v, minex: lo.ex, max: hi.v, maxex: hi.ex };
}

type LexBound = 'min' | 'max' | { readonly s: string; readonly ex: boolean };

/** zslParseLexRangeItem: `-`, `+`, `(x` (exclusive) or `[x` (inclusive). */
function lexBound(b: Uint8Array): LexBound | null {
  const c0 = b[0];
  if ((c0 === 0x2b || c0 === 0x2d) && (b.length === 1 || b[1] === 0)) return c0 === 0x2b ? 'max' : 'min';
  if (c0 === 0x28 || c0 === 0x5b) return { s: latin1(b.subarray(1)), ex: c0 === 0x28 };
  return null;
}

interface LexRange {
  readonly min: LexBound;
  readonly max: LexBound;
}

function lexRange(min: Uint8Array, max: Uint8Array): LexRange | null {
  const lo = lexBound(min);
  const hi = lexBound(max);
  return lo === null || hi === null ? null : { min: lo, max: hi };
}

type Range = { readonly by: 'score'; readonly r: ScoreRange } | { readonly by: 'lex'; readonly r: LexRange };

/** A range argument pair as `type` reads it: ranks (signed 64-bit), scores or lex items; else the error. */
function parseRange(type: 'rank' | 'score' | 'lex', min: Uint8Array, max: Uint8Array): Range | { readonly by: 'rank'; readonly start: bigint; readonly stop: bigint } | Reply {
  if (type === 'rank') {
    const start = long(min);
    if (isReply(start)) return start;
    const stop = long(max);
    return isReply(stop) ? stop : { by: 'rank', start, stop };
  }
  if (type === 'score') {
    const r = scoreRange(min, max);
    return r === null ? notFloatRange : { by: 'score', r };
  }
  const r = lexRange(min, max);
  return r === null ? notLexRange : { by: 'lex', r };
}

/** Whether (score, member) is at or past the range's start / at or before its end. */
function gteMin(range: Range, score: number, member: string): boolean {
  if (range.by === 'score') return range.r.minex ? score > range.r.min : score >= range.r.min;
  const m = range.r.min;
  return m === 'min' ? true : m === 'max' ? false : m.ex ? member > m.s : member >= m.s;
}

function lteMax(range: Range, score: number, member: string): boolean {
  if (range.by === 'score') return range.r.maxex ? score < range.r.max : score <= range.r.max;
  const m = range.r.max;
  return m === 'max' ? true : m === 'min' ? false : m.ex ? member < m.s : member <= m.s;
}

/**
 * The ranks [from, to) of the members in range (from ≥ to: none), found from the start or (`rev`) from the end.
 * Two skiplist walks; a lex range on a listpack-sized zset is scanned as Redis scans its listpack, which differs
 * when members have different scores (Redis leaves that case undefined; this keeps small zsets exact).
 */
function ranksIn(z: SortedSet, range: Range, rev = false): [number, number] {
  if (range.by === 'score' || z.skiplist) {
    const from = z.countBefore((s, m) => !gteMin(range, s, m));
    return [from, z.countBefore((s, m) => lteMax(range, s, m))];
  }
  const inMin = (n: ZNode): boolean => gteMin(range, n.score, n.member);
  const inMax = (n: ZNode): boolean => lteMax(range, n.score, n.member);
  const nodes = [...z.entries()];
  if (!inMin(nodes[nodes.length - 1]!) || !inMax(nodes[0]!)) return [0, 0];
  if (!rev) {
    const from = nodes.findIndex(inMin);
    if (from < 0 || !inMax(nodes[from]!)) return [0, 0];
    let to = from;
    while (to < nodes.length && inMax(nodes[to]!)) to++;
    return [from, to];
  }
  let last = nodes.length - 1;
  while (last >= 0 && !inMax(nodes[last]!)) last--;
  if (last < 0 || !inMin(nodes[last]!)) return [0, 0];
  let first = last;
  while (first >= 0 && inMin(nodes[first]!)) first--;
  return [first + 1, last + 1];
}

const entryOf = (n: ZNode): Entry => [n.member, n.score];

/** The entries of ranks [from, to) skipping `offset`, at most `limit` (negative: all), forwards or from the end. */
function slice(z: SortedSet, from: number, to: number, offset: bigint, limit: bigint, rev: boolean): Entry[] {
  if (offset < 0n || to <= from) return [];
  const n = to - from;
  if (offset >= BigInt(n)) return [];
  let count = n - Number(offset);
  if (limit >= 0n && limit < BigInt(count)) count = Number(limit);
  if (count === 0) return [];
  const first = rev ? z.size - to + Number(offset) : from + Number(offset);
  return [...z.range(first, first + count - 1, rev)].map(entryOf);
}

// -------------------------------------------------------------------------------------------------------------
// ZADD, ZINCRBY, ZREM
// -------------------------------------------------------------------------------------------------------------
function zaddGeneric(c: Ctx, a: Argv, scoreIdx: number, incrCmd: boolean): Reply {
  let nx = false;
  let xx = false;
  let gt = false;
  let lt = false;
  let ch = false;
  let incr = incrCmd;
  let i = scoreIdx;
  for (; i < a.length; i++) {
    const o = upper(a[i]!);
    if (o === 'NX') nx = true;
    else if (o === 'XX') xx = true;
    else if (o === 'GT') gt = true;
    else if (o === 'LT') lt = true;
    else if (o === 'CH') ch = true;
    else if (o === 'INCR') incr = true;
    else break;
  }
  const elements = a.length - i;
  if (elements % 2 !== 0 || elements === 0) return E.syntax;
  if (nx && xx) return err('ERR XX and NX options at the same time are not compatible');
  if ((gt && nx) || (lt && nx) || (gt && lt)) return err('ERR GT, LT, and/or NX options at the same time are not compatible');
  const pairs = elements / 2;
  if (incr && pairs > 1) return err('ERR INCR option supports a single increment-element pair');
  const scores: number[] = [];
  for (let j = 0; j < pairs; j++) {
    const s = string2d(a[i + 2 * j]!);
    if (s === null) return E.notFloat;
    scores.push(s);
  }
  const key = keyOf(a, 1);
  const cur = zsetOf(c, key);
  if (isReply(cur)) return cur;
  if (cur === null && xx) return incr ? NULL : int(0);
  const z = cur ?? newZset(c);
  // Redis 7.0 creates a skiplist zset when the first member alone is past zset-max-listpack-value
  if (cur === null && a[i + 1]!.length > z.limits.valueBytes) z.skiplist = true;
  let added = 0;
  let updated = 0;
  let processed = 0;
  let score = 0;
  for (let j = 0; j < pairs; j++) {
    const m = keyOf(a, i + 2 * j + 1);
    const old = z.scores.get(m);
    let s = scores[j]!;
    if (old !== undefined) {
      if (nx) continue;
      if (incr) {
        s += old;
        if (Number.isNaN(s)) return nanError;
      }
      if ((lt && s >= old) || (gt && s <= old)) continue;
      if (s !== old) {
        z.set(m, s);
        updated++;
      }
    } else if (!xx) {
      z.insert(m, s);
      added++;
    } else continue;
    processed++;
    score = s;
  }
  if (added > 0 || updated > 0) {
    c.putCollection(key, zval(z));
    c.notify('z', incr ? 'zincr' : 'zadd', key);
  }
  if (incr) return processed > 0 ? dbl(score) : NULL;
  return int(ch ? added + updated : added);
}

export const zadd = (c: Ctx, a: Argv): Reply => zaddGeneric(c, a, 2, false);
export const zincrby = (c: Ctx, a: Argv): Reply => zaddGeneric(c, a, 2, true);

export function zrem(c: Ctx, a: Argv): Reply {
  const key = keyOf(a, 1);
  const z = zsetOf(c, key);
  if (isReply(z)) return z;
  if (z === null) return int(0);
  let removed = 0;
  for (let i = 2; i < a.length; i++) if (z.remove(keyOf(a, i))) removed++;
  if (removed > 0) {
    c.notify('z', 'zrem', key);
    c.putCollection(key, zval(z));
  }
  return int(removed);
}

// -------------------------------------------------------------------------------------------------------------
// Point reads
// -------------------------------------------------------------------------------------------------------------
export function zcard(c: Ctx, a: Argv): Reply {
  const z = zsetOf(c, keyOf(a, 1));
  return isReply(z) ? z : int(z?.size ?? 0);
}

export function zscore(c: Ctx, a: Argv): Reply {
  const z = zsetOf(c, keyOf(a, 1));
  if (isReply(z)) return z;
  const s = z?.scores.get(keyOf(a, 2));
  return s === undefined ? NULL : dbl(s);
}

export function zmscore(c: Ctx, a: Argv): Reply {
  const z = zsetOf(c, keyOf(a, 1));
  if (isReply(z)) return z;
  return array(a.slice(2).map((m) => {
    const s = z?.scores.get(latin1(m));
    return s === undefined ? NULL : dbl(s);
  }));
}

/** ZRANK, ZREVRANK. */
export function zrank(rev: boolean) {
  return (c: Ctx, a: Argv): Reply => {
    const z = zsetOf(c, keyOf(a, 1));
    if (isReply(z)) return z;
    const r = z?.rank(keyOf(a, 2)) ?? null;
    return r === null ? NULL : int(rev ? z!.size - 1 - r : r);
  };
}

/** ZCOUNT (scores), ZLEXCOUNT (lex items). */
export function zcount(type: 'score' | 'lex') {
  return (c: Ctx, a: Argv): Reply => {
    const range = parseRange(type, a[2]!, a[3]!);
    if (isReply(range)) return range;
    const z = zsetOf(c, keyOf(a, 1));
    if (isReply(z) || z === null) return z ?? int(0);
    const [from, to] = ranksIn(z, range as Range);
    return int(Math.max(0, to - from));
  };
}

// -------------------------------------------------------------------------------------------------------------
// ZRANGE and its forms
// -------------------------------------------------------------------------------------------------------------
type RangeType = 'auto' | 'rank' | 'score' | 'lex';
type Direction = 'auto' | 'forward' | 'reverse';

/** The new zset a STORE command writes (Redis builds it whole: its encoding follows its contents). */
function storeResult(c: Ctx, dst: string, entries: Iterable<Entry>, event: string): Reply {
  const z = newZset(c);
  for (const [m, s] of entries) z.insert(m, s);
  if (z.size === 0) {
    if (c.lookup(dst) !== undefined) {
      c.del(dst);
      c.notify('g', 'del', dst);
    }
    return int(0);
  }
  z.settleEncoding();
  c.put(dst, zval(z), null);
  c.notify('z', event, dst);
  return int(z.size);
}

/** Redis's zrangeGenericCommand: `argStart` is the source key's index; `dst` for ZRANGESTORE. */
function zrangeGeneric(c: Ctx, a: Argv, argStart: number, dst: string | null, type0: RangeType, dir0: Direction): Reply {
  let type = type0;
  let dir = dir0;
  let withScores = false;
  let offset = 0n;
  let limit = -1n;
  for (let j = argStart + 3; j < a.length; j++) {
    const o = upper(a[j]!);
    const left = a.length - j - 1;
    if (dst === null && o === 'WITHSCORES') withScores = true;
    else if (o === 'LIMIT' && left >= 2) {
      const off = long(a[j + 1]!);
      if (isReply(off)) return off;
      const lim = long(a[j + 2]!);
      if (isReply(lim)) return lim;
      offset = off;
      limit = lim;
      j += 2;
    } else if (dir === 'auto' && o === 'REV') dir = 'reverse';
    else if (type === 'auto' && o === 'BYLEX') type = 'lex';
    else if (type === 'auto' && o === 'BYSCORE') type = 'score';
    else return E.syntax;
  }
  if (dir === 'auto') dir = 'forward';
  if (type === 'auto') type = 'rank';
  if (limit !== -1n && type === 'rank') return err('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
  if (withScores && type === 'lex') return err('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
  const rev = dir === 'reverse';
  const [minArg, maxArg] = rev && type !== 'rank' ? [a[argStart + 2]!, a[argStart + 1]!] : [a[argStart + 1]!, a[argStart + 2]!];
  const range = parseRange(type, minArg, maxArg);
  if (isReply(range)) return range;
  const z = zsetOf(c, keyOf(a, argStart));
  if (isReply(z)) return z;
  let entries: Entry[] = [];
  if (z !== null) {
    if (range.by === 'rank') {
      const s = span(range.start, range.stop, z.size);
      if (s !== null) entries = [...z.range(s[0], s[1], rev)].map(entryOf);
    } else {
      const [from, to] = ranksIn(z, range, rev);
      entries = slice(z, from, to, offset, limit, rev);
    }
  }
  if (dst !== null) return storeResult(c, dst, entries, 'zrangestore');
  return entriesReply(entries, withScores);
}

export const zrange = (c: Ctx, a: Argv): Reply => zrangeGeneric(c, a, 1, null, 'auto', 'auto');
export const zrangestore = (c: Ctx, a: Argv): Reply => zrangeGeneric(c, a, 2, keyOf(a, 1), 'auto', 'auto');
/** ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX. */
export function zrangeForm(type: RangeType, rev: boolean) {
  return (c: Ctx, a: Argv): Reply => zrangeGeneric(c, a, 1, null, type, rev ? 'reverse' : 'forward');
}

// -------------------------------------------------------------------------------------------------------------
// ZREMRANGEBY*
// -------------------------------------------------------------------------------------------------------------
/** ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX. */
export function zremrange(type: 'rank' | 'score' | 'lex') {
  const event = `zremrangeby${type}`;
  return (c: Ctx, a: Argv): Reply => {
    const range = parseRange(type, a[2]!, a[3]!);
    if (isReply(range)) return range;
    const key = keyOf(a, 1);
    const z = zsetOf(c, key);
    if (isReply(z)) return z;
    if (z === null) return int(0);
    let from: number;
    let to: number;
    if (range.by === 'rank') {
      const s = span(range.start, range.stop, z.size);
      if (s === null) return int(0);
      [from, to] = [s[0], s[1] + 1];
    } else [from, to] = ranksIn(z, range);
    if (to <= from) return int(0);
    const doomed = [...z.range(from, to - 1)].map((n) => n.member);
    for (const m of doomed) z.remove(m);
    c.notify('z', event, key);
    c.putCollection(key, zval(z));
    return int(doomed.length);
  };
}

// -------------------------------------------------------------------------------------------------------------
// Pops
// -------------------------------------------------------------------------------------------------------------
export type End = 'min' | 'max';

/**
 * Pop up to `count` members from a zset key's min or max end, with the `zpopmin`/`zpopmax` event (and `del` when it
 * empties). The key must hold a non-empty zset. Shared with the blocking pops (BZPOPMIN, BZPOPMAX, BZMPOP).
 */
export function popFrom(c: Ctx, key: string, z: SortedSet, where: End, count: number): Entry[] {
  const n = Math.min(count, z.size);
  const got = [...z.range(0, n - 1, where === 'max')].map(entryOf);
  for (const [m] of got) z.remove(m);
  c.notify('z', where === 'min' ? 'zpopmin' : 'zpopmax', key);
  c.putCollection(key, zval(z));
  return got;
}

/** ZPOPMIN / ZPOPMAX key [count]. */
export function zpop(where: End) {
  return (c: Ctx, a: Argv): Reply => {
    if (a.length > 3) return E.syntax;
    let count = -1;
    if (a.length === 3) {
      const v = rangedLong(a[2]!, 0n, longMax, 'value is out of range, must be positive');
      if (isReply(v)) return v;
      count = v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
    }
    const key = keyOf(a, 1);
    const z = zsetOf(c, key);
    if (isReply(z)) return z;
    if (z === null || count === 0) return array([]);
    const got = popFrom(c, key, z, where, count === -1 ? 1 : count);
    if (count === -1) return array(got.flatMap(([m, s]) => [bulk(fromLatin1(m)), dbl(s)]));
    return entriesReply(got, true);
  };
}

/** ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]. */
export function zmpop(c: Ctx, a: Argv): Reply {
  const p = mpopArgs(a, 1, ['MIN', 'MAX']);
  if (isReply(p)) return p;
  for (let i = p.first; i < p.end; i++) {
    const key = keyOf(a, i);
    const z = zsetOf(c, key);
    if (isReply(z)) return z;
    if (z === null) continue;
    const got = popFrom(c, key, z, p.which === 0 ? 'min' : 'max', p.count);
    return array([bulk(a[i]!), array(got.map(([m, s]) => array([bulk(fromLatin1(m)), dbl(s)])))]);
  }
  return NULL_ARRAY;
}

// -------------------------------------------------------------------------------------------------------------
// ZUNION, ZINTER, ZDIFF, ZINTERCARD and the STORE forms
// -------------------------------------------------------------------------------------------------------------
type SetOp = 'union' | 'inter' | 'diff';
type Aggregate = 'sum' | 'min' | 'max';

/** An input: a zset's scores, a set's members (score 1), or nothing (a missing key). */
interface Source {
  readonly scores: ReadonlyMap<string, number> | null;
  readonly members: ReadonlySet<string> | null;
  readonly id: object | null;
  weight: number;
}

const sourceSize = (s: Source): number => s.scores?.size ?? s.members?.size ?? 0;
function sourceScore(s: Source, m: string): number | undefined {
  if (s.scores !== null) return s.scores.get(m);
  return s.members?.has(m) === true ? 1 : undefined;
}
function* sourceEntries(s: Source): Generator<Entry> {
  if (s.scores !== null) yield* s.scores;
  else if (s.members !== null) for (const m of s.members) yield [m, 1];
}

function aggregate(target: number, val: number, how: Aggregate): number {
  if (how === 'sum') {
    const t = target + val;
    return Number.isNaN(t) ? 0 : t;
  }
  if (how === 'min') return val < target ? val : target;
  return val > target ? val : target;
}

function combine(srcs: Source[], op: SetOp, how: Aggregate, limit: number): Map<string, number> {
  const out = new Map<string, number>();
  if (op === 'diff') {
    const [first, ...rest] = srcs;
    for (const [m, s] of sourceEntries(first!)) if (rest.every((r) => sourceScore(r, m) === undefined)) out.set(m, s);
    return out;
  }
  const sorted = [...srcs].sort((x, y) => sourceSize(x) - sourceSize(y));
  if (op === 'union') {
    for (const src of sorted) {
      for (const [m, s] of sourceEntries(src)) {
        let v = src.weight * s;
        if (Number.isNaN(v)) v = 0;
        const old = out.get(m);
        out.set(m, old === undefined ? v : aggregate(old, v, how));
      }
    }
    return out;
  }
  const [first, ...rest] = sorted;
  if (sourceSize(first!) === 0) return out;
  for (const [m, s] of sourceEntries(first!)) {
    let score = first!.weight * s;
    if (Number.isNaN(score)) score = 0;
    let all = true;
    for (const r of rest) {
      const v = r.id === first!.id ? s : sourceScore(r, m);
      if (v === undefined) {
        all = false;
        break;
      }
      score = aggregate(score, r.weight * v, how);
    }
    if (!all) continue;
    out.set(m, score);
    if (limit > 0 && out.size >= limit) break;
  }
  return out;
}

function sortedEntries(m: Map<string, number>): Entry[] {
  return [...m].sort((x, y) => (x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
}

/** Redis's zunionInterDiffGenericCommand; `dst` for the STORE forms, `card` for ZINTERCARD. */
function setOpGeneric(c: Ctx, a: Argv, numkeysIdx: number, op: SetOp, dst: string | null, card: boolean): Reply {
  const nk = long(a[numkeysIdx]!);
  if (isReply(nk)) return nk;
  if (nk < 1n) return err(`ERR at least 1 input key is needed for '${latin1(a[0]!).toLowerCase()}' command`);
  if (nk > BigInt(a.length - numkeysIdx - 1)) return E.syntax;
  const n = Number(nk);
  const srcs: Source[] = [];
  for (let i = 0; i < n; i++) {
    const e = c.lookup(keyOf(a, numkeysIdx + 1 + i));
    const v = e?.value;
    if (v !== undefined && v.type !== 'zset' && v.type !== 'set') return E.wrongType;
    srcs.push({
      scores: v?.type === 'zset' ? v.z.scores : null,
      members: v?.type === 'set' ? v.members : null,
      id: v ?? null,
      weight: 1,
    });
  }
  let how: Aggregate = 'sum';
  let withScores = false;
  let limit = 0;
  for (let j = numkeysIdx + 1 + n; j < a.length; ) {
    const left = a.length - j;
    const o = upper(a[j]!);
    if (op !== 'diff' && !card && left >= n + 1 && o === 'WEIGHTS') {
      j++;
      for (let i = 0; i < n; i++, j++) {
        const w = string2d(a[j]!);
        if (w === null) return err('ERR weight value is not a float');
        srcs[i]!.weight = w;
      }
    } else if (op !== 'diff' && !card && left >= 2 && o === 'AGGREGATE') {
      const h = upper(a[j + 1]!);
      if (h !== 'SUM' && h !== 'MIN' && h !== 'MAX') return E.syntax;
      how = h.toLowerCase() as Aggregate;
      j += 2;
    } else if (dst === null && !card && o === 'WITHSCORES') {
      withScores = true;
      j++;
    } else if (card && left >= 2 && o === 'LIMIT') {
      const v = rangedLong(a[j + 1]!, 0n, longMax, "LIMIT can't be negative");
      if (isReply(v)) return v;
      limit = v > BigInt(Number.MAX_SAFE_INTEGER) ? 0 : Number(v);
      j += 2;
    } else return E.syntax;
  }
  const result = combine(srcs, op, how, card ? limit : 0);
  if (card) return int(result.size);
  const entries = sortedEntries(result);
  if (dst !== null) return storeResult(c, dst, entries, `z${op}store`);
  return entriesReply(entries, withScores);
}

/** ZUNION, ZINTER, ZDIFF numkeys key ... */
export function zsetOp(op: SetOp) {
  return (c: Ctx, a: Argv): Reply => setOpGeneric(c, a, 1, op, null, false);
}
/** ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE dst numkeys key ... */
export function zsetOpStore(op: SetOp) {
  return (c: Ctx, a: Argv): Reply => setOpGeneric(c, a, 2, op, keyOf(a, 1), false);
}
export const zintercard = (c: Ctx, a: Argv): Reply => setOpGeneric(c, a, 1, 'inter', null, true);

// -------------------------------------------------------------------------------------------------------------
// ZRANDMEMBER, ZSCAN
// -------------------------------------------------------------------------------------------------------------
/** ZRANDMEMBER key [count [WITHSCORES]]: draws from `Ctx.random` (the same on every replica for a txn). */
export function zrandmember(c: Ctx, a: Argv): Reply {
  if (a.length === 2) {
    const z = zsetOf(c, keyOf(a, 1));
    if (isReply(z) || z === null) return z ?? NULL;
    return bulk(fromLatin1(z.at(Math.floor(c.random() * z.size))!.member));
  }
  const l = parseInt64(a[2]!);
  if (l === null) return E.notInt;
  if (l < -longMax) return err(`ERR value is out of range, value must between -${longMax} and ${longMax}`);
  if (a.length > 4 || (a.length === 4 && upper(a[3]!) !== 'WITHSCORES')) return E.syntax;
  const withScores = a.length === 4;
  if (withScores && (l < -longMax / 2n || l > longMax / 2n)) return err('ERR value is out of range');
  const z = zsetOf(c, keyOf(a, 1));
  if (isReply(z) || z === null) return z ?? array([]);
  const uniq = l >= 0n;
  const count = uniq ? l : -l;
  if (count === 0n) return array([]);
  const size = z.size;
  if (uniq && count >= BigInt(size)) return entriesReply([...z.range(0, size - 1, true)].map(entryOf), withScores);
  if (count > BigInt(randomMembersMax)) return err(`ERR count is beyond ${randomMembersMax}`);
  const n = Number(count);
  const out: Entry[] = [];
  if (!uniq || n === 1) {
    for (let i = 0; i < n; i++) out.push(entryOf(z.at(Math.floor(c.random() * size))!));
  } else {
    // a partial Fisher–Yates shuffle of the ranks: n distinct members in random order
    const picked = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(c.random() * (size - i));
      const rj = picked.get(j) ?? j;
      picked.set(j, picked.get(i) ?? i);
      out.push(entryOf(z.at(rj)!));
    }
  }
  return entriesReply(out, withScores);
}

/**
 * ZSCAN key cursor [MATCH pattern] [COUNT count]. A `listpack` zset answers whole (cursor 0), as Redis; a larger
 * one is walked in rank order, the cursor being the next rank (a member removed before the cursor mid-scan may let
 * one later member be skipped; Redis's hash-table cursor has no such case).
 */
export function zscan(c: Ctx, a: Argv): Reply {
  const cursor = parseCursor(a[2]!);
  if (cursor === null) return invalidCursor;
  const z = zsetOf(c, keyOf(a, 1));
  if (isReply(z)) return z;
  if (z === null) return emptyScan;
  const o = parseScanOptions(a, 3, false);
  if (isReply(o)) return o;
  return scanStep(z.entries(), (n) => n.member, cursor, o, !z.skiplist, (n) => [bulk(fromLatin1(n.member)), bulkText(formatDouble(n.score))]);
}
