/**
 * Hash commands (Redis 7.0): HSET/HMSET, HSETNX, HGET, HMGET, HGETALL, HDEL, HEXISTS, HLEN, HSTRLEN, HKEYS, HVALS,
 * HINCRBY, HINCRBYFLOAT, HRANDFIELD, HSCAN. A hash is a Map in insertion order (Redis's listpack order for small hashes).
 */
import type { Argv, Reply } from '../../protocol/resp.js';
import { E, NULL, OK, array, arityError, ascii, bulk, err, fromLatin1, int, int64Max, int64Min, intBytes, isReply, parseInt64, upper } from './bytes.js';
import { emptyScan, invalidCursor, parseCursor, parseScanOptions, scanStep } from './cursor.js';
import { randomCount, randomIndexes } from './sample.js';
import { addLongDouble, formatLongDouble, parseLongDouble } from './longdouble.js';
import { type Ctx, keyOf } from './state.js';

/** The hash for a write: the key's fields or a new empty Map (stored by `putHash`), or WRONGTYPE. */
function writable(c: Ctx, key: string): Map<string, Uint8Array> | Reply {
  const h = c.hash(key);
  return h === null ? new Map() : h;
}

/** HSET and HMSET: field/value pairs; HSET answers the count of new fields, HMSET OK. */
export function hset(name: 'hset' | 'hmset') {
  return (c: Ctx, a: Argv): Reply => {
    if (a.length % 2 !== 0) return arityError(name);
    const key = keyOf(a, 1);
    const h = writable(c, key);
    if (isReply(h)) return h;
    let created = 0;
    for (let i = 2; i < a.length; i += 2) {
      const f = keyOf(a, i);
      if (!h.has(f)) created++;
      h.set(f, a[i + 1]!);
    }
    c.putCollection(key, { type: 'hash', fields: h });
    c.notify('h', 'hset', key);
    return name === 'hset' ? int(created) : OK;
  };
}

export function hsetnx(c: Ctx, a: Argv): Reply {
  const key = keyOf(a, 1);
  const h = writable(c, key);
  if (isReply(h)) return h;
  const f = keyOf(a, 2);
  if (h.has(f)) return int(0);
  h.set(f, a[3]!);
  c.putCollection(key, { type: 'hash', fields: h });
  c.notify('h', 'hset', key);
  return int(1);
}

export function hget(c: Ctx, a: Argv): Reply {
  const h = c.hash(keyOf(a, 1));
  if (isReply(h)) return h;
  const v = h?.get(keyOf(a, 2));
  return v === undefined ? NULL : bulk(v);
}

export function hmget(c: Ctx, a: Argv): Reply {
  const h = c.hash(keyOf(a, 1));
  if (isReply(h)) return h;
  return array(a.slice(2).map((f) => {
    const v = h?.get(keyOf([f], 0));
    return v === undefined ? NULL : bulk(v);
  }));
}

/** HGETALL (a map: flat pairs in RESP2), HKEYS, HVALS. */
export function hgetall(part: 'all' | 'keys' | 'vals') {
  return (c: Ctx, a: Argv): Reply => {
    const h = c.hash(keyOf(a, 1));
    if (isReply(h)) return h;
    const entries = [...(h ?? new Map<string, Uint8Array>())];
    if (part === 'all') return { kind: 'Map', entries: entries.map(([f, v]) => [bulk(fromLatin1(f)), bulk(v)] as const) };
    return array(entries.map(([f, v]) => bulk(part === 'keys' ? fromLatin1(f) : v)));
  };
}

export function hdel(c: Ctx, a: Argv): Reply {
  const key = keyOf(a, 1);
  const h = c.hash(key);
  if (isReply(h)) return h;
  if (h === null) return int(0);
  let deleted = 0;
  for (let i = 2; i < a.length; i++) if (h.delete(keyOf(a, i))) deleted++;
  if (deleted > 0) {
    c.notify('h', 'hdel', key);
    c.putCollection(key, { type: 'hash', fields: h });
  }
  return int(deleted);
}

