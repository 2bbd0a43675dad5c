/**
 * Pub/sub of a node's `redis` actor (messages: src/protocol/keyspace.ts `RedisPubsubMsg`). See docs/resp.md.
 *
 * - The actor keeps its node's subscription table (channels, patterns, shard channels → client ids of the node's
 *   RESP front end). A front end's subscribe is answered once the table has it: every message applied after that
 *   reaches the connection.
 * - PUBLISH / SPUBLISH are logged (src/core/keyspace `publish`); when storage applies one, every node's actor
 *   matches it against its own table, in log order, and queues the deliveries for its front end's long poll. So a
 *   message reaches the subscribers of every node, all in the same order, interleaved the same way with the
 *   keyspace notifications (made from the txn's events, filtered by the front end's notify-keyspace-events).
 * - The receivers count: each node counts its own receivers at apply and sends the count to the origin node; the
 *   origin answers PUBLISH with the sum once every other member reported, or after `publishCountWaitMs` with the
 *   counts it has (members that did not report are then not waited for again until they report).
 * - Blocked clients (docs/blocking.md): the front end watches the keys its blocked clients wait on
 *   (`RedisReadyWatch`); an applied txn whose events make one ready (`blockingReadyEvents`) puts it in the next
 *   poll's `ready` (each key once per poll), so every node learns in log order when to serve its blocked clients.
 * - Client-side caching (src/servers/redis/tracking.ts): while the front end has tracking clients
 *   (`RedisTrackingCollect`), every applied txn's changed keys (those of its notifications) and flushes go in the
 *   next poll's `modified`, in order; beyond `trackingModifiedMax` they collapse into one flush (everything invalid).
 * - Memory: at most `deliveriesQueuedBytesMax` bytes of deliveries wait for the front end; beyond, they are dropped
 *   and the next poll says `lost` (the front end disconnects its subscribers rather than let them miss a message).
 */
import type { Ctx, ReplyToken } from '../src/kernel/actor.js';
import { address } from '../src/protocol/envelope.js';
import { blockingReadyEvents, swapdbReadyEvent, type KeyspaceEvent, type ReadyKey, type RedisAnswer, type RedisDeliveries, type RedisDelivery, type RedisPubsubMsg, type SubscriptionKind } from '../src/protocol/keyspace.js';
import type { Reply } from '../src/protocol/resp.js';
import { globMatch } from '../src/core/keyspace/index.js';

/** Delivery bytes (channel + message) waiting for the front end's poll, at most; beyond, they are dropped (`lost`). */
export const deliveriesQueuedBytesMax = 64 * 1024 * 1024;
/** Deliveries waiting for the front end's poll, at most (as the bytes bound). */
export const deliveriesQueuedMax = 100_000;
/** Changed keys waiting for the front end's poll, at most; beyond, they become one flush (all keys invalid). */
export const trackingModifiedMax = 100_000;
/** A held poll is answered (empty) after this, well inside the front end's ask timeout. */
export const pubsubPollHoldMs = 5_000;
/** How long the origin of a PUBLISH waits for the other members' receiver counts. */
export const publishCountWaitMs = 500;
/** Subscriptions one node's table holds, at most (beyond: an error to the subscriber). */
export const subscriptionsMax = 1_000_000;

interface Held {
  /** The txn's replies, one per batch item (answered through `answer`). */
  readonly replies: readonly Reply[];
  /** Per published message of the txn: its batch item and command index, and the receivers counted so far. */
  readonly published: readonly { readonly item: number; readonly command: number }[];
  readonly counts: number[];
  readonly waiting: Set<number>;
  readonly deadlineMs: number;
  readonly answer: HeldAnswer;
}

/** Answers batch item `item` of a held txn (the redis actor fills the item's slot). */
export type HeldAnswer = (ctx: Ctx<never>, item: number, reply: Reply) => void;

const enc = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const key = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');

