/**
 * Client-port messages as plain-data unions, and their frame codecs.
 *
 * Server side: {@link decodeRequest} (payload of one frame after the ConnectRequest) and {@link encodeReply},
 * {@link encodeNotification}, {@link encodeConnectResponse}. Client side (tests, tools): {@link encodeRequest},
 * {@link decodeReply}. Every `encode*` returns a complete frame (4-byte length prefix included).
 *
 * Decoding a request: a payload too short for the RequestHeader throws {@link JuteDecodeError} (close the
 * connection); a body that does not parse yields `{ type: 'Malformed' }` (reply MARSHALLINGERROR, as ZooKeeper's
 * request processors do) and an unknown opcode `{ type: 'Unknown' }` (reply UNIMPLEMENTED).
 */
import { JuteDecodeError, JuteReader, JuteWriter } from './bytes.js';
import { Err, OpCode, Xid, KeeperState } from './constants.js';
import {
  type ACL,
  type ClientInfo,
  type ConnectRequest,
  type ConnectResponse,
  type ReplyHeader,
  type Stat,
  type WatcherEvent,
  multiHeaderBytes,
  readACLs,
  readClientInfo,
  readConnectRequest,
  readConnectResponse,
  readMultiHeader,
  readReplyHeader,
  readRequestHeader,
  readStat,
  readWatcherEvent,
  writeACLs,
  writeClientInfo,
  writeConnectRequest,
  writeConnectResponse,
  writeMultiHeader,
  writeReplyHeader,
  writeStat,
  writeWatcherEvent,
} from './records.js';
import { assertNever } from '../../core/never.js';

// ---------------------------------------------------------------- requests

export interface CreateFields {
  readonly path: string;
  readonly data: Uint8Array | null;
  readonly acl: readonly ACL[];
  /** CreateMode flags. */
  readonly flags: number;
}
export type CreateRequest = { readonly type: 'Create' } & CreateFields; // op 1
export type Create2Request = { readonly type: 'Create2' } & CreateFields; // op 15
export type CreateContainerRequest = { readonly type: 'CreateContainer' } & CreateFields; // op 19
export type CreateTTLRequest = { readonly type: 'CreateTTL'; readonly ttl: bigint } & CreateFields; // op 21
export interface DeleteRequest {
  readonly type: 'Delete';
  readonly path: string;
  readonly version: number;
}
export interface SetDataRequest {
  readonly type: 'SetData';
  readonly path: string;
  readonly data: Uint8Array | null;
  readonly version: number;
}
export interface CheckRequest {
  readonly type: 'Check';
  readonly path: string;
  readonly version: number;
}
export interface GetDataRequest {
  readonly type: 'GetData';
  readonly path: string;
  readonly watch: boolean;
}
export interface GetChildrenRequest {
  readonly type: 'GetChildren';
  readonly path: string;
  readonly watch: boolean;
}
/** Ops allowed in a multi (14). */
export type MultiWriteOp =
  | CreateRequest
  | Create2Request
  | CreateContainerRequest
  | CreateTTLRequest
  | DeleteRequest
  | SetDataRequest
  | CheckRequest;
/** Ops allowed in a multiRead (22). */
export type MultiReadOp = GetDataRequest | GetChildrenRequest;

