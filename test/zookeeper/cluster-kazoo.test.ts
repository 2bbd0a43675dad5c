/**
 * kazoo 2.8 (Debian's python3-kazoo, run by Debian's /usr/bin/python3) against the embedded cluster's client ports:
 * test/zookeeper/clients/kazoo_check.py drives ensure_path, ephemeral+sequential create, versioned get/set,
 * children, DataWatch/ChildrenWatch, transactions (failing, sequential), the Lock and Counter recipes, set_acls,
 * server_version() (4lw envi), command(b'ruok'), digest auth + ACL, sync, an idle session kept by pings alone,
 * recursive delete, and session survival when its server is stopped. Skipped (with a note) when
 * kazoo is not installed.
 */
import { test } from 'uvu';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { clientsDir, debianPython, runAgainstCluster } from './client-programs.js';

const kazooRunMs = 120_000;

function kazooInstalled(): boolean {
  if (!existsSync(debianPython)) return false;
  try {
    execFileSync(debianPython, ['-c', 'import kazoo.client'], { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

const expected = [
  'connect', 'ensure_path', 'create-ephemeral-sequential', 'ephemeral-owner', 'get', 'set-version', 'set-bad-version',
  'delete-not-empty', 'create-exists', 'get-missing', 'children', 'children-with-stat', 'datawatch', 'childrenwatch',
  'exists-watch', 'transaction-failure', 'transaction-rolled-back', 'transaction-success', 'transaction-sequential',
  'lock-acquire', 'lock-exclusive', 'lock-handover', 'counter', 'set_acls-bad-version', 'set_acls', 'set-read-only',
  'set_acls-no-admin', 'server_version',
  'command-ruok', 'command-srvr', 'acl-owner', 'read-only-allowed-connect', 'acl-other', 'acl-exists-unchecked', 'sync',
  'idle-pings', 'harness',
  'write-after-failover', 'same-session', 'ephemeral-survives', 'states', 'delete-recursive', 'close-removes-ephemeral',
];

if (!kazooInstalled()) {
  test.skip('kazoo against the embedded cluster (kazoo not installed: apt-get install -y python3-kazoo)', () => undefined);
  console.log(`note: kazoo not importable by ${debianPython}; kazoo test skipped (apt-get install -y python3-kazoo)`);
} else {
  test('kazoo 2.8: CRUD, watches, transaction, 4lw, auth, sync, and its session survives its server stopping', async () => {
    await runAgainstCluster(debianPython, [join(clientsDir(), 'kazoo_check.py')], '/kazoo', { timeoutMs: kazooRunMs, expected });
  });
}

test.run();
