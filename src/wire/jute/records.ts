/**
 * ZooKeeper 3.8 jute records (zookeeper.jute) as plain data, with a reader and a writer for each. Field names are
 * ZooKeeper's, except where a jute field called `type` would clash with the `type` discriminant of the request
 * and response unions (see messages.ts). 64-bit fields are bigint (see bytes.ts).
 */
import { JuteDecodeError, JuteReader, JuteWriter } from './bytes.js';

export interface Id {
  readonly scheme: string;
  readonly id: string;
}
export interface ACL {
  readonly perms: number;
  readonly id: Id;
}
/** 11 fields, 68 bytes on the wire. */
export interface Stat {
  readonly czxid: bigint;
  readonly mzxid: bigint;
  readonly ctime: bigint;
  readonly mtime: bigint;
  readonly version: number;
  readonly cversion: number;
  readonly aversion: number;
  readonly ephemeralOwner: bigint;
  readonly dataLength: number;
  readonly numChildren: number;
  readonly pzxid: bigint;
}
export const statBytes = 68;

export interface ConnectRequest {
  readonly protocolVersion: number;
  readonly lastZxidSeen: bigint;
  /** Requested session timeout, ms. */
  readonly timeOut: number;
  /** 0n = new session. */
  readonly sessionId: bigint;
  readonly passwd: Uint8Array | null;
  /** The optional trailing byte; `undefined` when the client did not send it (then the response omits it too). */
  readonly readOnly?: boolean | undefined;
}
export interface ConnectResponse {
  readonly protocolVersion: number;
  /** Negotiated session timeout, ms (0 with sessionId 0 = session expired). */
  readonly timeOut: number;
  readonly sessionId: bigint;
  readonly passwd: Uint8Array | null;
  /** Written only when defined: echo it only to clients that sent the trailer. */
  readonly readOnly?: boolean | undefined;
}
export interface RequestHeader {
  readonly xid: number;
  readonly type: number;
}
export interface ReplyHeader {
  readonly xid: number;
  readonly zxid: bigint;
  readonly err: number;
}
export const requestHeaderBytes = 8;
export const replyHeaderBytes = 16;

export interface WatcherEvent {
  readonly type: number;
  readonly state: number;
  readonly path: string;
}
/** MultiHeader{int type, boolean done, int err}. */
export interface MultiHeader {
  readonly type: number;
  readonly done: boolean;
  readonly err: number;
}
export const multiHeaderBytes = 9;
/** WhoAmI's ClientInfo{ustring authScheme, ustring user}. */
export interface ClientInfo {
  readonly authScheme: string;
  readonly user: string;
}

// ---- readers ----

export function readId(r: JuteReader): Id {
  return { scheme: r.string(), id: r.string() };
}
export function readACL(r: JuteReader): ACL {
  return { perms: r.int(), id: readId(r) };
}
const aclMinBytes = 12;
/**
 * ACL entries in one request (create, setACL, each create of a multi); more is a decode error (MARSHALLINGERROR).
 * ZooKeeper has no count of its own; 40,000 entries in one frame took ~130 ms of the leader's loop; real ACLs hold
 * a handful.
 */
export const aclEntriesMax = 1_024;

/** A vector<ACL>; null reads as []. */
export function readACLs(r: JuteReader): ACL[] {
  return r.vector(readACL, aclMinBytes, aclEntriesMax) ?? [];
}
export function readStat(r: JuteReader): Stat {
  return {
    czxid: r.long(),
    mzxid: r.long(),
    ctime: r.long(),
    mtime: r.long(),
    version: r.int(),
    cversion: r.int(),
    aversion: r.int(),
    ephemeralOwner: r.long(),
    dataLength: r.int(),
    numChildren: r.int(),
    pzxid: r.long(),
  };
}
/** Reads the 44-byte ConnectRequest and the optional readOnly byte (present iff a byte remains). */
export function readConnectRequest(r: JuteReader): ConnectRequest {
  const protocolVersion = r.int();
  const lastZxidSeen = r.long();
  const timeOut = r.int();
  const sessionId = r.long();
  const passwd = r.buffer();
  const readOnly = r.remaining > 0 ? r.bool() : undefined;
  return { protocolVersion, lastZxidSeen, timeOut, sessionId, passwd, readOnly };
}
export function readConnectResponse(r: JuteReader): ConnectResponse {
  const protocolVersion = r.int();
  const timeOut = r.int();
  const sessionId = r.long();
  const passwd = r.buffer();
  const readOnly = r.remaining > 0 ? r.bool() : undefined;
  return { protocolVersion, timeOut, sessionId, passwd, readOnly };
}
export function readRequestHeader(r: JuteReader): RequestHeader {
  return { xid: r.int(), type: r.int() };
}
export function readReplyHeader(r: JuteReader): ReplyHeader {
  return { xid: r.int(), zxid: r.long(), err: r.int() };
}
export function readWatcherEvent(r: JuteReader): WatcherEvent {
  return { type: r.int(), state: r.int(), path: r.string() };
}
export function readMultiHeader(r: JuteReader): MultiHeader {
  return { type: r.int(), done: r.bool(), err: r.int() };
}
export function readClientInfo(r: JuteReader): ClientInfo {
  return { authScheme: r.string(), user: r.string() };
}

