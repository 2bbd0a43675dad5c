/**
 * The keyspace's state: 16 databases of typed values with absolute deadlines, per-key revisions for WATCH, an
 * incrementally maintained digest, a bucket table per db for SCAN/RANDOMKEY, and a deadline heap for active expiry.
 * Commands (strings.ts, keys.ts, bits.ts) change it only through `Ctx`, which applies Redis's rules in one place:
 * a key past its deadline is absent; a write that meets one deletes it first (`expired` event); the WRONGTYPE check.
 */
import type { Argv, Reply } from '../../protocol/resp.js';
import type { KeyspaceEvent } from '../../protocol/keyspace.js';
import { E, digestMod, fromLatin1, hashBytes, isReply, latin1, mix52 } from './bytes.js';
import { strHash } from '../hash.js';
import { MinHeap } from '../heap.js';
import { Rng, hash32 } from '../rng.js';
import { type EncodingLimits, beyondCompact, containerOf, defaultEncodingLimits } from './encoding.js';
import { type SortedSet, zsetFromParts, zsetParts } from './sorted.js';
import { type Stream, decodeStream, encodeStream, streamDigest } from './stream.js';

export const databasesCount = 16;
/** Revisions of deleted keys are kept per hash bucket (bounded memory; a false WATCH abort at worst). */
export const deletionBucketsCount = 4096;
/** Keys examined at most by one `expiredKeys` call. */
export const expiryScanKeysMax = 1000;
/** A string value may not grow beyond this (Redis's proto-max-bulk-len default, 512 MiB). */
export const stringBytesMax = 512 * 1024 * 1024;
/** The smallest SCAN bucket table of a db. */
export const scanBucketsMin = 4;
/** The deadline heap is rebuilt when stale items exceed live ones by this many. */
const heapSlackMin = 1024;

/**
 * A value: a string's bytes; a hash as a Map from field (latin1, one char per byte) to value bytes in insertion
 * order (what HGETALL of a listpack hash answers); a list as an array of elements, head first; a set as a Set of
 * members (latin1). Zsets and streams slot in as more members. Collections are changed in place and stored again (Ctx.putCollection).
 */
export type Value =
  | { readonly type: 'string'; readonly bytes: Uint8Array }
  | { readonly type: 'hash'; readonly fields: Map<string, Uint8Array> }
  | { readonly type: 'list'; readonly items: Uint8Array[] }
  | { readonly type: 'set'; readonly members: Set<string> }
  | { readonly type: 'zset'; readonly z: SortedSet }
  | { readonly type: 'stream'; readonly stream: Stream };
export type ValueType = Value['type'];
export type ValueOf<T extends ValueType> = Extract<Value, { type: T }>;
/** Type tags of values in DUMP payloads and snapshots. */
export const valueTags: Record<ValueType, number> = { string: 0, hash: 1, list: 2, set: 3, zset: 4, stream: 6 };

/** The parts a collection encodes as: a hash's field, value pairs flattened; a list's elements. */
function parts(v: Exclude<Value, { type: 'string' | 'stream' }>): Uint8Array[] {
  if (v.type === 'list') return v.items;
  if (v.type === 'set') return [...v.members].map(fromLatin1);
  if (v.type === 'zset') return zsetParts(v.z);
  const out: Uint8Array[] = [];
  for (const [f, x] of v.fields) out.push(fromLatin1(f), x);
  return out;
}

/** A value's bytes (DUMP body, snapshot record, digest): a string as is; a collection as u32 count of parts, then u32-length-prefixed parts. */
export function encodeValue(v: Value): Uint8Array {
  if (v.type === 'string') return v.bytes;
  if (v.type === 'stream') return encodeStream(v.stream);
  const ps = parts(v);
  let n = 4;
  for (const p of ps) n += 4 + p.length;
  const out = new Uint8Array(n);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, ps.length, true);
  let o = 4;
  for (const p of ps) {
    dv.setUint32(o, p.length, true);
    out.set(p, o + 4);
    o += 4 + p.length;
  }
  return out;
}

