/**
 * The real {@link ZkBackend}: one node's client port backed by that node's `<node>/zookeeper` actor (the replicated
 * tree), reached through a gateway (`ask`/`send` of a runtime).
 *
 * - Numbers: the tree keeps zxids and session ids as JS numbers; the wire uses bigint (widened here, client values
 *   narrowed with `safeNumberOfLong`, session ids with `sessionIdOfLong`: ids ≥ 2^63 are negative longs on the wire).
 * - Notifications: the backend names itself as `subscriber` on every request and keeps one `ZkPoll` long poll
 *   open. The actor answers the poll when watches fire and attaches the notifications queued so far to every other
 *   reply, all on the one ordered reply path; the backend calls `conn.notify` for them before it resolves the reply
 *   they came with, so a notification precedes any reply carrying a later zxid.
 * - Sessions: the password is an HMAC of the session id under the ensemble's session secret, which lives in the
 *   replicated tree (the first backend to need it proposes random bytes; the first committed stays, in every
 *   member's log and snapshots), so a client can resume its session on any node and nobody can derive a password
 *   from what a client sees. A wrong password or a session unknown to the tree is answered as expired.
 * - A `ZkFailed` from the actor (leader change, timeout) rejects the request: the connection drops and the client
 *   sees CONNECTIONLOSS and reconnects, as with a ZooKeeper server that lost its leader.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ZkBackend, BackendReply, ConnectResult, ZkConnection } from './connection.js';
import { SessionOrder, type OrderKind } from './session-order.js';
import {
  AddWatchMode,
  CreateMode,
  Err,
  EventType,
  type ACL,
  type ConnectRequest,
  type MultiResult,
  type MultiWriteOp,
  type ZkRequest,
  type ZkResponse,
  safeNumberOfLong,
  sessionIdOfLong,
  sessionPasswdBytes,
  toWireStat,
  type Stat as WireStat,
} from '../../wire/jute/index.js';
import type { Id, Stat, OpResult, ReadRequest, ReadResult, WriteOpRequest, WriteRequest, WriteResult } from '../../protocol/txn.js';
import { Perms } from '../../protocol/txn.js';
import { permitted } from '../../core/tree/acl.js';
import { DigestMd5Server, SaslFailure } from './sasl.js';
import type { PersistentWatchMode, WatchKind, WatcherType, ZkReply, ZkWatchEvent } from '../../protocol/zookeeper.js';

/** What the backend needs of a runtime (Runtime satisfies it). */
export interface ZkGateway {
  ask<R extends { type: string }>(to: string, msg: { type: string; [k: string]: unknown }, timeoutMs: number): Promise<R>;
  send(to: string, msg: { type: string; [k: string]: unknown }): void;
  /** Whether the node runs (a runtime knows; absent: assume it does). */
  isUp?(node: string): boolean;
}

export interface ZkClusterBackendOptions {
  readonly gateway: ZkGateway;
  /** The node whose zookeeper actor serves this port. */
  readonly node: string;
  /** ZooKeeper's tickTime: negotiated session timeouts are clamped to [2, 20] × this unless set below. */
  readonly tickTimeMs?: number;
  /** zoo.cfg minSessionTimeout / maxSessionTimeout (default 2 and 20 × tickTime). */
  readonly minSessionTimeoutMs?: number;
  readonly maxSessionTimeoutMs?: number;
  /** Per-request ask timeout (the actor fails requests itself after its own timeout). */
  readonly requestTimeoutMs?: number;
  /** `user:base64(sha1(user:password))` of the super user (ZooKeeper's superDigest), if any. */
  readonly superDigest?: string;
  /** DIGEST-MD5 users (name → password) of the JAAS file's `Server` section; absent: no SASL login (see sasl.ts). */
  readonly saslUsers?: ReadonlyMap<string, string>;
  /** `authProvider.N` names ZooKeeper's SASLAuthenticationProvider: the `sasl` ACL scheme is valid. */
  readonly saslAcls?: boolean;
  /** Unique name of this backend as a notification subscriber. */
  readonly subscriber?: string;
  /**
   * What a read of `/zookeeper/config` answers (ZooKeeper's ensemble configuration, `server.N=...` lines and
   * `version=`, which zkCli's `config` prints); the node itself stays empty in the replicated tree. A function is
   * asked at each read (the embedded cluster knows its client ports only once every one listens).
   */
  readonly ensembleConfig?: string | (() => string);
}

/** ZooKeeper's node holding the ensemble configuration. */
export const configNodePath = '/zookeeper/config';

