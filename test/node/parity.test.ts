/**
 * Issue 15 (ZooKeeper 3.8 parity) on a 3-process `conclave node` ensemble with real clients: null data and
 * duplicate ACLs; kazoo's session
 * password checks (a wrong password is an expired session, the right one moves the session between members: the
 * secret is replicated through the log, not configured).
 */
import { test } from 'uvu';
import { Ensemble, waitForLeader } from './helpers.js';
import { dataAclChecks, kazooParity, passwordChecks, sessionIdChecks } from '../zookeeper/parity-clients.js';

/** Server ids 128 and up make session ids ≥ 2^63: negative longs on the wire. */
const ids = [1, 130, 255];
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
  await kazooParity('data-acl', hosts([130, 1, 255]), '/parity', dataAclChecks);
});

test('kazoo on the ensemble: wrong password → expired, no takeover; right password moves the session to another member', async () => {
  await kazooParity('password', hosts([1, 255]), '/parity-pw', passwordChecks);
  await kazooParity('password', hosts([255, 130]), '/parity-pw2', passwordChecks);
});

test('kazoo on the ensemble: session ids carry the server id in their high byte, also for ids ≥ 128', async () => {
  await kazooParity('session-id', hosts(ids), '/parity-sid', sessionIdChecks(ids), [ids.join(',')]);
});

test.run();
