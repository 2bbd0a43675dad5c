/** Shared helpers of the tcp runtime tests (not a test file itself). */
import net from 'node:net';
import { firstValueFrom, filter, timeout } from 'rxjs';
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import { AskTimeoutError } from '../../src/kernel/actor.js';
import type { ClusterEvent } from '../../src/protocol/events.js';
import type { NodeSpec } from '../../src/runtime/driver.js';
import type { TcpRuntime } from '../../src/runtime/tcp/controller.js';
import { createTcpRuntime } from '../../src/runtime/tcp/controller.js';

/** uvu's test, printing how long each one took. */
export function test(name: string, fn: () => Promise<void>): void {
  uvuTest(name, async () => {
    const t0 = performance.now();
    await fn();
    console.log(`    [${((performance.now() - t0) / 1000).toFixed(2)} s] ${name}`);
  });
}
test.run = (): void => uvuTest.run();

export const kindsModule = new URL('../fixtures/demo-actors.js', import.meta.url).href;
export const askMs = 2_000;

export interface Count {
  readonly type: 'Count';
  readonly count: number;
}
export interface EchoStats {
  readonly type: 'EchoStats';
  readonly seen: number;
  readonly inversions: number;
}
export interface PingStatus {
  readonly type: 'PingStatus';
  readonly hits: number;
  readonly done: boolean;
}

export function withCounter(node: string, more: NodeSpec['actors'] = []): NodeSpec {
  return { node, actors: [{ name: 'counter', kind: 'counter' }, ...more] };
}

export async function withRuntime(nodes: NodeSpec[], fn: (rt: TcpRuntime) => Promise<void>): Promise<void> {
  const rt = await createTcpRuntime({ nodes, kindsModule, seed: 0x7c9 });
  try {
    await fn(rt);
  } finally {
    await rt.close();
  }
}

/** Poll until `cond` holds, at most `boundMs`. */
export async function until(what: string, cond: () => Promise<boolean> | boolean, boundMs = 10_000, stepMs = 20): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < boundMs) {
    if (await cond()) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`${what}: not within ${boundMs} ms`);
}

export function nextEvent(rt: TcpRuntime, pred: (e: ClusterEvent) => boolean, boundMs = 10_000): Promise<ClusterEvent> {
  return firstValueFrom(rt.events$.pipe(filter(pred), timeout(boundMs)));
}

export async function count(rt: TcpRuntime, addr: string, via?: string): Promise<number> {
  const r = via === undefined ? await rt.ask<Count>(addr, { type: 'Get' }, askMs) : await rt.askVia<Count>(via, addr, { type: 'Get' }, askMs);
  return r.count;
}

/** Bring both peer links up (peers connect by back-off at start). */
export async function connected(rt: TcpRuntime): Promise<void> {
  for (const n of rt.nodes) {
    const others = rt.nodes.filter((x) => x !== n);
    await until(`${n} connected`, async () => (await rt.status(n)).connectedPeers.length === others.length);
  }
}

export async function rejectsWithTimeout(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, AskTimeoutError);
    return;
  }
  assert.unreachable('the ask should have timed out');
}

export function faultsSeen(rt: TcpRuntime): string[] {
  return rt
    .recentEvents()
    .filter((e): e is ClusterEvent<'FaultInjected'> => e.type === 'FaultInjected')
    .map((e) => e.fault.kind);
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function rawSocket(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves true when the node closes the connection within the bound. */
export function closedByPeer(s: net.Socket, boundMs = 5_000): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), boundMs);
    s.on('error', () => undefined);
    s.once('close', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}
