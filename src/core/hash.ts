/** Hashes shared by the replicated state machines (pure: the same value on every replica). */

/** 32-bit string hash (murmur-like mixing over UTF-16 code units). */
export function strHash(s: string, seed: number): number {
  let h = seed | 0;
  for (let i = 0; i < s.length; i++) {
    h = Math.imul(h ^ s.charCodeAt(i), 0x5bd1e995);
    h ^= h >>> 15;
  }
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
