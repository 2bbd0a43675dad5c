/** Frame splitter (length prefix, jute.maxbuffer, 4lw on the first 4 bytes) and four-letter-word reply layouts. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  EventType,
  FrameSplitter,
  confReply,
  consReply,
  crstReply,
  dumpReply,
  javaDate,
  decodeRequest,
  dirsReply,
  encodeConnectRequest,
  encodeNotification,
  encodeRequest,
  enviReply,
  fourLetterWordOf,
  fourLetterWords,
  isroReply,
  juteMaxBufferBytesDefault,
  mntrReply,
  notWhitelistedReply,
  ruokReply,
  srvrReply,
  statReply,
  wchsReply,
  type ServerStatsInfo,
} from '../../src/wire/jute/index.js';

const enc = (s: string) => Buffer.from(s, 'latin1');

test('jute.maxbuffer default is 0xfffff', () => {
  assert.is(juteMaxBufferBytesDefault, 1048575);
  assert.is(new FrameSplitter().maxBufferBytes, 1048575);
});

test('every four-letter word is recognised from its first 4 bytes, and as the length int', () => {
  for (const w of fourLetterWords) {
    assert.is(fourLetterWordOf(enc(w)), w);
    assert.is(fourLetterWordOf(enc(w).readInt32BE(0)), w);
  }
  assert.is(fourLetterWordOf(Uint8Array.from([0xff, 0xf4, 0xff, 0xfd])), 'telnetclose');
  assert.is(fourLetterWordOf(enc('RUOK')), undefined);
  assert.is(fourLetterWordOf(Uint8Array.from([0, 0, 0, 0x2d])), undefined);
  assert.is(fourLetterWordOf(enc('ru')), undefined);
});

test('splitter: a 4lw as the first bytes of a connection (even split across chunks) ends the stream', () => {
  const s = new FrameSplitter();
  assert.equal(s.push(enc('ru')), []);
  assert.equal(s.push(enc('ok\n')), [{ kind: 'fourLetterWord', word: 'ruok' }]);
  assert.equal(s.push(enc('more')), []);
  assert.is(s.bufferedBytes, 0);
});

test('splitter: a 4lw after the ConnectRequest is just a (too long) length', () => {
  const s = new FrameSplitter();
  const connect = encodeConnectRequest({ protocolVersion: 0, lastZxidSeen: 0n, timeOut: 30000, sessionId: 0n, passwd: new Uint8Array(16) });
  const ev = s.push(Buffer.concat([connect, enc('ruok')]));
  assert.is(ev.length, 2);
  assert.is(ev[0]!.kind, 'frame');
  assert.is(ev[1]!.kind, 'error'); // 'ruok' = 0x72756f6b > jute.maxbuffer
});

test('splitter: frames split at every byte boundary and coalesced come out whole and in order', () => {
  const frames = [
    encodeRequest(1, { type: 'GetData', path: '/a', watch: true }),
    encodeRequest(2, { type: 'Ping' }),
    encodeRequest(3, { type: 'SetData', path: '/b', data: new Uint8Array(300).fill(7), version: -1 }),
  ];
  const all = Buffer.concat(frames);
  for (let cut = 1; cut < all.length; cut++) {
    const s = new FrameSplitter({ fourLetterWords: false });
    const ev = [...s.push(all.subarray(0, cut)), ...s.push(all.subarray(cut))];
    assert.is(ev.length, 3);
    assert.equal(ev.map((e) => (e.kind === 'frame' ? decodeRequest(e.payload).xid : e.kind)), [1, 2, 3]);
  }
  // One byte at a time.
  const s = new FrameSplitter({ fourLetterWords: false });
  const ev = [];
  for (const b of all) ev.push(...s.push(Uint8Array.of(b)));
  assert.is(ev.length, 3);
});

test('splitter: a frame over maxBufferBytes or a negative length is an error; exactly maxBufferBytes is fine', () => {
  const max = 1000;
  const ok = new Uint8Array(4 + max);
  new DataView(ok.buffer).setInt32(0, max);
  assert.is(new FrameSplitter({ maxBufferBytes: max, fourLetterWords: false }).push(ok)[0]!.kind, 'frame');
  const big = Uint8Array.from([0, 0, 0x03, 0xe9]);
  const e = new FrameSplitter({ maxBufferBytes: max, fourLetterWords: false }).push(big);
  assert.is(e[0]!.kind, 'error');
  const neg = new FrameSplitter({ fourLetterWords: false }).push(Uint8Array.from([0xff, 0xff, 0xff, 0xfe]));
  assert.is(neg[0]!.kind, 'error');
  // A 2^31-1 length is refused from its 4 bytes alone; nothing is buffered for it.
  const s = new FrameSplitter({ fourLetterWords: false });
  assert.is(s.push(Uint8Array.from([0x7f, 0xff, 0xff, 0xff]))[0]!.kind, 'error');
  assert.is(s.bufferedBytes, 0);
});

test('splitter: framesPerPushMax bounds one push; drain() returns the rest', () => {
  const s = new FrameSplitter({ fourLetterWords: false, framesPerPushMax: 2 });
  const all = Buffer.concat(Array.from({ length: 5 }, (_, i) => encodeRequest(i, { type: 'Ping' })));
  assert.is(s.push(all).length, 2);
  assert.is(s.drain().length, 2);
  assert.is(s.drain().length, 1);
  assert.is(s.drain().length, 0);
});

const leader: ServerStatsInfo = {
  version: '3.8.0-conclave, built on 2026-11-28 00:00 UTC',
  latencyMinMs: 0,
  latencyAvgMs: 0,
  latencyMaxMs: 0,
  packetsReceived: 7,
  packetsSent: 6,
  connections: 1,
  outstanding: 0,
  lastZxid: 0x300000000n,
  mode: 'leader',
  nodeCount: 14,
  proposalSizes: { last: -1, min: -1, max: -1 },
};

test('srvr layout (spec §13)', () => {
  assert.is(
    srvrReply(leader),
    'Zookeeper version: 3.8.0-conclave, built on 2026-11-28 00:00 UTC\n' +
      'Latency min/avg/max: 0/0.0/0\nReceived: 7\nSent: 6\nConnections: 1\nOutstanding: 0\nZxid: 0x300000000\n' +
      'Mode: leader\nNode count: 14\nProposal sizes last/min/max: -1/-1/-1\n',
  );
  const f = srvrReply({ ...leader, mode: 'follower', latencyAvgMs: 1.25, lastZxid: -1n });
  assert.ok(f.includes('Latency min/avg/max: 0/1.25/0\n'));
  assert.ok(f.includes('Zxid: 0xffffffffffffffff\n'));
  assert.not.ok(f.includes('Proposal sizes'));
});

test('stat adds Clients after the version line; cons lists connections', () => {
  const conn = { remote: '/127.0.0.1:58420', interestOps: 0, queued: 0, received: 1, sent: 0 };
  const s = statReply(leader, [conn]);
  assert.ok(s.startsWith('Zookeeper version: 3.8.0-conclave, built on 2026-11-28 00:00 UTC\nClients:\n /127.0.0.1:58420[0](queued=0,recved=1,sent=0)\n\nLatency'));
  assert.is(consReply([conn]), ' /127.0.0.1:58420[0](queued=0,recved=1,sent=0)\n\n');
});

test('mntr, conf, envi (zookeeper.version first), wchs, dirs, isro, ruok, whitelist', () => {
  assert.is(mntrReply([['version', '3.8.0'], ['zk_server_state', 'leader'], ['znode_count', 5]]), 'zk_version\t3.8.0\nzk_server_state\tleader\nzk_znode_count\t5\n');
  assert.is(confReply([['clientPort', 2181], ['tickTime', 2000]]), 'clientPort=2181\ntickTime=2000\n');
  const envi = enviReply('3.8.0-conclave, built on x', [['host.name', 'h'], ['zookeeper.version', 'ignored']]);
  assert.is(envi, 'Environment:\nzookeeper.version=3.8.0-conclave, built on x\nhost.name=h\n');
  assert.ok(/zookeeper\.version=([\d.]*)/.exec(envi)![1] === '3.8.0'); // kazoo's server_version() regex
  assert.is(wchsReply(0, 0, 0), '0 connections watching 0 paths\nTotal watches:0\n');
  assert.is(dirsReply(10, 20), 'datadir_size: 10\nlogdir_size: 20\n');
  assert.is(isroReply(false), 'rw');
  assert.is(ruokReply, 'imok');
  assert.is(notWhitelistedReply('stat'), 'stat is not executed because it is not in the whitelist.\n');
});

test('cons with a session: ZooKeeper 3.8 field order, lcxid only once known, avglat a whole number', () => {
  const session = {
    sessionId: 0x100008feb120000n,
    lastOp: 'GETD',
    establishedMs: 1795839876522,
    timeoutMs: 8000,
    lastCxid: 0x12,
    lastZxid: 0x11n,
    lastResponseMs: 9439162,
    lastLatencyMs: 0,
    minLatencyMs: 0,
    avgLatencyMs: 4,
    maxLatencyMs: 30,
  };
  const conn = { remote: '/127.0.0.1:38192', interestOps: 1, queued: 0, received: 20, sent: 20, session };
  // captured from ZooKeeper 3.8.0 (Debian bookworm) with node-zookeeper-client
  assert.is(
    consReply([conn, { remote: '/127.0.0.1:38202', interestOps: 0, queued: 0, received: 1, sent: 0 }]),
    ' /127.0.0.1:38192[1](queued=0,recved=20,sent=20,sid=0x100008feb120000,lop=GETD,est=1795839876522,to=8000,lcxid=0x12,lzxid=0x11,lresp=9439162,llat=0,minlat=0,avglat=4,maxlat=30)\n' +
      ' /127.0.0.1:38202[0](queued=0,recved=1,sent=0)\n\n',
  );
  const reset = { ...conn, received: 0, sent: 0, session: { ...session, lastOp: 'NA', lastCxid: -1, lastZxid: -1n, lastResponseMs: 0, avgLatencyMs: 0, maxLatencyMs: 0 } };
  assert.is(
    consReply([reset]),
    ' /127.0.0.1:38192[1](queued=0,recved=0,sent=0,sid=0x100008feb120000,lop=NA,est=1795839876522,to=8000,lzxid=0xffffffffffffffff,lresp=0,llat=0,minlat=0,avglat=0,maxlat=0)\n\n',
  );
  assert.is(crstReply, 'Connection stats reset.\n');
});

test('dump: the leader\'s expiry buckets or a follower\'s session table, then ephemerals; dates as Java prints them', () => {
  assert.is(javaDate(Date.UTC(2026, 10, 28, 4, 24, 45)), 'Sat Nov 28 04:24:45 UTC 2026');
  assert.is(javaDate(Date.UTC(2027, 0, 3, 9, 5, 7)), 'Sun Jan 03 09:05:07 UTC 2027');
  const ephemerals = [[0x100008feb120000n, ['/e1', '/e2']]] as const;
  assert.is(
    dumpReply({ expiry: { buckets: [[Date.UTC(2026, 10, 28, 4, 24, 45), [0x100008feb120000n]]], tracked: 1 }, ephemerals }),
    'SessionTracker dump:\nSession Sets (1)/(1):\n1 expire at Sat Nov 28 04:24:45 UTC 2026:\n\t0x100008feb120000\n' +
      'ephemeral nodes dump:\nSessions with Ephemerals (1):\n0x100008feb120000:\n\t/e1\n\t/e2\nConnections dump:\n',
  );
  assert.is(
    dumpReply({ sessions: [[0x100008feb120000n, 8000], [0x200000000000001n, 30000]], ephemerals: [] }),
    'SessionTracker dump:\nGlobal Sessions(2):\n0x100008feb120000\t8000ms\n0x200000000000001\t30000ms\n' +
      'ephemeral nodes dump:\nSessions with Ephemerals (0):\nConnections dump:\n',
  );
});

test('notification frames are independent of the splitter state', () => {
  const s = new FrameSplitter({ fourLetterWords: false });
  const ev = s.push(encodeNotification({ type: EventType.NodeDeleted, path: '/x' }));
  assert.is(ev[0]!.kind, 'frame');
});

test.run();
