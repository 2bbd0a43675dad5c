/**
 * Incremental RESP request decoder: multibulk (`*n` of `$len` bulk strings) and inline commands, parsed as Redis
 * 7.0's processMultibulkBuffer / processInlineBuffer do (src/networking.c), with the same protocol-error texts.
 *
 * - `push(chunk)` adds bytes; `next()` returns one command, one protocol error (after which the decoder is dead
 *   and the connection must be closed once the error is written), or undefined when more bytes are needed. The
 *   caller pulls one command at a time, so state set by a command (authentication) applies to the next one.
 * - Chunks are kept in a list while a line or a bulk string is incomplete and joined once, when it is complete:
 *   every byte is copied at most once into the buffer being parsed, whatever the split.
 * - Arguments smaller than {@link argViewBytesMin} are copied out (a small value kept by the keyspace never pins a
 *   whole socket chunk); larger ones are views into the joined buffer.
 * - As Redis: a line (inline command or `*`/`$` header) is searched up to the first NUL byte (strchr), a header
 *   line needs one byte after its `\r`, and the two bytes after a bulk string are skipped unchecked.
 */
import type { Argv } from '../../protocol/resp.js';

/** PROTO_INLINE_MAX_SIZE: an inline command or a `*`/`$` header line longer than this is a protocol error. */
export const inlineBytesMax = 64 * 1024;
/** proto-max-bulk-len default (512 MB). */
export const protoMaxBulkLenDefault = 512 * 1024 * 1024;
/** A multibulk count above INT_MAX is `invalid multibulk length`. */
export const multibulkLengthMax = 2 ** 31 - 1;
/** Before authentication: at most this many arguments (`unauthenticated multibulk length`). */
export const unauthenticatedArgsMax = 10;
/** Before authentication: bulk strings at most this long (`unauthenticated bulk length`). */
export const unauthenticatedBulkBytesMax = 16 * 1024;
/** Arguments at least this long are views into the parse buffer instead of copies. */
export const argViewBytesMin = 16 * 1024;

export type Decoded =
  | { readonly kind: 'command'; readonly argv: Argv }
  /** `text` is the reply line after '-' (e.g. `ERR Protocol error: invalid bulk length`). */
  | { readonly kind: 'error'; readonly text: string };

export interface DecoderOptions {
  /** proto-max-bulk-len, read at each bulk header (so CONFIG SET applies at once). */
  readonly protoMaxBulkLen?: () => number;
}

const CR = 13;
const LF = 10;
const NONE = 0;
const INLINE = 1;
const MULTIBULK = 2;
const empty = Buffer.alloc(0);

/** Redis's string2ll: strict base-10 signed 64-bit (no '+', no leading zeros, "-0" refused); null when invalid. */
export function string2ll(b: Uint8Array, start: number, end: number): number | bigint | null {
  const len = end - start;
  if (len === 0 || len >= 21) return null;
  if (len === 1 && b[start] === 48) return 0;
  let p = start;
  const negative = b[p] === 45;
  if (negative && ++p === end) return null;
  if (b[p]! < 49 || b[p]! > 57) return null;
  for (let i = p + 1; i < end; i++) if (b[i]! < 48 || b[i]! > 57) return null;
  const digits = end - p;
  if (digits < 16) {
    let v = 0;
    for (let i = p; i < end; i++) v = v * 10 + (b[i]! - 48);
    return negative ? -v : v;
  }
  let v = 0n;
  for (let i = p; i < end; i++) v = v * 10n + BigInt(b[i]! - 48);
  if (negative) v = -v;
  if (v > 9223372036854775807n || v < -9223372036854775808n) return null;
  return v;
}

const isSpace = (c: number | undefined): boolean => c === 32 || (c !== undefined && c >= 9 && c <= 13);
const isHex = (c: number | undefined): boolean => c !== undefined && ((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102));
const hexVal = (c: number): number => (c <= 57 ? c - 48 : (c | 0x20) - 87);

/**
 * Redis's sdssplitargs on one inline line (no NUL inside): blanks separate arguments; "double quotes" take
 * `\xHH`, `\n`, `\r`, `\t`, `\b`, `\a` and `\<c>` escapes; 'single quotes' take `\'`; a closing quote must be followed
 * by a blank or the end. Null when quotes are unbalanced.
 */
