/**
 * Bit commands (Redis 7.0): SETBIT, GETBIT, BITCOUNT and BITPOS (BYTE|BIT ranges), BITOP, BITFIELD and
 * BITFIELD_RO. Bit 0 is the most significant bit of byte 0. Offsets are bounded by `stringBytesMax`.
 */
import type { Argv, Reply } from '../../protocol/resp.js';
import { E, NULL, array, err, int, int64Max, isReply, parseInt64, upper } from './bytes.js';
import { type Ctx, keyOf, stringBytesMax } from './state.js';

/** A bit offset argument (`#n` = n * width when `width` is given), or null when invalid. */
function bitOffset(arg: Uint8Array, width?: number): number | null {
  let b = arg;
  let mul = 1n;
  if (width !== undefined && b.length > 0 && b[0] === 0x23 /* # */) {
    b = b.subarray(1);
    mul = BigInt(width);
  }
  const v = parseInt64(b);
  if (v === null) return null;
  const off = v * mul;
  if (off > int64Max || off < 0n || off >> 3n >= BigInt(stringBytesMax)) return null;
  return Number(off);
}

function bitAt(s: Uint8Array, off: number): number {
  const byte = off >> 3;
  return byte < s.length ? (s[byte]! >> (7 - (off & 7))) & 1 : 0;
}

/** The string at key grown (zero-padded) to hold bit `maxBit`, or the WRONGTYPE error. */
function writable(c: Ctx, key: string, maxBit: number): { old: Uint8Array | null; bytes: Uint8Array } | Reply {
  const v = c.str(key);
  if (isReply(v)) return v;
  const need = (maxBit >> 3) + 1;
  if (v !== null && v.length >= need) return { old: v, bytes: v.slice() };
  const out = new Uint8Array(need);
  if (v !== null) out.set(v);
  return { old: v, bytes: out };
}

export function setbit(c: Ctx, a: Argv): Reply {
  const off = bitOffset(a[2]!);
  if (off === null) return E.bitOffset;
  const on = parseInt64(a[3]!);
  if (on === null || (on !== 0n && on !== 1n)) return err('ERR bit is not an integer or out of range');
  const key = keyOf(a, 1);
  const w = writable(c, key, off);
  if (isReply(w)) return w;
  const old = bitAt(w.bytes, off);
  const byte = off >> 3;
  const mask = 1 << (7 - (off & 7));
  w.bytes[byte] = on === 1n ? w.bytes[byte]! | mask : w.bytes[byte]! & ~mask;
  c.setRawStr(key, w.bytes, 'keep');
  c.notify('$', 'setbit', key);
  return int(old);
}

export function getbit(c: Ctx, a: Argv): Reply {
  const off = bitOffset(a[2]!);
  if (off === null) return E.bitOffset;
  const v = c.str(keyOf(a, 1));
  if (isReply(v)) return v;
  return int(v === null ? 0 : bitAt(v, off));
}

/** A start/end range (BYTE or BIT unit) over a string of `len` bytes as inclusive bit offsets, or null if empty. */
function bitRange(len: number, s: bigint, e: bigint, isBit: boolean): [number, number] | null {
  const total = BigInt(isBit ? len * 8 : len);
  let start = s < 0n ? total + s : s;
  let end = e < 0n ? total + e : e;
  if (start < 0n) start = 0n;
  if (end < 0n) end = 0n;
  if (end >= total) end = total - 1n;
  if (start > end) return null;
  return isBit ? [Number(start), Number(end)] : [Number(start) * 8, Number(end) * 8 + 7];
}

function unitArg(a: Argv, i: number): boolean | Reply {
  if (i >= a.length) return false;
  const u = upper(a[i]!);
  if (u === 'BIT') return true;
  if (u === 'BYTE') return false;
  return E.syntax;
}

function popcount8(x: number): number {
  x = x - ((x >> 1) & 0x55);
  x = (x & 0x33) + ((x >> 2) & 0x33);
  return (x + (x >> 4)) & 0x0f;
}

