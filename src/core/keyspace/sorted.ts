/**
 * A sorted set's storage: a member → score Map beside a skiplist with spans ordered by (score, member bytes), as
 * Redis's zset, so rank, range and rank-by-range operations are O(log n). A node's level comes from its member's
 * hash (no RNG: the structure is a function of its contents, the same on every replica). Members are latin1
 * strings (one char per byte), so JS string order is byte order (memcmp).
 */
import { strHash } from '../hash.js';
import { digestMod, fromLatin1, latin1, mix52 } from './bytes.js';

/** Redis's ZSKIPLIST_MAXLEVEL. */
export const skiplistLevelsMax = 32;
/** Redis 7.0's default zset-max-listpack-entries / zset-max-listpack-value (OBJECT ENCODING). */
/** zset-max-listpack-entries / -value: the keyspace's replicated thresholds (encoding.ts), set by who writes. */
export interface ZsetLimits {
  readonly entries: number;
  readonly valueBytes: number;
}
const defaultZsetLimits: ZsetLimits = { entries: 128, valueBytes: 64 };
const levelSeed = 0x7a5e7;
const memberSeed = 0x2c1b3c6d;
const scoreBits = new DataView(new ArrayBuffer(8));

/** One (member, score)'s share of a zset's digest: 52 bits from the member's hash and the score's bits. */
function entryHash(member: string, score: number): number {
  scoreBits.setFloat64(0, score);
  return mix52(strHash(member, memberSeed) ^ scoreBits.getUint32(0), scoreBits.getUint32(4));
}

class ZNode {
  readonly forward: (ZNode | null)[];
  readonly span: number[];
  backward: ZNode | null = null;
  constructor(
    readonly member: string,
    public score: number,
    levels: number,
  ) {
    this.forward = new Array<ZNode | null>(levels).fill(null);
    this.span = new Array<number>(levels).fill(0);
  }
}
export type { ZNode };

/** Strict (score, member) order: a before b. */
function before(score: number, member: string, s: number, m: string): boolean {
  return score < s || (score === s && member < m);
}

/** A level in [1, 16] with P(level > k) = 4^-k, from the member's hash (Redis's ZSKIPLIST_P = 0.25; 16 levels index 4^16 members). */
function levelOf(member: string): number {
  let h = strHash(member, levelSeed);
  let level = 1;
  while ((h & 3) === 0 && level < 16) {
    level++;
    h >>>= 2;
  }
  return level;
}

export class SortedSet {
  readonly scores = new Map<string, number>();
  private readonly head = new ZNode('', 0, skiplistLevelsMax);
  private tail: ZNode | null = null;
  private level = 1;
  /** The sum mod 2^52 of every entry's hash, kept as members change: the digest of a write costs O(1), not O(n). */
  digest = 0;
  /** OBJECT ENCODING: Redis converts a listpack zset to a skiplist once it outgrows the thresholds, never back. */
  skiplist = false;
  /** The thresholds in force for the write under way (zsets.ts sets them from the keyspace's before changing it). */
  limits: ZsetLimits = defaultZsetLimits;

  get size(): number {
    return this.scores.size;
  }

