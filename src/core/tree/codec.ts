import type { Acl, ErrCode, Id, Txn, TxnBody, TxnOp, WriteOpRequest, WriteRequest } from '../../protocol/txn.js';
import type { KeyspaceTxn, RedisBatchItem, WatchedKey } from '../../protocol/keyspace.js';
import { assertNever } from '../never.js';
import { DataTree, bytesToLatin1, chunkSlotsMax, kindCode, kindOfCode, sessionSecretBytesMax, type ChangeHook } from './tree.js';

/**
 * Binary codecs (little-endian, no JSON):
 *
 * Txn = f64 zxid | f64 sessionId | i32 cxid | f64 timeMs | body
 * body = u8 tag | fields:
 *   1 Create      str path | data | acl | u8 kind | f64 ephemeralOwner | f64 ttlMs | i32 parentCversion
 *   2 Delete      str path
 *   3 SetData     str path | data | i32 version
 *   4 SetACL      str path | acl | i32 version
 *   5 Check       str path
 *   6 Error       i32 err
 *   7 Multi       u32 n | n × body (tags 1..6)
 *   8 CreateSession  u32 timeoutMs
 *   9 CloseSession   –
 *  10 DeleteContainer str path
 *  11 Request        request | u8 flags (1 superUser, 2 saslScheme) | u32 n | n × (str scheme | str id)   (a client's write, unprepared)
 *  12 RequestFrom    u32 origin server | the same as Request   (older logs: read with origin reqId 0)
 *  13 CreateSessionOwned  u32 timeoutMs | u32 owner
 *  14 MoveSession    u32 owner
 *  15 Keyspace       u8 version 1 | u32 origin server | f64 origin reqId | u8 kind | kind's fields:
 *       1 RedisCommands  u8 db | f64 timeMs | u8 exec | u32 n | n × argv | u32 w | w × (u8 db | bytes key | f64 revision)
 *       2 RedisExpire    f64 timeMs | u32 n | n × (u8 db | bytes key)
 *       3 RedisBatch     f64 timeMs | bytes items, items = u32 n | n × (u8 db | u8 exec | u32 n | n × argv | u32 w | w × watched)
 *     argv = u32 argc | argc × bytes
 *  16 RequestOrigin  u32 origin server | f64 origin reqId | the same as Request
 *  17 SessionSecret  bytes secret (1..sessionSecretBytesMax)
 * str/bytes = u32 length + bytes (str UTF-8); data = bytes, or u32 0xffffffff for null data (older files have no
 * null data, so they read unchanged); acl = u32 n | n × (i32 perms | str scheme | str id)
 * New kinds take new tags (a changed layout of a kind: a new version byte); an unknown tag or version is a decode error.
 *
 * Snapshot = header | sessions | acls | nodes | end, written in chunks of at most `snapshotChunkBytesMax`:
 *   header   u32 magic "CVSN" | u32 version 3 | f64 lastZxid | f64 nodeCount | f64 digest
 *   sessions u32 n | n × (f64 id | f64 timeoutMs | f64 owner, -1: none) | data sessionSecret (null: none)
 *            (version 1: no owner; versions 1 and 2: no secret)
 *   acls     u32 n | n × (u32 id | acl)
 *   nodes    nodeCount × (u32 slot | i32 parentSlot | str path | data | f64 czxid mzxid pzxid ctime mtime
 *            owner | i32 version cversion aversion aclId | u8 kind), in any order (an incremental capture writes
 *            pre-images out of order); restore links children through the parent slots after reading them all
 *   end      u32 "CVEN"
 * Integrity (CRC) is the storage layer's job (it wraps the file).
 */

export const snapshotChunkBytesMax = 1 << 20;
export const snapshotMagic = 0x4e535643; // "CVSN" little-endian
export const snapshotEndMagic = 0x4e455643; // "CVEN"
export const snapshotVersion = 3;
/** Older snapshot versions this code still restores. */
const snapshotVersionsRead = new Set([1, 2, 3]);
/** A snapshot naming a slot beyond this is corrupt (the tree would need more memory than any node has). */
export const snapshotSlotsMax = 1 << 28;
/** A single string/bytes field in a txn or snapshot may not exceed this (ZooKeeper's jute.maxbuffer is ~1 MiB). */
export const fieldBytesMax = 64 << 20;
/** The length prefix of a null data field (ZooKeeper's length -1); older files never hold it (> fieldBytesMax). */
const nullLength = 0xffffffff;

export class DecodeError extends Error {
  constructor(msg: string) {
    super(msg);
    this.name = 'DecodeError';
  }
}