export class PubsubTable {
  private readonly tables: Record<SubscriptionKind, Map<string, Set<number>>> = { channel: new Map(), pattern: new Map(), shard: new Map() };
  private readonly byClient = new Map<number, Record<SubscriptionKind, Set<string>>>();
  private size = 0;
  private queue: RedisDelivery[] = [];
  private queuedBytes = 0;
  private lost = false;
  private poll: { token: ReplyToken; sinceMs: number } | null = null;
  /** Keys the front end's blocked clients wait on (`db:key`), and those made ready since the last poll. */
  private readonly watchedReady = new Set<string>();
  private ready = new Map<string, ReadyKey>();
  /** The front end has tracking clients: changed keys (null: a flush) since the last poll. */
  private tracking = false;
  private modified: (ReadyKey | null)[] = [];
  private notify = '';
  /** PUBLISH replies waiting for the other members' counts, and counts that came before the origin applied. */
  private readonly held = new Map<number, Held>();
  private readonly early = new Map<number, { counts: number[]; from: Set<number>; deadlineMs: number }>();
  /** Members that missed a count deadline: not waited for until they report again. */
  private readonly silent = new Set<number>();

  constructor(
    private readonly myId: number,
    /** Every member (id → node name). */
    private readonly members: Readonly<Record<number, string>>,
    readonly incarnation: number,
  ) {}

  /** RedisSubscribe / RedisClientGone / RedisPoll / RedisNotifyConfig. `writes`: the origin's pending write ids. */
  receive(ctx: Ctx<never>, m: RedisPubsubMsg, hasWrite: (reqId: number) => boolean): void {
    switch (m.type) {
      case 'RedisSubscribe': {
        const token = ctx.replyToken();
        const why = this.change(m.client, m.kind, m.channels, m.subscribe);
        if (token !== null) ctx.respond(token, { type: 'RedisAnswer', reply: why === null ? { kind: 'Simple', text: 'OK' } : { kind: 'Error', text: why } } satisfies RedisAnswer);
        return;
      }
      case 'RedisClientGone':
        this.gone(m.client);
        return;
      case 'RedisReadyWatch': {
        for (const k of m.keys) {
          if (m.watch) {
            if (this.watchedReady.size < subscriptionsMax) this.watchedReady.add(`${k.db}:${key(k.key)}`);
          } else this.watchedReady.delete(`${k.db}:${key(k.key)}`);
        }
        const token = ctx.replyToken();
        if (token !== null) ctx.respond(token, { type: 'RedisAnswer', reply: { kind: 'Simple', text: 'OK' } } satisfies RedisAnswer);
        return;
      }
      case 'RedisTrackingCollect': {
        this.tracking = m.collect;
        if (!m.collect) this.modified = [];
        const token = ctx.replyToken();
        if (token !== null) ctx.respond(token, { type: 'RedisAnswer', reply: { kind: 'Simple', text: 'OK' } } satisfies RedisAnswer);
        return;
      }
      case 'RedisNotifyConfig':
        this.notify = m.notify;
        return;
      case 'RedisPoll': {
        const token = ctx.replyToken();
        if (token === null) return;
        if (m.fresh) {
          for (const id of [...this.byClient.keys()]) this.gone(id);
          this.watchedReady.clear();
          this.tracking = false;
          this.modified = [];
        }
        this.notify = m.notify;
        if (this.poll !== null) this.answerPoll(ctx); // a newer poll replaces the held one
        this.poll = { token, sinceMs: ctx.now() };
        if (this.queue.length > 0 || this.lost || this.ready.size > 0 || this.modified.length > 0) this.answerPoll(ctx);
        return;
      }
      case 'RedisPublishCounted': {
        this.silent.delete(m.from);
        const h = this.held.get(m.reqId);
        if (h !== undefined) {
          m.counts.forEach((n, i) => (h.counts[i] = (h.counts[i] ?? 0) + n));
          h.waiting.delete(m.from);
          if (h.waiting.size === 0) this.answerHeld(ctx, m.reqId, h);
          return;
        }
        if (!hasWrite(m.reqId)) return;
        let e = this.early.get(m.reqId);
        if (e === undefined) this.early.set(m.reqId, (e = { counts: [], from: new Set(), deadlineMs: ctx.now() + publishCountWaitMs }));
        m.counts.forEach((n, i) => (e.counts[i] = (e.counts[i] ?? 0) + n));
        e.from.add(m.from);
        return;
      }
    }
  }

