/**
 * Keyspace snapshots: encoded in bounded steps (a generator of chunks, `snapshotKeysPerChunk` keys each) and
 * restored from the concatenated bytes; the digest is checked on restore. The state must not change between the
 * steps of one snapshot (the storage actor runs them between applies, or copies first).
 *
 *   "CVKS" u32 | version u32 | seq f64
 *   limits: 7 × f64 (EncodingLimits in encodingLimitFields order)                                  (version 2 on)
 *   per db: epoch f64 | n u32 | n × (bucket u32, revision f64)          (deletion revisions, non-zero only)
 *   records: 1 u8 | db u8 | key | type tag u8 (valueTags) | flags u8 (1: converted, version 2) | value (encodeValue)
 *            | deadline (latin1 decimal, "" = none) | revision f64
 *   end: 0 u8 | ACL state (version 3: latin1 JSON, acl.ts) | digest f64
 *   then (absent in older snapshots): the remembered `_once` replies (blocking.ts writeOnceReplies)
 * Version 1 (no limits, no flags) restores with the default limits, each collection's encoding as its size gives;
 * versions 1 and 2 (no ACL section) restore with the initial ACL state.
 */
import { DecodeError, Reader, Writer } from '../tree/codec.js';
import { Keyspace } from './keyspace.js';
import { containerOf } from './encoding.js';
import { readOnceReplies, writeOnceReplies } from './blocking.js';
import { databasesCount, decodeValue, deletionBucketsCount, encodeValue, valueTags } from './state.js';
import { toDeadline } from './strings.js';
import { AclUsers, aclOf, setAclOf } from './acl.js';

export const keyspaceSnapshotMagic = 0x534b5643; // "CVKS"
export const keyspaceSnapshotVersion = 3;
const encodingLimitFields = ['hashMaxListpackEntries', 'hashMaxListpackValue', 'setMaxIntsetEntries', 'zsetMaxListpackEntries', 'zsetMaxListpackValue', 'listMaxListpackSize', 'hllSparseMaxBytes'] as const;
export const snapshotKeysPerChunk = 1024;

export function* keyspaceSnapshotChunks(ks: Keyspace): Generator<Uint8Array> {
  const w = new Writer(1 << 16);
  w.u32(keyspaceSnapshotMagic);
  w.u32(keyspaceSnapshotVersion);
  w.f64(ks.seq);
  for (const f of encodingLimitFields) w.f64(ks.limits[f]);
  for (let i = 0; i < databasesCount; i++) {
    w.f64(ks.epoch[i]!);
    const del = ks.deleted[i]!;
    let n = 0;
    for (let b = 0; b < deletionBucketsCount; b++) if (del[b] !== 0) n++;
    w.u32(n);
    for (let b = 0; b < deletionBucketsCount; b++)
      if (del[b] !== 0) {
        w.u32(b);
        w.f64(del[b]!);
      }
  }
  let inChunk = 0;
  for (const db of ks.dbs) {
    for (const [key, e] of db.map) {
      w.u8(1);
      w.u8(db.index);
      w.latin1(key);
      w.u8(valueTags[e.value.type]);
      const box = containerOf(e.value);
      w.u8(box !== null && ks.unpacked.has(box) ? 1 : 0);
      w.bytes(encodeValue(e.value));
      w.latin1(e.expireAt === null ? '' : String(e.expireAt));
      w.f64(e.rev);
      if (++inChunk >= snapshotKeysPerChunk) {
        yield w.view().slice();
        w.reset();
        inChunk = 0;
      }
    }
  }
  w.u8(0);
  w.latin1(aclOf(ks).encode());
  w.f64(ks.digest());
  writeOnceReplies(w, ks.onceReplies);
  yield w.view().slice();
}

export function restoreKeyspace(bytes: Uint8Array): Keyspace {
  const r = new Reader(bytes);
  if (r.u32() !== keyspaceSnapshotMagic) throw new DecodeError('not a keyspace snapshot');
  const version = r.u32();
  if (version < 1 || version > keyspaceSnapshotVersion) throw new DecodeError(`keyspace snapshot version ${version}`);
  const ks = new Keyspace();
  const seq = r.f64();
  if (version >= 2) for (const f of encodingLimitFields) ks.limits[f] = r.f64();
  for (let i = 0; i < databasesCount; i++) {
    ks.epoch[i] = r.f64();
    const n = r.u32();
    if (n > deletionBucketsCount) throw new DecodeError('deletion buckets');
    for (let k = 0; k < n; k++) {
      const b = r.u32();
      if (b >= deletionBucketsCount) throw new DecodeError('deletion bucket');
      ks.deleted[i]![b] = r.f64();
    }
  }
  while (r.u8() === 1) {
    const db = r.u8();
    if (db >= databasesCount) throw new DecodeError(`db ${db}`);
    const key = r.latin1();
    const tag = r.u8();
    const converted = version >= 2 && r.u8() === 1;
    const value = decodeValue(tag, r.bytes());
    if (value === null) throw new DecodeError('value');

    const at = r.latin1();
    if (at !== '' && !/^-?[0-9]+$/.test(at)) throw new DecodeError('deadline');
    const rev = r.f64();
    ks.restoreEntry(ks.dbs[db]!, key, value, at === '' ? null : toDeadline(BigInt(at)), rev);
    // version 2 says where each collection's encoding stands (a version 1 one takes what its size gives)
    const box = containerOf(value);
    if (box !== null && version >= 2) {
      if (converted) ks.unpacked.add(box);
      else ks.unpacked.delete(box);
    }
  }
  ks.seq = seq;
  if (version >= 3) {
    try {
      setAclOf(ks, AclUsers.decode(r.latin1()));
    } catch (e) {
      throw new DecodeError(`ACL state: ${(e as Error).message}`);
    }
  }
  const digest = r.f64();
  const restored = version >= 3 ? ks.digest() : ks.keysDigest();
  if (restored !== digest) throw new DecodeError(`keyspace snapshot digest mismatch ${restored} != ${digest}`);
  if (r.pos < r.end) readOnceReplies(r, ks.onceReplies);
  return ks;
}
