import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseStartFlags, startEmbedded } from '../../src/start.js';
import { RawZk, fourLetterWord } from '../zookeeper/raw-zk.js';
import { createServer, type AddressInfo } from 'node:net';
import { runCli } from '../node/helpers.js';

test('conclave start: a 3-node cluster with a leader, each node serving Eureka; a registration on one is seen on another', async () => {
  const s = await startEmbedded({ eurekaBasePort: 0, zkBasePort: 0, redisBasePort: 0 });
  try {
    const st = await s.cluster.status();
    assert.is(Object.values(st).filter((x) => x.role === 'leading').length, 1);
    assert.is(s.endpoints.filter((e) => e.service === 'eureka').length, 3);
    assert.is(s.endpoints.filter((e) => e.service === 'zookeeper').length, 3);
    assert.equal(s.endpoints.filter((e) => e.service === 'redis').map((e) => e.url), [...s.cluster.redisPorts.values()].map((p) => `redis://127.0.0.1:${p}`));
    const [a, b] = s.endpoints.filter((e) => e.service === 'eureka').map((e) => e.url);
    const body = {
      instance: {
        app: 'DEMO',
        hostName: 'demo-1',
        ipAddr: '127.0.0.1',
        port: { $: 9000, '@enabled': 'true' },
        vipAddress: 'demo',
        status: 'UP',
        dataCenterInfo: { '@class': 'com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo', name: 'MyOwn' },
      },
    };
    const reg = await fetch(`${a}DEMO`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.is(reg.status, 204);
    let seen = false;
    for (let i = 0; i < 100 && !seen; i++) {
      const r = await fetch(`${b}DEMO/demo-1`, { headers: { accept: 'application/json' } });
      seen = r.status === 200;
      if (!seen) await new Promise((res) => setTimeout(res, 50));
    }
    assert.ok(seen, 'replicated to the second node');
  } finally {
    await s.close();
  }
});

test('conclave start --nodes 4 --observers 1: the last node observes (srvr Mode: observer, :observer in /zookeeper/config) and serves', async () => {
  const s = await startEmbedded({ eurekaBasePort: 0, zkBasePort: 0, redisBasePort: 0, nodes: 4, observers: 1 });
  try {
    const ports = [...s.zk.values()].map((z) => z.port);
    assert.is(ports.length, 4);
    const modeOf = async (p: number) => /Mode: (\w+)/.exec(await fourLetterWord(p, 'srvr'))?.[1];
    let observer: string | undefined;
    for (let i = 0; i < 50 && observer !== 'observer'; i++) {
      observer = await modeOf(ports[3]!);
      if (observer !== 'observer') await new Promise((r) => setTimeout(r, 100));
    }
    assert.is(observer, 'observer');
    assert.ok(['leader', 'follower'].includes((await modeOf(ports[0]!))!));
    const c = await RawZk.open(ports[3]!);
    await c.create('/via-observer', 'o');
    const r = await c.ok({ type: 'GetData', path: '/zookeeper/config', watch: false });
    const lines = Buffer.from((r.response as { data: Uint8Array }).data).toString().split('\n');
    assert.equal(lines.slice(0, 4).map((l) => l.replace(/=.*:(participant|observer);.*/, '=$1')), ['server.1=participant', 'server.2=participant', 'server.3=participant', 'server.4=observer']);
    await c.close();
  } finally {
    await s.close();
  }
});

test('conclave start flags: admin port (off = none), super digest and 4lw list checked, bad values named', () => {
  const base = { host: '127.0.0.1', eurekaPort: '8761', zkPort: '2181', adminPort: '8081' };
  assert.equal(parseStartFlags(base), { host: '127.0.0.1', eurekaBasePort: 8761, zkBasePort: 2181, adminBasePort: 8081 });
  assert.is(parseStartFlags({ ...base, adminPort: 'off' }).adminBasePort, undefined);
  assert.is(parseStartFlags({ ...base, redisPort: 'off' }).redisBasePort, 'off');
  assert.is(parseStartFlags({ ...base, redisPort: '7000' }).redisBasePort, 7000);
  assert.throws(() => parseStartFlags({ ...base, redisPort: 'x' }), /--redis-port must be a port number/);
  const f = parseStartFlags({ ...base, superDigest: 'super:0bX78nEegDzJM3ju0iLBEJdWzjg=', '4lw': 'srvr, CONS,dump' });
  assert.is(f.superDigest, 'super:0bX78nEegDzJM3ju0iLBEJdWzjg=');
  assert.equal(f.fourLetterWords, ['srvr', 'cons', 'dump']);
  assert.throws(() => parseStartFlags({ ...base, superDigest: 'nocolon' }), /--super-digest: the super digest must be user:base64/);
  assert.throws(() => parseStartFlags({ ...base, '4lw': 'stats' }), /--4lw: 'stats' is not a four-letter word/);
  assert.throws(() => parseStartFlags({ ...base, adminPort: '70000' }), /--admin-port must be a port number/);
  assert.equal(parseStartFlags({ ...base, nodes: '5', observers: '2' }), { nodes: 5, observers: 2, host: '127.0.0.1', eurekaBasePort: 8761, zkBasePort: 2181, adminBasePort: 8081 });
  assert.throws(() => parseStartFlags({ ...base, nodes: '0' }), /--nodes must be a whole number from 1 to 9/);
  assert.throws(() => parseStartFlags({ ...base, observers: '3' }), /--observers must be a whole number from 0 to 2/, 'at least one voter');
});

test('conclave start: a taken port is one line naming the port and its flag, exit 1; SIGINT stops cleanly and says so', async () => {
  const squatter = createServer();
  await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r));
  const taken = (squatter.address() as AddressInfo).port;
  try {
    const r = await runCli(['start', '--zk-port', String(taken), '--eureka-port', '0', '--redis-port', '0', '--admin-port', 'off', '--nodes', '1']);
    assert.is(r.code, 1);
    assert.is(r.stderr, `conclave start: cannot listen on 127.0.0.1:${taken} (EADDRINUSE); choose another port with --zk-port (or 0 for free ports)\n`);
  } finally {
    squatter.close();
  }
  let signalled = false;
  const r = await runCli(['start', '--zk-port', '0', '--eureka-port', '0', '--redis-port', '0', '--admin-port', 'off', '--nodes', '1'], {
    onOut: (out, pid) => {
      if (!signalled && out.includes('Ctrl-C stops the cluster.')) {
        signalled = true;
        process.kill(pid, 'SIGINT');
      }
    },
  });
  assert.ok(signalled, 'it started');
  assert.is(r.code, 0, r.stderr);
  // the output is log lines: one JSON object per line, with level, time, actor and msg
  const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { level: string; time: number; node?: string; actor: string; msg: string; electionMs?: number });
  for (const l of lines) {
    assert.type(l.level, 'string');
    assert.type(l.time, 'number');
    assert.type(l.actor, 'string');
    assert.type(l.msg, 'string');
  }
  assert.ok(lines.some((l) => l.actor === 'broadcast' && l.node === 'n1' && typeof l.electionMs === 'number' && /^leading epoch \d+: election took \d+ ms$/.test(l.msg)), 'the election, with its duration');
  assert.ok(lines.some((l) => l.msg.startsWith('conclave: stopping (SIGINT)')));
  assert.match(lines[lines.length - 1]!.msg, /^conclave: stopped in \d+ ms \(1 node closed\)$/);
});

test('conclave start --data: a node directory that is not ours is one line, exit 1, and is left as it was', async () => {
  const data = mkdtempSync(join(tmpdir(), 'conclave-start-data-'));
  try {
    mkdirSync(join(data, 'n1'));
    writeFileSync(join(data, 'n1', 'notes.txt'), 'mine');
    const r = await runCli(['start', '--data', data, '--nodes', '1', '--zk-port', '0', '--eureka-port', '0', '--redis-port', '0', '--admin-port', 'off']);
    assert.is(r.code, 1);
    assert.is(r.stderr, `conclave start: ${join(data, 'n1')}: not a conclave data directory: it holds notes.txt; nothing was changed (move it aside or point dataDir elsewhere)\n`);
    assert.equal(readdirSync(join(data, 'n1')), ['notes.txt']);
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});

test.run();
