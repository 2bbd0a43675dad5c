/**
 * HyperLogLog (Redis 7.0): PFADD, PFCOUNT, PFMERGE, PFDEBUG. The value is a Redis string in Redis's own representation, so
 * GET, STRLEN, COPY and the estimates agree with a redis-server fed the same elements:
 *
 *   header (16 bytes): "HYLL" | encoding u8 (0 dense, 1 sparse) | 3 unused | cached cardinality u64 little-endian,
 *                      its top bit set when the cache is stale
 *   dense:  16384 registers of 6 bits, register i at bit 6i, least significant bits first (12288 bytes)
 *   sparse: run-length opcodes: ZERO 00xxxxxx (1..64 zero registers), XZERO 01xxxxxx yyyyyyyy (1..16384 zero
 *           registers), VAL 1vvvvvxx (1..4 registers of value 1..32)
 *
 * An element hashes with MurmurHash64A (seed 0xadc83b19): the low 14 bits pick the register, the run of zero bits
 * above them (plus one, at most 51) is its candidate value. A sparse value converts to dense when a register needs
 * more than 32 or the string would pass `hll-sparse-max-bytes` (a replicated threshold, encoding.ts). The estimate is Otmar Ertl's improved estimator
 * ("New cardinality estimation algorithms for HyperLogLog sketches", 2017) over the register histogram, as Redis
 * 7.0 computes it. PFCOUNT of one key stores the estimate in the header (a write, as in Redis, where it changes the
 * string and touches WATCH).
 */
import type { Argv, Reply } from '../../protocol/resp.js';
import { OK, array, bulkText, err, int, isReply, latin1, upper } from './bytes.js';
import { type Ctx, keyOf } from './state.js';

const registerBits = 14;
const hllRegisters = 1 << registerBits;
const valueBitsMax = 64 - registerBits;
const headerBytes = 16;
const denseBytes = headerBytes + (hllRegisters * 6) / 8;
const encDense = 0;
const encSparse = 1;
const sparseValueMax = 32;
const sparseValRunMax = 4;
const sparseZeroRunMax = 64;
/** 1 / (2 ln 2): the estimator's constant as Redis writes it. */
const alphaInf = 0.72134752044448170368;

const notHll = err('WRONGTYPE Key is not a valid HyperLogLog string value.');
const corrupted = err('INVALIDOBJ Corrupted HLL object detected');

// ---------------------------------------------------------------------------------------------------------------
// Hashing
// ---------------------------------------------------------------------------------------------------------------
// 64-bit words as (hi, lo) pairs of uint32: BigInt would cost ~20x more per element.
const mHi = 0xc6a4a793;
const mLo = 0x5bd1e995;
const murmurSeed = 0xadc83b19;
/** The product's words land here (hi, lo): no allocation per multiply. */
const prod = new Uint32Array(2);

/** (ah, al) × (bh, bl) mod 2^64 into `prod`. */
function mul64(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const mid = a0 * b1 + a1 * b0;
  const lo = a0 * b0 + (mid % 65536) * 65536;
  const hi = a1 * b1 + Math.floor(mid / 65536) + Math.floor(lo / 4294967296);
  prod[0] = hi + Math.imul(ah, bl) + Math.imul(al, bh);
  prod[1] = lo;
}

