/**
 * The ZooKeeper client port of `conclave node zoo.cfg`: a 3-process ensemble served to node-zookeeper-client and to
 * zkCli (Debian's `zookeeper` package; skipped when absent), each keeping its session while the leader is SIGKILLed
 * mid-session; and a standalone member honouring `maxClientCnxns` and `4lw.commands.whitelist`.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { call, connect, stepTimeoutMs, zookeeper } from '../zookeeper/cluster-helpers.js';
import { Ensemble, MemberProcess, freePorts, waitForLeader } from './helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const ids = [1, 2, 3];
const electionTimeoutMs = 15_000;
const zkCli = '/usr/share/zookeeper/bin/zkCli.sh';
const zkCliTimeoutMs = 40_000;

const ens = new Ensemble(ids);
const members = ens.members;
const startMember = (id: number) => ens.start(id);
let ports = ens.ports;

const connectString = (): string => ids.map((id) => `127.0.0.1:${ports.get(id)!.client}`).join(',');

/** Retries `fn` on CONNECTION_LOSS-like errors (the client reconnecting to a survivor) until it succeeds. */
async function carryOn<T>(fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() - t0 > stepTimeoutMs) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Kills the current leader (SIGKILL), waits for the survivors to agree on a new one, restarts the old one. */
async function killLeader(): Promise<{ old: number; next: number }> {
  const old = await waitForLeader([...ports.values()], electionTimeoutMs);
  members.get(old)!.signal('SIGKILL');
  await members.get(old)!.exited;
  const survivors = ids.filter((id) => id !== old).map((id) => ports.get(id)!);
  const next = await waitForLeader(survivors, electionTimeoutMs, old);
  return { old, next };
}

/** Sends a four-letter word; resolves with the whole reply (or '' when the server closes without one). */
function fourLetters(port: number, word: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(word));
    let out = '';
    s.on('data', (d) => (out += d.toString()));
    s.on('close', () => resolve(out));
    // a connection refused after accept may be reset rather than closed: no answer either way
    s.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? resolve(out) : reject(e)));
    s.setTimeout(stepTimeoutMs, () => {
      s.destroy();
      reject(new Error(`${word}: no answer`));
    });
  });
}

test.before(async () => {
  await ens.write('conclave-clientport-');
  ports = ens.ports;
  await Promise.all(ids.map(startMember));
  await waitForLeader([...ports.values()], electionTimeoutMs);
});

test.after(() => ens.dispose());

test('node-zookeeper-client on the ensemble keeps its session and ephemeral node across a leader SIGKILL', async () => {
  const client = await connect(connectString());
  try {
    const session = client.getSessionId().toString('hex');
    await call((cb) => client.create('/cp', Buffer.from('v0'), cb));
    await call((cb) => client.create('/cp/eph', Buffer.from('mine'), zookeeper.CreateMode.EPHEMERAL, cb));
    const { old, next } = await killLeader();
    console.log(`  leader n${old} killed, n${next} leads`);
    // the client carries on against the survivors
    const stat = await carryOn(() => call<any>((cb) => client.setData('/cp', Buffer.from('v1'), -1, cb)));
    assert.is(stat.version, 1);
    const [data] = await carryOn(() => call<[Buffer, any]>((cb) => client.getData('/cp/eph', cb)));
    assert.is(data.toString(), 'mine');
    assert.is(client.getSessionId().toString('hex'), session, 'same session after the failover');
    await startMember(old);
    await waitForLeader([...ports.values()], electionTimeoutMs);
  } finally {
    client.close();
  }
});

test('srvr on every member: one leader and two followers; ruok', async () => {
  const modes: string[] = [];
  for (const id of ids) {
    // a member restarted by the test before may still be syncing ("not currently serving requests")
    let r = '';
    for (let i = 0; i < 100 && !/Mode: /.test(r); i++) {
      if (i > 0) await new Promise((res) => setTimeout(res, 100));
      r = await fourLetters(ports.get(id)!.client, 'srvr');
    }
    assert.match(r, /^Zookeeper version: 3\.8/);
    modes.push(/Mode: (\w+)/.exec(r)?.[1] ?? 'none');
  }
  assert.equal(modes.sort(), ['follower', 'follower', 'leader']);
  assert.is(await fourLetters(ports.get(1)!.client, 'ruok'), 'imok');
});

