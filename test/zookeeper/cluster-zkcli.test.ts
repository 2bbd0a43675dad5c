/**
 * zkCli from Debian's `zookeeper` package (`apt-get install -y zookeeper`) scripted against the embedded cluster's
 * client ports: create, ls, get, set, stat, delete. Skipped (with a note) when zkCli is not installed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { ports, startCluster } from './cluster-helpers.js';

const zkCli = '/usr/share/zookeeper/bin/zkCli.sh';
const zkCliTimeoutMs = 20_000;

function cli(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(zkCli, ['-server', `127.0.0.1:${port}`, ...args], { timeout: zkCliTimeoutMs }, (err, stdout, stderr) => {
      if (err && (err as { killed?: boolean }).killed) return reject(new Error(`zkCli ${args.join(' ')} timed out`));
      resolve(
        (stdout + stderr)
          .split('\n')
          .filter((l) => !l.startsWith('SLF4J') && !l.startsWith('WATCHER::') && !l.startsWith('WatchedEvent') && !l.startsWith('Connecting to') && l.trim() !== '')
          .join('\n'),
      );
    });
  });
}

if (!existsSync(zkCli)) {
  test.skip('zkCli against the embedded cluster (zkCli not installed: apt-get install -y zookeeper)', () => undefined);
  console.log(`note: ${zkCli} not installed; zkCli test skipped (apt-get install -y zookeeper)`);
} else {
  test('zkCli: create, ls, get, set, stat, delete against the client ports', async () => {
    const s = await startCluster();
    try {
      const [p1, p2, p3] = ports(s) as [number, number, number];
      assert.match(await cli(p1, 'create', '/zc', 'hello'), /Created \/zc/);
      assert.match(await cli(p1, 'create', '/zc/child', 'c'), /Created \/zc\/child/);
      assert.match(await cli(p1, 'ls', '/zc'), /\[child\]/);
      assert.match(await cli(p1, 'get', '/zc'), /^hello$/m);
      assert.not.match(await cli(p2, 'set', '/zc', 'world'), /Exception|KeeperErrorCode/);
      // zkCli runs one command per session: read back on the writer's server, then stat on a third once it caught up.
      assert.match(await cli(p2, 'get', '/zc'), /^world$/m);
      let stat = '';
      for (let i = 0; i < 20 && !/dataVersion = 1/.test(stat); i++) stat = await cli(p3, 'stat', '/zc');
      assert.match(stat, /dataVersion = 1/);
      assert.match(stat, /numChildren = 1/);
      assert.match(stat, /cZxid = 0x[0-9a-f]+/);
      assert.match(await cli(p1, 'delete', '/zc'), /Node not empty|NotEmpty/i);
      await cli(p1, 'delete', '/zc/child');
      await cli(p1, 'delete', '/zc');
      assert.match(await cli(p1, 'get', '/zc'), /Node does not exist|NoNode/i);
      assert.match(await cli(p1, 'ls', '/'), /\[zookeeper\]|zookeeper/);
    } finally {
      await s.close();
    }
  });
}

test.run();