export type ZkRequest =
  | CreateRequest
  | Create2Request
  | CreateContainerRequest
  | CreateTTLRequest
  | DeleteRequest
  | { readonly type: 'DeleteContainer'; readonly path: string }
  | { readonly type: 'Exists'; readonly path: string; readonly watch: boolean }
  | GetDataRequest
  | SetDataRequest
  | { readonly type: 'GetACL'; readonly path: string }
  | { readonly type: 'SetACL'; readonly path: string; readonly acl: readonly ACL[]; readonly version: number }
  | GetChildrenRequest
  | { readonly type: 'GetChildren2'; readonly path: string; readonly watch: boolean }
  | { readonly type: 'Sync'; readonly path: string }
  | CheckRequest
  | { readonly type: 'Multi'; readonly ops: readonly MultiWriteOp[] }
  | { readonly type: 'MultiRead'; readonly ops: readonly MultiReadOp[] }
  | {
      readonly type: 'Reconfig';
      readonly joiningServers: string | null;
      readonly leavingServers: string | null;
      readonly newMembers: string | null;
      readonly curConfigId: bigint;
    }
  /** jute field `type` (WatcherType: 1 Children, 2 Data, 3 Any) is `watcherType` here. */
  | { readonly type: 'CheckWatches'; readonly path: string; readonly watcherType: number }
  | { readonly type: 'RemoveWatches'; readonly path: string; readonly watcherType: number }
  /** AuthPacket; jute field `type` (always 0) is `authType` here. */
  | { readonly type: 'Auth'; readonly authType: number; readonly scheme: string; readonly auth: Uint8Array | null }
  | {
      readonly type: 'SetWatches';
      readonly relativeZxid: bigint;
      readonly dataWatches: readonly string[];
      readonly existWatches: readonly string[];
      readonly childWatches: readonly string[];
    }
  | {
      readonly type: 'SetWatches2';
      readonly relativeZxid: bigint;
      readonly dataWatches: readonly string[];
      readonly existWatches: readonly string[];
      readonly childWatches: readonly string[];
      readonly persistentWatches: readonly string[];
      readonly persistentRecursiveWatches: readonly string[];
    }
  | { readonly type: 'Sasl'; readonly token: Uint8Array | null }
  | { readonly type: 'GetEphemerals'; readonly prefixPath: string }
  | { readonly type: 'GetAllChildrenNumber'; readonly path: string }
  /** mode: AddWatchMode (0 persistent, 1 persistent recursive). */
  | { readonly type: 'AddWatch'; readonly path: string; readonly mode: number }
  | { readonly type: 'WhoAmI' }
  | { readonly type: 'Ping' }
  | { readonly type: 'CloseSession' }
  /** An opcode we do not know: reply UNIMPLEMENTED. */
  | { readonly type: 'Unknown'; readonly opCode: number }
  /** A known opcode whose body did not parse: reply MARSHALLINGERROR. */
  | { readonly type: 'Malformed'; readonly opCode: number; readonly reason: string };

export type ZkRequestType = ZkRequest['type'];

/** The opcode each request type is sent with (Unknown/Malformed carry their own). */
export const requestOpCode = {
  Create: OpCode.create,
  Create2: OpCode.create2,
  CreateContainer: OpCode.createContainer,
  CreateTTL: OpCode.createTTL,
  Delete: OpCode.delete,
  DeleteContainer: OpCode.deleteContainer,
  Exists: OpCode.exists,
  GetData: OpCode.getData,
  SetData: OpCode.setData,
  GetACL: OpCode.getACL,
  SetACL: OpCode.setACL,
  GetChildren: OpCode.getChildren,
  GetChildren2: OpCode.getChildren2,
  Sync: OpCode.sync,
  Check: OpCode.check,
  Multi: OpCode.multi,
  MultiRead: OpCode.multiRead,
  Reconfig: OpCode.reconfig,
  CheckWatches: OpCode.checkWatches,
  RemoveWatches: OpCode.removeWatches,
  Auth: OpCode.auth,
  SetWatches: OpCode.setWatches,
  SetWatches2: OpCode.setWatches2,
  Sasl: OpCode.sasl,
  GetEphemerals: OpCode.getEphemerals,
  GetAllChildrenNumber: OpCode.getAllChildrenNumber,
  AddWatch: OpCode.addWatch,
  WhoAmI: OpCode.whoAmI,
  Ping: OpCode.ping,
  CloseSession: OpCode.closeSession,
} as const satisfies Record<Exclude<ZkRequestType, 'Unknown' | 'Malformed'>, number>;

export function opCodeOf(req: ZkRequest): number {
  return req.type === 'Unknown' || req.type === 'Malformed' ? req.opCode : requestOpCode[req.type];
}

/** A decoded request frame. */
export interface DecodedRequest {
  readonly xid: number;
  readonly opCode: number;
  readonly request: ZkRequest;
}

/**
 * Maximum ops in one multi/multiRead; more is a MARSHALLINGERROR. The frame bound alone allows ~50,000 small ops,
 * whose one transaction took ~130 ms of the leader's loop (proposal, log, apply, reply); 10,000 keep it near 25 ms.
 * ZooKeeper has no count of its own (only jute.maxbuffer); real multis hold a few to a few hundred ops.
 */
export const multiOpsMax = 10_000;

