/**
 * The `<node>/redis` actor: the node's Redis keyspace service, asked by the RESP front end (messages:
 * src/protocol/keyspace.ts `RedisRequestMsg`; the front end sends what one event-loop turn gathered as one
 * `RedisWrites` (the writes, already encoded as batch items) or `RedisRequests` (the reads), answered with one
 * `RedisAnswers` once every item is answered).
 *
 * - Writes: every write of one mailbox run goes into ONE `RedisBatch` txn (at most `writeBatchItemsMax` items)
 *   naming this server and a request id as its origin → `ClientWrite` to `<node>/broadcast` (forwarded to the
 *   leader, logged with one fsync, committed by a quorum) → answered when the local storage applies it (storage
 *   sends the keyspace's `Applied` here; the items' replies are matched by origin and order).
 * - Reads: linearizable by default: reads wait for the next sync marker through the leader (`ClientSync`; one marker
 *   serves every read that arrived before it was sent, and the writes gathered before it are logged first), then
 *   run on local state in one storage ask once its apply point has reached the marker's zxid. `local` reads (a
 *   READONLY connection) run on local state at once.
 * - A leader change fails what is in flight with `-TRYAGAIN` (the write may or may not have been applied; nothing
 *   here retries it).
 * - Active expiry: the leader asks storage for keys past their deadline every `expiryTickMs` (at most
 *   `expireKeysPerTickMax`) and proposes their deletion as one `RedisExpire` txn; followers never delete.
 * - Pub/sub (actors/redis-pubsub.ts): the node's subscription table, deliveries at apply, PUBLISH's receivers count.
 */
import { defineActor, type Ctx, type ReplyToken } from '../src/kernel/actor.js';
import { assertNever } from '../src/core/never.js';
import { address } from '../src/protocol/envelope.js';
import { batchItemsCount, encodeBatchItems, joinBatchItems } from '../src/core/tree/codec.js';
import type { BroadcastClientReply } from '../src/protocol/broadcast.js';
import { keyspaceWriteBytesMax, type KeyspaceTxn, type RedisAnswer, type RedisAnswers, type RedisPubsubMsg, type RedisRequest, type RedisRequestMsg, type RedisStatusReply } from '../src/protocol/keyspace.js';
import { PubsubTable } from './redis-pubsub.js';
import type { KeyspaceReadItem, StorageMsg, StorageReply } from '../src/protocol/storage.js';
import type { Reply } from '../src/protocol/resp.js';
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
/** Client writes logged as one `RedisBatch` txn, at most (a mailbox run with more logs several). */
export const writeBatchItemsMax = 4_096;
/**
 * Encoded bytes of one `RedisBatch`, at most, unless one part alone is larger (a front end's run or one write: at
 * most `keyspaceWriteBytesMax` of arguments): a batch stays within the WAL's record bound.
 */
export const writeBatchBytesMax = keyspaceWriteBytesMax;
/** Keys the leader's active expiry deletes per tick, at most. */
export const expireKeysPerTickMax = 200;
export const expiryTickMsDefault = 100;
const requestTimeoutMsDefault = 10_000;
/** The error a client gets when a leader change catches its request: retry it (a write's outcome is unknown). */
export const tryAgainText = 'TRYAGAIN leader changed or unavailable; the command may or may not have been applied';