/** The value `encodeValue` wrote under `tag`, or null when the bytes are not one. */
export function decodeValue(tag: number, b: Uint8Array): Value | null {
  if (tag === valueTags.string) return { type: 'string', bytes: b };
  if (tag === valueTags.stream) {
    const stream = decodeStream(b);
    return stream === null ? null : { type: 'stream', stream };
  }
  if (b.length < 4) return null;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const count = dv.getUint32(0, true);
  const ps: Uint8Array[] = [];
  let o = 4;
  for (let i = 0; i < count; i++) {
    if (o + 4 > b.length) return null;
    const len = dv.getUint32(o, true);
    if (o + 4 + len > b.length) return null;
    ps.push(b.slice(o + 4, o + 4 + len));
    o += 4 + len;
  }
  if (o !== b.length || count === 0) return null;
  if (tag === valueTags.list) return { type: 'list', items: ps };
  if (tag === valueTags.zset) {
    const z = zsetFromParts(ps);
    return z === null ? null : { type: 'zset', z };
  }
  if (tag === valueTags.set) {
    const members = new Set(ps.map(latin1));
    return members.size === count ? { type: 'set', members } : null;
  }
  if (tag !== valueTags.hash || count % 2 !== 0) return null;
  const fields = new Map<string, Uint8Array>();
  for (let i = 0; i < count; i += 2) fields.set(latin1(ps[i]!), ps[i + 1]!);
  return fields.size * 2 === count ? { type: 'hash', fields } : null;
}

/** An independent copy (COPY): collections are changed in place. */
export function cloneValue(v: Value): Value {
  if (v.type === 'hash') return { type: 'hash', fields: new Map(v.fields) };
  if (v.type === 'list') return { type: 'list', items: [...v.items] };
  if (v.type === 'set') return { type: 'set', members: new Set(v.members) };
  if (v.type === 'zset') return { type: 'zset', z: v.z.clone() };
  if (v.type === 'stream') return { type: 'stream', stream: decodeStream(encodeStream(v.stream))! };
  return v;
}

/** An absolute unix-ms deadline; a bigint only beyond 2^53 (PXAT up to 2^63-1 is legal). */
export type Deadline = number | bigint;

export interface Entry {
  readonly value: Value;
  readonly expireAt: Deadline | null;
  /** Revision: the keyspace's change counter when this key last changed (WATCH). */
  readonly rev: number;
  /** The key's hash (SCAN buckets, deletion buckets). */
  readonly h: number;
  /** This entry's share of the digest. */
  readonly d: number;
}

const keySeed = 0x2f6b1d3;
const valueSeed = 0x51ed27;

export class Db {
  readonly map = new Map<string, Entry>();
  buckets: string[][] = Array.from({ length: scanBucketsMin }, () => []);
  sum = 0;
  volatile = 0;
  constructor(public index: number) {}

  insertBucket(key: string, h: number): void {
    this.buckets[h & (this.buckets.length - 1)]!.push(key);
    if (this.map.size > this.buckets.length) this.resize(this.buckets.length * 2);
  }

  removeBucket(key: string, h: number): void {
    const b = this.buckets[h & (this.buckets.length - 1)]!;
    const i = b.indexOf(key);
    b[i] = b[b.length - 1]!;
    b.pop();
    if (this.buckets.length > scanBucketsMin && this.map.size * 10 < this.buckets.length) {
      let size = scanBucketsMin;
      while (size < this.map.size) size *= 2;
      this.resize(size);
    }
  }

  private resize(size: number): void {
    const buckets: string[][] = Array.from({ length: size }, () => []);
    for (const [k, e] of this.map) buckets[e.h & (size - 1)]!.push(k);
    this.buckets = buckets;
  }
}

interface HeapItem {
  readonly at: Deadline;
  readonly db: Db;
  readonly key: string;
  readonly rev: number;
}

export function typeName(v: Value): string {
  return v.type;
}

function deadlineHash(at: Deadline | null): number {
  if (at === null) return 0;
  const s = String(at);
  let h = 0x9e3779b9;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x5bd1e995);
  return h >>> 0;
}

function entryDigest(key: string, h: number, v: Value, at: Deadline | null): number {
  // a zset and a stream keep their own order-free digests up to date (sorted.ts, stream.ts): no O(size) re-hash per write
  const vh =
    v.type === 'zset'
      ? mix52(h ^ valueSeed, v.z.digest % 2 ** 32) ^ Math.floor(v.z.digest / 2 ** 32)
      : v.type === 'stream'
        ? streamDigest(v.stream, h ^ valueSeed)
        : hashBytes(encodeValue(v), h ^ valueSeed);
  return mix52(h ^ (v.type === 'string' ? 1 : valueTags[v.type] + 1), vh ^ deadlineHash(at));
}

