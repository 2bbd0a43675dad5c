/**
 * Test helpers for the keyspace: a real redis-server on a free loopback port (null when not installed), a tiny
 * RESP2 client whose replies decode into `Reply` (test-only; the real codec lives in src/wire/resp), the RESP2
 * view of a `Reply` for comparison, and a driver that runs an argv on a Keyspace as the cluster will
 * (normalize + apply for writes, read for reads).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, Socket } from 'node:net';
import type { Argv, Reply } from '../../src/protocol/resp.js';
import { Keyspace, commandOf, normalize } from '../../src/core/keyspace/index.js';
import { formatDouble } from '../../src/wire/resp/index.js';

export const enc = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));
export const argv = (...parts: (string | Uint8Array)[]): Argv => parts.map((p) => (typeof p === 'string' ? enc(p) : p));

export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A reply decoder over a byte stream: resolves one Reply per command sent, in order. */
export class RespClient {
  private buf = Buffer.alloc(0);
  private waiting: ((r: Reply) => void)[] = [];
  /** Replies nobody waits for (pub/sub messages). */
  readonly pushed: Reply[] = [];
  private constructor(private readonly sock: Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (;;) {
        const r = parse(this.buf, 0);
        if (r === null) break;
        this.buf = this.buf.subarray(r.end);
        const w = this.waiting.shift();
        if (w !== undefined) w(r.reply);
        else this.pushed.push(r.reply);
      }
    });
  }
  static async connect(port: number): Promise<RespClient> {
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        const sock = await new Promise<Socket>((resolve, reject) => {
          const s = new Socket();
          s.once('error', reject);
          s.connect(port, '127.0.0.1', () => resolve(s));
        });
        return new RespClient(sock);
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw new Error(`redis-server on ${port} did not accept`);
  }
  send(a: Argv): Promise<Reply> {
    const parts: Buffer[] = [Buffer.from(`*${a.length}\r\n`)];
    for (const x of a) parts.push(Buffer.from(`$${x.length}\r\n`), Buffer.from(x), Buffer.from('\r\n'));
    this.sock.write(Buffer.concat(parts));
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  close(): void {
    this.sock.destroy();
  }
}

function line(b: Buffer, at: number): { text: string; next: number } | null {
  const i = b.indexOf('\r\n', at);
  return i < 0 ? null : { text: b.toString('latin1', at + 1, i), next: i + 2 };
}

function parse(b: Buffer, at: number): { reply: Reply; end: number } | null {
  if (at >= b.length) return null;
  const l = line(b, at);
  if (l === null) return null;
  switch (String.fromCharCode(b[at]!)) {
    case '+':
      return { reply: { kind: 'Simple', text: l.text }, end: l.next };
    case '-':
      return { reply: { kind: 'Error', text: l.text }, end: l.next };
    case ':': {
      const v = BigInt(l.text);
      return { reply: { kind: 'Int', value: v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v }, end: l.next };
    }
    case '$': {
      const n = Number(l.text);
      if (n < 0) return { reply: { kind: 'Null' }, end: l.next };
      if (l.next + n + 2 > b.length) return null;
      return { reply: { kind: 'Bulk', bytes: Uint8Array.from(b.subarray(l.next, l.next + n)) }, end: l.next + n + 2 };
    }
    case '*': {
      const n = Number(l.text);
      if (n < 0) return { reply: { kind: 'NullArray' }, end: l.next };
      const items: Reply[] = [];
      let p = l.next;
      for (let i = 0; i < n; i++) {
        const r = parse(b, p);
        if (r === null) return null;
        items.push(r.reply);
        p = r.end;
      }
      return { reply: { kind: 'Array', items }, end: p };
    }
    default:
      throw new Error(`bad RESP type byte ${b[at]}`);
  }
}

/** What a RESP2 client would decode `r` into (maps flattened, doubles/booleans as RESP2 writes them). */
export function resp2(r: Reply): Reply {
  switch (r.kind) {
    case 'Map':
      if (r.resp2 === 'pairs') return { kind: 'Array', items: r.entries.map(([k, v]) => ({ kind: 'Array', items: [resp2(k), resp2(v)] })) };
      return { kind: 'Array', items: r.entries.flatMap(([k, v]) => [resp2(k), resp2(v)]) };
    case 'Pairs':
      return { kind: 'Array', items: r.pairs.flatMap(([k, v]) => [resp2(k), resp2(v)]) };
    case 'Array':
      return { kind: 'Array', items: r.items.map(resp2) };
    case 'Set':
    case 'Push':
      return { kind: 'Array', items: r.items.map(resp2) };
    case 'Double':
      return { kind: 'Bulk', bytes: enc(formatDouble(r.value)) };
    case 'Bool':
      return { kind: 'Int', value: r.value ? 1 : 0 };
    default:
      return r;
  }
}

/** A printable form for assertions and failure messages. */
export function show(r: Reply): string {
  switch (r.kind) {
    case 'Bulk':
      return JSON.stringify(Buffer.from(r.bytes).toString('latin1'));
    case 'Array':
    case 'Set':
    case 'Push':
      return `[${r.items.map(show).join(', ')}]`;
    case 'Pairs':
      return `[${r.pairs.map(([k, v]) => `[${show(k)}, ${show(v)}]`).join(', ')}]`;
    case 'Int':
      return `:${r.value}`;
    case 'Simple':
      return `+${r.text}`;
    case 'Error':
      return `-${r.text}`;
    default:
      return r.kind;
  }
}

export interface RedisServer {
  client: RespClient;
  port: number;
  stop(): void;
}

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const proc: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const client = await RespClient.connect(port);
  return {
    client,
    port,
    stop: () => {
      client.close();
      proc.kill('SIGKILL');
    },
  };
}

/** Run one command on a keyspace as the cluster does: normalize + apply (writes) or read, at `nowMs`. */
export function runOn(ks: Keyspace, db: number, a: Argv, nowMs: number): Reply {
  const spec = commandOf(a);
  if (!('run' in spec)) return spec;
  if (spec.kind === 'read') return ks.read(db, a, nowMs);
  const n = normalize(a, nowMs);
  if (!Array.isArray(n)) return n as Reply;
  return ks.apply({ type: 'RedisCommands', db, timeMs: nowMs, commands: [n as Argv], exec: false, watched: [] }).reply;
}