function readCreateFields(r: JuteReader): CreateFields {
  return { path: r.string(), data: r.buffer(), acl: readACLs(r), flags: r.int() };
}

/** Reads one op body of a multi/multiRead given its MultiHeader type; throws JuteDecodeError for other types. */
function readMultiOp(op: number, r: JuteReader, at: number): MultiWriteOp | MultiReadOp {
  switch (op) {
    case OpCode.create:
      return { type: 'Create', ...readCreateFields(r) };
    case OpCode.create2:
      return { type: 'Create2', ...readCreateFields(r) };
    case OpCode.createContainer:
      return { type: 'CreateContainer', ...readCreateFields(r) };
    case OpCode.createTTL: {
      const f = readCreateFields(r);
      return { type: 'CreateTTL', ...f, ttl: r.long() };
    }
    case OpCode.delete:
      return { type: 'Delete', path: r.string(), version: r.int() };
    case OpCode.setData:
      return { type: 'SetData', path: r.string(), data: r.buffer(), version: r.int() };
    case OpCode.check:
      return { type: 'Check', path: r.string(), version: r.int() };
    case OpCode.getData:
      return { type: 'GetData', path: r.string(), watch: r.bool() };
    case OpCode.getChildren:
      return { type: 'GetChildren', path: r.string(), watch: r.bool() };
    default:
      throw new JuteDecodeError(`invalid op type ${op} in multi`, at);
  }
}

function isReadOp(op: MultiWriteOp | MultiReadOp): op is MultiReadOp {
  return op.type === 'GetData' || op.type === 'GetChildren';
}

function readMultiOps(r: JuteReader): (MultiWriteOp | MultiReadOp)[] {
  const ops: (MultiWriteOp | MultiReadOp)[] = [];
  // Each iteration consumes at least a 9-byte header, so the loop ends with the bytes.
  for (;;) {
    const at = r.offset;
    const h = readMultiHeader(r);
    if (h.done) return ops;
    if (ops.length >= multiOpsMax) throw new JuteDecodeError(`more than ${multiOpsMax} ops in a multi`, at);
    ops.push(readMultiOp(h.type, r, at));
  }
}

function readRequestBody(op: number, r: JuteReader): ZkRequest {
  switch (op) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL:
    case OpCode.delete:
    case OpCode.setData:
    case OpCode.check:
    case OpCode.getData:
    case OpCode.getChildren:
      return readMultiOp(op, r, r.offset);
    case OpCode.deleteContainer:
      return { type: 'DeleteContainer', path: r.string() };
    case OpCode.exists:
      return { type: 'Exists', path: r.string(), watch: r.bool() };
    case OpCode.getACL:
      return { type: 'GetACL', path: r.string() };
    case OpCode.setACL:
      return { type: 'SetACL', path: r.string(), acl: readACLs(r), version: r.int() };
    case OpCode.getChildren2:
      return { type: 'GetChildren2', path: r.string(), watch: r.bool() };
    case OpCode.sync:
      return { type: 'Sync', path: r.string() };
    case OpCode.multi:
    case OpCode.multiRead: {
      const at = r.offset;
      const ops = readMultiOps(r);
      const reads = ops.filter(isReadOp);
      if (reads.length > 0 && reads.length < ops.length) {
        throw new JuteDecodeError('mixing read and write operations in a multi', at);
      }
      if (op === OpCode.multiRead) {
        if (reads.length !== ops.length) throw new JuteDecodeError('write operation in a multiRead', at);
        return { type: 'MultiRead', ops: reads };
      }
      if (reads.length > 0) throw new JuteDecodeError('read operation in a multi', at);
      return { type: 'Multi', ops: ops as MultiWriteOp[] };
    }
    case OpCode.reconfig:
      return {
        type: 'Reconfig',
        joiningServers: r.ustring(),
        leavingServers: r.ustring(),
        newMembers: r.ustring(),
        curConfigId: r.long(),
      };
    case OpCode.checkWatches:
      return { type: 'CheckWatches', path: r.string(), watcherType: r.int() };
    case OpCode.removeWatches:
      return { type: 'RemoveWatches', path: r.string(), watcherType: r.int() };
    case OpCode.auth:
      return { type: 'Auth', authType: r.int(), scheme: r.string(), auth: r.buffer() };
    case OpCode.setWatches:
      return {
        type: 'SetWatches',
        relativeZxid: r.long(),
        dataWatches: r.stringVector() ?? [],
        existWatches: r.stringVector() ?? [],
        childWatches: r.stringVector() ?? [],
      };
    case OpCode.setWatches2:
      return {
        type: 'SetWatches2',
        relativeZxid: r.long(),
        dataWatches: r.stringVector() ?? [],
        existWatches: r.stringVector() ?? [],
        childWatches: r.stringVector() ?? [],
        persistentWatches: r.stringVector() ?? [],
        persistentRecursiveWatches: r.stringVector() ?? [],
      };
    case OpCode.sasl:
      return { type: 'Sasl', token: r.buffer() };
    case OpCode.getEphemerals:
      return { type: 'GetEphemerals', prefixPath: r.string() };
    case OpCode.getAllChildrenNumber:
      return { type: 'GetAllChildrenNumber', path: r.string() };
    case OpCode.addWatch:
      return { type: 'AddWatch', path: r.string(), mode: r.int() };
    case OpCode.whoAmI:
      return { type: 'WhoAmI' };
    case OpCode.ping:
      return { type: 'Ping' };
    case OpCode.closeSession:
      return { type: 'CloseSession' };
    default:
      return { type: 'Unknown', opCode: op };
  }
}

