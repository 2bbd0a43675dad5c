/** Every request, response and record encodes and decodes back to the same value and the same bytes. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng } from '../../src/core/rng.js';
import {
  aclEntriesMax,
  multiOpsMax,
  JuteReader,
  JuteWriter,
  OpCode,
  decodeConnectRequest,
  decodeConnectResponse,
  decodeReply,
  decodeRequest,
  encodeConnectRequest,
  encodeConnectResponse,
  encodeNotification,
  encodeReply,
  encodeRequest,
  opCodeOf,
  readACL,
  readStat,
  readWatcherEvent,
  requestOpCode,
  statBytes,
  writeACL,
  writeStat,
  writeWatcherEvent,
  type ZkRequest,
} from '../../src/wire/jute/index.js';
import { Gen } from './gen.js';
import { toHex } from './hex.js';

const seed = Number(process.env.JUTE_SEED ?? 0x5eed1);
const rounds = 50;

test('every request type round-trips (value and bytes)', () => {
  const g = new Gen(new Rng(seed));
  const seen = new Set<string>();
  for (let round = 0; round < rounds; round++) {
    for (const req of g.everyRequest()) {
      seen.add(req.type);
      const xid = g.int();
      const frame = encodeRequest(xid, req);
      assert.is(new DataView(frame.buffer, frame.byteOffset).getInt32(0), frame.length - 4, 'length prefix');
      const d = decodeRequest(frame.subarray(4));
      assert.is(d.xid, xid);
      assert.is(d.opCode, opCodeOf(req));
      assert.equal(d.request, req, `seed=${seed} ${req.type}`);
      assert.is(toHex(encodeRequest(xid, d.request)), toHex(frame));
    }
  }
  const all = [...Object.keys(requestOpCode), 'Unknown'];
  for (const t of all) assert.ok(seen.has(t), `generator covers ${t}`);
});

test('every response shape round-trips through encodeReply/decodeReply', () => {
  const g = new Gen(new Rng(seed + 1));
  for (let round = 0; round < rounds; round++) {
    for (const [op, res] of g.everyResponse()) {
      const header = { xid: g.rng.int(1, 1 << 30), zxid: g.long(), err: 0 };
      const frame = encodeReply(header, res);
      const d = decodeReply(frame.subarray(4), (xid) => (xid === header.xid ? op : -999));
      assert.equal(d, { kind: 'reply', header, response: res }, `seed=${seed + 1} op ${op}`);
    }
  }
});

test('connect request/response round-trip with and without readOnly', () => {
  const g = new Gen(new Rng(seed + 2));
  for (let i = 0; i < rounds; i++) {
    const readOnly = g.rng.pick([undefined, true, false]);
    const req = { protocolVersion: 0, lastZxidSeen: g.long(), timeOut: g.int(), sessionId: g.long(), passwd: g.bytes(16), readOnly };
    const f = encodeConnectRequest(req);
    assert.is(f.length, 4 + 44 - 16 + req.passwd.length + (readOnly === undefined ? 0 : 1));
    assert.equal(decodeConnectRequest(f.subarray(4)), req);
    const res = { protocolVersion: 0, timeOut: g.int(), sessionId: g.long(), passwd: g.bytes(16), readOnly };
    assert.equal(decodeConnectResponse(encodeConnectResponse(res).subarray(4)), res);
  }
});

test('records: Stat (68 B), ACL, WatcherEvent, notification frame', () => {
  const g = new Gen(new Rng(seed + 3));
  for (let i = 0; i < rounds; i++) {
    const st = g.stat();
    const w = new JuteWriter(8);
    writeStat(w, st);
    assert.is(w.length, statBytes);
    assert.equal(readStat(new JuteReader(w.bytes())), st);
    for (const acl of g.acl()) {
      const w2 = new JuteWriter();
      writeACL(w2, acl);
      assert.equal(readACL(new JuteReader(w2.bytes())), acl);
    }
    const ev = { type: g.rng.int(-1, 4), state: 3, path: g.path() };
    const w3 = new JuteWriter();
    writeWatcherEvent(w3, ev);
    assert.equal(readWatcherEvent(new JuteReader(w3.bytes())), ev);
    const n = decodeReply(encodeNotification(ev).subarray(4), () => OpCode.notification);
    assert.equal(n, { kind: 'notification', header: { xid: -1, zxid: -1n, err: 0 }, event: ev });
  }
});

test('null buffer and null ustring are written as -1 and read back as null', () => {
  const w = new JuteWriter().buffer(null).ustring(null).vector(null, () => undefined);
  assert.is(toHex(w.bytes()), 'ffffffff'.repeat(3));
  const r = new JuteReader(w.bytes());
  assert.is(r.buffer(), null);
  assert.is(r.ustring(), null);
  assert.is(r.vector((x) => x.int(), 4), null);
});

test('malformed body of a known op is Malformed; unknown opcode is Unknown; short header throws JuteDecodeError', async () => {
  const frame = encodeRequest(9, { type: 'GetData', path: '/x', watch: true });
  const cut = frame.subarray(4, frame.length - 1);
  const d = decodeRequest(cut);
  assert.is(d.request.type, 'Malformed');
  assert.is(d.opCode, OpCode.getData);
  assert.is(decodeRequest(Uint8Array.from([0, 0, 0, 1, 0, 0, 3, 0xe7])).request.type, 'Unknown');
  const { JuteDecodeError } = await import('../../src/wire/jute/index.js');
  assert.throws(() => decodeRequest(Uint8Array.from([0, 0, 0, 1, 0, 0])), (e: unknown) => e instanceof JuteDecodeError);
});

test('a multi over multiOpsMax ops and an ACL over aclEntriesMax entries are Malformed (MARSHALLINGERROR)', () => {
  const check = { type: 'Check', path: '/', version: -1 } as const;
  const multi = (n: number) => decodeRequest(encodeRequest(1, { type: 'Multi', ops: Array.from({ length: n }, () => check) }).subarray(4)).request.type;
  assert.is(multi(multiOpsMax), 'Multi');
  assert.is(multi(multiOpsMax + 1), 'Malformed');
  const acl = (n: number) => Array.from({ length: n }, () => ({ perms: 31, id: { scheme: 'world', id: 'anyone' } }));
  const create = (n: number) => decodeRequest(encodeRequest(1, { type: 'Create', path: '/a', data: null, acl: acl(n), flags: 0 }).subarray(4)).request.type;
  assert.is(create(aclEntriesMax), 'Create');
  assert.is(create(aclEntriesMax + 1), 'Malformed');
});

test('multi mixing reads and writes, and a write in multiRead, are Malformed', () => {
  const mixed: ZkRequest = { type: 'MultiRead', ops: [{ type: 'GetData', path: '/a', watch: false }] };
  const frame = encodeRequest(1, mixed);
  // Rewrite the frame's opcode from 22 (multiRead) to 14 (multi): a read op inside multi.
  const bytes = frame.slice(4);
  new DataView(bytes.buffer).setInt32(4, OpCode.multi);
  assert.is(decodeRequest(bytes).request.type, 'Malformed');
  const w: ZkRequest = { type: 'Multi', ops: [{ type: 'Delete', path: '/a', version: -1 }] };
  const b2 = encodeRequest(1, w).slice(4);
  new DataView(b2.buffer).setInt32(4, OpCode.multiRead);
  assert.is(decodeRequest(b2).request.type, 'Malformed');
});

test('toWireStat widens numbers; safeNumberOfLong refuses values past 2^53', async () => {
  const { toWireStat, safeNumberOfLong } = await import('../../src/wire/jute/index.js');
  const st = toWireStat({ czxid: 2 ** 40 + 1, mzxid: 2, ctime: 3, mtime: 4, version: 5, cversion: 6, aversion: 7, ephemeralOwner: 2 ** 52, dataLength: 9, numChildren: 10, pzxid: 11n });
  assert.is(st.czxid, 2n ** 40n + 1n);
  assert.is(st.ephemeralOwner, 2n ** 52n);
  assert.is(st.pzxid, 11n);
  assert.is(safeNumberOfLong(2n ** 53n - 1n), 2 ** 53 - 1);
  assert.is(safeNumberOfLong(2n ** 53n), undefined);
  assert.is(safeNumberOfLong(0x010000207ecc0000n), undefined);
  assert.is(safeNumberOfLong(-1n), -1);
});

test.run();
