/**
 * Issue 15 (ZooKeeper 3.8 parity) on a 3-process `conclave node` ensemble with real clients (kazoo, raw jute): null
 * data and duplicate ACLs; session passwords (a wrong one is an expired session, the right one moves the session
 * between members: the secret is replicated through the log, not configured); session ids with the server id in the
 * high byte (server ids 128 and up included); a session that survives its only member's SIGTERM and restart.
 */
import { test } from 'uvu';
import { Ensemble, waitForLeader } from './helpers.js';
import { dataAclChecks, kazooParity, passwordChecks, restartChecks, sessionIdChecks } from '../zookeeper/parity-clients.js';

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

for (const id of [1, 255]) {
  test(`kazoo listing only member ${id}: SIGTERM, start again on the same data: back within 5 s, same session, queued request answered`, async () => {
    await kazooParity('restart', hosts([id]), `/parity-restart-${id}`, restartChecks, [], async () => {
      const stopped = await ens.member(id).stop();
      if (stopped.code !== 0) throw new Error(`member ${id} exited ${stopped.code} ${stopped.signal}`);
      await ens.start(id);
    });
  });
}

test.run();
