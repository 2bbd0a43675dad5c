/**
 * ACL completeness and the introspection words against the embedded cluster's client ports: the super digest
 * (node-zookeeper-client's addAuthInfo), `ip` ACLs (clients on 127.0.0.1 and 127.0.0.2), INVALIDACL for bad ip
 * ids, the four-letter words cons/dump/dirs/crst and the whitelist, the AdminServer's connections/dump/dirs/
 * environment and its answer to an unknown command.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { digestId } from '../../src/servers/zookeeper/backend.js';
import { startZkServers } from '../../src/servers/zookeeper/serve.js';
import { startEmbedded, type Started } from '../../src/start.js';
import { Err } from '../../src/wire/jute/index.js';
import { call, closeClient, codeOf, connect, fourLetterWord, rawSession, rawSync, zookeeper } from './cluster-helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
let s: Started;
const superDigest = digestId('super:pw')!;
const enc = (x: string) => new TextEncoder().encode(x);
const portOf = (node: string) => s.zk.get(node)!.port;
let leaderPort = 0;
let followerPort = 0;

test.before(async () => {
  s = await startEmbedded({ eurekaBasePort: 0, zkBasePort: 0, redisBasePort: 0, adminBasePort: 0, superDigest, fourLetterWords: ['*'] });
  const leader = s.cluster.leader()!;
  leaderPort = portOf(leader);
  followerPort = portOf(s.cluster.nodes.find((n) => n !== leader)!);
});
test.after(async () => {
  await s.close();
});

test('super digest: addauth digest super:pw reads and changes a node whose ACL admits only bob, on any server', async () => {
  const owner = await connect(`127.0.0.1:${leaderPort}`);
  const anon = await connect(`127.0.0.1:${followerPort}`);
  const sup = await connect(`127.0.0.1:${followerPort}`);
  const wrong = await connect(`127.0.0.1:${followerPort}`);
  try {
    const bobOnly = [new zookeeper.ACL(zookeeper.Permission.ALL, new zookeeper.Id('digest', digestId('bob:secret')))];
    assert.is(await call((cb) => owner.create('/locked', Buffer.from('L'), bobOnly, zookeeper.CreateMode.PERSISTENT, cb)), '/locked');
    assert.is(await codeOf(call((cb) => owner.getData('/locked', cb))), zookeeper.Exception.NO_AUTH, 'its creator is not bob');
    await rawSync(followerPort);
    sup.addAuthInfo('digest', Buffer.from('super:pw'));
    wrong.addAuthInfo('digest', Buffer.from('super:wrong'));
    assert.is(await codeOf(call((cb) => anon.getData('/locked', cb))), zookeeper.Exception.NO_AUTH);
    assert.is(await codeOf(call((cb) => wrong.getData('/locked', cb))), zookeeper.Exception.NO_AUTH);
    const [data] = await call<[Buffer, any]>((cb) => sup.getData('/locked', cb));
    assert.is(data.toString(), 'L');
    const [acl] = await call<[any[], any]>((cb) => sup.getACL('/locked', cb));
    assert.is(acl[0].id.id, digestId('bob:secret'), 'the super user sees the digest unmasked');
    // writes are checked at commit on every replica with the super flag the request carries
    await call((cb) => sup.setData('/locked', Buffer.from('S'), -1, cb));
    await call((cb) => sup.create('/locked/child', Buffer.from(''), cb));
    assert.is(await codeOf(call((cb) => wrong.setData('/locked', Buffer.from('W'), -1, cb))), zookeeper.Exception.NO_AUTH);
    await call((cb) => sup.remove('/locked/child', -1, cb));
    await call((cb) => sup.remove('/locked', -1, cb));
  } finally {
    for (const c of [owner, anon, sup, wrong]) await closeClient(c);
  }
});

test('ip ACLs: every connection is ip:<its address>; 127.0.0.1 reads and writes, 127.0.0.2 gets NOAUTH on every server', async () => {
  const local = await connect(`127.0.0.1:${leaderPort}`);
  const fromLeader = await rawSession(leaderPort, '127.0.0.2');
  const fromFollower = await rawSession(followerPort, '127.0.0.2');
  try {
    const only = (id: string) => [new zookeeper.ACL(zookeeper.Permission.ALL, new zookeeper.Id('ip', id))];
    await call((cb) => local.create('/iponly', Buffer.from('secret'), only('127.0.0.1'), zookeeper.CreateMode.PERSISTENT, cb));
    await call((cb) => local.create('/ipnet', Buffer.from('net'), only('127.0.0.0/8'), zookeeper.CreateMode.PERSISTENT, cb));
    const [data] = await call<[Buffer, any]>((cb) => local.getData('/iponly', cb));
    assert.is(data.toString(), 'secret');
    await call((cb) => local.setData('/iponly', Buffer.from('secret2'), -1, cb));
    const [acl] = await call<[any[], any]>((cb) => local.getACL('/iponly', cb));
    assert.equal(acl.map((a: any) => [a.id.scheme, a.id.id]), [['ip', '127.0.0.1']]);

    await rawSync(followerPort);
    for (const other of [fromLeader, fromFollower]) {
      assert.is((await other.request({ type: 'GetData', path: '/iponly', watch: false })).err, Err.NOAUTH);
      assert.is((await other.request({ type: 'Exists', path: '/iponly', watch: false })).err, Err.OK, 'exists has no ACL check');
      assert.is((await other.request({ type: 'SetData', path: '/iponly', data: enc('x'), version: -1 })).err, Err.NOAUTH);
      assert.is((await other.request({ type: 'Create', path: '/iponly/c', data: enc(''), acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], flags: 0 })).err, Err.NOAUTH);
      const net = await other.request({ type: 'GetData', path: '/ipnet', watch: false });
      assert.is(net.err, Err.OK, '127.0.0.2 is in 127.0.0.0/8');
      assert.is(new TextDecoder().decode((net.response as { data: Uint8Array }).data), 'net');
      const who = await other.request({ type: 'WhoAmI' });
      assert.equal((who.response as { clientInfo: unknown[] }).clientInfo, [{ authScheme: 'ip', user: '127.0.0.2' }]);
    }
    const [still] = await call<[Buffer, any]>((cb) => local.getData('/iponly', cb));
    assert.is(still.toString(), 'secret2', 'the refused setData changed nothing');
    // an `auth` ACL never copies the ip id: with only an ip id it is INVALIDACL
    assert.is((await fromLeader.request({ type: 'Create', path: '/authonly', data: enc(''), acl: [{ perms: 31, id: { scheme: 'auth', id: '' } }], flags: 0 })).err, Err.INVALIDACL);
    await call((cb) => local.remove('/iponly', -1, cb));
    await call((cb) => local.remove('/ipnet', -1, cb));
  } finally {
    fromLeader.close();
    fromFollower.close();
    await closeClient(local);
  }
});

test('INVALIDACL for bad ip ids on create and setACL', async () => {
  const c = await connect(`127.0.0.1:${followerPort}`);
  try {
    for (const bad of ['300.0.0.1', '10.0.0.0/33', 'abc', '1.2.3', '::1/129', '']) {
      const acl = [new zookeeper.ACL(zookeeper.Permission.ALL, new zookeeper.Id('ip', bad))];
      assert.is(await codeOf(call((cb) => c.create('/badip', Buffer.from(''), acl, zookeeper.CreateMode.PERSISTENT, cb))), zookeeper.Exception.INVALID_ACL, bad);
    }
    await call((cb) => c.create('/setacl', Buffer.from(''), cb));
    const bad = [new zookeeper.ACL(zookeeper.Permission.ALL, new zookeeper.Id('ip', '10.0.0.0/40'))];
    assert.is(await codeOf(call((cb) => c.setACL('/setacl', bad, -1, cb))), zookeeper.Exception.INVALID_ACL);
    const v6 = [new zookeeper.ACL(zookeeper.Permission.ALL, new zookeeper.Id('ip', 'fe80::/10'))];
    await call((cb) => c.setACL('/setacl', v6, -1, cb));
    assert.is(await codeOf(call((cb) => c.getData('/setacl', cb))), zookeeper.Exception.NO_AUTH, 'an IPv4 client is not in fe80::/10');
  } finally {
    await closeClient(c);
  }
});

const sidHex = (client: any) => '0x' + BigInt('0x' + (client.getSessionId() as Buffer).toString('hex')).toString(16);

test('cons, dump (leader and follower layouts), dirs, crst', async () => {
  const c = await connect(`127.0.0.1:${leaderPort}`);
  const f = await connect(`127.0.0.1:${followerPort}`);
  try {
    await call((cb) => c.create('/eph-4lw', Buffer.from(''), zookeeper.CreateMode.EPHEMERAL, cb));
    await call((cb) => c.getData('/eph-4lw', cb));
    const sid = sidHex(c);
    const cons = await fourLetterWord(leaderPort, 'cons');
    assert.ok(cons.endsWith(')\n\n'), cons);
    const lines = cons.trimEnd().split('\n');
    const mine = lines.find((l) => l.includes(`sid=${sid},`));
    assert.ok(mine, `a line for ${sid} in:\n${cons}`);
    assert.match(
      mine!,
      /^ \/127\.0\.0\.1:\d+\[1\]\(queued=0,recved=\d+,sent=\d+,sid=0x[0-9a-f]+,lop=(GETD|PING),est=\d{13},to=10000,(lcxid=0x[0-9a-f]+,)?lzxid=0x[0-9a-f]+,lresp=\d+,llat=\d+,minlat=\d+,avglat=\d+,maxlat=\d+\)$/,
    );
    assert.ok(lines.some((l) => /^ \/127\.0\.0\.1:\d+\[0\]\(queued=0,recved=1,sent=0\)$/.test(l)), 'the cons connection itself');

    const leaderDump = await fourLetterWord(leaderPort, 'dump');
    assert.ok(leaderDump.startsWith('SessionTracker dump:\nSession Sets ('), leaderDump);
    assert.match(leaderDump, /\n\d+ expire at [A-Z][a-z]{2} [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d UTC \d{4}:\n\t0x/);
    assert.ok(leaderDump.includes(`\t${sid}\n`), 'the session sits in an expiry bucket');
    assert.ok(leaderDump.includes(`ephemeral nodes dump:\nSessions with Ephemerals (`), leaderDump);
    assert.ok(leaderDump.includes(`\n${sid}:\n\t/eph-4lw\n`), leaderDump);
    assert.ok(leaderDump.endsWith('Connections dump:\n'));
    await rawSync(followerPort);
    const followerDump = await fourLetterWord(followerPort, 'dump');
    assert.ok(followerDump.startsWith('SessionTracker dump:\nGlobal Sessions('), followerDump);
    assert.ok(followerDump.includes(`\n${sid}\t10000ms\n`), followerDump);
    assert.ok(followerDump.includes(`\n${sid}:\n\t/eph-4lw\n`), followerDump);

    const dirs = /^datadir_size: (\d+)\nlogdir_size: (\d+)\n$/.exec(await fourLetterWord(leaderPort, 'dirs'));
    assert.ok(dirs, 'dirs layout');
    assert.ok(Number(dirs![2]) > 0, 'the log holds the writes');

    assert.is(await fourLetterWord(leaderPort, 'crst'), 'Connection stats reset.\n');
    const after = (await fourLetterWord(leaderPort, 'cons')).split('\n').find((l) => l.includes(`sid=${sid},`))!;
    assert.match(after, /\(queued=0,recved=[01],sent=[01],sid=0x[0-9a-f]+,lop=(NA|PING),/, 'counters start over (a ping may come in between)');
    assert.not.ok(after.includes('lcxid='), 'no lcxid before the next client request');
  } finally {
    await closeClient(c);
    await closeClient(f);
  }
});

test('4lw whitelist: a word not listed gets ZooKeeper\'s refusal line; * answers all', async () => {
  const node = s.cluster.nodes[0]!;
  const only = await startZkServers(s.cluster.runtime, [{ node, port: 0 }], { fourLetterWordsWhitelist: ['srvr'] });
  try {
    const port = only.get(node)!.port;
    for (const w of ['cons', 'dump', 'dirs', 'ruok', 'crst']) assert.is(await fourLetterWord(port, w), `${w} is not executed because it is not in the whitelist.\n`);
    assert.ok((await fourLetterWord(port, 'srvr')).startsWith('Zookeeper version: '));
    assert.is(await fourLetterWord(leaderPort, 'ruok'), 'imok', "'*' lets every word through");
  } finally {
    for (const z of only.values()) await z.close();
  }
});

test('AdminServer per node: connections, dump, dirs, environment, aliases; an unknown command answers 200 with an error', async () => {
  const c = await connect(`127.0.0.1:${leaderPort}`);
  try {
    await call((cb) => c.create('/eph-admin', Buffer.from(''), zookeeper.CreateMode.EPHEMERAL, cb));
    const sid = Number(BigInt(sidHex(c)));
    const port = s.admin.get(s.cluster.leader()!)!.port;
    const get = async (name: string) => {
      const r = await fetch(`http://127.0.0.1:${port}/commands/${name}`);
      return { status: r.status, body: (await r.json()) as Record<string, any> };
    };
    const conns = await get('connections');
    assert.is(conns.body.command, 'connections');
    assert.is(conns.body.error, null);
    const mine = conns.body.connections.find((x: any) => x.session_id === sid);
    assert.ok(mine, JSON.stringify(conns.body));
    assert.match(mine.remote_socket_address, /^127\.0\.0\.1:\d+$/);
    assert.is(mine.session_timeout, 10000);
    assert.is(mine.last_operation, 'CREA');
    assert.equal(conns.body.secure_connections, []);
    assert.is((await get('cons')).body.command, 'connections', 'alias');
    const dump = await get('dump');
    // keys in exact decimal (session ids have the server id in their high byte: beyond 2^53)
    assert.equal(dump.body.session_id_to_ephemeral_paths[BigInt(sidHex(c)).toString()], ['/eph-admin']);
    assert.ok(Object.values(dump.body.expiry_time_to_session_ids).some((ids: any) => ids.includes(sid)), 'the leader lists expiry times');
    const dirs = await get('dirs');
    assert.is(typeof dirs.body.datadir_size, 'number');
    assert.ok(dirs.body.logdir_size > 0);
    const env = await get('envi');
    assert.is(env.body.command, 'environment');
    assert.match(env.body['zookeeper.version'], /^3\.\d+\.\d+/);
    const unknown = await get('nosuch');
    assert.is(unknown.status, 200);
    assert.equal(unknown.body, { command: 'nosuch', error: 'Unknown command: nosuch' });
  } finally {
    await closeClient(c);
  }
});

test.run();
