/**
 * Generic key commands (Redis 7.0): DEL/UNLINK, EXISTS, TYPE, TOUCH, RENAME(NX), COPY, MOVE, KEYS, SCAN, RANDOMKEY,
 * DUMP/RESTORE, the EXPIRE family, TTL family, PERSIST, DBSIZE, FLUSHDB/FLUSHALL, SWAPDB, SELECT (inside EXEC).
 */
import type { Argv, Reply } from '../../protocol/resp.js';
import { swapdbReadyEvent } from '../../protocol/keyspace.js';
import { E, NULL, OK, array, ascii, bulk, bulkText, crc32, err, fromLatin1, int, int64Max, intBytes, isReply, latin1, parseInt64, upper } from './bytes.js';
import { allKeys, invalidCursor, parseCursor, parseScanOptions } from './cursor.js';
import { globMatch } from './glob.js';
import { type Ctx, type Deadline, type Value, databasesCount, decodeValue, encodeValue, isExpired, keyOf, typeName, valueTags } from './state.js';
import { toDeadline } from './strings.js';

export function del(c: Ctx, a: Argv): Reply {
  let n = 0;
  for (let i = 1; i < a.length; i++) {
    const key = keyOf(a, i);
    if (c.lookup(key) !== undefined && c.del(key)) {
      c.notify('g', 'del', key);
      n++;
    }
  }
  return int(n);
}

export function exists(c: Ctx, a: Argv): Reply {
  let n = 0;
  for (let i = 1; i < a.length; i++) if (c.lookup(keyOf(a, i)) !== undefined) n++;
  return int(n);
}

export function type(c: Ctx, a: Argv): Reply {
  const e = c.lookup(keyOf(a, 1));
  return { kind: 'Simple', text: e === undefined ? 'none' : typeName(e.value) };
}

function renameGeneric(nx: boolean) {
  return (c: Ctx, a: Argv): Reply => {
    const src = keyOf(a, 1);
    const dst = keyOf(a, 2);
    const e = c.lookup(src);
    if (e === undefined) return E.noSuchKey;
    if (src === dst) return nx ? int(0) : OK;
    if (c.lookup(dst) !== undefined) {
      if (nx) return int(0);
      c.del(dst);
    }
    c.put(dst, e.value, e.expireAt);
    c.del(src);
    c.notify('g', 'rename_from', src);
    c.notify('g', 'rename_to', dst);
    return nx ? int(1) : OK;
  };
}
export const rename = renameGeneric(false);
export const renamenx = renameGeneric(true);

/** getIntFromObjectOrReply: a 32-bit signed integer, or its error (`custom` for both failures when given). */
function int32(b: Uint8Array, custom?: string): number | Reply {
  const v = parseInt64(b);
  if (v === null) return custom !== undefined ? err(custom) : E.notInt;
  if (v < -(2n ** 31n) || v >= 2n ** 31n) return err(custom ?? 'ERR value is out of range, value must between -2147483648 and 2147483647');
  return Number(v);
}
const validDb = (n: number): boolean => n >= 0 && n < databasesCount;

export function copy(c: Ctx, a: Argv): Reply {
  let dbTo = c.db;
  let replace = false;
  for (let j = 3; j < a.length; j++) {
    const opt = upper(a[j]!);
    if (opt === 'REPLACE') replace = true;
    else if (opt === 'DB' && j + 1 < a.length) {
      const n = int32(a[++j]!);
      if (isReply(n)) return n;
      dbTo = n;
    } else return E.syntax;
  }
  if (!validDb(dbTo)) return E.dbRange;
  const src = keyOf(a, 1);
  const dst = keyOf(a, 2);
  if (dbTo === c.db && src === dst) return E.sameObject;
  const e = c.lookup(src);
  if (e === undefined) return int(0);
  if (c.lookup(dst, dbTo) !== undefined) {
    if (!replace) return int(0);
    c.del(dst, dbTo);
  }
  c.put(dst, c.ks.cloneEncoded(e.value), e.expireAt, dbTo);
  c.notify('g', 'copy_to', dst, dbTo);
  return int(1);
}

export function move(c: Ctx, a: Argv): Reply {
  const to = int32(a[2]!);
  if (isReply(to)) return to;
  if (!validDb(to)) return E.dbRange;
  if (to === c.db) return E.sameObject;
  const key = keyOf(a, 1);
  const e = c.lookup(key);
  if (e === undefined || c.lookup(key, to) !== undefined) return int(0);
  c.put(key, e.value, e.expireAt, to);
  c.del(key);
  c.notify('g', 'move_from', key);
  c.notify('g', 'move_to', key, to);
  return int(1);
}


