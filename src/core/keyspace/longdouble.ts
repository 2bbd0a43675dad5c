/**
 * INCRBYFLOAT's arithmetic as Redis does it on x86-64: an 80-bit long double (64-bit mantissa), parsed like
 * strtold (decimal, hex `0x1.8p3`, `inf`), added with one rounding (to nearest, ties to even), and printed as
 * `%.17Lf` with the trailing zeros (and a bare '.') removed, `-0` as `0`. Exact with bigints: a JS double would
 * print 0.1 + 3 as 3.10000000000000009 where Redis prints 3.1. Subnormals are rounded as normals (documented).
 */

/** A finite long double: (-1)^neg * mant * 2^exp, mant < 2^64 (0 when zero). */
export interface LongDouble {
  readonly neg: boolean;
  readonly mant: bigint;
  readonly exp: number;
}

const mantBits = 64;
/** The largest binary exponent of a long double (values ≥ 2^16384 overflow to infinity). */
const expMax = 16384;
/** Below 2^-16445 (the smallest subnormal) a value underflows to zero. */
const expMin = -16445;
/** strtold's input as Redis bounds it (string2ld's buffer, MAX_LONG_DOUBLE_CHARS). */
export const longDoubleCharsMax = 5 * 1024;

export type Parsed = LongDouble | 'inf' | '-inf' | null;

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

function finish(neg: boolean, mant: bigint, exp: number): LongDouble | 'inf' | 'zero' {
  if (mant === 0n) return 'zero';
  if (exp + bitLength(mant) > expMax) return 'inf';
  if (exp + bitLength(mant) <= expMin) return 'zero';
  return { neg, mant, exp };
}

/** Round an exact value mant*2^exp (mant any size) to 64 bits, ties to even. */
function round(neg: boolean, mant: bigint, exp: number): LongDouble | 'inf' | 'zero' {
  const extra = bitLength(mant) - mantBits;
  if (extra <= 0) return finish(neg, mant, exp);
  const e = BigInt(extra);
  let q = mant >> e;
  const rem = mant & ((1n << e) - 1n);
  const half = 1n << (e - 1n);
  if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
  let x = exp + extra;
  if (bitLength(q) > mantBits) {
    q >>= 1n;
    x++;
  }
  return finish(neg, q, x);
}

