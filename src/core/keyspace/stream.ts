/**
 * The stream value (Redis 7.0): entries sorted by id in nodes laid out as Redis lays out its listpacks (a new node
 * when the tail holds `streamNodeEntriesMax` entries, deleted ones included, or would pass `streamNodeBytesMax`
 * bytes by Redis's own listpack size accounting), so `~` trimming removes exactly the whole nodes Redis's would and
 * XINFO's `radix-tree-keys` agrees. A seek is a binary search over nodes, then within one: O(log n). XDEL marks an
 * entry deleted (its fields dropped) and removes a node when its last live entry goes, as Redis does.
 * Consumer groups keep their pending entries (PEL) as an array sorted by id. Pure: no clock (times come from Ctx).
 */
import { digestMod, hashBytes, mix52, parseInt64 } from './bytes.js';

export interface StreamId {
  readonly ms: bigint;
  readonly seq: bigint;
}
export const u64Max = 2n ** 64n - 1n;
export const idZero: StreamId = Object.freeze({ ms: 0n, seq: 0n });
export const idMax: StreamId = Object.freeze({ ms: u64Max, seq: u64Max });
/** Redis's stream-node-max-entries / stream-node-max-bytes defaults. */
export const streamNodeEntriesMax = 100;
export const streamNodeBytesMax = 4096;
/** Entries-read / entries-added counter that is not known (Redis's SCG_INVALID_ENTRIES_READ). */
export const entriesReadInvalid = -1n;

export const cmpId = (a: StreamId, b: StreamId): number => (a.ms < b.ms ? -1 : a.ms > b.ms ? 1 : a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0);
export const idText = (id: StreamId): string => `${id.ms}-${id.seq}`;
export const isZero = (id: StreamId): boolean => id.ms === 0n && id.seq === 0n;

/** The id after `id`, or null past the last one (streamIncrID). */
export function nextId(id: StreamId): StreamId | null {
  if (id.seq !== u64Max) return { ms: id.ms, seq: id.seq + 1n };
  return id.ms === u64Max ? null : { ms: id.ms + 1n, seq: 0n };
}
/** The id before `id`, or null before 0-0 (streamDecrID). */
export function prevId(id: StreamId): StreamId | null {
  if (id.seq !== 0n) return { ms: id.ms, seq: id.seq - 1n };
  return id.ms === 0n ? null : { ms: id.ms - 1n, seq: u64Max };
}

/**
 * One entry: its field/value pairs packed in one buffer (each u32-LE-length-prefixed: one allocation per entry),
 * null once deleted (the entry is kept for the node's layout).
 */
export interface StreamEntry {
  readonly id: StreamId;
  packed: Uint8Array | null;
}

function pack(fields: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const f of fields) n += 4 + f.length;
  const out = new Uint8Array(n);
  const dv = new DataView(out.buffer);
  let o = 0;
  for (const f of fields) {
    dv.setUint32(o, f.length, true);
    out.set(f, o + 4);
    o += 4 + f.length;
  }
  return out;
}

/** The field/value views of a packed entry; throws on bytes that are not one (decode). */
function unpack(p: Uint8Array): Uint8Array[] {
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const out: Uint8Array[] = [];
  for (let o = 0; o < p.length; ) {
    if (o + 4 > p.length) throw new RangeError('bad entry');
    const n = dv.getUint32(o, true);
    if (o + 4 + n > p.length) throw new RangeError('bad entry');
    out.push(p.subarray(o + 4, o + 4 + n));
    o += 4 + n;
  }
  if (out.length < 2 || out.length % 2 !== 0) throw new RangeError('bad entry');
  return out;
}
export interface StreamNode {
  readonly master: StreamId;
  readonly masterFields: readonly Uint8Array[];
  readonly entries: StreamEntry[];
  live: number;
  deleted: number;
  /** The listpack's bytes but for its live/deleted counters. */
  fixedBytes: number;
}
export interface Consumer {
  readonly name: string;
  seenMs: number;
  pending: number;
}
export interface Nack {
  readonly id: StreamId;
  deliveryMs: number;
  deliveryCount: bigint;
  consumer: Consumer;
}
export interface Group {
  readonly name: string;
  lastId: StreamId;
  entriesRead: bigint;
  /** Sorted by id. */
  readonly pel: Nack[];
  readonly consumers: Map<string, Consumer>;
}
export interface Stream {
  readonly nodes: StreamNode[];
  length: number;
  lastId: StreamId;
  firstId: StreamId;
  maxDeletedId: StreamId;
  entriesAdded: bigint;
  readonly groups: Map<string, Group>;
  /** The sum of the live entries' hashes (mod 2^52): the digest follows entries in O(1) per change. */
  entriesSum: number;
}

