/**
 * The `<node>/zookeeper` actor: the node's ZooKeeper service (messages: src/protocol/zookeeper.ts).
 *
 * - Writes: `ZkWrite` → `ClientWrite{txn: Request}` to `<node>/broadcast` (forwarded to the leader, proposed,
 *   logged, committed); the request names this server and a request id as its origin, and is answered when
 *   `<node>/storage` publishes the applied txn with that origin (as the RESP front end's keyspace txns). Every
 *   replica validates the request at apply time, so the answer is the committed result. A leader change does not
 *   fail them: they are held and sent again once the new role's starting history is applied (`State.holding`).
 * - Reads: served by the local storage (sequential consistency); `ZkSync` first waits until this node has applied
 *   everything the leader had committed when the sync passed through it.
 * - Watches: one-shot data/exists/children watches and persistent (recursive) ones per session, in a
 *   `WatchTable` (src/core/watches: ZooKeeper's trigger matrix), fired from the applied changes as
 *   `WatchTriggered` events. A session's watches on this node go when it closes or expires, or when its
 *   connection to this node ends (`ZkDisconnected`; the client re-registers them where it reconnects).
 * - Sessions: requests touch their session; learners report touches to the leader every tick; the leader tracks
 *   every session (ZooKeeper's bucketed expiry, src/core/sessions) and closes expired ones.
 */
import { defineActor, type Ctx, type ReplyToken } from '../src/kernel/actor.js';
import { assertNever } from '../src/core/never.js';
import { address } from '../src/protocol/envelope.js';
import type { BroadcastClientReply } from '../src/protocol/broadcast.js';
import type { StorageReply } from '../src/protocol/storage.js';
import type { Applied, Change, ReadResult, SessionId, Txn, WriteRequest, Zxid } from '../src/protocol/txn.js';
import { Err } from '../src/protocol/txn.js';
import { leaderQueueFullReason } from '../src/core/zab/index.js';
import type { RoleChanged, SessionTouches, WatchKind, ZkReply, ZkRequestMsg, ZkWatchEvent } from '../src/protocol/zookeeper.js';
import { SessionIds, SessionTracker } from '../src/core/sessions/index.js';
import { WatchTable, type WatchEvent } from '../src/core/watches/index.js';

export interface ZookeeperArgs {
  readonly myId: number;
  /** Server id → node name. */
  readonly members: Readonly<Record<number, string>>;
  readonly tickMs?: number;
  /** A request not answered within this is failed (the client may retry). */
  readonly requestTimeoutMs?: number;
  /** Session timeouts a client may negotiate (ZooKeeper: [2, 20] x tickTime); a ZkConnect's is clamped into them. */
  readonly sessionTimeoutMinMs?: number;
  readonly sessionTimeoutMaxMs?: number;
  readonly pendingMax?: number;
  readonly watchesMax?: number;
  /** Persistent and persistent-recursive watches one session may hold on this node. */
  readonly persistentWatchesPerSessionMax?: number;
  /** How often the leader reaps empty containers and expired TTL nodes (ZooKeeper: znode.container.checkIntervalMs). */
  readonly reapIntervalMs?: number;
}

/** ZooKeeper's default container check interval. */
export const reapIntervalMsDefault = 60_000;
/** Containers/TTL nodes deleted per reaper run at most (the rest wait for the next run). */
export const reapBatchMax = 1_000;

/** Requests waiting for their txn to apply (or their read/sync), at most. */
export const pendingRequestsMaxDefault = 100_000;
/** Watches registered on one node, at most. */
export const watchesMaxDefault = 1_000_000;
/** Persistent and persistent-recursive watches (addWatch) one session may hold on one node, at most. */
export const persistentWatchesPerSessionMaxDefault = 10_000;
/** (session, path) entries a `ZkWatchesQuery` lists, at most. */
export const watchesQueryEntriesMax = 100_000;
const tickMsDefault = 50;
const requestTimeoutMsDefault = 10_000;
/** Session ids per touch report to the leader. */
export const touchReportMax = 10_000;
/** Front ends subscribed for notifications (`ZkPoll`), at most. */
export const subscribersMax = 10_000;
/** Notifications queued for one subscriber, at most (beyond: dropped and counted). */
export const subscriberEventsQueuedMax = 100_000;
/** A held `ZkPoll` is answered (empty) after this, well inside the poller's ask timeout. */
export const pollHoldMs = 5_000;
/** A subscriber not heard from for this long is forgotten. */
export const subscriberIdleMs = 120_000;