export class Writer {
  buf: Buffer;
  private dv: DataView;
  pos = 0;
  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
    this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const nb = Buffer.allocUnsafe(size);
    this.buf.copy(nb, 0, 0, this.pos);
    this.buf = nb;
    this.dv = new DataView(nb.buffer, nb.byteOffset, nb.byteLength);
  }
  u8(v: number): void {
    this.room(1);
    this.buf[this.pos++] = v;
  }
  u32(v: number): void {
    this.room(4);
    this.dv.setUint32(this.pos, v >>> 0, true);
    this.pos += 4;
  }
  i32(v: number): void {
    this.room(4);
    this.dv.setInt32(this.pos, v | 0, true);
    this.pos += 4;
  }
  f64(v: number): void {
    this.room(8);
    this.dv.setFloat64(this.pos, v, true);
    this.pos += 8;
  }
  str(s: string): void {
    const max = s.length * 3;
    this.room(4 + max);
    const n = this.buf.write(s, this.pos + 4, 'utf8');
    this.buf.writeUInt32LE(n, this.pos);
    this.pos += 4 + n;
  }
  latin1(s: string): void {
    this.room(4 + s.length);
    this.buf.writeUInt32LE(s.length, this.pos);
    this.buf.write(s, this.pos + 4, 'latin1');
    this.pos += 4 + s.length;
  }
  /** Bytes or null (null is the length `nullLength`, which no field reaches). */
  nullableBytes(b: Uint8Array | null): void {
    if (b === null) this.u32(nullLength);
    else this.bytes(b);
  }
  nullableLatin1(s: string | null): void {
    if (s === null) this.u32(nullLength);
    else this.latin1(s);
  }
  bytes(b: Uint8Array): void {
    this.room(4 + b.length);
    this.buf.writeUInt32LE(b.length, this.pos);
    this.buf.set(b, this.pos + 4);
    this.pos += 4 + b.length;
  }
  /** Raw bytes, no length prefix. */
  bytesRaw(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  /** The bytes written so far (a view; copy before reusing the writer). */
  view(): Uint8Array {
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.pos);
  }
  reset(): void {
    this.pos = 0;
  }
}

/** Node's Buffer slice methods (what toString calls after argument checks). */
interface FastSlice {
  utf8Slice(start: number, end: number): string;
  latin1Slice(start: number, end: number): string;
}

