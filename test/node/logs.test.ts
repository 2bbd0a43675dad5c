/**
 * Logs (src/log.ts): a 3-process `conclave node` ensemble at zoo.cfg's `logLevel=debug` writes one JSON line per
 * event with level, time, node, actor and msg: the election with its duration, the sync mode per follower, a
 * session created (debug), and after a leader SIGKILL the lost leader and the new election. Level precedence and
 * the lines of events that a live run rarely shows (snapshots, faults, refused peers) are checked on their own.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Writable } from 'node:stream';
import { connectZk } from '../../src/cluster.js';
import { parseZooCfg } from '../../src/config/zoocfg.js';
import { nodeLogLevel } from '../../src/node.js';
import { createLogger, eventLogLine, logEvent, logLevelOf } from '../../src/log.js';
import type { ClusterEvent } from '../../src/protocol/events.js';
import { Ensemble, waitForLeader } from './helpers.js';

interface Line {
  readonly level: string;
  readonly time: number;
  readonly node: string;
  readonly actor: string;
  readonly msg: string;
  readonly [k: string]: unknown;
}

const electionTimeoutMs = 15_000;
const linesWaitMs = 5_000;

/** Every output line of a member, parsed: each must be one JSON log line with the five fields. */
function linesOf(output: string): Line[] {
  return output
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const o = JSON.parse(l) as Line;
      assert.type(o.level, 'string', l);
      assert.type(o.time, 'number', l);
      assert.type(o.node, 'string', l);
      assert.type(o.actor, 'string', l);
      assert.type(o.msg, 'string', l);
      return o;
    });
}