interface Subscriber {
  queue: ZkWatchEvent[];
  token: ReplyToken | null;
  heldSinceMs: number;
  lastSeenMs: number;
  dropped: number;
}

type Msg =
  | ZkRequestMsg
  | RoleChanged
  | SessionTouches
  | BroadcastClientReply
  | Extract<StorageReply, { type: 'Applied' }>
  /** To self: the local storage answered (or did not answer) a client's read. */
  | {
      readonly type: 'ReadAnswered';
      readonly token: ReplyToken | null;
      readonly sub: string | undefined;
      readonly answer:
        | { readonly zxid: Zxid; readonly result: ReadResult; readonly watch: WatchKind | undefined; readonly path: string | null; readonly sessionId: SessionId }
        | { readonly failed: string };
    }
  | { readonly type: 'SessionTable'; readonly sessions: readonly (readonly [SessionId, number])[] }
  /** To self: the local storage's apply point when this node began serving (restored state included). */
  | { readonly type: 'StorageAt'; readonly zxid: Zxid }
  | { readonly type: 'ZkTick' }
  | { readonly type: 'ReapTick' }
  | { readonly type: 'ReapCandidates'; readonly paths: readonly string[] };

interface Pending {
  readonly token: ReplyToken | null;
  readonly sub?: string;
  readonly kind: 'write' | 'connect' | 'close';
  readonly deadlineMs: number;
  /** The txn as first sent (sent again, same origin, after a leader change: see `holding`). */
  readonly txn: Txn;
}

interface PendingSync {
  readonly token: ReplyToken | null;
  readonly sub?: string;
  readonly deadlineMs: number;
  /** False while held (its marker failed or was never sent): sent when the node serves again. */
  sent: boolean;
}

interface State {
  readonly args: ZookeeperArgs;
  readonly tickMs: number;
  readonly requestTimeoutMs: number;
  readonly pendingMax: number;
  readonly ids: SessionIds;
  /** Request id (the txn's origin and the broadcast's reqId) → waiting write. */
  readonly writes: Map<number, Pending>;
  /** Syncs: request id → reply token; then waiting for the apply point. */
  readonly syncs: Map<number, PendingSync>;
  syncWaiters: { zxid: Zxid; token: ReplyToken | null; sub?: string }[];
  /** Front ends receiving notifications, and which one each session's go to. */
  readonly subs: Map<string, Subscriber>;
  readonly sessionSub: Map<SessionId, string>;
  readonly watches: WatchTable;
  appliedZxid: Zxid;
  /**
   * The highest zxid this node has applied since it started. Below it after a SNAP older than what it had applied
   * (the leader's lagging snapshot, bridged by entries), the node re-applies history it already showed: it fires
   * no watch again for those txns and answers no read from the older state (clients retry; a session never sees
   * state go back).
   */
  appliedHighZxid: Zxid;
  /** The last request id; ids start from the clock, so a restarted node never takes an old result for a new write. */
  nextReq: number;
  role: RoleChanged['role'];
  epoch: number;
  /**
   * Clients do not notice a leader change (issue 14): from the loss of the leader until this node has applied the new
   * role's starting history (`resumeAtZxid`, RoleChanged.zxid), client writes and syncs are held, not failed. Then
   * every write still waiting is sent again under the same origin: a write the old leader committed came back
   * applied by then (and was answered); one not applied by then never committed and never will (ZAB truncates it;
   * the leader drops what a follower's previous connection had queued), so it is applied once. Held requests that
   * reach their deadline fail as before.
   */
  holding: boolean;
  resumeAtZxid: Zxid | null;
  readonly tracker: SessionTracker;
  touched: Set<SessionId>;
  leaderNode: string | null;
}


function answer(ctx: Ctx<Msg>, token: ReplyToken | null, msg: ZkReply, s?: State, sub?: string): void {
  if (token === null) return;
  const q = sub !== undefined && s !== undefined ? s.subs.get(sub) : undefined;
  if (q !== undefined && q.queue.length > 0 && msg.type !== 'ZkEvents' && msg.type !== 'ZkStatusReply') {
    ctx.respond(token, { ...msg, events: q.queue.splice(0) } as ZkReply);
  } else ctx.respond(token, msg);
}

