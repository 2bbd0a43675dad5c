/**
 * IEEE doubles as Redis 7.0 reads and prints them: `strtod` (a prefix parse: glibc's grammar of decimal, hex
 * `0x1.8p3`, `inf`/`infinity`, `nan`, leading white space skipped), Redis's strict `string2d` over it, and `%.17g`
 * (addReplyDouble, and d2string for the values a zset can hold). Pure.
 */

/** What strtod read: the value, where it stopped (`end === from`: nothing converted), and whether errno was ERANGE. */
export interface Strtod {
  readonly value: number;
  readonly end: number;
  readonly range: boolean;
}

import { latin1 } from './bytes.js';

/** A hex mantissa keeps this many bits exactly; later digits only count as sticky (far past a double's 53). */
const hexMantissaBitsMax = 80;
const hexMantissaLimit = 1n << BigInt(hexMantissaBitsMax);

const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const hexVal = (c: number): number => (isDigit(c) ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1);

function startsWithWord(b: Uint8Array, at: number, word: string): boolean {
  if (at + word.length > b.length) return false;
  for (let k = 0; k < word.length; k++) if ((b[at + k]! | 0x20) !== word.charCodeAt(k)) return false;
  return true;
}

/** Optional sign and digits at `at` (an exponent): its value (saturated) and end, or null when no digit follows. */
function exponentAt(b: Uint8Array, at: number): { value: number; end: number } | null {
  let j = at;
  let neg = false;
  if (j < b.length && (b[j] === 0x2b || b[j] === 0x2d)) neg = b[j++] === 0x2d;
  if (j >= b.length || !isDigit(b[j]!)) return null;
  let v = 0;
  while (j < b.length && isDigit(b[j]!)) v = Math.min(v * 10 + b[j++]! - 0x30, 1e9);
  return { value: neg ? -v : v, end: j };
}

/** mant * 2^exp as a double (mant rounded to 53 bits once, then scaled exactly unless the result leaves the normal range). */
function scale2(mant: bigint, exp: number): number {
  const bits = mant.toString(2).length;
  if (bits > 64) {
    const shift = BigInt(bits - 64);
    const sticky = (mant & ((1n << shift) - 1n)) !== 0n ? 1n : 0n;
    mant = (mant >> shift) | sticky;
    exp += bits - 64;
  }
  let x = Number(mant);
  for (; exp > 1000 && x !== Infinity; exp -= 1000) x *= 2 ** 1000;
  for (; exp < -1000 && x !== 0; exp += 1000) x *= 2 ** -1000;
  return x * 2 ** Math.max(-1100, Math.min(1100, exp));
}

