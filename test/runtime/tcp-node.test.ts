/**
 * A tcp node without a controller: `startTcpNode` in this process, and node-main.js started from a config file
 * with no IPC channel (how an ensemble member runs, one process per host).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { EventPayload } from '../../src/protocol/events.js';
import type { TcpNode, TcpNodeConfig } from '../../src/runtime/tcp/node.js';
import { nodeIo, startTcpNode } from '../../src/runtime/tcp/node.js';

const kindsModule = new URL('../fixtures/demo-actors.js', import.meta.url).href;
const nodeMain = fileURLToPath(new URL('../../src/runtime/tcp/node-main.js', import.meta.url));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

async function until(what: string, cond: () => boolean | Promise<boolean>, boundMs = 10_000): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < boundMs) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${what}: not within ${boundMs} ms`);
}

interface PingStatus {
  readonly type: 'PingStatus';
  readonly hits: number;
  readonly done: boolean;
}

test('two nodes in one process, no controller: ping-pong over TCP', async () => {
  const [p1, p2] = [await freePort(), await freePort()];
  const peers = { a: { host: '127.0.0.1', port: p1 }, b: { host: '127.0.0.1', port: p2 } };
  const events: [string, EventPayload][] = [];
  const base = { peers, kindsModule, onEvent: (node: string, _t: number, ev: EventPayload) => events.push([node, ev]) };
  const nodes: TcpNode[] = [];
  try {
    nodes.push(await startTcpNode({ ...base, node: 'a', listen: peers.a, actors: [{ name: 'ping', kind: 'pinger' }] }));
    nodes.push(await startTcpNode({ ...base, node: 'b', listen: peers.b, actors: [{ name: 'pong', kind: 'pinger' }] }));
    const [a, b] = nodes as [TcpNode, TcpNode];
    a.host.send('a/ping', { type: 'Start', peer: 'b/pong', rounds: 100 });
    await until('ping done', () => events.some(([n, e]) => n === 'a' && e.type === 'DemoCounted'));
    const st = await a.host.ask<PingStatus>('a/ping', { type: 'Status' }, 1_000);
    assert.equal([st.hits, st.done], [50, true]);
    // an ask from one host to the other's actor crosses the connection both ways
    const pong = await a.host.ask<PingStatus>('b/pong', { type: 'Status' }, 1_000);
    assert.equal([pong.hits, pong.done], [50, false]);
    assert.ok(a.transport.stats.framesSent >= 51 && b.transport.stats.framesReceived >= 51);
    assert.equal(a.transport.connectedPeers(), ['b']);
  } finally {
    for (const n of nodes) await n.close();
  }
});

test('node-main.js runs alone from a config file and talks to an in-process node', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'conclave-tcp-'));
  const [p1, p2] = [await freePort(), await freePort()];
  const peers = { a: { host: '127.0.0.1', port: p1 }, b: { host: '127.0.0.1', port: p2 } };
  const cfg: TcpNodeConfig = { node: 'b', listen: peers.b, peers, kindsModule, dataDir: join(dir, 'b'), actors: [{ name: 'counter', kind: 'counter' }] };
  const file = join(dir, 'b.json');
  writeFileSync(file, JSON.stringify(cfg));
  const proc = spawn(process.execPath, [nodeMain, file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (err += d));
  const exited = new Promise<[number | null, string | null]>((r) => proc.once('exit', (code, sig) => r([code, sig])));
  let a: TcpNode | null = null;
  try {
    await until('standalone node listening', () => out.includes('"msg":"listening for peers on '), 10_000);
    a = await startTcpNode({ node: 'a', listen: peers.a, peers, kindsModule, onEvent: () => undefined });
    for (let i = 0; i < 100; i++) a.host.send('b/counter', { type: 'Inc', by: 1 });
    const r = await a.host.ask<{ type: 'Count'; count: number }>('b/counter', { type: 'Get' }, 2_000);
    assert.is(r.count, 100);
    // its events are JSON log lines on stdout, one per event (the event's type as msg, its actor when it names one)
    await until('DemoCounted printed', () => out.includes('"DemoCounted"'), 5_000);
    const line = out.split('\n').find((l) => l.includes('"DemoCounted"'))!;
    const ev = JSON.parse(line) as { node: string; count: number; time: number; eventTime: number; actor: string; level: string; msg: string };
    assert.equal([ev.node, ev.count, ev.actor, ev.level, ev.msg], ['b', 100, 'b/counter', 'info', 'DemoCounted']);
    assert.ok(ev.time > 0 && ev.eventTime > 0);
    proc.kill('SIGTERM');
    const [code] = await Promise.race([exited, new Promise<[number, null]>((_, rej) => setTimeout(() => rej(new Error('no exit after SIGTERM')), 5_000))]);
    assert.is(code, 0);
  } finally {
    proc.kill('SIGKILL');
    await a?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a node's io is a real disk under its data dir", () => {
  const dir = mkdtempSync(join(tmpdir(), 'conclave-tcp-io-'));
  try {
    assert.is(nodeIo(undefined).disk, undefined);
    const disk = nodeIo(join(dir, 'n1')).disk!;
    disk.append('wal/0001', new Uint8Array([1, 2, 3]));
    disk.fsync('wal/0001');
    assert.equal([...(disk.read('wal/0001') ?? [])], [1, 2, 3]);
    assert.equal(disk.list('wal'), ['0001']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
