/**
 * `conclave bench redis-memory`: bytes per key of conclave's keyspace beside a real redis-server loaded the same way
 * in the same run, per kind of value — strings of 100 B; hashes, lists, sets and sorted sets of 10 small members —
 * plus the time to snapshot and to restore each loaded keyspace (a restart's work) and the snapshot's size.
 *
 * conclave: the keyspace state machine (src/core/keyspace) alone in this process, every key applied as a committed
 * txn; its cost is the heap and external memory it adds after a full GC. Redis: `used_memory` of `INFO memory` before
 * and after loading the same commands through a pipelined connection (redis-server started here without
 * persistence, FLUSHALL between kinds). A kind the keyspace does not know yet is left out.
 * Prints a table and one JSON line, saved as bench/results/redis-memory.json.
 */
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Presets, SingleBar } from 'cli-progress';
import { Keyspace, commandOf, keyspaceSnapshotChunks, restoreKeyspace } from '../src/core/keyspace/index.js';
import type { Argv } from '../src/protocol/resp.js';
import { freePorts } from '../src/runtime/tcp/ports.js';
import { printTable, progress, saveResult } from './report.js';
import { redisServerPath } from './redis.js';

/** Keys per kind, at most (the default is issue 11's million). */
export const memoryKeysMax = 5_000_000;
const memoryKeysDefault = 1_000_000;
/** Commands written to redis-server before waiting for their replies. */
const pipelineCommandsMax = 10_000;
/** redis-server answering PING after its start, at most. */
const redisStartWaitMs = 10_000;
const progressEveryKeys = 10_000;

interface Kind {
  readonly name: string;
  /** The command that makes key `i` (its name decides whether the keyspace knows the kind). */
  readonly make: (key: string, i: number) => string[];
}

const members = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, j) => `${prefix}${j}`);
const value100 = 'v'.repeat(100);
const kinds: readonly Kind[] = [
  { name: 'string (100 B)', make: (k) => ['SET', k, value100] },
  { name: 'hash (10 fields)', make: (k, i) => ['HSET', k, ...members('f', 10).flatMap((f) => [f, `${i}`])] },
  { name: 'list (10 elements)', make: (k) => ['RPUSH', k, ...members('e', 10)] },
  { name: 'set (10 members)', make: (k) => ['SADD', k, ...members('m', 10)] },
  { name: 'zset (10 members)', make: (k) => ['ZADD', k, ...members('m', 10).flatMap((m, j) => [String(j + 0.5), m])] },
];

const enc = new TextEncoder();
const argvOf = (parts: readonly string[]): Argv => parts.map((p) => enc.encode(p));

function gcFn(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g !== undefined) return g;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function heapBytes(gc: () => void): number {
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external + m.arrayBuffers;
}

function bar(label: string, total: number): SingleBar {
  const b = new SingleBar({ format: `${label.padEnd(24)} [{bar}] {percentage}% {value}/{total}`, stream: process.stderr, hideCursor: true }, Presets.shades_classic);
  b.start(total, 0);
  return b;
}

interface ConclaveFigures {
  bytesPerKey: number;
  loadSeconds: number;
  snapshotSeconds: number;
  snapshotMiB: number;
  restoreSeconds: number;
}

function measureConclave(kind: Kind, keys: number, gc: () => void): ConclaveFigures {
  const before = heapBytes(gc);
  let ks: Keyspace | null = new Keyspace();
  const b = bar(`conclave ${kind.name}`, keys);
  const t0 = performance.now();
  for (let i = 0; i < keys; i++) {
    const r = ks.apply({ type: 'RedisCommands', db: 0, timeMs: 0, exec: false, watched: [], commands: [argvOf(kind.make(`key:${i}`, i))] });
    if (r.reply.kind === 'Error') throw new Error(`${kind.name}: ${r.reply.text}`);
    if (i % progressEveryKeys === 0) b.update(i);
  }
  b.update(keys);
  b.stop();
  const loadSeconds = (performance.now() - t0) / 1000;
  const bytesPerKey = (heapBytes(gc) - before) / keys;
  const t1 = performance.now();
  const chunks = [...keyspaceSnapshotChunks(ks)];
  const snapshotSeconds = (performance.now() - t1) / 1000;
  const size = chunks.reduce((n, c) => n + c.length, 0);
  ks = null;
  const all = Buffer.concat(chunks);
  chunks.length = 0;
  const t2 = performance.now();
  const restored = restoreKeyspace(all);
  const restoreSeconds = (performance.now() - t2) / 1000;
  if (restored.dbs[0]!.map.size !== keys) throw new Error(`${kind.name}: restored ${restored.dbs[0]!.map.size} keys of ${keys}`);
  return { bytesPerKey, loadSeconds, snapshotSeconds, snapshotMiB: size / 2 ** 20, restoreSeconds };
}