export function splitArgs(line: Uint8Array): Uint8Array[] | null {
  const out: Uint8Array[] = [];
  const n = line.length;
  let p = 0;
  const cur: number[] = [];
  for (;;) {
    while (p < n && isSpace(line[p])) p++;
    if (p >= n) return out;
    let inq = false;
    let insq = false;
    cur.length = 0;
    for (let done = false; !done; ) {
      const c = line[p];
      if (inq) {
        if (c === 92 && line[p + 1] === 120 && isHex(line[p + 2]) && isHex(line[p + 3])) {
          cur.push(hexVal(line[p + 2]!) * 16 + hexVal(line[p + 3]!));
          p += 3;
        } else if (c === 92 && p + 1 < n) {
          p++;
          const e = line[p]!;
          cur.push(e === 110 ? 10 : e === 114 ? 13 : e === 116 ? 9 : e === 98 ? 8 : e === 97 ? 7 : e);
        } else if (c === 34) {
          if (p + 1 < n && !isSpace(line[p + 1])) return null;
          done = true;
        } else if (c === undefined) return null;
        else cur.push(c);
      } else if (insq) {
        if (c === 92 && line[p + 1] === 39) {
          p++;
          cur.push(39);
        } else if (c === 39) {
          if (p + 1 < n && !isSpace(line[p + 1])) return null;
          done = true;
        } else if (c === undefined) return null;
        else cur.push(c);
      } else if (c === undefined || c === 32 || c === 10 || c === 13 || c === 9) done = true;
      else if (c === 34) inq = true;
      else if (c === 39) insq = true;
      else cur.push(c);
      if (p < n) p++;
    }
    out.push(Buffer.from(cur));
  }
}

/** Index of `byte` at or after `from` as C's strchr finds it (a NUL before it hides it), or -1. */
function strchr(b: Buffer, from: number, byte: number): number {
  const i = b.indexOf(byte, from);
  if (i < 0) return -1;
  return i - from > 0 && b.subarray(from, i).indexOf(0) >= 0 ? -1 : i;
}

export class RespRequestDecoder {
  /** Set by the connection: while true, the unauthenticated bounds apply to the next headers parsed. */
  authRequired = false;
  private readonly protoMaxBulkLen: () => number;
  private buf: Buffer = empty;
  private pos = 0;
  /** Chunks received while the frame at `pos` is incomplete, joined once it can be parsed. */
  private parts: Buffer[] = [];
  private partsBytes = 0;
  /** What the frame at `pos` waits for: a byte (line end) in the parts, or a number of bytes from `pos`. */
  private waitByte = -1;
  private waitBytes = 0;
  private scannedParts = 0;
  private lineBlocked = false;
  private reqType = NONE;
  private multibulkLeft = 0;
  private bulkLen = -1;
  private argv: Uint8Array[] = [];
  private argvBytes = 0;
  private failed = false;

  constructor(opts: DecoderOptions = {}) {
    this.protoMaxBulkLen = opts.protoMaxBulkLen ?? (() => protoMaxBulkLenDefault);
  }

  /** Bytes held: unparsed input plus the arguments of an incomplete command (Redis's query buffer). */
  get bufferedBytes(): number {
    return this.buf.length - this.pos + this.partsBytes + this.argvBytes;
  }

  push(chunk: Uint8Array): void {
    if (this.failed || chunk.length === 0) return;
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    if (this.pos >= this.buf.length && this.parts.length === 0) {
      this.buf = b;
      this.pos = 0;
    } else {
      this.parts.push(b);
      this.partsBytes += b.length;
    }
  }

  /** The next command or protocol error; undefined until more bytes arrive. */
  next(): Decoded | undefined {
    if (this.failed) return undefined;
    if (this.parts.length > 0 && !this.joinIfReady()) return this.waitError();
    for (;;) {
      if (this.pos >= this.buf.length) {
        if (this.parts.length === 0) return undefined;
        this.join();
      }
      if (this.reqType === NONE) this.reqType = this.buf[this.pos] === 42 ? MULTIBULK : INLINE;
      const r = this.reqType === INLINE ? this.inline() : this.multibulk();
      if (r === null) continue; // an empty command: nothing to answer
      if (r === undefined) return this.parts.length > 0 && this.joinIfReady() ? this.next() : this.waitError();
      return r;
    }
  }

  private fail(text: string): Decoded {
    this.failed = true;
    this.buf = empty;
    this.pos = 0;
    this.parts = [];
    this.partsBytes = 0;
    this.argv = [];
    this.argvBytes = 0;
    return { kind: 'error', text: `ERR Protocol error: ${text}` };
  }

  /** Waiting for a line end: Redis's "too big" errors once more than inlineBytesMax bytes wait without one. */
  private waitError(): Decoded | undefined {
    if (this.waitByte < 0 || this.buf.length - this.pos + this.partsBytes <= inlineBytesMax) return undefined;
    if (this.reqType === INLINE) return this.fail('too big inline request');
    return this.fail(this.multibulkLeft === 0 ? 'too big mbulk count string' : 'too big bulk count string');
  }

