import {
  OPEN_ACL_UNSAFE,
  READ_ACL_UNSAFE,
  type Acl,
  type Applied,
  type Change,
  type NodeKind,
  type OpResult,
  type SessionId,
  type Stat,
  type Txn,
  type TxnOp,
  type WriteResult,
  type Zxid,
} from '../../protocol/txn.js';
import { assertNever } from '../never.js';
import { AclCache, worldReadable } from './acl.js';
import { strHash } from '../hash.js';
import { nameOf, parentOf } from './path.js';

/**
 * The znode tree: ZooKeeper's DataTree as a struct of arrays. A node is a slot number; its fields live in typed
 * columns, in chunks of `chunkSlotsMax` slots so growth never copies the whole tree (a write costs the same with
 * 10 or 1,000,000 znodes). `index` maps path → slot; each parent has a Set of child names (created lazily);
 * data is kept as a latin1 string (one byte per char: ~1/3 the memory of a Uint8Array per znode) and handed out as
 * bytes. ACL lists are interned (AclCache) and stored as an id.
 *
 * It mutates in place (it is the state machine) and is deterministic: no IO, clock or randomness; time comes in
 * txns. `apply` executes prepared txns (src/core/tree/prepare.ts validates); a txn apply cannot execute is a bug
 * and throws.
 *
 * The digest is incremental (as ZooKeeper's digest): the sum mod 2^52 of a 52-bit hash of every node's path,
 * data and stat, plus the session table; O(1) to read, updated on every change. Two replicas that applied the
 * same txns have equal digests.
 */

/** A session secret is 1 to this many bytes (front ends draw 32). */
export const sessionSecretBytesMax = 64;

export const chunkBits = 16;
export const chunkSlotsMax = 1 << chunkBits;
const chunkMask = chunkSlotsMax - 1;
const digestMod = 2 ** 52;

export const kindCode: Readonly<Record<NodeKind, number>> = { persistent: 0, ephemeral: 1, container: 2, ttl: 3 };
export const kindOfCode: readonly NodeKind[] = ['persistent', 'ephemeral', 'container', 'ttl'];

class Chunk {
  readonly czxid = new Float64Array(chunkSlotsMax);
  readonly mzxid = new Float64Array(chunkSlotsMax);
  readonly pzxid = new Float64Array(chunkSlotsMax);
  readonly ctime = new Float64Array(chunkSlotsMax);
  readonly mtime = new Float64Array(chunkSlotsMax);
  /** Session id (ephemeral), ttl ms (ttl), else 0. */
  readonly owner = new Float64Array(chunkSlotsMax);
  readonly version = new Int32Array(chunkSlotsMax);
  /** Stored cversion: bumped on child create only (client sees stored*2 - numChildren). */
  readonly cversion = new Int32Array(chunkSlotsMax);
  readonly aversion = new Int32Array(chunkSlotsMax);
  readonly acl = new Int32Array(chunkSlotsMax);
  readonly kind = new Uint8Array(chunkSlotsMax);
  /** Slot of the parent (-1 for the root): snapshots record it so a restore needs no path lookups. */
  readonly parent = new Int32Array(chunkSlotsMax);
  /**
   * Cached 32-bit hashes of the path and of the data (digest upkeep without rehashing bytes per write); 0 = not
   * computed yet (restored nodes hash lazily, on their first change).
   */
  readonly pathHash = new Int32Array(chunkSlotsMax);
  readonly dataHash = new Int32Array(chunkSlotsMax);
  /** null: ZooKeeper's null data (a create or setData without data), not the same as '' (empty data). */
  readonly data: (string | null)[] = [];
  readonly children: (Set<string> | undefined)[] = [];
}