export function keys(c: Ctx, a: Argv): Reply {
  const p = a[1]!;
  const all = allKeys(p);
  const out: Reply[] = [];
  for (const [k, e] of c.dbAt().map) {
    if (isExpired(e, c.nowMs)) continue;
    const kb = fromLatin1(k);
    if (all || globMatch(p, kb)) out.push(bulk(kb));
  }
  return array(out);
}

/** SCAN visits at most COUNT * this many buckets per call (Redis's maxiterations). */
export const scanBucketsPerCountMax = 10;

function rev32(v: number): number {
  v = ((v >>> 1) & 0x55555555) | ((v & 0x55555555) << 1);
  v = ((v >>> 2) & 0x33333333) | ((v & 0x33333333) << 2);
  v = ((v >>> 4) & 0x0f0f0f0f) | ((v & 0x0f0f0f0f) << 4);
  v = ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
  return ((v >>> 16) | (v << 16)) >>> 0;
}

/**
 * SCAN cursor [MATCH p] [COUNT n] [TYPE t]: a reverse-binary walk over the db's bucket table, so every key present
 * for the whole scan is returned at least once even when the table grows or shrinks between calls.
 */
export function scan(c: Ctx, a: Argv): Reply {
  const big = parseCursor(a[1]!);
  if (big === null) return invalidCursor;
  const cursor = Number(BigInt.asUintN(32, big));
  const o = parseScanOptions(a, 2, true);
  if (isReply(o)) return o;
  const { count, match, type: typeFilter } = o;
  const db = c.dbAt();
  const found: string[] = [];
  let v = cursor;
  let budget = count * scanBucketsPerCountMax;
  do {
    const mask = db.buckets.length - 1;
    for (const k of db.buckets[v & mask]!) found.push(k);
    v = (v | ~mask) >>> 0;
    v = rev32(v);
    v = (v + 1) >>> 0;
    v = rev32(v);
  } while (v !== 0 && budget-- > 0 && found.length < count);
  const out: Reply[] = [];
  for (const k of found) {
    const e = db.map.get(k)!;
    if (isExpired(e, c.nowMs)) continue;
    if (typeFilter !== null && typeName(e.value) !== typeFilter) continue;
    const kb = fromLatin1(k);
    if (match !== null && !globMatch(match, kb)) continue;
    out.push(bulk(kb));
  }
  return array([bulkText(String(v)), array(out)]);
}

/** RANDOMKEY tries at most this many keys past their deadline before answering null. */
export const randomKeyTriesMax = 100;

export function randomkey(c: Ctx, _a: Argv): Reply {
  const db = c.dbAt();
  if (db.map.size === 0) return NULL;
  const n = db.buckets.length;
  let b = Math.floor(c.draw * n) % n;
  let tries = 0;
  for (let step = 0; step < n && tries < randomKeyTriesMax; step++, b = (b + 1) % n) {
    const bucket = db.buckets[b]!;
    if (bucket.length === 0) continue;
    const start = Math.floor(c.draw * 7919 * bucket.length) % bucket.length;
    for (let i = 0; i < bucket.length && tries < randomKeyTriesMax; i++, tries++) {
      const k = bucket[(start + i) % bucket.length]!;
      if (!isExpired(db.map.get(k)!, c.nowMs)) return bulk(fromLatin1(k));
    }
  }
  return NULL;
}

// -------------------------------------------------------------------------------------------------------------
// Expiry
// -------------------------------------------------------------------------------------------------------------
/** EXPIRE/PEXPIRE (relative) and EXPIREAT/PEXPIREAT (absolute); `seconds` for the s units. */
export interface ExpireForm {
  readonly cmd: string;
  readonly seconds: boolean;
  readonly relative: boolean;
}

