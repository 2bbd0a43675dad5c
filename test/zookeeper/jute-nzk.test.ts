/**
 * Cross-check against node-zookeeper-client 1.1.3's own jute serializer (an independent implementation):
 * requests it encodes decode with ours to the same values; replies we encode decode with theirs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import { Rng } from '../../src/core/rng.js';
import {
  OpCode,
  decodeConnectRequest,
  decodeRequest,
  encodeConnectResponse,
  encodeNotification,
  encodeReply,
  failedMultiResults,
  type ACL,
  type Stat,
} from '../../src/wire/jute/index.js';
import { Gen } from './gen.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const require = createRequire(import.meta.url);
const jute: any = require('node-zookeeper-client/lib/jute/index.js');
const P = jute.protocol;
const D = jute.data;

const seed = Number(process.env.JUTE_SEED ?? 0xc0ffee);
const rounds = 40;

const longBuf = (v: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(v);
  return b;
};
const bufLong = (b: Buffer) => b.readBigInt64BE(0);
const theirAcl = (a: ACL) => new D.ACL(a.perms, new D.Id(a.id.scheme, a.id.id));
const nonEmpty = (g: Gen) => Buffer.from(g.bytes(30).length ? g.bytes(30) : [1]);

function theirRequest(xid: number, type: number, payload: any): Uint8Array {
  return new jute.Request(new P.RequestHeader(xid, type), payload).toBuffer();
}
function ours(frame: Uint8Array) {
  return decodeRequest(frame.subarray(4));
}
function statFromTheirs(s: any): Stat {
  return {
    czxid: bufLong(s.czxid),
    mzxid: bufLong(s.mzxid),
    ctime: bufLong(s.ctime),
    mtime: bufLong(s.mtime),
    version: s.version,
    cversion: s.cversion,
    aversion: s.aversion,
    ephemeralOwner: bufLong(s.ephemeralOwner),
    dataLength: s.dataLength,
    numChildren: s.numChildren,
    pzxid: bufLong(s.pzxid),
  };
}
/** Their deserializer on the body of our reply frame (after length + 16-byte ReplyHeader). */
function theirs(klass: any, frame: Uint8Array): any {
  const buf = Buffer.from(frame);
  const h = new P.ReplyHeader();
  h.deserialize(buf, 4);
  const rec = new klass();
  rec.deserialize(buf, 20);
  return { header: h, rec };
}

test('their ConnectRequest decodes with ours (no readOnly trailer: 44 B)', () => {
  const g = new Gen(new Rng(seed));
  for (let i = 0; i < rounds; i++) {
    const z = g.long();
    const sid = g.long();
    const pw = Buffer.from(g.bytes(16));
    const t = g.int();
    const frame = new jute.Request(null, new P.ConnectRequest(0, longBuf(z), t, longBuf(sid), pw)).toBuffer();
    const c = decodeConnectRequest(frame.subarray(4));
    assert.equal(c, { protocolVersion: 0, lastZxidSeen: z, timeOut: t, sessionId: sid, passwd: Uint8Array.from(pw), readOnly: undefined });
  }
});

test('their requests (create, delete, exists, getData, setData, getACL, setACL, getChildren(2), check, auth, setWatches) decode with ours', () => {
  const g = new Gen(new Rng(seed + 1));
  for (let i = 0; i < rounds; i++) {
    const path = g.path();
    const data = nonEmpty(g);
    const acl = g.acl();
    const flags = g.rng.int(0, 3);
    const v = g.int();
    const w = g.bool();
    const xid = g.rng.int(1, 1 << 30);
    assert.equal(ours(theirRequest(xid, 1, new P.CreateRequest(path, data, acl.map(theirAcl), flags))), {
      xid,
      opCode: 1,
      request: { type: 'Create', path, data: Uint8Array.from(data), acl, flags },
    });
    assert.equal(ours(theirRequest(xid, 2, new P.DeleteRequest(path, v))).request, { type: 'Delete', path, version: v });
    assert.equal(ours(theirRequest(xid, 3, new P.ExistsRequest(path, w))).request, { type: 'Exists', path, watch: w });
    assert.equal(ours(theirRequest(xid, 4, new P.GetDataRequest(path, w))).request, { type: 'GetData', path, watch: w });
    assert.equal(ours(theirRequest(xid, 5, new P.SetDataRequest(path, data, v))).request, {
      type: 'SetData',
      path,
      data: Uint8Array.from(data),
      version: v,
    });
    assert.equal(ours(theirRequest(xid, 6, new P.GetACLRequest(path))).request, { type: 'GetACL', path });
    assert.equal(ours(theirRequest(xid, 7, new P.SetACLRequest(path, acl.map(theirAcl), v))).request, {
      type: 'SetACL',
      path,
      acl,
      version: v,
    });
    assert.equal(ours(theirRequest(xid, 8, new P.GetChildren2Request(path, w))).request, { type: 'GetChildren', path, watch: w });
    assert.equal(ours(theirRequest(xid, 12, new P.GetChildren2Request(path, w))).request, { type: 'GetChildren2', path, watch: w });
    assert.equal(ours(theirRequest(xid, 13, new P.CheckVersionRequest(path, v))).request, { type: 'Check', path, version: v });
    assert.equal(ours(theirRequest(-4, 100, new P.AuthPacket(0, 'digest', data))), {
      xid: -4,
      opCode: 100,
      request: { type: 'Auth', authType: 0, scheme: 'digest', auth: Uint8Array.from(data) },
    });
    const z = g.long();
    const [dw, ew, cw] = [g.paths(), g.paths(), g.paths()];
    assert.equal(ours(theirRequest(-8, 101, new P.SetWatches(longBuf(z), dw, ew, cw))).request, {
      type: 'SetWatches',
      relativeZxid: z,
      dataWatches: dw,
      existWatches: ew,
      childWatches: cw,
    });
    assert.equal(ours(theirRequest(-2, 11, null)).request, { type: 'Ping' });
    assert.equal(ours(theirRequest(xid, -11, null)).request, { type: 'CloseSession' });
  }
});