/** Where one request's answer goes: its slot in the batch (ask) it came in. */
interface Batch {
  readonly token: ReplyToken | null;
  /** Answered as one `RedisAnswer` (a single request) or as `RedisAnswers` (a `RedisRequests`). */
  readonly single: boolean;
  readonly answers: RedisAnswer[];
  left: number;
}
interface Slot {
  readonly batch: Batch;
  readonly index: number;
}
/** A logged write txn waiting to be applied: the slots of its items, in order. */
interface Waiting {
  readonly slots: readonly Slot[];
  readonly deadlineMs: number;
}
interface WaitingRead {
  readonly slot: Slot;
  readonly item: KeyspaceReadItem;
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
  /** Request id → waiting write txn (ids start from the clock: a restarted node does not reuse its old ones). */
  readonly writes: Map<number, Waiting>;
  nextReq: number;
  /** The writes of this mailbox run, logged as ONE `RedisBatch` txn when the run ends (or the batch is full). */
  batchParts: Uint8Array[];
  batchSlots: Slot[];
  batchBytes: number;
  /** Reads for the next marker, and the marker in flight with its reads. */
  nextReads: WaitingRead[];
  marker: { reqId: number; reads: WaitingRead[]; deadlineMs: number } | null;
  /** Requests not yet answered (writes, reads, watches). */
  pending: number;
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
const errorReply = (text: string): RedisAnswer => ({ type: 'RedisAnswer', reply: { kind: 'Error', text } });

/** Fill a request's slot; the batch is answered once every slot is filled. */
function fill(s: State, ctx: Ctx<never>, slot: Slot, a: RedisAnswer): void {
  const b = slot.batch;
  b.answers[slot.index] = a;
  s.pending--;
  if (--b.left > 0 || b.token === null) return;
  ctx.respond(b.token, b.single ? b.answers[0]! : ({ type: 'RedisAnswers', answers: b.answers } satisfies RedisAnswers));
}

function submit(s: State, ctx: Ctx<Msg>, slots: readonly Slot[], txn: KeyspaceTxn): void {
  const reqId = ++s.nextReq;
  if (slots.length > 0) s.writes.set(reqId, { slots, deadlineMs: ctx.now() + s.requestTimeoutMs });
  const t: Txn = { sessionId: 0, cxid: 0, zxid: 0, timeMs: txn.timeMs, body: { type: 'Keyspace', txn, origin: { server: s.myId, reqId: slots.length === 0 ? 0 : reqId } } };
  ctx.send(address(ctx.node, 'broadcast'), { type: 'ClientWrite', reqId, txn: t });
}

/** Log the writes gathered so far as one txn. */
function flushWrites(s: State, ctx: Ctx<Msg>): void {
  if (s.batchSlots.length === 0) return;
  const items = joinBatchItems(s.batchParts);
  const slots = s.batchSlots;
  s.batchParts = [];
  s.batchSlots = [];
  s.batchBytes = 0;
  submit(s, ctx, slots, { type: 'RedisBatch', timeMs: wholeMs(ctx), items });
}

/** Writes (encoded items, one slot each) join this run's batch; a full batch is logged first. */
function addWrites(s: State, ctx: Ctx<Msg>, items: Uint8Array, slots: readonly Slot[]): void {
  if (s.batchSlots.length + slots.length > writeBatchItemsMax || (s.batchBytes > 0 && s.batchBytes + items.length > writeBatchBytesMax)) flushWrites(s, ctx);
  s.batchParts.push(items);
  s.batchBytes += items.length;
  for (const slot of slots) s.batchSlots.push(slot);
}

/** Run reads on local state once it has applied `atLeastZxid`: one storage ask for all of them. */
function runReads(s: State, ctx: Ctx<Msg>, reads: readonly WaitingRead[], atLeastZxid: Zxid): void {
  if (reads.length === 0) return;
  type Answer = Extract<StorageReply, { type: 'KeyspaceReadsDone' | 'KeyspaceBusy' }>;
  const msg: StorageMsg = { type: 'KeyspaceReads', items: reads.map((r) => r.item), nowMs: wholeMs(ctx), atLeastZxid };
  ctx.ask<Answer>(address(ctx.node, 'storage'), msg, s.requestTimeoutMs).then(
    (x) => {
      if (x.type === 'KeyspaceReadsDone') reads.forEach((r, i) => fill(s, ctx, r.slot, x.answers[i]!));
      else for (const r of reads) fill(s, ctx, r.slot, errorReply(`${tryAgainText} (storage busy)`));
    },
    (e: Error) => {
      for (const r of reads) fill(s, ctx, r.slot, errorReply(`${tryAgainText} (${e.message})`));
    },
  );
}

/**
 * Send the next sync marker when none is in flight and reads wait for one. The writes gathered so far are logged
 * first, so a read sees every write that arrived before it.
 */
function sendMarker(s: State, ctx: Ctx<Msg>): void {
  if (s.marker !== null || s.nextReads.length === 0) return;
  flushWrites(s, ctx);
  const reqId = ++s.nextReq;
  s.marker = { reqId, reads: s.nextReads, deadlineMs: ctx.now() + s.requestTimeoutMs };
  s.nextReads = [];
  ctx.send(address(ctx.node, 'broadcast'), { type: 'ClientSync', reqId });
}

function failReads(s: State, ctx: Ctx<Msg>, reads: readonly WaitingRead[]): void {
  for (const r of reads) fill(s, ctx, r.slot, errorReply(tryAgainText));
}

function failAll(s: State, ctx: Ctx<Msg>): void {
  flushWrites(s, ctx);
  for (const w of s.writes.values()) for (const slot of w.slots) fill(s, ctx, slot, errorReply(tryAgainText));
  s.writes.clear();
  failReads(s, ctx, s.nextReads);
  if (s.marker !== null) failReads(s, ctx, s.marker.reads);
  s.nextReads = [];
  s.marker = null;
}

/** One request into its slot: a write joins this run's batch, a read waits for the next marker (or runs now). */
function request(s: State, ctx: Ctx<Msg>, m: RedisRequest, slot: Slot, localReads: WaitingRead[]): void {
  s.pending++;
  if (s.pending > redisPendingMax) {
    fill(s, ctx, slot, errorReply(`TRYAGAIN more than ${redisPendingMax} requests pending on this node`));
    return;
  }
  if (m.type === 'RedisWrite') {
    addWrites(s, ctx, encodeBatchItems([{ db: m.db, commands: m.commands, exec: m.exec, watched: m.watched }]), [slot]);
    return;
  }
  const item: KeyspaceReadItem = m.type === 'RedisRead' ? { type: 'read', db: m.db, argv: m.argv, draw: ctx.random() } : { type: 'watch', keys: m.keys.map((key) => ({ db: m.db, key })) };
  (m.local ? localReads : s.nextReads).push({ slot, item });
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
      batchParts: [],
      batchSlots: [],
      batchBytes: 0,
      nextReads: [],
      pending: 0,
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
      case 'RedisWrites': {
        const count = batchItemsCount(m.items);
        const batch: Batch = { token: ctx.replyToken(), single: false, answers: new Array<RedisAnswer>(count), left: count };
        const slots: Slot[] = [];
        for (let index = 0; index < count; index++) slots.push({ batch, index });
        s.pending += count;
        if (count === 0 || s.pending > redisPendingMax) {
          if (count === 0 && batch.token !== null) ctx.respond(batch.token, { type: 'RedisAnswers', answers: [] } satisfies RedisAnswers);
          for (const slot of slots) fill(s, ctx, slot, errorReply(`TRYAGAIN more than ${redisPendingMax} requests pending on this node`));
          return s;
        }
        addWrites(s, ctx, m.items, slots);
        return s;
      }
      case 'RedisRequests':
      case 'RedisWrite':
      case 'RedisRead':
      case 'RedisWatch': {
        const items = m.type === 'RedisRequests' ? m.items : [m];
        const batch: Batch = { token: ctx.replyToken(), single: m.type !== 'RedisRequests', answers: new Array<RedisAnswer>(items.length), left: items.length };
        if (items.length === 0 && batch.token !== null) ctx.respond(batch.token, { type: 'RedisAnswers', answers: [] } satisfies RedisAnswers);
        const localReads: WaitingRead[] = [];
        items.forEach((it, index) => request(s, ctx, it, { batch, index }, localReads));
        runReads(s, ctx, localReads, 0);
        sendMarker(s, ctx);
        return s;
      }
      case 'ClientSyncDone': {
        if (s.marker === null || s.marker.reqId !== m.reqId) return s;
        const reads = s.marker.reads;
        s.marker = null;
        runReads(s, ctx, reads, m.zxid);
        sendMarker(s, ctx);
        return s;
      }
      case 'ClientSyncFailed': {
        if (s.marker === null || s.marker.reqId !== m.reqId) return s;
        failReads(s, ctx, s.marker.reads);
        s.marker = null;
        sendMarker(s, ctx);
        return s;
      }
      case 'ClientWriteFailed': {
        const w = s.writes.get(m.reqId);
        s.writes.delete(m.reqId);
        if (w !== undefined) for (const slot of w.slots) fill(s, ctx, slot, errorReply(tryAgainText));
        return s;
      }
      case 'Applied': {
        for (const a of m.applied) {
          const r = a.result;
          if (r.type !== 'Keyspace') continue;
          const counts = s.pubsub.applied(r.events);
          for (const e of r.events) if ('event' in e && e.event === 'expired') s.expiredKeys++;
          if (a.zxid > s.appliedZxid) s.appliedZxid = a.zxid;
          if (a.origin === undefined) continue;
          if (a.origin.server !== s.myId) {
            if (counts.length > 0) s.pubsub.report(ctx, a.origin, counts);
            continue;
          }
          const w = s.writes.get(a.origin.reqId);
          if (w === undefined) continue;
          s.writes.delete(a.origin.reqId);
          const replies = w.slots.map((_, i) => r.items?.[i]?.reply ?? r.reply);
          const answer = (c: Ctx<never>, i: number, reply: Reply): void => fill(s, c, w.slots[i]!, { type: 'RedisAnswer', reply });
          if (counts.length > 0) s.pubsub.hold(ctx, a.origin.reqId, replies, r.events, counts, answer);
          else replies.forEach((reply, i) => answer(ctx, i, reply));
        }
        s.pubsub.flush(ctx);
        return s;
      }
      case 'RedisSubscribe':
      case 'RedisTrackingCollect':
      case 'RedisClientGone':
      case 'RedisReadyWatch':
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
        for (const [id, w] of s.writes) {
          if (w.deadlineMs > now) continue;
          s.writes.delete(id);
          for (const slot of w.slots) fill(s, ctx, slot, errorReply(tryAgainText));
        }
        // a marker never answered (lost with its leader): its reads fail, the next marker goes out
        if (s.marker !== null && s.marker.deadlineMs <= now) {
          failReads(s, ctx, s.marker.reads);
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
        if (s.role === 'leading' && m.keys.length > 0) submit(s, ctx, [], { type: 'RedisExpire', timeMs: wholeMs(ctx), keys: m.keys });
        return s;
      default:
        return assertNever(m);
    }
  },
  drained(s, ctx) {
    flushWrites(s, ctx);
    return s;
  },
});


