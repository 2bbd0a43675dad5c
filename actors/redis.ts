/**
 * The `<node>/redis` actor: the node's Redis keyspace service, asked by the RESP front end (messages:
 * src/protocol/keyspace.ts `RedisRequestMsg`).
 *
 * - Writes: `RedisWrite` → a `Keyspace` txn naming this server and a request id as its origin → `ClientWrite` to
 *   `<node>/broadcast` (forwarded to the leader, logged, committed) → answered when the local storage applies it
 *   (storage sends the keyspace's `Applied` here; results are matched by origin, never by another front end's field).
 * - Reads: linearizable by default: reads wait for the next sync marker through the leader (`ClientSync`; one marker
 *   serves every read that arrived before it was sent), then run on local state once storage's apply point has
 *   reached the marker's zxid (storage holds them until then). `local` reads (a READONLY connection) run on local state at once.
 * - A leader change fails what is in flight with `-TRYAGAIN` (the write may or may not have been applied; nothing
 *   here retries it).
 * - Active expiry: the leader asks storage for keys past their deadline every `expiryTickMs` (at most
 *   `expireKeysPerTickMax`) and proposes their deletion as one `RedisExpire` txn; followers never delete.
 * - Pub/sub (actors/redis-pubsub.ts): the node's subscription table, deliveries at apply, PUBLISH's receivers count.
 */
import { defineActor, assertNever, type Ctx, type ReplyToken } from '../src/kernel/actor.js';
import { address } from '../src/protocol/envelope.js';
import type { BroadcastClientReply } from '../src/protocol/broadcast.js';
import type { RedisAnswer, RedisRequestMsg, KeyspaceTxn, RedisPubsubMsg, RedisStatusReply } from '../src/protocol/keyspace.js';
import { PubsubTable } from './redis-pubsub.js';
import type { StorageMsg, StorageReply } from '../src/protocol/storage.js';
import type { Txn, Zxid } from '../src/protocol/txn.js';
import type { RoleChanged } from '../src/protocol/zookeeper.js';

export interface RedisActorArgs {
  readonly myId: number;
  /** Every member (id → node name), for PUBLISH's receiver counts (default: this node alone). */
  readonly members?: Readonly<Record<number, string>>;
  /** The voting members' ids (default: every member). */
  readonly voters?: readonly number[];
  readonly requestTimeoutMs?: number;
  readonly expiryTickMs?: number;
}

/** Requests (writes, reads, watches) waiting at once, at most; beyond, a client gets an error at once. */
export const redisPendingMax = 100_000;
/** Keys the leader's active expiry deletes per tick, at most. */
export const expireKeysPerTickMax = 200;
export const expiryTickMsDefault = 100;
const requestTimeoutMsDefault = 10_000;
/** The error a client gets when a leader change catches its request: retry it (a write's outcome is unknown). */
export const tryAgainText = 'TRYAGAIN leader changed or unavailable; the command may or may not have been applied';

type ReadReq = Extract<RedisRequestMsg, { type: 'RedisRead' | 'RedisWatch' }>;
interface Waiting {
  readonly token: ReplyToken | null;
  readonly deadlineMs: number;
}
interface WaitingRead {
  readonly token: ReplyToken | null;
  readonly req: ReadReq;
}

type Msg =
  | RedisRequestMsg
  | RedisPubsubMsg
  | RoleChanged
  | BroadcastClientReply
  | Extract<StorageReply, { type: 'Applied' }>
  | { readonly type: 'RedisTick' }
  | { readonly type: 'ExpiredKeys'; readonly keys: readonly { readonly db: number; readonly key: Uint8Array }[] };

interface State {
  readonly myId: number;
  readonly requestTimeoutMs: number;
  readonly expiryTickMs: number;
  /** Request id → waiting write (ids start from the clock: a restarted node does not reuse its old ones). */
  readonly writes: Map<number, Waiting>;
  nextReq: number;
  /** Reads for the next marker, and the marker in flight with its reads. */
  nextReads: WaitingRead[];
  marker: { reqId: number; reads: WaitingRead[]; deadlineMs: number } | null;
  role: RoleChanged['role'];
  epoch: number;
  expiring: boolean;
  readonly pubsub: PubsubTable;
  readonly members: Readonly<Record<number, string>>;
  readonly voters: readonly number[];
  /** Keys deleted as expired by the txns applied here (INFO's expired_keys). */
  expiredKeys: number;
  appliedZxid: number;
}

/** The keyspace's clock is whole milliseconds (deadlines are integers). */
const wholeMs = (ctx: Ctx<Msg>): number => Math.floor(ctx.now());
const answer = (ctx: Ctx<Msg>, token: ReplyToken | null, msg: RedisAnswer): void => {
  if (token !== null) ctx.respond(token, msg);
};
const errorReply = (text: string): RedisAnswer => ({ type: 'RedisAnswer', reply: { kind: 'Error', text } });
const pendingCount = (s: State): number => s.writes.size + s.nextReads.length + (s.marker?.reads.length ?? 0);