function expireArgs(a: Argv, f: ExpireForm, nowMs: number): { at: bigint; flags: string[] } | Reply {
  const flags: string[] = [];
  for (let j = 3; j < a.length; j++) {
    const o = upper(a[j]!);
    if (o !== 'NX' && o !== 'XX' && o !== 'GT' && o !== 'LT') return err(`ERR Unsupported option ${latin1(a[j]!)}`);
    flags.push(o);
  }
  const has = (x: string): boolean => flags.includes(x);
  if (has('NX') && (has('XX') || has('GT') || has('LT'))) return err('ERR NX and XX, GT or LT options at the same time are not compatible');
  if (has('GT') && has('LT')) return err('ERR GT and LT options at the same time are not compatible');
  let when = parseInt64(a[2]!);
  if (when === null) return E.notInt;
  const invalid = err(`ERR invalid expire time in '${f.cmd}' command`);
  if (f.seconds) {
    if (when > int64Max / 1000n || when < -(2n ** 63n) / 1000n) return invalid;
    when *= 1000n;
  }
  if (f.relative) {
    if (when > int64Max - BigInt(nowMs)) return invalid;
    when += BigInt(nowMs);
  }
  return { at: when, flags };
}

/** EXPIRE k s [flags] → PEXPIREAT k deadline [flags] (and the syntax errors) for the log. */
export function normalizeExpire(f: ExpireForm) {
  return (a: Argv, nowMs: number): Argv | Reply => {
    const r = expireArgs(a, f, nowMs);
    if (isReply(r)) return r;
    return [ascii('PEXPIREAT'), a[1]!, intBytes(r.at), ...a.slice(3)];
  };
}

export function expire(f: ExpireForm) {
  return (c: Ctx, a: Argv): Reply => {
    const r = expireArgs(a, f, c.nowMs);
    if (isReply(r)) return r;
    const key = keyOf(a, 1);
    const e = c.lookup(key);
    if (e === undefined) return int(0);
    const cur = e.expireAt;
    const at: Deadline = toDeadline(r.at);
    const has = (x: string): boolean => r.flags.includes(x);
    if (has('NX') && cur !== null) return int(0);
    if (has('XX') && cur === null) return int(0);
    if (has('GT') && (cur === null || at <= cur)) return int(0);
    if (has('LT') && cur !== null && at >= cur) return int(0);
    if (at <= c.nowMs) {
      c.del(key);
      c.notify('g', 'del', key);
    } else {
      c.setExpire(key, at);
      c.notify('g', 'expire', key);
    }
    return int(1);
  };
}

/** TTL/PTTL (`ms`), EXPIRETIME/PEXPIRETIME (`absolute`). */
export function ttl(ms: boolean, absolute: boolean) {
  return (c: Ctx, a: Argv): Reply => {
    const e = c.lookup(keyOf(a, 1));
    if (e === undefined) return int(-2);
    if (e.expireAt === null) return int(-1);
    const at = BigInt(e.expireAt);
    if (absolute) return int(ms ? at : (at + 500n) / 1000n);
    let left = at - BigInt(c.nowMs);
    if (left < 0n) left = 0n;
    return int(ms ? left : (left + 500n) / 1000n);
  };
}

export function persist(c: Ctx, a: Argv): Reply {
  const key = keyOf(a, 1);
  const e = c.lookup(key);
  if (e === undefined || e.expireAt === null) return int(0);
  c.setExpire(key, null);
  c.notify('g', 'persist', key);
  return int(1);
}

// -------------------------------------------------------------------------------------------------------------
// Databases
// -------------------------------------------------------------------------------------------------------------
export function dbsize(c: Ctx, _a: Argv): Reply {
  return int(c.dbAt().map.size);
}

function flushMode(a: Argv): Reply | null {
  if (a.length > 2) return E.syntax;
  if (a.length === 2 && upper(a[1]!) !== 'ASYNC' && upper(a[1]!) !== 'SYNC') return E.syntax;
  return null;
}

export function flushdb(c: Ctx, a: Argv): Reply {
  const bad = flushMode(a);
  if (bad !== null) return bad;
  c.ks.flush(c.db);
  c.flushed();
  return OK;
}

export function flushall(c: Ctx, a: Argv): Reply {
  const bad = flushMode(a);
  if (bad !== null) return bad;
  for (let i = 0; i < databasesCount; i++) c.ks.flush(i);
  c.flushed();
  return OK;
}

export function swapdb(c: Ctx, a: Argv): Reply {
  const x = int32(a[1]!, 'ERR invalid first DB index');
  if (isReply(x)) return x;
  const y = int32(a[2]!, 'ERR invalid second DB index');
  if (isReply(y)) return y;
  if (!validDb(x) || !validDb(y)) return E.dbRange;
  if (x !== y) {
    c.ks.swap(x, y);
    // the clients blocked on keys of either db are tried again (not a keyspace notification: never published)
    c.notify('', swapdbReadyEvent, '', x);
    c.notify('', swapdbReadyEvent, '', y);
  }
  return OK;
}