  /** Insert a member that is not present. A listpack keeps a score as d2string's text, where -0 reads back as 0. */
  insert(member: string, score: number): void {
    if (this.scores.size + 1 > this.limits.entries || member.length > this.limits.valueBytes) this.skiplist = true;
    if (!this.skiplist && score === 0) score = 0;
    const update: ZNode[] = new Array<ZNode>(skiplistLevelsMax);
    const rank: number[] = new Array<number>(skiplistLevelsMax).fill(0);
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      rank[i] = i === this.level - 1 ? 0 : rank[i + 1]!;
      for (let f = x.forward[i]; f !== null && f !== undefined && before(f.score, f.member, score, member); f = x.forward[i]) {
        rank[i]! += x.span[i]!;
        x = f;
      }
      update[i] = x;
    }
    const level = levelOf(member);
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rank[i] = 0;
        update[i] = this.head;
        this.head.span[i] = this.scores.size;
      }
      this.level = level;
    }
    const n = new ZNode(member, score, level);
    for (let i = 0; i < level; i++) {
      const u = update[i]!;
      n.forward[i] = u.forward[i]!;
      u.forward[i] = n;
      n.span[i] = u.span[i]! - (rank[0]! - rank[i]!);
      u.span[i] = rank[0]! - rank[i]! + 1;
    }
    for (let i = level; i < this.level; i++) update[i]!.span[i]!++;
    n.backward = update[0] === this.head ? null : update[0]!;
    if (n.forward[0] !== null) n.forward[0]!.backward = n;
    else this.tail = n;
    this.scores.set(member, score);
    this.digest = (this.digest + entryHash(member, score)) % digestMod;
  }

  /** Set a member's score (inserting it when absent). */
  set(member: string, score: number): void {
    this.remove(member);
    this.insert(member, score);
  }

  /** Remove a member; whether it was present. */
  remove(member: string): boolean {
    const score = this.scores.get(member);
    if (score === undefined) return false;
    const update: ZNode[] = new Array<ZNode>(skiplistLevelsMax);
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let f = x.forward[i]; f !== null && f !== undefined && before(f.score, f.member, score, member); f = x.forward[i]) x = f;
      update[i] = x;
    }
    const n = x.forward[0]!;
    for (let i = 0; i < this.level; i++) {
      const u = update[i]!;
      if (u.forward[i] === n) {
        u.span[i]! += n.span[i]! - 1;
        u.forward[i] = n.forward[i]!;
      } else u.span[i]!--;
    }
    if (n.forward[0] !== null) n.forward[0]!.backward = n.backward;
    else this.tail = n.backward;
    while (this.level > 1 && this.head.forward[this.level - 1] === null) this.level--;
    this.scores.delete(member);
    this.digest = (this.digest - entryHash(member, score) + digestMod) % digestMod;
    return true;
  }

  /** How many members come before the first one for which `before` is false (`before` must hold on a prefix). */
  countBefore(pred: (score: number, member: string) => boolean): number {
    let x = this.head;
    let rank = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let f = x.forward[i]; f !== null && f !== undefined && pred(f.score, f.member); f = x.forward[i]) {
        rank += x.span[i]!;
        x = f;
      }
    }
    return rank;
  }

  /** A member's 0-based rank, or null. */
  rank(member: string): number | null {
    const score = this.scores.get(member);
    if (score === undefined) return null;
    return this.countBefore((s, m) => before(s, m, score, member));
  }

  /** The node at a 0-based rank, or null. */
  at(rank: number): ZNode | null {
    if (rank < 0 || rank >= this.scores.size) return null;
    let x = this.head;
    let traversed = 0;
    const want = rank + 1;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.forward[i] !== null && x.forward[i] !== undefined && traversed + x.span[i]! <= want) {
        traversed += x.span[i]!;
        x = x.forward[i]!;
      }
      if (traversed === want) return x;
    }
    return null;
  }

  next(n: ZNode): ZNode | null {
    return n.forward[0] ?? null;
  }

  prev(n: ZNode): ZNode | null {
    return n.backward;
  }

  last(): ZNode | null {
    return this.tail;
  }

  /** The members of ranks [from, to] (inclusive) in order, or reversed (`rev`: rank 0 is the last). */
  *range(from: number, to: number, rev = false): Generator<ZNode> {
    let n = this.at(rev ? this.size - 1 - from : from);
    for (let i = from; i <= to && n !== null; i++) {
      yield n;
      n = rev ? n.backward : (n.forward[0] ?? null);
    }
  }

  /** Every member in order. */
  entries(): Generator<ZNode> {
    return this.range(0, this.size - 1);
  }

  /** A new value's encoding as Redis picks it for a zset it builds whole (STORE results, RESTORE). */
  settleEncoding(): void {
    this.skiplist = this.size > this.limits.entries || [...this.scores.keys()].some((m) => m.length > this.limits.valueBytes);
  }

  clone(): SortedSet {
    const out = new SortedSet();
    for (const n of this.entries()) out.insert(n.member, n.score);
    out.skiplist = this.skiplist;
    return out;
  }
}

/** The parts a zset encodes as (DUMP, snapshots, digest): member, then its score as 8 bytes (f64 LE), in order. */
export function zsetParts(z: SortedSet): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const n of z.entries()) {
    const score = new Uint8Array(8);
    new DataView(score.buffer).setFloat64(0, n.score, true);
    out.push(fromLatin1(n.member), score);
  }
  return out;
}

/** The zset `zsetParts` wrote, or null when the parts are not one. */
export function zsetFromParts(ps: readonly Uint8Array[]): SortedSet | null {
  if (ps.length % 2 !== 0) return null;
  const z = new SortedSet();
  for (let i = 0; i < ps.length; i += 2) {
    const m = latin1(ps[i]!);
    const s = ps[i + 1]!;
    if (s.length !== 8 || z.scores.has(m)) return null;
    const score = new DataView(s.buffer, s.byteOffset, 8).getFloat64(0, true);
    if (Number.isNaN(score)) return null;
    z.insert(m, score);
  }
  z.settleEncoding();
  return z;
}