export const tickTimeMsDefault = 2_000;
const requestTimeoutMsDefault = 12_000;
/** The poll's ask timeout; the actor answers a held poll after its pollHoldMs (5 s). */
const pollAskTimeoutMs = 15_000;
const pollRetryDelayMs = 200;
/** Auth ids one session may add, at most. */
export const authIdsPerSessionMax = 32;
/** Paths in one setWatches, at most (each is a read). */
export const setWatchesPathsMax = 100_000;

/** addWatch's mode (ZooKeeper AddWatchMode); ZooKeeper fails any other number with MARSHALLINGERROR. */
const persistentModeOf = new Map<number, PersistentWatchMode>([
  [AddWatchMode.PERSISTENT, 'persistent'],
  [AddWatchMode.PERSISTENT_RECURSIVE, 'persistentRecursive'],
]);
/** checkWatches/removeWatches type (Watcher.WatcherType; 4 and 5 are ZooKeeper 3.9's); others MARSHALLINGERROR. */
const watcherTypeOf = new Map<number, WatcherType>([
  [1, 'children'],
  [2, 'data'],
  [3, 'any'],
  [4, 'persistent'],
  [5, 'persistentRecursive'],
]);

export function digestId(userPassword: string): string | undefined {
  const colon = userPassword.indexOf(':');
  if (colon < 0) return undefined;
  const user = userPassword.slice(0, colon);
  return `${user}:${createHash('sha1').update(userPassword, 'utf8').digest('base64')}`;
}

const eventTypeOf: Record<Exclude<ZkWatchEvent['event'], 'SessionClosed'>, number> = {
  NodeCreated: EventType.NodeCreated,
  NodeDeleted: EventType.NodeDeleted,
  NodeDataChanged: EventType.NodeDataChanged,
  NodeChildrenChanged: EventType.NodeChildrenChanged,
};

/** The user name whoAmI reports for an auth id: a digest id's user part (ZooKeeper's getUserName), else the id. */
export function userOf(id: Id): string {
  return id.scheme === 'digest' ? id.id.split(':')[0]! : id.id;
}

class Failed extends Error {}

interface SessionState {
  conn: ZkConnection;
  auth: Id[];
  closing: boolean;
  /** This connection's DIGEST-MD5 exchange, from its first SASL request on. */
  sasl?: DigestMd5Server;
  /** This connection's requests in ZooKeeper's per-session order. */
  readonly order: SessionOrder;
}

/** Requests that change the tree or wait for the leader (sync, close) order as writes; auth applies at once. */
const writeKinds: ReadonlySet<ZkRequest['type']> = new Set(['Create', 'Create2', 'CreateContainer', 'CreateTTL', 'Delete', 'SetData', 'SetACL', 'Check', 'Multi', 'Sync', 'CloseSession']);

function orderKindOf(r: ZkRequest): OrderKind | undefined {
  if (r.type === 'Auth' || r.type === 'Sasl') return undefined;
  return writeKinds.has(r.type) ? 'write' : 'read';
}

export class ZkClusterBackend implements ZkBackend {
  private readonly gateway: ZkGateway;
  readonly node: string;
  private readonly addr: string;
  /** The ensemble's session secret once known (it never changes), or the pending ask for it. */
  private secret: Promise<Uint8Array> | null = null;
  readonly tickTimeMs: number;
  private readonly requestTimeoutMs: number;
  private readonly subscriber: string;
  private readonly sessions = new Map<number, SessionState>();
  private zxid = 0;
  private stopped = false;
  private readonly configText: (() => string) | null;
  readonly counters = { requests: 0, failed: 0, notifications: 0 };

  constructor(private readonly opts: ZkClusterBackendOptions) {
    this.gateway = opts.gateway;
    this.node = opts.node;
    this.addr = `${opts.node}/zookeeper`;
    this.tickTimeMs = opts.tickTimeMs ?? tickTimeMsDefault;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? requestTimeoutMsDefault;
    this.subscriber = opts.subscriber ?? `zk-${opts.node}-${randomBytes(6).toString('hex')}`;
    const cfg = opts.ensembleConfig;
    this.configText = cfg === undefined ? null : typeof cfg === 'string' ? () => cfg : cfg;
    void this.pollLoop();
  }

  get minSessionTimeoutMs(): number {
    return this.opts.minSessionTimeoutMs ?? 2 * this.tickTimeMs;
  }
  get maxSessionTimeoutMs(): number {
    return this.opts.maxSessionTimeoutMs ?? 20 * this.tickTimeMs;
  }
  get liveSessions(): number {
    return this.sessions.size;
  }