export function newStream(): Stream {
  return { nodes: [], length: 0, lastId: idZero, firstId: idZero, maxDeletedId: idZero, entriesAdded: 0n, groups: new Map(), entriesSum: 0 };
}

const entrySeed = 0x3c6ef372;
function entryHash(id: StreamId, fields: readonly Uint8Array[]): number {
  let h = mixU64(mixU64(entrySeed, id.ms), id.seq);
  for (const f of fields) h = hashBytes(f, h ^ f.length);
  return mix52(h, fields.length);
}
function countEntry(s: Stream, id: StreamId, fields: readonly Uint8Array[], sign: 1 | -1): void {
  s.entriesSum = (s.entriesSum + sign * entryHash(id, fields) + digestMod) % digestMod;
}

/**
 * The stream's share of the keyspace digest: its entries' sum, its counters, its edge nodes and its groups in full
 * (O(groups + PEL), not O(entries), per change).
 */
export function streamDigest(s: Stream, seed: number): number {
  let h = mixWord(seed, s.length);
  for (const id of [s.lastId, s.firstId, s.maxDeletedId]) h = mixU64(mixU64(h, id.ms), id.seq);
  h = mixU64(h, s.entriesAdded);
  for (const n of [s.nodes[0], s.nodes[s.nodes.length - 1]]) if (n !== undefined) h = mixWord(mixWord(mixU64(mixU64(h, n.master.ms), n.master.seq), n.live), n.deleted);
  if (s.groups.size > 0) {
    const w = new Writer();
    encodeGroups(w, s);
    h = hashBytes(w.done(), h);
  }
  return (mix52(h, s.nodes.length) + s.entriesSum) % digestMod;
}

function mixWord(h: number, w: number): number {
  const x = Math.imul(h ^ w, 0x5bd1e995);
  return (x ^ (x >>> 15)) >>> 0;
}
const mixU64 = (h: number, v: bigint): number => mixWord(mixWord(h, Number(v & 0xffffffffn)), Number((v >> 32n) & 0xffffffffn));

// ---------------------------------------------------------------------------------------------------------------
// Listpack size accounting (what Redis's node-full check reads)
// ---------------------------------------------------------------------------------------------------------------
const lpHeaderBytes = 7; // 6-byte header + end marker
function backlen(l: number): number {
  return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
}
function intElement(v: bigint): number {
  const l = v >= 0n && v <= 127n ? 1 : v >= -4096n && v <= 4095n ? 2 : v >= -32768n && v <= 32767n ? 3 : v >= -8388608n && v <= 8388607n ? 4 : v >= -2147483648n && v <= 2147483647n ? 5 : 9;
  return l + backlen(l);
}
function strElement(b: Uint8Array): number {
  const i = b.length <= 20 ? parseInt64(b) : null;
  if (i !== null) return intElement(i);
  const l = b.length < 64 ? 1 + b.length : b.length < 4096 ? 2 + b.length : 5 + b.length;
  return l + backlen(l);
}
const nodeBytes = (n: StreamNode): number => n.fixedBytes + intElement(BigInt(n.live)) + intElement(BigInt(n.deleted));

function sameFields(master: readonly Uint8Array[], fields: readonly Uint8Array[]): boolean {
  if (master.length * 2 !== fields.length) return false;
  for (let i = 0; i < master.length; i++) {
    const a = master[i]!;
    const b = fields[2 * i]!;
    if (a.length !== b.length || a.some((x, j) => x !== b[j])) return false;
  }
  return true;
}