function subscriber(s: State, name: string, nowMs: number): Subscriber | undefined {
  let q = s.subs.get(name);
  if (q === undefined) {
    if (s.subs.size >= subscribersMax) return undefined;
    s.subs.set(name, (q = { queue: [], token: null, heldSinceMs: 0, lastSeenMs: nowMs, dropped: 0 }));
  }
  q.lastSeenMs = nowMs;
  return q;
}

function bindSession(s: State, sessionId: SessionId, sub: string | undefined, nowMs: number): void {
  if (sub === undefined) return;
  if (subscriber(s, sub, nowMs) !== undefined) s.sessionSub.set(sessionId, sub);
}

/** Queues a notification for the session's subscriber and answers its held poll, if any. */
function push(s: State, ctx: Ctx<Msg>, ev: ZkWatchEvent): void {
  const name = s.sessionSub.get(ev.sessionId);
  const q = name === undefined ? undefined : s.subs.get(name);
  if (q === undefined) return;
  if (q.queue.length >= subscriberEventsQueuedMax) {
    q.dropped++;
    return;
  }
  q.queue.push(ev);
  if (q.token !== null) {
    const t = q.token;
    q.token = null;
    ctx.respond(t, { type: 'ZkEvents', events: q.queue.splice(0) } satisfies ZkReply);
  }
}

function submit(
  s: State,
  ctx: Ctx<Msg>,
  token: ReplyToken | null,
  sessionId: SessionId,
  request: WriteRequest,
  kind: Pending['kind'],
  auth?: { readonly ids: readonly { scheme: string; id: string }[]; readonly superUser?: boolean },
  sub?: string,
  fromClient = false,
): void {
  if (s.writes.size >= s.pendingMax) {
    answer(ctx, token, { type: 'ZkFailed', reason: 'too many pending requests' }, s, sub);
    return;
  }
  const reqId = ++s.nextReq;
  // A client's request names this server and its request id: the applied result comes back to every node and this
  // one answers it (a session owned by another server fails SESSIONMOVED). An internal one is answered to no one.
  const origin = fromClient ? { origin: { server: s.args.myId, reqId } } : {};
  const txn: Txn = { sessionId, cxid: 0, zxid: 0, timeMs: ctx.now(), body: { type: 'Request', request, ...(auth ? { auth } : {}), ...origin } };
  if (fromClient) s.writes.set(reqId, { token, kind, deadlineMs: ctx.now() + s.requestTimeoutMs, txn, ...(sub !== undefined ? { sub } : {}) });
  if (fromClient && s.holding) return; // sent when the node serves again
  ctx.send(address(ctx.node, 'broadcast'), { type: 'ClientWrite', reqId, txn });
}

/** Notify the sessions a change triggers (one event each; their one-shot watches it matched are consumed). */
function fire(s: State, ctx: Ctx<Msg>, zxid: Zxid, path: string, event: WatchEvent, acl: Change['acl']): void {
  for (const sessionId of s.watches.trigger(path, event)) {
    ctx.emit({ type: 'WatchTriggered', sessionId, path, event, zxid });
    // a node not everyone may READ: the front end tells only sessions allowed to (it knows their auth)
    push(s, ctx, acl === undefined ? { sessionId, path, event, zxid } : { sessionId, path, event, zxid, acl });
  }
}