/**
 * Decodes one request frame payload (without its length prefix). Throws JuteDecodeError only when the
 * RequestHeader itself is truncated; a bad body becomes `Malformed`.
 */
export function decodeRequest(payload: Uint8Array): DecodedRequest {
  const r = new JuteReader(payload);
  const h = readRequestHeader(r);
  let request: ZkRequest;
  try {
    request = readRequestBody(h.type, r);
  } catch (e) {
    if (!(e instanceof JuteDecodeError)) throw e;
    request = { type: 'Malformed', opCode: h.type, reason: e.message };
  }
  return { xid: h.xid, opCode: h.type, request };
}

/** Decodes the first frame's payload of a connection. Throws JuteDecodeError when it is not a ConnectRequest. */
export function decodeConnectRequest(payload: Uint8Array): ConnectRequest {
  return readConnectRequest(new JuteReader(payload));
}

function writeCreateFields(w: JuteWriter, c: CreateFields): void {
  w.ustring(c.path).buffer(c.data);
  writeACLs(w, c.acl);
  w.int(c.flags);
}

function writeOpBody(w: JuteWriter, req: ZkRequest): void {
  switch (req.type) {
    case 'Create':
    case 'Create2':
    case 'CreateContainer':
      return writeCreateFields(w, req);
    case 'CreateTTL':
      writeCreateFields(w, req);
      w.long(req.ttl);
      return;
    case 'Delete':
    case 'Check':
      w.ustring(req.path).int(req.version);
      return;
    case 'DeleteContainer':
    case 'GetACL':
    case 'Sync':
    case 'GetAllChildrenNumber':
      w.ustring(req.path);
      return;
    case 'Exists':
    case 'GetData':
    case 'GetChildren':
    case 'GetChildren2':
      w.ustring(req.path).bool(req.watch);
      return;
    case 'SetData':
      w.ustring(req.path).buffer(req.data).int(req.version);
      return;
    case 'SetACL':
      w.ustring(req.path);
      writeACLs(w, req.acl);
      w.int(req.version);
      return;
    case 'Multi':
    case 'MultiRead':
      for (const op of req.ops) {
        writeMultiHeader(w, { type: requestOpCode[op.type], done: false, err: -1 });
        writeOpBody(w, op);
      }
      writeMultiHeader(w, { type: -1, done: true, err: -1 });
      return;
    case 'Reconfig':
      w.ustring(req.joiningServers).ustring(req.leavingServers).ustring(req.newMembers).long(req.curConfigId);
      return;
    case 'CheckWatches':
    case 'RemoveWatches':
      w.ustring(req.path).int(req.watcherType);
      return;
    case 'Auth':
      w.int(req.authType).ustring(req.scheme).buffer(req.auth);
      return;
    case 'SetWatches':
      w.long(req.relativeZxid).stringVector(req.dataWatches).stringVector(req.existWatches).stringVector(req.childWatches);
      return;
    case 'SetWatches2':
      w.long(req.relativeZxid).stringVector(req.dataWatches).stringVector(req.existWatches).stringVector(req.childWatches);
      w.stringVector(req.persistentWatches).stringVector(req.persistentRecursiveWatches);
      return;
    case 'Sasl':
      w.buffer(req.token);
      return;
    case 'GetEphemerals':
      w.ustring(req.prefixPath);
      return;
    case 'AddWatch':
      w.ustring(req.path).int(req.mode);
      return;
    case 'WhoAmI':
    case 'Ping':
    case 'CloseSession':
    case 'Unknown':
    case 'Malformed':
      return;
    default:
      return assertNever(req);
  }
}