  /** Stops the notification poll (call when the port closes). */
  stop(): void {
    this.stopped = true;
  }

  private async pollLoop(): Promise<void> {
    while (!this.stopped) {
      try {
        const r = await this.gateway.ask<ZkReply>(this.addr, { type: 'ZkPoll', subscriber: this.subscriber }, pollAskTimeoutMs);
        if (r.type === 'ZkEvents') this.deliver(r.events);
        else await sleep(pollRetryDelayMs);
      } catch {
        if (!this.stopped) await sleep(pollRetryDelayMs);
      }
    }
  }

  private deliver(events: readonly ZkWatchEvent[] | undefined): void {
    if (events === undefined) return;
    for (const e of events) {
      if (e.zxid > this.zxid) this.zxid = e.zxid;
      const st = this.sessions.get(e.sessionId);
      if (st === undefined) continue;
      if (e.event === 'SessionClosed') {
        if (!st.closing) st.conn.close('session closed');
        continue;
      }
      // ZooKeeper 3.8.4+ (CVE-2024-23944): no event about a node the session may not READ
      if (e.acl !== undefined && !permitted(e.acl, Perms.READ, this.authOf(e.sessionId))) continue;
      this.counters.notifications++;
      st.conn.notify({ type: eventTypeOf[e.event], path: e.path }, BigInt(e.zxid));
    }
  }

  private password(secret: Uint8Array, sessionId: number): Uint8Array {
    return new Uint8Array(createHmac('sha256', secret).update(String(sessionId)).digest().subarray(0, sessionPasswdBytes));
  }

  /**
   * The ensemble's session secret: this backend proposes `sessionSecretBytes` random bytes through the log, and the
   * tree answers with the secret in effect (the first one ever committed). Asked once per backend; a failed ask
   * (no quorum) is asked again at the next connect.
   */
  private sessionSecret(): Promise<Uint8Array> {
    this.secret ??= this.call({ type: 'ZkWrite', sessionId: 0, request: { type: 'SessionSecret', secret: new Uint8Array(randomBytes(sessionSecretBytes)) } }).then((r) => {
      if (r.type !== 'ZkWriteDone' || r.result.type !== 'SessionSecret') throw new Failed(`session secret: unexpected ${r.type === 'ZkWriteDone' ? r.result.type : r.type}`);
      return r.result.secret;
    });
    this.secret.catch(() => (this.secret = null));
    return this.secret;
  }

  /** Whether the node is up as far as the gateway knows. */
  nodeUp(): boolean {
    return this.gateway.isUp?.(this.node) ?? true;
  }

  /** Drops every connection when the node is down (clients move to another server with their session). */
  checkNode(): void {
    if (this.nodeUp()) return;
    for (const st of this.sessions.values()) st.conn.close(`node ${this.node} is down`);
    this.sessions.clear();
  }

  private async call(msg: { type: string; [k: string]: unknown }): Promise<ZkReply> {
    if (!this.nodeUp()) throw new Failed(`node ${this.node} is down`);
    let r: ZkReply;
    try {
      r = await this.gateway.ask<ZkReply>(this.addr, { ...msg, subscriber: this.subscriber }, this.requestTimeoutMs);
    } catch (e) {
      this.counters.failed++;
      throw new Failed(`${this.node}: ${(e as Error).message}`);
    }
    if ('events' in r) this.deliver(r.events);
    if ('zxid' in r && r.zxid > this.zxid) this.zxid = r.zxid;
    if (r.type === 'ZkFailed') {
      this.counters.failed++;
      throw new Failed(`${this.node}: ${r.reason}`);
    }
    return r;
  }

  async status(): Promise<Extract<ZkReply, { type: 'ZkStatusReply' }> | null> {
    const r = await this.gateway.ask<ZkReply>(this.addr, { type: 'ZkStatus' }, 2_000).catch(() => null);
    if (r?.type !== 'ZkStatusReply') return null;
    if (r.appliedZxid > this.zxid) this.zxid = r.appliedZxid;
    return r;
  }

