/**
 * `conclave node` reads ZooKeeper's Java system properties as `java ... QuorumPeerMain zoo.cfg` would: from
 * SERVER_JVMFLAGS / JVMFLAGS and `-Dname=value` arguments before the zoo.cfg path (src/config/jvmprops.ts).
 * Unit checks of every listed property, then one member started with them: jute.maxbuffer bounds what a real client
 * (node-zookeeper-client) may send, and the unknown properties get one warning line.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyJvmProperties, jvmPropertiesOf } from '../../src/config/jvmprops.js';
import { parseZooCfg } from '../../src/config/zoocfg.js';
import { memberOptionsOf } from '../../src/node.js';
import { call, closeClient, connect } from '../zookeeper/cluster-helpers.js';
import { cliPath, writeEnsemble } from './helpers.js';

const startWaitMs = 30_000;
const baseCfg = 'tickTime=2000\ndataDir=/tmp/x\nclientPort=2181\n';

test('properties: env flags, then -D arguments (the last wins); every listed property parsed; a zoo.cfg key wins', () => {
  const props = jvmPropertiesOf(
    "-Xmx1g -Dreadonlymode.enabled=true -Djute.maxbuffer=100 -Dzookeeper.skipACL=yes -Dzookeeper.authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider",
    ['-Djute.maxbuffer=4096', '-Djava.security.auth.login.config=/etc/jaas.conf', '-Dzookeeper.extendedTypesEnabled=false', '-Dzookeeper.maxCnxns=50',
      '-Dzookeeper.4lw.commands.whitelist=ruok, srvr', '-Dzookeeper.DigestAuthenticationProvider.superDigest=super:abc=', '-Dcom.example.x=1'],
  );
  const warnings: string[] = [];
  const cfg = applyJvmProperties(parseZooCfg(baseCfg, 'zoo.cfg'), props, new Set(['tickTime', 'dataDir', 'clientPort']), (l) => warnings.push(l));
  assert.equal(cfg.jvm, {
    readOnlyModeEnabled: true,
    juteMaxBufferBytes: 4096,
    skipAcl: true,
    jaasConfigPath: '/etc/jaas.conf',
    extendedTypesEnabled: false,
    maxCnxns: 50,
    authProviders: { '1': 'org.apache.zookeeper.server.auth.SASLAuthenticationProvider' },
  });
  assert.equal(cfg.fourLetterWords, ['ruok', 'srvr']);
  assert.is(memberOptionsOf(cfg).extendedTypesEnabled, false, 'the storage gets extendedTypesEnabled');
  assert.is(memberOptionsOf(parseZooCfg(baseCfg, 'zoo.cfg')).extendedTypesEnabled, undefined);
  assert.is(cfg.superDigest, 'super:abc=');
  assert.equal(warnings, ['ignoring Java system properties conclave does not read: -Dcom.example.x']);
  // the file's keys win over the properties
  const fromFile = applyJvmProperties(parseZooCfg(`${baseCfg}4lw.commands.whitelist=stat\nDigestAuthenticationProvider.superDigest=admin:x=\n`, 'zoo.cfg'), props, new Set(['4lw.commands.whitelist']), () => undefined);
  assert.equal(fromFile.fourLetterWords, ['stat']);
  assert.is(fromFile.superDigest, 'admin:x=');
  assert.throws(() => jvmPropertiesOf('', ['zoo.cfg']), /expected -Dname=value/);
  assert.throws(() => applyJvmProperties(parseZooCfg(baseCfg, 'zoo.cfg'), jvmPropertiesOf('-Djute.maxbuffer=lots'), new Set(), () => undefined), /-Djute.maxbuffer: expected an integer/);
});

test('conclave node -D... zoo.cfg with SERVER_JVMFLAGS: jute.maxbuffer bounds a real client\'s requests; one warning line for the unknown', async () => {
  const base = mkdtempSync(join(tmpdir(), 'conclave-jvm-'));
  const { cfgs, ports } = await writeEnsemble(base, [1]);
  const p = spawn(process.execPath, [cliPath, 'node', '-Djute.maxbuffer=4096', '-Dcom.example.unknown=1', cfgs.get(1)!], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SERVER_JVMFLAGS: '-Xmx512m -Dreadonlymode.enabled=true -Dother.unknown=2' },
  });
  let output = '';
  p.stdout.on('data', (d: Buffer) => (output += d));
  p.stderr.on('data', (d: Buffer) => (output += d));
  let client: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    const t0 = Date.now();
    while (!/ started in \d+ ms/.test(output) && Date.now() - t0 < startWaitMs) await new Promise((r) => setTimeout(r, 100));
    assert.match(output, / started in \d+ ms/);
    const warnings = output.split('\n').filter((l) => l.includes('Java system properties'));
    assert.is(warnings.length, 1, output);
    const line = JSON.parse(warnings[0]!) as { level: string; msg: string };
    assert.is(line.level, 'warn');
    assert.is(line.msg, 'ignoring Java system properties conclave does not read: -Dother.unknown -Dcom.example.unknown');
    client = await connect(`127.0.0.1:${ports.get(1)!.client}`);
    await call((cb) => client.create('/small', Buffer.alloc(1_000), cb));
    let failed = false;
    try {
      await call((cb) => client.setData('/small', Buffer.alloc(8_000), -1, cb));
    } catch {
      failed = true; // the member closed the connection: a frame over jute.maxbuffer
    }
    assert.ok(failed, 'a request over jute.maxbuffer=4096 is refused');
  } finally {
    if (client !== undefined) await closeClient(client);
    p.kill('SIGTERM');
    await new Promise((r) => p.once('exit', r));
    rmSync(base, { recursive: true, force: true });
  }
});

test.run();