// ---------------------------------------------------------------- frames

/** Starts a frame: reserves the 4-byte length prefix. */
export function frameWriter(initialBytes?: number): JuteWriter {
  return new JuteWriter(initialBytes).int(0);
}
/** Patches the length prefix and returns the frame bytes. */
export function finishFrame(w: JuteWriter): Uint8Array {
  w.patchInt(0, w.length - 4);
  return w.bytes();
}

/** Client side: a request frame. `xid` for pings is Xid.ping, for auth Xid.auth, for setWatches Xid.setWatches. */
export function encodeRequest(xid: number, req: ZkRequest): Uint8Array {
  const w = frameWriter();
  w.int(xid).int(opCodeOf(req));
  writeOpBody(w, req);
  return finishFrame(w);
}
export function encodeConnectRequest(c: ConnectRequest): Uint8Array {
  const w = frameWriter(64);
  writeConnectRequest(w, c);
  return finishFrame(w);
}
export function encodeConnectResponse(c: ConnectResponse): Uint8Array {
  const w = frameWriter(64);
  writeConnectResponse(w, c);
  return finishFrame(w);
}
export function decodeConnectResponse(payload: Uint8Array): ConnectResponse {
  return readConnectResponse(new JuteReader(payload));
}

// ---------------------------------------------------------------- responses

/** One result of a multi/multiRead, as MultiResponse encodes it (header type in the comment). */
export type MultiResult =
  | { readonly type: 'Create'; readonly path: string } // 1: CreateResponse
  | { readonly type: 'Create2'; readonly path: string; readonly stat: Stat } // 15: Create2Response
  | { readonly type: 'Delete' } // 2: no body
  | { readonly type: 'SetData'; readonly stat: Stat } // 5: SetDataResponse
  | { readonly type: 'Check' } // 13: no body
  | { readonly type: 'GetData'; readonly data: Uint8Array | null; readonly stat: Stat } // 4 (multiRead)
  | { readonly type: 'GetChildren'; readonly children: readonly string[] } // 8 (multiRead)
  | { readonly type: 'Error'; readonly err: number }; // -1: ErrorResponse{err}

const multiResultOp = {
  Create: OpCode.create,
  Create2: OpCode.create2,
  Delete: OpCode.delete,
  SetData: OpCode.setData,
  Check: OpCode.check,
  GetData: OpCode.getData,
  GetChildren: OpCode.getChildren,
  Error: OpCode.error,
} as const satisfies Record<MultiResult['type'], number>;

/**
 * The results of a failed (rolled-back) multi of `opCount` ops whose op at `failedIndex` failed with `err`:
 * ErrorResult OK (0) before it, `err` at it, RUNTIMEINCONSISTENCY (-2) after it. The ReplyHeader err stays 0.
 */
export function failedMultiResults(opCount: number, failedIndex: number, err: number): MultiResult[] {
  const out: MultiResult[] = [];
  for (let i = 0; i < opCount; i++) {
    out.push({ type: 'Error', err: i < failedIndex ? Err.OK : i === failedIndex ? err : Err.RUNTIMEINCONSISTENCY });
  }
  return out;
}