function entryBytes(node: StreamNode, id: StreamId, fields: readonly Uint8Array[]): number {
  const n = fields.length / 2;
  const same = sameFields(node.masterFields, fields);
  let b = intElement(same ? 2n : 0n) + intElement(BigInt.asIntN(64, id.ms - node.master.ms)) + intElement(BigInt.asIntN(64, id.seq - node.master.seq));
  if (same) for (let i = 1; i < fields.length; i += 2) b += strElement(fields[i]!);
  else {
    b += intElement(BigInt(n));
    for (const f of fields) b += strElement(f);
  }
  return b + intElement(BigInt(same ? n + 3 : 2 * n + 4));
}

/** Append an entry whose id is above the stream's last id (streamAppendItem's layout). */
export function appendEntry(s: Stream, id: StreamId, fields: Uint8Array[]): void {
  let tail: StreamNode | undefined = s.nodes[s.nodes.length - 1];
  let total = 0;
  for (const f of fields) total += f.length;
  if (tail !== undefined && (nodeBytes(tail) + total >= streamNodeBytesMax || tail.live + tail.deleted >= streamNodeEntriesMax)) tail = undefined;
  if (tail === undefined) {
    const masterFields = fields.filter((_, i) => i % 2 === 0);
    let fixed = lpHeaderBytes + intElement(BigInt(masterFields.length)) + intElement(0n);
    for (const f of masterFields) fixed += strElement(f);
    tail = { master: id, masterFields, entries: [], live: 0, deleted: 0, fixedBytes: fixed };
    s.nodes.push(tail);
  }
  tail.fixedBytes += entryBytes(tail, id, fields);
  tail.entries.push({ id, packed: pack(fields) });
  countEntry(s, id, fields, 1);
  tail.live++;
  s.length++;
  s.entriesAdded++;
  s.lastId = id;
  if (s.length === 1) s.firstId = id;
}

// ---------------------------------------------------------------------------------------------------------------
// Seeking and iterating
// ---------------------------------------------------------------------------------------------------------------
/** The first position whose id >= `id` (deleted entries included): node index and entry index. */
function seek(s: Stream, id: StreamId): [number, number] {
  const nodes = s.nodes;
  let lo = 0;
  let hi = nodes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cmpId(nodes[mid]!.master, id) <= 0) lo = mid + 1;
    else hi = mid;
  }
  const n = lo - 1;
  if (n < 0) return [0, 0];
  const es = nodes[n]!.entries;
  let a = 0;
  let b = es.length;
  while (a < b) {
    const mid = (a + b) >> 1;
    if (cmpId(es[mid]!.id, id) < 0) a = mid + 1;
    else b = mid;
  }
  return a < es.length ? [n, a] : [n + 1, 0];
}

export type LiveEntry = readonly [StreamId, Uint8Array[]];

/** Live entries with start <= id <= end, ascending. */
export function* forward(s: Stream, start: StreamId, end: StreamId): Generator<LiveEntry> {
  let [n, e] = seek(s, start);
  for (; n < s.nodes.length; n++, e = 0) {
    const es = s.nodes[n]!.entries;
    for (; e < es.length; e++) {
      const x = es[e]!;
      if (cmpId(x.id, end) > 0) return;
      if (x.packed !== null) yield [x.id, unpack(x.packed)];
    }
  }
}

/** Live entries with low <= id <= high, descending. */
export function* backward(s: Stream, high: StreamId, low: StreamId): Generator<LiveEntry> {
  const h = nextId(high);
  let [n, e] = h === null ? [s.nodes.length, 0] : seek(s, h);
  // step back one position from (n, e)
  for (;;) {
    if (e > 0) e--;
    else {
      if (n === 0) return;
      n--;
      e = s.nodes[n]!.entries.length - 1;
    }
    const x = s.nodes[n]!.entries[e]!;
    if (cmpId(x.id, low) < 0) return;
    if (x.packed !== null) yield [x.id, unpack(x.packed)];
  }
}

export function liveEntry(s: Stream, id: StreamId): Uint8Array[] | null {
  const [n, e] = seek(s, id);
  const x = s.nodes[n]?.entries[e];
  return x !== undefined && x.packed !== null && cmpId(x.id, id) === 0 ? unpack(x.packed) : null;
}