export function hexists(c: Ctx, a: Argv): Reply {
  const h = c.hash(keyOf(a, 1));
  if (isReply(h)) return h;
  return int(h?.has(keyOf(a, 2)) === true ? 1 : 0);
}

export function hlen(c: Ctx, a: Argv): Reply {
  const h = c.hash(keyOf(a, 1));
  if (isReply(h)) return h;
  return int(h?.size ?? 0);
}

export function hstrlen(c: Ctx, a: Argv): Reply {
  const h = c.hash(keyOf(a, 1));
  if (isReply(h)) return h;
  return int(h?.get(keyOf(a, 2))?.length ?? 0);
}

export function hincrby(c: Ctx, a: Argv): Reply {
  const by = parseInt64(a[3]!);
  if (by === null) return E.notInt;
  const key = keyOf(a, 1);
  const h = writable(c, key);
  if (isReply(h)) return h;
  const f = keyOf(a, 2);
  const old = h.get(f);
  const cur = old === undefined ? 0n : parseInt64(old);
  if (cur === null) return err('ERR hash value is not an integer');
  const sum = cur + by;
  if (sum < int64Min || sum > int64Max) return E.overflow;
  h.set(f, intBytes(sum));
  c.putCollection(key, { type: 'hash', fields: h });
  c.notify('h', 'hincrby', key);
  return int(sum);
}

export function hincrbyfloat(c: Ctx, a: Argv): Reply {
  const by = parseLongDouble(a[3]!);
  if (by === null) return E.notFloat;
  if (typeof by === 'string') return err('ERR value is NaN or Infinity');
  const key = keyOf(a, 1);
  const h = writable(c, key);
  if (isReply(h)) return h;
  const f = keyOf(a, 2);
  const old = h.get(f);
  const cur = parseLongDouble(old ?? ascii('0'));
  if (cur === null) return err('ERR hash value is not a float');
  const sum = addLongDouble(cur, by);
  if (sum === null) return err('ERR increment would produce NaN or Infinity');
  const text = ascii(formatLongDouble(sum));
  h.set(f, text);
  c.putCollection(key, { type: 'hash', fields: h });
  c.notify('h', 'hincrbyfloat', key);
  return bulk(text);
}

/** HRANDFIELD key [count [WITHVALUES]]: one field (or null), or an array of picks (sample.ts), with values as pairs. */
export function hrandfield(c: Ctx, a: Argv): Reply {
  if (a.length > 4 || (a.length === 4 && upper(a[3]!) !== 'WITHVALUES')) return E.syntax;
  const count = a.length >= 3 ? randomCount(a[2]!, a.length === 4) : null;
  if (isReply(count)) return count;
  const h = c.hash(keyOf(a, 1));
  if (isReply(h)) return h;
  const entries = [...(h ?? [])];
  if (count === null) return entries.length === 0 ? NULL : bulk(fromLatin1(entries[c.randomBelow(entries.length)]![0]));
  const picks = randomIndexes(c, entries.length, count).map((i) => entries[i]!);
  if (a.length === 4) return { kind: 'Pairs', pairs: picks.map(([f, v]) => [bulk(fromLatin1(f)), bulk(v)] as const) };
  return array(picks.map(([f]) => bulk(fromLatin1(f))));
}

/** HSCAN key cursor [MATCH p] [COUNT n]: fields and values (cursor.ts). */
export function hscan(c: Ctx, a: Argv): Reply {
  const cursor = parseCursor(a[2]!);
  if (cursor === null) return invalidCursor;
  const h = c.hash(keyOf(a, 1));
  if (isReply(h)) return h;
  if (h === null) return emptyScan;
  const o = parseScanOptions(a, 3, false);
  if (isReply(o)) return o;
  return scanStep(h, ([f]) => f, cursor, o, !c.ks.unpacked.has(h), ([f, v]) => [bulk(fromLatin1(f)), bulk(v)]);
}
