/**
 * Issue 15 (ZooKeeper 3.8 parity) with real clients against the embedded cluster (`conclave start`): kazoo runs
 * test/zookeeper/clients/kazoo_parity.py one section at a time. The same sections run against a 3-process
 * `conclave node` ensemble in test/node/parity.test.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { clientsDir, debianPython, problemsOf, runCheckProgram } from './client-programs.js';
import { ports, startCluster } from './cluster-helpers.js';

const kazooRunMs = 60_000;

/** Runs one section of kazoo_parity.py against `hosts` and asserts its checks all passed. */
export async function kazooParity(section: string, hosts: string, root: string, expected: readonly string[]): Promise<void> {
  const run = await runCheckProgram(debianPython, [join(clientsDir(), 'kazoo_parity.py'), section, hosts, root], { timeoutMs: kazooRunMs });
  const problems = problemsOf(run, expected);
  assert.ok(problems === undefined, problems);
}

export const dataAclChecks = ['create-null', 'create-empty', 'set-null', 'set-empty-after-null', 'create-dup-acl', 'setacl-dup-acl'];

test('kazoo: null data stays null (create, set), empty stays empty; duplicate ACL entries removed', async () => {
  const s = await startCluster();
  try {
    await kazooParity('data-acl', ports(s).map((p) => `127.0.0.1:${p}`).join(','), '/parity', dataAclChecks);
  } finally {
    await s.close();
  }
});

test.run();