function roundRational(neg: boolean, num: bigint, den: bigint): LongDouble | 'inf' | 'zero' {
  if (num === 0n) return { neg, mant: 0n, exp: 0 };
  const k = mantBits + 3 - (bitLength(num) - bitLength(den));
  const n = k >= 0 ? num << BigInt(k) : num;
  const d = k >= 0 ? den : den << BigInt(-k);
  const q = n / d;
  const sticky = n % d !== 0n ? 1n : 0n;
  // q has ≥ 66 bits; append the sticky bit below it so `round` sees an exact-enough value.
  return round(neg, (q << 1n) | sticky, -k - 1);
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/**
 * string2ld: the whole input must be one number; leading space, trailing bytes, NaN, overflow and underflow to zero
 * are invalid (null). `inf`/`infinity` parse (the add then fails as Redis's "would produce NaN or Infinity").
 */
export function parseLongDouble(b: Uint8Array): Parsed {
  const n = b.length;
  if (n === 0 || n >= longDoubleCharsMax) return null;
  let i = 0;
  let neg = false;
  if (b[0] === 0x2b || b[0] === 0x2d) {
    neg = b[0] === 0x2d;
    i = 1;
  }
  const rest = String.fromCharCode(...b.subarray(i)).toLowerCase();
  if (rest === 'inf' || rest === 'infinity') return neg ? '-inf' : 'inf';
  let r: LongDouble | 'inf' | 'zero';
  if (rest.startsWith('0x') && rest.length > 2) {
    let j = i + 2;
    let mant = 0n;
    let digits = 0;
    let scale = 0;
    while (j < n && hexVal(b[j]!) >= 0) {
      mant = (mant << 4n) | BigInt(hexVal(b[j]!));
      digits++;
      j++;
    }
    if (j < n && b[j] === 0x2e) {
      j++;
      while (j < n && hexVal(b[j]!) >= 0) {
        mant = (mant << 4n) | BigInt(hexVal(b[j]!));
        scale -= 4;
        digits++;
        j++;
      }
    }
    if (digits === 0) return null;
    if (j < n && (b[j] === 0x70 || b[j] === 0x50)) {
      const e = exponent(b, j + 1);
      if (e === null) return null;
      scale += e.value;
      j = e.end;
    }
    if (j !== n) return null;
    r = scale >= 0 ? round(neg, mant << BigInt(Math.min(scale, expMax + 64)), 0) : round(neg, mant, Math.max(scale, expMin - 200));
  } else {
    let j = i;
    let digitsText = '';
    let scale = 0;
    while (j < n && isDigit(b[j]!)) digitsText += String.fromCharCode(b[j++]!);
    if (j < n && b[j] === 0x2e) {
      j++;
      while (j < n && isDigit(b[j]!)) {
        digitsText += String.fromCharCode(b[j++]!);
        scale--;
      }
    }
    if (digitsText.length === 0) return null;
    if (j < n && (b[j] === 0x65 || b[j] === 0x45)) {
      const e = exponent(b, j + 1);
      if (e !== null) {
        scale += e.value;
        j = e.end;
      }
    }
    if (j !== n) return null;
    const mant = BigInt(digitsText);
    if (mant === 0n) return { neg, mant: 0n, exp: 0 };
    const magnitude = mant.toString().length + scale;
    if (magnitude > 4934) return null; // beyond LDBL_MAX: ERANGE
    if (magnitude < -4952) return null; // underflows to zero: ERANGE
    r = scale >= 0 ? round(neg, mant * 10n ** BigInt(scale), 0) : roundRational(neg, mant, 10n ** BigInt(-scale));
  }
  return r === 'inf' || r === 'zero' ? null : r;
}

/** An exponent `[+-]digits` from index j; null when there are no digits (strtold then stops before the 'e'). */
function exponent(b: Uint8Array, j: number): { value: number; end: number } | null {
  let sign = 1;
  if (j < b.length && (b[j] === 0x2b || b[j] === 0x2d)) {
    sign = b[j] === 0x2d ? -1 : 1;
    j++;
  }
  if (j >= b.length || !isDigit(b[j]!)) return null;
  let v = 0;
  while (j < b.length && isDigit(b[j]!)) {
    v = Math.min(v * 10 + (b[j]! - 0x30), 1e9);
    j++;
  }
  return { value: sign * v, end: j };
}

/** a + b with one rounding; null when the result is infinite (or an input was). */
export function addLongDouble(a: Parsed, b: Parsed): LongDouble | null {
  if (a === null || b === null || typeof a === 'string' || typeof b === 'string') return null;
  if (a.mant === 0n) return b.mant === 0n ? { neg: a.neg && b.neg, mant: 0n, exp: 0 } : b;
  if (b.mant === 0n) return a;
  const e = Math.min(a.exp, b.exp);
  const av = (a.neg ? -a.mant : a.mant) << BigInt(a.exp - e);
  const bv = (b.neg ? -b.mant : b.mant) << BigInt(b.exp - e);
  const s = av + bv;
  if (s === 0n) return { neg: false, mant: 0n, exp: 0 };
  const r = round(s < 0n, s < 0n ? -s : s, e);
  if (r === 'inf') return null;
  if (r === 'zero') return { neg: s < 0n, mant: 0n, exp: 0 };
  return r;
}

const fracDigits = 17;
const fracScale = 10n ** BigInt(fracDigits);

/** `%.17Lf` with trailing zeros and a bare '.' removed, `-0` → `0` (Redis's LD_STR_HUMAN). */
export function formatLongDouble(v: LongDouble): string {
  let scaled: bigint;
  if (v.exp >= 0) scaled = (v.mant << BigInt(v.exp)) * fracScale;
  else {
    const den = 1n << BigInt(-v.exp);
    const num = v.mant * fracScale;
    scaled = num / den;
    const rem = num % den;
    if (rem * 2n > den || (rem * 2n === den && (scaled & 1n) === 1n)) scaled += 1n;
  }
  const ip = scaled / fracScale;
  const frac = (scaled % fracScale).toString().padStart(fracDigits, '0').replace(/0+$/, '');
  let s = frac.length > 0 ? `${ip}.${frac}` : `${ip}`;
  if (v.neg) s = `-${s}`;
  return s === '-0' ? '0' : s;
}
