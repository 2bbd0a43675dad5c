/**
 * The registry actor: the IO shell around the pure Eureka registry machine (src/core/registry). It feeds the
 * machine client requests, peer replication batches and timer ticks, executes its outputs (replies, events,
 * replication), replicates to the other nodes' registry actors in batches, and syncs from peers at start.
 *
 * Replication per peer, as Eureka's TaskDispatcher: pending tasks keyed `action#APP/id` (a newer task replaces a
 * pending one), at most `replicationBufferMax` (oldest dropped), batches of at most `replicationBatchItemsMax`
 * sent when the oldest task is `replicationBatchDelayMs` old or a batch is full, one batch in flight per peer,
 * failures re-queued with exponential back-off, tasks older than `replicationTaskExpiryMs` dropped. A peer that
 * answers a replicated heartbeat with 404 gets a Register of our copy; 409 makes us adopt the peer's copy.
 */
import type { Ctx } from '../src/kernel/actor.js';
import { defineActor } from '../src/kernel/actor.js';
import { assertNever } from '../src/core/never.js';
import type { Address } from '../src/protocol/envelope.js';
import { gzipSync } from 'node:zlib';
import type { ReadKey, RegistryReply, RegistryRequest } from '../src/core/registry/messages.js';
import { encodeAppJson, encodeAppXml, encodeAppsJson, encodeAppsXml } from '../src/wire/eureka/codec.js';
import type { RegistryState } from '../src/core/registry/machine.js';
import {
  accessAllowed,
  allInstances,
  appView,
  deltaView,
  fullView,
  initRegistry,
  instanceById,
  instanceView,
  leaseOf,
  overrideEntries,
  stats,
  step,
  viewOf,
} from '../src/core/registry/machine.js';
import type {
  InstanceInfo,
  InstanceStatus,
  RegistryConfig,
  RegistryInput,
  RegistryOutput,
  ReplicationItem,
  ReplicationResult,
} from '../src/core/registry/types.js';

/** Items per replication batch (Eureka: 250). */
export const replicationBatchItemsMax = 250;
/** Pending replication tasks per peer (Eureka: 10,000); the oldest are dropped. */
export const replicationBufferMax = 10_000;
/** Peers one registry actor replicates to. */
export const registryPeersMax = 64;

export interface ReplicationOptions {
  /** Send a batch when its oldest task is this old (Eureka: 500 ms). */
  readonly batchDelayMs: number;
  /** Tasks not delivered within this are dropped (Eureka: 30 s). */
  readonly taskExpiryMs: number;
  /** How long a peer has to answer a batch. */
  readonly askTimeoutMs: number;
  readonly retryBackoffInitialMs: number;
  readonly retryBackoffMaxMs: number;
}

export const defaultReplicationOptions: ReplicationOptions = {
  batchDelayMs: 500,
  taskExpiryMs: 30_000,
  askTimeoutMs: 5_000,
  retryBackoffInitialMs: 100,
  retryBackoffMaxMs: 5_000,
};

export interface RegistryArgs {
  /** The other nodes' registry actors, e.g. ['n2/registry', 'n3/registry']. */
  readonly peers?: readonly Address[];
  readonly config?: Partial<RegistryConfig>;
  readonly replication?: Partial<ReplicationOptions>;
  /** How long a peer has to answer the startup sync request. */
  readonly syncAskTimeoutMs?: number;
}

interface Task {
  readonly item: ReplicationItem;
  readonly enqueuedMs: number;
}

interface PeerQueue {
  readonly peer: Address;
  readonly pending: Map<string, Task>;
  inFlight: boolean;
  failures: number;
  backoffUntilMs: number;
}

interface State {
  readonly reg: RegistryState;
  readonly peers: Map<Address, PeerQueue>;
  readonly repl: ReplicationOptions;
  readonly syncAskTimeoutMs: number;
  syncing: boolean;
  syncAttempt: number;
  syncOutstanding: number;
  syncAnswered: number;
  deltaVersion: number;
}