/** glibc's strtod over bytes from `from`. */
export function strtod(b: Uint8Array, from = 0): Strtod {
  let i = from;
  while (i < b.length && isSpace(b[i]!)) i++;
  let neg = false;
  if (i < b.length && (b[i] === 0x2b || b[i] === 0x2d)) neg = b[i++] === 0x2d;
  const sign = (x: number): number => (neg ? -x : x);
  if (startsWithWord(b, i, 'inf')) return { value: sign(Infinity), end: i + (startsWithWord(b, i, 'infinity') ? 8 : 3), range: false };
  if (startsWithWord(b, i, 'nan')) {
    let end = i + 3;
    if (end < b.length && b[end] === 0x28) {
      let j = end + 1;
      while (j < b.length && (isDigit(b[j]!) || hexVal(b[j]!) >= 0 || ((b[j]! | 0x20) >= 0x61 && (b[j]! | 0x20) <= 0x7a) || b[j] === 0x5f)) j++;
      if (j < b.length && b[j] === 0x29) end = j + 1;
    }
    return { value: NaN, end, range: false };
  }
  if (b[i] === 0x30 && (b[i + 1]! | 0x20) === 0x78) {
    let j = i + 2;
    let mant = 0n;
    let digits = 0;
    let exp = 0;
    // digits past `hexMantissaBitsMax` only move the exponent (integer part) or set the sticky bit: linear time
    const digit = (d: number, fraction: boolean): void => {
      if (mant < hexMantissaLimit) {
        mant = (mant << 4n) | BigInt(d);
        if (fraction) exp -= 4;
      } else {
        if (d !== 0 && (mant & 1n) === 0n) mant |= 1n;
        if (!fraction) exp += 4;
      }
    };
    while (j < b.length && hexVal(b[j]!) >= 0) {
      digit(hexVal(b[j++]!), false);
      digits++;
    }
    if (j < b.length && b[j] === 0x2e) {
      let k = j + 1;
      let frac = 0;
      while (k < b.length && hexVal(b[k]!) >= 0) frac++, k++;
      if (digits + frac > 0) {
        for (let f = j + 1; f < k; f++) digit(hexVal(b[f]!), true);
        j = k;
        digits += frac;
      }
    }
    if (digits > 0) {
      if (j < b.length && (b[j]! | 0x20) === 0x70) {
        const e = exponentAt(b, j + 1);
        if (e !== null) {
          exp += e.value;
          j = e.end;
        }
      }
      const v = scale2(mant, exp);
      return { value: sign(v), end: j, range: v === Infinity || (v === 0 && mant !== 0n) };
    }
    // "0x" without hex digits: the "0" alone
    return { value: sign(0), end: i + 1, range: false };
  }
  const start = i;
  let digits = 0;
  let nonzero = false;
  while (i < b.length && isDigit(b[i]!)) {
    nonzero ||= b[i] !== 0x30;
    i++;
    digits++;
  }
  if (i < b.length && b[i] === 0x2e) {
    let k = i + 1;
    let frac = 0;
    while (k < b.length && isDigit(b[k]!)) {
      nonzero ||= b[k] !== 0x30;
      k++;
      frac++;
    }
    if (digits + frac > 0) {
      i = k;
      digits += frac;
    }
  }
  if (digits === 0) return { value: 0, end: from, range: false };
  if (i < b.length && (b[i]! | 0x20) === 0x65) {
    const e = exponentAt(b, i + 1);
    if (e !== null) i = e.end;
  }
  const v = Number(latin1(b.subarray(start, i)));
  return { value: sign(v), end: i, range: v === Infinity || (v === 0 && nonzero) };
}

/** Redis's string2d (scores, increments): the whole text, no leading space, no overflow or underflow to 0, no NaN. */
export function string2d(b: Uint8Array): number | null {
  if (b.length === 0 || isSpace(b[0]!)) return null;
  const r = strtod(b);
  if (r.end !== b.length || r.range || Number.isNaN(r.value)) return null;
  return r.value;
}

/** `%.17g` as glibc prints it (round half to even on exact ties). */
export function formatDouble(d: number): string {
  if (Number.isNaN(d)) return 'nan';
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  // 17 significant digits, correctly rounded with ties to even (toExponential rounds ties up).
  let s = d.toExponential(16);
  const exact = d.toExponential(60);
  const m18 = /^-?(\d)\.(\d+)e/.exec(exact)!;
  const digits = m18[1]! + m18[2]!;
  if (digits[17] === '5' && /^0*$/.test(digits.slice(18))) {
    const kept = BigInt(digits.slice(0, 17));
    const even = kept % 2n === 0n ? kept : kept + 1n;
    const exp = Number(/e([+-]\d+)$/.exec(exact)![1]);
    const ds = even.toString();
    const e2 = ds.length > 17 ? exp + 1 : exp;
    s = `${d < 0 ? '-' : ''}${ds[0]}.${ds.slice(1, 17)}e${e2 >= 0 ? '+' : ''}${e2}`;
  }
  const m = /^(-?)(\d)\.(\d+)e([+-]\d+)$/.exec(s)!;
  const sign = m[1]!;
  const mant = m[2]! + m[3]!;
  const x = Number(m[4]);
  if (x < -4 || x >= 17) {
    let frac = mant.slice(1).replace(/0+$/, '');
    frac = frac === '' ? '' : `.${frac}`;
    const ax = Math.abs(x);
    return `${sign}${mant[0]}${frac}e${x < 0 ? '-' : '+'}${ax < 10 ? '0' : ''}${ax}`;
  }
  let out: string;
  if (x >= 0) {
    const int = mant.slice(0, x + 1);
    const frac = mant.slice(x + 1).replace(/0+$/, '');
    out = frac === '' ? int : `${int}.${frac}`;
  } else {
    out = `0.${'0'.repeat(-x - 1)}${mant}`.replace(/0+$/, '');
  }
  return sign + out;
}