export class Reader {
  readonly buf: Buffer;
  private readonly dv: DataView;
  pos: number;
  readonly end: number;
  constructor(b: Uint8Array, start = 0, end = b.length) {
    this.buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    this.pos = start;
    this.end = end;
  }
  private need(n: number): void {
    if (this.pos + n > this.end) throw new DecodeError(`truncated at ${this.pos} (+${n} > ${this.end})`);
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u32(): number {
    this.need(4);
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.dv.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  f64(): number {
    this.need(8);
    const v = this.dv.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
  private len(): number {
    const n = this.u32();
    if (n > fieldBytesMax) throw new DecodeError(`field of ${n} bytes exceeds fieldBytesMax`);
    this.need(n);
    return n;
  }
  str(): string {
    const n = this.len();
    const s = (this.buf as unknown as FastSlice).utf8Slice(this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  latin1(): string {
    const n = this.len();
    const s = n === 0 ? '' : (this.buf as unknown as FastSlice).latin1Slice(this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  /** A field written by `Writer.nullableBytes`: null when its length is `nullLength`. */
  nullableBytes(): Uint8Array | null {
    if (this.peekNull()) return null;
    return this.bytes();
  }
  nullableLatin1(): string | null {
    if (this.peekNull()) return null;
    return this.latin1();
  }
  private peekNull(): boolean {
    this.need(4);
    if (this.dv.getUint32(this.pos, true) !== nullLength) return false;
    this.pos += 4;
    return true;
  }
  bytes(): Uint8Array {
    const n = this.len();
    const out = new Uint8Array(n);
    out.set(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }
}

// -------------------------------------------------------------------------------------------------------------
// Txn
// -------------------------------------------------------------------------------------------------------------
const enum Tag {
  Create = 1,
  Delete = 2,
  SetData = 3,
  SetACL = 4,
  Check = 5,
  Error = 6,
  Multi = 7,
  CreateSession = 8,
  CloseSession = 9,
  DeleteContainer = 10,
  Request = 11,
  RequestFrom = 12,
  CreateSessionOwned = 13,
  MoveSession = 14,
  Keyspace = 15,
  RequestOrigin = 16,
  SessionSecret = 17,
}

const keyspaceTxnVersion = 1;
const enum KeyspaceTag {
  Commands = 1,
  Expire = 2,
  Batch = 3,
}
/** Commands in one keyspace txn (an EXEC block), arguments of one command, keys of one expiry or WATCH: at most. */
export const keyspaceTxnItemsMax = 1_000_000;

function count(r: Reader, what: string): number {
  const n = r.u32();
  if (n > keyspaceTxnItemsMax) throw new DecodeError(`${what}: ${n} beyond ${keyspaceTxnItemsMax}`);
  return n;
}

/** exec, commands and watched keys of a `RedisCommands` txn or a batch item. */
function writeCommands(w: Writer, t: Pick<RedisBatchItem, 'exec' | 'commands' | 'watched'>): void {
  w.u8(t.exec ? 1 : 0);
  w.u32(t.commands.length);
  for (const argv of t.commands) {
    w.u32(argv.length);
    for (const a of argv) w.bytes(a);
  }
  w.u32(t.watched.length);
  for (const k of t.watched) {
    w.u8(k.db);
    w.bytes(k.key);
    w.f64(k.revision);
  }
}

function readCommands(r: Reader): Pick<RedisBatchItem, 'exec' | 'commands' | 'watched'> {
  const exec = r.u8() === 1;
  const commands: Uint8Array[][] = [];
  for (let i = count(r, 'commands'); i > 0; i--) {
    const argv: Uint8Array[] = [];
    for (let j = count(r, 'arguments'); j > 0; j--) argv.push(r.bytes());
    commands.push(argv);
  }
  const watched: WatchedKey[] = [];
  for (let i = count(r, 'watched keys'); i > 0; i--) watched.push({ db: r.u8(), key: r.bytes(), revision: r.f64() });
  return { commands, exec, watched };
}

/** A `RedisBatch`'s items as its byte string (an empty batch is 4 bytes). */
export function encodeBatchItems(items: readonly RedisBatchItem[]): Uint8Array {
  const w = new Writer(64 * items.length + 16);
  w.u32(items.length);
  for (const it of items) {
    w.u8(it.db);
    writeCommands(w, it);
  }
  return w.view().slice();
}

/** How many items a `RedisBatch` items byte string holds. */
export function batchItemsCount(bytes: Uint8Array): number {
  return new Reader(bytes).u32();
}

/** Several items byte strings (each as `encodeBatchItems` made it) as one, their items in order. */
export function joinBatchItems(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let n = 0;
  let len = 4;
  for (const p of parts) {
    n += batchItemsCount(p);
    len += p.length - 4;
  }
  const w = new Writer(len);
  w.u32(n);
  for (const p of parts) w.bytesRaw(p.subarray(4));
  return w.view().slice();
}

/** The items of a `RedisBatch` (arguments copied out: a value the keyspace keeps never pins the batch's bytes). */
export function decodeBatchItems(bytes: Uint8Array): RedisBatchItem[] {
  const r = new Reader(bytes);
  const items: RedisBatchItem[] = [];
  for (let i = count(r, 'batch items'); i > 0; i--) {
    const db = r.u8();
    items.push({ db, ...readCommands(r) });
  }
  if (r.pos !== r.end) throw new DecodeError(`batch items: ${r.end - r.pos} bytes left over`);
  return items;
}

function writeKeyspaceTxn(w: Writer, t: KeyspaceTxn): void {
  switch (t.type) {
    case 'RedisCommands':
      w.u8(KeyspaceTag.Commands);
      w.u8(t.db);
      w.f64(t.timeMs);
      writeCommands(w, t);
      return;
    case 'RedisBatch':
      w.u8(KeyspaceTag.Batch);
      w.f64(t.timeMs);
      w.bytes(t.items);
      return;
    case 'RedisExpire':
      w.u8(KeyspaceTag.Expire);
      w.f64(t.timeMs);
      w.u32(t.keys.length);
      for (const k of t.keys) {
        w.u8(k.db);
        w.bytes(k.key);
      }
      return;
    default:
      assertNever(t);
  }
}

function readKeyspaceTxn(r: Reader): KeyspaceTxn {
  const tag = r.u8();
  switch (tag) {
    case KeyspaceTag.Commands: {
      const db = r.u8();
      const timeMs = r.f64();
      return { type: 'RedisCommands', db, timeMs, ...readCommands(r) };
    }
    case KeyspaceTag.Batch:
      return { type: 'RedisBatch', timeMs: r.f64(), items: r.bytes() };
    case KeyspaceTag.Expire: {
      const timeMs = r.f64();
      const keys: { db: number; key: Uint8Array }[] = [];
      for (let i = count(r, 'expired keys'); i > 0; i--) keys.push({ db: r.u8(), key: r.bytes() });
      return { type: 'RedisExpire', timeMs, keys };
    }
    default:
      throw new DecodeError(`unknown keyspace txn kind ${tag}`);
  }
}

/** Request kinds inside a Request record (a client's write, prepared at apply time). */
const enum ReqTag {
  Create = 1,
  Delete = 2,
  SetData = 3,
  SetACL = 4,
  Check = 5,
  Multi = 6,
  CreateSession = 7,
  CloseSession = 8,
  DeleteContainer = 9,
  MoveSession = 10,
  SessionSecret = 11,
}

function writeRequest(w: Writer, q: WriteRequest): void {
  switch (q.type) {
    case 'Create':
      w.u8(ReqTag.Create);
      w.str(q.path);
      w.nullableBytes(q.data);
      writeAcl(w, q.acl);
      w.u8(q.mode);
      w.f64(q.ttlMs ?? -1);
      return;
    case 'Delete':
      w.u8(ReqTag.Delete);
      w.str(q.path);
      w.i32(q.version);
      return;
    case 'SetData':
      w.u8(ReqTag.SetData);
      w.str(q.path);
      w.nullableBytes(q.data);
      w.i32(q.version);
      return;
    case 'SetACL':
      w.u8(ReqTag.SetACL);
      w.str(q.path);
      writeAcl(w, q.acl);
      w.i32(q.version);
      return;
    case 'Check':
      w.u8(ReqTag.Check);
      w.str(q.path);
      w.i32(q.version);
      return;
    case 'Multi':
      w.u8(ReqTag.Multi);
      w.u32(q.ops.length);
      for (const op of q.ops) writeRequest(w, op);
      return;
    case 'CreateSession':
      w.u8(ReqTag.CreateSession);
      w.f64(q.sessionId);
      w.u32(q.timeoutMs);
      return;
    case 'CloseSession':
      w.u8(ReqTag.CloseSession);
      return;
    case 'DeleteContainer':
      w.u8(ReqTag.DeleteContainer);
      w.str(q.path);
      return;
    case 'MoveSession':
      w.u8(ReqTag.MoveSession);
      return;
    case 'SessionSecret':
      w.u8(ReqTag.SessionSecret);
      w.bytes(q.secret);
      return;
    default:
      assertNever(q);
  }
}

function readRequest(r: Reader, nested: boolean): WriteRequest {
  const tag = r.u8();
  switch (tag) {
    case ReqTag.Create: {
      const path = r.str();
      const data = r.nullableBytes();
      const acl = readAcl(r);
      const mode = r.u8();
      const ttl = r.f64();
      return ttl >= 0 ? { type: 'Create', path, data, acl, mode, ttlMs: ttl } : { type: 'Create', path, data, acl, mode };
    }
    case ReqTag.Delete:
      return { type: 'Delete', path: r.str(), version: r.i32() };
    case ReqTag.SetData:
      return { type: 'SetData', path: r.str(), data: r.nullableBytes(), version: r.i32() };
    case ReqTag.SetACL:
      return { type: 'SetACL', path: r.str(), acl: readAcl(r), version: r.i32() };
    case ReqTag.Check:
      return { type: 'Check', path: r.str(), version: r.i32() };
    case ReqTag.Multi: {
      if (nested) throw new DecodeError('nested multi request');
      const n = r.u32();
      if (n > multiOpsMax) throw new DecodeError(`multi request of ${n} ops`);
      const ops: WriteOpRequest[] = [];
      for (let i = 0; i < n; i++) {
        const op = readRequest(r, true);
        if (op.type === 'Multi' || op.type === 'CreateSession' || op.type === 'CloseSession' || op.type === 'DeleteContainer' || op.type === 'MoveSession' || op.type === 'SessionSecret') {
          throw new DecodeError(`${op.type} inside a multi request`);
        }
        ops.push(op);
      }
      return { type: 'Multi', ops };
    }
    case ReqTag.CreateSession:
      return { type: 'CreateSession', sessionId: r.f64(), timeoutMs: r.u32() };
    case ReqTag.CloseSession:
      return { type: 'CloseSession' };
    case ReqTag.DeleteContainer:
      return { type: 'DeleteContainer', path: r.str() };
    case ReqTag.MoveSession:
      return { type: 'MoveSession' };
    case ReqTag.SessionSecret:
      return { type: 'SessionSecret', secret: readSecret(r) };
    default:
      throw new DecodeError(`unknown request tag ${tag}`);
  }
}

/** Ids in one request's auth beyond this are a decode error. */
export const authIdsMax = 1024;

function writeAcl(w: Writer, acl: readonly Acl[]): void {
  w.u32(acl.length);
  for (const a of acl) {
    w.i32(a.perms);
    w.str(a.id.scheme);
    w.str(a.id.id);
  }
}

/** ACL lists longer than this in one record are a decode error. */
export const aclEntriesMax = 1024;

function readAcl(r: Reader): Acl[] {
  const n = r.u32();
  if (n > aclEntriesMax) throw new DecodeError(`acl of ${n} entries`);
  const out: Acl[] = [];
  for (let i = 0; i < n; i++) {
    const perms = r.i32();
    const scheme = r.str();
    const id = r.str();
    out.push({ perms, id: { scheme, id } });
  }
  return out;
}

function writeBody(w: Writer, b: TxnBody): void {
  switch (b.type) {
    case 'Create':
      w.u8(Tag.Create);
      w.str(b.path);
      w.nullableBytes(b.data);
      writeAcl(w, b.acl);
      w.u8(kindCode[b.kind]);
      w.f64(b.ephemeralOwner);
      w.f64(b.ttlMs);
      w.i32(b.parentCversion);
      return;
    case 'Delete':
      w.u8(Tag.Delete);
      w.str(b.path);
      return;
    case 'SetData':
      w.u8(Tag.SetData);
      w.str(b.path);
      w.nullableBytes(b.data);
      w.i32(b.version);
      return;
    case 'SetACL':
      w.u8(Tag.SetACL);
      w.str(b.path);
      writeAcl(w, b.acl);
      w.i32(b.version);
      return;
    case 'Check':
      w.u8(Tag.Check);
      w.str(b.path);
      return;
    case 'Error':
      w.u8(Tag.Error);
      w.i32(b.err);
      return;
    case 'Multi':
      w.u8(Tag.Multi);
      w.u32(b.ops.length);
      for (const op of b.ops) writeBody(w, op);
      return;
    case 'CreateSession':
      if (b.owner === undefined) {
        w.u8(Tag.CreateSession);
        w.u32(b.timeoutMs);
      } else {
        w.u8(Tag.CreateSessionOwned);
        w.u32(b.timeoutMs);
        w.u32(b.owner);
      }
      return;
    case 'MoveSession':
      w.u8(Tag.MoveSession);
      w.u32(b.owner);
      return;
    case 'CloseSession':
      w.u8(Tag.CloseSession);
      return;
    case 'DeleteContainer':
      w.u8(Tag.DeleteContainer);
      w.str(b.path);
      return;
    case 'SessionSecret':
      w.u8(Tag.SessionSecret);
      w.bytes(b.secret);
      return;
    case 'Request': {
      if (b.origin === undefined) w.u8(Tag.Request);
      else {
        w.u8(Tag.RequestOrigin);
        w.u32(b.origin.server);
        w.f64(b.origin.reqId);
      }
      writeRequest(w, b.request);
      const ids = b.auth?.ids ?? [];
      w.u8((b.auth?.superUser === true ? 1 : 0) | (b.auth?.saslScheme === true ? 2 : 0));
      w.u32(ids.length);
      for (const id of ids) {
        w.str(id.scheme);
        w.str(id.id);
      }
      return;
    }
    case 'Keyspace':
      w.u8(Tag.Keyspace);
      w.u8(keyspaceTxnVersion);
      w.u32(b.origin.server);
      w.f64(b.origin.reqId);
      writeKeyspaceTxn(w, b.txn);
      return;
    default:
      assertNever(b);
  }
}

function readSecret(r: Reader): Uint8Array {
  const b = r.bytes();
  if (b.length === 0 || b.length > sessionSecretBytesMax) throw new DecodeError(`session secret of ${b.length} bytes`);
  return b;
}

/** Ops in one multi beyond this are a decode error. */
export const multiOpsMax = 100_000;

function readBody(r: Reader, nested: boolean): TxnBody {
  const tag = r.u8();
  switch (tag) {
    case Tag.Create: {
      const path = r.str();
      const data = r.nullableBytes();
      const acl = readAcl(r);
      const k = r.u8();
      const kind = kindOfCode[k];
      if (kind === undefined) throw new DecodeError(`bad node kind ${k}`);
      return { type: 'Create', path, data, acl, kind, ephemeralOwner: r.f64(), ttlMs: r.f64(), parentCversion: r.i32() };
    }
    case Tag.Delete:
      return { type: 'Delete', path: r.str() };
    case Tag.SetData:
      return { type: 'SetData', path: r.str(), data: r.nullableBytes(), version: r.i32() };
    case Tag.SetACL:
      return { type: 'SetACL', path: r.str(), acl: readAcl(r), version: r.i32() };
    case Tag.Check:
      return { type: 'Check', path: r.str() };
    case Tag.Error:
      return { type: 'Error', err: r.i32() as ErrCode };
    case Tag.Multi: {
      if (nested) throw new DecodeError('nested multi');
      const n = r.u32();
      if (n > multiOpsMax) throw new DecodeError(`multi of ${n} ops`);
      const ops: TxnOp[] = [];
      for (let i = 0; i < n; i++) {
        const op = readBody(r, true);
        if (op.type === 'Multi' || op.type === 'CreateSession' || op.type === 'CloseSession' || op.type === 'DeleteContainer' || op.type === 'Request' || op.type === 'MoveSession' || op.type === 'Keyspace' || op.type === 'SessionSecret') {
          throw new DecodeError(`${op.type} inside multi`);
        }
        ops.push(op);
      }
      return { type: 'Multi', ops };
    }
    case Tag.CreateSession:
      return { type: 'CreateSession', timeoutMs: r.u32() };
    case Tag.CreateSessionOwned:
      return { type: 'CreateSession', timeoutMs: r.u32(), owner: r.u32() };
    case Tag.MoveSession:
      return { type: 'MoveSession', owner: r.u32() };
    case Tag.CloseSession:
      return { type: 'CloseSession' };
    case Tag.DeleteContainer:
      return { type: 'DeleteContainer', path: r.str() };
    case Tag.SessionSecret:
      return { type: 'SessionSecret', secret: readSecret(r) };
    case Tag.Request:
    case Tag.RequestFrom:
    case Tag.RequestOrigin: {
      if (nested) throw new DecodeError('request inside multi');
      const origin =
        tag === Tag.RequestOrigin ? { server: r.u32(), reqId: r.f64() } : tag === Tag.RequestFrom ? { server: r.u32(), reqId: 0 } : undefined;
      const request = readRequest(r, false);
      const flags = r.u8();
      if (flags > 3) throw new DecodeError(`request auth flags ${flags}`);
      const n = r.u32();
      if (n > authIdsMax) throw new DecodeError(`auth of ${n} ids`);
      const ids: Id[] = [];
      for (let i = 0; i < n; i++) ids.push({ scheme: r.str(), id: r.str() });
      const auth = { ids, ...((flags & 1) !== 0 ? { superUser: true } : {}), ...((flags & 2) !== 0 ? { saslScheme: true } : {}) };
      return origin === undefined ? { type: 'Request', request, auth } : { type: 'Request', request, auth, origin };
    }
    case Tag.Keyspace: {
      const v = r.u8();
      if (v !== keyspaceTxnVersion) throw new DecodeError(`keyspace txn version ${v}`);
      const origin = { server: r.u32(), reqId: r.f64() };
      return { type: 'Keyspace', txn: readKeyspaceTxn(r), origin };
    }
    default:
      throw new DecodeError(`unknown txn tag ${tag}`);
  }
}

export function writeTxn(w: Writer, t: Txn): void {
  w.f64(t.zxid);
  w.f64(t.sessionId);
  w.i32(t.cxid);
  w.f64(t.timeMs);
  writeBody(w, t.body);
}

export function encodeTxn(t: Txn): Uint8Array {
  const w = new Writer(128);
  writeTxn(w, t);
  return w.view().slice();
}

export function readTxn(r: Reader): Txn {
  const zxid = r.f64();
  const sessionId = r.f64();
  const cxid = r.i32();
  const timeMs = r.f64();
  return { zxid, sessionId, cxid, timeMs, body: readBody(r, false) };
}

export function decodeTxn(b: Uint8Array): Txn {
  const r = new Reader(b);
  const t = readTxn(r);
  if (r.pos !== r.end) throw new DecodeError(`trailing ${r.end - r.pos} bytes after txn`);
  return t;
}

// -------------------------------------------------------------------------------------------------------------
// Snapshot
// -------------------------------------------------------------------------------------------------------------

function writeNodeRecord(w: Writer, tree: DataTree, path: string, s: number): void {
  const c = tree.chunkOf(s);
  const i = s & (chunkSlotsMax - 1);
  w.u32(s);
  w.i32(c.parent[i]!);
  w.str(path);
  w.nullableLatin1(c.data[i]!);
  w.f64(c.czxid[i]!);
  w.f64(c.mzxid[i]!);
  w.f64(c.pzxid[i]!);
  w.f64(c.ctime[i]!);
  w.f64(c.mtime[i]!);
  w.f64(c.owner[i]!);
  w.i32(c.version[i]!);
  w.i32(c.cversion[i]!);
  w.i32(c.aversion[i]!);
  w.i32(c.acl[i]!);
  w.u8(c.kind[i]!);
}

/** Nodes written per `step` call by default (about 10–20 ms of work). */
export const captureStepNodesMax = 20_000;

/**
 * An incremental, consistent snapshot: the state at the zxid applied when it began, written a slice at a time
 * while txns keep applying (copy-on-write per node). It walks the path index; before the tree changes or deletes
 * a node it has not written yet (and that existed at the start), the tree's hook hands it the node and the
 * capture writes its pre-image first. Nodes created after the start (czxid > zxid) are skipped. Records are thus
 * not in parent-first order; restore links children after reading all nodes.
 */
export class SnapshotCapture implements ChangeHook {
  readonly zxid: number;
  private readonly visited: Uint8Array;
  private readonly iter: IterableIterator<[string, number]>;
  private readonly w = new Writer(snapshotChunkBytesMax + 4096);
  private chunks: Uint8Array[] = [];
  private written = 0;
  private readonly count: number;
  done = false;

  constructor(private readonly tree: DataTree) {
    if (tree.hook !== null) throw new Error('a snapshot capture is already running');
    this.zxid = tree.lastZxid;
    this.count = tree.size;
    this.visited = new Uint8Array(tree.slotEnd);
    this.iter = tree.index.entries();
    writeHeader(this.w, tree);
    tree.hook = this;
  }

  before(path: string, s: number): void {
    if (s >= this.visited.length || this.visited[s] === 1) return;
    if (this.tree.chunkOf(s).czxid[s & (chunkSlotsMax - 1)]! > this.zxid) return;
    this.visited[s] = 1;
    this.emit(path, s);
  }

  private emit(path: string, s: number): void {
    writeNodeRecord(this.w, this.tree, path, s);
    this.written++;
    if (this.w.pos >= snapshotChunkBytesMax) {
      this.chunks.push(this.w.view().slice());
      this.w.reset();
    }
  }

  /** Write up to `maxNodes` more nodes; returns the finished chunks (the last call also ends the snapshot). */
  step(maxNodes = captureStepNodesMax): Uint8Array[] {
    if (this.done) return [];
    let n = 0;
    while (n < maxNodes) {
      const e = this.iter.next();
      if (e.done === true) {
        this.finish();
        break;
      }
      const [path, s] = e.value;
      if (s >= this.visited.length || this.visited[s] === 1) continue;
      if (this.tree.chunkOf(s).czxid[s & (chunkSlotsMax - 1)]! > this.zxid) continue;
      this.visited[s] = 1;
      this.emit(path, s);
      n++;
    }
    const out = this.chunks;
    this.chunks = [];
    return out;
  }

  private finish(): void {
    this.tree.hook = null;
    this.done = true;
    if (this.written !== this.count) throw new Error(`snapshot capture wrote ${this.written} of ${this.count} nodes`);
    this.w.u32(snapshotEndMagic);
    this.chunks.push(this.w.view().slice());
    this.w.reset();
  }

  /** Stop early (the tree was replaced); the output so far is useless. */
  abort(): void {
    if (this.tree.hook === this) this.tree.hook = null;
    this.done = true;
    this.chunks = [];
  }
}

function writeHeader(w: Writer, tree: DataTree): void {
  w.u32(snapshotMagic);
  w.u32(snapshotVersion);
  w.f64(tree.lastZxid);
  w.f64(tree.size);
  w.f64(tree.digest());
  w.u32(tree.sessions.size);
  for (const [id, t] of tree.sessions) {
    w.f64(id);
    w.f64(t);
    w.f64(tree.sessionOwners.get(id) ?? -1);
  }
  w.nullableBytes(tree.sessionSecret);
  const acls = [...tree.acls.entries()];
  w.u32(acls.length);
  for (const [id, acl] of acls) {
    w.u32(id);
    writeAcl(w, acl);
  }
}

/**
 * The whole tree as binary chunks (each ≤ snapshotChunkBytesMax, except one node larger than that), in one go:
 * consistent as long as no txn applies until the generator is exhausted.
 */
export function* snapshotChunks(tree: DataTree): Generator<Uint8Array> {
  const w = new Writer(snapshotChunkBytesMax + 4096);
  writeHeader(w, tree);
  for (const [path, s] of tree.index) {
    writeNodeRecord(w, tree, path, s);
    if (w.pos >= snapshotChunkBytesMax) {
      yield w.view().slice();
      w.reset();
    }
  }
  w.u32(snapshotEndMagic);
  yield w.view().slice();
}

export function snapshotBytes(tree: DataTree): Uint8Array {
  const parts = [...snapshotChunks(tree)];
  return concatBytes(parts);
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Rebuild a tree from snapshot bytes. `verifyDigest` recomputes the digest (O(N) hashing) and compares. */
export function restoreSnapshot(bytes: Uint8Array, opts: { verifyDigest?: boolean } = {}): DataTree {
  return restoreSnapshotPrefix(bytes, opts).tree;
}

/** The tree of a snapshot that other sections may follow (storage's snapshot file), and where the tree's bytes end. */
export function restoreSnapshotPrefix(bytes: Uint8Array, opts: { verifyDigest?: boolean } = {}): { tree: DataTree; end: number } {
  try {
    return restoreUnchecked(bytes, opts);
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    throw new DecodeError(`snapshot does not restore: ${(e as Error).message}`);
  }
}

function restoreUnchecked(bytes: Uint8Array, opts: { verifyDigest?: boolean }): { tree: DataTree; end: number } {
  const r = new Reader(bytes);
  if (r.u32() !== snapshotMagic) throw new DecodeError('not a snapshot (magic)');
  const v = r.u32();
  if (!snapshotVersionsRead.has(v)) throw new DecodeError(`snapshot version ${v}`);
  const lastZxid = r.f64();
  const count = r.f64();
  const digest = r.f64();
  const tree = new DataTree();
  const ns = r.u32();
  for (let i = 0; i < ns; i++) {
    const id = r.f64();
    tree.sessions.set(id, r.f64());
    if (v >= 2) {
      const owner = r.f64();
      if (owner >= 0) tree.sessionOwners.set(id, owner);
    }
  }
  if (v >= 3) {
    const secret = r.nullableBytes();
    if (secret !== null && (secret.length === 0 || secret.length > sessionSecretBytesMax)) throw new DecodeError(`session secret of ${secret.length} bytes`);
    tree.sessionSecret = secret;
  }
  const na = r.u32();
  for (let i = 0; i < na; i++) {
    const id = r.u32();
    tree.acls.install(id, readAcl(r));
  }
  /** Slots in use (parents are checked after all nodes are read: an incremental snapshot is not parent-first). */
  let used = new Uint8Array(1024);
  let slotEnd = 0;
  for (let k = 0; k < count; k++) {
    const slot = r.u32();
    const parentSlot = r.i32();
    if (slot >= used.length) {
      if (slot > snapshotSlotsMax) throw new DecodeError(`slot ${slot} beyond snapshotSlotsMax`);
      let n = used.length;
      while (n <= slot) n *= 2;
      const nu = new Uint8Array(n);
      nu.set(used);
      used = nu;
    }
    if (used[slot] === 1) throw new DecodeError(`slot ${slot} twice`);
    if (parentSlot < -1 || parentSlot > snapshotSlotsMax) throw new DecodeError(`node ${k}: parent slot ${parentSlot}`);
    used[slot] = 1;
    if (slot + 1 > slotEnd) slotEnd = slot + 1;
    const path = r.str();
    const data = r.nullableLatin1();
    const czxid = r.f64();
    const mzxid = r.f64();
    const pzxid = r.f64();
    const ctime = r.f64();
    const mtime = r.f64();
    const owner = r.f64();
    const version = r.i32();
    const cversion = r.i32();
    const aversion = r.i32();
    const aclId = r.i32();
    const kind = r.u8();
    if (kind > 3) throw new DecodeError(`bad node kind ${kind}`);
    tree.restoreNode(slot, parentSlot, path, data, aclId, kind, owner, czxid, mzxid, pzxid, ctime, mtime, version, cversion, aversion);
  }
  if (r.u32() !== snapshotEndMagic) throw new DecodeError('snapshot end marker missing');
  if (used.length < slotEnd) throw new DecodeError('slot table');
  tree.finishRestore(slotEnd, used);
  tree.lastZxid = lastZxid;
  tree.setDigest(digest);
  if (opts.verifyDigest === true) {
    const d = tree.recomputeDigest();
    if (d !== digest) throw new DecodeError(`snapshot digest mismatch ${d} != ${digest}`);
  }
  return { tree, end: r.pos };
}

export { bytesToLatin1 };