type Timer =
  | { readonly type: 'EvictionTick' }
  | { readonly type: 'ThresholdTick' }
  | { readonly type: 'DeltaPruneTick' }
  | { readonly type: 'ReplicationFlush'; readonly peer: Address }
  | { readonly type: 'SyncStart' };

type Internal =
  | { readonly type: 'PeerSynced'; readonly peer: Address; readonly attempt: number; readonly instances: readonly InstanceInfo[]; readonly overrides: readonly (readonly [string, InstanceStatus])[] }
  | { readonly type: 'PeerSyncFailed'; readonly peer: Address; readonly attempt: number; readonly reason: string }
  | { readonly type: 'BatchDone'; readonly peer: Address; readonly items: readonly ReplicationItem[]; readonly results: readonly ReplicationResult[] }
  | { readonly type: 'BatchFailed'; readonly peer: Address; readonly tasks: readonly Task[]; readonly reason: string; readonly timeout: boolean }
  /** A permanent failure (the peer rejected the batch): its items are discarded, as Eureka does. */
  | { readonly type: 'BatchDropped'; readonly peer: Address; readonly items: number; readonly reason: string };

export type RegistryActorMsg = RegistryRequest | Timer | Internal;

type RCtx = Ctx<RegistryActorMsg>;

function taskId(item: ReplicationItem): string {
  return `${item.action}#${item.appName}/${item.id}`;
}

function errText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** Run one machine input and execute its outputs; returns the Reply output, if any. */
function run(s: State, input: RegistryInput, ctx: RCtx): Extract<RegistryOutput, { type: 'Reply' }> | null {
  const { out } = step(s.reg, input);
  let reply: Extract<RegistryOutput, { type: 'Reply' }> | null = null;
  for (const o of out) {
    switch (o.type) {
      case 'Reply':
        reply = o;
        break;
      case 'Replicate':
        for (const q of s.peers.values()) enqueue(s, q, o.item, input.nowMs, ctx);
        break;
      case 'Invalidate':
        break; // the front end's cache compares mutation counts
      case 'Event':
        ctx.emit(o.event);
        break;
      default:
        assertNever(o);
    }
  }
  return reply;
}

function enqueue(s: State, q: PeerQueue, item: ReplicationItem, nowMs: number, ctx: RCtx): void {
  const id = taskId(item);
  q.pending.delete(id); // a newer task replaces a pending one with the same id (and goes to the back)
  q.pending.set(id, { item, enqueuedMs: nowMs });
  if (q.pending.size > replicationBufferMax) {
    const oldest = q.pending.keys().next().value;
    if (oldest !== undefined) q.pending.delete(oldest);
  }
  maybeFlush(s, q, nowMs, ctx);
}

/** Send a batch now if one is due, else make sure a flush timer is set. */
function maybeFlush(s: State, q: PeerQueue, nowMs: number, ctx: RCtx): void {
  if (q.inFlight || q.pending.size === 0) return;
  const oldest = q.pending.values().next().value!;
  const dueMs = Math.max(oldest.enqueuedMs + s.repl.batchDelayMs, q.backoffUntilMs);
  if (q.pending.size < replicationBatchItemsMax || nowMs < q.backoffUntilMs) {
    if (nowMs < dueMs) {
      ctx.schedule(`flush:${q.peer}`, dueMs - nowMs, { type: 'ReplicationFlush', peer: q.peer });
      return;
    }
  }
  sendBatch(s, q, nowMs, ctx);
}

