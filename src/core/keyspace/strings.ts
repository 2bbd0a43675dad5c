/**
 * String and number commands (Redis 7.0): GET, SET and its family, GETEX, GETDEL, MGET, MSET(NX), APPEND, STRLEN,
 * GETRANGE/SUBSTR, SETRANGE, INCR/DECR(BY), INCRBYFLOAT, LCS. Argument errors are found before the key is looked
 * up, in Redis's order, so `normalize` and `apply` agree.
 */
import type { Argv, Reply } from '../../protocol/resp.js';
import {
  E,
  NULL,
  OK,
  array,
  ascii,
  bulk,
  concat,
  err,
  int,
  int64Max,
  int64Min,
  intBytes,
  isReply,
  parseInt64,
  upper,
} from './bytes.js';
import { addLongDouble, formatLongDouble, parseLongDouble } from './longdouble.js';
import { type Ctx, type Deadline, keyOf, stringBytesMax } from './state.js';

export const invalidExpire = (cmd: string): Reply => err(`ERR invalid expire time in '${cmd}' command`);

export function toDeadline(v: bigint): Deadline {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** An EX/PX/EXAT/PXAT argument as an absolute deadline (Redis's getExpireMillisecondsOrReply). */
export function deadlineArg(arg: Uint8Array, unit: string, nowMs: number, cmd: string): Deadline | Reply {
  let v = parseInt64(arg);
  if (v === null) return E.notInt;
  const seconds = unit === 'EX' || unit === 'EXAT';
  if (v <= 0n || (seconds && v > int64Max / 1000n)) return invalidExpire(cmd);
  if (seconds) v *= 1000n;
  if (unit === 'EX' || unit === 'PX') v += BigInt(nowMs);
  if (v > int64Max) return invalidExpire(cmd);
  return toDeadline(v);
}

interface SetOptions {
  nx: boolean;
  xx: boolean;
  get: boolean;
  keepttl: boolean;
  persist: boolean;
  unit: string | null;
  expireArg: Uint8Array | null;
}

/** SET's and GETEX's options (parseExtendedStringArgumentsOrReply). */
function parseSetOptions(a: Argv, from: number, forSet: boolean): SetOptions | Reply {
  const o: SetOptions = { nx: false, xx: false, get: false, keepttl: false, persist: false, unit: null, expireArg: null };
  for (let j = from; j < a.length; j++) {
    const opt = upper(a[j]!);
    const next = j + 1 < a.length;
    const timed = o.unit !== null;
    if (opt === 'NX' && forSet && !o.xx) o.nx = true;
    else if (opt === 'XX' && forSet && !o.nx) o.xx = true;
    else if (opt === 'GET' && forSet) o.get = true;
    else if (opt === 'KEEPTTL' && forSet && !o.persist && !timed) o.keepttl = true;
    else if (opt === 'PERSIST' && !forSet && !timed && !o.keepttl) o.persist = true;
    else if ((opt === 'EX' || opt === 'PX' || opt === 'EXAT' || opt === 'PXAT') && next && !o.keepttl && !o.persist && (o.unit === null || o.unit === opt)) {
      o.unit = opt;
      o.expireArg = a[++j]!;
    } else return E.syntax;
  }
  return o;
}

function setOptionsDeadline(o: SetOptions, nowMs: number, cmd: string): Deadline | null | Reply {
  return o.unit === null ? null : deadlineArg(o.expireArg!, o.unit, nowMs, cmd);
}

/** SET/GETEX argv with a relative EX/PX rewritten as PXAT (and EXAT as PXAT), or the syntax error. */
function normalizeSetLike(a: Argv, nowMs: number, forSet: boolean): Argv | Reply {
  const cmd = forSet ? 'set' : 'getex';
  const o = parseSetOptions(a, forSet ? 3 : 2, forSet);
  if (isReply(o)) return o;
  const at = setOptionsDeadline(o, nowMs, cmd);
  if (isReply(at)) return at;
  if (at === null) return a;
  const out: Uint8Array[] = a.slice(0, forSet ? 3 : 2);
  for (const [flag, on] of [['NX', o.nx], ['XX', o.xx], ['GET', o.get]] as const) if (on) out.push(ascii(flag));
  out.push(ascii('PXAT'), intBytes(at));
  return out;
}

export function normalizeSet(a: Argv, nowMs: number): Argv | Reply {
  return normalizeSetLike(a, nowMs, true);
}
export function normalizeGetex(a: Argv, nowMs: number): Argv | Reply {
  return normalizeSetLike(a, nowMs, false);
}
/** SETEX/PSETEX k t v → SET k v PXAT deadline. */
export function normalizeSetex(a: Argv, nowMs: number, unit: 'EX' | 'PX', cmd: string): Argv | Reply {
  const at = deadlineArg(a[2]!, unit, nowMs, cmd);
  if (isReply(at)) return at;
  return [ascii('SET'), a[1]!, a[3]!, ascii('PXAT'), intBytes(at)];
}

function getReply(c: Ctx, key: string): Reply {
  const v = c.str(key);
  if (v === null) return NULL;
  return isReply(v) ? v : bulk(v);
}

export function get(c: Ctx, a: Argv): Reply {
  return getReply(c, keyOf(a, 1));
}

/** SET and, with `nxReply`, SETNX (`:1`/`:0`). */
function setGeneric(c: Ctx, key: string, value: Uint8Array, o: SetOptions, at: Deadline | null, cmd: 'set' | 'setnx'): Reply {
  let old: Reply = OK;
  if (o.get) {
    old = getReply(c, key);
    if (old.kind === 'Error') return old;
  }
  const found = c.lookup(key) !== undefined;
  if ((o.nx && found) || (o.xx && !found)) return o.get ? old : cmd === 'setnx' ? int(0) : NULL;
  c.setStr(key, value, o.keepttl ? 'keep' : at);
  c.notify('$', 'set', key);
  if (at !== null) c.notify('g', 'expire', key);
  return o.get ? old : cmd === 'setnx' ? int(1) : OK;
}

export function set(c: Ctx, a: Argv): Reply {
  const o = parseSetOptions(a, 3, true);
  if (isReply(o)) return o;
  const at = setOptionsDeadline(o, c.nowMs, 'set');
  if (isReply(at)) return at;
  return setGeneric(c, keyOf(a, 1), a[2]!, o, at, 'set');
}

const plain: SetOptions = { nx: false, xx: false, get: false, keepttl: false, persist: false, unit: null, expireArg: null };

export function setnx(c: Ctx, a: Argv): Reply {
  return setGeneric(c, keyOf(a, 1), a[2]!, { ...plain, nx: true }, null, 'setnx');
}

/** SETEX/PSETEX as applied without normalisation (a local test or a replayed raw argv). */
export function setex(unit: 'EX' | 'PX', cmd: string) {
  return (c: Ctx, a: Argv): Reply => {
    const at = deadlineArg(a[2]!, unit, c.nowMs, cmd);
    if (isReply(at)) return at;
    return setGeneric(c, keyOf(a, 1), a[3]!, plain, at, 'set');
  };
}

export function getset(c: Ctx, a: Argv): Reply {
  const key = keyOf(a, 1);
  const old = getReply(c, key);
  if (old.kind === 'Error') return old;
  c.setStr(key, a[2]!);
  c.notify('$', 'set', key);
  return old;
}

export function getdel(c: Ctx, a: Argv): Reply {
  const key = keyOf(a, 1);
  const old = getReply(c, key);
  if (old.kind !== 'Bulk') return old;
  c.del(key);
  c.notify('g', 'del', key);
  return old;
}

export function getex(c: Ctx, a: Argv): Reply {
  const o = parseSetOptions(a, 2, false);
  if (isReply(o)) return o;
  const at = setOptionsDeadline(o, c.nowMs, 'getex');
  if (isReply(at)) return at;
  const key = keyOf(a, 1);
  const r = getReply(c, key);
  if (r.kind !== 'Bulk') return r;
  if (at !== null && at <= c.nowMs) {
    c.del(key);
    c.notify('g', 'del', key);
  } else if (at !== null) {
    c.setExpire(key, at);
    c.notify('g', 'expire', key);
  } else if (o.persist && c.lookup(key)!.expireAt !== null) {
    c.setExpire(key, null);
    c.notify('g', 'persist', key);
  }
  return r;
}

export function mget(c: Ctx, a: Argv): Reply {
  const out: Reply[] = [];
  for (let i = 1; i < a.length; i++) {
    const v = c.str(keyOf(a, i));
    out.push(v === null || isReply(v) ? NULL : bulk(v));
  }
  return array(out);
}

export function mset(c: Ctx, a: Argv): Reply {
  if (a.length % 2 === 0) return err("ERR wrong number of arguments for 'mset' command");
  for (let i = 1; i < a.length; i += 2) {
    const key = keyOf(a, i);
    c.lookup(key);
    c.setStr(key, a[i + 1]!);
    c.notify('$', 'set', key);
  }
  return OK;
}

export function msetnx(c: Ctx, a: Argv): Reply {
  if (a.length % 2 === 0) return err("ERR wrong number of arguments for 'msetnx' command");
  for (let i = 1; i < a.length; i += 2) if (c.lookup(keyOf(a, i)) !== undefined) return int(0);
  for (let i = 1; i < a.length; i += 2) {
    const key = keyOf(a, i);
    c.setStr(key, a[i + 1]!);
    c.notify('$', 'set', key);
  }
  return int(1);
}

export function append(c: Ctx, a: Argv): Reply {
  const key = keyOf(a, 1);
  const v = c.str(key);
  if (isReply(v)) return v;
  if (v === null) {
    c.setStr(key, a[2]!);
  } else {
    if (v.length + a[2]!.length > stringBytesMax) return E.tooBig;
    c.setRawStr(key, concat(v, a[2]!), 'keep');
  }
  c.notify('$', 'append', key);
  return int((v?.length ?? 0) + a[2]!.length);
}

export function strlen(c: Ctx, a: Argv): Reply {
  const v = c.str(keyOf(a, 1));
  if (isReply(v)) return v;
  return int(v?.length ?? 0);
}

export function getrange(c: Ctx, a: Argv): Reply {
  const s = parseInt64(a[2]!);
  const e = parseInt64(a[3]!);
  if (s === null || e === null) return E.notInt;
  const v = c.str(keyOf(a, 1));
  if (isReply(v)) return v;
  const empty = bulk(new Uint8Array(0));
  if (v === null) return empty;
  const len = BigInt(v.length);
  if (s < 0n && e < 0n && s > e) return empty;
  let start = s < 0n ? len + s : s;
  let end = e < 0n ? len + e : e;
  if (start < 0n) start = 0n;
  if (end < 0n) end = 0n;
  if (end >= len) end = len - 1n;
  if (start > end || len === 0n) return empty;
  return bulk(v.slice(Number(start), Number(end) + 1));
}

export function setrange(c: Ctx, a: Argv): Reply {
  const off = parseInt64(a[2]!);
  if (off === null) return E.notInt;
  if (off < 0n) return err('ERR offset is out of range');
  const key = keyOf(a, 1);
  const v = c.str(key);
  if (isReply(v)) return v;
  const piece = a[3]!;
  if (piece.length === 0) return int(v?.length ?? 0);
  if (off + BigInt(piece.length) > BigInt(stringBytesMax)) return E.tooBig;
  const o = Number(off);
  const old = v ?? new Uint8Array(0);
  const out = new Uint8Array(Math.max(old.length, o + piece.length));
  out.set(old);
  out.set(piece, o);
  c.setRawStr(key, out, 'keep');
  c.notify('$', 'setrange', key);
  return int(out.length);
}

function incrBy(c: Ctx, key: string, by: bigint): Reply {
  const v = c.str(key);
  if (isReply(v)) return v;
  let cur = 0n;
  if (v !== null) {
    const p = parseInt64(v);
    if (p === null) return E.notInt;
    cur = p;
  }
  const n = cur + by;
  if (n < int64Min || n > int64Max) return E.overflow;
  c.setStr(key, intBytes(n), 'keep');
  c.notify('$', 'incrby', key);
  return int(n);
}

export function incr(by: bigint) {
  return (c: Ctx, a: Argv): Reply => incrBy(c, keyOf(a, 1), by);
}

export function incrby(sign: 1n | -1n) {
  return (c: Ctx, a: Argv): Reply => {
    const by = parseInt64(a[2]!);
    if (by === null) return E.notInt;
    if (sign === -1n && by === int64Min) return err('ERR decrement would overflow');
    return incrBy(c, keyOf(a, 1), by * sign);
  };
}

export function incrbyfloat(c: Ctx, a: Argv): Reply {
  const key = keyOf(a, 1);
  const v = c.str(key);
  if (isReply(v)) return v;
  const cur = v === null ? parseLongDouble(ascii('0')) : parseLongDouble(v);
  const by = parseLongDouble(a[2]!);
  if (cur === null || by === null) return E.notFloat;
  const sum = addLongDouble(cur, by);
  if (sum === null) return err('ERR increment would produce NaN or Infinity');
  const text = ascii(formatLongDouble(sum));
  c.setStr(key, text, 'keep');
  c.notify('$', 'incrbyfloat', key);
  return bulk(text);
}

/** LCS's DP table may not exceed this many bytes (Redis bounds it by proto-max-bulk-len). */
export const lcsTableBytesMax = stringBytesMax;

export function lcs(c: Ctx, a: Argv): Reply {
  const ea = c.lookup(keyOf(a, 1));
  const eb = c.lookup(keyOf(a, 2));
  if ((ea !== undefined && ea.value.type !== 'string') || (eb !== undefined && eb.value.type !== 'string'))
    return err('ERR The specified keys must contain string values');
  const x = ea?.value.type === 'string' ? ea.value.bytes : new Uint8Array(0);
  const y = eb?.value.type === 'string' ? eb.value.bytes : new Uint8Array(0);
  let getlen = false;
  let getidx = false;
  let withlen = false;
  let minlen = 0n;
  for (let j = 3; j < a.length; j++) {
    const opt = upper(a[j]!);
    if (opt === 'IDX') getidx = true;
    else if (opt === 'LEN') getlen = true;
    else if (opt === 'WITHMATCHLEN') withlen = true;
    else if (opt === 'MINMATCHLEN' && j + 1 < a.length) {
      const m = parseInt64(a[++j]!);
      if (m === null) return E.notInt;
      minlen = m < 0n ? 0n : m;
    } else return E.syntax;
  }
  if (getidx && getlen) return err('ERR If you want both the length and indexes, please just use IDX.');
  const al = x.length;
  const bl = y.length;
  if ((al + 1) * (bl + 1) * 4 > lcsTableBytesMax)
    return err('ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len');
  const w = bl + 1;
  const t = new Uint32Array((al + 1) * w);
  for (let i = 1; i <= al; i++)
    for (let j = 1; j <= bl; j++)
      t[i * w + j] = x[i - 1] === y[j - 1] ? t[(i - 1) * w + j - 1]! + 1 : Math.max(t[(i - 1) * w + j]!, t[i * w + j - 1]!);
  const total = t[al * w + bl]!;
  if (getlen) return int(total);
  // Walk back from the end: the LCS bytes and, for IDX, the matching ranges (last first), as Redis reports them.
  const out = new Uint8Array(total);
  const matches: Reply[] = [];
  let idx = total;
  let i = al;
  let j = bl;
  let run: { as: number; ae: number; bs: number; be: number } | null = null;
  const emit = (): void => {
    if (run === null) return;
    const len = run.ae - run.as + 1;
    if (minlen === 0n || BigInt(len) >= minlen) {
      const m: Reply[] = [array([int(run.as), int(run.ae)]), array([int(run.bs), int(run.be)])];
      if (withlen) m.push(int(len));
      matches.push(array(m));
    }
    run = null;
  };
  while (i > 0 && j > 0) {
    if (x[i - 1] === y[j - 1]) {
      out[--idx] = x[i - 1]!;
      if (run === null) run = { as: i - 1, ae: i - 1, bs: j - 1, be: j - 1 };
      else {
        run.as--;
        run.bs--;
      }
      i--;
      j--;
      if (run.as === 0 || run.bs === 0) emit();
    } else {
      if (t[(i - 1) * w + j]! > t[i * w + j - 1]!) i--;
      else j--;
      emit();
    }
  }
  if (!getidx) return bulk(out);
  return { kind: 'Map', entries: [[bulk(ascii('matches')), array(matches)], [bulk(ascii('len')), int(total)]] };
}
