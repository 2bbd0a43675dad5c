/**
 * ACL users are durable (`conclave node` processes): a user and `requirepass` set through one member survive
 * SIGKILL and restart of every member; right after the restart each member asks new connections to authenticate
 * (its front end reads the users before the first command), the user logs in on every member and its key
 * permissions hold. No file of any member (logs, snapshots) holds a password in clear.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Ensemble, waitForLeader } from '../node/helpers.js';

const ids = [1, 2, 3];
const electionTimeoutMs = 30_000;
/** How long a raw session waits for its replies. */
const sessionMs = 3_000;

const ens = new Ensemble(ids);
/** The passwords set; their cleartext must never be written. */
const userPass = 'Dur-Cleartext-7f3a';
const defaultPass = 'Top-Cleartext-9c1e';

/** Every file under `dir`. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** Sends the lines on a new connection; resolves with what came back once `replies` lines arrived (or the time is up). */
function session(port: number, lines: readonly string[], replies: number): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const s = net.connect(port, '127.0.0.1', () => s.write(lines.map((l) => `${l}\r\n`).join('')));
    const done = (): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(got);
    };
    const timer = setTimeout(done, sessionMs);
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (got.split('\r\n').length - 1 >= replies) done();
    });
    s.on('error', done);
  });
}

test.before(async () => {
  await ens.write('conclave-redis-acl-');
  await Promise.all(ids.map((id) => ens.start(id)));
  await waitForLeader([...ens.ports.values()], electionTimeoutMs);
});

test.after(async () => {
  await ens.dispose();
});

test('a user and requirepass survive SIGKILL and restart of every member', async () => {
  const p1 = ens.ports.get(1)!.redis;
  assert.is(await session(p1, [`ACL SETUSER dur on >${userPass} ~d* +get +set`, `CONFIG SET requirepass ${defaultPass}`], 2), '+OK\r\n+OK\r\n');
  for (const id of ids) ens.member(id).signal('SIGKILL');
  await Promise.all(ids.map((id) => ens.member(id).exited));
  await Promise.all(ids.map((id) => ens.start(id)));
  await waitForLeader([...ens.ports.values()], electionTimeoutMs);
  for (const id of ids) {
    const port = ens.ports.get(id)!.redis;
    assert.is(await session(port, ['PING'], 1), '-NOAUTH Authentication required.\r\n', `member ${id}: NOAUTH at once`);
    assert.is(
      await session(port, [`AUTH dur ${userPass}`, 'SET d1 x', 'SET e1 x', 'GET d1'], 4),
      '+OK\r\n+OK\r\n-NOPERM this user has no permissions to access one of the keys used as arguments\r\n$1\r\nx\r\n',
      `member ${id}: the user and its permissions`,
    );
    assert.is(await session(port, [`AUTH ${defaultPass}`, 'PING'], 2), '+OK\r\n+PONG\r\n', `member ${id}: the default user's password`);
  }
  await session(ens.ports.get(1)!.redis, [`AUTH ${defaultPass}`, 'SAVE'], 2);
  const files = filesUnder(ens.base);
  assert.ok(files.length > 3, 'the members wrote files');
  for (const f of files) {
    const text = readFileSync(f).toString('latin1');
    assert.ok(!text.includes(userPass) && !text.includes(defaultPass), `${f} holds a password in clear`);
  }
});

test.run();
