import { strHash } from '../hash.js';
import { Err, Perms, type Acl, type ErrCode, type Id } from '../../protocol/txn.js';
import { ipMatches, validIpAcl } from './ip.js';

/**
 * ACL lists shared by reference and stored per znode as a small integer id (ZooKeeper's ReferenceCountedACLCache):
 * a million znodes with the same ACL cost one list. Reference counted; an id whose count falls to 0 is freed.
 */
export class AclCache {
  private readonly byKey = new Map<string, number>();
  private lists: (readonly Acl[] | undefined)[] = [];
  private refs: number[] = [];
  private hashes: number[] = [];
  private free: number[] = [];

  static keyOf(acl: readonly Acl[]): string {
    let k = '';
    for (const a of acl) k += `${a.perms}\u0000${a.id.scheme}\u0000${a.id.id}\u0001`;
    return k;
  }

  private lastList: readonly Acl[] | null = null;
  private lastId = -1;

  /** Take one reference to this list's id (interning it). */
  ref(acl: readonly Acl[]): number {
    // Fast path: the same list as last time (by identity or, for one entry, by value).
    const last = this.lastList;
    if (last !== null && this.lists[this.lastId] === last && (acl === last || sameAcl(acl, last))) {
      this.refs[this.lastId]!++;
      return this.lastId;
    }
    const key = AclCache.keyOf(acl);
    let id = this.byKey.get(key);
    if (id === undefined) {
      id = this.free.length > 0 ? this.free.pop()! : this.lists.length;
      this.lists[id] = Object.freeze(acl.map((a) => Object.freeze({ perms: a.perms, id: Object.freeze({ scheme: a.id.scheme, id: a.id.id }) })));
      this.refs[id] = 0;
      this.hashes[id] = strHash(key, 0x9747b28c);
      this.byKey.set(key, id);
    }
    this.refs[id]!++;
    this.lastList = this.lists[id]!;
    this.lastId = id;
    return id;
  }

  /** Install a list under a fixed id (snapshot restore); references are added by `addRef`. */
  install(id: number, acl: readonly Acl[]): void {
    const key = AclCache.keyOf(acl);
    this.lists[id] = Object.freeze(acl.map((a) => Object.freeze({ perms: a.perms, id: Object.freeze({ ...a.id }) })));
    this.refs[id] = 0;
    this.hashes[id] = strHash(key, 0x9747b28c);
    this.byKey.set(key, id);
  }

  addRef(id: number): void {
    this.refs[id]!++;
  }

  unref(id: number): void {
    const n = --this.refs[id]!;
    if (n === 0) {
      this.byKey.delete(AclCache.keyOf(this.lists[id]!));
      this.lists[id] = undefined;
      this.free.push(id);
    }
  }

  get(id: number): readonly Acl[] {
    const l = this.lists[id];
    if (l === undefined) throw new Error(`acl id ${id} not in cache`);
    return l;
  }

  hash(id: number): number {
    return this.hashes[id]!;
  }

  /** Live entries, for snapshots. */
  *entries(): IterableIterator<[number, readonly Acl[]]> {
    for (let i = 0; i < this.lists.length; i++) {
      const l = this.lists[i];
      if (l !== undefined) this.refs[i]! > 0 && (yield [i, l]);
    }
  }

  get size(): number {
    return this.byKey.size;
  }
}

function sameAcl(a: readonly Acl[], b: readonly Acl[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.perms !== y.perms || x.id.scheme !== y.id.scheme || x.id.id !== y.id.id) return false;
  }
  return true;
}


/** Who is asking: authenticated ids of the session and whether it is the super user. */
export interface AuthInfo {
  readonly ids: readonly Id[];
  readonly superUser?: boolean;
  /** The server has ZooKeeper's SASLAuthenticationProvider: `sasl` ACL entries are valid. */
  readonly saslScheme?: boolean;
}

export const anonymous: AuthInfo = Object.freeze({ ids: Object.freeze([]) });

/**
 * ZooKeeper's checkACL: empty ACL or super user passes; else some entry with the perm must match an id of the
 * session: `ip` entries by address/prefix (the session's `ip` id is its remote address), others by equality.
 */