export function isExpired(e: Entry, nowMs: number): boolean {
  return e.expireAt !== null && e.expireAt < nowMs;
}

export class KeyspaceState {
  dbs: Db[] = Array.from({ length: databasesCount }, (_, i) => new Db(i));
  readonly deleted: Float64Array[] = Array.from({ length: databasesCount }, () => new Float64Array(deletionBucketsCount));
  readonly epoch: number[] = new Array<number>(databasesCount).fill(0);
  /** The change counter: every modification takes the next value (a revision). */
  seq = 0;
  heap = new MinHeap<HeapItem>((a, b) => a.at < b.at);
  volatileTotal = 0;
  /** The encoding thresholds (encoding.ts): replicated, changed by CONFIG SET through the log. */
  limits: EncodingLimits = defaultEncodingLimits();
  /** Collections (their Map / Set) that left their compact encoding, strings' bytes kept `raw` (encoding.ts). */
  unpacked = new WeakSet<object>();

  /** An independent copy of a value in the same encoding (COPY). */
  cloneEncoded(v: Value): Value {
    const copy = cloneValue(v);
    const [from, to] = [containerOf(v), containerOf(copy)];
    if (from !== null && to !== null && this.unpacked.has(from)) this.unpacked.add(to);
    return copy;
  }
  /** `_once` id → the reply its command served (blocking.ts; bounded by `onceRepliesMax`, oldest first). */
  readonly onceReplies = new Map<string, Reply>();