function submit(s: State, ctx: Ctx<Msg>, token: ReplyToken | null, txn: KeyspaceTxn): void {
  const reqId = ++s.nextReq;
  if (token !== null) s.writes.set(reqId, { token, deadlineMs: ctx.now() + s.requestTimeoutMs });
  const t: Txn = { sessionId: 0, cxid: 0, zxid: 0, timeMs: txn.timeMs, body: { type: 'Keyspace', txn, origin: { server: s.myId, reqId: token === null ? 0 : reqId } } };
  ctx.send(address(ctx.node, 'broadcast'), { type: 'ClientWrite', reqId, txn: t });
}

/** Run reads on local state once it has applied `atLeastZxid` (storage answers in order). */
function runReads(ctx: Ctx<Msg>, reads: readonly WaitingRead[], atLeastZxid: Zxid, timeoutMs: number): void {
  type Answer = Extract<StorageReply, { type: 'KeyspaceReadDone' | 'KeyspaceRevisions' | 'KeyspaceBusy' }>;
  const storage = address(ctx.node, 'storage');
  for (const r of reads) {
    const q = r.req;
    const nowMs = wholeMs(ctx);
    const msg: StorageMsg =
      q.type === 'RedisRead'
        ? { type: 'KeyspaceRead', db: q.db, argv: q.argv, nowMs, draw: ctx.random(), atLeastZxid }
        : { type: 'KeyspaceWatch', keys: q.keys.map((key) => ({ db: q.db, key })), nowMs, atLeastZxid };
    ctx.ask<Answer>(storage, msg, timeoutMs).then(
      (x) =>
        answer(
          ctx,
          r.token,
          x.type === 'KeyspaceReadDone' ? { type: 'RedisAnswer', reply: x.reply } : x.type === 'KeyspaceRevisions' ? { type: 'RedisRevisions', revisions: x.revisions } : errorReply(`${tryAgainText} (storage busy)`),
        ),
      (e: Error) => answer(ctx, r.token, errorReply(`${tryAgainText} (${e.message})`)),
    );
  }
}

/** Send the next sync marker when none is in flight and reads wait for one. */
function sendMarker(s: State, ctx: Ctx<Msg>): void {
  if (s.marker !== null || s.nextReads.length === 0) return;
  const reqId = ++s.nextReq;
  s.marker = { reqId, reads: s.nextReads, deadlineMs: ctx.now() + s.requestTimeoutMs };
  s.nextReads = [];
  ctx.send(address(ctx.node, 'broadcast'), { type: 'ClientSync', reqId });
}

function failAll(s: State, ctx: Ctx<Msg>): void {
  for (const w of s.writes.values()) answer(ctx, w.token, errorReply(tryAgainText));
  s.writes.clear();
  for (const r of [...s.nextReads, ...(s.marker?.reads ?? [])]) answer(ctx, r.token, errorReply(tryAgainText));
  s.nextReads = [];
  s.marker = null;
}