export function bitcount(c: Ctx, a: Argv): Reply {
  const v = c.str(keyOf(a, 1));
  if (isReply(v)) return v;
  if (v === null) return int(0);
  let range: [number, number] | null;
  if (a.length === 4 || a.length === 5) {
    const s = parseInt64(a[2]!);
    const e = parseInt64(a[3]!);
    if (s === null || e === null) return E.notInt;
    const isBit = unitArg(a, 4);
    if (isReply(isBit)) return isBit;
    range = bitRange(v.length, s, e, isBit);
  } else if (a.length === 2) range = v.length === 0 ? null : [0, v.length * 8 - 1];
  else return E.syntax;
  if (range === null) return int(0);
  let n = 0;
  let i = range[0];
  for (; i <= range[1] && (i & 7) !== 0; i++) n += bitAt(v, i);
  for (; i + 7 <= range[1]; i += 8) n += popcount8(v[i >> 3]!);
  for (; i <= range[1]; i++) n += bitAt(v, i);
  return int(n);
}

export function bitpos(c: Ctx, a: Argv): Reply {
  const bit = parseInt64(a[2]!);
  if (bit === null) return E.notInt;
  if (bit !== 0n && bit !== 1n) return err('ERR The bit argument must be 1 or 0.');
  const want = Number(bit);
  const v = c.str(keyOf(a, 1));
  if (isReply(v)) return v;
  if (v === null) return int(want === 1 ? -1 : 0);
  let range: [number, number] | null;
  let endGiven = false;
  if (a.length >= 4 && a.length <= 6) {
    const s = parseInt64(a[3]!);
    if (s === null) return E.notInt;
    const isBit = unitArg(a, 5);
    if (isReply(isBit)) return isBit;
    let e: bigint;
    if (a.length >= 5) {
      const p = parseInt64(a[4]!);
      if (p === null) return E.notInt;
      e = p;
      endGiven = true;
    } else e = isBit ? BigInt(v.length * 8 - 1) : BigInt(v.length - 1);
    range = bitRange(v.length, s, e, isBit);
  } else if (a.length === 3) range = v.length === 0 ? null : [0, v.length * 8 - 1];
  else return E.syntax;
  if (range === null) return int(-1);
  const skip = want === 1 ? 0x00 : 0xff;
  let i = range[0];
  while (i <= range[1]) {
    if ((i & 7) === 0 && i + 7 <= range[1] && v[i >> 3] === skip) {
      i += 8;
      continue;
    }
    if (bitAt(v, i) === want) return int(i);
    i++;
  }
  if (want === 1 || endGiven) return int(-1);
  return int(range[1] + 1);
}

export function bitop(c: Ctx, a: Argv): Reply {
  const op = upper(a[1]!);
  if (op !== 'AND' && op !== 'OR' && op !== 'XOR' && op !== 'NOT') return E.syntax;
  if (op === 'NOT' && a.length !== 4) return err('ERR BITOP NOT must be called with a single source key.');
  const srcs: Uint8Array[] = [];
  for (let i = 3; i < a.length; i++) {
    const v = c.str(keyOf(a, i));
    if (isReply(v)) return v;
    srcs.push(v ?? new Uint8Array(0));
  }
  const maxlen = Math.max(0, ...srcs.map((s) => s.length));
  const out = new Uint8Array(maxlen);
  for (let i = 0; i < maxlen; i++) {
    let x = srcs[0]![i] ?? 0;
    if (op === 'NOT') x = ~x & 0xff;
    for (let k = 1; k < srcs.length; k++) {
      const y = srcs[k]![i] ?? 0;
      x = op === 'AND' ? x & y : op === 'OR' ? x | y : x ^ y;
    }
    out[i] = x;
  }
  const dest = keyOf(a, 2);
  if (maxlen > 0) {
    c.lookup(dest);
    c.setRawStr(dest, out);
    c.notify('$', 'set', dest);
  } else if (c.lookup(dest) !== undefined) {
    c.del(dest);
    c.notify('g', 'del', dest);
  }
  return int(maxlen);
}

// -------------------------------------------------------------------------------------------------------------
// BITFIELD
// -------------------------------------------------------------------------------------------------------------
type Overflow = 'WRAP' | 'SAT' | 'FAIL';
interface FieldOp {
  readonly op: 'GET' | 'SET' | 'INCRBY';
  readonly signed: boolean;
  readonly bits: number;
  readonly offset: number;
  readonly arg: bigint;
  readonly overflow: Overflow;
}

