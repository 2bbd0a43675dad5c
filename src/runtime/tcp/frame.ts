/**
 * Length-prefixed frames for peer traffic: a 4-byte big-endian body length, then the body. The body of an
 * envelope frame is JSON (UTF-8): measured against v8.serialize on small envelopes (bench/tcp-codec.ts, best of
 * 5 rounds on the shared 2-core box: JSON 1.8 µs encode / 1.5 µs decode, v8 6.0 µs / 4.4 µs, bodies 94 vs 87
 * bytes), JSON is about 3x faster both ways. Envelopes are plain data (src/protocol/envelope.ts), so JSON
 * carries them unchanged; typed arrays, Maps and `undefined` do not survive it.
 */
import type { Envelope } from '../../protocol/envelope.js';

/** Bytes of the length prefix. */
export const frameHeaderBytes = 4;
/** The largest body a peer may send; a bigger announced length closes the connection. */
export const frameBodyBytesMax = 8 * 1024 * 1024;
/** Bytes a decoder holds while waiting for the rest of a frame (one full frame plus its header). */
export const decoderBufferedBytesMax = frameBodyBytesMax + frameHeaderBytes;

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

  constructor(private readonly bodyBytesMax: number = frameBodyBytesMax) {}

  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): Buffer[] {
    if (chunk.length === 0) return [];
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    let buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    const out: Buffer[] = [];
    let off = 0;
    while (buf.length - off >= frameHeaderBytes) {
      const len = buf.readUInt32BE(off);
      if (len > this.bodyBytesMax) {
        this.chunks = [];
        this.buffered = 0;
        throw new FrameError(`announced frame body of ${len} bytes exceeds ${this.bodyBytesMax}`);
      }
      if (buf.length - off - frameHeaderBytes < len) break;
      out.push(buf.subarray(off + frameHeaderBytes, off + frameHeaderBytes + len));
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

export function encodeBody(v: unknown): Buffer {
  return Buffer.from(JSON.stringify(v), 'utf8');
}

export function decodeBody(b: Buffer): unknown {
  return JSON.parse(b.toString('utf8'));
}

export function encodeEnvelopeFrame(env: Envelope, bodyBytesMax: number = frameBodyBytesMax): Buffer {
  return encodeFrame(encodeBody(env), bodyBytesMax);
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