  async connect(req: ConnectRequest, conn: ZkConnection): Promise<ConnectResult> {
    if (!this.nodeUp()) return { kind: 'refused', reason: `node ${this.node} is down` };
    const st = await this.status();
    if (st === null || st.role === 'looking') return { kind: 'refused', reason: 'not serving (no leader)' };
    const lastSeen = safeNumberOfLong(req.lastZxidSeen);
    if (lastSeen === undefined || lastSeen > st.appliedZxid) return { kind: 'refused', reason: `client has seen zxid 0x${req.lastZxidSeen.toString(16)}, this server 0x${st.appliedZxid.toString(16)}` };
    const timeOut = Math.min(this.maxSessionTimeoutMs, Math.max(this.minSessionTimeoutMs, req.timeOut));
    let secret: Uint8Array;
    try {
      secret = await this.sessionSecret();
    } catch (e) {
      return { kind: 'refused', reason: (e as Error).message };
    }
    if (req.sessionId !== 0n) {
      const id = sessionIdOfLong(req.sessionId);
      if (id === undefined || id <= 0) return { kind: 'expired' };
      const pw = this.password(secret, id);
      if (req.passwd === null || req.passwd.length !== pw.length || !timingSafeEqual(req.passwd, pw)) return { kind: 'expired' };
      // This server owns the session from now on: its writes through any other server fail SESSIONMOVED, after
      // every write that reached the log before this point (the client's order holds across the reconnect). The
      // move also tells whether the session lives (else SESSIONEXPIRED) and its timeout; the write binds it here.
      let moved: ZkReply;
      try {
        moved = await this.call({ type: 'ZkWrite', sessionId: id, request: { type: 'MoveSession' } });
      } catch (e) {
        return { kind: 'refused', reason: `session move: ${(e as Error).message}` };
      }
      if (moved.type !== 'ZkWriteDone') return { kind: 'refused', reason: `session move: ${moved.type}` };
      const result = moved.result;
      if (result.type === 'Error') return result.err === Err.SESSIONEXPIRED ? { kind: 'expired' } : { kind: 'refused', reason: `session move: error ${result.err}` };
      if (result.type !== 'MoveSession') return { kind: 'refused', reason: `session move: unexpected ${result.type}` };
      const old = this.sessions.get(id);
      if (old !== undefined && old.conn !== conn) old.conn.close('session moved to a new connection');
      this.sessions.set(id, { conn, auth: [], closing: false, order: new SessionOrder() });
      return { kind: 'accepted', sessionId: BigInt(id), timeOut: result.timeoutMs, passwd: pw };
    }
    let r: ZkReply;
    try {
      r = await this.call({ type: 'ZkConnect', timeoutMs: timeOut });
    } catch (e) {
      return { kind: 'refused', reason: (e as Error).message };
    }
    if (r.type !== 'ZkConnected') return { kind: 'refused', reason: `unexpected ${r.type}` };
    this.sessions.set(r.sessionId, { conn, auth: [], closing: false, order: new SessionOrder() });
    return { kind: 'accepted', sessionId: BigInt(r.sessionId), timeOut: r.timeoutMs, passwd: this.password(secret, r.sessionId) };
  }

  touch(sessionId: bigint): void {
    const id = sessionIdOfLong(sessionId);
    if (id !== undefined) this.gateway.send(this.addr, { type: 'ZkTouch', sessionId: id });
  }

  lastZxid(): bigint {
    return BigInt(this.zxid);
  }

  disconnected(sessionId: bigint, conn: ZkConnection): void {
    const id = sessionIdOfLong(sessionId);
    if (id === undefined) return;
    if (this.sessions.get(id)?.conn !== conn) return;
    this.sessions.delete(id);
    // ZooKeeper's watches belong to the connection: the client sets them again where it reconnects.
    this.gateway.send(this.addr, { type: 'ZkDisconnected', sessionId: id, subscriber: this.subscriber });
  }

  /**
   * The identity a request carries into the log (every replica checks ACLs with it at commit): the connection's
   * `ip` id (its remote address, as ZooKeeper authenticates every connection), the `addauth` ids, and whether one
   * of them is the super user's digest.
   */
  private authOf(id: number): { ids: Id[]; superUser?: boolean; saslScheme?: boolean } {
    const st = this.sessions.get(id);
    if (st === undefined) return { ids: [] };
    const ids = [{ scheme: 'ip', id: st.conn.remoteAddress }, ...st.auth];
    const superUser = this.opts.superDigest !== undefined && st.auth.some((i) => i.scheme === 'digest' && i.id === this.opts.superDigest);
    return { ids, ...(superUser ? { superUser } : {}), ...(this.opts.saslAcls === true ? { saslScheme: true } : {}) };
  }

