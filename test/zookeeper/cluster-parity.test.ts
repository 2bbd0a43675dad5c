/**
 * Issue 15 (ZooKeeper 3.8 parity) with real clients against the embedded cluster (`conclave start`): kazoo runs
 * test/zookeeper/clients/kazoo_parity.py one section at a time. The same sections run against a 3-process
 * `conclave node` ensemble in test/node/parity.test.ts.
 */
import { test } from 'uvu';
import { ports, startCluster } from './cluster-helpers.js';
import { dataAclChecks, kazooParity, passwordChecks, sessionIdChecks } from './parity-clients.js';

/** Runs one kazoo_parity.py section against a fresh embedded cluster's client ports. */
async function onCluster(section: string, root: string, expected: readonly string[], extra: readonly string[] = []): Promise<void> {
  const s = await startCluster();
  try {
    await kazooParity(section, ports(s).map((p) => `127.0.0.1:${p}`).join(','), root, expected, extra);
  } finally {
    await s.close();
  }
}

test('kazoo: null data stays null (create, set), empty stays empty; duplicate ACL entries removed', () => onCluster('data-acl', '/parity', dataAclChecks));

test('kazoo and raw jute: a wrong password is an expired session (no takeover); the right one moves the session', () => onCluster('password', '/parity-pw', passwordChecks));

test('kazoo: a session id carries its server id in the high byte (node i is server i + 1)', () => onCluster('session-id', '/parity-sid', sessionIdChecks([1, 2, 3]), ['1,2,3']));

test.run();
