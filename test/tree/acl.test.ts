/**
 * ACL schemes as pure functions: `ip` ids (validity as ZooKeeper 3.8's IPAuthenticationProvider for IPv4, plus
 * IPv6), matching by prefix, digest id validity, super user, getACL masking, and ACL checks at commit in the
 * replicated pipeline (prepare on the leader, re-prepared from the logged request on every replica).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fixupAcl, maskDigests, permitted } from '../../src/core/tree/acl.js';
import { ipBytes, ipMatches, validIpAcl } from '../../src/core/tree/ip.js';
import { read } from '../../src/core/tree/read.js';
import { Err, Perms, type Acl } from '../../src/protocol/txn.js';
import { Harness, enc } from './helpers.js';

const ip = (id: string, perms: number = Perms.ALL): Acl => ({ perms, id: { scheme: 'ip', id } });
const from = (addr: string) => ({ ids: [{ scheme: 'ip', id: addr }] });

test('ip ids: valid and invalid as ZooKeeper 3.8 answers create (probed), IPv6 in addition', () => {
  // INVALIDACL from ZooKeeper 3.8.0 for each of these
  for (const bad of ['300.0.0.1', '10.0.0.0/33', 'abc', '10.0.0.0/', '1.2.3', ' 1.2.3.4', '1.2.3.4/-1', '', '1.2.3.4.5', '1..2.3', '::1/129', '1:2:3:4:5:6:7:8:9', '1::2::3', 'fe80::1%eth0', '::g']) {
    assert.not.ok(validIpAcl(bad), bad);
  }
  // accepted by ZooKeeper 3.8.0 (10.0.0.0/08 too); IPv6 forms accepted here (ZooKeeper 3.8 has no IPv6 ACLs)
  for (const good of ['127.0.0.1', '10.0.0.0/8', '10.0.0.0/08', '0.0.0.0/0', '255.255.255.255/32', '::1', '::', 'fe80::/10', '2001:db8::8a2e:370:7334', '::ffff:10.1.2.3', '1:2:3:4:5:6:7:8/128']) {
    assert.ok(validIpAcl(good), good);
  }
  assert.equal(ipBytes('::ffff:127.0.0.1'), [127, 0, 0, 1]);
  assert.equal(ipBytes('::1'), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  assert.equal(ipBytes('1:2::ff'), [0, 1, 0, 2, ...new Array(10).fill(0), 0, 0xff]);
});

test('ip matching: by prefix, address families apart, IPv4-mapped IPv6 counts as IPv4', () => {
  assert.ok(ipMatches('127.0.0.1', '127.0.0.1'));
  assert.not.ok(ipMatches('127.0.0.2', '127.0.0.1'));
  assert.ok(ipMatches('127.0.0.2', '127.0.0.0/8'));
  assert.ok(ipMatches('10.200.3.4', '10.0.0.0/8'));
  assert.not.ok(ipMatches('11.0.0.1', '10.0.0.0/8'));
  assert.ok(ipMatches('192.168.1.77', '192.168.1.64/26'));
  assert.not.ok(ipMatches('192.168.1.128', '192.168.1.64/26'));
  assert.ok(ipMatches('8.8.8.8', '0.0.0.0/0'));
  assert.ok(ipMatches('::ffff:10.1.2.3', '10.0.0.0/8'));
  assert.ok(ipMatches('::1', '::1'));
  assert.ok(ipMatches('fe80::1234', 'fe80::/10'));
  assert.not.ok(ipMatches('fec0::1', 'fe80::/10'));
  assert.not.ok(ipMatches('::1', '0.0.0.0/0'), 'IPv6 never matches an IPv4 network');
  assert.not.ok(ipMatches('garbage', '0.0.0.0/0'));
  assert.not.ok(ipMatches('127.0.0.1', 'bad'));
});

test('permitted: ip entries by address, digest by equality, world, super user passes everything', () => {
  const acl = [ip('10.0.0.0/8', Perms.READ), { perms: Perms.ALL, id: { scheme: 'digest', id: 'bob:h' } }];
  assert.ok(permitted(acl, Perms.READ, from('10.1.1.1')));
  assert.not.ok(permitted(acl, Perms.WRITE, from('10.1.1.1')), 'the ip entry grants READ only');
  assert.not.ok(permitted(acl, Perms.READ, from('127.0.0.1')));
  assert.not.ok(permitted(acl, Perms.READ, { ids: [{ scheme: 'digest', id: '10.1.1.1' }] }), 'only ip ids match ip entries');
  assert.ok(permitted(acl, Perms.WRITE, { ids: [{ scheme: 'ip', id: '127.0.0.1' }, { scheme: 'digest', id: 'bob:h' }] }));
  assert.ok(permitted(acl, Perms.ADMIN, { ids: [], superUser: true }));
});

test('fixupAcl: INVALIDACL for bad ip ids, bad digests and providers ZooKeeper does not load by default; auth never copies ip ids', () => {
  const anon = { ids: [{ scheme: 'ip', id: '127.0.0.1' }] };
  assert.equal(fixupAcl([ip('10.0.0.0/8')], anon), [ip('10.0.0.0/8')]);
  assert.is(fixupAcl([ip('10.0.0.0/33')], anon), Err.INVALIDACL);
  assert.is(fixupAcl([ip('localhost')], anon), Err.INVALIDACL);
  for (const id of ['user:', 'a:b:c', 'nocolon']) assert.is(fixupAcl([{ perms: 31, id: { scheme: 'digest', id } }], anon), Err.INVALIDACL, id);
  assert.equal(fixupAcl([{ perms: 31, id: { scheme: 'digest', id: ':x' } }], anon), [{ perms: 31, id: { scheme: 'digest', id: ':x' } }]);
  assert.is(fixupAcl([{ perms: 31, id: { scheme: 'sasl', id: 'foo' } }], anon), Err.INVALIDACL);
  assert.is(fixupAcl([{ perms: 31, id: { scheme: 'x509', id: 'CN=x' } }], anon), Err.INVALIDACL);
  assert.is(fixupAcl([{ perms: 31, id: { scheme: 'auth', id: '' } }], anon), Err.INVALIDACL, 'an ip id alone does not satisfy auth');
  const bob = { ids: [{ scheme: 'ip', id: '127.0.0.1' }, { scheme: 'digest', id: 'bob:h' }] };
  assert.equal(fixupAcl([{ perms: 31, id: { scheme: 'auth', id: '' } }], bob), [{ perms: 31, id: { scheme: 'digest', id: 'bob:h' } }]);
});

test('checks at commit: an ip-only node is readable and writable from its address only; super user and getACL masking', () => {
  const h = new Harness();
  const local = from('127.0.0.1');
  const other = from('127.0.0.2');
  h.run({ type: 'Create', path: '/ip', data: enc('x'), acl: [ip('127.0.0.1')], mode: 0 }, 0, local);
  assert.is(read(h.tree, { type: 'GetData', path: '/ip' }, local).type, 'Data');
  const denied = read(h.tree, { type: 'GetData', path: '/ip' }, other);
  assert.is(denied.type === 'Error' && denied.err, Err.NOAUTH);
  const w = h.run({ type: 'SetData', path: '/ip', data: enc('y'), version: -1 }, 0, other);
  assert.equal(w.result, { type: 'Error', err: Err.NOAUTH });
  assert.is(h.run({ type: 'SetData', path: '/ip', data: enc('y'), version: -1 }, 0, local).result.type, 'SetData');
  assert.is(read(h.tree, { type: 'GetData', path: '/ip' }, { ids: other.ids, superUser: true }).type, 'Data');
  const bad = h.run({ type: 'Create', path: '/bad', data: enc(''), acl: [ip('300.1.1.1')], mode: 0 }, 0, local);
  assert.equal(bad.result, { type: 'Error', err: Err.INVALIDACL });

  // getACL: READ without ADMIN masks digests to user:x (as ZooKeeper), ADMIN or super sees them whole
  const acl: Acl[] = [{ perms: Perms.READ, id: { scheme: 'digest', id: 'bob:secret=' } }, { perms: Perms.READ, id: { scheme: 'world', id: 'anyone' } }];
  h.run({ type: 'Create', path: '/ro', data: enc(''), acl, mode: 0 });
  const masked = read(h.tree, { type: 'GetACL', path: '/ro' }, other);
  assert.equal(masked.type === 'ACL' && masked.acl, maskDigests(acl));
  assert.equal(masked.type === 'ACL' && masked.acl[0]!.id, { scheme: 'digest', id: 'bob:x' });
  const whole = read(h.tree, { type: 'GetACL', path: '/ro' }, { ids: [], superUser: true });
  assert.equal(whole.type === 'ACL' && whole.acl, acl);
});

test.run();