/** A successful reply body; the reply to an op with no body (delete, ping, auth, setWatches, ...) is Empty. */
export type ZkResponse =
  | { readonly type: 'Create'; readonly path: string }
  /** create2, createContainer and createTTL all answer Create2Response. */
  | { readonly type: 'Create2'; readonly path: string; readonly stat: Stat }
  | { readonly type: 'Exists'; readonly stat: Stat }
  /** getData, and reconfig (the new /zookeeper/config). */
  | { readonly type: 'GetData'; readonly data: Uint8Array | null; readonly stat: Stat }
  | { readonly type: 'SetData'; readonly stat: Stat }
  | { readonly type: 'GetACL'; readonly acl: readonly ACL[]; readonly stat: Stat }
  | { readonly type: 'SetACL'; readonly stat: Stat }
  | { readonly type: 'GetChildren'; readonly children: readonly string[] }
  | { readonly type: 'GetChildren2'; readonly children: readonly string[]; readonly stat: Stat }
  | { readonly type: 'Sync'; readonly path: string }
  /** multi and multiRead. */
  | { readonly type: 'Multi'; readonly results: readonly MultiResult[] }
  | { readonly type: 'GetEphemerals'; readonly ephemerals: readonly string[] }
  | { readonly type: 'GetAllChildrenNumber'; readonly totalNumber: number }
  | { readonly type: 'WhoAmI'; readonly clientInfo: readonly ClientInfo[] }
  | { readonly type: 'Sasl'; readonly token: Uint8Array | null }
  /** addWatch answers ErrorResponse{int err = 0} (FinalRequestProcessor); the Java client reads those 4 bytes. */
  | { readonly type: 'AddWatch' }
  | { readonly type: 'Empty' };

function writeMultiResultBody(w: JuteWriter, res: MultiResult): void {
  switch (res.type) {
    case 'Create':
      w.ustring(res.path);
      return;
    case 'Create2':
      w.ustring(res.path);
      writeStat(w, res.stat);
      return;
    case 'Delete':
    case 'Check':
      return;
    case 'SetData':
      writeStat(w, res.stat);
      return;
    case 'GetData':
      w.buffer(res.data);
      writeStat(w, res.stat);
      return;
    case 'GetChildren':
      w.stringVector(res.children);
      return;
    case 'Error':
      w.int(res.err);
      return;
    default:
      return assertNever(res);
  }
}

function writeResponseBody(w: JuteWriter, res: ZkResponse): void {
  switch (res.type) {
    case 'Create':
    case 'Sync':
      w.ustring(res.path);
      return;
    case 'Create2':
      w.ustring(res.path);
      writeStat(w, res.stat);
      return;
    case 'Exists':
    case 'SetData':
    case 'SetACL':
      writeStat(w, res.stat);
      return;
    case 'GetData':
      w.buffer(res.data);
      writeStat(w, res.stat);
      return;
    case 'GetACL':
      writeACLs(w, res.acl);
      writeStat(w, res.stat);
      return;
    case 'GetChildren':
      w.stringVector(res.children);
      return;
    case 'GetChildren2':
      w.stringVector(res.children);
      writeStat(w, res.stat);
      return;
    case 'Multi':
      for (const r of res.results) {
        const err = r.type === 'Error' ? r.err : 0;
        writeMultiHeader(w, { type: multiResultOp[r.type], done: false, err });
        writeMultiResultBody(w, r);
      }
      writeMultiHeader(w, { type: -1, done: true, err: -1 });
      return;
    case 'GetEphemerals':
      w.stringVector(res.ephemerals);
      return;
    case 'GetAllChildrenNumber':
      w.int(res.totalNumber);
      return;
    case 'WhoAmI':
      w.vector(res.clientInfo, writeClientInfo);
      return;
    case 'Sasl':
      w.buffer(res.token);
      return;
    case 'AddWatch':
      w.int(Err.OK);
      return;
    case 'Empty':
      return;
    default:
      return assertNever(res);
  }
}

/**
 * A reply frame: ReplyHeader, then the body only when `err` is 0 (ZooKeeper omits it otherwise; a failed multi
 * has err 0 and its error results in the body).
 */
export function encodeReply(header: ReplyHeader, response?: ZkResponse, bodyOnError = false): Uint8Array {
  const w = frameWriter();
  writeReplyHeader(w, header);
  if ((header.err === Err.OK || bodyOnError) && response !== undefined) writeResponseBody(w, response);
  return finishFrame(w);
}

/** A watch notification frame: xid -1, zxid -1, err 0, WatcherEvent (state SyncConnected unless given). */
export function encodeNotification(event: { type: number; path: string; state?: number }): Uint8Array {
  const w = frameWriter(32 + event.path.length * 3);
  writeReplyHeader(w, { xid: Xid.notification, zxid: -1n, err: 0 });
  writeWatcherEvent(w, { type: event.type, state: event.state ?? KeeperState.SyncConnected, path: event.path });
  return finishFrame(w);
}

