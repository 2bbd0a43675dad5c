/**
 * `conclave node` as a command: bad configurations end with one clear line on stderr and exit code 2 (never a
 * stack trace); a standalone member (no server lines) with its write-ahead log in dataLogDir serves, stops on
 * SIGTERM with exit 0 and resumes from its files.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connectZk } from '../../src/cluster.js';
import { MemberProcess, admin, freePorts, runCli } from './helpers.js';

let base = '';
const runTimeoutMs = 20_000;

test.before(() => {
  base = mkdtempSync(join(tmpdir(), 'conclave-cli-'));
});
test.after(() => {
  rmSync(base, { recursive: true, force: true });
});

const run = (args: string[]) => runCli(args, { timeoutMs: runTimeoutMs });

function cfgFile(name: string, text: string, myid?: string): string {
  const dir = join(base, name);
  mkdirSync(join(dir, 'data'), { recursive: true });
  if (myid !== undefined) writeFileSync(join(dir, 'data', 'myid'), myid);
  writeFileSync(join(dir, 'zoo.cfg'), text.replaceAll('DIR', dir));
  return join(dir, 'zoo.cfg');
}

async function expectRefused(cfg: string, re: RegExp): Promise<void> {
  const r = await run(['node', cfg]);
  assert.is(r.code, 2, `exit code 2 for ${cfg}: ${r.stderr}`);
  assert.match(r.stderr, re);
  assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
  assert.is(r.stderr.trim().split('\n').length, 1, 'one line');
}

test('bad configurations: one clear line, exit code 2', async () => {
  const servers = 'server.1=127.0.0.1:1:2\nserver.2=127.0.0.1:3:4\n';
  await expectRefused(cfgFile('nomyid', `dataDir=DIR/data\n${servers}`), /^conclave node: .*nomyid\/data\/myid is missing: .*\(one of 1, 2\)/);
  await expectRefused(cfgFile('badid', `dataDir=DIR/data\n${servers}`, '7\n'), /myid says 7, but .*zoo\.cfg has no server\.7 \(servers: 1, 2\)/);
  await expectRefused(cfgFile('badline', `dataDir=DIR/data\ntickTime=2000\nserver.1=127.0.0.1:1\n`, '1'), /zoo\.cfg:3: expected host:quorumPort:electionPort/);
  await expectRefused(join(base, 'absent.cfg'), /absent\.cfg: cannot read the configuration/);
  // the quorum port is taken
  const holder = net.createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
  try {
    const port = (holder.address() as net.AddressInfo).port;
    const [other, adminPort] = await freePorts(2);
    await expectRefused(
      cfgFile('busy', `dataDir=DIR/data\nadmin.serverPort=${adminPort}\nserver.1=127.0.0.1:${port}:${port + 1}\nserver.2=127.0.0.1:${other}:1\n`, '1'),
      /server\.1: cannot listen for peers on 127\.0\.0\.1:\d+ \(EADDRINUSE\)/,
    );
  } finally {
    holder.close();
  }
  const usage = await run(['node']);
  assert.is.not(usage.code, 0);
  assert.match(usage.stderr, /missing required argument/);
});

/** Every file under `dir` with its bytes (to show a refused start changed nothing). */
function snapshotOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const p = join(e.parentPath, e.name);
    out[p] = e.isFile() ? readFileSync(p, 'base64') : 'dir';
  }
  return out;
}