/** The first or last live entry's id, or null (streamGetEdgeID with tombstones skipped). */
export function edgeId(s: Stream, first: boolean): StreamId | null {
  const it = first ? forward(s, idZero, idMax) : backward(s, idMax, idZero);
  const r = it.next();
  return r.done === true ? null : r.value[0];
}

/** XDEL of one id: marks it deleted; a node whose last live entry goes is removed. */
export function deleteEntry(s: Stream, id: StreamId): boolean {
  const [n, e] = seek(s, id);
  const node = s.nodes[n];
  const x = node?.entries[e];
  if (node === undefined || x === undefined || x.packed === null || cmpId(x.id, id) !== 0) return false;
  countEntry(s, id, unpack(x.packed), -1);
  if (node.live === 1) s.nodes.splice(n, 1);
  else {
    x.packed = null;
    node.live--;
    node.deleted++;
  }
  s.length--;
  return true;
}

export interface TrimArgs {
  readonly strategy: 'maxlen' | 'minid';
  readonly maxlen: bigint;
  readonly minid: StreamId;
  readonly approx: boolean;
  /** 0 = no limit. */
  readonly limit: bigint;
}

/** streamTrim: whole nodes first; exact trimming then marks entries inside the first remaining node. */
export function trimStream(s: Stream, t: TrimArgs): number {
  let deleted = 0;
  while (s.nodes.length > 0) {
    if (t.strategy === 'maxlen' && BigInt(s.length) <= t.maxlen) break;
    const node = s.nodes[0]!;
    if (t.limit !== 0n && BigInt(deleted + node.live) > t.limit) break;
    const last = node.entries[node.entries.length - 1]!.id;
    const removeNode = t.strategy === 'maxlen' ? BigInt(s.length - node.live) >= t.maxlen : cmpId(last, t.minid) < 0;
    if (removeNode) {
      for (const x of node.entries) if (x.packed !== null) countEntry(s, x.id, unpack(x.packed), -1);
      s.nodes.shift();
      s.length -= node.live;
      deleted += node.live;
      continue;
    }
    if (t.approx) break;
    let fromNode = 0;
    for (const x of node.entries) {
      const stop = t.strategy === 'maxlen' ? BigInt(s.length) <= t.maxlen : cmpId(x.id, t.minid) >= 0;
      if (stop) break;
      if (x.packed !== null) {
        countEntry(s, x.id, unpack(x.packed), -1);
        x.packed = null;
        fromNode++;
        s.length--;
      }
    }
    node.live -= fromNode;
    node.deleted += fromNode;
    deleted += fromNode;
    break;
  }
  if (deleted > 0) s.firstId = edgeId(s, true) ?? idZero;
  return deleted;
}

// ---------------------------------------------------------------------------------------------------------------
// Consumer groups
// ---------------------------------------------------------------------------------------------------------------
/** Index of the first nack with id >= `id`. */
export function pelSeek(pel: readonly Nack[], id: StreamId): number {
  let a = 0;
  let b = pel.length;
  while (a < b) {
    const mid = (a + b) >> 1;
    if (cmpId(pel[mid]!.id, id) < 0) a = mid + 1;
    else b = mid;
  }
  return a;
}

export function pelFind(pel: readonly Nack[], id: StreamId): Nack | undefined {
  const i = pelSeek(pel, id);
  const x = pel[i];
  return x !== undefined && cmpId(x.id, id) === 0 ? x : undefined;
}

export function pelInsert(pel: Nack[], nack: Nack): void {
  pel.splice(pelSeek(pel, nack.id), 0, nack);
}

/** Remove the nack at `id` (and its consumer's count); returns whether there was one. */
export function pelRemove(pel: Nack[], id: StreamId): boolean {
  const i = pelSeek(pel, id);
  const x = pel[i];
  if (x === undefined || cmpId(x.id, id) !== 0) return false;
  pel.splice(i, 1);
  x.consumer.pending--;
  return true;
}

