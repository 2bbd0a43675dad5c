/**
 * The Apache ZooKeeper Java client (Debian's libzookeeper-java 3.8, run as a single source file by Java 17) against
 * the embedded cluster: test/zookeeper/clients/JavaClientCheck.java drives create2, hundreds of outstanding async
 * requests (replies in order, a session's reads after its writes), multi with a failing op (per-op result codes),
 * multiRead, getEphemerals, getAllChildrenNumber, whoAmI, CREATOR_ALL_ACL, TTL and container nodes, sync,
 * getChildren2, 1 MB data and a request over jute.maxbuffer, resumes with a bad password or of a closed session
 * (Expired), getConfig, addWatch (persistent recursive) and removeWatches, and a reconnect to another server that
 * re-arms watches through batched SetWatches/setWatches2. Skipped (with a note) when Java or zookeeper.jar is
 * missing. */
import { test } from 'uvu';
import { existsSync } from 'node:fs';
import { clientsDir, javaBin, javaClassPath, runAgainstCluster, zookeeperJar } from './client-programs.js';

const javaRunMs = 300_000;

const expected = [
  'connect', 'create2', 'async-pipeline', 'async-read-your-writes', 'multi-failure', 'multi-rolled-back', 'multi-success',
  'multi-async-failure', 'multiRead', 'getEphemerals', 'getAllChildrenNumber', 'whoAmI', 'acl-creator', 'createTTL',
  'createTTL-sequential', 'createTTL-bad-ttl', 'createContainer', 'sync', 'getChildren2', 'large-data', 'over-maxbuffer',
  'resume-bad-password-expired', 'session-unaffected', 'getConfig', 'addWatch-recursive', 'harness',
  'reconnect-same-session', 'watch-data-after-reconnect', 'watch-children-after-reconnect', 'watch-exists-first-batch',
  'watch-exists-last-batch', 'ephemeral-kept', 'addWatch-after-reconnect', 'removeWatches', 'resume-closed-session-expired',
  'close-removes-ephemerals',
];

if (!existsSync(javaBin) || !existsSync(zookeeperJar)) {
  test.skip('Java client against the embedded cluster (needs java and zookeeper.jar: apt-get install -y zookeeper)', () => undefined);
  console.log(`note: ${existsSync(javaBin) ? zookeeperJar : javaBin} not installed; Java client test skipped (apt-get install -y zookeeper)`);
} else {
  test('Java client 3.8: async pipeline, multi/multiRead, 103/104/107, TTL/container, SetWatches on reconnect', async () => {
    await runAgainstCluster(javaBin, ['-cp', javaClassPath, 'JavaClientCheck.java'], '/java', { cwd: clientsDir(), timeoutMs: javaRunMs, expected });
  });
}

test.run();