  private change(client: number, kind: SubscriptionKind, channels: readonly Uint8Array[], subscribe: boolean): string | null {
    let mine = this.byClient.get(client);
    if (mine === undefined) {
      if (!subscribe) return null;
      this.byClient.set(client, (mine = { channel: new Set(), pattern: new Set(), shard: new Set() }));
    }
    const table = this.tables[kind];
    for (const c of channels) {
      const k = key(c);
      if (subscribe) {
        if (mine[kind].has(k)) continue;
        if (this.size >= subscriptionsMax) return `ERR more than ${subscriptionsMax} subscriptions on this node`;
        mine[kind].add(k);
        let set = table.get(k);
        if (set === undefined) table.set(k, (set = new Set()));
        set.add(client);
        this.size++;
      } else if (mine[kind].delete(k)) {
        const set = table.get(k)!;
        set.delete(client);
        if (set.size === 0) table.delete(k);
        this.size--;
      }
    }
    if (mine.channel.size + mine.pattern.size + mine.shard.size === 0) this.byClient.delete(client);
    return null;
  }

  private gone(client: number): void {
    const mine = this.byClient.get(client);
    if (mine === undefined) return;
    for (const kind of ['channel', 'pattern', 'shard'] as const) this.change(client, kind, [...mine[kind]].map(enc), false);
  }

  /**
   * A keyspace txn applied: its messages and notifications matched against this node's table and queued for the
   * front end, in order. Returns the receivers of each published message.
   */
  applied(events: readonly KeyspaceEvent[]): number[] {
    const counts: number[] = [];
    for (const e of events) {
      if ('published' in e) {
        counts.push(this.size === 0 ? 0 : this.deliver(e.channel, e.message, e.published === 'spublish'));
        continue;
      }
      if ('flushed' in e) {
        if (this.tracking) this.modified = [null];
        continue;
      }
      if (e.event === swapdbReadyEvent) {
        // SWAPDB: every watched key of the db may now hold data (Redis rescans the swapped dbs' blocked keys)
        const prefix = `${e.db}:`;
        for (const k of this.watchedReady) if (k.startsWith(prefix)) this.ready.set(k, { db: e.db, key: enc(k.slice(prefix.length)) });
        continue;
      }
      if (this.tracking) this.track({ db: e.db, key: e.key });
      if (this.watchedReady.size > 0 && blockingReadyEvents.has(e.event)) {
        const k = `${e.db}:${key(e.key)}`;
        if (this.watchedReady.has(k)) this.ready.set(k, { db: e.db, key: e.key });
      }
      if (this.size === 0 || this.notify === '' || !this.classOn(e.cls)) continue;
      if (this.notify.includes('K')) this.deliver(enc(`__keyspace@${e.db}__:${key(e.key)}`), enc(e.event), false);
      if (this.notify.includes('E')) this.deliver(enc(`__keyevent@${e.db}__:${e.event}`), e.key, false);
    }
    return counts;
  }

  private track(k: ReadyKey): void {
    if (this.modified.length >= trackingModifiedMax) this.modified = [null];
    else this.modified.push(k);
  }

  private classOn(cls: string): boolean {
    return this.notify.includes(cls);
  }

  private deliver(channel: Uint8Array, message: Uint8Array, shard: boolean): number {
    let n = 0;
    const exact = this.tables[shard ? 'shard' : 'channel'].get(key(channel));
    if (exact !== undefined) {
      this.enqueue({ clients: [...exact], kind: shard ? 'smessage' : 'message', channel, message });
      n += exact.size;
    }
    if (shard) return n;
    for (const [p, clients] of this.tables.pattern) {
      const pattern = enc(p);
      if (!globMatch(pattern, channel)) continue;
      this.enqueue({ clients: [...clients], kind: 'pmessage', pattern, channel, message });
      n += clients.size;
    }
    return n;
  }