  private ok(zxid: number, response?: ZkResponse): BackendReply {
    return response === undefined ? { zxid: BigInt(zxid), err: Err.OK } : { zxid: BigInt(zxid), err: Err.OK, response };
  }
  private error(err: number, zxid = this.zxid): BackendReply {
    return { zxid: BigInt(zxid), err };
  }

  private async write(id: number, request: WriteRequest): Promise<{ zxid: number; result: WriteResult }> {
    const r = await this.call({ type: 'ZkWrite', sessionId: id, request, auth: this.authOf(id) });
    if (r.type !== 'ZkWriteDone') throw new Failed(`unexpected ${r.type}`);
    return r;
  }

  private async addWatch(id: number, path: string, mode: PersistentWatchMode): Promise<{ zxid: number; added: boolean }> {
    const r = await this.call({ type: 'ZkAddWatch', sessionId: id, path, mode });
    if (r.type !== 'ZkWatchAdded') throw new Failed(`unexpected ${r.type}`);
    return r;
  }

  private async read(id: number, request: ReadRequest, watch?: WatchKind): Promise<{ zxid: number; result: ReadResult }> {
    const r = await this.call({ type: 'ZkRead', sessionId: id, request, auth: this.authOf(id), ...(watch !== undefined ? { watch } : {}) });
    if (r.type !== 'ZkReadDone') throw new Failed(`unexpected ${r.type}`);
    return r;
  }

  /** Runs a request in its session's order ({@link SessionOrder}): a read after a write of the session sees it. */
  async submit(sessionId: bigint, xid: number, request: ZkRequest, conn: ZkConnection): Promise<BackendReply> {
    const reply = await this.ordered(sessionId, xid, request, conn);
    // The session moved to another server: this connection is stale (ZooKeeper answers and closes it).
    return reply.err === Err.SESSIONMOVED ? { ...reply, closeAfter: true } : reply;
  }

  private async ordered(sessionId: bigint, xid: number, request: ZkRequest, conn: ZkConnection): Promise<BackendReply> {
    const id = sessionIdOfLong(sessionId);
    const st = id === undefined ? undefined : this.sessions.get(id);
    const kind = orderKindOf(request);
    if (st === undefined || st.conn !== conn || kind === undefined) return this.execute(sessionId, xid, request, conn);
    const ticket = st.order.enter(kind);
    try {
      await ticket.ready;
      return await this.execute(sessionId, xid, request, conn);
    } finally {
      ticket.done();
    }
  }