function sendBatch(s: State, q: PeerQueue, nowMs: number, ctx: RCtx): void {
  const tasks: Task[] = [];
  let expired = 0;
  for (const [id, t] of q.pending) {
    if (tasks.length >= replicationBatchItemsMax) break;
    q.pending.delete(id);
    if (nowMs - t.enqueuedMs > s.repl.taskExpiryMs) {
      expired++;
      continue;
    }
    tasks.push(t);
  }
  if (expired > 0) ctx.emit({ type: 'ReplicationFailed', peer: q.peer, items: expired, reason: 'expired', willRetry: false });
  if (tasks.length === 0) {
    maybeFlush(s, q, nowMs, ctx);
    return;
  }
  q.inFlight = true;
  const items = tasks.map((t) => t.item);
  const peer = q.peer;
  const self = ctx.self;
  ctx
    .ask<RegistryReply>(peer, { type: 'EurekaReplicationBatch', items } satisfies RegistryRequest, s.repl.askTimeoutMs)
    .then(
      (r) => {
        if (r.type === 'EurekaReplicationBatchResult') ctx.send(self, { type: 'BatchDone', peer, items, results: r.results } satisfies Internal);
        else if (r.type === 'EurekaPeerUnavailable' && r.failure === 'permanent') ctx.send(self, { type: 'BatchDropped', peer, items: items.length, reason: r.reason } satisfies Internal);
        else ctx.send(self, { type: 'BatchFailed', peer, tasks, reason: r.type === 'EurekaPeerUnavailable' ? r.reason : `unexpected reply ${r.type}`, timeout: r.type === 'EurekaPeerUnavailable' && r.failure === 'congestion' } satisfies Internal);
      },
      (e: unknown) => ctx.send(self, { type: 'BatchFailed', peer, tasks, reason: errText(e), timeout: e instanceof Error && e.name === 'AskTimeoutError' } satisfies Internal),
    );
}

function startSync(s: State, ctx: RCtx): void {
  s.syncAttempt++;
  s.syncOutstanding = s.peers.size;
  const attempt = s.syncAttempt;
  const self = ctx.self;
  for (const peer of s.peers.keys()) {
    ctx
      .ask<RegistryReply>(peer, { type: 'EurekaSyncRequest' } satisfies RegistryRequest, s.syncAskTimeoutMs)
      .then(
        (r) => {
          if (r.type === 'EurekaSyncSnapshot') ctx.send(self, { type: 'PeerSynced', peer, attempt, instances: r.instances, overrides: r.overrides } satisfies Internal);
          else ctx.send(self, { type: 'PeerSyncFailed', peer, attempt, reason: `unexpected reply ${r.type}` } satisfies Internal);
        },
        (e: unknown) => ctx.send(self, { type: 'PeerSyncFailed', peer, attempt, reason: errText(e) } satisfies Internal),
      );
  }
}

function open(s: State, ctx: RCtx, peerAnswered: boolean): void {
  s.syncing = false;
  run(s, { type: 'OpenForTraffic', nowMs: ctx.now(), peerAnswered }, ctx);
  ctx.emit({ type: 'RegistrySynced', instances: s.reg.size, peersAnswered: s.syncAnswered, peers: s.peers.size });
}

function syncSettled(s: State, ctx: RCtx): void {
  if (!s.syncing || s.syncOutstanding > 0) return;
  if (s.syncAnswered > 0) open(s, ctx, true);
  else if (s.syncAttempt >= s.reg.config.registrySyncRetriesMax) open(s, ctx, false);
  else ctx.schedule('sync', s.reg.config.registrySyncRetryWaitMs, { type: 'SyncStart' });
}

