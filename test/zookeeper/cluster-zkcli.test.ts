/**
 * zkCli from Debian's `zookeeper` package (`apt-get install -y zookeeper`) scripted against the embedded cluster's
 * client ports: create, ls, get, set, stat, delete; and an interactive session (commands on stdin) with a
 * persistent recursive watch and removewatches. Skipped (with a note) when zkCli is not installed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { execFile, spawn } from 'node:child_process';
import { ports, startCluster } from './cluster-helpers.js';
import { RawZk, fourLetterWord } from './raw-zk.js';

const zkCli = '/usr/share/zookeeper/bin/zkCli.sh';
const zkCliTimeoutMs = 20_000;
/** An interactive zkCli's wait for an expected line (JVM start included; generous for a loaded machine). */
const interactiveWaitMs = 60_000;
/** A third server shows a write within this (each attempt is a whole zkCli run, a JVM start). */
const catchUpWaitMs = 30_000;
const catchUpAttemptsMax = 30;

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

/** zkCli reading commands from stdin (no JLine: one command a line), its output collected. */
class InteractiveCli {
  out = '';
  private readonly proc;
  /** `servers`: client ports; the Java client picks one at random and moves to another when it fails. */
  constructor(servers: readonly number[]) {
    this.proc = spawn(zkCli, ['-server', servers.map((p) => `127.0.0.1:${p}`).join(',')], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdout.on('data', (d) => (this.out += d));
    this.proc.stderr.on('data', (d) => (this.out += d));
  }
  send(line: string): void {
    this.proc.stdin.write(`${line}\n`);
  }
  /** Resolves when the output matches `re`; rejects after `interactiveWaitMs`. */
  async waitFor(re: RegExp): Promise<void> {
    const deadline = Date.now() + interactiveWaitMs;
    while (!re.test(this.out)) {
      if (Date.now() > deadline) throw new Error(`zkCli output never matched ${re}:\n${this.out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  /** The `type path` of every server notification printed so far. */
  events(): string[] {
    return [...this.out.matchAll(/WatchedEvent state:SyncConnected type:(\w+) path:(\/\S*)/g)].map((m) => `${m[1]} ${m[2]}`);
  }
  async quit(): Promise<void> {
    this.send('quit');
    const killer = setTimeout(() => this.proc.kill('SIGKILL'), zkCliTimeoutMs);
    await new Promise((r) => this.proc.once('close', r));
    clearTimeout(killer);
  }
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
      const statDeadline = Date.now() + catchUpWaitMs;
      for (let i = 0; i < catchUpAttemptsMax && Date.now() < statDeadline && !/dataVersion = 1/.test(stat); i++) stat = await cli(p3, 'stat', '/zc');
      if (!/dataVersion = 1/.test(stat)) {
        const modes = await Promise.all([p1, p2, p3].map((p) => fourLetterWord(p, 'srvr').catch((e: Error) => e.message)));
        assert.unreachable(`stat on ${p3} never showed the set; last output:\n${stat}\nsrvr of each:\n${modes.join('\n')}`);
      }
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

  test('zkCli interactive: addWatch -m PERSISTENT_RECURSIVE prints every change below, removewatches ends it', async () => {
    const s = await startCluster();
    const [p1, p2] = ports(s) as [number, number];
    const cliSession = new InteractiveCli([p1]);
    const writer = await RawZk.open(p2);
    try {
      await cliSession.waitFor(/type:None path:null/);
      cliSession.send('addWatch -m PERSISTENT_RECURSIVE /w');
      cliSession.send('ls /'); // zkCli runs commands one after another: once ls printed, the watch is set
      await cliSession.waitFor(/\[zookeeper\]/);
      await writer.create('/w');
      await writer.create('/w/a', '1');
      await writer.setData('/w/a', '2');
      await writer.delete('/w/a');
      await cliSession.waitFor(/type:NodeDeleted path:\/w\/a/);
      assert.equal(cliSession.events(), ['NodeCreated /w', 'NodeCreated /w/a', 'NodeDataChanged /w/a', 'NodeDeleted /w/a']);
      cliSession.send('removewatches /w');
      await cliSession.waitFor(/type:PersistentWatchRemoved path:\/w/);
      await writer.create('/w/b'); // no watch any more
      cliSession.send('ls -w /w');
      await cliSession.waitFor(/\[b\]/);
      await writer.create('/w/c'); // the ls -w watch: a marker after /w/b in zxid order
      await cliSession.waitFor(/type:NodeChildrenChanged path:\/w/);
      assert.equal(cliSession.events().slice(4), ['PersistentWatchRemoved /w', 'NodeChildrenChanged /w']);
    } finally {
      await cliSession.quit();
      await writer.close();
      await s.close();
    }
  });

  test('zkCli keeps its recursive watch when its server dies: the Java client sends setWatches2 to the next one', async () => {
    const s = await startCluster({ fourLetterWords: ['*'] });
    const leader = await s.cluster.waitForLeader();
    const followers = [...s.zk.values()].filter((z) => z.node !== leader);
    const writer = await RawZk.open(s.zk.get(leader)!.port);
    const cliSession = new InteractiveCli(followers.map((z) => z.port));
    try {
      await cliSession.waitFor(/type:None path:null/);
      cliSession.send('addWatch -m PERSISTENT_RECURSIVE /fw');
      cliSession.send('ls /');
      await cliSession.waitFor(/\[zookeeper\]/);
      await writer.create('/fw');
      await cliSession.waitFor(/type:NodeCreated path:\/fw\b/);
      // The follower holding zkCli's watch lists it in wchc; kill that one.
      let holder: string | undefined;
      for (let i = 0; i < 40 && holder === undefined; i++) {
        for (const z of followers) if ((await fourLetterWord(z.port, 'wchc')).includes('\t/fw\n')) holder = z.node;
        if (holder === undefined) await new Promise((r) => setTimeout(r, 250));
      }
      assert.ok(holder !== undefined, 'a follower lists the watch');
      await s.cluster.kill(holder);
      await cliSession.waitFor(/state:Disconnected type:None[\s\S]*state:SyncConnected type:None/); // and connected again
      await writer.create('/fw/after');
      await cliSession.waitFor(/type:NodeCreated path:\/fw\/after/);
      assert.equal(cliSession.events(), ['NodeCreated /fw', 'NodeCreated /fw/after']);
    } finally {
      await cliSession.quit();
      await writer.close();
      await s.close();
    }
  });
}

test.run();