/** SELECT inside an EXEC block (outside one, the front end keeps the connection's db). */
export function select(c: Ctx, a: Argv): Reply {
  const n = int32(a[1]!);
  if (isReply(n)) return n;
  if (!validDb(n)) return E.dbRange;
  c.db = n;
  return OK;
}

// -------------------------------------------------------------------------------------------------------------
// DUMP / RESTORE: conclave's own payload: u8 type tag | value | u16 version LE | u32 CRC-32 LE of all before.
// -------------------------------------------------------------------------------------------------------------
export const dumpVersion = 1;
export function dumpValue(v: Value): Uint8Array {
  const body = encodeValue(v);
  const out = new Uint8Array(1 + body.length + 6);
  out[0] = valueTags[v.type];
  out.set(body, 1);
  const n = 1 + body.length;
  out[n] = dumpVersion & 0xff;
  out[n + 1] = dumpVersion >> 8;
  const crc = crc32(out.subarray(0, n + 2));
  for (let i = 0; i < 4; i++) out[n + 2 + i] = (crc >>> (8 * i)) & 0xff;
  return out;
}

function undump(p: Uint8Array): Value | Reply {
  const wrong = err('ERR DUMP payload version or checksum are wrong');
  if (p.length < 7) return wrong;
  const n = p.length - 6;
  const version = p[n]! | (p[n + 1]! << 8);
  const crc = (p[n + 2]! | (p[n + 3]! << 8) | (p[n + 4]! << 16) | (p[n + 5]! << 24)) >>> 0;
  if (version !== dumpVersion || crc !== crc32(p.subarray(0, n + 2))) return wrong;
  return decodeValue(p[0]!, p.slice(1, n)) ?? err('ERR Bad data format');
}

export function dump(c: Ctx, a: Argv): Reply {
  const e = c.lookup(keyOf(a, 1));
  return e === undefined ? NULL : bulk(dumpValue(e.value));
}

function restoreArgs(a: Argv): { replace: boolean; absttl: boolean } | Reply {
  let replace = false;
  let absttl = false;
  let idle = false;
  let freq = false;
  for (let j = 4; j < a.length; j++) {
    const o = upper(a[j]!);
    const more = j + 1 < a.length;
    if (o === 'REPLACE') replace = true;
    else if (o === 'ABSTTL') absttl = true;
    else if (o === 'IDLETIME' && more && !freq) {
      const v = parseInt64(a[++j]!);
      if (v === null) return E.notInt;
      if (v < 0n) return err('ERR Invalid IDLETIME value, must be >= 0');
      idle = true;
    } else if (o === 'FREQ' && more && !idle) {
      const v = parseInt64(a[++j]!);
      if (v === null) return E.notInt;
      if (v < 0n || v > 255n) return err('ERR Invalid FREQ value, must be >= 0 and <= 255');
      freq = true;
    } else return E.syntax;
  }
  return { replace, absttl };
}

/** RESTORE with a relative TTL → ABSTTL deadline for the log. */
export function normalizeRestore(a: Argv, nowMs: number): Argv | Reply {
  const o = restoreArgs(a);
  if (isReply(o)) return o;
  const t = parseInt64(a[2]!);
  if (t === null) return E.notInt;
  if (t < 0n) return err('ERR Invalid TTL value, must be >= 0');
  if (t === 0n || o.absttl) return a;
  return [a[0]!, a[1]!, intBytes(t + BigInt(nowMs)), ...a.slice(3), ascii('ABSTTL')];
}

export function restore(c: Ctx, a: Argv): Reply {
  const o = restoreArgs(a);
  if (isReply(o)) return o;
  const key = keyOf(a, 1);
  if (!o.replace && c.lookup(key) !== undefined) return err('BUSYKEY Target key name already exists.');
  let t = parseInt64(a[2]!);
  if (t === null) return E.notInt;
  if (t < 0n) return err('ERR Invalid TTL value, must be >= 0');
  const v = undump(a[3]!);
  if (isReply(v)) return v;
  const deleted = o.replace && c.lookup(key) !== undefined && c.del(key);
  if (t !== 0n && !o.absttl) t += BigInt(c.nowMs);
  if (t !== 0n && t <= BigInt(c.nowMs)) {
    if (deleted) c.notify('g', 'del', key);
    return OK;
  }
  c.put(key, v, t === 0n ? null : toDeadline(t));
  c.notify('g', 'restore', key);
  return OK;
}
