import { crc32 } from 'node:zlib';
import type { Txn, Zxid } from '../protocol/txn.js';
import { Reader, Writer, decodeTxn, writeTxn } from '../core/tree/codec.js';

/**
 * Write-ahead log segment format (little-endian):
 *
 *   segment = header | record*
 *   header  = u32 magic "CVWL" | u32 version 1 | f64 base   (base = the last zxid logged before this segment)
 *   record  = u32 length | u32 crc32(payload) | payload      (length = payload bytes, ≤ recordBytesMax)
 *   payload = txn (src/core/tree/codec.ts; its first 8 bytes are the f64 zxid)
 *
 * Segments are named `log/<16 hex digits of the first record's zxid>` so names sort in log order. A segment is
 * rolled when it would pass `segmentBytesMax`; the old one is fsynced before the new one gets data, so only the
 * LAST segment can have a torn tail.
 *
 * Scanning a segment: a record cut short by the end of the file (torn append), a zero-filled tail, or a CRC
 * mismatch in the file's very last record is a torn/corrupt TAIL: the scan stops there and the caller truncates.
 * A bad record with more bytes after it is corruption in the MIDDLE: `CorruptLogError`, never skipped.
 */

export const walMagic = 0x4c575643; // "CVWL"
export const walVersion = 1;
export const segmentHeaderBytes = 16;
export const recordHeaderBytes = 8;
/** One logged txn may not exceed this (above every client write bound, e.g. `keyspaceWriteBytesMax`, with its encoding). */
export const recordBytesMax = 64 << 20;

export class CorruptLogError extends Error {
  constructor(msg: string) {
    super(msg);
    this.name = 'CorruptLogError';
  }
}

export function segmentName(firstZxid: Zxid): string {
  return firstZxid.toString(16).padStart(16, '0');
}

export function segmentHeader(base: Zxid): Uint8Array {
  const w = new Writer(segmentHeaderBytes);
  w.u32(walMagic);
  w.u32(walVersion);
  w.f64(base);
  return w.view().slice();
}

/** Append one txn as a record to the writer; returns the record's size in bytes. */
export function writeRecord(w: Writer, t: Txn): number {
  const start = w.pos;
  w.u32(0);
  w.u32(0);
  writeTxn(w, t);
  const len = w.pos - start - recordHeaderBytes;
  if (len > recordBytesMax) {
    w.pos = start;
    throw new RangeError(`txn ${t.zxid} of ${len} bytes exceeds recordBytesMax`);
  }
  const payload = w.buf.subarray(start + recordHeaderBytes, w.pos);
  w.buf.writeUInt32LE(len, start);
  w.buf.writeUInt32LE(crc32(payload), start + 4);
  return w.pos - start;
}

/** Encode txns as records into one buffer (one append per batch). */
export function encodeRecords(txns: readonly Txn[], w: Writer = new Writer(256 * Math.max(1, txns.length))): Uint8Array {
  w.reset();
  for (const t of txns) writeRecord(w, t);
  return w.view().slice();
}

export interface ScannedRecord {
  readonly zxid: Zxid;
  /** Byte offset of the record in its segment. */
  readonly offset: number;
  readonly end: number;
}

export interface SegmentScan {
  readonly base: Zxid;
  readonly records: ScannedRecord[];
  readonly txns: Txn[] | null;
  /** Bytes that are valid (header + whole records). */
  readonly validBytes: number;
  /** True if a torn/corrupt tail follows validBytes (caller truncates if this is the last segment). */
  readonly tornTail: boolean;
}

function allZero(b: Uint8Array, from: number): boolean {
  for (let i = from; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/**
 * Parse one segment. `decode` false only walks the records (offsets, zxids) without building txns; with
 * `decodeAfter` only records above that zxid are decoded (all are CRC-checked).
 * Throws CorruptLogError on a bad header or corruption in the middle.
 */
export function scanSegment(name: string, bytes: Uint8Array, decode: boolean, decodeAfter: Zxid = -Infinity): SegmentScan {
  if (bytes.length < segmentHeaderBytes) {
    return { base: -1, records: [], txns: decode ? [] : null, validBytes: 0, tornTail: bytes.length > 0 || true };
  }
  const r = new Reader(bytes);
  if (r.u32() !== walMagic) throw new CorruptLogError(`${name}: bad segment magic`);
  const v = r.u32();
  if (v !== walVersion) throw new CorruptLogError(`${name}: segment version ${v}`);
  const base = r.f64();
  const records: ScannedRecord[] = [];
  const txns: Txn[] | null = decode ? [] : null;
  const buf = r.buf;
  let o = segmentHeaderBytes;
  let last = base;
  while (o < bytes.length) {
    if (o + recordHeaderBytes > bytes.length) return { base, records, txns, validBytes: o, tornTail: true };
    const len = buf.readUInt32LE(o);
    if (len === 0 && allZero(bytes, o)) return { base, records, txns, validBytes: o, tornTail: true };
    if (len < 8 || len > recordBytesMax) {
      if (o + recordHeaderBytes + len > bytes.length) return { base, records, txns, validBytes: o, tornTail: true };
      throw new CorruptLogError(`${name}: bad record length ${len} at ${o}`);
    }
    const end = o + recordHeaderBytes + len;
    if (end > bytes.length) return { base, records, txns, validBytes: o, tornTail: true };
    const crc = buf.readUInt32LE(o + 4);
    const payload = bytes.subarray(o + recordHeaderBytes, end);
    if (crc32(payload) !== crc) {
      if (end === bytes.length) return { base, records, txns, validBytes: o, tornTail: true };
      throw new CorruptLogError(`${name}: CRC mismatch at offset ${o} with ${bytes.length - end} bytes after it`);
    }
    const zxid = buf.readDoubleLE(o + recordHeaderBytes);
    if (!(zxid > last)) throw new CorruptLogError(`${name}: zxid ${zxid} at ${o} not after ${last}`);
    last = zxid;
    if (txns !== null && zxid > decodeAfter) {
      try {
        txns.push(decodeTxn(payload));
      } catch (e) {
        throw new CorruptLogError(`${name}: record at ${o} passes CRC but does not decode: ${(e as Error).message}`);
      }
    }
    records.push({ zxid, offset: o, end });
    o = end;
  }
  return { base, records, txns, validBytes: o, tornTail: false };
}
