/**
 * The ZooKeeper C client's shell `cli_mt` (Debian's zookeeper-bin, libzookeeper-mt2 3.8) against the embedded
 * cluster, one command at a time on its stdin: create/create2 (plain, ephemeral, sequential), ls/ls2, get/set with
 * watches, exists/wexists, sync, delete, addauth, `od` (200 pipelined 64 KB setData + watched getData), config,
 * reconfig (disabled), myid, a reconnect to another server when its server is stopped (watches re-armed), and an
 * unknown auth scheme (AUTHFAILED ends the session). Skipped (with a note) when cli_mt is not installed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ports, startCluster } from './cluster-helpers.js';
import { cliMt, nodeOfSession } from './client-programs.js';

const stepTimeoutMs = 20_000;
/** od: 200 setData of 64 KB each; generous on a loaded 2-core machine. */
const odTimeoutMs = 60_000;
const exitTimeoutMs = 10_000;

class CliMt {
  private readonly child: ChildProcessWithoutNullStreams;
  /** Everything it printed (stderr and stdout). */
  output = '';
  exited: Promise<number | null>;

  constructor(hosts: string) {
    this.child = spawn(cliMt, [hosts], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (d: Buffer) => (this.output += d.toString('utf8')));
    this.child.stderr.on('data', (d: Buffer) => (this.output += d.toString('utf8')));
    this.child.stdin.on('error', () => undefined);
    this.exited = new Promise((r) => this.child.on('close', (code) => r(code)));
  }