  private async execute(sessionId: bigint, _xid: number, request: ZkRequest, conn: ZkConnection): Promise<BackendReply> {
    const id = sessionIdOfLong(sessionId);
    if (id === undefined) return this.error(Err.SESSIONEXPIRED);
    this.counters.requests++;
    switch (request.type) {
      case 'Create':
      case 'Create2':
      case 'CreateContainer':
      case 'CreateTTL':
      case 'Delete':
      case 'SetData':
      case 'SetACL':
      case 'Check': {
        const op = toWriteOp(request);
        if (typeof op === 'number') return this.error(op);
        const { zxid, result } = await this.write(id, op);
        if (result.type === 'Error') return this.error(result.err, zxid);
        return this.ok(zxid, singleResponse(request.type, result as OpResult));
      }
      case 'Multi': {
        const ops: WriteOpRequest[] = [];
        for (const o of request.ops) {
          const w = toWriteOp(o);
          if (typeof w === 'number') return this.error(w);
          ops.push(w);
        }
        const { zxid, result } = await this.write(id, { type: 'Multi', ops });
        if (result.type === 'Error') return this.error(result.err, zxid);
        if (result.type !== 'Multi') throw new Failed(`unexpected ${result.type}`);
        return this.ok(zxid, { type: 'Multi', results: result.results.map((r, i) => multiResult(request.ops[i]!.type, r)) });
      }
      case 'GetData': {
        const { zxid, result } = await this.read(id, { type: 'GetData', path: request.path }, request.watch ? 'data' : undefined);
        if (result.type !== 'Data') return this.error(errOf(result), zxid);
        if (request.path === configNodePath && this.configText !== null) {
          const data = new TextEncoder().encode(this.configText());
          return this.ok(zxid, { type: 'GetData', data, stat: wireStat({ ...result.stat, dataLength: data.length }) });
        }
        return this.ok(zxid, { type: 'GetData', data: result.data, stat: wireStat(result.stat) });
      }
      case 'Exists': {
        const { zxid, result } = await this.read(id, { type: 'Exists', path: request.path }, request.watch ? 'exists' : undefined);
        if (result.type !== 'Stat') return this.error(errOf(result), zxid);
        return this.ok(zxid, { type: 'Exists', stat: wireStat(result.stat) });
      }
      case 'GetChildren':
      case 'GetChildren2': {
        const { zxid, result } = await this.read(id, { type: 'GetChildren', path: request.path }, request.watch ? 'children' : undefined);
        if (result.type !== 'Children') return this.error(errOf(result), zxid);
        const children = [...result.children];
        return this.ok(zxid, request.type === 'GetChildren' ? { type: 'GetChildren', children } : { type: 'GetChildren2', children, stat: wireStat(result.stat) });
      }
      case 'GetACL': {
        const { zxid, result } = await this.read(id, { type: 'GetACL', path: request.path });
        if (result.type !== 'ACL') return this.error(errOf(result), zxid);
        return this.ok(zxid, { type: 'GetACL', acl: result.acl.map((a) => ({ perms: a.perms, id: { scheme: a.id.scheme, id: a.id.id } })), stat: wireStat(result.stat) });
      }
      case 'GetAllChildrenNumber': {
        const { zxid, result } = await this.read(id, { type: 'GetAllChildrenNumber', path: request.path });
        if (result.type !== 'Count') return this.error(errOf(result), zxid);
        return this.ok(zxid, { type: 'GetAllChildrenNumber', totalNumber: result.count });
      }
      case 'GetEphemerals': {
        const { zxid, result } = await this.read(id, { type: 'GetEphemerals', sessionId: id, prefix: request.prefixPath });
        if (result.type !== 'Paths') return this.error(errOf(result), zxid);
        return this.ok(zxid, { type: 'GetEphemerals', ephemerals: [...result.paths] });
      }
      case 'MultiRead': {
        const results: MultiResult[] = [];
        let zxid = this.zxid;
        for (const op of request.ops) {
          const r = await this.read(id, { type: op.type, path: op.path }, op.watch ? (op.type === 'GetData' ? 'data' : 'children') : undefined);
          zxid = Math.max(zxid, r.zxid);
          if (r.result.type === 'Data') results.push({ type: 'GetData', data: r.result.data, stat: wireStat(r.result.stat) });
          else if (r.result.type === 'Children') results.push({ type: 'GetChildren', children: [...r.result.children] });
          else results.push({ type: 'Error', err: errOf(r.result) });
        }
        return this.ok(zxid, { type: 'Multi', results });
      }
      case 'Sync': {
        const r = await this.call({ type: 'ZkSync', sessionId: id });
        if (r.type !== 'ZkSynced') throw new Failed(`unexpected ${r.type}`);
        return this.ok(r.zxid, { type: 'Sync', path: request.path });
      }
      case 'CloseSession': {
        const st = this.sessions.get(id);
        if (st !== undefined) st.closing = true;
        const r = await this.call({ type: 'ZkClose', sessionId: id });
        this.sessions.delete(id);
        return { ...this.ok(r.type === 'ZkClosed' ? r.zxid : this.zxid), closeAfter: true };
      }
      case 'Auth':
        return this.auth(id, request.scheme, request.auth);
      case 'Sasl':
        return this.sasl(id, request.token);
      case 'WhoAmI': {
        const ids = [{ authScheme: 'ip', user: conn.remoteAddress }, ...(this.sessions.get(id)?.auth ?? []).map((i) => ({ authScheme: i.scheme, user: userOf(i) }))];
        return this.ok(this.zxid, { type: 'WhoAmI', clientInfo: ids });
      }
      case 'SetWatches':
      case 'SetWatches2':
        await this.setWatches(id, request.relativeZxid, request, conn);
        return this.ok(this.zxid);
      case 'Reconfig':
        // ZooKeeper with reconfigEnabled=false (its default): refused before anything else.
        return this.error(Err.RECONFIGDISABLED);
      case 'AddWatch': {
        const mode = persistentModeOf.get(request.mode);
        if (mode === undefined) return this.error(Err.MARSHALLINGERROR);
        const r = await this.addWatch(id, request.path, mode);
        if (!r.added) return this.error(Err.QUOTAEXCEEDED, r.zxid);
        return this.ok(r.zxid, { type: 'AddWatch' });
      }
      case 'CheckWatches':
      case 'RemoveWatches': {
        const watcherType = watcherTypeOf.get(request.watcherType);
        if (watcherType === undefined) return this.error(Err.MARSHALLINGERROR);
        const r = await this.call({ type: request.type === 'CheckWatches' ? 'ZkCheckWatches' : 'ZkRemoveWatches', sessionId: id, path: request.path, watcherType });
        if (r.type !== 'ZkWatchesMatched') throw new Failed(`unexpected ${r.type}`);
        return r.matched ? this.ok(r.zxid) : this.error(Err.NOWATCHER, r.zxid);
      }
      default:
        return this.error(Err.UNIMPLEMENTED);
    }
  }