export function bytesToLatin1(b: Uint8Array): string;
export function bytesToLatin1(b: Uint8Array | null): string | null;
export function bytesToLatin1(b: Uint8Array | null): string | null {
  if (b === null) return null;
  if (b.length === 0) return '';
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

export function latin1ToBytes(s: string): Uint8Array;
export function latin1ToBytes(s: string | null): Uint8Array | null;
export function latin1ToBytes(s: string | null): Uint8Array | null {
  if (s === null) return null;
  if (s.length === 0) return new Uint8Array(0);
  const b = Buffer.from(s, 'latin1');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Raw fields of one node (snapshot codec, pending overlay). */
export interface NodeFields {
  readonly data: string | null;
  readonly czxid: number;
  readonly mzxid: number;
  readonly pzxid: number;
  readonly ctime: number;
  readonly mtime: number;
  readonly owner: number;
  readonly version: number;
  readonly cversion: number;
  readonly aversion: number;
  readonly acl: readonly Acl[];
  readonly kind: NodeKind;
  readonly numChildren: number;
}

/** Told before a node's columns change or it is deleted (an incremental snapshot saves the pre-image). */
export interface ChangeHook {
  before(path: string, slot: number): void;
}

export class DataTree {
  /** Set while an incremental snapshot is being written (src/core/tree/codec.ts SnapshotCapture). */
  hook: ChangeHook | null = null;
  readonly index = new Map<string, number>();
  private readonly chunks: Chunk[] = [];
  private readonly freeSlots: number[] = [];
  private nextSlot = 0;
  readonly acls = new AclCache();
  /** Ephemeral paths by owning session. */
  readonly ephemerals = new Map<SessionId, Set<string>>();
  readonly containers = new Set<string>();
  readonly ttls = new Set<string>();
  /** The replicated session table: id → negotiated timeout (ms). */
  readonly sessions = new Map<SessionId, number>();
  /**
   * Which server each session's client is connected to (set at CreateSession and MoveSession; a session without
   * an entry may be served anywhere). Not in the digest: it decides only which server may write for the session.
   */
  readonly sessionOwners = new Map<SessionId, number>();
  /**
   * The ensemble's session secret: session passwords are keyed on it, so every member checks them alike. Set by the
   * first SessionSecret txn (random bytes a front end drew), kept in snapshots; null until then. Not in the digest.
   */
  sessionSecret: Uint8Array | null = null;
  /** zxid of the last applied txn. */
  lastZxid: Zxid = 0;
  private digestSum = 0;

  /** A fresh tree: `/`, `/zookeeper`, `/zookeeper/quota`, `/zookeeper/config` (spec §7). */
  static fresh(): DataTree {
    const t = new DataTree();
    t.rehash('/', t.insertRaw('/', -1, '', OPEN_ACL_UNSAFE, 'persistent', 0, 0, 0));
    // ZooKeeper adds these children without counting them in the parent's cversion (stored 0): `stat /` shows
    // cversion -1 there and the first sequential child of `/` is `…0000000000`.
    t.createNode('/zookeeper', '', OPEN_ACL_UNSAFE, 'persistent', 0, 0, 0, 0);
    t.createNode('/zookeeper/quota', '', OPEN_ACL_UNSAFE, 'persistent', 0, 0, 0, 0);
    // Read-only for everyone, as ZooKeeper's DataTree.addConfigNode: only a reconfig (or the super user) writes it.
    t.createNode('/zookeeper/config', '', READ_ACL_UNSAFE, 'persistent', 0, 0, 0, 0);
    return t;
  }

  get size(): number {
    return this.index.size;
  }

  digest(): number {
    return this.digestSum;
  }

  /** ZooKeeper's approximate_data_size: every node's path and data lengths summed (a walk of the index). */
  approximateDataSize(): number {
    let bytes = 0;
    for (const [path, s] of this.index) bytes += path.length + (this.chunks[s >>> chunkBits]!.data[s & chunkMask]?.length ?? 0); // null data: 0 bytes
    return bytes;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Reads
  // -------------------------------------------------------------------------------------------------------------
  has(path: string): boolean {
    return this.index.has(path);
  }

  slotOf(path: string): number | undefined {
    return this.index.get(path);
  }

  stat(path: string): Stat | undefined {
    const s = this.index.get(path);
    return s === undefined ? undefined : this.statOf(s);
  }

  statOf(s: number): Stat {
    const c = this.chunks[s >>> chunkBits]!;
    const i = s & chunkMask;
    const n = c.children[i]?.size ?? 0;
    return {
      czxid: c.czxid[i]!,
      mzxid: c.mzxid[i]!,
      ctime: c.ctime[i]!,
      mtime: c.mtime[i]!,
      version: c.version[i]!,
      cversion: c.cversion[i]! * 2 - n,
      aversion: c.aversion[i]!,
      ephemeralOwner: c.kind[i] === 1 ? c.owner[i]! : 0,
      dataLength: c.data[i]?.length ?? 0,
      numChildren: n,
      pzxid: c.pzxid[i]!,
    };
  }

  /** null: the node holds null data. */
  getData(path: string): Uint8Array | null | undefined {
    const s = this.index.get(path);
    if (s === undefined) return undefined;
    return latin1ToBytes(this.chunks[s >>> chunkBits]!.data[s & chunkMask]!);
  }

  /** Child names (insertion order: identical on every replica). */
  children(path: string): string[] | undefined {
    const s = this.index.get(path);
    if (s === undefined) return undefined;
    const set = this.chunks[s >>> chunkBits]!.children[s & chunkMask];
    return set === undefined ? [] : [...set];
  }

  childSet(path: string): ReadonlySet<string> | undefined {
    const s = this.index.get(path);
    if (s === undefined) return undefined;
    return this.chunks[s >>> chunkBits]!.children[s & chunkMask];
  }

  /** A change of the node at slot `s`, carrying its ACL when that does not let everyone READ. */
  private change(path: string, kind: Change['kind'], s: number): Change {
    const acl = this.acls.get(this.chunks[s >>> chunkBits]!.acl[s & chunkMask]!);
    return worldReadable(acl) ? { path, kind } : { path, kind, acl };
  }

  getAcl(path: string): readonly Acl[] | undefined {
    const s = this.index.get(path);
    if (s === undefined) return undefined;
    return this.acls.get(this.chunks[s >>> chunkBits]!.acl[s & chunkMask]!);
  }

  fields(path: string): NodeFields | undefined {
    const s = this.index.get(path);
    if (s === undefined) return undefined;
    const c = this.chunks[s >>> chunkBits]!;
    const i = s & chunkMask;
    return {
      data: c.data[i]!,
      czxid: c.czxid[i]!,
      mzxid: c.mzxid[i]!,
      pzxid: c.pzxid[i]!,
      ctime: c.ctime[i]!,
      mtime: c.mtime[i]!,
      owner: c.owner[i]!,
      version: c.version[i]!,
      cversion: c.cversion[i]!,
      aversion: c.aversion[i]!,
      acl: this.acls.get(c.acl[i]!),
      kind: kindOfCode[c.kind[i]!]!,
      numChildren: c.children[i]?.size ?? 0,
    };
  }

  /** Raw columns of a slot (snapshot writer; no allocation of a Stat). */
  chunkOf(s: number): Chunk {
    return this.chunks[s >>> chunkBits]!;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Apply
  // -------------------------------------------------------------------------------------------------------------
  apply(txn: Txn): Applied {
    if (txn.zxid <= this.lastZxid && this.lastZxid !== 0) {
      throw new Error(`apply out of order: zxid ${txn.zxid} after ${this.lastZxid}`);
    }
    const changes: Change[] = [];
    let result: WriteResult;
    const b = txn.body;
    switch (b.type) {
      case 'Create':
      case 'Delete':
      case 'SetData':
      case 'SetACL':
      case 'Check':
      case 'Error':
        result = this.applyOp(b, txn, changes);
        break;
      case 'Multi': {
        const results: OpResult[] = [];
        for (const op of b.ops) results.push(this.applyOp(op, txn, changes));
        result = { type: 'Multi', results };
        break;
      }
      case 'CreateSession':
        this.sessionSet(txn.sessionId, b.timeoutMs);
        if (b.owner !== undefined) this.sessionOwners.set(txn.sessionId, b.owner);
        result = { type: 'CreateSession', sessionId: txn.sessionId, timeoutMs: b.timeoutMs };
        break;
      case 'MoveSession': {
        // prepare made sure the session lives
        const timeoutMs = this.sessions.get(txn.sessionId);
        if (timeoutMs === undefined) throw new Error(`apply: MoveSession of unknown session ${txn.sessionId} (prepare bug)`);
        this.sessionOwners.set(txn.sessionId, b.owner);
        result = { type: 'MoveSession', timeoutMs };
        break;
      }
      case 'CloseSession': {
        const eph = this.ephemerals.get(txn.sessionId);
        if (eph !== undefined) {
          // Deepest first is not needed: ephemerals have no children.
          for (const p of [...eph]) this.deleteNode(p, txn.zxid, changes);
        }
        this.sessionSet(txn.sessionId, undefined);
        this.sessionOwners.delete(txn.sessionId);
        result = { type: 'CloseSession' };
        break;
      }
      case 'DeleteContainer':
        this.deleteNode(b.path, txn.zxid, changes);
        result = { type: 'Delete' };
        break;
      case 'SessionSecret':
        this.sessionSecret ??= b.secret;
        result = { type: 'SessionSecret', secret: this.sessionSecret };
        break;
      case 'Request':
        // Storage prepares a Request into a final txn before applying it; reaching here is a bug.
        throw new Error(`apply: unprepared request at zxid ${txn.zxid}`);
      case 'Keyspace':
        // Storage's dispatcher gives keyspace txns to the keyspace; reaching here is a bug.
        throw new Error(`apply: a keyspace txn at zxid ${txn.zxid} given to the tree`);
      default:
        assertNever(b);
    }
    this.lastZxid = txn.zxid;
    return { zxid: txn.zxid, sessionId: txn.sessionId, cxid: txn.cxid, result, changes };
  }

  private applyOp(op: TxnOp, txn: Txn, changes: Change[]): OpResult {
    switch (op.type) {
      case 'Create': {
        const s = this.createNode(op.path, bytesToLatin1(op.data), op.acl, op.kind, op.ephemeralOwner || op.ttlMs, txn.zxid, txn.timeMs, op.parentCversion);
        const parent = parentOf(op.path);
        changes.push(this.change(op.path, 'NodeCreated', s), this.change(parent, 'NodeChildrenChanged', this.mustSlot(parent)));
        return { type: 'Create', path: op.path, stat: this.statOf(s) };
      }
      case 'Delete':
        this.deleteNode(op.path, txn.zxid, changes);
        return { type: 'Delete' };
      case 'SetData': {
        const s = this.mustSlot(op.path);
        const c = this.chunks[s >>> chunkBits]!;
        const i = s & chunkMask;
        this.hook?.before(op.path, s);
        this.unhash(op.path, s);
        c.data[i] = bytesToLatin1(op.data);
        c.dataHash[i] = 0;
        c.version[i] = op.version;
        c.mzxid[i] = txn.zxid;
        c.mtime[i] = txn.timeMs;
        this.rehash(op.path, s);
        changes.push(this.change(op.path, 'NodeDataChanged', s));
        return { type: 'SetData', stat: this.statOf(s) };
      }
      case 'SetACL': {
        const s = this.mustSlot(op.path);
        const c = this.chunks[s >>> chunkBits]!;
        const i = s & chunkMask;
        this.hook?.before(op.path, s);
        this.unhash(op.path, s);
        const old = c.acl[i]!;
        c.acl[i] = this.acls.ref(op.acl);
        this.acls.unref(old);
        c.aversion[i] = op.version;
        this.rehash(op.path, s);
        return { type: 'SetACL', stat: this.statOf(s) };
      }
      case 'Check':
        return { type: 'Check' };
      case 'Error':
        return { type: 'Error', err: op.err };
      default:
        return assertNever(op);
    }
  }

  private mustSlot(path: string): number {
    const s = this.index.get(path);
    if (s === undefined) throw new Error(`apply: no node ${path} (prepare bug)`);
    return s;
  }

  private allocSlot(): number {
    if (this.freeSlots.length > 0) return this.freeSlots.pop()!;
    const s = this.nextSlot++;
    if ((s >>> chunkBits) >= this.chunks.length) this.chunks.push(new Chunk());
    return s;
  }

  /** Insert a node with no parent bookkeeping (root, snapshot restore). */
  insertRaw(path: string, parentSlot: number, data: string | null, acl: readonly Acl[], kind: NodeKind, owner: number, zxid: Zxid, timeMs: number): number {
    const s = this.allocSlot();
    const c = this.chunks[s >>> chunkBits]!;
    const i = s & chunkMask;
    c.data[i] = data;
    c.czxid[i] = zxid;
    c.mzxid[i] = zxid;
    c.pzxid[i] = zxid;
    c.ctime[i] = timeMs;
    c.mtime[i] = timeMs;
    c.owner[i] = owner;
    c.version[i] = 0;
    c.cversion[i] = 0;
    c.aversion[i] = 0;
    c.acl[i] = this.acls.ref(acl);
    c.kind[i] = kindCode[kind];
    c.parent[i] = parentSlot;
    c.pathHash[i] = 0;
    c.dataHash[i] = 0;
    c.children[i] = undefined;
    this.index.set(path, s);
    this.track(path, kind, owner);
    return s;
  }

  private track(path: string, kind: NodeKind, owner: number): void {
    if (kind === 'ephemeral') {
      let set = this.ephemerals.get(owner);
      if (set === undefined) this.ephemerals.set(owner, (set = new Set()));
      set.add(path);
    } else if (kind === 'container') this.containers.add(path);
    else if (kind === 'ttl') this.ttls.add(path);
  }

  private createNode(
    path: string,
    data: string | null,
    acl: readonly Acl[],
    kind: NodeKind,
    owner: number,
    zxid: Zxid,
    timeMs: number,
    parentCversion: number,
  ): number {
    const parent = parentOf(path);
    const ps = this.mustSlot(parent);
    if (this.index.has(path)) throw new Error(`apply: ${path} exists (prepare bug)`);
    const pc = this.chunks[ps >>> chunkBits]!;
    const pi = ps & chunkMask;
    this.hook?.before(parent, ps);
    this.unhash(parent, ps);
    let set = pc.children[pi];
    if (set === undefined) pc.children[pi] = set = new Set();
    set.add(nameOf(path));
    pc.cversion[pi] = parentCversion;
    pc.pzxid[pi] = zxid;
    this.rehash(parent, ps);
    const s = this.insertRaw(path, ps, data, acl, kind, owner, zxid, timeMs);
    this.rehash(path, s);
    return s;
  }

  private deleteNode(path: string, zxid: Zxid, changes: Change[]): void {
    const s = this.mustSlot(path);
    const c = this.chunks[s >>> chunkBits]!;
    const i = s & chunkMask;
    if ((c.children[i]?.size ?? 0) > 0) throw new Error(`apply: delete of non-empty ${path} (prepare bug)`);
    const deleted = this.change(path, 'NodeDeleted', s); // the ACL it had
    this.hook?.before(path, s);
    this.unhash(path, s);
    const kind = c.kind[i]!;
    if (kind === 1) {
      const owner = c.owner[i]!;
      const set = this.ephemerals.get(owner);
      if (set !== undefined) {
        set.delete(path);
        if (set.size === 0) this.ephemerals.delete(owner);
      }
    } else if (kind === 2) this.containers.delete(path);
    else if (kind === 3) this.ttls.delete(path);
    this.acls.unref(c.acl[i]!);
    c.data[i] = '';
    c.children[i] = undefined;
    this.index.delete(path);
    this.freeSlots.push(s);
    const parent = parentOf(path);
    const ps = this.mustSlot(parent);
    const pc = this.chunks[ps >>> chunkBits]!;
    const pi = ps & chunkMask;
    this.hook?.before(parent, ps);
    this.unhash(parent, ps);
    const set = pc.children[pi];
    if (set !== undefined) {
      set.delete(nameOf(path));
      if (set.size === 0) pc.children[pi] = undefined;
    }
    pc.pzxid[pi] = zxid;
    this.rehash(parent, ps);
    changes.push(deleted, this.change(parent, 'NodeChildrenChanged', ps));
  }

  private sessionSet(id: SessionId, timeoutMs: number | undefined): void {
    const old = this.sessions.get(id);
    if (old !== undefined) this.digestSum = (this.digestSum - sessionHash(id, old) + digestMod) % digestMod;
    if (timeoutMs === undefined) this.sessions.delete(id);
    else {
      this.sessions.set(id, timeoutMs);
      this.digestSum = (this.digestSum + sessionHash(id, timeoutMs)) % digestMod;
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Digest
  // -------------------------------------------------------------------------------------------------------------
  nodeHash(path: string, s: number): number {
    const c = this.chunks[s >>> chunkBits]!;
    const i = s & chunkMask;
    let h1 = c.pathHash[i]!;
    if (h1 === 0) c.pathHash[i] = h1 = strHash(path, 0x1234567) || 1;
    let h2 = c.dataHash[i]!;
    if (h2 === 0) {
      const data = c.data[i]!;
      c.dataHash[i] = h2 = (data === null ? nullDataHash : strHash(data, 0x2468ace)) || 1;
    }
    h1 = mixNum(h1, c.czxid[i]!);
    h1 = mixNum(h1, c.mzxid[i]!);
    h1 = mixNum(h1, c.pzxid[i]!);
    h1 = mixNum(h1, c.ctime[i]!);
    h2 = mixNum(h2, c.mtime[i]!);
    h2 = mixNum(h2, c.owner[i]!);
    h2 = mixNum(h2, c.version[i]! * 65536 + c.kind[i]!);
    h2 = mixNum(h2, c.cversion[i]!);
    h2 = mixNum(h2, c.aversion[i]!);
    h1 = mixNum(h1, this.acls.hash(c.acl[i]!));
    h1 = mixNum(h1, h2);
    return (h1 >>> 0) * 1048576 + (h2 >>> 12);
  }

  private unhash(path: string, s: number): void {
    this.digestSum = (this.digestSum - this.nodeHash(path, s) + digestMod) % digestMod;
  }

  rehash(path: string, s: number): void {
    this.digestSum = (this.digestSum + this.nodeHash(path, s)) % digestMod;
  }

  /** Recompute from scratch (tests; snapshot verification). O(N). */
  recomputeDigest(): number {
    let d = 0;
    for (const [p, s] of this.index) d = (d + this.nodeHash(p, s)) % digestMod;
    for (const [id, t] of this.sessions) d = (d + sessionHash(id, t)) % digestMod;
    return d;
  }

  /** Set after a snapshot restore (the restorer verifies it against the recomputed value). */
  setDigest(d: number): void {
    this.digestSum = d;
  }

  /**
   * Restore helper: put a node at a given slot (as recorded in the snapshot) under its parent's slot, with all its
   * columns. The caller guarantees parents come first and slots are unique; call `finishRestore` at the end.
   */
  restoreNode(
    slot: number,
    parentSlot: number,
    path: string,
    data: string | null,
    aclId: number,
    kind: number,
    owner: number,
    czxid: number,
    mzxid: number,
    pzxid: number,
    ctime: number,
    mtime: number,
    version: number,
    cversion: number,
    aversion: number,
  ): void {
    while ((slot >>> chunkBits) >= this.chunks.length) this.chunks.push(new Chunk());
    const c = this.chunks[slot >>> chunkBits]!;
    const i = slot & chunkMask;
    c.data[i] = data;
    c.czxid[i] = czxid;
    c.mzxid[i] = mzxid;
    c.pzxid[i] = pzxid;
    c.ctime[i] = ctime;
    c.mtime[i] = mtime;
    c.owner[i] = owner;
    c.version[i] = version;
    c.cversion[i] = cversion;
    c.aversion[i] = aversion;
    c.acl[i] = aclId;
    this.acls.addRef(aclId);
    c.kind[i] = kind;
    c.parent[i] = parentSlot;
    c.pathHash[i] = 0;
    c.dataHash[i] = 0;
    c.children[i] = undefined;
    this.index.set(path, slot);
    if (kind !== 0) this.track(path, kindOfCode[kind]!, owner);
  }

  /**
   * After restoring every node (in any order): link each node into its parent's child set (parent slots must be
   * in use; exactly the root has none) and free the unused slots below `slotEnd`. Throws on an inconsistency.
   */
  finishRestore(slotEnd: number, used: Uint8Array): void {
    this.nextSlot = slotEnd;
    this.freeSlots.length = 0;
    for (let s = slotEnd - 1; s >= 0; s--) if (used[s] === 0) this.freeSlots.push(s);
    for (const [path, s] of this.index) {
      const p = this.chunks[s >>> chunkBits]!.parent[s & chunkMask]!;
      if (p < 0) {
        if (path !== '/') throw new Error(`restore: ${path} has no parent`);
        continue;
      }
      if (path === '/' || p >= slotEnd || used[p] !== 1) throw new Error(`restore: ${path} has parent slot ${p} not in the snapshot`);
      const pc = this.chunks[p >>> chunkBits]!;
      const pi = p & chunkMask;
      let set = pc.children[pi];
      if (set === undefined) pc.children[pi] = set = new Set();
      set.add(path.slice(path.lastIndexOf('/') + 1));
    }
    if (!this.index.has('/')) throw new Error('restore: no root');
  }

  /** Slots allocated so far (capture bound). */
  get slotEnd(): number {
    return this.nextSlot;
  }

  /** Slot → parent slot (-1 for the root). */
  parentSlot(s: number): number {
    return this.chunks[s >>> chunkBits]!.parent[s & chunkMask]!;
  }
}

/** The data hash of null data (any constant that no string's hash is more likely to equal than another). */
const nullDataHash = 0x6e756c6c;

function mixNum(h: number, v: number): number {
  const lo = v % 4294967296 | 0;
  const hi = Math.floor(v / 4294967296) | 0;
  h = Math.imul(h ^ lo, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h ^ hi, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function sessionHash(id: number, timeoutMs: number): number {
  const h1 = mixNum(mixNum(0x51ed270b, id), timeoutMs);
  const h2 = mixNum(h1, 0x2545f491);
  return (h1 >>> 0) * 1048576 + (h2 >>> 12);
}
