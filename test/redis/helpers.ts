/** Test helpers for the RESP front end: a real redis-server beside ours, raw byte sessions. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { freePorts } from '../../src/runtime/tcp/ports.js';
import type { RedisBackend, RedisCommandSpec } from '../../src/servers/redis/index.js';
import { commandTable, redisCommandSpecs } from '../../src/servers/redis/index.js';

export const redisServerBin = '/usr/bin/redis-server';
export const redisCliBin = '/usr/bin/redis-cli';
export const haveRedis = existsSync(redisServerBin);
/** How long a raw session waits for more reply bytes before it is read as finished. */
export const quietMs = 150;
const redisStartMs = 5_000;

/** GET as Redis 7.0 lists it: a data command, answered by the test backend (every key is missing). */
export const getSpec: RedisCommandSpec = { name: 'get', arity: 2, flags: ['readonly', 'fast'], firstKey: 1, lastKey: 1, step: 1, categories: ['read', 'string', 'fast'] };
export const testTable = commandTable([...redisCommandSpecs, getSpec]);
/** A backend that knows no data: every GET finds nothing (in a later turn, to exercise ordering). */
export const emptyBackend: RedisBackend = { execute: () => Promise.resolve({ kind: 'Null' }) };

export interface RealRedis {
  readonly port: number;
  stop(): Promise<void>;
}

export async function startRealRedis(): Promise<RealRedis> {
  const [port] = await freePorts(1);
  const child: ChildProcess = spawn(redisServerBin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: 'ignore' });
  const t0 = Date.now();
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port!, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) break;
    if (Date.now() - t0 > redisStartMs) {
      child.kill('SIGKILL');
      throw new Error('redis-server did not start');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port: port!,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

/** Sends the chunks (a pause between them) and collects every byte until the server closes or is quiet. */
export function rawSession(port: number, chunks: readonly Uint8Array[], waitMs = quietMs): Promise<{ bytes: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const got: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const s = net.connect(port, '127.0.0.1');
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ bytes: Buffer.concat(got), closed });
    };
    const quiet = () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(false), waitMs);
    };
    s.on('data', (d) => {
      got.push(d);
      quiet();
    });
    s.on('close', () => finish(true));
    s.on('error', () => finish(true));
    s.on('connect', async () => {
      for (const c of chunks) {
        if (s.destroyed) return;
        s.write(c);
        await new Promise((r) => setTimeout(r, 5));
      }
      quiet();
    });
  });
}

/**
 * A subscriber session beside a publisher: the subscriber's chunks first, then (after `settleMs`) the publisher's
 * raw session; returns both connections' bytes once the subscriber was quiet for `waitMs`.
 */
export async function pubsubSession(port: number, sub: readonly Uint8Array[], pub: readonly Uint8Array[], settleMs = 200, waitMs = 600, pubQuietMs = quietMs): Promise<{ sub: Buffer; pub: Buffer }> {
  const got: Buffer[] = [];
  const s = net.connect(port, '127.0.0.1');
  s.on('data', (d) => got.push(d));
  s.on('error', () => undefined);
  await new Promise((r) => s.on('connect', r));
  for (const c of sub) s.write(c);
  await new Promise((r) => setTimeout(r, settleMs));
  const p = await rawSession(port, pub, pubQuietMs);
  await new Promise((r) => setTimeout(r, waitMs));
  s.destroy();
  return { sub: Buffer.concat(got), pub: p.bytes };
}