if (!existsSync(zkCli)) {
  test.skip('zkCli against the conclave node ensemble (zkCli not installed: apt-get install -y zookeeper)', () => undefined);
} else {
  test('zkCli: one session on the ensemble carries on through a leader SIGKILL (ephemeral kept); one-shot commands on each member', async () => {
    const sleepMs = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const cli = spawn(zkCli, ['-server', connectString()], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    cli.stdout.on('data', (d) => (out += d));
    cli.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => cli.once('exit', resolve));
    const killer = setTimeout(() => cli.kill('SIGKILL'), zkCliTimeoutMs);
    const waitFor = async (re: RegExp): Promise<void> => {
      const t0 = Date.now();
      while (!re.test(out)) {
        if (Date.now() - t0 > stepTimeoutMs) throw new Error(`zkCli never printed ${re}:\n${out}`);
        await sleepMs(50);
      }
    };
    try {
      await waitFor(/state:SyncConnected/);
      cli.stdin.write('create /zkc-eph-holder\ncreate -e /zkc-eph-holder/e mine\n');
      await waitFor(/Created \/zkc-eph-holder\/e/);
      const { old } = await killLeader();
      // the session survives: the ephemeral is still there, and the client writes through a survivor
      cli.stdin.write('get /zkc-eph-holder/e\n');
      await waitFor(/^mine$/m);
      cli.stdin.write('create /zkc-after x\nls /\nquit\n');
      await waitFor(/Created \/zkc-after/);
      await exited;
      assert.match(out, /\[(.*, )?zkc-after, zkc-eph-holder, zookeeper\]/);
      assert.not.match(out, /SESSIONEXPIRED|Session expired/i);
      await startMember(old);
      await waitForLeader([...ports.values()], electionTimeoutMs);
    } finally {
      clearTimeout(killer);
      cli.kill('SIGKILL');
    }
    // the ephemeral left with the session; every member agrees (a one-shot zkCli per member)
    for (const id of ids) {
      const r = await new Promise<string>((resolve) =>
        execFile(zkCli, ['-server', `127.0.0.1:${ports.get(id)!.client}`, 'ls', '/zkc-eph-holder'], { timeout: zkCliTimeoutMs }, (_e, so, se) => resolve(so + se)),
      );
      assert.match(r, /^\[\]$/m, `member ${id}:\n${r}`);
    }
  });
}

test('standalone member: maxClientCnxns per address and 4lw.commands.whitelist', async () => {
  const [client, quorum] = (await freePorts(2)) as [number, number];
  const dir = join(ens.base, 'solo');
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(join(dir, 'data', 'myid'), '9\n');
  const cfg = join(dir, 'zoo.cfg');
  writeFileSync(
    cfg,
    [`dataDir=${join(dir, 'data')}`, `clientPort=${client}`, 'clientPortAddress=127.0.0.1', 'maxClientCnxns=2', '4lw.commands.whitelist=srvr, ruok', 'admin.enableServer=false'].join('\n') +
      '\n',
  );
  void quorum;
  const m = new MemberProcess(9, cfg);
  try {
    await m.ready;
    const held: net.Socket[] = [];
    for (let i = 0; i < 2; i++) {
      const s = net.connect(client, '127.0.0.1');
      await new Promise<void>((r) => s.once('connect', () => r()));
      held.push(s);
    }
    // the third connection from 127.0.0.1 is closed before it is answered
    const refused = await fourLetters(client, 'ruok');
    assert.is(refused, '');
    held[0]!.destroy();
    await new Promise((r) => setTimeout(r, 200));
    assert.is(await fourLetters(client, 'ruok'), 'imok');
    for (const s of held) s.destroy();
    await new Promise((r) => setTimeout(r, 200));
    assert.match(await fourLetters(client, 'mntr'), /mntr is not executed because it is not in the whitelist/);
    assert.match(m.output, /Too many connections from \/127\.0\.0\.1 - max is 2/);
  } finally {
    await m.stop();
  }
});

test.run();