/** MurmurHash64A of `b` (little-endian blocks, seed 0xadc83b19) as [hi, lo] 32-bit words. */
function murmurHash64A(b: Uint8Array): [number, number] {
  mul64(0, b.length, mHi, mLo);
  let hh = prod[0]!;
  let hl = (prod[1]! ^ murmurSeed) >>> 0;
  const blocks = b.length & ~7;
  for (let i = 0; i < blocks; i += 8) {
    const kl = (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
    const kh = (b[i + 4]! | (b[i + 5]! << 8) | (b[i + 6]! << 16) | (b[i + 7]! << 24)) >>> 0;
    mul64(kh, kl, mHi, mLo);
    mul64(prod[0]!, (prod[1]! ^ (prod[0]! >>> 15)) >>> 0, mHi, mLo);
    mul64((hh ^ prod[0]!) >>> 0, (hl ^ prod[1]!) >>> 0, mHi, mLo);
    hh = prod[0]!;
    hl = prod[1]!;
  }
  const tail = b.length & 7;
  if (tail > 0) {
    for (let i = tail - 1; i >= 0; i--) {
      if (i >= 4) hh = (hh ^ (b[blocks + i]! << (8 * (i - 4)))) >>> 0;
      else hl = (hl ^ (b[blocks + i]! << (8 * i))) >>> 0;
    }
    mul64(hh, hl, mHi, mLo);
    hh = prod[0]!;
    hl = prod[1]!;
  }
  mul64(hh, (hl ^ (hh >>> 15)) >>> 0, mHi, mLo);
  return [prod[0]!, (prod[1]! ^ (prod[0]! >>> 15)) >>> 0];
}

/** Trailing zero bits of a non-zero uint32. */
const ctz = (x: number): number => 31 - Math.clz32(x & -x);

/** The register an element falls in (the hash's low 14 bits) and its candidate value: 1 + the zero bits above them (at most 51). */
function registerOf(el: Uint8Array): { index: number; count: number } {
  const [hi, lo] = murmurHash64A(el);
  const above = lo >>> registerBits;
  const zeros = above !== 0 ? ctz(above) : hi !== 0 ? 32 - registerBits + ctz(hi) : valueBitsMax;
  return { index: lo & (hllRegisters - 1), count: zeros + 1 };
}

// ---------------------------------------------------------------------------------------------------------------
// Representations
// ---------------------------------------------------------------------------------------------------------------
function denseGet(b: Uint8Array, i: number): number {
  const bit = i * 6;
  const at = headerBytes + (bit >> 3);
  const shift = bit & 7;
  return ((b[at]! >> shift) | ((b[at + 1] ?? 0) << (8 - shift))) & 63;
}

function denseSet(b: Uint8Array, i: number, v: number): void {
  const bit = i * 6;
  const at = headerBytes + (bit >> 3);
  const shift = bit & 7;
  b[at] = (b[at]! & ~(63 << shift)) | ((v << shift) & 0xff);
  if (shift > 2) b[at + 1] = (b[at + 1]! & ~(63 >> (8 - shift))) | (v >> (8 - shift));
}

const isZero = (op: number): boolean => (op & 0xc0) === 0;
const isXZero = (op: number): boolean => (op & 0xc0) === 0x40;
const zeroOp = (len: number): number => len - 1;
const xzeroOps = (len: number): number[] => [0x40 | ((len - 1) >> 8), (len - 1) & 0xff];
const valOp = (v: number, len: number): number => 0x80 | ((v - 1) << 2) | (len - 1);
const valOf = (op: number): number => ((op >> 2) & 31) + 1;
const valLen = (op: number): number => (op & 3) + 1;

/** A sparse opcode at `p`: its registers, bytes, and value (0 for the zero runs). */
function opAt(s: Uint8Array, p: number): { span: number; len: number; value: number } {
  const op = s[p]!;
  if (isZero(op)) return { span: (op & 63) + 1, len: 1, value: 0 };
  if (isXZero(op)) return { span: (((op & 63) << 8) | (s[p + 1] ?? 0)) + 1, len: 2, value: 0 };
  return { span: valLen(op), len: 1, value: valOf(op) };
}

/** Visits the registers of a sparse or dense value as runs (start, length, value); false when malformed. */
function runs(b: Uint8Array, visit: (start: number, n: number, v: number) => void): boolean {
  if (b[4] === encDense) {
    for (let i = 0; i < hllRegisters; i++) visit(i, 1, denseGet(b, i));
    return true;
  }
  let i = 0;
  for (let p = headerBytes; p < b.length; ) {
    const o = opAt(b, p);
    if (i + o.span > hllRegisters) return false;
    visit(i, o.span, o.value);
    i += o.span;
    p += o.len;
  }
  return i === hllRegisters;
}

/** A new empty HLL: sparse, one XZERO run (its longest: every register), cardinality 0 cached. */
function created(): Uint8Array {
  const b = new Uint8Array(headerBytes + 2);
  b.set([0x48, 0x59, 0x4c, 0x4c, encSparse]);
  b.set(xzeroOps(hllRegisters), headerBytes);
  return b;
}

/** The dense form of a sparse value (header kept), or null when malformed. */
function toDense(b: Uint8Array): Uint8Array | null {
  if (b[4] === encDense) return b;
  const d = new Uint8Array(denseBytes);
  d.set(b.subarray(0, headerBytes));
  d[4] = encDense;
  return runs(b, (start, n, v) => {
    if (v !== 0) for (let i = start; i < start + n; i++) denseSet(d, i, v);
  })
    ? d
    : null;
}

/**
 * Redis's hllSparseSet: sets register `index` to `count` if larger; the new bytes (maybe dense; `b` itself, changed
 * in place, when the opcodes keep their length), or null when malformed. `b` is the caller's own copy.
 */
function sparseSet(b: Uint8Array, index: number, count: number, sparseBytesMax: number): { b: Uint8Array; changed: boolean } | null {
  const promote = (): { b: Uint8Array; changed: boolean } | null => {
    const d = toDense(b);
    if (d === null) return null;
    denseSet(d, index, count);
    return { b: d, changed: true };
  };
  if (count > sparseValueMax) return promote();
  let p = headerBytes;
  let first = 0;
  let prev = -1;
  let o = { span: 0, len: 1, value: 0 };
  for (; p < b.length; ) {
    o = opAt(b, p);
    if (index <= first + o.span - 1) break;
    prev = p;
    p += o.len;
    first += o.span;
  }
  if (o.span === 0 || p >= b.length) return null;
  const op = b[p]!;
  let out = b;
  if (o.value !== 0 && o.value >= count) return { b, changed: false };
  if (o.span === 1 && !isXZero(op)) {
    // a VAL or ZERO opcode of one register: rewritten in place
    out[p] = valOp(count, 1);
  } else {
    const last = first + o.span - 1;
    const seq: number[] = [];
    const zeros = (len: number): void => {
      if (len > sparseZeroRunMax) seq.push(...xzeroOps(len));
      else seq.push(zeroOp(len));
    };
    if (o.value === 0) {
      if (index !== first) zeros(index - first);
      seq.push(valOp(count, 1));
      if (index !== last) zeros(last - index);
    } else {
      if (index !== first) seq.push(valOp(o.value, index - first));
      seq.push(valOp(count, 1));
      if (index !== last) seq.push(valOp(o.value, last - index));
    }
    const delta = seq.length - o.len;
    if (delta > 0 && b.length + delta > sparseBytesMax) return promote();
    out = new Uint8Array(b.length + delta);
    out.set(b.subarray(0, p));
    out.set(seq, p);
    out.set(b.subarray(p + o.len), p + seq.length);
  }
  return { b: mergeVals(out, prev >= 0 ? prev : headerBytes), changed: true };
}

/** Redis's step after a sparse update: merges adjacent VAL opcodes of one value, looking at up to 5 opcodes from `p`. */
function mergeVals(b: Uint8Array, p: number): Uint8Array {
  let end = b.length;
  let s = b;
  for (let scan = 5; p < end && scan-- > 0; ) {
    const op = s[p]!;
    if (isXZero(op)) {
      p += 2;
      continue;
    }
    if (isZero(op)) {
      p++;
      continue;
    }
    const nx = s[p + 1];
    if (p + 1 < end && nx !== undefined && !isZero(nx) && !isXZero(nx) && valOf(op) === valOf(nx) && valLen(op) + valLen(nx) <= sparseValRunMax) {
      const merged = new Uint8Array(end - 1);
      merged.set(s.subarray(0, p));
      merged[p] = valOp(valOf(op), valLen(op) + valLen(nx));
      merged.set(s.subarray(p + 2, end), p + 1);
      s = merged;
      end--;
      continue;
    }
    p++;
  }
  return s;
}

/**
 * Sets register `index` to `count` if larger in `b` (the caller's own copy; a sparse one converts past `sparseBytesMax`):
 * the new bytes and whether it grew, or null when malformed.
 */
function setRegister(b: Uint8Array, index: number, count: number, sparseBytesMax: number): { b: Uint8Array; changed: boolean } | null {
  if (b[4] === encSparse) return sparseSet(b, index, count, sparseBytesMax);
  if (denseGet(b, index) >= count) return { b, changed: false };
  denseSet(b, index, count);
  return { b, changed: true };
}

const invalidate = (b: Uint8Array): void => {
  b[15] = b[15]! | 0x80;
};

// ---------------------------------------------------------------------------------------------------------------
// Estimate
// ---------------------------------------------------------------------------------------------------------------
function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  for (;;) {
    x *= x;
    const before = z;
    z += x * y;
    y += y;
    if (before === z) return z;
  }
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  for (;;) {
    x = Math.sqrt(x);
    const before = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
    if (before === z) return z / 3;
  }
}

