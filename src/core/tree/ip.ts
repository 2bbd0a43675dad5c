/**
 * The `ip` ACL scheme: an id is an address or a network (`10.0.0.0/8`, `fe80::/10`), a session's ip id is its
 * remote address. IPv4 as ZooKeeper 3.8 parses it (four decimal parts 0-255); IPv6 in the usual text forms (`::`
 * shortening, an IPv4 tail, no zone). An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) counts as the IPv4 one, as a
 * Java server sees it. Pure functions, no lookups.
 */

/** Prefix bits of an `ip` ACL id: decimal, at most 9 digits (ZooKeeper parses an int). */
const prefixBitsPattern = /^\d{1,9}$/;

function v4Bytes(s: string): number[] | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const v = Number(p);
    if (v > 255) return null;
    out.push(v);
  }
  return out;
}

function groupsOf(s: string, allowV4Tail: boolean): number[] | null {
  if (s === '') return [];
  const parts = s.split(':');
  const out: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (i === parts.length - 1 && allowV4Tail && p.includes('.')) {
      const v4 = v4Bytes(p);
      if (v4 === null) return null;
      out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
      out.push(parseInt(p, 16));
    }
  }
  return out;
}

function v6Bytes(s: string): number[] | null {
  if (!s.includes(':') || s.length > 45) return null;
  const dbl = s.indexOf('::');
  let groups: number[];
  if (dbl >= 0) {
    if (s.indexOf('::', dbl + 1) >= 0) return null;
    const head = groupsOf(s.slice(0, dbl), false);
    const tail = groupsOf(s.slice(dbl + 2), true);
    if (head === null || tail === null || head.length + tail.length > 7) return null;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const g = groupsOf(s, true);
    if (g === null || g.length !== 8) return null;
    groups = g;
  }
  const out: number[] = [];
  for (const g of groups) out.push(g >> 8, g & 0xff);
  return out;
}

/** The bytes of an address (4 for IPv4, 16 for IPv6; an IPv4-mapped IPv6 address gives 4), or null. */
export function ipBytes(addr: string): number[] | null {
  const v4 = v4Bytes(addr);
  if (v4 !== null) return v4;
  const v6 = v6Bytes(addr);
  if (v6 === null) return null;
  const mapped = v6.slice(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff;
  return mapped ? v6.slice(12) : v6;
}

/** An `ip` ACL id as address bytes and prefix length, or null if it is not one. */
export function parseIpAcl(expr: string): { readonly bytes: number[]; readonly bits: number } | null {
  if (typeof expr !== 'string') return null;
  const slash = expr.indexOf('/');
  const bytes = ipBytes(slash < 0 ? expr : expr.slice(0, slash));
  if (bytes === null) return null;
  if (slash < 0) return { bytes, bits: bytes.length * 8 };
  const b = expr.slice(slash + 1);
  if (!prefixBitsPattern.test(b)) return null;
  const bits = Number(b);
  if (bits > bytes.length * 8) return null;
  return { bytes, bits };
}

/** ZooKeeper's IPAuthenticationProvider.isValid. */
export function validIpAcl(expr: string): boolean {
  return parseIpAcl(expr) !== null;
}

/** ZooKeeper's IPAuthenticationProvider.matches: the first `bits` bits of the remote address equal the ACL's. */
export function ipMatches(remote: string, expr: string): boolean {
  const acl = parseIpAcl(expr);
  const addr = ipBytes(remote);
  if (acl === null || addr === null || addr.length !== acl.bytes.length) return false;
  let bits = acl.bits;
  for (let i = 0; i < addr.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((addr[i]! & mask) !== (acl.bytes[i]! & mask)) return false;
  }
  return true;
}
