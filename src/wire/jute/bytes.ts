/**
 * jute binary primitives (ZooKeeper's BinaryInputArchive/BinaryOutputArchive layout): big-endian `int` (4 B),
 * `long` (8 B), `boolean` (1 B), `buffer` and `ustring` as int32 length + bytes (-1 = null), `vector<T>` as int32
 * count (-1 = null) + elements. Records are fields concatenated, no tags, no padding.
 *
 * 64-bit `long` values (zxids, session ids, times, TTLs) are **bigint** everywhere in this codec: session ids carry
 * the server id in their high byte and exceed 2^53, so a JS number would silently lose bits. Use `BigInt.asIntN(64,
 * x)` semantics: values are signed (ZooKeeper's Java longs), e.g. container owner 0x8000000000000000 decodes as
 * -9223372036854775808n.
 *
 * Decoding never throws anything but {@link JuteDecodeError}; every length is checked against the bytes that
 * remain before anything is allocated, so a hostile length of 2^31-1 costs nothing.
 */

/** The single error type decoding throws: truncated input, a negative/oversized length, an invalid value. */
export class JuteDecodeError extends Error {
  override readonly name = 'JuteDecodeError';
  constructor(message: string, readonly offset: number) {
    super(`${message} (at byte ${offset})`);
  }
}

const utf8Decoder = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

/** Reads jute primitives from a byte range; every read is bounds-checked. */
export class JuteReader {
  private readonly view: DataView;
  private pos: number;
  private readonly end: number;

  constructor(readonly bytes: Uint8Array, start = 0, end = bytes.length) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
    this.end = end;
  }

  get offset(): number {
    return this.pos;
  }
  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.end - this.pos < n) throw new JuteDecodeError(`truncated ${what}: need ${n} B, ${this.end - this.pos} left`, this.pos);
  }

  int(): number {
    this.need(4, 'int');
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }
  long(): bigint {
    this.need(8, 'long');
    const v = this.view.getBigInt64(this.pos);
    this.pos += 8;
    return v;
  }
  bool(): boolean {
    this.need(1, 'boolean');
    // As the Java server reads it (BinaryInputArchive.readBool → DataInput.readBoolean): any non-zero byte is true.
    return this.view.getUint8(this.pos++) !== 0;
  }
  /** A length-prefixed byte string; -1 = null. The result is a copy (it outlives the frame). */
  buffer(): Uint8Array | null {
    const at = this.pos;
    const len = this.int();
    if (len === -1) return null;
    if (len < 0) throw new JuteDecodeError(`negative buffer length ${len}`, at);
    this.need(len, 'buffer');
    // A plain Uint8Array copy (Buffer.prototype.slice would return a view sharing the frame's memory).
    const out = new Uint8Array(len);
    out.set(this.bytes.subarray(this.pos, this.pos + len));
    this.pos += len;
    return out;
  }
  /** A length-prefixed UTF-8 string; -1 = null. Invalid UTF-8 becomes U+FFFD, as Java's decoder does. */
  ustring(): string | null {
    const at = this.pos;
    const len = this.int();
    if (len === -1) return null;
    if (len < 0) throw new JuteDecodeError(`negative string length ${len}`, at);
    this.need(len, 'ustring');
    const s = utf8Decoder.decode(this.bytes.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }
  /** A non-null string (null read as ''): for fields such as paths that the server treats as strings. */
  string(): string {
    return this.ustring() ?? '';
  }
  /**
   * A vector; -1 = null. The count is checked against the remaining bytes (each element takes at least
   * `minElementBytes`) and against `countMax` before any element is read, so a huge count fails at once instead of
   * looping.
   */
  vector<T>(readElement: (r: JuteReader) => T, minElementBytes: number, countMax = Number.MAX_SAFE_INTEGER): T[] | null {
    const at = this.pos;
    const count = this.int();
    if (count === -1) return null;
    if (count < 0) throw new JuteDecodeError(`negative vector count ${count}`, at);
    if (count > countMax) throw new JuteDecodeError(`vector count ${count} over ${countMax}`, at);
    if (count * minElementBytes > this.end - this.pos) {
      throw new JuteDecodeError(`vector count ${count} exceeds the ${this.end - this.pos} bytes left`, at);
    }
    const out: T[] = [];
    for (let i = 0; i < count; i++) out.push(readElement(this));
    return out;
  }
  stringVector(): string[] | null {
    return this.vector((r) => r.string(), 4);
  }
}

const writerInitialBytes = 256;

/** Appends jute primitives to a growable buffer. */
export class JuteWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(initialBytes = writerInitialBytes) {
    this.buf = new Uint8Array(initialBytes);
    this.view = new DataView(this.buf.buffer);
  }

  get length(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  int(v: number): this {
    this.ensure(4);
    this.view.setInt32(this.pos, v);
    this.pos += 4;
    return this;
  }
  /** Overwrites an int already written at `at` (frame length patching). */
  patchInt(at: number, v: number): void {
    this.view.setInt32(at, v);
  }
  long(v: bigint): this {
    this.ensure(8);
    this.view.setBigInt64(this.pos, BigInt.asIntN(64, v));
    this.pos += 8;
    return this;
  }
  bool(v: boolean): this {
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
    return this;
  }
  buffer(v: Uint8Array | null): this {
    if (v === null) return this.int(-1);
    this.int(v.length);
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
    return this;
  }
  ustring(v: string | null): this {
    if (v === null) return this.int(-1);
    // Worst case 3 B per UTF-16 unit; encodeInto writes straight into our buffer.
    this.ensure(4 + v.length * 3);
    const { written } = utf8Encoder.encodeInto(v, this.buf.subarray(this.pos + 4));
    this.view.setInt32(this.pos, written);
    this.pos += 4 + written;
    return this;
  }
  vector<T>(v: readonly T[] | null, writeElement: (w: JuteWriter, x: T) => void): this {
    if (v === null) return this.int(-1);
    this.int(v.length);
    for (const x of v) writeElement(this, x);
    return this;
  }
  stringVector(v: readonly string[] | null): this {
    return this.vector(v, (w, s) => w.ustring(s));
  }
  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }
  /** The bytes written so far (a view; copy if the writer is reused). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}