function read(s: State, key: ReadKey, haveMutation: number | undefined, nowMs: number): RegistryReply {
  const mutation = s.reg.mutations;
  if (key.kind !== 'instance' && key.kind !== 'instanceById') {
    if (!accessAllowed(s.reg, nowMs)) return { type: 'EurekaReadResult', code: 403, mutation };
    if (haveMutation === mutation) return { type: 'EurekaReadResult', code: 304, mutation };
  }
  switch (key.kind) {
    case 'apps':
      return { type: 'EurekaReadResult', code: 200, mutation, apps: fullView(s.reg) };
    case 'delta':
      s.deltaVersion++;
      return { type: 'EurekaReadResult', code: 200, mutation, apps: deltaView(s.reg, String(s.deltaVersion)) };
    case 'app': {
      const app = appView(s.reg, key.name);
      return app === null ? { type: 'EurekaReadResult', code: 404, mutation } : { type: 'EurekaReadResult', code: 200, mutation, app };
    }
    case 'vip':
    case 'svip': {
      const v = fullView(s.reg);
      const secure = key.kind === 'svip';
      const applications = v.applications
        .map((a) => ({ name: a.name, instances: a.instances.filter((i) => ((secure ? i.secureVipAddress : i.vipAddress) ?? '').split(',').some((x) => x.trim() === key.name)) }))
        .filter((a) => a.instances.length > 0);
      return { type: 'EurekaReadResult', code: 200, mutation, apps: { ...v, applications } };
    }
    case 'instance': {
      const i = instanceView(s.reg, key.app, key.id, nowMs);
      return i === null ? { type: 'EurekaReadResult', code: 404, mutation } : { type: 'EurekaReadResult', code: 200, mutation, instance: i };
    }
    case 'instanceById': {
      const i = instanceById(s.reg, key.id, nowMs);
      return i === null ? { type: 'EurekaReadResult', code: 404, mutation } : { type: 'EurekaReadResult', code: 200, mutation, instance: i };
    }
    default:
      return assertNever(key);
  }
}

/** The read answer as bytes-to-be: the document encoded here (on the registry's thread) instead of the view. */
function encoded(
  r: Extract<RegistryReply, { type: 'EurekaReadResult' }>,
  e: { readonly format: 'json' | 'xml'; readonly compact: boolean; readonly gzip: boolean },
): RegistryReply {
  const o = { compact: e.compact };
  let body: string | undefined;
  if (r.app !== undefined) body = e.format === 'json' ? encodeAppJson(r.app, o) : encodeAppXml(r.app, o);
  else if (r.apps !== undefined) body = e.format === 'json' ? encodeAppsJson(r.apps, o) : encodeAppsXml(r.apps, o);
  if (body === undefined) return r;
  const { apps: _a, app: _b, ...rest } = r;
  return { ...rest, body, ...(e.gzip ? { gz: gzipSync(body) } : {}) };
}

function replyOf(r: Extract<RegistryOutput, { type: 'Reply' }> | null): RegistryReply {
  if (r === null) return { type: 'EurekaReply', code: 500, error: 'no reply from registry machine' };
  return { type: 'EurekaReply', code: r.code, ...(r.instanceInfo !== undefined ? { instanceInfo: r.instanceInfo } : {}), ...(r.error !== undefined ? { error: r.error } : {}) };
}

/** Apply one replicated item (PeerReplicationResource.dispatch); per-item failure is item 500, never a throw. */
function applyReplicated(s: State, it: ReplicationItem, nowMs: number, ctx: RCtx): ReplicationResult {
  let r: Extract<RegistryOutput, { type: 'Reply' }> | null;
  switch (it.action) {
    case 'Register':
      if (it.instanceInfo === undefined) return { statusCode: 400 };
      r = run(s, { type: 'Register', nowMs, info: it.instanceInfo, replication: true }, ctx);
      return { statusCode: r?.code === 204 ? 200 : (r?.code ?? 500) };
    case 'Heartbeat':
      r = run(
        s,
        {
          type: 'Renew',
          nowMs,
          app: it.appName,
          id: it.id,
          replication: true,
          ...(it.overriddenStatus !== undefined ? { overriddenStatus: it.overriddenStatus } : {}),
          ...(it.lastDirtyTimestamp !== undefined ? { lastDirtyTimestamp: it.lastDirtyTimestamp } : {}),
        },
        ctx,
      );
      return { statusCode: r?.code ?? 500, ...(r?.instanceInfo !== undefined ? { instanceInfo: r.instanceInfo } : {}) };
    case 'Cancel':
      r = run(s, { type: 'Cancel', nowMs, app: it.appName, id: it.id, replication: true }, ctx);
      return { statusCode: r?.code ?? 500 };
    case 'StatusUpdate':
      if (it.status === undefined) return { statusCode: 400 };
      r = run(
        s,
        { type: 'StatusUpdate', nowMs, app: it.appName, id: it.id, value: it.status, replication: true, ...(it.lastDirtyTimestamp !== undefined ? { lastDirtyTimestamp: it.lastDirtyTimestamp } : {}) },
        ctx,
      );
      return { statusCode: r?.code ?? 500 };
    case 'DeleteStatusOverride':
      r = run(
        s,
        {
          type: 'DeleteStatusOverride',
          nowMs,
          app: it.appName,
          id: it.id,
          replication: true,
          ...(it.status !== undefined ? { value: it.status } : {}),
          ...(it.lastDirtyTimestamp !== undefined ? { lastDirtyTimestamp: it.lastDirtyTimestamp } : {}),
        },
        ctx,
      );
      return { statusCode: r?.code ?? 500 };
    default:
      return assertNever(it.action);
  }
}