// ---- writers ----

export function writeId(w: JuteWriter, id: Id): void {
  w.ustring(id.scheme).ustring(id.id);
}
export function writeACL(w: JuteWriter, acl: ACL): void {
  w.int(acl.perms);
  writeId(w, acl.id);
}
export function writeACLs(w: JuteWriter, acls: readonly ACL[]): void {
  w.vector(acls, writeACL);
}
export function writeStat(w: JuteWriter, s: Stat): void {
  w.long(s.czxid).long(s.mzxid).long(s.ctime).long(s.mtime);
  w.int(s.version).int(s.cversion).int(s.aversion);
  w.long(s.ephemeralOwner);
  w.int(s.dataLength).int(s.numChildren);
  w.long(s.pzxid);
}
export function writeConnectRequest(w: JuteWriter, c: ConnectRequest): void {
  w.int(c.protocolVersion).long(c.lastZxidSeen).int(c.timeOut).long(c.sessionId).buffer(c.passwd);
  if (c.readOnly !== undefined) w.bool(c.readOnly);
}
export function writeConnectResponse(w: JuteWriter, c: ConnectResponse): void {
  w.int(c.protocolVersion).int(c.timeOut).long(c.sessionId).buffer(c.passwd);
  if (c.readOnly !== undefined) w.bool(c.readOnly);
}
export function writeRequestHeader(w: JuteWriter, h: RequestHeader): void {
  w.int(h.xid).int(h.type);
}
export function writeReplyHeader(w: JuteWriter, h: ReplyHeader): void {
  w.int(h.xid).long(h.zxid).int(h.err);
}
export function writeWatcherEvent(w: JuteWriter, e: WatcherEvent): void {
  w.int(e.type).int(e.state).ustring(e.path);
}
export function writeMultiHeader(w: JuteWriter, h: MultiHeader): void {
  w.int(h.type).bool(h.done).int(h.err);
}
export function writeClientInfo(w: JuteWriter, c: ClientInfo): void {
  w.ustring(c.authScheme).ustring(c.user);
}

/** Decodes a whole byte array with `read`; trailing bytes are ignored (as jute does). */
export function decodeWith<T>(bytes: Uint8Array, read: (r: JuteReader) => T): T {
  return read(new JuteReader(bytes));
}
export { JuteDecodeError };

/** A Stat whose 64-bit fields are JS numbers or bigints (e.g. the tree's Stat, where zxids are numbers < 2^53). */
export type NumericStat = { readonly [K in keyof Stat]: Stat[K] extends bigint ? number | bigint : number };

/** Widens a tree-side Stat (numbers) to the wire Stat (bigint 64-bit fields). */
export function toWireStat(s: NumericStat): Stat {
  return {
    czxid: BigInt(s.czxid),
    mzxid: BigInt(s.mzxid),
    ctime: BigInt(s.ctime),
    mtime: BigInt(s.mtime),
    version: s.version,
    cversion: s.cversion,
    aversion: s.aversion,
    ephemeralOwner: BigInt(s.ephemeralOwner),
    dataLength: s.dataLength,
    numChildren: s.numChildren,
    pzxid: BigInt(s.pzxid),
  };
}

/**
 * A wire long as a JS number when it is exactly representable (|v| ≤ 2^53-1), else undefined: e.g. a client's
 * sessionId or lastZxidSeen for a tree that keeps them as numbers. A session id that does not fit cannot be one of
 * ours: answer it as an expired session.
 */
export function safeNumberOfLong(v: bigint): number | undefined {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : undefined;
}

/**
 * A wire session id (a signed long: negative for server ids ≥ 128) as the tree's number: its unsigned value when a
 * JS number holds it exactly (every id conclave makes: src/core/sessions), else undefined (not one of ours).
 */
export function sessionIdOfLong(v: bigint): number | undefined {
  const u = BigInt.asUintN(64, v);
  const n = Number(u);
  return BigInt(n) === u ? n : undefined;
}