  /** Waits until the output after `from` matches; returns the output after `from`. */
  async waitFor(re: RegExp, from: number, timeoutMs = stepTimeoutMs): Promise<string> {
    const end = Date.now() + timeoutMs;
    while (!re.test(this.output.slice(from))) {
      if (Date.now() > end) throw new Error(`cli_mt: no ${re} within ${timeoutMs} ms; output since:\n${this.output.slice(from).slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.output.slice(from);
  }

  /** Sends one command and waits for `re` in what follows. */
  async run(command: string, re: RegExp, timeoutMs = stepTimeoutMs): Promise<string> {
    const from = this.output.length;
    this.child.stdin.write(`${command}\n`);
    return this.waitFor(re, from, timeoutMs);
  }

  /** Ends its stdin (it exits once its read loop sees that). */
  endInput(): void {
    this.child.stdin.end();
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

if (!existsSync(cliMt)) {
  test.skip('cli_mt against the embedded cluster (cli_mt not installed: apt-get install -y zookeeper-bin)', () => undefined);
  console.log(`note: ${cliMt} not installed; C client test skipped (apt-get install -y zookeeper-bin)`);
} else {
  test('C client cli_mt: create/create2, ls/ls2, get/set, watches, sync, delete, addauth, od, myid, failover', async () => {
    const s = await startCluster();
    const hosts = ports(s).map((p) => `127.0.0.1:${p}`).join(',');
    const cli = new CliMt(hosts);
    try {
      const hello = await cli.waitFor(/Got a new session id: 0x([0-9a-f]+)/, 0);
      const session = /Got a new session id: 0x([0-9a-f]+)/.exec(hello)![1]!;
      assert.match(hello, /Watcher SESSION_EVENT state = CONNECTED_STATE/);

      // The fresh tree's /zookeeper does not count in the root's cversion (as ZooKeeper): the first suffix is 0.
      assert.match(await cli.run('create +s /climt-', /\[\/climt-\]: rc = -?\d+(\n\tname = .*\n)?/), /\tname = \/climt-0000000000\n/);
      assert.match(await cli.run('create /cm', /\[\/cm\]: rc = \d+\n(\tname = .*\n)?/), /\[\/cm\]: rc = 0\n\tname = \/cm\n/);
      // create2: the name, then the Stat (czxid, ephemeralOwner 0 for a persistent node).
      const c2 = await cli.run('create2 /cm/c2', /ephemeralOwner = [0-9a-f]+\n|rc = -\d+/);
      assert.match(c2, /\[\/cm\/c2\]: rc = 0\n\tname = \/cm\/c2\n\tctime = .*\n\tczxid=[0-9a-f]+\n\tmtime=.*\n\tmzxid=[0-9a-f]+\n\tversion=0\taversion=0\n\tephemeralOwner = 0\n/);
      assert.match(await cli.run('create +e /cm/e', /\[\/cm\/e\]: rc = -?\d+/), /\[\/cm\/e\]: rc = 0\n\tname = \/cm\/e\n/);
      // Ephemeral sequential via create2: suffix from the parent's cversion (two children created before), owner = session.
      const es = await cli.run('create2 +es /cm/es-', /ephemeralOwner = [0-9a-f]+\n|rc = -\d+/);
      assert.match(es, /\tname = \/cm\/es-0000000002\n/);
      assert.match(es, new RegExp(`\\tephemeralOwner = ${session}\\n`));
      assert.match(await cli.run('create +s /cm/s-', /\[\/cm\/s-\]: rc = -?\d+(\n\tname = .*\n)?/), /\tname = \/cm\/s-0000000003\n/);

      const ls = await cli.run('ls /cm', /\/cm: rc = -?\d+\n(\t.*\n)*time = /);
      assert.match(ls, /\/cm: rc = 0\n/);
      for (const child of ['c2', 'e', 'es-0000000002', 's-0000000003']) assert.match(ls, new RegExp(`\\t${child}\\n`));
      const ls2 = await cli.run('ls2 /cm', /ephemeralOwner = [0-9a-f]+\n|rc = -\d+/);
      assert.match(ls2, /\/cm: rc = 0\n(\t.*\n)+time = \d+ msec\n\tctime = /);

      // get sets a watch (cli_mt's get passes watch=1); set fires it.
      const got = await cli.run('get /cm', /Stat:\n(\t.*\n)*\tephemeralOwner = [0-9a-f]+\n|rc = -\d+/);
      assert.match(got, /\/cm: rc = 0\n value_len = 3\nnew\nStat:\n/);
      const set = await cli.run('set /cm hello', /Watcher CHANGED_EVENT state = CONNECTED_STATE for path \/cm\n[^]*\/cm: rc = -?\d+ Stat:\n(\t.*\n)*\tephemeralOwner/);
      assert.match(set, /\/cm: rc = 0 Stat:\n(\t.*\n)*\tversion=1\taversion=0\n/);
      assert.match(await cli.run('get /cm', /Stat:\n(\t.*\n)*\tephemeralOwner = [0-9a-f]+\n|rc = -\d+/), /value_len = 5\nhello\nStat:\n/);

      assert.match(await cli.run('sync /cm', /\[\/cm\]: rc = -?\d+/), /\[\/cm\]: rc = 0\n\tname = \/cm\n/);
      assert.match(await cli.run('exists /cm/none', /Error -?\d+ for \/cm\/none/), /Error -101 for \/cm\/none/);
      // wexists on a missing node arms an exist watch; the create fires NodeCreated.
      await cli.run('wexists /cm/w', /Error -101 for \/cm\/w\n/);
      // The event comes before the create's answer (ZooKeeper's order), and cli_mt prints them from two threads: wait for both.
      const created = await cli.run('create /cm/w', /^(?=[\s\S]*Watcher CREATED_EVENT state = CONNECTED_STATE for path \/cm\/w\n)(?=[\s\S]*\[\/cm\/w\]: rc = -?\d+)/);
      assert.match(created, /\[\/cm\/w\]: rc = 0/);

      assert.match(await cli.run('delete /cm/c2', /\/cm\/c2: rc = -?\d+/), /\/cm\/c2: rc = 0/);
      assert.match(await cli.run('delete /cm', /\/cm: rc = -?\d+/), /\/cm: rc = -111/);
      await cli.run('addauth digest climt:pw', /$/);
      assert.match(await cli.run('get /cm/w', /\/cm\/w: rc = -?\d+/), /\/cm\/w: rc = 0/, 'the session carries on after addauth');

      // od: /od set to "fire off", then 200 pipelined (64 KB setData, watched getData) pairs.
      await cli.run('create /od', /\[\/od\]: rc = 0/);
      const od = await cli.run('od', /Recvd 200 responses for 200 requests sent\n/, odTimeoutMs);
      assert.match(od, /od command response: rc = 0 Stat:/);
      assert.not.match(od, /Data completion \/od rc = -/);
      assert.is((od.match(/Data completion \/od rc = 0\n/g) ?? []).length, 200);

      // /zookeeper/config: readable, read-only (NOAUTH); reconfig is disabled (RECONFIGDISABLED), as ZooKeeper's defaults.
      assert.match(await cli.run('config', /\/zookeeper\/config: rc = -?\d+/), /\/zookeeper\/config: rc = 0\n/);
      assert.match(await cli.run('set /zookeeper/config x', /\/zookeeper\/config: rc = -?\d+/), /\/zookeeper\/config: rc = -102 /);
      assert.match(await cli.run('reconfig -remove 3', /-remove 3: rc = -?\d+/), /-remove 3: rc = -123\n/);

      // Its server stops: the C client moves to another server with the same session, and its SetWatches re-arms a
      // data watch (/cm/w, from get) and an exist watch (/cm/sw, from wexists) set only before the move; `sync`
      // (which sets no watch) tells when it is back.
      await cli.run('get /cm/w', /\/cm\/w: rc = 0/);
      await cli.run('wexists /cm/sw', /Error -101 for \/cm\/sw\n/);
      const node = await nodeOfSession(s, BigInt(`0x${session}`));
      await s.cluster.kill(node);
      const from = cli.output.length;
      const end = Date.now() + stepTimeoutMs;
      let after = '';
      while (Date.now() < end) {
        after = await cli.run('sync /cm', /\[\/cm\]: rc = -?\d+/).catch((e: Error) => e.message);
        if (/\[\/cm\]: rc = 0/.test(after)) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.match(after, /\[\/cm\]: rc = 0/, `reconnected after stopping ${node}: ${cli.output.slice(from)}`);
      const sessions = [...cli.output.matchAll(/Got a new session id: 0x([0-9a-f]+)/g)].map((m) => m[1]);
      assert.equal(sessions, [session], `same session: ${cli.output.slice(from)}`);
      assert.not.match(cli.output, /EXPIRED_SESSION_STATE/);
      assert.match(await cli.run('set /cm/w moved', /Watcher CHANGED_EVENT state = CONNECTED_STATE for path \/cm\/w\n/), /CHANGED_EVENT/);
      assert.match(await cli.run('create /cm/sw', /Watcher CREATED_EVENT state = CONNECTED_STATE for path \/cm\/sw\n/), /CREATED_EVENT/);

      // An unknown auth scheme: AUTHFAILED and the server ends the session's connection.
      await cli.run('myid', /$/);
      const fail = await cli.run('addauth nosuchscheme x', /Authentication failure\. Shutting down\.\.\./);
      assert.match(fail, /AUTH_FAILED_STATE/);
      cli.endInput();
      const code = await Promise.race([cli.exited, new Promise((r) => setTimeout(() => r('still running'), exitTimeoutMs))]);
      assert.is(code, 0, 'cli_mt exits');
      assert.match(cli.output, new RegExp(`session Id = ${session}\\n`));
    } finally {
      cli.kill();
      await s.close();
    }
  });
}

test.run();
