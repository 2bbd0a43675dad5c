/**
 * OBJECT ENCODING and the thresholds that decide it (Redis 7.0's `hash-max-listpack-*`, `set-max-intset-entries`,
 * `zset-max-listpack-*`, `list-max-listpack-size`, and `hll-sparse-max-bytes` for HyperLogLog bytes). The thresholds are replicated keyspace state, not node
 * configuration: CONFIG SET of one is logged as a write (`_encodingset`), snapshots carry them, so every replica
 * answers the same encoding.
 *
 * A hash or set starts compact (listpack, intset) and converts for good (hashtable) the first time a write leaves it
 * beyond the thresholds then in force (`KeyspaceState.store` settles it); shrinking never converts back, as in
 * Redis. Redis checks only the elements a write adds, conclave the whole value: they differ only when a threshold
 * is lowered below a compact value's size and a write that adds nothing (HDEL, EXPIRE) then meets it. Lists are
 * always `quicklist` in Redis 7.0. Strings: `int`, `embstr` up to 44 bytes, else `raw`; `raw` too for a string that
 * APPEND (to an existing key), SETRANGE, SETBIT, BITOP, BITFIELD or the HyperLogLog commands made (`Ctx.setRawStr`).
 */
import type { Argv, Reply } from '../../protocol/resp.js';
import { OK, array, bulkText, err, fromLatin1, latin1, parseInt64 } from './bytes.js';
import { globMatch } from './glob.js';
import type { Ctx, Value } from './state.js';

export interface EncodingLimits {
  hashMaxListpackEntries: number;
  hashMaxListpackValue: number;
  setMaxIntsetEntries: number;
  zsetMaxListpackEntries: number;
  zsetMaxListpackValue: number;
  listMaxListpackSize: number;
  /** A sparse HyperLogLog converts to dense rather than grow past this (hll.ts). */
  hllSparseMaxBytes: number;
}

/** Redis 7.0.15's built-in defaults (CONFIG GET on a server started without a config file). */
export function defaultEncodingLimits(): EncodingLimits {
  return {
    hashMaxListpackEntries: 512,
    hashMaxListpackValue: 64,
    setMaxIntsetEntries: 512,
    zsetMaxListpackEntries: 128,
    zsetMaxListpackValue: 64,
    listMaxListpackSize: -2,
    hllSparseMaxBytes: 3000,
  };
}

/** The longest string Redis keeps as `embstr`. */
const embstrBytesMax = 44;
const longMax = 2n ** 63n - 1n;

function stringEncoding(bytes: Uint8Array): 'int' | 'embstr' | 'raw' {
  if (bytes.length <= 20 && parseInt64(bytes) !== null) return 'int';
  return bytes.length <= embstrBytesMax ? 'embstr' : 'raw';
}

/** The object a collection's encoding state is kept on (the same object across in-place changes). */
export function containerOf(v: Value): object | null {
  return v.type === 'hash' ? v.fields : v.type === 'set' ? v.members : v.type === 'string' ? v.bytes : null;
}

/** Whether a compact collection is beyond the thresholds (it must convert). */
export function beyondCompact(v: Value, l: EncodingLimits): boolean {
  if (v.type === 'hash') {
    if (v.fields.size > l.hashMaxListpackEntries) return true;
    for (const [f, x] of v.fields) if (f.length > l.hashMaxListpackValue || x.length > l.hashMaxListpackValue) return true;
    return false;
  }
  if (v.type === 'set') {
    if (v.members.size > l.setMaxIntsetEntries) return true;
    for (const m of v.members) if (m.length > 20 || parseInt64(fromLatin1(m)) === null) return true;
  }
  return false;
}

/** OBJECT ENCODING's answer; `converted`: the collection has left its compact encoding, or the string is kept raw. */
function encodingName(v: Value, converted: boolean): string {
  switch (v.type) {
    case 'string':
      return converted ? 'raw' : stringEncoding(v.bytes);
    case 'hash':
      return converted ? 'hashtable' : 'listpack';
    case 'set':
      return converted ? 'hashtable' : 'intset';
    case 'list':
      return 'quicklist';
    case 'zset':
      // a zset keeps its own (its listpack form changes how it reads: sorted.ts)
      return v.z.skiplist ? 'skiplist' : 'listpack';
    case 'stream':
      return 'stream';
  }
}

/** OBJECT ENCODING of a stored value (`unpacked`: KeyspaceState's set of converted containers). */
export function objectEncoding(unpacked: WeakSet<object>, v: Value): string {
  const box = containerOf(v);
  return encodingName(v, box !== null && unpacked.has(box));
}

// ---------------------------------------------------------------------------------------------------------------
// CONFIG GET / SET of the thresholds
// ---------------------------------------------------------------------------------------------------------------