/** Whether XDEL left a tombstone in [start, end] (streamRangeHasTombstones). */
export function rangeHasTombstones(s: Stream, start: StreamId | null, end: StreamId | null): boolean {
  if (s.length === 0 || isZero(s.maxDeletedId)) return false;
  if (cmpId(s.firstId, s.maxDeletedId) > 0) return false;
  return cmpId(start ?? idZero, s.maxDeletedId) <= 0 && cmpId(s.maxDeletedId, end ?? idMax) <= 0;
}

/** An id's logical read counter, or `entriesReadInvalid` (streamEstimateDistanceFromFirstEverEntry). */
export function estimateDistance(s: Stream, id: StreamId): bigint {
  if (s.entriesAdded === 0n) return 0n;
  if (s.length === 0 && cmpId(id, s.lastId) < 1) return s.entriesAdded;
  const cmpLast = cmpId(id, s.lastId);
  if (cmpLast === 0) return s.entriesAdded;
  if (cmpLast > 0) return entriesReadInvalid;
  const cmpFirst = cmpId(id, s.firstId);
  if (isZero(s.maxDeletedId) || cmpId(s.maxDeletedId, s.firstId) < 0) {
    if (cmpFirst < 0) return s.entriesAdded - BigInt(s.length);
    if (cmpFirst === 0) return s.entriesAdded - BigInt(s.length) + 1n;
  }
  return entriesReadInvalid;
}