  private waitLine(byte: number): undefined {
    this.waitByte = byte;
    this.waitBytes = 0;
    return undefined;
  }

  private waitFor(bytes: number): undefined {
    this.waitByte = -1;
    this.waitBytes = bytes;
    return undefined;
  }

  /** Joins the parts into the parse buffer once what the frame waits for has arrived. */
  private joinIfReady(): boolean {
    if (this.waitByte >= 0) {
      if (this.lineBlocked) return false;
      for (; this.scannedParts < this.parts.length; this.scannedParts++) {
        const p = this.parts[this.scannedParts]!;
        const i = p.indexOf(this.waitByte);
        const nul = p.indexOf(0);
        if (nul >= 0 && (i < 0 || nul < i)) {
          this.lineBlocked = true;
          return false;
        }
        if (i >= 0) {
          this.join();
          return true;
        }
      }
      return false;
    }
    if (this.buf.length - this.pos + this.partsBytes < this.waitBytes) return false;
    this.join();
    return true;
  }

  private join(): void {
    this.buf = this.pos >= this.buf.length ? (this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.partsBytes)) : Buffer.concat([this.buf.subarray(this.pos), ...this.parts]);
    this.pos = 0;
    this.parts = [];
    this.partsBytes = 0;
    this.scannedParts = 0;
    this.lineBlocked = false;
    this.waitByte = -1;
    this.waitBytes = 0;
  }

  /** A command, null for an empty one, undefined when incomplete (or a protocol error). */
  private inline(): Decoded | null | undefined {
    const b = this.buf;
    const nl = strchr(b, this.pos, LF);
    if (nl < 0) {
      if (b.indexOf(0, this.pos) >= 0) this.lineBlocked = true;
      return this.waitLine(LF);
    }
    const end = nl > this.pos && b[nl - 1] === CR ? nl - 1 : nl;
    const args = splitArgs(b.subarray(this.pos, end));
    this.pos = nl + 1;
    this.reqType = NONE;
    if (args === null) return this.fail('unbalanced quotes in request');
    return args.length === 0 ? null : { kind: 'command', argv: args };
  }

  /** The header line at pos (its `\r` index), -2 when incomplete. */
  private headerEnd(): number {
    const cr = strchr(this.buf, this.pos, CR);
    if (cr < 0) {
      if (this.buf.indexOf(0, this.pos) >= 0) this.lineBlocked = true;
      this.waitLine(CR);
      return -2;
    }
    if (cr + 1 >= this.buf.length) {
      this.waitFor(cr + 2 - this.pos);
      return -2;
    }
    return cr;
  }

  private multibulk(): Decoded | null | undefined {
    const b = this.buf;
    if (this.multibulkLeft === 0) {
      const cr = this.headerEnd();
      if (cr === -2) return undefined;
      const ll = string2ll(b, this.pos + 1, cr);
      if (ll === null || ll > multibulkLengthMax) return this.fail('invalid multibulk length');
      if (ll > unauthenticatedArgsMax && this.authRequired) return this.fail('unauthenticated multibulk length');
      this.pos = cr + 2;
      if (ll <= 0) {
        this.reqType = NONE;
        return null;
      }
      this.multibulkLeft = Number(ll);
    }
    while (this.multibulkLeft > 0) {
      if (this.bulkLen < 0) {
        const cr = this.headerEnd();
        if (cr === -2) return undefined;
        if (b[this.pos] !== 36) return this.fail(`expected '$', got '${String.fromCharCode(b[this.pos] === CR || b[this.pos] === LF ? 32 : b[this.pos]!)}'`);
        const ll = string2ll(b, this.pos + 1, cr);
        if (ll === null || ll < 0 || ll > this.protoMaxBulkLen()) return this.fail('invalid bulk length');
        if (ll > unauthenticatedBulkBytesMax && this.authRequired) return this.fail('unauthenticated bulk length');
        this.pos = cr + 2;
        this.bulkLen = Number(ll);
      }
      if (this.buf.length - this.pos < this.bulkLen + 2) return this.waitFor(this.bulkLen + 2);
      const arg = this.bulkLen >= argViewBytesMin ? b.subarray(this.pos, this.pos + this.bulkLen) : Buffer.from(b.subarray(this.pos, this.pos + this.bulkLen));
      this.argv.push(arg);
      this.argvBytes += arg.length;
      this.pos += this.bulkLen + 2;
      this.bulkLen = -1;
      this.multibulkLeft--;
    }
    const argv = this.argv;
    this.argv = [];
    this.argvBytes = 0;
    this.reqType = NONE;
    return { kind: 'command', argv };
  }
}
