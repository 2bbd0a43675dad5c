/**
 * Length-prefixed frames for peer traffic: a 4-byte big-endian body length, then the body. The body of an
 * envelope frame is JSON (UTF-8): measured against v8.serialize on small envelopes (bench/tcp-codec.ts, best of
 * 5 rounds on the shared, loaded 2-core box: JSON 1.1-1.8 µs encode / 1.1-1.5 µs decode, v8 6.0-7.4 µs / 3.6-4.4 µs,
 * bodies 94 vs 87 bytes; the driver's whole path with the JSON-safety check, tag byte and header 1.7 µs / 1.2 µs),
 * JSON is 3-6x faster both ways. So a body is a tag byte and JSON, unless the value holds something
 * JSON would change (typed arrays, Maps, Sets, Dates, bigints, `undefined`, NaN): then a tag byte and v8, so the
 * tcp driver carries exactly what structured clone carries on the threads driver.
 */
import v8 from 'node:v8';
import type { Envelope } from '../../protocol/envelope.js';

/** Bytes of the length prefix. */
export const frameHeaderBytes = 4;
/**
 * The largest body a peer may send once it has said hello; a bigger announced length closes the connection. One
 * message is one frame, and the largest messages are a follower's sync (NEWLEADER with a whole snapshot) and
 * merged proposals of large client values, so the bound is the largest state a follower can be synced with
 * (docs/runtime-tcp.md). A decoder holds at most one frame plus its header.
 */
export const frameBodyBytesMax = 512 * 1024 * 1024;
/** The largest frame before a connection has said hello (a hello is tens of bytes). */
export const helloFrameBytesMax = 4 * 1024;

export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

/** One frame: header + body, in one buffer. */
export function encodeFrame(body: Uint8Array, bodyBytesMax: number = frameBodyBytesMax): Buffer {
  if (body.length > bodyBytesMax) throw new FrameError(`frame body of ${body.length} bytes exceeds ${bodyBytesMax}`);
  const out = Buffer.allocUnsafe(frameHeaderBytes + body.length);
  out.writeUInt32BE(body.length, 0);
  out.set(body, frameHeaderBytes);
  return out;
}

/**
 * Reassembles frames from TCP chunks: a frame may span chunks, a chunk may hold many frames. `push` returns the
 * complete bodies; it throws FrameError on a length over the bound (the caller closes the connection).
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Header and body bytes of the frame being gathered, once its header is in (0: not known yet). */
  private awaited = 0;

  /** Frames returned so far (the first one may have a bound of its own: a connection's hello). */
  private frames = 0;

  constructor(
    private readonly bodyBytesMax: number = frameBodyBytesMax,
    private readonly firstBodyBytesMax: number = bodyBytesMax,
  ) {}

  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): Buffer[] {
    if (chunk.length === 0) return [];
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    // a large frame arrives in many chunks: gather them and join once, when the whole frame is in
    if (this.awaited > 0 && this.buffered < this.awaited) return [];
    this.awaited = 0;
    let buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    const out: Buffer[] = [];
    let off = 0;
    while (buf.length - off >= frameHeaderBytes) {
      const len = buf.readUInt32BE(off);
      const max = this.frames === 0 ? this.firstBodyBytesMax : this.bodyBytesMax;
      if (len > max) {
        this.chunks = [];
        this.buffered = 0;
        throw new FrameError(`announced frame body of ${len} bytes exceeds ${max}`);
      }
      if (buf.length - off - frameHeaderBytes < len) {
        this.awaited = frameHeaderBytes + len;
        break;
      }
      out.push(buf.subarray(off + frameHeaderBytes, off + frameHeaderBytes + len));
      this.frames++;
      off += frameHeaderBytes + len;
    }
    if (off === buf.length) {
      this.chunks = [];
      this.buffered = 0;
    } else {
      buf = off === 0 ? buf : buf.subarray(off);
      this.chunks = [buf];
      this.buffered = buf.length;
    }
    return out;
  }
}

// ---- bodies ----

/** What a connecting node sends first: who it is and which frame format it speaks. */
export interface Hello {
  readonly hello: typeof protocolTag;
  readonly node: string;
}
export const protocolTag = 'conclave-tcp/1';

/** The first byte of every body says how the rest is encoded. */
export const bodyTagJson = 0x4a; // 'J'
export const bodyTagV8 = 0x56; // 'V'
/** JSON with its byte arrays carried raw after it: 'B' | u32 JSON bytes | JSON | the arrays' bytes. */
export const bodyTagBinary = 0x42; // 'B'
/** The key that stands for a byte array in a 'B' body's JSON: `{"\u0000b": [offset, length]}`. */
const binaryKey = '\u0000b';
/** How deep `jsonSafe` looks before it gives up and the value goes as v8. */
export const jsonCheckDepthMax = 32;

/**
 * Does JSON carry this value unchanged? Plain objects and arrays of strings, finite numbers, booleans and null
 * do; typed arrays, Maps, Sets, Dates, bigints, `undefined` and non-finite numbers do not (they go as v8). With
 * `arrays`, Uint8Arrays are accepted too and collected there (they go raw beside the JSON: a 'B' body).
 */
export function jsonSafe(v: unknown, depth = 0, arrays?: Uint8Array[]): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(v);
    case 'object': {
      if (v === null) return true;
      if (depth >= jsonCheckDepthMax) return false;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) if (!jsonSafe(v[i], depth + 1, arrays)) return false;
        return true;
      }
      if (arrays !== undefined && v instanceof Uint8Array) {
        arrays.push(v);
        return true;
      }
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== Object.prototype && proto !== null) return false;
      for (const k in v) if (k === binaryKey || !jsonSafe((v as Record<string, unknown>)[k], depth + 1, arrays)) return false;
      return true;
    }
    default:
      return false; // undefined, bigint, function, symbol
  }
}

