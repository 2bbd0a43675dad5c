/**
 * Glob matching with the semantics of Redis's stringmatchlen (KEYS, SCAN MATCH): `*` any run, `?` one byte,
 * `[abc]`, `[^a-z]` (a reversed range is swapped; an unclosed class ends at the pattern's end), `\x` a literal x
 * (a trailing `\` matches itself). Bytes are compared as bytes (no case folding). A `*` that has tried every
 * position of the rest of the string stops the outer `*`s too (no exponential backtracking), and nesting deeper
 * than `globNestingMax` stars fails the match, as Redis does.
 */
export const globNestingMax = 1000;

interface State {
  skipLonger: boolean;
}

function matchFrom(p: Uint8Array, pi: number, s: Uint8Array, si: number, st: State, nesting: number): boolean {
  if (nesting > globNestingMax) return false;
  const plen = p.length;
  const slen = s.length;
  while (pi < plen && si < slen) {
    const c = p[pi]!;
    if (c === 0x2a /* * */) {
      while (pi + 1 < plen && p[pi + 1] === 0x2a) pi++;
      if (pi + 1 === plen) return true;
      for (let k = si; k < slen; k++) {
        if (matchFrom(p, pi + 1, s, k, st, nesting + 1)) return true;
        if (st.skipLonger) return false;
      }
      st.skipLonger = true;
      return false;
    } else if (c === 0x3f /* ? */) {
      si++;
    } else if (c === 0x5b /* [ */) {
      pi++;
      const not = pi < plen && p[pi] === 0x5e; /* ^ */
      if (not) pi++;
      let match = false;
      const ch = s[si]!;
      for (;;) {
        if (pi < plen && p[pi] === 0x5c && plen - pi >= 2) {
          pi++;
          if (p[pi] === ch) match = true;
        } else if (pi < plen && p[pi] === 0x5d /* ] */) {
          break;
        } else if (pi >= plen) {
          pi--;
          break;
        } else if (plen - pi >= 3 && p[pi + 1] === 0x2d /* - */) {
          let lo = p[pi]!;
          let hi = p[pi + 2]!;
          if (lo > hi) [lo, hi] = [hi, lo];
          pi += 2;
          if (ch >= lo && ch <= hi) match = true;
        } else if (p[pi] === ch) {
          match = true;
        }
        pi++;
      }
      if (not) match = !match;
      if (!match) return false;
      si++;
    } else {
      let lit = c;
      if (c === 0x5c /* \ */ && plen - pi >= 2) {
        pi++;
        lit = p[pi]!;
      }
      if (lit !== s[si]) return false;
      si++;
    }
    pi++;
    if (si === slen) {
      while (pi < plen && p[pi] === 0x2a) pi++;
      break;
    }
  }
  return pi === plen && si === slen;
}

export function globMatch(pattern: Uint8Array, s: Uint8Array): boolean {
  return matchFrom(pattern, 0, s, 0, { skipLonger: false }, 0);
}
