/**
 * Byte and number helpers of the keyspace: keys as latin1 strings (one char per byte, so any binary key is a Map
 * key), Redis's integer and float parsing rules (`string2ll`, `string2ld`), hashing for the digest and a CRC-32 for
 * DUMP payloads. Pure: no Buffer, no IO.
 */
import type { Reply } from '../../protocol/resp.js';

/** A key or value's bytes as a string of char codes 0..255 (the Map key form). */
export function latin1(b: Uint8Array): string {
  if (b.length < 64) {
    let s = '';
    for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
    return s;
  }
  let s = '';
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode(...b.subarray(i, i + 4096));
  return s;
}

export function fromLatin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** ASCII text (digits, option names) as bytes. */
export function ascii(s: string): Uint8Array {
  return fromLatin1(s);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** An option argument upper-cased (only ASCII letters change), for case-insensitive option matching. */
export function upper(b: Uint8Array): string {
  return latin1(b).toUpperCase();
}

// -------------------------------------------------------------------------------------------------------------
// Replies
// -------------------------------------------------------------------------------------------------------------
export const OK: Reply = Object.freeze({ kind: 'Simple', text: 'OK' });
export const NULL: Reply = Object.freeze({ kind: 'Null' });
export const NULL_ARRAY: Reply = Object.freeze({ kind: 'NullArray' });
export const isReply = (x: unknown): x is Reply => typeof x === 'object' && x !== null && 'kind' in x;
export const err = (text: string): Reply => ({ kind: 'Error', text });
export const int = (value: number | bigint): Reply => ({
  kind: 'Int',
  value: typeof value === 'bigint' && value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value,
});
export const bulk = (bytes: Uint8Array): Reply => ({ kind: 'Bulk', bytes });
export const bulkText = (s: string): Reply => ({ kind: 'Bulk', bytes: ascii(s) });
export const array = (items: readonly Reply[]): Reply => ({ kind: 'Array', items });

export const E = {
  syntax: err('ERR syntax error'),
  notInt: err('ERR value is not an integer or out of range'),
  notFloat: err('ERR value is not a valid float'),
  wrongType: err('WRONGTYPE Operation against a key holding the wrong kind of value'),
  overflow: err('ERR increment or decrement would overflow'),
  noSuchKey: err('ERR no such key'),
  dbRange: err('ERR DB index is out of range'),
  sameObject: err('ERR source and destination objects are the same'),
  bitOffset: err('ERR bit offset is not an integer or out of range'),
  tooBig: err('ERR string exceeds maximum allowed size (proto-max-bulk-len)'),
} as const;

export const arityError = (name: string): Reply => err(`ERR wrong number of arguments for '${name.toLowerCase()}' command`);

// -------------------------------------------------------------------------------------------------------------
// Numbers
// -------------------------------------------------------------------------------------------------------------
export const int64Min = -(2n ** 63n);
export const int64Max = 2n ** 63n - 1n;

/** Redis's string2ll: optional '-', no '+', no leading zeros or spaces, fits a signed 64-bit; else null. */
export function parseInt64(b: Uint8Array): bigint | null {
  const n = b.length;
  if (n === 0 || n > 20) return null;
  if (n === 1 && b[0] === 0x30) return 0n;
  let i = 0;
  const neg = b[0] === 0x2d;
  if (neg) i = 1;
  if (i >= n || b[i]! < 0x31 || b[i]! > 0x39) return null;
  for (let j = i; j < n; j++) if (b[j]! < 0x30 || b[j]! > 0x39) return null;
  const v = BigInt(latin1(b));
  return v < int64Min || v > int64Max ? null : v;
}

/** `parseInt64` as a JS number when it is a safe integer (indexes, counts), else null. */
export function parseSafeInt(b: Uint8Array): number | null {
  const v = parseInt64(b);
  if (v === null) return null;
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : null;
}

/** The decimal text of an integer as bytes (Redis stores INCR results as their decimal string). */
export function intBytes(v: bigint | number): Uint8Array {
  return ascii(String(v));
}

// -------------------------------------------------------------------------------------------------------------
// Hashing
// -------------------------------------------------------------------------------------------------------------
/** 32-bit hash of bytes (murmur-like mixing), seeded. */
export function hashBytes(b: Uint8Array, seed: number): number {
  let h = seed | 0;
  for (let i = 0; i < b.length; i++) {
    h = Math.imul(h ^ b[i]!, 0x5bd1e995);
    h ^= h >>> 15;
  }
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}


/** Mix two 32-bit words into a 52-bit number (exact in a double). */
export function mix52(a: number, b: number): number {
  let x = Math.imul((a ^ 0x85ebca6b) >>> 0, 0xcc9e2d51) ^ b;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  let y = Math.imul((b ^ 0xc2b2ae35) >>> 0, 0x1b873593) ^ a;
  y = Math.imul(y ^ (y >>> 13), 0xc2b2ae35) >>> 0;
  return (x & 0xfffff) * 2 ** 32 + y;
}

export const digestMod = 2 ** 52;

const crcTable = ((): Uint32Array => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3), as zlib's. */
export function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = crcTable[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