/** The reply header of a reply frame payload. */
export function decodeReplyHeader(payload: Uint8Array): ReplyHeader {
  return readReplyHeader(new JuteReader(payload));
}

function readMultiResults(r: JuteReader): MultiResult[] {
  const out: MultiResult[] = [];
  for (;;) {
    const at = r.offset;
    const h = readMultiHeader(r);
    if (h.done) return out;
    if (out.length >= multiOpsMax) throw new JuteDecodeError(`more than ${multiOpsMax} multi results`, at);
    switch (h.type) {
      case OpCode.create:
        out.push({ type: 'Create', path: r.string() });
        break;
      case OpCode.create2:
        out.push({ type: 'Create2', path: r.string(), stat: readStat(r) });
        break;
      case OpCode.delete:
        out.push({ type: 'Delete' });
        break;
      case OpCode.check:
        out.push({ type: 'Check' });
        break;
      case OpCode.setData:
        out.push({ type: 'SetData', stat: readStat(r) });
        break;
      case OpCode.getData:
        out.push({ type: 'GetData', data: r.buffer(), stat: readStat(r) });
        break;
      case OpCode.getChildren:
        out.push({ type: 'GetChildren', children: r.stringVector() ?? [] });
        break;
      case OpCode.error:
        out.push({ type: 'Error', err: r.int() });
        break;
      default:
        throw new JuteDecodeError(`invalid multi result type ${h.type}`, at);
    }
  }
}

/** Reads the body of a successful reply to a request sent with `opCode`. */
export function readResponseBody(opCode: number, r: JuteReader): ZkResponse {
  switch (opCode) {
    case OpCode.create:
      return { type: 'Create', path: r.string() };
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL:
      return { type: 'Create2', path: r.string(), stat: readStat(r) };
    case OpCode.exists:
      return { type: 'Exists', stat: readStat(r) };
    case OpCode.getData:
    case OpCode.reconfig:
      return { type: 'GetData', data: r.buffer(), stat: readStat(r) };
    case OpCode.setData:
      return { type: 'SetData', stat: readStat(r) };
    case OpCode.getACL:
      return { type: 'GetACL', acl: readACLs(r), stat: readStat(r) };
    case OpCode.setACL:
      return { type: 'SetACL', stat: readStat(r) };
    case OpCode.getChildren:
      return { type: 'GetChildren', children: r.stringVector() ?? [] };
    case OpCode.getChildren2:
      return { type: 'GetChildren2', children: r.stringVector() ?? [], stat: readStat(r) };
    case OpCode.sync:
      return { type: 'Sync', path: r.string() };
    case OpCode.multi:
    case OpCode.multiRead:
      return { type: 'Multi', results: readMultiResults(r) };
    case OpCode.getEphemerals:
      return { type: 'GetEphemerals', ephemerals: r.stringVector() ?? [] };
    case OpCode.getAllChildrenNumber:
      return { type: 'GetAllChildrenNumber', totalNumber: r.int() };
    case OpCode.whoAmI:
      return { type: 'WhoAmI', clientInfo: r.vector(readClientInfo, 8) ?? [] };
    case OpCode.sasl:
      return { type: 'Sasl', token: r.buffer() };
    case OpCode.addWatch:
      r.int();
      return { type: 'AddWatch' };
    default:
      return { type: 'Empty' };
  }
}

export type DecodedReply =
  | { readonly kind: 'notification'; readonly header: ReplyHeader; readonly event: WatcherEvent }
  | { readonly kind: 'reply'; readonly header: ReplyHeader; readonly response: ZkResponse | undefined };

/**
 * Client side: decodes a reply frame payload. `opCodeOfXid` tells the opcode of the request a reply answers
 * (clients keep it per xid). The body is read only when err is 0.
 */
export function decodeReply(payload: Uint8Array, opCodeOfXid: (xid: number) => number): DecodedReply {
  const r = new JuteReader(payload);
  const header = readReplyHeader(r);
  if (header.xid === Xid.notification) return { kind: 'notification', header, event: readWatcherEvent(r) };
  if (header.err !== Err.OK) return { kind: 'reply', header, response: undefined };
  return { kind: 'reply', header, response: readResponseBody(opCodeOfXid(header.xid), r) };
}

export { multiHeaderBytes };