/** A group's lag, or null when it cannot be known (streamReplyWithCGLag). */
export function groupLag(s: Stream, g: Group): bigint | null {
  if (s.entriesAdded === 0n) return 0n;
  if (g.entriesRead !== entriesReadInvalid && !rangeHasTombstones(s, g.lastId, null)) return s.entriesAdded - g.entriesRead;
  const read = estimateDistance(s, g.lastId);
  return read === entriesReadInvalid ? null : s.entriesAdded - read;
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding (DUMP, snapshot, digest): little-endian fixed-width numbers, u32-length-prefixed bytes
// ---------------------------------------------------------------------------------------------------------------
const streamFormatVersion = 1;
/** In place of an entry's length: the entry is deleted. */
const deletedMark = 0xffffffff;

class Writer {
  private parts: number[] = [];
  private chunks: Uint8Array[] = [];
  private size = 0;
  private flushNums(): void {
    if (this.parts.length === 0) return;
    const b = Uint8Array.from(this.parts);
    this.chunks.push(b);
    this.size += b.length;
    this.parts = [];
  }
  u8(v: number): void {
    this.parts.push(v & 0xff);
  }
  u32(v: number): void {
    for (let i = 0; i < 4; i++) this.parts.push((v >>> (8 * i)) & 0xff);
  }
  u64(v: bigint): void {
    const x = BigInt.asUintN(64, v);
    this.u32(Number(x & 0xffffffffn));
    this.u32(Number(x >> 32n));
  }
  id(id: StreamId): void {
    this.u64(id.ms);
    this.u64(id.seq);
  }
  bytes(b: Uint8Array): void {
    this.u32(b.length);
    this.flushNums();
    this.chunks.push(b);
    this.size += b.length;
  }
  str(s: string): void {
    const b = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
    this.bytes(b);
  }
  done(): Uint8Array {
    this.flushNums();
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

class Reader {
  o = 0;
  constructor(private readonly b: Uint8Array) {}
  private need(n: number): void {
    if (this.o + n > this.b.length) throw new RangeError('truncated stream');
  }
  u8(): number {
    this.need(1);
    return this.b[this.o++]!;
  }
  u32(): number {
    this.need(4);
    let v = 0;
    for (let i = 0; i < 4; i++) v += this.b[this.o++]! * 2 ** (8 * i);
    return v;
  }
  u64(): bigint {
    const lo = this.u32();
    return (BigInt(this.u32()) << 32n) | BigInt(lo);
  }
  i64(): bigint {
    return BigInt.asIntN(64, this.u64());
  }
  id(): StreamId {
    return { ms: this.u64(), seq: this.u64() };
  }
  bytes(): Uint8Array {
    return this.take(this.u32());
  }
  take(n: number): Uint8Array {
    this.need(n);
    const out = this.b.slice(this.o, this.o + n);
    this.o += n;
    return out;
  }
  str(): string {
    const b = this.bytes();
    let s = '';
    for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
    return s;
  }
  get end(): boolean {
    return this.o === this.b.length;
  }
}

const sortedNames = <T>(m: Map<string, T>): T[] => [...m.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((k) => m.get(k)!);
export const groupsInOrder = (s: Stream): Group[] => sortedNames(s.groups);
export const consumersInOrder = (g: Group): Consumer[] => sortedNames(g.consumers);

export function encodeStream(s: Stream): Uint8Array {
  const w = new Writer();
  w.u8(streamFormatVersion);
  w.id(s.lastId);
  w.id(s.firstId);
  w.id(s.maxDeletedId);
  w.u64(s.entriesAdded);
  w.u32(s.length);
  w.u32(s.nodes.length);
  for (const n of s.nodes) {
    w.id(n.master);
    w.u32(n.fixedBytes);
    w.u32(n.masterFields.length);
    for (const f of n.masterFields) w.bytes(f);
    w.u32(n.entries.length);
    for (const e of n.entries) {
      w.id(e.id);
      if (e.packed === null) w.u32(deletedMark);
      else w.bytes(e.packed);
    }
  }
  encodeGroups(w, s);
  return w.done();
}

function encodeGroups(w: Writer, s: Stream): void {
  const groups = groupsInOrder(s);
  w.u32(groups.length);
  for (const g of groups) {
    w.str(g.name);
    w.id(g.lastId);
    w.u64(g.entriesRead);
    const consumers = consumersInOrder(g);
    w.u32(consumers.length);
    for (const c of consumers) {
      w.str(c.name);
      w.u64(BigInt(Math.trunc(c.seenMs)));
    }
    w.u32(g.pel.length);
    for (const p of g.pel) {
      w.id(p.id);
      w.u64(BigInt(Math.trunc(p.deliveryMs)));
      w.u64(p.deliveryCount);
      w.str(p.consumer.name);
    }
  }
}

/** The stream `encodeStream` wrote, or null when the bytes are not one. */
export function decodeStream(b: Uint8Array): Stream | null {
  try {
    const r = new Reader(b);
    if (r.u8() !== streamFormatVersion) return null;
    const s = newStream();
    s.lastId = r.id();
    s.firstId = r.id();
    s.maxDeletedId = r.id();
    s.entriesAdded = r.u64();
    s.length = r.u32();
    let live = 0;
    for (let n = r.u32(); n > 0; n--) {
      const master = r.id();
      const fixedBytes = r.u32();
      const masterFields: Uint8Array[] = [];
      for (let k = r.u32(); k > 0; k--) masterFields.push(r.bytes());
      const node: StreamNode = { master, masterFields, entries: [], live: 0, deleted: 0, fixedBytes };
      for (let k = r.u32(); k > 0; k--) {
        const id = r.id();
        const len = r.u32();
        const packed = len === deletedMark ? null : r.take(len);
        node.entries.push({ id, packed });
        if (packed === null) node.deleted++;
        else {
          node.live++;
          countEntry(s, id, unpack(packed), 1);
        }
      }
      if (node.entries.length === 0) return null;
      live += node.live;
      s.nodes.push(node);
    }
    if (live !== s.length) return null;
    for (let n = r.u32(); n > 0; n--) {
      const name = r.str();
      const g: Group = { name, lastId: r.id(), entriesRead: BigInt.asIntN(64, r.u64()), pel: [], consumers: new Map() };
      for (let k = r.u32(); k > 0; k--) {
        const cname = r.str();
        g.consumers.set(cname, { name: cname, seenMs: Number(r.i64()), pending: 0 });
      }
      for (let k = r.u32(); k > 0; k--) {
        const id = r.id();
        const deliveryMs = Number(r.i64());
        const deliveryCount = r.u64();
        const consumer = g.consumers.get(r.str());
        if (consumer === undefined) return null;
        consumer.pending++;
        g.pel.push({ id, deliveryMs, deliveryCount, consumer });
      }
      s.groups.set(name, g);
    }
    return r.end ? s : null;
  } catch {
    return null;
  }
}
