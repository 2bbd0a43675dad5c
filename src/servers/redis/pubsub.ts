/**
 * Pub/sub at the RESP front end: SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and their UNSUBSCRIBEs, PUBSUB's introspection,
 * RESP2's subscribed mode, and the delivery of messages to connections. PUBLISH / SPUBLISH are keyspace writes
 * (logged through ZAB, src/core/keyspace); the node's `redis` actor matches every applied message against the
 * subscriptions registered here and hands the deliveries to this front end's long poll (actors/redis-pubsub.ts).
 * See ../../../docs/resp.md.
 */
import type { Argv, Reply } from '../../protocol/resp.js';
import type { ReadyKey, RedisAnswer, RedisDeliveries, RedisDelivery, RedisPubsubMsg, SubscriptionKind } from '../../protocol/keyspace.js';
import type { AnyMessage, Message } from '../../protocol/envelope.js';
import { globMatch } from '../../core/keyspace/index.js';
import type { RedisCommandSpec } from './commands.js';

/** The front end's poll waits this long for an answer (the actor answers a held poll after 5 s). */
export const pubsubPollAskTimeoutMs = 15_000;
/** After a failed poll, the next one waits this long. */
export const pubsubPollRetryMs = 200;
/** A subscription change waits this long for the node; then the connection closes (its subscriptions unknown). */
export const subscribeAskTimeoutMs = 10_000;

const enc = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
const bytes = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const bulk = (b: Uint8Array | string): Reply => ({ kind: 'Bulk', bytes: typeof b === 'string' ? Buffer.from(b) : b });
const int = (value: number): Reply => ({ kind: 'Int', value });

/** A node's pub/sub as the front end needs it. */
export interface PubsubService {
  /** Registers (or drops) a connection's subscriptions; resolves when messages applied from now on reach it. */
  change(client: number, kind: SubscriptionKind, channels: readonly Uint8Array[], subscribe: boolean): Promise<void>;
  /** A connection closed or was reset. */
  gone(client: number): void;
  /** notify-keyspace-events changed. */
  notifyConfig(flags: string): void;
  /** Client-side caching: the node starts (answered once it collects) or stops reporting changed keys. */
  trackingCollect(collect: boolean): Promise<void>;
  /** Starts delivering; returns the stop function. */
  start(sink: PubsubSink): () => void;
}

/** Where deliveries go: the listener's connections. */
export interface PubsubSink {
  subscriber(id: number): PubsubSubscriber | undefined;
  /** Every connection with a subscription (dropped when the node lost their subscriptions). */
  subscribers(): Iterable<PubsubSubscriber>;
  notifyFlags(): string;
  /** Keys a blocked client waits on were made ready (the keyspace backend serves its blocked clients). */
  ready?(keys: readonly ReadyKey[]): void;
  /** The node forgot which keys blocked clients wait on (its actor restarted): watch them again. */
  readyLost?(): void;
  /** Keys changed at apply, in order (null: a flush), for the tracking clients (tracking.ts). */
  modified?(keys: readonly (ReadyKey | null)[]): void;
  /** The node's actor restarted or dropped deliveries: tracking clients must drop everything, and it collect again. */
  trackingLost?(): void;
}

/** A connection as the deliveries see it. */
export interface PubsubSubscriber {
  readonly subs: Subscriptions;
  push(r: Reply): void;
  kill(): void;
}

/** One connection's subscriptions. */
export class Subscriptions {
  readonly channel = new Set<string>();
  readonly pattern = new Set<string>();
  readonly shard = new Set<string>();

  /** Channels + patterns (what SUBSCRIBE / PSUBSCRIBE replies count). */
  get count(): number {
    return this.channel.size + this.pattern.size;
  }
  get total(): number {
    return this.count + this.shard.size;
  }
  clear(): void {
    this.channel.clear();
    this.pattern.clear();
    this.shard.clear();
  }
}

interface Gateway {
  ask<R extends Message = Message>(to: string, msg: AnyMessage, timeoutMs: number): Promise<R>;
  send?(to: string, msg: AnyMessage): void;
}

