/**
 * Reply encoder: every {@link Reply} kind as RESP2 or RESP3, written straight into a growing Buffer. `take()` hands
 * out the bytes written since the last take without copying (the region is never written again), so the replies
 * of one read batch leave in one socket write.
 *
 * RESP2 downgrades as Redis 7.0 (see src/protocol/resp.ts): map → flat array, set/push → array, double → bulk,
 * boolean → :1/:0, verbatim → bulk of the text, big number → bulk, Null → `$-1`, NullArray → `*-1`.
 * Doubles are formatted as Redis 7.0's addReplyDouble: printf `%.17g`, `inf`/`-inf`, and `nan`.
 * Simple and error texts are written as UTF-8 with CR/LF turned into spaces (a reply line can never be split).
 */
import type { Reply } from '../../protocol/resp.js';
import { assertNever } from '../../core/never.js';
import { formatDouble } from '../../core/keyspace/double.js';

export { formatDouble };

export type RespVersion = 2 | 3;

/** A writer's buffer size (allocated at the first write); a larger reply gets twice what it needs. */
export const writerInitialBytes = 16 * 1024;
const noBytes = Buffer.alloc(0);

const crlfRe = /[\r\n]/g;

export class RespWriter {
  private buf: Buffer = noBytes;
  private start = 0;
  private len = 0;

  constructor(private readonly chunkBytes = writerInitialBytes) {}

  /** Bytes written and not yet taken. */
  get pendingBytes(): number {
    return this.len - this.start;
  }

  /** The bytes written since the last take (a view; this writer never writes there again). */
  take(): Buffer {
    const out = this.buf.subarray(this.start, this.len);
    this.start = this.len;
    if (this.buf.length - this.len < 64) {
      // Nearly full: an idle connection keeps no buffer; the next write allocates one.
      this.buf = noBytes;
      this.start = this.len = 0;
    }
    return out;
  }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const pending = this.len - this.start;
    const next = Buffer.allocUnsafe(Math.max(this.chunkBytes, 2 * (pending + n)));
    this.buf.copy(next, 0, this.start, this.len);
    this.buf = next;
    this.start = 0;
    this.len = pending;
  }

  private ascii(s: string): void {
    this.room(s.length);
    this.len += this.buf.write(s, this.len, 'latin1');
  }

  private line(prefix: string, text: string): void {
    const t = text.includes('\r') || text.includes('\n') ? text.replace(crlfRe, ' ') : text;
    const n = Buffer.byteLength(t);
    this.room(n + 3);
    this.buf[this.len++] = prefix.charCodeAt(0);
    this.len += this.buf.write(t, this.len, 'utf8');
    this.buf[this.len++] = 13;
    this.buf[this.len++] = 10;
  }

  private bytes(b: Uint8Array): void {
    this.ascii(`$${b.length}\r\n`);
    this.room(b.length + 2);
    this.buf.set(b, this.len);
    this.len += b.length;
    this.buf[this.len++] = 13;
    this.buf[this.len++] = 10;
  }

  private text(prefix: string, s: string): void {
    const n = Buffer.byteLength(s);
    this.ascii(`${prefix}${n}\r\n`);
    this.room(n + 2);
    this.len += this.buf.write(s, this.len, 'utf8');
    this.buf[this.len++] = 13;
    this.buf[this.len++] = 10;
  }

  write(r: Reply, v: RespVersion): void {
    switch (r.kind) {
      case 'Simple':
        return this.line('+', r.text);
      case 'Error':
        return this.line('-', r.text);
      case 'Int':
        return this.ascii(`:${r.value}\r\n`);
      case 'Bulk':
        return this.bytes(r.bytes);
      case 'Null':
        return this.ascii(v === 3 ? '_\r\n' : '$-1\r\n');
      case 'NullArray':
        return this.ascii(v === 3 ? '_\r\n' : '*-1\r\n');
      case 'Array':
        return this.items('*', r.items, v);
      case 'Set':
        return this.items(v === 3 ? '~' : '*', r.items, v);
      case 'Push':
        return this.items(v === 3 ? '>' : '*', r.items, v);
      case 'Map':
        this.ascii(v === 3 ? `%${r.entries.length}\r\n` : `*${r.resp2 === 'pairs' ? r.entries.length : 2 * r.entries.length}\r\n`);
        for (const [k, val] of r.entries) {
          if (v !== 3 && r.resp2 === 'pairs') this.ascii('*2\r\n');
          this.write(k, v);
          this.write(val, v);
        }
        return;
      case 'Pairs':
        this.ascii(v === 3 ? `*${r.pairs.length}\r\n` : `*${2 * r.pairs.length}\r\n`);
        for (const [k, val] of r.pairs) {
          if (v === 3) this.ascii('*2\r\n');
          this.write(k, v);
          this.write(val, v);
        }
        return;
      case 'Double': {
        const s = formatDouble(r.value);
        return v === 3 ? this.ascii(`,${s}\r\n`) : this.ascii(`$${s.length}\r\n${s}\r\n`);
      }
      case 'Bool':
        return this.ascii(v === 3 ? (r.value ? '#t\r\n' : '#f\r\n') : r.value ? ':1\r\n' : ':0\r\n');
      case 'Verbatim':
        return v === 3 ? this.text('=', `${r.format.padEnd(3, ' ').slice(0, 3)}:${r.text}`) : this.text('$', r.text);
      case 'BigNumber':
        return v === 3 ? this.ascii(`(${r.digits}\r\n`) : this.text('$', r.digits);
      default:
        assertNever(r);
    }
  }

  private items(prefix: string, items: readonly Reply[], v: RespVersion): void {
    this.ascii(`${prefix}${items.length}\r\n`);
    for (const it of items) this.write(it, v);
  }
}

/** One reply as bytes (tests, one-off writes). */
export function encodeReply(r: Reply, v: RespVersion): Buffer {
  const w = new RespWriter(256);
  w.write(r, v);
  return Buffer.from(w.take());
}