function onApplied(s: State, ctx: Ctx<Msg>, applied: readonly Applied[], upTo: Zxid | undefined): void {
  for (const a of applied) {
    s.appliedZxid = a.zxid;
    if (a.zxid > s.appliedHighZxid) {
      s.appliedHighZxid = a.zxid;
      for (const c of a.changes) fire(s, ctx, a.zxid, c.path, c.kind, c.acl);
    }
    const r = a.result;
    if (r.type === 'CreateSession') s.tracker.add(r.sessionId, r.timeoutMs, ctx.now());
    else if (r.type === 'CloseSession') {
      s.tracker.remove(a.sessionId);
      s.watches.dropSession(a.sessionId);
      push(s, ctx, { sessionId: a.sessionId, path: '', event: 'SessionClosed', zxid: a.zxid });
    }
    const mine = a.origin !== undefined && a.origin.server === s.args.myId ? a.origin.reqId : undefined;
    const p = mine === undefined ? undefined : s.writes.get(mine);
    if (p === undefined) {
      if (r.type === 'CloseSession') s.sessionSub.delete(a.sessionId);
      continue;
    }
    s.writes.delete(mine!);
    if (p.kind === 'connect' && r.type === 'CreateSession') {
      ctx.emit({ type: 'SessionCreated', sessionId: r.sessionId, timeoutMs: r.timeoutMs });
      bindSession(s, r.sessionId, p.sub, ctx.now());
      answer(ctx, p.token, { type: 'ZkConnected', sessionId: r.sessionId, timeoutMs: r.timeoutMs, zxid: a.zxid }, s, p.sub);
    } else if (p.kind === 'close') answer(ctx, p.token, { type: 'ZkClosed', zxid: a.zxid }, s, p.sub);
    else answer(ctx, p.token, { type: 'ZkWriteDone', zxid: a.zxid, result: r }, s, p.sub);
    if (r.type === 'CloseSession') s.sessionSub.delete(a.sessionId);
  }
  // the Redis keyspace's txns move the apply point too: a sync that waits for one must not wait for a later znode write
  if (upTo !== undefined && upTo > s.appliedZxid) s.appliedZxid = upTo;
  maybeResume(s, ctx);
  if (s.syncWaiters.length > 0) {
    const still: State['syncWaiters'] = [];
    for (const w of s.syncWaiters) {
      if (w.zxid <= s.appliedZxid) answer(ctx, w.token, { type: 'ZkSynced', zxid: s.appliedZxid }, s, w.sub);
      else still.push(w);
    }
    s.syncWaiters = still;
  }
}

/** Once the new role's starting history is applied: send every held write again (same origin) and every held sync. */
function maybeResume(s: State, ctx: Ctx<Msg>): void {
  if (!s.holding || s.resumeAtZxid === null || s.appliedZxid < s.resumeAtZxid) return;
  s.holding = false;
  s.resumeAtZxid = null;
  const broadcast = address(ctx.node, 'broadcast');
  for (const [reqId, p] of s.writes) ctx.send(broadcast, { type: 'ClientWrite', reqId, txn: p.txn });
  for (const [reqId, w] of s.syncs) {
    if (w.sent) continue;
    w.sent = true;
    ctx.send(broadcast, { type: 'ClientSync', reqId });
  }
}

function touch(s: State, sessionId: SessionId, nowMs: number): void {
  if (s.role === 'leading') s.tracker.touch(sessionId, nowMs);
  else if (s.touched.size < touchReportMax) s.touched.add(sessionId);
}

function tick(s: State, ctx: Ctx<Msg>): void {
  const now = ctx.now();
  // Fail what waited too long (a lost leader, a write that was never proposed).
  for (const [k, p] of s.writes) {
    if (p.deadlineMs <= now) {
      s.writes.delete(k);
      answer(ctx, p.token, { type: 'ZkFailed', reason: 'request timed out' }, s, p.sub);
    }
  }
  for (const [k, w] of s.syncs) {
    if (w.deadlineMs <= now) {
      s.syncs.delete(k);
      answer(ctx, w.token, { type: 'ZkFailed', reason: 'sync timed out' }, s, w.sub);
    }
  }
  for (const [name, q] of s.subs) {
    if (q.token !== null && now - q.heldSinceMs >= pollHoldMs) {
      const t = q.token;
      q.token = null;
      ctx.respond(t, { type: 'ZkEvents', events: q.queue.splice(0) } satisfies ZkReply);
    } else if (q.token === null && now - q.lastSeenMs >= subscriberIdleMs) {
      s.subs.delete(name);
      for (const [id, n] of s.sessionSub) if (n === name) s.sessionSub.delete(id);
    }
  }
  if (s.role === 'leading') {
    for (const id of s.tracker.expired(now)) {
      ctx.emit({ type: 'SessionExpired', sessionId: id });
      submit(s, ctx, null, id, { type: 'CloseSession' }, 'close');
    }
  } else if (s.leaderNode !== null && s.touched.size > 0) {
    ctx.send(address(s.leaderNode, 'zookeeper'), { type: 'SessionTouches', ids: [...s.touched] });
    s.touched = new Set();
  }
}