/** The estimate from a register histogram (histo[v] = registers holding v). */
function estimate(histo: readonly number[]): number {
  const m = hllRegisters;
  let z = m * tau((m - histo[valueBitsMax + 1]!) / m);
  for (let j = valueBitsMax; j >= 1; j--) {
    z += histo[j]!;
    z *= 0.5;
  }
  z += m * sigma(histo[0]! / m);
  return Math.round((alphaInf * m * m) / z);
}

function histogram(b: Uint8Array): number[] | null {
  const h = new Array<number>(64).fill(0);
  return runs(b, (_, n, v) => {
    h[v] = h[v]! + n;
  })
    ? h
    : null;
}

// ---------------------------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------------------------

/** A key's HLL bytes, null when absent, or the error Redis gives (WRONGTYPE twice over). */
function hllOf(c: Ctx, key: string): Uint8Array | null | Reply {
  const s = c.str(key);
  if (s === null || isReply(s)) return s;
  if (s.length < headerBytes || s[0] !== 0x48 || s[1] !== 0x59 || s[2] !== 0x4c || s[3] !== 0x4c || s[4]! > encSparse) return notHll;
  if (s[4] === encDense && s.length !== denseBytes) return notHll;
  return s;
}

export function pfadd(c: Ctx, a: Argv): Reply {
  const key = keyOf(a, 1);
  const cur = hllOf(c, key);
  if (isReply(cur)) return cur;
  let b = cur === null ? created() : cur.slice();
  let updated = cur === null;
  for (let i = 2; i < a.length; i++) {
    const { index, count } = registerOf(a[i]!);
    const r = setRegister(b, index, count, c.ks.limits.hllSparseMaxBytes);
    if (r === null) return corrupted;
    b = r.b;
    updated ||= r.changed;
  }
  if (!updated) return int(0);
  invalidate(b);
  c.setRawStr(key, b, 'keep');
  c.notify('$', 'pfadd', key);
  return int(1);
}

