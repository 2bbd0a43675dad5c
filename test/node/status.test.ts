/**
 * `conclave status` against a 3-process `conclave node` ensemble and, where Debian's zookeeper is installed, an
 * Apache ZooKeeper 3.8 ensemble started the same way (bench/zk-ensembles.ts): one leader, two followers, one
 * epoch and lag 0 once a write has reached every member; `--json` parses; an unreachable member is a row of its own; the table has a line per
 * member.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Ensemble, zookeeperInstalled, type System } from '../../bench/zk-ensembles.js';
import { RawZk } from '../zookeeper/raw-zk.js';
import { runCli } from './helpers.js';
import { startEmbedded } from '../../src/start.js';
import { collectStatus, memberFromWords, statusTable, type MemberStatus } from '../../src/status.js';

const cli = (args: string[]) => runCli(args, { timeoutMs: 30_000 });

test('srvr/mntr parsing: mode, epoch from the zxid, latency, uptime; a refused word is the row\'s error', () => {
  const srvr = 'Zookeeper version: 3.8.0-5a02a05eddb59aee6ac762f7ea82e92a68eb9c0f, built on 2022-02-25 08:49 UTC\nLatency min/avg/max: 1/2.5/9\nReceived: 10\nSent: 9\nConnections: 2\nOutstanding: 0\nZxid: 0x300000007\nMode: follower\nNode count: 12\n';
  const m = memberFromWords('h:1', srvr, 'zk_version\t3.8.0\nzk_uptime\t65000\n');
  assert.equal(m, { address: 'h:1', mode: 'follower', version: '3.8.0', zxid: '0x300000007', epoch: 3, connections: 2, outstanding: 0, latencyMs: { min: 1, avg: 2.5, max: 9 }, znodes: 12, uptimeMs: 65000 });
  assert.equal(memberFromWords('h:2', 'srvr is not executed because it is not in the whitelist.\n', ''), { address: 'h:2', error: 'srvr is not executed because it is not in the whitelist.' });
  const t = statusTable([m, { address: 'h:2', error: 'ECONNREFUSED' }]);
  assert.is(t.trimEnd().split('\n').length, 4, 'header, rule, two members');
  assert.match(t, /h:1 +follower +3 +0x300000007 +- +2 +0 +1\/2\.5\/9 +12 +1m5s +3\.8\.0/);
  assert.match(t, /h:2 +unreachable: ECONNREFUSED/);
});

async function checkEnsemble(system: System): Promise<void> {
  const e = new Ensemble(system);
  try {
    await e.start();
    const connect = e.servers.map((s) => `${s.host}:${s.port}`).join(',');
    // one write, so that every member has applied a txn of this epoch (a fresh ZooKeeper follower reports 0x0)
    const c = await RawZk.open(e.servers[0]!.port);
    await c.create('/status-probe', 'x');
    await c.close();
    // a quiet ensemble: every member on the leader's zxid (a follower may still be applying the last commit)
    let rows: MemberStatus[] = [];
    const deadline = Date.now() + 15_000;
    do {
      rows = await collectStatus(connect.split(','));
    } while (Date.now() < deadline && rows.some((r) => r.lagTxns !== 0) && (await new Promise((r) => setTimeout(r, 200)), true));
    assert.equal(rows.map((r) => r.mode).sort(), ['follower', 'follower', 'leader'], JSON.stringify(rows));
    assert.is(new Set(rows.map((r) => r.epoch)).size, 1, 'one epoch');
    assert.ok(rows.every((r) => r.lagTxns === 0), JSON.stringify(rows));
    assert.ok(rows.every((r) => typeof r.uptimeMs === 'number' && r.uptimeMs > 0 && r.znodes! >= 1 && /^3\.8/.test(r.version!)), JSON.stringify(rows));

    const j = await cli(['status', '--connect', `${connect},127.0.0.1:1`, '--json']);
    assert.is(j.code, 0, j.stderr);
    const parsed = JSON.parse(j.stdout) as MemberStatus[];
    assert.is(parsed.length, 4);
    assert.equal(parsed.filter((r) => r.error === undefined).map((r) => r.mode).sort(), ['follower', 'follower', 'leader']);
    assert.ok(parsed[3]!.error !== undefined, 'the unreachable member is a row with its error');
    const t = await cli(['status', '--connect', connect]);
    assert.is(t.code, 0, t.stderr);
    assert.is(t.stdout.trimEnd().split('\n').length, 5, t.stdout);
    assert.match(t.stdout, /^member +mode +epoch +zxid +lag/);
  } finally {
    await e.stop();
  }
}

test('conclave status: a 3-process conclave node ensemble', () => checkEnsemble('conclave'));

if (zookeeperInstalled()) test('conclave status: an Apache ZooKeeper 3.8 ensemble (Debian zookeeper)', () => checkEnsemble('zookeeper'));
else {
  console.log('note: Debian zookeeper not installed; the Apache ZooKeeper status test is skipped');
  test.skip('conclave status: an Apache ZooKeeper 3.8 ensemble (zookeeper not installed)', () => undefined);
}

test('conclave status --eureka: registered instances and self-preservation per member of conclave start', async () => {
  const s = await startEmbedded({ eurekaBasePort: 0, zkBasePort: 0, redisBasePort: 'off' });
  try {
    const connect = [...s.zk.values()].map((z) => `127.0.0.1:${z.port}`);
    const eureka = s.endpoints.filter((e) => e.service === 'eureka').map((e) => new URL(e.url).host);
    const body = { instance: { app: 'ST', hostName: 'st-1', ipAddr: '127.0.0.1', port: { $: 9000, '@enabled': 'true' }, vipAddress: 'st', status: 'UP', dataCenterInfo: { '@class': 'com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo', name: 'MyOwn' } } };
    assert.is((await fetch(`http://${eureka[0]}/eureka/v2/apps/ST`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).status, 204);
    // replicated to the other members' registries
    let rows: MemberStatus[] = [];
    const deadline = Date.now() + 10_000;
    do {
      rows = await collectStatus(connect, eureka);
    } while (Date.now() < deadline && rows.some((r) => r.eureka === undefined || !('instances' in r.eureka) || r.eureka.instances !== 1) && (await new Promise((r) => setTimeout(r, 200)), true));
    for (const r of rows) assert.equal(r.eureka !== undefined && 'instances' in r.eureka ? [r.eureka.instances, r.eureka.selfPreservation] : r.eureka, [1, false], JSON.stringify(r));
    const t = await cli(['status', '--connect', [...connect, '127.0.0.1:1'].join(','), '--eureka', [...eureka, '127.0.0.1:1'].join(',')]);
    assert.is(t.code, 0, t.stderr);
    assert.match(t.stdout, /^member .* version +eureka instances +self-preservation$/m);
    assert.is(t.stdout.match(/ 1 +off \(\d+\/\d+ renewals\)$/gm)?.length, 3, t.stdout);
    assert.match(t.stdout, /127\.0\.0\.1:1 +unreachable: ECONNREFUSED .*unreachable: bad port/);
    const j = JSON.parse((await cli(['status', '--connect', connect[0]!, '--eureka', eureka[0]!, '--json'])).stdout) as MemberStatus[];
    assert.equal(j[0]!.eureka, { instances: 1, selfPreservation: false, renewsLastMinute: (j[0]!.eureka as { renewsLastMinute: number }).renewsLastMinute, renewsThreshold: (j[0]!.eureka as { renewsThreshold: number }).renewsThreshold });
    const tooMany = await cli(['status', '--connect', connect[0]!, '--eureka', eureka.join(',')]);
    assert.is(tooMany.code, 2);
    assert.is(tooMany.stderr, 'conclave status: --eureka names 3 ports for 1 members\n');
  } finally {
    await s.close();
  }
});

test('conclave status: nobody answering is exit 1; a bad address is exit 2 with one line', async () => {
  const none = await cli(['status', '--connect', '127.0.0.1:1']);
  assert.is(none.code, 1);
  assert.match(none.stdout, /127\.0\.0\.1:1 +unreachable: ECONNREFUSED/);
  const bad = await cli(['status', '--connect', 'nonsense']);
  assert.is(bad.code, 2);
  assert.is(bad.stderr, "conclave status: 'nonsense' is not host:port\n");
});

test.run();