export function permitted(acl: readonly Acl[], perm: number, auth: AuthInfo): boolean {
  if (auth.superUser === true || acl.length === 0) return true;
  for (const a of acl) {
    if ((a.perms & perm) === 0) continue;
    if (a.id.scheme === 'world' && a.id.id === 'anyone') return true;
    if (a.id.scheme === 'ip') {
      for (const id of auth.ids) if (id.scheme === 'ip' && ipMatches(id.id, a.id.id)) return true;
      continue;
    }
    for (const id of auth.ids) if (id.scheme === a.id.scheme && id.id === a.id.id) return true;
  }
  return false;
}

/** Whether anyone may READ a node with this ACL (world:anyone READ, or an empty ACL). */
export function worldReadable(acl: readonly Acl[]): boolean {
  return permitted(acl, Perms.READ, anonymous);
}

/** getACL without ADMIN: digest ids show only the user (`user:x`), as ZooKeeper masks them. */
export function maskDigests(acl: readonly Acl[]): readonly Acl[] {
  if (!acl.some((a) => a.id.scheme === 'digest')) return acl;
  return acl.map((a) => (a.id.scheme === 'digest' ? { perms: a.perms, id: { scheme: 'digest', id: a.id.id.replace(/:.*$/s, ':x') } } : a));
}

/** ZooKeeper's DigestAuthenticationProvider.isValid: `user:digest`, exactly one colon, a non-empty digest. */
function validDigestId(id: string): boolean {
  const colon = id.indexOf(':');
  return colon >= 0 && colon < id.length - 1 && id.indexOf(':', colon + 1) < 0;
}

/** SASLAuthenticationProvider.isValid: a Kerberos name `primary[/instance][@REALM]`. */
function validKerberosName(id: string): boolean {
  return /^[^/@]+(\/[^/@]+)?(@[^/@]+)?$/.test(id);
}

/** Schemes an ACL may name (ZooKeeper's default providers: sasl and x509 need a configured provider). */
const knownSchemes = new Set(['world', 'auth', 'digest', 'ip']);

/** ZooKeeper's fixupACL: validate, and replace `auth` entries by the caller's authenticated ids. */
export function fixupAcl(acl: readonly Acl[], auth: AuthInfo): readonly Acl[] | ErrCode {
  if (!Array.isArray(acl) || acl.length === 0) return Err.INVALIDACL;
  const out: Acl[] = [];
  // ZooKeeper 3.5+ drops repeated entries (same perms, scheme and id) before expanding them, keeping the first.
  const seen = new Set<string>();
  for (const a of acl) {
    if (a === null || typeof a !== 'object' || a.id === null || typeof a.id !== 'object') return Err.INVALIDACL;
    const key = `${a.perms}\n${a.id.scheme}\n${a.id.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (!Number.isInteger(a.perms) || a.perms < 0 || a.perms > Perms.ALL) return Err.INVALIDACL;
    const scheme = a.id.scheme;
    if (!knownSchemes.has(scheme) && !(scheme === 'sasl' && auth.saslScheme === true)) return Err.INVALIDACL;
    if (scheme === 'world') {
      if (a.id.id !== 'anyone') return Err.INVALIDACL;
      out.push(a);
    } else if (scheme === 'auth') {
      let any = false;
      for (const id of auth.ids) {
        if (id.scheme === 'ip') continue;
        out.push({ perms: a.perms, id });
        any = true;
      }
      if (!any) return Err.INVALIDACL;
    } else if (scheme === 'sasl') {
      if (typeof a.id.id !== 'string' || !validKerberosName(a.id.id)) return Err.INVALIDACL;
      out.push(a);
    } else if (scheme === 'digest') {
      if (typeof a.id.id !== 'string' || !validDigestId(a.id.id)) return Err.INVALIDACL;
      out.push(a);
    } else {
      if (typeof a.id.id !== 'string' || !validIpAcl(a.id.id)) return Err.INVALIDACL;
      out.push(a);
    }
  }
  return out;
}