/**
 * A whole frame (header, tag, body) for one value, in one allocation on the JSON paths. A value that is JSON but
 * for its byte arrays (znode data, Redis arguments, snapshots) goes as a 'B' body: the arrays are copied once,
 * raw, and are copied once out of the received frame, which is several times cheaper than v8 for large values.
 */
export function encodeValueFrame(v: unknown, bodyBytesMax: number = frameBodyBytesMax): Buffer {
  const arrays: Uint8Array[] = [];
  if (jsonSafe(v, 0, arrays) && arrays.length > 0) {
    let at = 0;
    const text = JSON.stringify(v, function (this: Record<string, unknown>, k: string, val: unknown) {
      const raw = this[k];
      if (!(raw instanceof Uint8Array)) return val;
      const ref = { [binaryKey]: [at, raw.length] };
      at += raw.length;
      return ref;
    });
    const textBytes = Buffer.byteLength(text, 'utf8');
    const len = 1 + 4 + textBytes + at;
    if (len > bodyBytesMax) throw new FrameError(`frame body of ${len} bytes exceeds ${bodyBytesMax}`);
    const out = Buffer.allocUnsafe(frameHeaderBytes + len);
    out.writeUInt32BE(len, 0);
    out[frameHeaderBytes] = bodyTagBinary;
    out.writeUInt32BE(textBytes, frameHeaderBytes + 1);
    out.write(text, frameHeaderBytes + 5, 'utf8');
    // the arrays in the order JSON.stringify met them, which is the order `jsonSafe` collected them in
    let o = frameHeaderBytes + 5 + textBytes;
    for (const a of arrays) {
      out.set(a, o);
      o += a.length;
    }
    return out;
  }
  if (arrays.length === 0 && jsonSafe(v)) {
    const text = JSON.stringify(v);
    const len = 1 + Buffer.byteLength(text, 'utf8');
    if (len > bodyBytesMax) throw new FrameError(`frame body of ${len} bytes exceeds ${bodyBytesMax}`);
    const out = Buffer.allocUnsafe(frameHeaderBytes + len);
    out.writeUInt32BE(len, 0);
    out[frameHeaderBytes] = bodyTagJson;
    out.write(text, frameHeaderBytes + 1, 'utf8');
    return out;
  }
  const ser = v8.serialize(v);
  const len = 1 + ser.length;
  if (len > bodyBytesMax) throw new FrameError(`frame body of ${len} bytes exceeds ${bodyBytesMax}`);
  const out = Buffer.allocUnsafe(frameHeaderBytes + len);
  out.writeUInt32BE(len, 0);
  out[frameHeaderBytes] = bodyTagV8;
  out.set(ser, frameHeaderBytes + 1);
  return out;
}

/** A body (tag + encoding) for one value. */
export function encodeBody(v: unknown): Buffer {
  return encodeValueFrame(v, Number.MAX_SAFE_INTEGER).subarray(frameHeaderBytes);
}

/** The value in a body; throws on an unknown tag or a body that does not decode. */
export function decodeBody(b: Buffer): unknown {
  switch (b[0]) {
    case bodyTagJson:
      return JSON.parse(b.toString('utf8', 1));
    case bodyTagV8:
      return v8.deserialize(b.subarray(1));
    case bodyTagBinary: {
      if (b.length < 5) throw new FrameError('short binary body');
      const textBytes = b.readUInt32BE(1);
      const base = 5 + textBytes;
      if (base > b.length) throw new FrameError('binary body: JSON longer than the body');
      return JSON.parse(b.toString('utf8', 5, base), (_k, val: unknown) => {
        if (val === null || typeof val !== 'object' || !(binaryKey in val)) return val;
        const ref = (val as Record<string, unknown>)[binaryKey];
        if (!Array.isArray(ref) || ref.length !== 2 || !Number.isSafeInteger(ref[0]) || !Number.isSafeInteger(ref[1])) throw new FrameError('binary body: bad array reference');
        const [off, n] = ref as [number, number];
        if (off < 0 || n < 0 || base + off + n > b.length) throw new FrameError('binary body: array outside the body');
        // a copy: a view would keep the whole frame (and the chunk it arrived in) alive as long as the value
        const copy = new Uint8Array(n);
        copy.set(b.subarray(base + off, base + off + n));
        return copy;
      }) as unknown;
    }
    default:
      throw new FrameError(`unknown body tag ${b[0]}`);
  }
}

export function encodeEnvelopeFrame(env: Envelope, bodyBytesMax: number = frameBodyBytesMax): Buffer {
  return encodeValueFrame(env, bodyBytesMax);
}

/** A decoded body as an envelope, or null when it is not one (the caller closes the connection). */
export function asEnvelope(v: unknown): Envelope | null {
  if (v === null || typeof v !== 'object') return null;
  const e = v as Record<string, unknown>;
  if (typeof e.to !== 'string' || !(e.from === null || typeof e.from === 'string')) return null;
  const msg = e.msg as Record<string, unknown> | null | undefined;
  if (msg === null || typeof msg !== 'object' || typeof msg.type !== 'string') return null;
  if (e.askId !== undefined && typeof e.askId !== 'number') return null;
  if (e.replyTo !== undefined && typeof e.replyTo !== 'number') return null;
  return v as Envelope;
}

export function asHello(v: unknown): Hello | null {
  if (v === null || typeof v !== 'object') return null;
  const h = v as Record<string, unknown>;
  return h.hello === protocolTag && typeof h.node === 'string' ? (v as Hello) : null;
}