test('data dirs: another server\'s, not ours, or damaged is one line, exit 2, and nothing changes; a fresh one is claimed', async () => {
  const [q1, e1, q2, e2] = await freePorts(4);
  const servers = `server.1=127.0.0.1:${q1}:${e1}\nserver.2=127.0.0.1:${q2}:${e2}\nadmin.enableServer=false\n`;
  // another server's: the identity file says server.2, myid says 1
  const other = cfgFile('otherid', `dataDir=DIR/data\n${servers}`, '1\n');
  const otherData = join(base, 'otherid', 'data', 'conclave');
  mkdirSync(otherData, { recursive: true });
  writeFileSync(join(otherData, 'identity'), 'conclave data directory v1\nserver=2\n');
  writeFileSync(join(otherData, 'epochs'), '3 2 3\n');
  let before = snapshotOf(join(base, 'otherid'));
  await expectRefused(other, /^conclave node: .*otherid\/data\/conclave: holds the data of server\.2, not of server\.1 \(this server's myid\); nothing was changed/);
  assert.equal(snapshotOf(join(base, 'otherid')), before);
  // not ours: files conclave never writes
  const strange = cfgFile('strange', `dataDir=DIR/data\n${servers}`, '1\n');
  const strangeData = join(base, 'strange', 'data', 'conclave');
  mkdirSync(strangeData, { recursive: true });
  writeFileSync(join(strangeData, 'photos.tar'), 'x');
  before = snapshotOf(join(base, 'strange'));
  await expectRefused(strange, /strange\/data\/conclave: not a conclave data directory: it holds photos\.tar; nothing was changed/);
  assert.equal(snapshotOf(join(base, 'strange')), before);
  // damaged: an epochs file that does not parse
  const damaged = cfgFile('damaged', `dataDir=DIR/data\n${servers}`, '1\n');
  const damagedData = join(base, 'damaged', 'data', 'conclave');
  mkdirSync(damagedData, { recursive: true });
  writeFileSync(join(damagedData, 'identity'), 'conclave data directory v1\nserver=1\n');
  writeFileSync(join(damagedData, 'epochs'), 'garbage\n');
  before = snapshotOf(join(base, 'damaged'));
  await expectRefused(damaged, /damaged\/data\/conclave: epochs is damaged; nothing was changed/);
  assert.equal(snapshotOf(join(base, 'damaged')), before);
  // a missing myid says where it looked
  await expectRefused(cfgFile('nomyid2', `dataDir=DIR/data\n${servers}`), /nomyid2\/data\/myid is missing/);
  // a fresh standalone data dir is claimed for its server
  const [adminPort] = await freePorts(1);
  const fresh = cfgFile('fresh', `dataDir=DIR/data\nadmin.serverAddress=127.0.0.1\nadmin.serverPort=${adminPort}\n`);
  const m = new MemberProcess(1, fresh);
  try {
    await m.ready;
    assert.is(readFileSync(join(base, 'fresh', 'data', 'conclave', 'identity'), 'utf8'), 'conclave data directory v1\nserver=1\n');
  } finally {
    await m.stop();
  }
});

test('standalone (no server lines) with dataLogDir: serves, SIGTERM exits 0, the log is in dataLogDir, a restart resumes', async () => {
  const [adminPort] = await freePorts(1);
  const cfg = cfgFile('alone', `tickTime=500\ndataDir=DIR/data\ndataLogDir=DIR/txlog\nadmin.serverAddress=127.0.0.1\nadmin.serverPort=${adminPort}\nmystery=1\nother.key=2\n`);
  let m = new MemberProcess(1, cfg);
  try {
    await m.ready;
    assert.match(m.output, /"level":"warn".*"msg":"ignoring unknown keys in .*zoo\.cfg: mystery, other\.key"/);
    assert.is(m.output.match(/ignoring unknown keys/g)?.length, 1);
    const c = await connectZk(m.gateway, 'n1', { sessionTimeoutMs: 60_000 });
    assert.is(c.timeoutMs, 10_000, 'clamped to 20 x tickTime');
    await c.create('/solo', 'kept');
    const st = await admin(adminPort!, 'stats');
    assert.is((st?.server_stats as { server_state: string }).server_state, 'standalone');
    const { code } = await m.stop();
    assert.is(code, 0);
    assert.ok(readdirSync(join(base, 'alone', 'txlog', 'conclave', 'log')).length > 0, 'WAL segments in dataLogDir');
    assert.not.ok(existsSync(join(base, 'alone', 'data', 'conclave', 'log')), 'no WAL in dataDir');
    m = new MemberProcess(1, cfg);
    await m.ready;
    const d = await connectZk(m.gateway, 'n1');
    assert.is(new TextDecoder().decode((await d.getData('/solo')).data), 'kept');
  } finally {
    await m.stop();
  }
});

test.run();