/** The pub/sub of `node`, through its `redis` actor. */
export function nodePubsub(gateway: Gateway, node: string): PubsubService {
  const addr = `${node}/redis`;
  const tell = (msg: RedisPubsubMsg): void => {
    if (gateway.send !== undefined) gateway.send(addr, msg);
    else gateway.ask(addr, msg, subscribeAskTimeoutMs).catch(() => undefined);
  };
  let notify = '';
  return {
    async change(client, kind, channels, subscribe) {
      const a = await gateway.ask<RedisAnswer>(addr, { type: 'RedisSubscribe', client, kind, channels, subscribe } satisfies RedisPubsubMsg, subscribeAskTimeoutMs);
      if (a.type === 'RedisAnswer' && a.reply.kind === 'Error') throw new Error(a.reply.text);
    },
    gone: (client) => tell({ type: 'RedisClientGone', client }),
    async trackingCollect(collect) {
      await gateway.ask<RedisAnswer>(addr, { type: 'RedisTrackingCollect', collect } satisfies RedisPubsubMsg, subscribeAskTimeoutMs);
    },
    notifyConfig(flags) {
      notify = flags;
      tell({ type: 'RedisNotifyConfig', notify: flags });
    },
    start(sink) {
      let stopped = false;
      let incarnation: number | null = null;
      notify = sink.notifyFlags();
      const dropAll = (): void => {
        for (const c of [...sink.subscribers()]) c.kill();
      };
      void (async () => {
        let fresh = true;
        while (!stopped) {
          let r: RedisDeliveries;
          try {
            r = await gateway.ask<RedisDeliveries>(addr, { type: 'RedisPoll', fresh, notify } satisfies RedisPubsubMsg, pubsubPollAskTimeoutMs);
          } catch {
            if (!stopped) await new Promise((res) => setTimeout(res, pubsubPollRetryMs));
            continue;
          }
          if (stopped || r.type !== 'RedisDeliveries') continue;
          fresh = false;
          // the actor restarted (its table is gone) or dropped deliveries: no subscriber may miss a message silently
          if ((incarnation !== null && r.incarnation !== incarnation) || r.lost) dropAll();
          if (incarnation !== null && r.incarnation !== incarnation) sink.readyLost?.();
          if ((incarnation !== null && r.incarnation !== incarnation) || r.lost) sink.trackingLost?.();
          incarnation = r.incarnation;
          if (r.modified.length > 0) sink.modified?.(r.modified);
          for (const d of r.items) deliver(sink, d);
          if (r.ready.length > 0) sink.ready?.(r.ready);
        }
      })();
      return () => {
        stopped = true;
      };
    },
  };
}

function deliver(sink: PubsubSink, d: RedisDelivery): void {
  const channel = enc(d.channel);
  const reply: Reply =
    d.kind === 'pmessage'
      ? { kind: 'Push', items: [bulk('pmessage'), bulk(d.pattern!), bulk(d.channel), bulk(d.message)] }
      : { kind: 'Push', items: [bulk(d.kind), bulk(d.channel), bulk(d.message)] };
  const pattern = d.pattern === undefined ? '' : enc(d.pattern);
  for (const id of d.clients) {
    const c = sink.subscriber(id);
    if (c === undefined) continue;
    // a connection that unsubscribed meanwhile gets nothing more
    const has = d.kind === 'message' ? c.subs.channel.has(channel) : d.kind === 'smessage' ? c.subs.shard.has(channel) : c.subs.pattern.has(pattern);
    if (has) c.push(reply);
  }
}

const kindOf: Record<string, { kind: SubscriptionKind; subscribe: boolean }> = {
  subscribe: { kind: 'channel', subscribe: true },
  unsubscribe: { kind: 'channel', subscribe: false },
  psubscribe: { kind: 'pattern', subscribe: true },
  punsubscribe: { kind: 'pattern', subscribe: false },
  ssubscribe: { kind: 'shard', subscribe: true },
  sunsubscribe: { kind: 'shard', subscribe: false },
};

/** The commands a RESP2 connection with subscriptions may still send. */
export const subscribedModeCommands: ReadonlySet<string> = new Set([...Object.keys(kindOf), 'ping', 'quit', 'reset']);

/** The connection as the pub/sub commands need it. */
export interface PubsubConnection {
  readonly id: number;
  readonly subs: Subscriptions;
}

/**
 * (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE: the confirmations (one push per channel, counting the connection's
 * subscriptions after it), once the node has the change; or the error if it cannot take it.
 */