  // ---------------------------------------------------------------------------------------------------------------
  // Revisions (WATCH)
  // ---------------------------------------------------------------------------------------------------------------
  /**
   * What WATCH records for a key: changes whenever the key is written, deleted (expiry included), its db flushed or
   * swapped, or (the `+ 0.5`) when a live key passes its deadline. Compare with `===` only.
   */
  revision(db: number, key: Uint8Array, nowMs: number): number {
    const k = latin1(key);
    const e = this.dbs[db]!.map.get(k);
    const ep = this.epoch[db]!;
    if (e !== undefined) return Math.max(ep, e.rev) + (isExpired(e, nowMs) ? 0.5 : 0);
    return Math.max(ep, this.deleted[db]![strHash(k, keySeed) & (deletionBucketsCount - 1)]!);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Digest
  // ---------------------------------------------------------------------------------------------------------------
  /** Equal on replicas with equal state: the sum of every key's hash per db, mixed with the db index and the counter. */
  digest(): number {
    let total = mix52(this.seq >>> 0, Math.floor(this.seq / 2 ** 32));
    for (const db of this.dbs) total = (total + mix52(Math.floor(db.sum / 2 ** 32) * 16 + db.index, db.sum >>> 0)) % digestMod;
    return total;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Primitive changes (no rules: Ctx applies them)
  // ---------------------------------------------------------------------------------------------------------------
  /** Insert or replace a key's entry; returns whether the key is new. */
  store(db: Db, key: string, value: Value, expireAt: Deadline | null, rev: number = ++this.seq): boolean {
    const old = db.map.get(key);
    const h = old !== undefined ? old.h : strHash(key, keySeed);
    const d = entryDigest(key, h, value, expireAt);
    const box = containerOf(value);
    if (box !== null && !this.unpacked.has(box) && beyondCompact(value, this.limits)) this.unpacked.add(box);
    const e: Entry = { value, expireAt, rev, h, d };
    db.map.set(key, e);
    if (old !== undefined) {
      db.sum = (db.sum - old.d + digestMod) % digestMod;
      if (old.expireAt !== null) this.countVolatile(db, -1);
    } else db.insertBucket(key, h);
    db.sum = (db.sum + d) % digestMod;
    if (expireAt !== null) {
      this.countVolatile(db, 1);
      this.heapPush({ at: expireAt, db, key, rev: e.rev });
    }
    return old === undefined;
  }

  /** Insert an entry as a snapshot recorded it (its revision kept). */
  restoreEntry(db: Db, key: string, value: Value, expireAt: Deadline | null, rev: number): void {
    this.store(db, key, value, expireAt, rev);
  }

  /** Delete a key if present (whatever its deadline); returns whether it was. */
  remove(db: Db, key: string): boolean {
    const old = db.map.get(key);
    if (old === undefined) return false;
    db.map.delete(key);
    db.removeBucket(key, old.h);
    db.sum = (db.sum - old.d + digestMod) % digestMod;
    if (old.expireAt !== null) this.countVolatile(db, -1);
    this.deleted[db.index]![old.h & (deletionBucketsCount - 1)] = ++this.seq;
    return true;
  }

  flush(index: number): void {
    this.volatileTotal -= this.dbs[index]!.volatile;
    this.dbs[index] = new Db(index);
    this.epoch[index] = ++this.seq;
  }

  swap(a: number, b: number): void {
    const da = this.dbs[a]!;
    const dbb = this.dbs[b]!;
    this.dbs[a] = dbb;
    this.dbs[b] = da;
    dbb.index = a;
    da.index = b;
    this.epoch[a] = ++this.seq;
    this.epoch[b] = ++this.seq;
  }

  private countVolatile(db: Db, n: number): void {
    db.volatile += n;
    this.volatileTotal += n;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Deadline heap (active expiry on the leader)
  // ---------------------------------------------------------------------------------------------------------------
  private heapPush(item: HeapItem): void {
    if (this.heap.size > 2 * this.volatileTotal + heapSlackMin) this.rebuildHeap();
    this.heap.push(item);
  }

  private live(item: HeapItem): boolean {
    return this.dbs[item.db.index] === item.db && item.db.map.get(item.key)?.rev === item.rev;
  }

  private rebuildHeap(): void {
    const items: HeapItem[] = [];
    for (const db of this.dbs) for (const [key, e] of db.map) if (e.expireAt !== null) items.push({ at: e.expireAt, db, key, rev: e.rev });
    this.heap.clear();
    for (const it of items) this.heap.push(it);
  }

  /**
   * Keys past their deadline at `nowMs` (deadline < now), soonest first, at most `max` (and `expiryScanKeysMax`
   * examined): what the leader proposes in a `RedisExpire` txn. Only drops stale heap items; the state is unchanged.
   */
  expiredKeys(nowMs: number, max: number): { db: number; key: Uint8Array }[] {
    const out: { db: number; key: Uint8Array }[] = [];
    const keep: HeapItem[] = [];
    for (let examined = 0; examined < expiryScanKeysMax && out.length < max && this.heap.size > 0; examined++) {
      const top = this.heap.peek()!;
      if (!(top.at < nowMs)) break;
      this.heap.pop();
      if (!this.live(top)) continue;
      keep.push(top);
      out.push({ db: top.db.index, key: fromLatin1(top.key) });
    }
    for (const it of keep) this.heap.push(it);
    return out;
  }
}

/** The execution context of one command: the rules every command goes through. */
export class Ctx {
  constructor(
    readonly ks: KeyspaceState,
    /** The selected db (SELECT inside MULTI changes it). */
    public db: number,
    readonly nowMs: number,
    /** Apply (may change state) or a local read. */
    readonly writing: boolean,
    readonly events: KeyspaceEvent[],
    /** A random draw in [0, 1) for RANDOMKEY (reads only). */
    readonly draw: number,
  ) {}

  /** The index of the running command's `RedisBatch` item (0 in other txns). */
  item = 0;
  private rng: Rng | null = null;

  /**
   * A uniform draw in [0, 1) for commands that pick at random (SPOP, SRANDMEMBER, HRANDFIELD, ZRANDMEMBER): the same
   * sequence on every replica, seeded at the first draw from the change counter, the txn's time and the read's draw.
   */
  random(): number {
    this.rng ??= new Rng(hash32(`${this.ks.seq}:${this.nowMs}:${this.draw}:${this.item}:${this.command}`));
    return this.rng.next();
  }

  /** A uniform integer in [0, n). */
  randomBelow(n: number): number {
    return Math.floor(this.random() * n);
  }
  /** The index of the running command in its txn or batch item (an EXEC block's place). */
  command = 0;

  dbAt(index: number = this.db): Db {
    return this.ks.dbs[index]!;
  }

  /** The live entry of a key; a write meeting a key past its deadline deletes it (`expired`). */
  lookup(key: string, index: number = this.db): Entry | undefined {
    const db = this.dbAt(index);
    const e = db.map.get(key);
    if (e === undefined) return undefined;
    if (!isExpired(e, this.nowMs)) return e;
    if (this.writing) {
      this.ks.remove(db, key);
      this.notify('x', 'expired', key, index);
    }
    return undefined;
  }

  /** A string key's bytes, null when absent, or the WRONGTYPE error. */
  str(key: string): Uint8Array | null | Reply {
    const e = this.lookup(key);
    if (e === undefined) return null;
    if (e.value.type !== 'string') return E.wrongType;
    return e.value.bytes;
  }

  /** A key's value of type `type`, null when absent, or the WRONGTYPE error. */
  typed<T extends ValueType>(key: string, type: T, index: number = this.db): ValueOf<T> | null | Reply {
    const e = this.lookup(key, index);
    if (e === undefined) return null;
    return e.value.type === type ? (e.value as ValueOf<T>) : E.wrongType;
  }

  /** A hash key's fields, null when absent, or the WRONGTYPE error. */
  hash(key: string): Map<string, Uint8Array> | null | Reply {
    const v = this.typed(key, 'hash');
    return v === null || isReply(v) ? v : v.fields;
  }

  /** A list key's elements, null when absent, or the WRONGTYPE error. */
  list(key: string, index: number = this.db): Uint8Array[] | null | Reply {
    const v = this.typed(key, 'list', index);
    return v === null || isReply(v) ? v : v.items;
  }

  /** Store a collection changed in place (its revision and digest follow); an empty one deletes the key (`del`). */
  putCollection(key: string, v: Exclude<Value, { type: 'string' }>, index: number = this.db): void {
    // a stream is not deleted when emptied (as Redis)
    if ((v.type === 'hash' ? v.fields.size : v.type === 'set' ? v.members.size : v.type === 'zset' ? v.z.size : v.type === 'stream' ? 1 : v.items.length) === 0) {
      this.del(key, index);
      this.notify('g', 'del', key, index);
    } else this.put(key, v, 'keep', index);
  }

  /** Set a string value; `expireAt` 'keep' keeps the current deadline. */
  setStr(key: string, bytes: Uint8Array, expireAt: Deadline | null | 'keep' = null, index: number = this.db): void {
    this.put(key, { type: 'string', bytes }, expireAt, index);
  }

  /** Set a string value that Redis keeps `raw` whatever its length (APPEND, SETRANGE, SETBIT, BITOP, BITFIELD, PFADD made it). */
  setRawStr(key: string, bytes: Uint8Array, expireAt: Deadline | null | 'keep' = null): void {
    this.ks.unpacked.add(bytes);
    this.setStr(key, bytes, expireAt);
  }

  put(key: string, value: Value, expireAt: Deadline | null | 'keep', index: number = this.db): void {
    const db = this.dbAt(index);
    const at = expireAt === 'keep' ? (db.map.get(key)?.expireAt ?? null) : expireAt;
    if (this.ks.store(db, key, value, at)) this.notify('n', 'new', key, index);
  }

  setExpire(key: string, at: Deadline | null, index: number = this.db): void {
    const db = this.dbAt(index);
    const e = db.map.get(key)!;
    this.ks.store(db, key, e.value, at);
  }

  del(key: string, index: number = this.db): boolean {
    return this.ks.remove(this.dbAt(index), key);
  }

  notify(cls: string, event: string, key: string, index: number = this.db): void {
    if (this.writing) this.events.push({ db: index, cls, event, key: fromLatin1(key) });
  }

  /** FLUSHALL / FLUSHDB: client-side caching clients drop every key. */
  flushed(): void {
    if (this.writing) this.events.push({ flushed: true });
  }

  /** PUBLISH / SPUBLISH: a message for every node's subscribers, in log order (changes no key). */
  publish(kind: 'publish' | 'spublish', channel: Uint8Array, message: Uint8Array): void {
    if (this.writing) this.events.push({ published: kind, channel, message, item: this.item, command: this.command });
  }
}

/** The key arguments of a command as Map keys. */
export function keyOf(a: Argv, i: number): string {
  return latin1(a[i]!);
}