export const redis = defineActor<State, Msg, RedisActorArgs>({
  init(ctx, args) {
    ctx.send(address(ctx.node, 'storage'), { type: 'Subscribe', to: ctx.self, machine: 'keyspace' });
    const expiryTickMs = args.expiryTickMs ?? expiryTickMsDefault;
    ctx.schedule('tick', expiryTickMs, { type: 'RedisTick' });
    return {
      myId: args.myId,
      requestTimeoutMs: args.requestTimeoutMs ?? requestTimeoutMsDefault,
      expiryTickMs,
      writes: new Map(),
      nextReq: Math.floor(ctx.now()) * 1000,
      nextReads: [],
      marker: null,
      role: 'looking',
      epoch: -1,
      expiring: false,
      members: args.members ?? { [args.myId]: ctx.node },
      voters: args.voters ?? Object.keys(args.members ?? { [args.myId]: ctx.node }).map(Number),
      expiredKeys: 0,
      appliedZxid: 0,
      pubsub: new PubsubTable(args.myId, args.members ?? { [args.myId]: ctx.node }, Math.floor(ctx.now()) * 1000 + Math.floor(ctx.random() * 1000)),
    };
  },
  receive(s, m, ctx) {
    switch (m.type) {
      case 'RedisStatus': {
        const names = (ids: readonly number[]) => ids.map((id) => s.members[id] ?? String(id));
        ctx.reply({ type: 'RedisStatusReply', members: names(Object.keys(s.members).map(Number)), voters: names(s.voters), expiredKeys: s.expiredKeys, appliedZxid: s.appliedZxid } satisfies RedisStatusReply);
        return s;
      }
      case 'RedisWrite':
      case 'RedisRead':
      case 'RedisWatch': {
        const token = ctx.replyToken();
        if (pendingCount(s) >= redisPendingMax) {
          answer(ctx, token, errorReply(`TRYAGAIN more than ${redisPendingMax} requests pending on this node`));
          return s;
        }
        if (m.type === 'RedisWrite') {
          submit(s, ctx, token, { type: 'RedisCommands', db: m.db, timeMs: wholeMs(ctx), commands: m.commands, exec: m.exec, watched: m.watched });
          return s;
        }
        const r: WaitingRead = { token, req: m };
        if (m.local) runReads(ctx, [r], 0, s.requestTimeoutMs);
        else {
          s.nextReads.push(r);
          sendMarker(s, ctx);
        }
        return s;
      }
      case 'ClientSyncDone': {
        if (s.marker === null || s.marker.reqId !== m.reqId) return s;
        const reads = s.marker.reads;
        s.marker = null;
        runReads(ctx, reads, m.zxid, s.requestTimeoutMs);
        sendMarker(s, ctx);
        return s;
      }
      case 'ClientSyncFailed': {
        if (s.marker === null || s.marker.reqId !== m.reqId) return s;
        for (const r of s.marker.reads) answer(ctx, r.token, errorReply(tryAgainText));
        s.marker = null;
        sendMarker(s, ctx);
        return s;
      }
      case 'ClientWriteFailed': {
        const w = s.writes.get(m.reqId);
        s.writes.delete(m.reqId);
        if (w !== undefined) answer(ctx, w.token, errorReply(tryAgainText));
        return s;
      }
      case 'Applied': {
        for (const a of m.applied) {
          if (a.result.type !== 'Keyspace') continue;
          const counts = s.pubsub.applied(a.result.events);
          for (const e of a.result.events) if (!('published' in e) && e.event === 'expired') s.expiredKeys++;
          if (a.zxid > s.appliedZxid) s.appliedZxid = a.zxid;
          if (a.origin === undefined) continue;
          if (a.origin.server !== s.myId) {
            if (counts.length > 0) s.pubsub.report(ctx, a.origin, counts);
            continue;
          }
          const w = s.writes.get(a.origin.reqId);
          if (w === undefined) continue;
          s.writes.delete(a.origin.reqId);
          if (counts.length > 0) s.pubsub.hold(ctx, a.origin.reqId, w.token, a.result.reply, a.result.events, counts);
          else answer(ctx, w.token, { type: 'RedisAnswer', reply: a.result.reply });
        }
        s.pubsub.flush(ctx);
        return s;
      }
      case 'RedisSubscribe':
      case 'RedisClientGone':
      case 'RedisPoll':
      case 'RedisNotifyConfig':
      case 'RedisPublishCounted':
        s.pubsub.receive(ctx, m, (reqId) => s.writes.has(reqId));
        return s;
      case 'RoleChanged':
        if (m.role === 'looking' || m.epoch !== s.epoch) failAll(s, ctx);
        s.role = m.role;
        s.epoch = m.epoch;
        return s;
      case 'RedisTick': {
        ctx.schedule('tick', s.expiryTickMs, { type: 'RedisTick' });
        s.pubsub.tick(ctx);
        const now = wholeMs(ctx);
        const timedOut = (w: Waiting): boolean => w.deadlineMs <= now;
        for (const [id, w] of s.writes) if (timedOut(w)) (s.writes.delete(id), answer(ctx, w.token, errorReply(tryAgainText)));
        // a marker never answered (lost with its leader): its reads fail, the next marker goes out
        if (s.marker !== null && s.marker.deadlineMs <= now) {
          for (const r of s.marker.reads) answer(ctx, r.token, errorReply(tryAgainText));
          s.marker = null;
          sendMarker(s, ctx);
        }
        if (s.role === 'leading' && !s.expiring) {
          s.expiring = true;
          ctx
            .ask<Extract<StorageReply, { type: 'KeyspaceExpired' }>>(address(ctx.node, 'storage'), { type: 'KeyspaceListExpired', nowMs: now, max: expireKeysPerTickMax }, s.requestTimeoutMs)
            .then(
              (r) => ctx.send(ctx.self, { type: 'ExpiredKeys', keys: r.keys }),
              () => ctx.send(ctx.self, { type: 'ExpiredKeys', keys: [] }),
            );
        }
        return s;
      }
      case 'ExpiredKeys':
        s.expiring = false;
        if (s.role === 'leading' && m.keys.length > 0) submit(s, ctx, null, { type: 'RedisExpire', timeMs: wholeMs(ctx), keys: m.keys });
        return s;
      default:
        return assertNever(m);
    }
  },
});