export const registry = defineActor<State, RegistryActorMsg, RegistryArgs | undefined>({
  init(ctx, args) {
    const peers = new Map<Address, PeerQueue>();
    for (const p of (args?.peers ?? []).slice(0, registryPeersMax)) {
      if (p === ctx.self) continue;
      peers.set(p, { peer: p, pending: new Map(), inFlight: false, failures: 0, backoffUntilMs: 0 });
    }
    const reg = initRegistry(args?.config ?? {}, ctx.now());
    const s: State = {
      reg,
      peers,
      repl: { ...defaultReplicationOptions, ...args?.replication },
      syncAskTimeoutMs: args?.syncAskTimeoutMs ?? 2_000,
      syncing: true,
      syncAttempt: 0,
      syncOutstanding: 0,
      syncAnswered: 0,
      deltaVersion: 0,
    };
    const c = reg.config;
    ctx.schedule('evict', c.evictionIntervalMs, { type: 'EvictionTick' });
    ctx.schedule('threshold', c.renewalThresholdUpdateIntervalMs, { type: 'ThresholdTick' });
    ctx.schedule('prune', c.deltaRetentionTimerIntervalMs, { type: 'DeltaPruneTick' });
    if (peers.size === 0) open(s, ctx, true);
    else startSync(s, ctx);
    return s;
  },

  receive(s, m, ctx) {
    const nowMs = ctx.now();
    switch (m.type) {
      case 'EurekaRegister':
        ctx.reply(replyOf(run(s, { type: 'Register', nowMs, info: m.info, replication: false }, ctx)));
        return s;
      case 'EurekaRenew':
        ctx.reply(
          replyOf(
            run(
              s,
              {
                type: 'Renew',
                nowMs,
                app: m.app,
                id: m.id,
                replication: false,
                ...(m.lastDirtyTimestamp !== undefined ? { lastDirtyTimestamp: m.lastDirtyTimestamp } : {}),
                ...(m.overriddenStatus !== undefined ? { overriddenStatus: m.overriddenStatus } : {}),
              },
              ctx,
            ),
          ),
        );
        return s;
      case 'EurekaCancel':
        ctx.reply(replyOf(run(s, { type: 'Cancel', nowMs, app: m.app, id: m.id, replication: false }, ctx)));
        return s;
      case 'EurekaStatusUpdate':
        ctx.reply(
          replyOf(
            run(
              s,
              { type: 'StatusUpdate', nowMs, app: m.app, id: m.id, value: m.value, replication: false, ...(m.lastDirtyTimestamp !== undefined ? { lastDirtyTimestamp: m.lastDirtyTimestamp } : {}) },
              ctx,
            ),
          ),
        );
        return s;
      case 'EurekaDeleteStatusOverride':
        ctx.reply(
          replyOf(
            run(
              s,
              {
                type: 'DeleteStatusOverride',
                nowMs,
                app: m.app,
                id: m.id,
                replication: false,
                ...(m.value !== undefined ? { value: m.value } : {}),
                ...(m.lastDirtyTimestamp !== undefined ? { lastDirtyTimestamp: m.lastDirtyTimestamp } : {}),
              },
              ctx,
            ),
          ),
        );
        return s;
      case 'EurekaUpdateMetadata':
        ctx.reply(replyOf(run(s, { type: 'UpdateMetadata', nowMs, app: m.app, id: m.id, metadata: m.metadata }, ctx)));
        return s;
      case 'EurekaReplicationBatch': {
        const results = m.items.map((it) => applyReplicated(s, it, nowMs, ctx));
        ctx.reply({ type: 'EurekaReplicationBatchResult', results } satisfies RegistryReply);
        return s;
      }
      case 'EurekaRead': {
        const r = read(s, m.key, m.haveMutation, nowMs);
        ctx.reply(m.encode !== undefined && r.type === 'EurekaReadResult' && r.code === 200 ? encoded(r, m.encode) : r);
        return s;
      }
      case 'EurekaStats': {
        let pending = 0;
        for (const q of s.peers.values()) pending += q.pending.size;
        ctx.reply({ type: 'EurekaStatsResult', stats: stats(s.reg), node: ctx.node, peers: [...s.peers.keys()], replicationPending: pending } satisfies RegistryReply);
        return s;
      }
      case 'EurekaOverrides':
        ctx.reply({ type: 'EurekaOverridesResult', overrides: overrideEntries(s.reg) } satisfies RegistryReply);
        return s;
      case 'EurekaSyncRequest': {
        ctx.reply({ type: 'EurekaSyncSnapshot', instances: allInstances(s.reg), overrides: overrideEntries(s.reg) } satisfies RegistryReply);
        // A peer asking proves it is up: if we are still waiting to sync, try again now instead of after the wait.
        if (s.syncing && s.syncOutstanding === 0) {
          ctx.cancel('sync');
          startSync(s, ctx);
        }
        return s;
      }
      case 'EvictionTick':
        run(s, { type: 'Evict', nowMs, seed: Math.floor(ctx.random() * 4294967296) }, ctx);
        ctx.schedule('evict', s.reg.config.evictionIntervalMs, { type: 'EvictionTick' });
        return s;
      case 'ThresholdTick':
        run(s, { type: 'UpdateRenewalThreshold', nowMs }, ctx);
        ctx.schedule('threshold', s.reg.config.renewalThresholdUpdateIntervalMs, { type: 'ThresholdTick' });
        return s;
      case 'DeltaPruneTick':
        run(s, { type: 'PruneDelta', nowMs }, ctx);
        ctx.schedule('prune', s.reg.config.deltaRetentionTimerIntervalMs, { type: 'DeltaPruneTick' });
        return s;
      case 'ReplicationFlush': {
        const q = s.peers.get(m.peer);
        if (q !== undefined && !q.inFlight && q.pending.size > 0) {
          if (nowMs < q.backoffUntilMs) maybeFlush(s, q, nowMs, ctx);
          else sendBatch(s, q, nowMs, ctx);
        }
        return s;
      }
      case 'SyncStart':
        if (s.syncing) startSync(s, ctx);
        return s;
      case 'PeerSynced':
        if (m.attempt === s.syncAttempt) s.syncOutstanding--;
        if (!s.syncing) return s; // a late copy is stale by now (it could revive cancelled instances): ignored
        s.syncAnswered++;
        run(s, { type: 'SyncFromPeer', nowMs, instances: m.instances, overrides: m.overrides }, ctx);
        syncSettled(s, ctx);
        return s;
      case 'PeerSyncFailed':
        if (m.attempt === s.syncAttempt) s.syncOutstanding--;
        syncSettled(s, ctx);
        return s;
      case 'BatchDone': {
        const q = s.peers.get(m.peer);
        if (q === undefined) return s;
        q.inFlight = false;
        q.failures = 0;
        q.backoffUntilMs = 0;
        m.results.forEach((r, i) => {
          const item = m.items[i];
          if (item === undefined) return;
          if (item.action === 'Heartbeat' && r.statusCode === 404) {
            // the peer does not know the instance (or holds an older copy): send it our copy
            const l = leaseOf(s.reg, item.appName, item.id);
            if (l !== undefined) enqueue(s, q, { action: 'Register', appName: item.appName, id: item.id, instanceInfo: viewOf(l) }, nowMs, ctx);
          } else if (item.action === 'Heartbeat' && r.statusCode === 409 && r.instanceInfo !== undefined) {
            run(s, { type: 'AdoptPeerCopy', nowMs, info: r.instanceInfo }, ctx);
          }
        });
        maybeFlush(s, q, nowMs, ctx);
        return s;
      }
      case 'BatchDropped': {
        const q = s.peers.get(m.peer);
        if (q === undefined) return s;
        q.inFlight = false;
        ctx.emit({ type: 'ReplicationFailed', peer: m.peer, items: m.items, reason: m.reason, willRetry: false });
        maybeFlush(s, q, nowMs, ctx);
        return s;
      }
      case 'BatchFailed': {
        const q = s.peers.get(m.peer);
        if (q === undefined) return s;
        q.inFlight = false;
        q.failures++;
        // Re-queue at the front unless a newer task with the same id arrived meanwhile.
        const rest = [...q.pending];
        const restIds = new Set(q.pending.keys());
        q.pending.clear();
        let requeued = 0;
        for (const t of m.tasks) {
          const id = taskId(t.item);
          if (restIds.has(id)) continue;
          if (nowMs - t.enqueuedMs > s.repl.taskExpiryMs) continue;
          q.pending.set(id, t);
          requeued++;
        }
        for (const [k, t] of rest) q.pending.set(k, t);
        while (q.pending.size > replicationBufferMax) {
          const oldest = q.pending.keys().next().value;
          if (oldest === undefined) break;
          q.pending.delete(oldest);
        }
        const base = m.timeout ? Math.max(1_000, s.repl.retryBackoffInitialMs) : s.repl.retryBackoffInitialMs;
        const backoffMs = Math.min(s.repl.retryBackoffMaxMs, base * 2 ** Math.min(16, q.failures - 1));
        q.backoffUntilMs = nowMs + backoffMs;
        if (q.failures === 1 || q.failures % 10 === 0) {
          ctx.emit({ type: 'ReplicationFailed', peer: m.peer, items: m.tasks.length, reason: m.reason, willRetry: requeued > 0 });
        }
        maybeFlush(s, q, nowMs, ctx);
        return s;
      }
      default:
        return assertNever(m);
    }
  },
  mailboxCapacity: 100_000,
});

/** The registry actor of `node` in a cluster of `nodes`, peered with every other node's registry (full mesh). */
export function registryActorSpec(
  node: string,
  nodes: readonly string[],
  opts: { readonly config?: Partial<RegistryConfig>; readonly replication?: Partial<ReplicationOptions>; readonly syncAskTimeoutMs?: number; readonly extraPeers?: readonly Address[] } = {},
): { readonly name: 'registry'; readonly kind: 'registry'; readonly args: RegistryArgs } {
  return {
    name: 'registry',
    kind: 'registry',
    args: {
      peers: [...nodes.filter((n) => n !== node).map((n) => `${n}/registry`), ...(opts.extraPeers ?? [])],
      ...(opts.config !== undefined ? { config: opts.config } : {}),
      ...(opts.replication !== undefined ? { replication: opts.replication } : {}),
      ...(opts.syncAskTimeoutMs !== undefined ? { syncAskTimeoutMs: opts.syncAskTimeoutMs } : {}),
    },
  };
}
