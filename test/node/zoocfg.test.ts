import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memberOptionsOf } from '../../src/node.js';
import { ZooCfgError, loadZooMember, parseServerLine, parseZooCfg, resolveMember } from '../../src/config/zoocfg.js';
import { jvmPropertiesOf } from '../../src/config/jvmprops.js';

const peersCfg = `# node1 of the peers.md layout
tickTime=2000
initLimit=10
syncLimit=5
dataDir=/var/lib/zk/node1/data
clientPort=22181
clientPortAddress=127.0.0.1
maxClientCnxns=0
4lw.commands.whitelist=*
admin.enableServer=true
admin.serverAddress=127.0.0.1
admin.serverPort=28081
server.1=127.0.0.1:22881:23881
server.2=127.0.0.1:22882:23882
server.3=127.0.0.1:22883:23883
`;

function throwsWith(fn: () => unknown, re: RegExp): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, ZooCfgError);
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable(`expected an error matching ${re}`);
}

test('the peers.md zoo.cfg: every key, three servers', () => {
  const c = parseZooCfg(peersCfg, '/etc/zk/zoo.cfg');
  assert.is(c.tickTimeMs, 2000);
  assert.is(c.initLimitTicks, 10);
  assert.is(c.syncLimitTicks, 5);
  assert.is(c.dataDir, '/var/lib/zk/node1/data');
  assert.is(c.dataLogDir, undefined);
  assert.is(c.clientPort, 22181);
  assert.is(c.clientPortAddress, '127.0.0.1');
  assert.is(c.maxClientCnxns, 0);
  assert.equal(c.fourLetterWords, ['*']);
  assert.equal(c.admin, { enabled: true, address: '127.0.0.1', port: 28081, commandUrl: '/commands' });
  assert.equal(
    c.servers.map((s) => [s.id, s.host, s.quorumPort, s.electionPort, s.role, s.line]),
    [
      [1, '127.0.0.1', 22881, 23881, 'participant', 13],
      [2, '127.0.0.1', 22882, 23882, 'participant', 14],
      [3, '127.0.0.1', 22883, 23883, 'participant', 15],
    ],
  );
  assert.equal(c.unknownKeys, []);
});

test('defaults: tickTime 2000, limits 10/5, 60 connections, srvr only, admin on 0.0.0.0:8080, sessions [2, 20] x tickTime', () => {
  const c = parseZooCfg('dataDir=/d\n', '/x/zoo.cfg');
  assert.is(c.tickTimeMs, 2000);
  assert.is(c.initLimitTicks, 10);
  assert.is(c.syncLimitTicks, 5);
  assert.is(c.maxClientCnxns, 60);
  assert.equal(c.fourLetterWords, ['srvr']);
  assert.equal(c.admin, { enabled: true, address: '0.0.0.0', port: 8080, commandUrl: '/commands' });
  assert.is(c.minSessionTimeoutMs, 4000);
  assert.is(c.maxSessionTimeoutMs, 40000);
  assert.equal(c.autopurge, { snapRetainCount: 3, purgeIntervalHours: 0 });
  assert.is(c.eurekaPort, undefined);
  const t = parseZooCfg('dataDir=/d\ntickTime=100\nminSessionTimeout=300\n', '/x/zoo.cfg');
  assert.is(t.minSessionTimeoutMs, 300);
  assert.is(t.maxSessionTimeoutMs, 2000);
});