type Kind = 'count' | 'memory' | 'int32';
interface Param {
  readonly name: string;
  readonly alias?: string;
  readonly field: keyof EncodingLimits;
  readonly kind: Kind;
}
const params: readonly Param[] = [
  { name: 'hash-max-listpack-entries', alias: 'hash-max-ziplist-entries', field: 'hashMaxListpackEntries', kind: 'count' },
  { name: 'hash-max-listpack-value', alias: 'hash-max-ziplist-value', field: 'hashMaxListpackValue', kind: 'memory' },
  { name: 'set-max-intset-entries', field: 'setMaxIntsetEntries', kind: 'count' },
  { name: 'zset-max-listpack-entries', alias: 'zset-max-ziplist-entries', field: 'zsetMaxListpackEntries', kind: 'count' },
  { name: 'zset-max-listpack-value', alias: 'zset-max-ziplist-value', field: 'zsetMaxListpackValue', kind: 'memory' },
  { name: 'list-max-listpack-size', alias: 'list-max-ziplist-size', field: 'listMaxListpackSize', kind: 'int32' },
  { name: 'hll-sparse-max-bytes', field: 'hllSparseMaxBytes', kind: 'memory' },
];
const byName = new Map<string, Param>();
for (const p of params) {
  byName.set(p.name, p);
  if (p.alias !== undefined) byName.set(p.alias, p);
}

/** Redis's memtoull: digits with an optional b/k/kb/m/mb/g/gb unit (case-insensitive); null if not one. */
export function memoryValue(s: string): number | null {
  const m = /^(\d+)(b|k|kb|m|mb|g|gb)?$/i.exec(s);
  if (m === null) return null;
  const unit = (m[2] ?? 'b').toLowerCase();
  const mul = { b: 1, k: 1000, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 }[unit]!;
  return Number(m[1]) * mul;
}

/** Whether CONFIG's `name` is one of the replicated thresholds. */
export function isEncodingParam(name: string): boolean {
  return byName.has(name.toLowerCase());
}

/** Whether a CONFIG GET pattern (or exact name) reaches a threshold. */
export function matchesEncodingParam(pattern: string): boolean {
  const p = fromLatin1(pattern.toLowerCase());
  return [...byName.keys()].some((n) => globMatch(p, fromLatin1(n)));
}

function parseValue(p: Param, s: string): number | string {
  if (p.kind === 'memory') {
    const n = memoryValue(s);
    if (n === null) return 'argument must be a memory value';
    return n > Number(longMax) ? `argument must be between 0 and ${longMax} inclusive` : n;
  }
  const n = parseInt64(fromLatin1(s));
  if (n === null) return "argument couldn't be parsed into an integer";
  const [lo, hi] = p.kind === 'int32' ? [-(2n ** 31n), 2n ** 31n - 1n] : [0n, longMax];
  if (n < lo || n > hi) return `argument must be between ${lo} and ${hi} inclusive`;
  return Number(n);
}

/** The CONFIG SET error for these (name, value) pairs, or null when they all apply. */
export function encodingConfigError(pairs: readonly (readonly [string, string])[]): string | null {
  const seen = new Set<string>();
  for (const [name] of pairs) {
    if (seen.has(name.toLowerCase())) return `ERR CONFIG SET failed (possibly related to argument '${name}') - duplicate parameter`;
    seen.add(name.toLowerCase());
  }
  for (const [name, value] of pairs) {
    const p = byName.get(name.toLowerCase());
    const v = p === undefined ? 'unknown' : parseValue(p, value);
    if (typeof v === 'string') return `ERR CONFIG SET failed (possibly related to argument '${name}') - ${v}`;
  }
  return null;
}

/** `_encodingset name value ...`: CONFIG SET of thresholds, logged (the front end checked them first). */
export function encodingSet(c: Ctx, a: Argv): Reply {
  const pairs: [string, string][] = [];
  for (let i = 1; i + 1 < a.length; i += 2) pairs.push([latin1(a[i]!), latin1(a[i + 1]!)]);
  const why = encodingConfigError(pairs);
  if (why !== null || a.length % 2 === 0) return err(why ?? 'ERR syntax error');
  for (const [name, value] of pairs) {
    const p = byName.get(name.toLowerCase())!;
    c.ks.limits[p.field] = parseValue(p, value) as number;
  }
  return OK;
}

/** `_encodingget pattern ...`: CONFIG GET's (name, value) pairs of the thresholds, as a flat array. */
export function encodingGet(c: Ctx, a: Argv): Reply {
  const out: Reply[] = [];
  const seen = new Set<string>();
  for (let i = 1; i < a.length; i++) {
    const pat = latin1(a[i]!);
    const lower = fromLatin1(pat.toLowerCase());
    for (const [n, p] of byName) {
      if (seen.has(n) || !(n === pat.toLowerCase() || (/[[*?\\]/.test(pat) && globMatch(lower, fromLatin1(n))))) continue;
      seen.add(n);
      out.push(bulkText(/[[*?\\]/.test(pat) ? n : pat), bulkText(String(c.ks.limits[p.field])));
    }
  }
  return array(out);
}