/** A pipelined connection to redis-server: `run` writes commands and resolves once each got its one-line reply. */
async function redisConnection(port: number): Promise<{ run(cmds: readonly (readonly string[])[]): Promise<string>; close(): void }> {
  const sock = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
  let waiting: { left: number; text: string; resolve: (s: string) => void } | null = null;
  sock.on('data', (d: Buffer) => {
    if (waiting === null) return;
    const s = d.toString('latin1');
    waiting.text += s;
    // every reply used here is one line (+OK, :n) except INFO's bulk string, asked alone
    for (let i = s.indexOf('\r\n'); i !== -1; i = s.indexOf('\r\n', i + 2)) waiting.left--;
    if (waiting.left <= 0 || (waiting.text.startsWith('$') && waiting.text.endsWith('\r\n') && waiting.text.length > 2 + Number(waiting.text.slice(1, waiting.text.indexOf('\r\n'))))) {
      const w = waiting;
      waiting = null;
      w.resolve(w.text);
    }
  });
  const resp = (parts: readonly string[]) => `*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('')}`;
  return {
    run: (cmds) =>
      new Promise<string>((resolve) => {
        waiting = { left: cmds.length, text: '', resolve };
        sock.write(cmds.map(resp).join(''));
      }),
    close: () => sock.destroy(),
  };
}

async function usedMemory(c: Awaited<ReturnType<typeof redisConnection>>): Promise<number> {
  const text = await c.run([['INFO', 'memory']]);
  const m = /used_memory:(\d+)/.exec(text);
  if (m === null) throw new Error('INFO memory has no used_memory');
  return Number(m[1]);
}

async function measureRedis(kind: Kind, keys: number, c: Awaited<ReturnType<typeof redisConnection>>): Promise<number> {
  await c.run([['FLUSHALL', 'SYNC']]);
  const before = await usedMemory(c);
  const b = bar(`redis ${kind.name}`, keys);
  for (let i = 0; i < keys; ) {
    const n = Math.min(pipelineCommandsMax, keys - i);
    await c.run(Array.from({ length: n }, (_, j) => kind.make(`key:${i + j}`, i + j)));
    i += n;
    b.update(i);
  }
  b.stop();
  return ((await usedMemory(c)) - before) / keys;
}

export async function runRedisMemoryBench(opts: Record<string, unknown> = {}): Promise<void> {
  const keys = Math.min(memoryKeysMax, Number(opts['keys'] ?? memoryKeysDefault));
  if (!(keys > 0)) throw new Error('--keys must be a positive number');
  const gc = gcFn();
  const known = kinds.filter((k) => 'run' in commandOf(argvOf(k.make('probe', 0))));
  for (const k of kinds) if (!known.includes(k)) progress(`${k.name}: not in the keyspace yet, left out`);
  const haveRedis = spawnSync(redisServerPath, ['--version']).status === 0;
  if (!haveRedis) progress(`redis-server not found (${redisServerPath}; apt-get install redis-server): conclave alone`);

  const conclave = new Map<string, ConclaveFigures>();
  for (const k of known) conclave.set(k.name, measureConclave(k, keys, gc));

  const redis = new Map<string, number>();
  if (haveRedis) {
    const [port] = await freePorts(1);
    const proc = spawn(redisServerPath, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: 'ignore' });
    const killOnExit = (): void => void proc.kill('SIGKILL');
    process.once('exit', killOnExit);
    try {
      const t0 = performance.now();
      let c: Awaited<ReturnType<typeof redisConnection>> | null = null;
      while (c === null) {
        c = await redisConnection(port!).catch(() => null);
        if (c === null) {
          if (performance.now() - t0 > redisStartWaitMs) throw new Error(`redis-server did not listen within ${redisStartWaitMs} ms`);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      for (const k of known) redis.set(k.name, await measureRedis(k, keys, c));
      c.close();
    } finally {
      proc.kill('SIGKILL');
      process.removeListener('exit', killOnExit);
    }
  }

  const rows = known.map((k) => {
    const c = conclave.get(k.name)!;
    const r = redis.get(k.name);
    return [k.name, c.bytesPerKey, r ?? '-', r !== undefined ? `${(c.bytesPerKey / r).toFixed(2)}x` : '-', c.loadSeconds, c.snapshotSeconds, c.snapshotMiB, c.restoreSeconds];
  });
  printTable(`Bytes per key, ${keys.toLocaleString('en-US')} keys of each kind: conclave's keyspace vs redis-server 7 (used_memory)`, ['kind', 'conclave B/key', 'redis B/key', 'conclave/redis', 'load s', 'snapshot s', 'snapshot MiB', 'restore s'], rows);
  saveResult('redis-memory', {
    keys,
    kinds: Object.fromEntries(known.map((k) => [k.name, { conclave: conclave.get(k.name), redisBytesPerKey: redis.get(k.name) ?? null }])),
  });
}