test('the other keys: dataLogDir, whitelist, admin, autopurge, eurekaPort, relative dirs from the file', () => {
  const c = parseZooCfg(
    [
      'dataDir = data',
      'dataLogDir=/fast/log',
      '4lw.commands.whitelist=srvr, RUOK ,mntr',
      'admin.enableServer=false',
      'autopurge.snapRetainCount=1',
      'autopurge.purgeInterval=24',
      'eurekaPort=8761',
      'server.7=[::1]:2888:3888:observer;[::1]:2181',
      'server.2=zk2.example:2888:3888:participant;2182',
      'server.5=zk5:2888:3888;0.0.0.0:2185',
    ].join('\n'),
    '/etc/zk/zoo.cfg',
  );
  assert.is(c.dataDir, '/etc/zk/data');
  assert.is(c.dataLogDir, '/fast/log');
  assert.equal(c.fourLetterWords, ['srvr', 'ruok', 'mntr']);
  assert.is(c.admin.enabled, false);
  assert.equal(c.autopurge, { snapRetainCount: 3, purgeIntervalHours: 24 });
  assert.is(memberOptionsOf(c).snapshotsRetainMax, 3, 'the storage keeps snapRetainCount snapshots');
  assert.is(memberOptionsOf(parseZooCfg('dataDir=/d\nautopurge.snapRetainCount=7\n', '/z.cfg')).snapshotsRetainMax, 7);
  // conclave's own zabTickMs: ZAB's tick (default 50 ms), bounded
  assert.is(memberOptionsOf(c).tickMs, 50);
  const slow = parseZooCfg('dataDir=/d\nzabTickMs=200\n', '/z.cfg');
  assert.is(slow.zabTickMs, 200);
  assert.equal(slow.unknownKeys, []);
  assert.is(memberOptionsOf(slow).tickMs, 200);
  assert.throws(() => parseZooCfg('dataDir=/d\nzabTickMs=5\n', '/z.cfg'), (e: Error) => e instanceof ZooCfgError && /zabTickMs/.test(e.message));
  assert.throws(() => parseZooCfg('dataDir=/d\nzabTickMs=60000\n', '/z.cfg'), (e: Error) => e instanceof ZooCfgError && /at most 2000/.test(e.message));
  assert.is(c.eurekaPort, 8761);
  assert.equal(c.servers.map((s) => s.id), [2, 5, 7]);
  const [s2, s5, s7] = c.servers;
  assert.equal([s2!.host, s2!.role, s2!.clientAddress, s2!.clientPort], ['zk2.example', 'participant', undefined, 2182]);
  assert.equal([s5!.host, s5!.clientAddress, s5!.clientPort], ['zk5', '0.0.0.0', 2185]);
  assert.equal([s7!.host, s7!.role, s7!.clientAddress, s7!.clientPort], ['::1', 'observer', '::1', 2181]);
});

test('metricsProvider: PrometheusMetricsProvider serves /metrics on httpHost:httpPort (default 0.0.0.0:7000); another class is an error', () => {
  const cls = 'metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider\n';
  assert.equal(parseZooCfg(`dataDir=/d\n${cls}`, '/x/zoo.cfg').metricsProvider, { host: '0.0.0.0', port: 7000 });
  assert.equal(parseZooCfg(`dataDir=/d\n${cls}metricsProvider.httpPort=7070\nmetricsProvider.httpHost=127.0.0.1\n`, '/x/zoo.cfg').metricsProvider, { host: '127.0.0.1', port: 7070 });
  assert.is(parseZooCfg('dataDir=/d\nmetricsProvider.httpPort=7070\n', '/x/zoo.cfg').metricsProvider, undefined, 'no provider class: nothing served, as ZooKeeper');
  assert.throws(() => parseZooCfg('dataDir=/d\nmetricsProvider.className=com.example.Other\n', '/x/zoo.cfg'), (e: unknown) => e instanceof ZooCfgError && /\/x\/zoo.cfg:2: metricsProvider.className/.test(e.message));
});

test('unknown keys are collected (once each), known-but-inert ones apart', () => {
  const c = parseZooCfg('dataDir=/d\nfoo=1\nsnapCount=10\nbar.baz=2\nfoo=3\nauthProvider.1=x\n', '/x/zoo.cfg');
  assert.equal(c.unknownKeys, ['foo', 'bar.baz']);
  assert.equal(c.ignoredKeys, ['snapCount', 'authProvider.1']);
});