  private auth(id: number, scheme: string, data: Uint8Array | null): BackendReply {
    const st = this.sessions.get(id);
    if (st === undefined) return this.error(Err.SESSIONEXPIRED);
    if (scheme === 'digest' && data !== null) {
      const d = digestId(Buffer.from(data).toString('utf8'));
      if (d !== undefined) {
        if (!st.auth.some((i) => i.scheme === 'digest' && i.id === d)) {
          if (st.auth.length >= authIdsPerSessionMax) return { ...this.error(Err.AUTHFAILED), closeAfter: true };
          st.auth.push({ scheme: 'digest', id: d });
        }
        return this.ok(this.zxid);
      }
    }
    // ZooKeeper answers an unknown scheme or bad credentials with AUTHFAILED and ends the connection.
    return { ...this.error(Err.AUTHFAILED), closeAfter: true };
  }

  /**
   * One step of the connection's SASL exchange (sasl.ts), answered as ZooKeeper's processSasl does: ReplyHeader zxid
   * 0; a failure is AUTHFAILED with a null token and the connection closes (the session lives on). Without a JAAS
   * `Server` section ZooKeeper's connection has no SASL server: it logs that and answers OK with a null token.
   */
  private sasl(id: number, token: Uint8Array | null): BackendReply {
    const st = this.sessions.get(id);
    if (st === undefined) return this.error(Err.SESSIONEXPIRED);
    const nullToken: ZkResponse = { type: 'Sasl', token: null };
    const users = this.opts.saslUsers;
    if (users === undefined) return { zxid: 0n, err: Err.OK, response: nullToken };
    st.sasl ??= new DigestMd5Server(users);
    try {
      const out = st.sasl.evaluate(token ?? new Uint8Array(0));
      const user = st.sasl.authorizationId;
      if (user !== undefined && !st.auth.some((i) => i.scheme === 'sasl' && i.id === user)) {
        if (st.auth.length >= authIdsPerSessionMax) throw new SaslFailure(`more than ${authIdsPerSessionMax} auth ids`);
        st.auth.push({ scheme: 'sasl', id: user });
      }
      return { zxid: 0n, err: Err.OK, response: { type: 'Sasl', token: out } };
    } catch (e) {
      if (!(e instanceof SaslFailure)) throw e;
      return { zxid: 0n, err: Err.AUTHFAILED, response: nullToken, bodyOnError: true, closeAfter: true };
    }
  }

  /**
   * Re-registers watches after a reconnect. A change the client missed (newer than `relativeZxid`) fires at once,
   * as ZooKeeper does: data watch → NodeDeleted/NodeDataChanged, exists watch → NodeCreated, child watch →
   * NodeDeleted/NodeChildrenChanged; otherwise the watch is set on this node. Persistent and recursive watches
   * (setWatches2) are set again unconditionally, as ZooKeeper does (what they missed is not replayed).
   */
  private async setWatches(
    id: number,
    relativeZxid: bigint,
    w: {
      readonly dataWatches: readonly string[];
      readonly existWatches: readonly string[];
      readonly childWatches: readonly string[];
      readonly persistentWatches?: readonly string[];
      readonly persistentRecursiveWatches?: readonly string[];
    },
    conn: ZkConnection,
  ): Promise<void> {
    const rel = safeNumberOfLong(relativeZxid) ?? Number.MAX_SAFE_INTEGER;
    const persistent = w.persistentWatches ?? [];
    const recursive = w.persistentRecursiveWatches ?? [];
    if (w.dataWatches.length + w.existWatches.length + w.childWatches.length + persistent.length + recursive.length > setWatchesPathsMax) return;
    const fire = (type: number, path: string, zxid: number) => conn.notify({ type, path }, BigInt(zxid));
    for (const path of w.dataWatches) {
      const { zxid, result } = await this.read(id, { type: 'Exists', path });
      if (result.type !== 'Stat') fire(EventType.NodeDeleted, path, zxid);
      else if (result.stat.mzxid > rel) fire(EventType.NodeDataChanged, path, zxid);
      else await this.read(id, { type: 'GetData', path }, 'data');
    }
    for (const path of w.existWatches) {
      const { zxid, result } = await this.read(id, { type: 'Exists', path }, 'exists');
      if (result.type === 'Stat') {
        if (result.stat.czxid > rel) fire(EventType.NodeCreated, path, zxid);
        else if (result.stat.mzxid > rel) fire(EventType.NodeDataChanged, path, zxid);
      }
    }
    for (const path of w.childWatches) {
      const { zxid, result } = await this.read(id, { type: 'Exists', path });
      if (result.type !== 'Stat') fire(EventType.NodeDeleted, path, zxid);
      else if (result.stat.pzxid > rel) fire(EventType.NodeChildrenChanged, path, zxid);
      else await this.read(id, { type: 'GetChildren', path }, 'children');
    }
    // A watch the session or node has no room for is left out, as one-shot watches beyond the node's bound are.
    for (const path of persistent) await this.addWatch(id, path, 'persistent');
    for (const path of recursive) await this.addWatch(id, path, 'persistentRecursive');
  }
}