async function waitForLine(ens: Ensemble, id: number, what: string, pred: (l: Line) => boolean): Promise<Line> {
  const t0 = Date.now();
  for (;;) {
    const hit = linesOf(ens.member(id).output).find(pred);
    if (hit !== undefined) return hit;
    if (Date.now() - t0 > linesWaitMs) throw new Error(`n${id} never logged ${what}:\n${ens.member(id).output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const ids = [1, 2, 3];
const ens = new Ensemble(ids);
test.before(() => ens.write('conclave-logs-', 'logLevel=debug'));
test.after(() => ens.dispose());

test('conclave node: JSON lines for the election (with its duration), syncs per follower, sessions, a lost leader', async () => {
  await Promise.all(ids.map((id) => ens.start(id)));
  const leader = await waitForLeader([...ens.ports.values()], electionTimeoutMs);
  const followers = ids.filter((id) => id !== leader);
  const led = await waitForLine(ens, leader, 'its leadership', (l) => l.actor === 'broadcast' && /^leading epoch \d+: election took \d+ ms$/.test(l.msg));
  assert.is(led.level, 'info');
  assert.is(led.node, `n${leader}`);
  assert.type(led.electionMs, 'number');
  assert.ok((led.electionMs as number) >= 0);
  for (const f of followers) {
    const fl = await waitForLine(ens, f, 'following', (l) => l.actor === 'broadcast' && l.msg.startsWith(`following server.${leader} `));
    assert.type(fl.electionMs, 'number');
    await waitForLine(ens, f, 'the election start', (l) => l.actor === 'election' && l.msg.startsWith('election started'));
    const sync = await waitForLine(ens, leader, `the sync of server.${f}`, (l) => l.peer === f && /^syncing server\.\d+ by (DIFF|TRUNC|SNAP)$/.test(l.msg));
    assert.ok(['DIFF', 'TRUNC', 'SNAP'].includes(sync.mode as string));
  }
  // a session made through member 1 is a debug line there
  const c = await connectZk(ens.member(1).gateway, 'n1', { sessionTimeoutMs: 4_000 });
  const sid = `0x${c.sessionId.toString(16)}`;
  const created = await waitForLine(ens, 1, 'the session', (l) => l.sessionId === sid && l.msg.endsWith('created, timeout 4000 ms'));
  assert.is(created.level, 'debug');
  assert.is(created.actor, 'zookeeper');
  await c.close();

  // the leader goes: the others log the loss and a new election
  ens.member(leader).signal('SIGKILL');
  await ens.member(leader).exited;
  const next = await waitForLeader(followers.map((id) => ens.ports.get(id)!), electionTimeoutMs, leader);
  const lost = await waitForLine(ens, followers[0]!, 'the lost leader', (l) => l.actor === 'broadcast' && l.msg.startsWith(`lost leader server.${leader}`));
  assert.is(lost.level, 'warn');
  await waitForLine(ens, next, 'the new leadership', (l) => l.actor === 'broadcast' && /^leading epoch \d+: election took \d+ ms$/.test(l.msg) && l.time > lost.time - 1_000);
});

test('log level: --log-level, then zoo.cfg logLevel, then -Dzookeeper.root.logger, then ZOO_LOG4J_PROP, else info', () => {
  const plain = parseZooCfg('dataDir=/tmp/x\n', '/etc/zoo.cfg');
  const withKey = parseZooCfg('dataDir=/tmp/x\nlogLevel=WARN\n', '/etc/zoo.cfg');
  const jvm = { SERVER_JVMFLAGS: '-Xmx1g -Dzookeeper.root.logger=DEBUG,CONSOLE' };
  assert.is(nodeLogLevel(undefined, plain, {}), 'info');
  assert.is(nodeLogLevel(undefined, plain, { ZOO_LOG4J_PROP: 'ERROR,ROLLINGFILE' }), 'error');
  assert.is(nodeLogLevel(undefined, plain, { ...jvm, ZOO_LOG4J_PROP: 'ERROR,ROLLINGFILE' }), 'debug');
  assert.is(nodeLogLevel(undefined, withKey, jvm), 'warn');
  assert.is(nodeLogLevel('trace', withKey, jvm), 'trace');
  assert.is(logLevelOf('OFF', 'x'), 'silent');
  assert.throws(() => logLevelOf('loud', '--log-level'), /--log-level: log level must be one of trace, debug, info, warn, error, fatal, silent, got 'loud'/);
  assert.throws(() => parseZooCfg('dataDir=/tmp/x\n\nlogLevel=loud\n', '/etc/zoo.cfg'), /\/etc\/zoo\.cfg:3: logLevel: log level must be one of/);
});

test('event lines: snapshots, faults, refused peers, self-preservation; unlogged traffic; level filter; pretty lines', () => {
  const stamp = <E extends object>(e: E): ClusterEvent => ({ ...e, node: 'n2', time: 1_700_000_000_000, seq: 1 }) as unknown as ClusterEvent;
  assert.equal(eventLogLine(stamp({ type: 'SnapshotWritten', zxid: 0x100000005, bytes: 1234 })), { level: 'info', actor: 'storage', msg: 'snapshot taken at 0x1_00000005: 1234 bytes', fields: { zxid: '0x1_00000005', bytes: 1234 } });
  assert.is(eventLogLine(stamp({ type: 'SnapshotRestored', zxid: 0x200000001, source: 'leader' }))?.msg, 'snapshot restored at 0x2_00000001 from the leader');
  assert.is(eventLogLine(stamp({ type: 'FaultInjected', fault: { kind: 'kill', node: 'n1' } }))?.msg, 'fault injected: kill');
  assert.is(eventLogLine(stamp({ type: 'PeerConnectionRefused', remote: '127.0.0.1:5', reason: 'not a conclave peer (no hello)' }))?.level, 'warn');
  assert.match(eventLogLine(stamp({ type: 'SelfPreservationEntered', renewsLastWindow: 2, threshold: 5, expectedClients: 3 }))!.msg, /^Eureka self-preservation on/);
  assert.is(eventLogLine(stamp({ type: 'Committed', zxid: 5 })), null);

  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      out += String(chunk);
      done();
    },
  });
  const log = createLogger({ level: 'info', stream: sink, pretty: false });
  logEvent(log, stamp({ type: 'SessionCreated', sessionId: 1, timeoutMs: 4000 })); // debug: filtered
  logEvent(log, stamp({ type: 'SnapshotWritten', zxid: 1, bytes: 10 }));
  const lines = out.trimEnd().split('\n').map((l) => JSON.parse(l) as Line);
  assert.is(lines.length, 1);
  assert.equal(Object.keys(lines[0]!).slice(0, 5), ['level', 'time', 'node', 'actor', 'zxid']);
  assert.is(lines[0]!.msg, 'snapshot taken at 0x0_00000001: 10 bytes');

  out = '';
  const pretty = createLogger({ level: 'info', stream: sink, pretty: true });
  logEvent(pretty, stamp({ type: 'FaultInjected', fault: { kind: 'kill', node: 'n1' } }));
  assert.match(out, /^\d\d:\d\d:\d\d\.\d{3} WARN  n2 lab: fault injected: kill \{"fault":\{"kind":"kill","node":"n1"\}\}\n$/);
});

test.run();
