/** Byte-exact frames written out by hand from the spec's ZooKeeper 3.8.0 captures (spec/zookeeper.md §2–§10). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CreateMode,
  Err,
  EventType,
  JuteReader,
  OpCode,
  Perms,
  Xid,
  decodeConnectRequest,
  decodeConnectResponse,
  decodeReply,
  decodeRequest,
  encodeConnectRequest,
  encodeConnectResponse,
  encodeNotification,
  encodeReply,
  encodeRequest,
  failedMultiResults,
  readStat,
  statBytes,
  type Stat,
} from '../../src/wire/jute/index.js';
import { hex, toHex } from './hex.js';

const payload = (frame: Uint8Array) => frame.subarray(4);

test('ConnectRequest with the readOnly trailer (45 B)', () => {
  const bytes = hex('0000002d 00000000 0000000000000000 00007530 0000000000000000 00000010 00*16 00');
  const c = decodeConnectRequest(payload(bytes));
  assert.is(c.protocolVersion, 0);
  assert.is(c.lastZxidSeen, 0n);
  assert.is(c.timeOut, 30000);
  assert.is(c.sessionId, 0n);
  assert.is(c.passwd!.length, 16);
  assert.is(c.readOnly, false);
  assert.is(toHex(encodeConnectRequest(c)), toHex(bytes));
});

test('ConnectRequest without the trailer (44 B): readOnly undefined, re-encodes to 44 B', () => {
  const bytes = hex('0000002c 00000000 0000000000000000 00007530 0000000000000000 00000010 00*16');
  const c = decodeConnectRequest(payload(bytes));
  assert.is(c.readOnly, undefined);
  assert.is(c.timeOut, 30000);
  assert.is(toHex(encodeConnectRequest(c)), toHex(bytes));
});

test('ConnectResponse with and without trailer; session id above 2^53 kept exactly', () => {
  const withRo = hex('00000025 00000000 00007530 010000207ecc0000 00000010 967016a16be5916a649ce1642cb76320 00');
  const c = decodeConnectResponse(payload(withRo));
  assert.is(c.sessionId, 0x010000207ecc0000n);
  assert.ok(c.sessionId > BigInt(Number.MAX_SAFE_INTEGER));
  assert.is(c.timeOut, 30000);
  assert.is(c.readOnly, false);
  assert.is(toHex(encodeConnectResponse(c)), toHex(withRo));
  const noRo = encodeConnectResponse({ ...c, readOnly: undefined });
  assert.is(noRo.length, 4 + 36);
  assert.is(toHex(noRo), '00000024' + toHex(withRo).slice(8, 8 + 72));
});

test('exists(watch) request and its NONODE reply without body', () => {
  const req = hex('00000016 00000002 00000003 00000009 "/nonexist" 01');
  const d = decodeRequest(payload(req));
  assert.equal(d, { xid: 2, opCode: OpCode.exists, request: { type: 'Exists', path: '/nonexist', watch: true } });
  assert.is(toHex(encodeRequest(2, d.request)), toHex(req));
  const reply = hex('00000010 00000002 0000000300000006 ffffff9b');
  assert.is(toHex(encodeReply({ xid: 2, zxid: 0x300000006n, err: Err.NONODE })), toHex(reply));
  const back = decodeReply(payload(reply), () => OpCode.exists);
  assert.equal(back, { kind: 'reply', header: { xid: 2, zxid: 0x300000006n, err: -101 }, response: undefined });
});

test('a reply with an error omits the body even when one is given', () => {
  const stat = sampleStat();
  const f = encodeReply({ xid: 7, zxid: 5n, err: Err.NOAUTH }, { type: 'Exists', stat });
  assert.is(f.length, 4 + 16);
});

test('ping request and reply', () => {
  const req = hex('00000008 fffffffe 0000000b');
  const d = decodeRequest(payload(req));
  assert.equal(d, { xid: Xid.ping, opCode: OpCode.ping, request: { type: 'Ping' } });
  assert.is(toHex(encodeRequest(Xid.ping, { type: 'Ping' })), toHex(req));
  const reply = hex('00000010 fffffffe 0000000300000006 00000000');
  assert.is(toHex(encodeReply({ xid: -2, zxid: 0x300000006n, err: 0 }, { type: 'Empty' })), toHex(reply));
});

test('watch notification: xid -1, zxid -1, NodeCreated, SyncConnected', () => {
  const note = hex('0000001e ffffffff ffffffffffffffff 00000000 00000001 00000003 00000002 "/w"');
  assert.is(toHex(encodeNotification({ type: EventType.NodeCreated, path: '/w' })), toHex(note));
  const d = decodeReply(payload(note), () => {
    throw new Error('no lookup for notifications');
  });
  assert.equal(d, {
    kind: 'notification',
    header: { xid: -1, zxid: -1n, err: 0 },
    event: { type: 1, state: 3, path: '/w' },
  });
});

test('closeSession request and reply', () => {
  const req = hex('00000008 00000004 fffffff5');
  assert.equal(decodeRequest(payload(req)).request, { type: 'CloseSession' });
  assert.is(toHex(encodeRequest(4, { type: 'CloseSession' })), toHex(req));
  assert.is(
    toHex(encodeReply({ xid: 4, zxid: 0x300000007n, err: 0 }, { type: 'Empty' })),
    toHex(hex('00000010 00000004 0000000300000007 00000000')),
  );
});

test('addWatch request (PERSISTENT_RECURSIVE) and its ErrorResponse{0} reply body; removeWatches with type Any', () => {
  const req = hex('00000012 00000005 0000006a 00000002 "/w" 00000001');
  assert.equal(decodeRequest(payload(req)).request, { type: 'AddWatch', path: '/w', mode: 1 });
  assert.is(toHex(encodeRequest(5, { type: 'AddWatch', path: '/w', mode: 1 })), toHex(req));
  // FinalRequestProcessor answers addWatch with `new ErrorResponse(0)`: the Java client reads a 4-byte int.
  const reply = hex('00000014 00000005 0000000300000008 00000000 00000000');
  assert.is(toHex(encodeReply({ xid: 5, zxid: 0x300000008n, err: 0 }, { type: 'AddWatch' })), toHex(reply));
  assert.equal(decodeReply(payload(reply), () => OpCode.addWatch).kind, 'reply');
  const rm = hex('00000012 00000006 00000012 00000002 "/w" 00000003');
  assert.equal(decodeRequest(payload(rm)).request, { type: 'RemoveWatches', path: '/w', watcherType: 3 });
  assert.is(toHex(encodeReply({ xid: 6, zxid: 0x300000008n, err: Err.NOWATCHER })), toHex(hex('00000010 00000006 0000000300000008 ffffff87')));
});

test('create (ephemeral, world:anyone ALL) request and CreateResponse', () => {
  const req = hex(
    '00000039 00000001 00000001 00000008 "/rawdemo" 00000002 "hi" 00000001 0000001f 00000005 "world" 00000006 "anyone" 00000001',
  );
  const d = decodeRequest(payload(req));
  assert.is(d.request.type, 'Create');
  if (d.request.type !== 'Create') return;
  assert.is(d.request.path, '/rawdemo');
  assert.is(Buffer.from(d.request.data!).toString(), 'hi');
  assert.equal(d.request.acl, [{ perms: Perms.ALL, id: { scheme: 'world', id: 'anyone' } }]);
  assert.is(d.request.flags, CreateMode.EPHEMERAL);
  assert.is(toHex(encodeRequest(1, d.request)), toHex(req));
  const reply = hex('0000001c 00000001 0000000300000006 00000000 00000008 "/rawdemo"');
  assert.is(toHex(encodeReply({ xid: 1, zxid: 0x300000006n, err: 0 }, { type: 'Create', path: '/rawdemo' })), toHex(reply));
});

test('getData reply with the 68-byte Stat', () => {
  const reply = hex(
    '0000005a 00000003 0000000300000006 00000000 00000002 "hi" ' +
      '0000000300000006 0000000300000006 000001a21fbaa935 000001a21fbaa935 00000000 00000000 00000000 ' +
      '010000207ecc0000 00000002 00000000 0000000300000006',
  );
  const d = decodeReply(payload(reply), () => OpCode.getData);
  assert.is(d.kind, 'reply');
  if (d.kind !== 'reply' || d.response?.type !== 'GetData') throw new Error('expected GetData');
  const st = d.response.stat;
  assert.is(st.czxid, 0x300000006n);
  assert.is(st.ctime, 0x1a21fbaa935n);
  assert.is(st.ephemeralOwner, 0x010000207ecc0000n);
  assert.is(st.dataLength, 2);
  assert.is(st.pzxid, 0x300000006n);
  assert.is(toHex(encodeReply(d.header, d.response)), toHex(reply));
  assert.is(readStat(new JuteReader(reply, 4 + 16 + 6)) !== undefined, true);
  assert.is(reply.length - (4 + 16 + 6), statBytes);
});

test('a boolean byte other than 0 reads as true (as Java DataInput.readBoolean)', () => {
  const d = decodeRequest(hex('00000005 00000004 00000003 "/a1" 02'));
  assert.equal(d.request, { type: 'GetData', path: '/a1', watch: true });
  const z = decodeRequest(hex('00000005 00000004 00000003 "/a1" 00'));
  assert.equal(z.request, { type: 'GetData', path: '/a1', watch: false });
});

test('getData request', () => {
  const req = hex('00000010 00000005 00000004 00000003 "/a1" 00');
  assert.equal(decodeRequest(payload(req)).request, { type: 'GetData', path: '/a1', watch: false });
  assert.is(toHex(encodeRequest(5, { type: 'GetData', path: '/a1', watch: false })), toHex(req));
});

test('failed multi: header err 0, ErrorResults 0 / NODEEXISTS / RUNTIMEINCONSISTENCY, terminator', () => {
  const reply = hex(
    '00000040 00000003 000000030000000a 00000000 ' +
      'ffffffff 00 00000000 00000000   ffffffff 00 ffffff92 ffffff92   ffffffff 00 fffffffe fffffffe   ffffffff 01 ffffffff',
  );
  const results = failedMultiResults(3, 1, Err.NODEEXISTS);
  assert.equal(results, [
    { type: 'Error', err: 0 },
    { type: 'Error', err: -110 },
    { type: 'Error', err: -2 },
  ]);
  assert.is(toHex(encodeReply({ xid: 3, zxid: 0x30000000an, err: 0 }, { type: 'Multi', results })), toHex(reply));
  const d = decodeReply(payload(reply), () => OpCode.multi);
  assert.equal(d, { kind: 'reply', header: { xid: 3, zxid: 0x30000000an, err: 0 }, response: { type: 'Multi', results } });
});

test('multi request: MultiHeader{type,false,-1} per op and {-1,true,-1} terminator', () => {
  const req = hex(
    '00000059 00000003 0000000e ' + // 8 + 29 + 24 + 19 + 9 = 89 B
      '00000001 00 ffffffff 00000004 "/w/a" ffffffff 00000000 00000000 ' +
      '00000005 00 ffffffff 00000002 "/w" 00000001 "x" ffffffff ' +
      '0000000d 00 ffffffff 00000002 "/w" 00000007 ' +
      'ffffffff 01 ffffffff',
  );
  const ops = [
    { type: 'Create', path: '/w/a', data: null, acl: [], flags: 0 },
    { type: 'SetData', path: '/w', data: Uint8Array.from([0x78]), version: -1 },
    { type: 'Check', path: '/w', version: 7 },
  ] as const;
  const enc = encodeRequest(3, { type: 'Multi', ops });
  assert.is(toHex(enc), toHex(req));
  const d = decodeRequest(payload(req));
  assert.equal(d.request, { type: 'Multi', ops });
});

function sampleStat(): Stat {
  return {
    czxid: 1n,
    mzxid: 2n,
    ctime: 3n,
    mtime: 4n,
    version: 5,
    cversion: 6,
    aversion: 7,
    ephemeralOwner: 0n,
    dataLength: 9,
    numChildren: 10,
    pzxid: 11n,
  };
}

test.run();