test('malformed lines and values: errors name the file and the line', () => {
  throwsWith(() => parseZooCfg('dataDir=/d\njust words\n', 'zoo.cfg'), /^zoo\.cfg:2: expected key=value/);
  throwsWith(() => parseZooCfg('dataDir=/d\n\ntickTime=fast\n', 'zoo.cfg'), /^zoo\.cfg:3: tickTime must be an integer/);
  throwsWith(() => parseZooCfg('dataDir=/d\ntickTime=0\n', 'zoo.cfg'), /zoo\.cfg:2: tickTime must be at least 1/);
  throwsWith(() => parseZooCfg('dataDir=/d\nclientPort=70000\n', 'zoo.cfg'), /zoo\.cfg:2: clientPort must be a port number/);
  throwsWith(() => parseZooCfg('dataDir=/d\nserver.x=h:1:2\n', 'zoo.cfg'), /zoo\.cfg:2: server id must be a non-negative integer/);
  throwsWith(() => parseZooCfg('dataDir=/d\nserver.1=h:1\n', 'zoo.cfg'), /zoo\.cfg:2: expected host:quorumPort:electionPort/);
  throwsWith(() => parseZooCfg('dataDir=/d\nserver.1=h:1:2:leader\n', 'zoo.cfg'), /zoo\.cfg:2: the role must be participant or observer/);
  throwsWith(() => parseZooCfg('dataDir=/d\nserver.1=h:1:2;x:y\n', 'zoo.cfg'), /zoo\.cfg:2: the client port must be a port number/);
  throwsWith(() => parseZooCfg('dataDir=/d\nserver.1=h:1:2\nserver.1=h:3:4\n', 'zoo.cfg'), /zoo\.cfg:3: server\.1 is defined twice \(also on line 2\)/);
  throwsWith(() => parseZooCfg('dataDir=/d\nadmin.enableServer=maybe\n', 'zoo.cfg'), /zoo\.cfg:2: admin\.enableServer must be true or false/);
  throwsWith(() => parseZooCfg('dataDir=/d\n4lw.commands.whitelist=srvr,status\n', 'zoo.cfg'), /zoo\.cfg:2: 'status' is not a four-letter word/);
  throwsWith(() => parseZooCfg('tickTime=2000\n', 'zoo.cfg'), /dataDir is not set/);
  throwsWith(() => parseZooCfg('dataDir=/d\nminSessionTimeout=50000\n', 'zoo.cfg'), /minSessionTimeout \(50000\) must not be larger than maxSessionTimeout \(40000\)/);
  assert.throws(() => parseServerLine(1, '', 'x'), /expected host/);
});

