/**
 * Random picks from a collection (SRANDMEMBER, SPOP, HRANDFIELD; ZRANDMEMBER reuses them) through the command's
 * `Ctx.random`, so every replica picks the same elements. Redis 7.0's shapes: a count ≥ 0 picks distinct elements
 * (all of them, in the collection's order, when the count reaches its size); a negative count picks |count| with
 * repeats.
 */
import type { Reply } from '../../protocol/resp.js';
import { E, err, parseInt64 } from './bytes.js';
import type { Ctx } from './state.js';

/** Picks with repeats (a negative count) answer at most this many elements (Redis has no bound; a reply this big is a mistake). */
export const randomRepeatsMax = 1 << 24;

const longMax = 2n ** 63n - 1n;

/**
 * The count of SRANDMEMBER / HRANDFIELD / ZRANDMEMBER (Redis's range -LONG_MAX..LONG_MAX and its error texts), as a
 * number; `withValues` halves the negative range (HRANDFIELD, ZRANDMEMBER WITHVALUES/WITHSCORES).
 */
export function randomCount(b: Uint8Array, withValues = false): number | Reply {
  const n = parseInt64(b);
  if (n === null) return E.notInt;
  if (n < -longMax) return err(`ERR value is out of range, value must between ${-longMax} and ${longMax}`);
  if (withValues && n < -longMax / 2n) return err('ERR value is out of range');
  if (n < -BigInt(randomRepeatsMax)) return err('ERR value is out of range');
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
}

/**
 * Indexes into a collection of `size` elements for `count` (see the file comment): distinct ones in random order
 * (all in order when count ≥ size), or |count| drawn with repeats when count < 0.
 */
export function randomIndexes(c: Ctx, size: number, count: number): number[] {
  if (count < 0) return Array.from({ length: size === 0 ? 0 : -count }, () => c.randomBelow(size));
  if (count >= size) return Array.from({ length: size }, (_, i) => i);
  const idx = Array.from({ length: size }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + c.randomBelow(size - i);
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  idx.length = count;
  return idx;
}
