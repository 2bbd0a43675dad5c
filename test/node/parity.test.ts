/**
 * Issue 15 (ZooKeeper 3.8 parity) on a 3-process `conclave node` ensemble with real clients: null data and
 * duplicate ACLs; kazoo's session
 * password checks (a wrong password is an expired session, the right one moves the session between members: the
 * secret is replicated through the log, not configured).
 */
import { test } from 'uvu';
import { Ensemble, waitForLeader } from './helpers.js';
import { dataAclChecks, kazooParity, passwordChecks } from '../zookeeper/parity-clients.js';

const ids = [1, 2, 3];
const electionTimeoutMs = 15_000;
const ens = new Ensemble(ids);
const hosts = (order: readonly number[]): string => order.map((id) => `127.0.0.1:${ens.ports.get(id)!.client}`).join(',');

test.before(async () => {
  await ens.write('conclave-parity-');
  await Promise.all(ids.map((id) => ens.start(id)));
  await waitForLeader([...ens.ports.values()], electionTimeoutMs);
});

test.after(() => ens.dispose());

test('kazoo on the ensemble: null data and duplicate ACL entries as ZooKeeper', async () => {
  await kazooParity('data-acl', hosts([2, 1, 3]), '/parity', dataAclChecks);
});

test('kazoo on the ensemble: wrong password → expired, no takeover; right password moves the session to another member', async () => {
  await kazooParity('password', hosts([1, 3]), '/parity-pw', passwordChecks);
  await kazooParity('password', hosts([3, 2]), '/parity-pw2', passwordChecks);
});

test.run();