/** The tree's Stat on the wire (times are whole milliseconds there). */
function wireStat(s: Stat): WireStat {
  return toWireStat({ ...s, ctime: Math.floor(s.ctime), mtime: Math.floor(s.mtime) });
}

function errOf(r: ReadResult): number {
  return r.type === 'Error' ? r.err : Err.SYSTEMERROR;
}

function acls(acl: readonly ACL[]): { perms: number; id: Id }[] {
  return acl.map((a) => ({ perms: a.perms, id: { scheme: a.id.scheme, id: a.id.id } }));
}

/** A client's write op as the tree's request, or an error code for one it cannot be. */
function toWriteOp(r: MultiWriteOp | Extract<ZkRequest, { type: 'SetACL' }>): WriteOpRequest | number {
  switch (r.type) {
    case 'Create':
    case 'Create2':
    case 'CreateContainer':
    case 'CreateTTL': {
      let mode = r.flags;
      if (r.type === 'CreateContainer') mode = CreateMode.CONTAINER;
      if (r.type === 'CreateTTL') {
        if (mode !== CreateMode.PERSISTENT_WITH_TTL && mode !== CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL) return Err.BADARGUMENTS;
        const ttl = safeNumberOfLong(r.ttl);
        if (ttl === undefined || ttl <= 0) return Err.BADARGUMENTS;
        return { type: 'Create', path: r.path, data: r.data, acl: acls(r.acl), mode, ttlMs: ttl };
      }
      if (r.type !== 'CreateContainer' && (mode === CreateMode.PERSISTENT_WITH_TTL || mode === CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL || mode === CreateMode.CONTAINER)) return Err.BADARGUMENTS;
      if (mode < 0 || mode > 6) return Err.BADARGUMENTS;
      return { type: 'Create', path: r.path, data: r.data, acl: acls(r.acl), mode };
    }
    case 'Delete':
      return { type: 'Delete', path: r.path, version: r.version };
    case 'SetData':
      return { type: 'SetData', path: r.path, data: r.data, version: r.version };
    case 'SetACL':
      return { type: 'SetACL', path: r.path, acl: acls(r.acl), version: r.version };
    case 'Check':
      return { type: 'Check', path: r.path, version: r.version };
  }
}

/** The reply body of a single write: create → Create{path}; create2/container/TTL → Create2{path, stat}. */
function singleResponse(reqType: string, r: OpResult): ZkResponse | undefined {
  switch (r.type) {
    case 'Create':
      return reqType === 'Create' ? { type: 'Create', path: r.path } : { type: 'Create2', path: r.path, stat: wireStat(r.stat) };
    case 'SetData':
      return { type: 'SetData', stat: wireStat(r.stat) };
    case 'SetACL':
      return { type: 'SetACL', stat: wireStat(r.stat) };
    default:
      return undefined;
  }
}

function multiResult(reqType: string, r: OpResult): MultiResult {
  switch (r.type) {
    case 'Create':
      return reqType === 'Create' ? { type: 'Create', path: r.path } : { type: 'Create2', path: r.path, stat: wireStat(r.stat) };
    case 'Delete':
      return { type: 'Delete' };
    case 'SetData':
      return { type: 'SetData', stat: wireStat(r.stat) };
    case 'Check':
      return { type: 'Check' };
    case 'Error':
      return { type: 'Error', err: r.err };
    case 'SetACL':
      return { type: 'Error', err: Err.UNIMPLEMENTED };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref?.());
}

/** Bytes of the session secret a backend proposes. */
export const sessionSecretBytes = 32;