/** The registers of every HLL key from argument `from` on, merged (max of each), and whether one was dense; or an error. */
function mergedRegisters(c: Ctx, a: Argv, from: number): { max: Uint8Array; dense: boolean } | Reply {
  const max = new Uint8Array(hllRegisters);
  let dense = false;
  for (let j = from; j < a.length; j++) {
    const b = hllOf(c, keyOf(a, j));
    if (isReply(b)) return b;
    if (b === null) continue;
    dense ||= b[4] === encDense;
    const ok = runs(b, (start, n, v) => {
      for (let i = start; i < start + n; i++) if (v > max[i]!) max[i] = v;
    });
    if (!ok) return corrupted;
  }
  return { max, dense };
}

export function pfcount(c: Ctx, a: Argv): Reply {
  if (a.length > 2) {
    const m = mergedRegisters(c, a, 1);
    if (isReply(m)) return m;
    const h = new Array<number>(64).fill(0);
    for (const v of m.max) h[v] = h[v]! + 1;
    return int(estimate(h));
  }
  const key = keyOf(a, 1);
  const b = hllOf(c, key);
  if (isReply(b)) return b;
  if (b === null) return int(0);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if ((b[15]! & 0x80) === 0) return int(dv.getBigUint64(8, true));
  const h = histogram(b);
  if (h === null) return corrupted;
  const card = estimate(h);
  const out = b.slice();
  new DataView(out.buffer).setBigUint64(8, BigInt(card), true);
  c.setRawStr(key, out, 'keep');
  return int(card);
}

export function pfmerge(c: Ctx, a: Argv): Reply {
  const m = mergedRegisters(c, a, 1);
  if (isReply(m)) return m;
  const key = keyOf(a, 1);
  const cur = hllOf(c, key);
  if (isReply(cur)) return cur;
  let b: Uint8Array | null = cur === null ? created() : cur.slice();
  if (m.dense) b = toDense(b);
  if (b === null) return corrupted;
  for (let i = 0; i < hllRegisters; i++) {
    if (m.max[i] === 0) continue;
    const r = setRegister(b, i, m.max[i]!, c.ks.limits.hllSparseMaxBytes);
    if (r === null) return corrupted;
    b = r.b;
  }
  invalidate(b);
  c.setRawStr(key, b, 'keep');
  c.notify('$', 'pfadd', key);
  return OK;
}

/** PFDEBUG GETREG|DECODE|ENCODING|TODENSE key (GETREG and TODENSE convert a sparse value to dense, as Redis). */
export function pfdebug(c: Ctx, a: Argv): Reply {
  const key = keyOf(a, 2);
  const b = hllOf(c, key);
  if (b === null) return err('ERR The specified key does not exist');
  if (isReply(b)) return b;
  const sub = upper(a[1]!);
  const dense = (): Uint8Array | Reply => {
    if (b[4] === encDense) return b;
    const d = toDense(b);
    if (d === null) return corrupted;
    c.setRawStr(key, d, 'keep');
    return d;
  };
  switch (sub) {
    case 'GETREG': {
      const d = dense();
      if (isReply(d)) return d;
      return array(Array.from({ length: hllRegisters }, (_, i) => int(denseGet(d, i))));
    }
    case 'TODENSE': {
      const was = b[4];
      const d = dense();
      return isReply(d) ? d : int(was === encSparse ? 1 : 0);
    }
    case 'ENCODING':
      return { kind: 'Simple', text: b[4] === encDense ? 'dense' : 'sparse' };
    case 'DECODE': {
      if (b[4] !== encSparse) return err('ERR HLL encoding is not sparse');
      const parts: string[] = [];
      for (let p = headerBytes; p < b.length; ) {
        const o = opAt(b, p);
        parts.push(o.value !== 0 ? `v:${o.value},${o.span}` : o.len === 2 ? `Z:${o.span}` : `z:${o.span}`);
        p += o.len;
      }
      return bulkText(parts.join(' '));
    }
    default:
      return err(`ERR Unknown PFDEBUG subcommand '${latin1(a[1]!)}'`);
  }
}