export function subscribeCommand(service: PubsubService, c: PubsubConnection, spec: RedisCommandSpec, argv: Argv): Promise<Reply[]> {
  const { kind, subscribe } = kindOf[spec.name]!;
  const set = c.subs[kind];
  const count = (): number => (kind === 'shard' ? c.subs.shard.size : c.subs.count);
  let names = argv.slice(1);
  if (!subscribe && names.length === 0) names = [...set].map(bytes);
  const replies: Reply[] = [];
  const changed: Uint8Array[] = [];
  for (const n of names) {
    const k = enc(n);
    if (subscribe ? !set.has(k) : set.has(k)) changed.push(n);
    if (subscribe) set.add(k);
    else set.delete(k);
    replies.push({ kind: 'Push', items: [bulk(spec.name), bulk(n), int(count())] });
  }
  if (names.length === 0) replies.push({ kind: 'Push', items: [bulk(spec.name), { kind: 'Null' }, int(count())] });
  if (changed.length === 0) return Promise.resolve(replies);
  return service.change(c.id, kind, changed, subscribe).then(() => replies);
}

/** PUBSUB CHANNELS / NUMSUB / NUMPAT / SHARDCHANNELS / SHARDNUMSUB over this node's connections. */
export function pubsubIntrospection(sub: string, argv: Argv, conns: Iterable<PubsubConnection>): Reply {
  const all = [...conns];
  const counted = (kind: SubscriptionKind): Map<string, number> => {
    const m = new Map<string, number>();
    for (const c of all) for (const k of c.subs[kind]) m.set(k, (m.get(k) ?? 0) + 1);
    return m;
  };
  switch (sub) {
    case 'channels':
    case 'shardchannels': {
      const pat = argv[2];
      const names = [...counted(sub === 'channels' ? 'channel' : 'shard').keys()].filter((k) => pat === undefined || globMatch(pat, bytes(k)));
      return { kind: 'Array', items: names.map((k) => bulk(bytes(k))) };
    }
    case 'numsub':
    case 'shardnumsub': {
      const m = counted(sub === 'numsub' ? 'channel' : 'shard');
      return { kind: 'Array', items: argv.slice(2).flatMap((ch) => [bulk(ch), int(m.get(enc(ch)) ?? 0)]) };
    }
    case 'numpat':
      return int(counted('pattern').size);
    case 'help':
      return {
        kind: 'Array',
        items: [
          'PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
          'CHANNELS [<pattern>]',
          '    Return the currently active channels matching a <pattern> (default: \'*\').',
          'NUMPAT',
          '    Return number of subscriptions to patterns.',
          'NUMSUB [<channel> ...]',
          '    Return the number of subscribers for the specified channels, excluding',
          '    pattern subscriptions(default: no channels).',
          'SHARDCHANNELS [<pattern>]',
          '    Return the currently active shard level channels matching a <pattern> (default: \'*\').',
          'SHARDNUMSUB [<shardchannel> ...]',
          '    Return the number of subscribers for the specified shard level channel(s)',
          'HELP',
          '    Prints this help.',
        ].map((text) => ({ kind: 'Simple', text }) as Reply),
      };
    default:
      return { kind: 'Error', text: `ERR unknown subcommand '${sub}'. Try PUBSUB HELP.` };
  }
}

/** RESP2's subscribed-mode refusal. */
export const subscribedModeError = (name: string): Reply => ({
  kind: 'Error',
  text: `ERR Can't execute '${name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
});

const notifyAll = 'g$lshzxetd';
const notifyOrder = 'g$lshzxetdnKEm';

/** notify-keyspace-events as typed → every class letter it turns on (`A` expanded), or null for an unknown letter. */
export function notifyLetters(s: string): string | null {
  const on = new Set<string>();
  for (const ch of s) {
    if (ch === 'A') for (const a of notifyAll) on.add(a);
    else if (notifyOrder.includes(ch)) on.add(ch);
    else return null;
  }
  return [...notifyOrder].filter((a) => on.has(a)).join('');
}

/** The letters as CONFIG GET shows them (Redis's keyspaceEventsFlagsToString: `A` hides `n`). */
export function notifyCanonical(letters: string): string {
  const cls = [...notifyAll].every((a) => letters.includes(a)) ? 'A' : [...'g$lshzxetdn'].filter((a) => letters.includes(a)).join('');
  return cls + [...'KEm'].filter((a) => letters.includes(a)).join('');
}