test('their transaction (multi) request decodes with ours', () => {
  const g = new Gen(new Rng(seed + 2));
  for (let i = 0; i < rounds; i++) {
    const theirOps: any[] = [];
    const expected: any[] = [];
    for (let k = g.small(5); k > 0; k--) {
      const path = g.path();
      const v = g.int();
      const data = nonEmpty(g);
      switch (g.rng.int(0, 3)) {
        case 0: {
          const acl = g.acl();
          const mode = g.rng.int(0, 3);
          theirOps.push({ type: 1, path, data, acls: acl.map((a) => ({ toRecord: () => theirAcl(a) })), mode });
          expected.push({ type: 'Create', path, data: Uint8Array.from(data), acl, flags: mode });
          break;
        }
        case 1:
          theirOps.push({ type: 2, path, version: v });
          expected.push({ type: 'Delete', path, version: v });
          break;
        case 2:
          theirOps.push({ type: 5, path, data, version: v });
          expected.push({ type: 'SetData', path, data: Uint8Array.from(data), version: v });
          break;
        default:
          theirOps.push({ type: 13, path, version: v });
          expected.push({ type: 'Check', path, version: v });
      }
    }
    const frame = theirRequest(7, 14, new jute.TransactionRequest(theirOps));
    assert.equal(ours(frame), { xid: 7, opCode: OpCode.multi, request: { type: 'Multi', ops: expected } });
  }
});

test('our replies decode with their deserializers (ConnectResponse, getData, exists, getACL, getChildren2, create, notification)', () => {
  const g = new Gen(new Rng(seed + 3));
  for (let i = 0; i < rounds; i++) {
    const sid = g.long();
    const pw = g.bytes(16);
    const cr = encodeConnectResponse({ protocolVersion: 0, timeOut: 30000, sessionId: sid, passwd: pw });
    const tc = new P.ConnectResponse();
    tc.deserialize(Buffer.from(cr), 4);
    assert.is(bufLong(tc.sessionId), sid);
    assert.is(tc.timeOut, 30000);
    assert.equal(Uint8Array.from(tc.passwd), pw);

    const header = { xid: g.rng.int(1, 1 << 30), zxid: g.long(), err: 0 };
    const stat = g.stat();
    const data = nonEmpty(g);
    let t = theirs(P.GetDataResponse, encodeReply(header, { type: 'GetData', data, stat }));
    assert.is(t.header.xid, header.xid);
    assert.is(bufLong(t.header.zxid), header.zxid);
    assert.is(t.header.err, 0);
    assert.equal(Uint8Array.from(t.rec.data), Uint8Array.from(data));
    assert.equal(statFromTheirs(t.rec.stat), stat);

    t = theirs(P.ExistsResponse, encodeReply(header, { type: 'Exists', stat }));
    assert.equal(statFromTheirs(t.rec.stat), stat);

    const acl = g.acl();
    t = theirs(P.GetACLResponse, encodeReply(header, { type: 'GetACL', acl, stat }));
    assert.equal(
      t.rec.acl.map((a: any) => ({ perms: a.perms, id: { scheme: a.id.scheme, id: a.id.id } })),
      acl,
    );
    const children = g.paths();
    t = theirs(P.GetChildren2Response, encodeReply(header, { type: 'GetChildren2', children, stat }));
    assert.equal(t.rec.children, children);
    const path = g.path();
    t = theirs(P.CreateResponse, encodeReply(header, { type: 'Create', path }));
    assert.is(t.rec.path, path);

    const ev = { type: g.rng.int(1, 4), state: 3, path: g.path() };
    t = theirs(P.WatcherEvent, encodeNotification(ev));
    assert.is(t.header.xid, -1);
    assert.equal({ type: t.rec.type, state: t.rec.state, path: t.rec.path }, ev);
  }
});

test('our multi replies (success and failed) decode with their TransactionResponse', () => {
  const g = new Gen(new Rng(seed + 4));
  for (let i = 0; i < rounds; i++) {
    const n = g.rng.int(1, 6);
    const results = g.bool()
      ? failedMultiResults(n, g.rng.int(0, n - 1), -g.rng.int(100, 125))
      : Array.from({ length: n }, () =>
          g.rng.pick([
            { type: 'Create' as const, path: g.path() },
            { type: 'Delete' as const },
            { type: 'SetData' as const, stat: g.stat() },
            { type: 'Check' as const },
          ]),
        );
    const frame = encodeReply({ xid: 3, zxid: 9n, err: 0 }, { type: 'Multi', results });
    const t = theirs(jute.TransactionResponse, frame);
    const mapped = t.rec.results.map((r: any) =>
      r.type === 1
        ? { type: 'Create', path: r.path }
        : r.type === 2
          ? { type: 'Delete' }
          : r.type === 5
            ? { type: 'SetData', stat: statFromTheirs(r.stat) }
            : r.type === 13
              ? { type: 'Check' }
              : { type: 'Error', err: r.err },
    );
    assert.equal(mapped, results, `seed=${seed + 4}`);
  }
});

test.run();