export const zookeeper = defineActor<State, Msg, ZookeeperArgs>({
  init(ctx, args) {
    const tickMs = args.tickMs ?? tickMsDefault;
    ctx.send(address(ctx.node, 'storage'), { type: 'Subscribe', to: ctx.self });
    ctx.schedule('tick', tickMs, { type: 'ZkTick' });
    ctx.schedule('reap', args.reapIntervalMs ?? reapIntervalMsDefault, { type: 'ReapTick' });
    return {
      args,
      tickMs,
      requestTimeoutMs: args.requestTimeoutMs ?? requestTimeoutMsDefault,
      pendingMax: args.pendingMax ?? pendingRequestsMaxDefault,
      ids: new SessionIds(args.myId, ctx.now()),
      writes: new Map(),
      syncs: new Map(),
      syncWaiters: [],
      subs: new Map(),
      sessionSub: new Map(),
      watches: new WatchTable({
        registrationsMax: args.watchesMax ?? watchesMaxDefault,
        persistentPerSessionMax: args.persistentWatchesPerSessionMax ?? persistentWatchesPerSessionMaxDefault,
      }),
      appliedZxid: 0,
      appliedHighZxid: 0,
      nextReq: Math.floor(ctx.now()) * 1000,
      role: 'looking',
      epoch: -1,
      holding: true,
      resumeAtZxid: null,
      tracker: new SessionTracker(tickMs, ctx.now()),
      touched: new Set(),
      leaderNode: null,
    };
  },
  receive(s, m, ctx) {
    switch (m.type) {
      case 'ZkConnect': {
        const sessionId = s.ids.take();
        const timeoutMs = Math.min(s.args.sessionTimeoutMaxMs ?? Infinity, Math.max(s.args.sessionTimeoutMinMs ?? 0, m.timeoutMs));
        submit(s, ctx, ctx.replyToken(), sessionId, { type: 'CreateSession', sessionId, timeoutMs }, 'connect', undefined, m.subscriber, true);
        return s;
      }
      case 'ZkWrite':
        touch(s, m.sessionId, ctx.now());
        bindSession(s, m.sessionId, m.subscriber, ctx.now());
        submit(s, ctx, ctx.replyToken(), m.sessionId, m.request, 'write', m.auth, m.subscriber, true);
        return s;
      case 'ZkClose':
        submit(s, ctx, ctx.replyToken(), m.sessionId, { type: 'CloseSession' }, 'close', undefined, m.subscriber, true);
        return s;
      case 'ZkTouch':
        touch(s, m.sessionId, ctx.now());
        bindSession(s, m.sessionId, m.subscriber, ctx.now());
        return s;
      case 'ZkPoll': {
        const q = subscriber(s, m.subscriber, ctx.now());
        const token = ctx.replyToken();
        if (q === undefined) {
          answer(ctx, token, { type: 'ZkFailed', reason: `more than ${subscribersMax} subscribers` });
        } else if (q.queue.length > 0 || token === null) {
          answer(ctx, token, { type: 'ZkEvents', events: q.queue.splice(0) });
        } else {
          // A newer poll replaces a held one (the poller gave up on it); answer the old one empty.
          if (q.token !== null) ctx.respond(q.token, { type: 'ZkEvents', events: [] } satisfies ZkReply);
          q.token = token;
          q.heldSinceMs = ctx.now();
        }
        return s;
      }
      case 'ZkRead': {
        touch(s, m.sessionId, ctx.now());
        bindSession(s, m.sessionId, m.subscriber, ctx.now());
        const sub = m.subscriber;
        const token = ctx.replyToken();
        const watch = m.watch;
        const path = 'path' in m.request ? m.request.path : null;
        const sessionId = m.sessionId;
        ctx
          .ask<Extract<StorageReply, { type: 'ReadDone' }>>(address(ctx.node, 'storage'), { type: 'Read', request: m.request, auth: m.auth }, s.requestTimeoutMs)
          .then(
            (r) => ctx.send(ctx.self, { type: 'ReadAnswered', token, sub, answer: { zxid: r.zxid, result: r.result, watch, path, sessionId } }),
            () => ctx.send(ctx.self, { type: 'ReadAnswered', token, sub, answer: { failed: 'storage did not answer' } }),
          );
        return s;
      }
      case 'ReadAnswered': {
        if ('failed' in m.answer || m.answer.zxid < s.appliedHighZxid) {
          answer(ctx, m.token, { type: 'ZkFailed', reason: 'failed' in m.answer ? m.answer.failed : 'catching up after a resync' }, s, m.sub);
          return s;
        }
        const x = { ...m.answer, token: m.token, sub: m.sub };
        // A watch is set when the read succeeded, or for exists when the node does not exist (spec).
        if (x.watch !== undefined && x.path !== null) {
          const ok = x.result.type !== 'Error' || (x.watch === 'exists' && x.result.err === Err.NONODE);
          if (ok) s.watches.add(x.path, x.sessionId, x.watch);
        }
        answer(ctx, x.token, { type: 'ZkReadDone', zxid: x.zxid, result: x.result }, s, x.sub);
        return s;
      }
      case 'ZkSync': {
        const reqId = ++s.nextReq;
        s.syncs.set(reqId, { token: ctx.replyToken(), deadlineMs: ctx.now() + s.requestTimeoutMs, sent: !s.holding, ...(m.subscriber !== undefined ? { sub: m.subscriber } : {}) });
        if (!s.holding) ctx.send(address(ctx.node, 'broadcast'), { type: 'ClientSync', reqId });
        return s;
      }
      case 'ClientSyncDone': {
        const w = s.syncs.get(m.reqId);
        if (w === undefined) return s;
        s.syncs.delete(m.reqId);
        if (m.zxid <= s.appliedZxid) answer(ctx, w.token, { type: 'ZkSynced', zxid: s.appliedZxid }, s, w.sub);
        else s.syncWaiters.push({ zxid: m.zxid, token: w.token, ...(w.sub !== undefined ? { sub: w.sub } : {}) });
        return s;
      }
      case 'ClientSyncFailed': {
        const w = s.syncs.get(m.reqId);
        if (w === undefined) return s;
        if (s.holding) {
          w.sent = false; // sent again when the node serves
          return s;
        }
        s.syncs.delete(m.reqId);
        answer(ctx, w.token, { type: 'ZkFailed', reason: m.reason }, s, w.sub);
        return s;
      }
      case 'ClientWriteFailed': {
        const p = s.writes.get(m.reqId);
        // held across a leader change (sent again when the node serves), unless the leader refused it for load
        if (p === undefined || (s.holding && m.reason !== leaderQueueFullReason)) return s;
        s.writes.delete(m.reqId);
        answer(ctx, p.token, { type: 'ZkFailed', reason: m.reason }, s, p.sub);
        return s;
      }
      case 'Applied':
        onApplied(s, ctx, m.applied, m.upTo);
        return s;
      case 'RoleChanged': {
        const was = s.role;
        if (m.role === 'looking') {
          s.holding = true;
          s.resumeAtZxid = null;
        } else if (m.epoch !== s.epoch || was === 'looking') {
          s.holding = true;
          s.resumeAtZxid = m.zxid;
        }
        s.role = m.role;
        s.epoch = m.epoch;
        s.leaderNode = m.leaderNode;
        maybeResume(s, ctx);
        if (m.role !== 'looking' && was === 'looking') {
          // What the storage restored at start (or synced) may never come as an `Applied`: without it this node
          // would take its apply point for 0 and refuse every reconnecting client ("client has seen zxid ...").
          ctx
            .ask<Extract<StorageReply, { type: 'ReadDone' }>>(address(ctx.node, 'storage'), { type: 'Read', request: { type: 'Exists', path: '/' } }, s.requestTimeoutMs)
            .then(
              (r) => ctx.send(ctx.self, { type: 'StorageAt', zxid: r.zxid }),
              () => undefined,
            );
        }
        if (m.role === 'leading' && was !== 'leading') {
          // A new leader gives every known session a full timeout: at once for the sessions this node already tracks
          // (their deadlines date from when it applied their creation, so the next tick would expire live ones),
          // then for the storage's whole table.
          s.tracker.touchAll(ctx.now());
          ctx
            .ask<{ type: 'SessionTable'; sessions: [SessionId, number][] }>(address(ctx.node, 'storage'), { type: 'ListSessions' }, s.requestTimeoutMs)
            .then(
              (r) => ctx.send(ctx.self, { type: 'SessionTable', sessions: r.sessions }),
              () => undefined,
            );
        }
        return s;
      }
      case 'SessionTable':
        if (s.role === 'leading') s.tracker.reload(new Map(m.sessions), ctx.now());
        return s;
      case 'StorageAt':
        if (m.zxid > s.appliedZxid) s.appliedZxid = m.zxid;
        maybeResume(s, ctx);
        return s;
      case 'SessionTouches':
        if (s.role === 'leading') for (const id of m.ids) s.tracker.touch(id, ctx.now());
        return s;
      case 'ZkStatus':
        ctx.reply({
          type: 'ZkStatusReply',
          role: s.role,
          leaderNode: s.leaderNode,
          epoch: s.epoch,
          appliedZxid: s.appliedZxid,
          pending: s.writes.size,
          watches: s.watches.size,
          sessionsTracked: s.tracker.size,
        } satisfies ZkReply);
        return s;
      case 'ZkSessionExpiry':
        ctx.reply({
          type: 'ZkSessionExpiryReply',
          role: s.role,
          buckets: s.role === 'leading' ? s.tracker.expiryBuckets(m.bucketsMax) : [],
          tracked: s.role === 'leading' ? s.tracker.size : 0,
        } satisfies ZkReply);
        return s;
      case 'ZkAddWatch': {
        touch(s, m.sessionId, ctx.now());
        bindSession(s, m.sessionId, m.subscriber, ctx.now());
        const r = s.watches.add(m.path, m.sessionId, m.mode);
        const refused = r === 'tableFull' ? `more than ${s.args.watchesMax ?? watchesMaxDefault} watches on ${ctx.node}` : r === 'sessionFull' ? `more than ${s.args.persistentWatchesPerSessionMax ?? persistentWatchesPerSessionMaxDefault} persistent watches in the session` : undefined;
        const reply: ZkReply = refused === undefined ? { type: 'ZkWatchAdded', zxid: s.appliedZxid, added: true } : { type: 'ZkWatchAdded', zxid: s.appliedZxid, added: false, reason: refused };
        answer(ctx, ctx.replyToken(), reply, s, m.subscriber);
        return s;
      }
      case 'ZkCheckWatches':
      case 'ZkRemoveWatches': {
        touch(s, m.sessionId, ctx.now());
        bindSession(s, m.sessionId, m.subscriber, ctx.now());
        const matched = m.type === 'ZkCheckWatches' ? s.watches.has(m.path, m.sessionId, m.watcherType) : s.watches.remove(m.path, m.sessionId, m.watcherType);
        answer(ctx, ctx.replyToken(), { type: 'ZkWatchesMatched', zxid: s.appliedZxid, matched }, s, m.subscriber);
        return s;
      }
      case 'ZkDisconnected': {
        // Not when the session has since bound another front end on this node (it reconnected there).
        const bound = s.sessionSub.get(m.sessionId);
        if (bound === undefined || m.subscriber === undefined || bound === m.subscriber) s.watches.dropSession(m.sessionId);
        return s;
      }
      case 'ZkWatchesQuery': {
        const { watches, truncated } = s.watches.report(Math.max(0, Math.min(m.entriesMax, watchesQueryEntriesMax)));
        ctx.reply({ type: 'ZkWatchesReply', ...s.watches.summary(), watches, truncated } satisfies ZkReply);
        return s;
      }
      case 'ReapTick':
        ctx.schedule('reap', s.args.reapIntervalMs ?? reapIntervalMsDefault, { type: 'ReapTick' });
        if (s.role === 'leading') {
          ctx
            .ask<{ type: 'ReapableList'; paths: string[] }>(address(ctx.node, 'storage'), { type: 'ListReapable', nowMs: ctx.now(), max: reapBatchMax }, s.requestTimeoutMs)
            .then(
              (r) => ctx.send(ctx.self, { type: 'ReapCandidates', paths: r.paths }),
              () => undefined,
            );
        }
        return s;
      case 'ReapCandidates':
        // Internal requests (session 0): each fails quietly if the node is no longer reapable when it applies.
        if (s.role === 'leading') for (const path of m.paths) submit(s, ctx, null, 0, { type: 'DeleteContainer', path }, 'write');
        return s;
      case 'ZkTick':
        ctx.schedule('tick', s.tickMs, { type: 'ZkTick' });
        tick(s, ctx);
        return s;
      default:
        return assertNever(m);
    }
  },
});