function fieldType(b: Uint8Array): { signed: boolean; bits: number } | null {
  if (b.length < 2 || (b[0] !== 0x69 && b[0] !== 0x75 && b[0] !== 0x49 && b[0] !== 0x55)) return null;
  const signed = b[0] === 0x69 || b[0] === 0x49;
  const n = parseInt64(b.subarray(1));
  if (n === null || n < 1n || (signed && n > 64n) || (!signed && n > 63n)) return null;
  return { signed, bits: Number(n) };
}

function readField(s: Uint8Array, off: number, bits: number, signed: boolean): bigint {
  let v = 0n;
  for (let i = 0; i < bits; i++) v = (v << 1n) | BigInt(bitAt(s, off + i));
  if (signed && bits > 0 && v >> BigInt(bits - 1) === 1n) v -= 1n << BigInt(bits);
  return v;
}

function writeField(s: Uint8Array, off: number, bits: number, v: bigint): void {
  const u = BigInt.asUintN(bits, v);
  for (let i = 0; i < bits; i++) {
    const bit = Number((u >> BigInt(bits - 1 - i)) & 1n);
    const o = off + i;
    const mask = 1 << (7 - (o & 7));
    s[o >> 3] = bit === 1 ? s[o >> 3]! | mask : s[o >> 3]! & ~mask;
  }
}

/** v into the field's range by the overflow rule; null when FAIL and it does not fit. */
function fit(v: bigint, bits: number, signed: boolean, ow: Overflow): bigint | null {
  const min = signed ? -(1n << BigInt(bits - 1)) : 0n;
  const max = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  if (v >= min && v <= max) return v;
  if (ow === 'FAIL') return null;
  if (ow === 'SAT') return v < min ? min : max;
  return signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v);
}

export function bitfield(readonly: boolean) {
  return (c: Ctx, a: Argv): Reply => {
    const ops: FieldOp[] = [];
    let overflow: Overflow = 'WRAP';
    let writes = false;
    let maxBit = 0;
    for (let j = 2; j < a.length; j++) {
      const rem = a.length - j - 1;
      const sub = upper(a[j]!);
      if (sub === 'OVERFLOW' && rem >= 1) {
        const ow = upper(a[++j]!);
        if (ow !== 'WRAP' && ow !== 'SAT' && ow !== 'FAIL') return err('ERR Invalid OVERFLOW type specified');
        overflow = ow;
        continue;
      }
      if (!((sub === 'GET' && rem >= 2) || ((sub === 'SET' || sub === 'INCRBY') && rem >= 3))) return E.syntax;
      const t = fieldType(a[j + 1]!);
      if (t === null) return err('ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.');
      const offset = bitOffset(a[j + 2]!, t.bits);
      if (offset === null) return E.bitOffset;
      let arg = 0n;
      if (sub !== 'GET') {
        const v = parseInt64(a[j + 3]!);
        if (v === null) return E.notInt;
        arg = v;
        if (readonly) return err('ERR BITFIELD_RO only supports the GET subcommand');
        writes = true;
        maxBit = Math.max(maxBit, offset + t.bits - 1);
      }
      ops.push({ op: sub, signed: t.signed, bits: t.bits, offset, arg, overflow });
      j += sub === 'GET' ? 2 : 3;
    }
    const key = keyOf(a, 1);
    let bytes: Uint8Array;
    let grew = false;
    if (writes) {
      const w = writable(c, key, maxBit);
      if (isReply(w)) return w;
      bytes = w.bytes;
      grew = w.old === null || w.old.length < bytes.length;
    } else {
      const v = c.str(key);
      if (isReply(v)) return v;
      bytes = v ?? new Uint8Array(0);
    }
    const replies: Reply[] = [];
    let changes = 0;
    for (const f of ops) {
      const old = readField(bytes, f.offset, f.bits, f.signed);
      if (f.op === 'GET') {
        replies.push(int(old));
        continue;
      }
      const next = fit(f.op === 'SET' ? f.arg : old + f.arg, f.bits, f.signed, f.overflow);
      if (next === null) {
        replies.push(NULL);
        continue;
      }
      writeField(bytes, f.offset, f.bits, next);
      changes++;
      replies.push(int(f.op === 'SET' ? old : next));
    }
    // Redis creates or pads the key for a write even when every write FAILs its overflow check.
    if (changes > 0 || grew) c.setRawStr(key, bytes, 'keep');
    if (changes > 0) c.notify('$', 'setbit', key);
    return array(replies);
  };
}