test('myid: this server picked out of the list; missing myid, myid not listed, clientPort conflicts are errors', () => {
  const c = parseZooCfg(peersCfg, '/etc/zk/zoo.cfg');
  const m = resolveMember(c, () => 2);
  assert.is(m.myId, 2);
  assert.is(m.self.quorumPort, 22882);
  assert.is(m.standalone, false);
  assert.is(m.clientPort, 22181);
  assert.is(m.clientAddress, '127.0.0.1');
  throwsWith(() => resolveMember(c, () => null), /myid is missing: with server\.N lines every member needs dataDir\/myid holding its N \(one of 1, 2, 3\)/);
  throwsWith(() => resolveMember(c, () => 9), /myid says 9, but \/etc\/zk\/zoo\.cfg has no server\.9 \(servers: 1, 2, 3\)/);
  const clash = parseZooCfg('dataDir=/d\nclientPort=2181\nserver.1=h:1:2;2182\n', '/z.cfg');
  throwsWith(() => resolveMember(clash, () => 1), /clientPort=2181 and server\.1's ;2182 disagree/);
  const suffix = resolveMember(parseZooCfg('dataDir=/d\nserver.1=h:1:2;10.0.0.1:2182\n', '/z.cfg'), () => 1);
  assert.equal([suffix.clientPort, suffix.clientAddress], [2182, '10.0.0.1']);
  const alone = resolveMember(parseZooCfg('dataDir=/d\nclientPort=2181\n', '/z.cfg'), () => null);
  assert.equal([alone.standalone, alone.myId, alone.clientPort], [true, 1, 2181]);
});

test('loadZooMember reads the file and dataDir/myid from disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zoocfg-'));
  try {
    writeFileSync(join(dir, 'zoo.cfg'), `dataDir=${dir}/data\nserver.4=127.0.0.1:1:2\nserver.8=127.0.0.1:3:4\n`);
    throwsWith(() => loadZooMember(join(dir, 'zoo.cfg')), /data\/myid is missing/);
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'data', 'myid'), '8\n');
    const m = loadZooMember(join(dir, 'zoo.cfg'));
    assert.is(m.myId, 8);
    assert.is(m.self.quorumPort, 3);
    writeFileSync(join(dir, 'data', 'myid'), 'eight\n');
    throwsWith(() => loadZooMember(join(dir, 'zoo.cfg')), /myid: expected a decimal server id, got 'eight'/);
    throwsWith(() => loadZooMember(join(dir, 'nope.cfg')), /nope\.cfg: cannot read the configuration/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('super digest: the zoo.cfg key (ZooKeeper\'s system property without zookeeper.), else -D in SERVER_JVMFLAGS/JVMFLAGS', () => {
  const digest = 'super:0bX78nEegDzJM3ju0iLBEJdWzjg=';
  const c = parseZooCfg(`dataDir=/d\nDigestAuthenticationProvider.superDigest=${digest}\n`, 'zoo.cfg');
  assert.is(c.superDigest, digest);
  assert.equal(c.unknownKeys, []);
  assert.is(parseZooCfg('dataDir=/d\n', 'zoo.cfg').superDigest, undefined);
  // with the prefix it would be the property zookeeper.zookeeper.…: accepted, without effect, as in ZooKeeper
  const prefixed = parseZooCfg(`dataDir=/d\nzookeeper.DigestAuthenticationProvider.superDigest=${digest}\n`, 'zoo.cfg');
  assert.is(prefixed.superDigest, undefined);
  assert.equal(prefixed.ignoredKeys, ['zookeeper.DigestAuthenticationProvider.superDigest']);
  throwsWith(() => parseZooCfg('dataDir=/d\nDigestAuthenticationProvider.superDigest=nocolon\n', 'zoo.cfg'), /zoo\.cfg:2: the super digest must be user:base64/);
  throwsWith(() => parseZooCfg('dataDir=/d\nDigestAuthenticationProvider.superDigest=super:\n', 'zoo.cfg'), /zoo\.cfg:2: the super digest/);

  const sd = (flags: string) => jvmPropertiesOf(flags).get('zookeeper.DigestAuthenticationProvider.superDigest');
  assert.is(sd(`-Xmx1g -Dzookeeper.DigestAuthenticationProvider.superDigest=${digest} -Dfoo=bar`), digest);
  assert.is(sd(`-Dzookeeper.DigestAuthenticationProvider.superDigest="a:b" -Dzookeeper.DigestAuthenticationProvider.superDigest='${digest}'`), digest);
  assert.is(sd('-Dzookeeper.DigestAuthenticationProviderXsuperDigest=a:b -Xmx1g'), undefined);
  assert.is(sd(''), undefined);

  const dir = mkdtempSync(join(tmpdir(), 'zoocfg-super-'));
  try {
    writeFileSync(join(dir, 'zoo.cfg'), `dataDir=${dir}\nclientPort=2181\n`);
    const env = { SERVER_JVMFLAGS: `-Xmx512m -Dzookeeper.DigestAuthenticationProvider.superDigest=${digest}` };
    assert.is(loadZooMember(join(dir, 'zoo.cfg'), env).cfg.superDigest, digest);
    assert.is(loadZooMember(join(dir, 'zoo.cfg'), { JVMFLAGS: `-Dzookeeper.DigestAuthenticationProvider.superDigest=${digest}` }).cfg.superDigest, digest);
    assert.is(loadZooMember(join(dir, 'zoo.cfg'), {}).cfg.superDigest, undefined);
    throwsWith(() => loadZooMember(join(dir, 'zoo.cfg'), { JVMFLAGS: '-Dzookeeper.DigestAuthenticationProvider.superDigest=oops' }), /-Dzookeeper\.DigestAuthenticationProvider\.superDigest: the super digest must be/);
    // the file's key wins over the flag, as ZooKeeper sets the property from zoo.cfg after the JVM started
    writeFileSync(join(dir, 'zoo.cfg'), `dataDir=${dir}\nDigestAuthenticationProvider.superDigest=admin:abc=\n`);
    assert.is(loadZooMember(join(dir, 'zoo.cfg'), env).cfg.superDigest, 'admin:abc=');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
