/**
 * A leader killed mid-session: node-zookeeper-client with all three client ports carries on against the survivors
 * with the same session (its ephemeral node and earlier data intact). Four-letter words on the served ports.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect as tcp } from 'node:net';
import { call, closeClient, connect, ports, startCluster } from './cluster-helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const retryStepsMax = 100;
const retryDelayMs = 200;

async function retry<T>(what: string, fn: () => Promise<T>): Promise<T> {
  let last: unknown;
  for (let i = 0; i < retryStepsMax; i++) {
    try {
      return await fn();
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, retryDelayMs));
    }
  }
  throw new Error(`${what}: ${String(last)}`);
}

function fourLetterWord(port: number, word: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = tcp(port, '127.0.0.1');
    let out = '';
    const t = setTimeout(() => (sock.destroy(), reject(new Error(`${word} timed out`))), 5_000);
    sock.on('data', (d) => (out += d.toString('utf8')));
    sock.on('error', (e) => (clearTimeout(t), reject(e)));
    sock.on('close', () => (clearTimeout(t), resolve(out)));
    sock.write(word);
  });
}

test('four-letter words: ruok, srvr, stat, mntr, conf, envi, isro with the node role', async () => {
  const s = await startCluster();
  try {
    const leader = await s.cluster.waitForLeader();
    await new Promise((r) => setTimeout(r, 700)); // one status refresh
    for (const [node, z] of s.zk) {
      assert.is(await fourLetterWord(z.port, 'ruok'), 'imok');
      assert.is(await fourLetterWord(z.port, 'isro'), 'rw');
      const srvr = await fourLetterWord(z.port, 'srvr');
      assert.match(srvr, /^Zookeeper version: 3\.8\./);
      assert.match(srvr, node === leader ? /Mode: leader/ : /Mode: follower/);
      assert.match(srvr, /Zxid: 0x[0-9a-f]+/);
      assert.match(await fourLetterWord(z.port, 'stat'), /Clients:\n/);
      const mntr = await fourLetterWord(z.port, 'mntr');
      assert.match(mntr, new RegExp(`zk_server_state\\t${node === leader ? 'leader' : 'follower'}\\n`));
      assert.match(mntr, /zk_znode_count\t\d+\n/);
      assert.match(await fourLetterWord(z.port, 'conf'), new RegExp(`clientPort=${z.port}\\n`));
      assert.match(await fourLetterWord(z.port, 'envi'), /^Environment:\nzookeeper\.version=3\.8\./);
    }
  } finally {
    await s.close();
  }
});

test('leader killed mid-session: the client carries on against the survivors with the same session', async () => {
  const s = await startCluster();
  let client: any;
  try {
    const leader = await s.cluster.waitForLeader();
    const byNode = [...s.zk.entries()];
    // Put the leader's port first so the session starts on the node that will die (nzk shuffles; retry till so).
    const leaderPort = s.zk.get(leader)!.port;
    const connectString = [leaderPort, ...ports(s).filter((p) => p !== leaderPort)].map((p) => `127.0.0.1:${p}`).join(',');
    for (let i = 0; i < 20; i++) {
      client = await connect(connectString, { sessionTimeout: 20_000 });
      if ([...s.zk.get(leader)!.connections].some((c) => c.sessionId !== 0n)) break;
      await closeClient(client);
      client = undefined;
    }
    assert.ok(client, 'a session on the leader');
    const sessionBefore = client.getSessionId().toString('hex');
    await call((cb) => client.create('/fo', Buffer.from('before'), cb));
    await call((cb) => client.create('/fo/eph', Buffer.from(''), 1, cb));
    void byNode;

    await s.cluster.kill(leader);
    // Writes go through once the survivors elect; the client reconnects on its own (CONNECTION_LOSS meanwhile).
    await retry('setData after failover', () => call((cb) => client.setData('/fo', Buffer.from('after'), -1, cb), 3_000));
    const newLeader = await s.cluster.waitForLeader(20_000);
    assert.is.not(newLeader, leader);
    assert.is(client.getSessionId().toString('hex'), sessionBefore, 'same session');
    const [data] = await retry('getData', () => call<[Buffer, any]>((cb) => client.getData('/fo', cb), 3_000));
    assert.is(data.toString(), 'after');
    const eph = await retry('exists', () => call<any>((cb) => client.exists('/fo/eph', cb), 3_000));
    assert.ok(eph, 'ephemeral of the live session survives the failover');
    assert.is(eph.ephemeralOwner.toString('hex'), sessionBefore);
    const created = await retry('create after failover', () => call<string>((cb) => client.create('/fo/new', Buffer.from('n'), cb), 3_000).catch((e) => {
      if (e?.getCode?.() === -110) return '/fo/new';
      throw e;
    }));
    assert.is(created, '/fo/new');
  } finally {
    if (client) await closeClient(client);
    await s.close();
  }
});

test.run();
