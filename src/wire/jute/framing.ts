/**
 * Client-port framing: every message is an int32 big-endian length + payload. The first frame of a connection is
 * the ConnectRequest; before it, the first 4 bytes may instead be a four-letter word (ZooKeeper reads them as the
 * length int and looks it up in its 4lw table).
 *
 * A length < 0 or > maxBufferBytes (jute.maxbuffer) is an error after which the connection must be closed.
 * The splitter never allocates more than the frame it is completing, and only once its bytes have all arrived.
 */

/** jute.maxbuffer default: 0xfffff = 1,048,575 B (ZooKeeper server and client). */
export const juteMaxBufferBytesDefault = 0xfffff;

/** ZooKeeper's four-letter words (FourLetterCommands). */
export const fourLetterWords = [
  'conf', 'cons', 'crst', 'dirs', 'dump', 'envi', 'gtmk', 'ruok', 'stmk', 'srvr', 'srst', 'stat', 'wchc', 'wchp',
  'wchs', 'mntr', 'isro', 'hash',
] as const;
export type FourLetterWord = (typeof fourLetterWords)[number];

/** Telnet's "interrupt process" close sequence (IAC IP IAC DO), which ZooKeeper also recognises (telnetCloseCmd). */
export const telnetCloseInt = 0xfff4fffd | 0;

function wordInt(w: string): number {
  return ((w.charCodeAt(0) << 24) | (w.charCodeAt(1) << 16) | (w.charCodeAt(2) << 8) | w.charCodeAt(3)) | 0;
}
const fourLetterByInt = new Map<number, FourLetterWord>(fourLetterWords.map((w) => [wordInt(w), w]));

/**
 * The four-letter word that the first 4 bytes of a connection spell, read as a big-endian int, or undefined.
 * `'telnetclose'` for the telnet close sequence.
 */
export function fourLetterWordOf(first4: Uint8Array | number): FourLetterWord | 'telnetclose' | undefined {
  let v: number;
  if (typeof first4 === 'number') v = first4 | 0;
  else {
    if (first4.length < 4) return undefined;
    v = ((first4[0]! << 24) | (first4[1]! << 16) | (first4[2]! << 8) | first4[3]!) | 0;
  }
  if (v === telnetCloseInt) return 'telnetclose';
  return fourLetterByInt.get(v);
}

export type FrameEvent =
  | { readonly kind: 'frame'; readonly payload: Uint8Array }
  | { readonly kind: 'fourLetterWord'; readonly word: FourLetterWord | 'telnetclose' }
  /** The connection must be closed; the splitter ignores everything after this. */
  | { readonly kind: 'error'; readonly reason: string };

export interface FrameSplitterOptions {
  /** jute.maxbuffer; default {@link juteMaxBufferBytesDefault}. */
  readonly maxBufferBytes?: number;
  /** Check the first 4 bytes for a four-letter word (client port: true). */
  readonly fourLetterWords?: boolean;
  /** Bound on frames returned by one push (the rest stay buffered until {@link FrameSplitter.drain}). */
  readonly framesPerPushMax?: number;
}

export const framesPerPushMaxDefault = 1024;

/** Streaming frame splitter. Feed socket chunks to push(); it returns the complete frames they finish. */
export class FrameSplitter {
  readonly maxBufferBytes: number;
  private readonly framesPerPushMax: number;
  private checkWord: boolean;
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private failed = false;

  constructor(opts: FrameSplitterOptions = {}) {
    this.maxBufferBytes = opts.maxBufferBytes ?? juteMaxBufferBytesDefault;
    this.checkWord = opts.fourLetterWords ?? true;
    this.framesPerPushMax = opts.framesPerPushMax ?? framesPerPushMaxDefault;
  }

  /** Bytes held waiting for the rest of a frame (at most one frame plus its prefix, plus one chunk). */
  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Uint8Array): FrameEvent[] {
    if (this.failed) return [];
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    return this.drain();
  }

  /** Returns further complete frames already buffered (when a push hit framesPerPushMax). */
  drain(): FrameEvent[] {
    const out: FrameEvent[] = [];
    while (!this.failed && out.length < this.framesPerPushMax && this.buffered >= 4) {
      const len = this.peekInt();
      if (this.checkWord) {
        this.checkWord = false;
        const word = fourLetterWordOf(len);
        if (word !== undefined) {
          this.failed = true; // nothing after a 4lw is read; the server answers and closes.
          this.drop();
          out.push({ kind: 'fourLetterWord', word });
          break;
        }
      }
      if (len < 0 || len > this.maxBufferBytes) {
        this.failed = true;
        this.drop();
        out.push({ kind: 'error', reason: `Len error ${len} (jute.maxbuffer ${this.maxBufferBytes})` });
        break;
      }
      if (this.buffered < 4 + len) break;
      this.take(4);
      out.push({ kind: 'frame', payload: this.take(len) });
    }
    return out;
  }

  private drop(): void {
    this.chunks = [];
    this.buffered = 0;
  }

  private peekInt(): number {
    const c = this.chunks[0]!;
    if (c.length >= 4) return ((c[0]! << 24) | (c[1]! << 16) | (c[2]! << 8) | c[3]!) | 0;
    let v = 0;
    let n = 0;
    for (const ch of this.chunks) {
      for (let i = 0; i < ch.length && n < 4; i++, n++) v = (v << 8) | ch[i]!;
      if (n === 4) break;
    }
    return v | 0;
  }

  /** Removes n buffered bytes (n ≤ buffered); a view when they lie in one chunk, else one copy. */
  private take(n: number): Uint8Array {
    this.buffered -= n;
    const first = this.chunks[0]!;
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return out;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - filled);
      out.set(c.subarray(0, k), filled);
      filled += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    return out;
  }
}
