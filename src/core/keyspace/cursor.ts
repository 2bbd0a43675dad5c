/**
 * The SCAN family's shared parts (SCAN, HSCAN, SSCAN, ZSCAN): cursor and option parsing with Redis 7.0's error
 * texts, and one step of a collection scan.
 *
 * A collection in a compact encoding (listpack, intset) answers everything in one call with cursor 0, as Redis. A
 * larger one is walked in the order of its elements' 32-bit hashes: the cursor is 1 + the hash to resume at (0: done),
 * so every element present for the whole scan is returned at least once whatever changes in between, and an element
 * is returned twice only if removed and added back. One step costs a pass over the collection.
 */
import type { Argv, Reply } from '../../protocol/resp.js';
import { strHash } from '../hash.js';
import { E, array, bulk, bulkText, err, fromLatin1, latin1, parseInt64, upper } from './bytes.js';
import { globMatch } from './glob.js';

/** COUNT is clamped to this (a step's work stays bounded). */
export const scanCountMax = 1_000_000;
const elementSeed = 0x5ca9;

/** Redis's cursor: a decimal unsigned 64-bit (a signed one wraps); null for "ERR invalid cursor". */
export function parseCursor(b: Uint8Array): bigint | null {
  const cs = latin1(b);
  if (!/^\+?[0-9]+$/.test(cs) && !/^-[0-9]+$/.test(cs)) return null;
  const v = BigInt(cs);
  return v >= 2n ** 64n || v <= -(2n ** 64n) ? null : BigInt.asUintN(64, v);
}
export const invalidCursor = err('ERR invalid cursor');

/** A MATCH pattern that matches everything (`*`). */
export const allKeys = (p: Uint8Array): boolean => p.length === 1 && p[0] === 0x2a;

export interface ScanOptions {
  readonly count: number;
  /** null: every element (no MATCH, or MATCH *). */
  readonly match: Uint8Array | null;
  /** SCAN's TYPE (lower case); null when absent. */
  readonly type: string | null;
}

/** MATCH / COUNT (and TYPE when `withType`) from argument `from` on, or the error Redis gives. */
export function parseScanOptions(a: Argv, from: number, withType: boolean): ScanOptions | Reply {
  let count = 10;
  let match: Uint8Array | null = null;
  let type: string | null = null;
  for (let j = from; j < a.length; j++) {
    const opt = upper(a[j]!);
    if (j + 1 >= a.length) return E.syntax;
    if (opt === 'COUNT') {
      const n = parseInt64(a[++j]!);
      if (n === null) return E.notInt;
      if (n < 1n) return E.syntax;
      count = Number(n > BigInt(scanCountMax) ? BigInt(scanCountMax) : n);
    } else if (opt === 'MATCH') {
      match = a[++j]!;
      if (allKeys(match)) match = null;
    } else if (withType && opt === 'TYPE') type = latin1(a[++j]!).toLowerCase();
    else return E.syntax;
  }
  return { count, match, type };
}

/**
 * One HSCAN/SSCAN/ZSCAN step over `elements` (their names, latin1): `compact` answers all of them with cursor 0;
 * otherwise up to about `count` from `cursor` on, in hash order (with all elements sharing the last hash).
 * `reply` turns a found element into its reply items (a member; a field and its value). Reply: [cursor, items].
 */
export function scanStep<T>(elements: Iterable<T>, nameOf: (t: T) => string, cursor: bigint, o: ScanOptions, compact: boolean, reply: (t: T) => Reply[]): Reply {
  let found: T[];
  let next = 0;
  if (compact) found = [...elements];
  else {
    const from = cursor === 0n ? 0 : Number(BigInt.asUintN(33, cursor - 1n));
    const after: { h: number; t: T }[] = [];
    for (const t of elements) {
      const h = strHash(nameOf(t), elementSeed) >>> 0;
      if (h >= from) after.push({ h, t });
    }
    after.sort((x, y) => x.h - y.h);
    let end = Math.min(o.count, after.length);
    while (end < after.length && after[end]!.h === after[end - 1]!.h) end++;
    if (end < after.length) next = after[end]!.h + 1;
    found = after.slice(0, end).map((x) => x.t);
  }
  const items: Reply[] = [];
  for (const t of found) if (o.match === null || globMatch(o.match, fromLatin1(nameOf(t)))) items.push(...reply(t));
  return array([bulkText(String(next)), array(items)]);
}

/** The reply of a scan over a missing key. */
export const emptyScan: Reply = array([bulkText('0'), array([])]);

/** A member's reply items (SSCAN). */
export const memberItems = (m: string): Reply[] => [bulk(fromLatin1(m))];