  private enqueue(d: RedisDelivery): void {
    if (this.lost) return;
    const bytes = d.channel.length + d.message.length + (d.pattern?.length ?? 0);
    if (this.queue.length >= deliveriesQueuedMax || this.queuedBytes + bytes > deliveriesQueuedBytesMax) {
      this.queue = [];
      this.queuedBytes = 0;
      this.lost = true;
      return;
    }
    this.queue.push(d);
    this.queuedBytes += bytes;
  }

  /** After a batch of applies: hand what is queued to a waiting poll. */
  flush(ctx: Ctx<never>): void {
    if (this.poll !== null && (this.queue.length > 0 || this.lost || this.ready.size > 0 || this.modified.length > 0)) this.answerPoll(ctx);
  }

  private answerPoll(ctx: Ctx<never>): void {
    const p = this.poll!;
    this.poll = null;
    ctx.respond(p.token, { type: 'RedisDeliveries', incarnation: this.incarnation, lost: this.lost, items: this.queue, ready: [...this.ready.values()], modified: this.modified } satisfies RedisDeliveries);
    this.modified = [];
    this.queue = [];
    this.ready = new Map();
    this.queuedBytes = 0;
    this.lost = false;
  }

  /** Another node's txn with messages applied here: tell its origin our receivers. */
  report(ctx: Ctx<never>, origin: { server: number; reqId: number }, counts: readonly number[]): void {
    const node = this.members[origin.server];
    if (node !== undefined) ctx.send(address(node, 'redis'), { type: 'RedisPublishCounted', from: this.myId, reqId: origin.reqId, counts } satisfies RedisPubsubMsg);
  }

  /**
   * Our own txn with messages applied: the items without messages are answered now, the others once every other
   * member counted (or at the deadline).
   */
  hold(ctx: Ctx<never>, reqId: number, replies: readonly Reply[], events: readonly KeyspaceEvent[], counts: number[], answer: HeldAnswer): void {
    const published = events.flatMap((e) => ('published' in e ? [{ item: e.item, command: e.command }] : []));
    const heldItems = new Set(published.map((p) => p.item));
    replies.forEach((r, i) => {
      if (!heldItems.has(i)) answer(ctx, i, r);
    });
    const waiting = new Set(Object.keys(this.members).map(Number).filter((id) => id !== this.myId && !this.silent.has(id)));
    const e = this.early.get(reqId);
    this.early.delete(reqId);
    if (e !== undefined) {
      e.counts.forEach((n, i) => (counts[i] = (counts[i] ?? 0) + n));
      for (const id of e.from) waiting.delete(id);
    }
    const h: Held = { replies, published, counts, waiting, deadlineMs: ctx.now() + publishCountWaitMs, answer };
    if (waiting.size === 0) this.answerHeld(ctx, reqId, h);
    else this.held.set(reqId, h);
  }

  /** Each item with messages gets its reply with the receivers counted in place of its PUBLISH replies. */
  private answerHeld(ctx: Ctx<never>, reqId: number, h: Held): void {
    this.held.delete(reqId);
    const at = new Map<number, Map<number, number>>();
    h.published.forEach((p, i) => {
      let m = at.get(p.item);
      if (m === undefined) at.set(p.item, (m = new Map()));
      m.set(p.command, h.counts[i] ?? 0);
    });
    const int = (v: number): Reply => ({ kind: 'Int', value: v });
    for (const [item, counted] of at) {
      const r = h.replies[item]!;
      const reply: Reply = r.kind === 'Array' ? { kind: 'Array', items: r.items.map((x, i) => (counted.has(i) ? int(counted.get(i)!) : x)) } : int(counted.get(0) ?? 0);
      h.answer(ctx, item, reply);
    }
  }

  /** The periodic tick: counts past their deadline are answered; a poll held too long is answered empty. */
  tick(ctx: Ctx<never>): void {
    const now = ctx.now();
    for (const [reqId, h] of this.held) {
      if (h.deadlineMs > now) continue;
      for (const id of h.waiting) this.silent.add(id);
      this.answerHeld(ctx, reqId, h);
    }
    for (const [reqId, e] of this.early) if (e.deadlineMs <= now) this.early.delete(reqId);
    if (this.poll !== null && now - this.poll.sinceMs >= pubsubPollHoldMs) this.answerPoll(ctx);
  }
}
