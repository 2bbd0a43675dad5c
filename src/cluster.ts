/**
 * createCluster(): the embedding API. Starts a ZooKeeper-style ensemble (election, broadcast, storage and the
 * ZooKeeper service actor on every node) on the chosen driver and hands back a client API, the event stream, the
 * fault API and `leader()`.
 */
import { logEvents, type Logger } from './log.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Observable, concat, filter, from, take, type Subscriber } from 'rxjs';
import { ofType } from './kernel/events.js';
import { registryActorSpec } from '../actors/registry.js';
import type { ActorSpec } from './kernel/actor.js';
import type { Address, AnyMessage, Message } from './protocol/envelope.js';
import type { NodeSpec, Runtime } from './runtime/driver.js';
import { createSimRuntime } from './runtime/sim/index.js';
import type { SimNetOptions, SimRuntime } from './runtime/sim/index.js';
import { createThreadsRuntime } from './runtime/threads/index.js';
import { createTcpRuntime } from './runtime/tcp/index.js';
import type { ClusterEvent } from './protocol/events.js';
import type { Fault } from './protocol/faults.js';
import type { Acl, OpResult, ReadRequest, ReadResult, SessionId, Stat, WriteOpRequest, WriteRequest, WriteResult } from './protocol/txn.js';
import { Err, OPEN_ACL_UNSAFE } from './protocol/txn.js';
import type { PersistentWatchMode, WatchKind, WatcherType, ZkReply } from './protocol/zookeeper.js';
import { frontEndActors, startFrontEnds } from './servers/front-ends.js';
import type { RedisListener } from './servers/redis/listener.js';
import { NodeMetrics } from './servers/admin/metrics.js';

export interface ClusterOptions {
  /** Ensemble size (default 3). */
  readonly nodes?: number;
  /** How many of those (the last ones) are observers: they serve clients and follow, but never vote (default 0). */
  readonly observers?: number;
  readonly runtime?: 'threads' | 'sim' | 'tcp';
  /** Where nodes keep their files (`<dataDir>/<node>`); a temporary directory (removed on close) if absent. */
  readonly dataDir?: string;
  readonly seed?: number;
  /** ZAB and session tick (default 50 ms). */
  readonly tickMs?: number;
  /** Simulator network (runtime 'sim'). */
  readonly net?: Partial<SimNetOptions>;
  /** Take a snapshot after this many applied txns (default 100,000). */
  readonly snapshotEveryTxns?: number;
  /** How often the leader reaps empty containers and expired TTL nodes (default 60 s, as ZooKeeper). */
  readonly reapIntervalMs?: number;
  /** The Eureka registry actors' configuration and replication options. */
  readonly registry?: Parameters<typeof registryActorSpec>[2];
  /**
   * Each node's RESP (Redis) port: node i listens on `redisBasePort + i` on `redisHost` (default 0: free ports,
   * 127.0.0.1); 'off': none. Not in the simulator. `Cluster.redisPorts` tells where they are.
   */
  readonly redisBasePort?: number | 'off';
  readonly redisHost?: string;
  /** Where the cluster's notable events (elections, syncs, snapshots, faults, ...) and the RESP ports log (default: nowhere). */
  readonly logger?: Logger;
  /** runtime 'tcp': each node in its own network namespace, partitions as routes (root only; src/runtime/tcp/netns.ts). */
  readonly netns?: boolean;
}

/** A ZooKeeper error code from the replicated state machine (e.g. NONODE, NODEEXISTS, BADVERSION). */
export class ZkError extends Error {
  constructor(
    readonly code: number,
    what: string,
  ) {
    super(`${what}: ${errName(code)} (${code})`);
    this.name = 'ZkError';
  }
}

/** The cluster could not carry the request out (no leader yet, node down, timeout): safe to retry. */
export class ZkUnavailableError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'ZkUnavailableError';
  }
}

function errName(code: number): string {
  for (const [k, v] of Object.entries(Err)) if (v === code) return k;
  return 'UNKNOWN';
}

/** Extra time a client allows beyond the service's own request timeout. */
const clientAskMarginMs = 2_000;
const serviceRequestTimeoutMs = 10_000;
/** waitForLeader / waitForAllServing: each node's status ask times out after this; polls are this far apart. */
const statusAskTimeoutMs = 1_000;
const statusPollPauseMs = 20;
/** Longest pause between connect attempts while the ensemble elects. */
const connectRetryMaxMs = 200;

export interface CreateOptions {
  /** CreateMode flag: 0 persistent, 1 ephemeral, 2 persistent sequential, 3 ephemeral sequential, 4 container, 5/6 TTL. */
  readonly mode?: number;
  readonly acl?: readonly Acl[];
  readonly ttlMs?: number;
}

export interface WatchEvent {
  readonly path: string;
  readonly event: 'NodeCreated' | 'NodeDeleted' | 'NodeDataChanged' | 'NodeChildrenChanged';
  readonly zxid: number;
}

const enc = new TextEncoder();
const bytes = (d: Uint8Array | string | undefined): Uint8Array => (d === undefined ? new Uint8Array(0) : typeof d === 'string' ? enc.encode(d) : d);

/**
 * How a ZkClient reaches a node's `<node>/zookeeper` actor: a `Runtime` (embedded), a kernel `Host` plus its event
 * stream (a node process), or any control channel into one.
 */
export interface ZkGateway {
  ask<R extends Message = Message>(to: Address, msg: AnyMessage, timeoutMs: number): Promise<R>;
  send(to: Address, msg: AnyMessage): void;
  /** At least the WatchTriggered events of the node (for `watch()`). */
  readonly events$: Observable<ClusterEvent>;
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** Whether a persistent watch of `mode` on `base` sees event `e` (ZooKeeper's client-side dispatch). */
function persistentWatchSees(base: string, mode: PersistentWatchMode, e: WatchEvent): boolean {
  if (mode === 'persistent') return e.path === base;
  if (e.event === 'NodeChildrenChanged') return false;
  return e.path === base || e.path.startsWith(base === '/' ? '/' : `${base}/`);
}

/** A session on one node, with ZooKeeper's operations. */
export class ZkClient {
  /** The subscribers of this client's persistent watches, by `${mode} ${path}`. */
  private readonly persistentWatchers = new Map<string, Set<Subscriber<WatchEvent>>>();

  constructor(
    private readonly gateway: ZkGateway,
    readonly node: string,
    readonly sessionId: SessionId,
    readonly timeoutMs: number,
    /** How long one request may wait for its answer before it fails as unavailable (outcome unknown). */
    readonly requestTimeoutMs: number = serviceRequestTimeoutMs + clientAskMarginMs,
  ) {}

  private get addr(): string {
    return `${this.node}/zookeeper`;
  }

  private async call(msg: { type: string; [k: string]: unknown }): Promise<ZkReply> {
    let r: ZkReply;
    try {
      r = await this.gateway.ask<ZkReply>(this.addr, msg, this.requestTimeoutMs);
    } catch (e) {
      throw new ZkUnavailableError(`${this.node}: ${(e as Error).message}`);
    }
    if (r.type === 'ZkFailed') throw new ZkUnavailableError(`${this.node}: ${r.reason}`);
    return r;
  }

  async write(request: WriteRequest): Promise<{ zxid: number; result: WriteResult }> {
    const r = await this.call({ type: 'ZkWrite', sessionId: this.sessionId, request });
    if (r.type !== 'ZkWriteDone') throw new Error(`unexpected ${r.type}`);
    return { zxid: r.zxid, result: r.result };
  }

  async read(request: ReadRequest, watch?: WatchKind): Promise<{ zxid: number; result: ReadResult }> {
    const r = await this.call({ type: 'ZkRead', sessionId: this.sessionId, request, ...(watch ? { watch } : {}) });
    if (r.type !== 'ZkReadDone') throw new Error(`unexpected ${r.type}`);
    return { zxid: r.zxid, result: r.result };
  }

  private static check<T extends { type: string }>(r: T | { type: 'Error'; err: number }, what: string): T {
    if (r.type === 'Error') throw new ZkError((r as { err: number }).err, what);
    return r as T;
  }

  /** Create a znode; resolves with its path (sequential nodes get their suffix). */
  async create(path: string, data?: Uint8Array | string, opts: CreateOptions = {}): Promise<string> {
    const req: WriteOpRequest = { type: 'Create', path, data: bytes(data), acl: opts.acl ?? OPEN_ACL_UNSAFE, mode: opts.mode ?? 0, ...(opts.ttlMs !== undefined ? { ttlMs: opts.ttlMs } : {}) };
    const { result } = await this.write(req);
    return ZkClient.check(result as OpResult, `create ${path}`).type === 'Create' ? (result as { path: string }).path : path;
  }

  async setData(path: string, data: Uint8Array | string, version = -1): Promise<Stat> {
    const { result } = await this.write({ type: 'SetData', path, data: bytes(data), version });
    return (ZkClient.check(result as OpResult, `setData ${path}`) as { stat: Stat }).stat;
  }

  async delete(path: string, version = -1): Promise<void> {
    const { result } = await this.write({ type: 'Delete', path, version });
    ZkClient.check(result as OpResult, `delete ${path}`);
  }

  async getData(path: string, watch = false): Promise<{ data: Uint8Array; stat: Stat }> {
    const { result } = await this.read({ type: 'GetData', path }, watch ? 'data' : undefined);
    return ZkClient.check(result, `getData ${path}`) as { data: Uint8Array; stat: Stat };
  }

  async exists(path: string, watch = false): Promise<Stat | null> {
    const { result } = await this.read({ type: 'Exists', path }, watch ? 'exists' : undefined);
    if (result.type === 'Error' && result.err === Err.NONODE) return null;
    return (ZkClient.check(result, `exists ${path}`) as { stat: Stat }).stat;
  }

  async getChildren(path: string, watch = false): Promise<string[]> {
    const { result } = await this.read({ type: 'GetChildren', path }, watch ? 'children' : undefined);
    return [...(ZkClient.check(result, `getChildren ${path}`) as { children: readonly string[] }).children];
  }

  /** All-or-nothing: resolves with every op's result (a failed multi's results say which op failed). */
  async multi(ops: readonly WriteOpRequest[]): Promise<readonly OpResult[]> {
    const { result } = await this.write({ type: 'Multi', ops });
    if (result.type !== 'Multi') throw new Error(`unexpected ${result.type}`);
    return result.results;
  }

  /** After sync, reads on this client's node see every write committed before it. */
  async sync(): Promise<number> {
    const r = await this.call({ type: 'ZkSync', sessionId: this.sessionId });
    if (r.type !== 'ZkSynced') throw new Error(`unexpected ${r.type}`);
    return r.zxid;
  }

  /**
   * A one-shot watch as an Observable: sets the watch with a read (`data`: getData, `exists`: exists,
   * `children`: getChildren) and emits the first event for this session and path, then completes.
   */
  watch(path: string, kind: WatchKind): Observable<WatchEvent> {
    return new Observable<WatchEvent>((sub) => {
      const s = this.gateway.events$
        .pipe(
          ofType('WatchTriggered'),
          filter((e) => e.sessionId === this.sessionId && e.path === path),
          take(1),
        )
        .subscribe({ next: (e) => sub.next({ path: e.path, event: e.event, zxid: e.zxid }), complete: () => sub.complete() });
      const req: ReadRequest = kind === 'data' ? { type: 'GetData', path } : kind === 'exists' ? { type: 'Exists', path } : { type: 'GetChildren', path };
      this.read(req, kind).then(
        (r) => {
          if (r.result.type === 'Error' && !(kind === 'exists' && r.result.err === Err.NONODE)) sub.error(new ZkError(r.result.err, `watch ${path}`));
        },
        (e) => sub.error(e),
      );
      return () => s.unsubscribe();
    });
  }

  /**
   * A persistent watch as an Observable (ZooKeeper's addWatch; the node need not exist). `persistent` emits every
   * NodeCreated, NodeDeleted, NodeDataChanged and NodeChildrenChanged of `path`; `persistentRecursive` every
   * NodeCreated, NodeDeleted and NodeDataChanged of `path` and of every node below it. It fires until unsubscribed
   * (the last subscriber of a path and mode removes the watch on the node) or until `removeWatches` removes it
   * (then it completes); it errors if the node refuses it (ZkError QUOTAEXCEEDED: too many watches).
   */
  addWatch(path: string, mode: PersistentWatchMode): Observable<WatchEvent> {
    return new Observable<WatchEvent>((sub) => {
      const key = `${mode} ${path}`;
      let subs = this.persistentWatchers.get(key);
      if (subs === undefined) this.persistentWatchers.set(key, (subs = new Set()));
      subs.add(sub);
      const s = this.gateway.events$
        .pipe(
          ofType('WatchTriggered'),
          filter((e) => e.node === this.node && e.sessionId === this.sessionId && persistentWatchSees(path, mode, e)),
        )
        .subscribe((e) => sub.next({ path: e.path, event: e.event, zxid: e.zxid }));
      this.call({ type: 'ZkAddWatch', sessionId: this.sessionId, path, mode }).then(
        (r) => {
          if (r.type !== 'ZkWatchAdded') sub.error(new Error(`unexpected ${r.type}`));
          else if (!r.added) sub.error(new ZkError(Err.QUOTAEXCEEDED, `addWatch ${path}: ${r.reason ?? 'refused'}`));
        },
        (e) => sub.error(e),
      );
      return () => {
        s.unsubscribe();
        const left = this.persistentWatchers.get(key);
        if (left === undefined || !left.delete(sub)) return;
        if (left.size === 0) {
          this.persistentWatchers.delete(key);
          this.gateway.send(this.addr, { type: 'ZkRemoveWatches', sessionId: this.sessionId, path, watcherType: mode });
        }
      };
    });
  }

  /** Whether this session holds a watch of `type` on `path` on its node (ZooKeeper's checkWatches). */
  async checkWatches(path: string, type: WatcherType = 'any'): Promise<boolean> {
    const r = await this.call({ type: 'ZkCheckWatches', sessionId: this.sessionId, path, watcherType: type });
    if (r.type !== 'ZkWatchesMatched') throw new Error(`unexpected ${r.type}`);
    return r.matched;
  }

  /**
   * Removes this session's watches of `type` on `path` (ZooKeeper's removeWatches; `any` includes persistent ones,
   * whose Observables then complete). ZkError NOWATCHER when there was none.
   */
  async removeWatches(path: string, type: WatcherType = 'any'): Promise<void> {
    const r = await this.call({ type: 'ZkRemoveWatches', sessionId: this.sessionId, path, watcherType: type });
    if (r.type !== 'ZkWatchesMatched') throw new Error(`unexpected ${r.type}`);
    if (!r.matched) throw new ZkError(Err.NOWATCHER, `removeWatches ${path}`);
    const modes: readonly PersistentWatchMode[] = type === 'any' ? ['persistent', 'persistentRecursive'] : type === 'persistent' || type === 'persistentRecursive' ? [type] : [];
    for (const mode of modes) {
      const subs = this.persistentWatchers.get(`${mode} ${path}`);
      this.persistentWatchers.delete(`${mode} ${path}`);
      for (const sub of subs ?? []) sub.complete();
    }
  }

  /** Keep the session alive (clients touch it with every request; an idle client should call this). */
  touch(): void {
    this.gateway.send(this.addr, { type: 'ZkTouch', sessionId: this.sessionId });
  }

  async close(): Promise<void> {
    await this.call({ type: 'ZkClose', sessionId: this.sessionId });
  }
}

/** A running ensemble. */
export class Cluster {
  readonly nodes: readonly string[];
  readonly events$: Observable<ClusterEvent>;
  private leaderNode: string | null = null;
  private leaderEpoch = -1;
  /** Each node's RESP listener (see ClusterOptions.redisBasePort). */
  redis: ReadonlyMap<string, RedisListener> = new Map();
  /** Each node's metrics (Prometheus text: `metrics.get(node).text()`); empty in the simulator. */
  metrics: ReadonlyMap<string, NodeMetrics> = new Map();

  /** Each node's RESP port. */
  get redisPorts(): ReadonlyMap<string, number> {
    return new Map([...this.redis].map(([n, l]) => [n, l.port]));
  }

  constructor(
    readonly runtime: Runtime,
    private readonly tempDir: string | null,
    /** Where the nodes keep their files (`<dataDir>/<node>`); null in the simulator. */
    readonly dataDir: string | null = null,
  ) {
    this.nodes = runtime.nodes;
    this.events$ = runtime.events$;
    runtime.events$.subscribe((e) => {
      if (e.type === 'LeaderElected' && e.epoch >= this.leaderEpoch) {
        this.leaderNode = e.node;
        this.leaderEpoch = e.epoch;
      } else if ((e.type === 'LeaderSteppedDown' || e.type === 'NodeCrashed') && e.node === this.leaderNode) {
        this.leaderNode = null;
      } else if (e.type === 'FaultInjected' && e.fault.kind === 'kill' && e.fault.node === this.leaderNode) {
        this.leaderNode = null;
      }
    });
  }

  isUp(node: string): boolean {
    return this.runtime.isUp(node);
  }

  /** The node currently leading (as last announced), or null during an election. */
  leader(): string | null {
    return this.leaderNode;
  }

  /** Every up node's ZooKeeper service status (nodes that do not answer are left out). */
  async status(timeoutMs = 1_000): Promise<Record<string, Extract<ZkReply, { type: 'ZkStatusReply' }>>> {
    const out: Record<string, Extract<ZkReply, { type: 'ZkStatusReply' }>> = {};
    await Promise.all(
      this.nodes
        .filter((n) => this.runtime.isUp(n))
        .map(async (n) => {
          const r = await this.runtime.ask<ZkReply>(`${n}/zookeeper`, { type: 'ZkStatus' }, timeoutMs).catch(() => null);
          if (r?.type === 'ZkStatusReply') out[n] = r;
        }),
    );
    return out;
  }

  /**
   * Resolves with the leader once it leads and a quorum of nodes serve (leading or following), bounded by
   * `timeoutMs`. Asks the nodes, so it works whenever it is called.
   */
  async waitForLeader(timeoutMs = 10_000): Promise<string> {
    const quorum = Math.floor(this.nodes.length / 2) + 1;
    const node = await this.pollStatus(timeoutMs, (st) => {
      const leaders = Object.entries(st).filter(([, s]) => s.role === 'leading');
      const serving = Object.values(st).filter((s) => s.role !== 'looking').length;
      if (leaders.length === 0 || serving < quorum) return undefined;
      const [leader, s] = leaders.reduce((a, b) => (b[1].epoch > a[1].epoch ? b : a));
      if (s.epoch >= this.leaderEpoch) {
        this.leaderNode = leader;
        this.leaderEpoch = s.epoch;
      }
      return leader;
    });
    if (node === undefined) throw new ZkUnavailableError(`no leader within ${timeoutMs} ms`);
    return node;
  }

  /**
   * Resolves once every node that is up serves (leading or following), bounded by `timeoutMs`; false if some
   * node still looks for its leader then. A freshly started follower may still be syncing when a quorum already
   * serves; a client that connects to it first is refused.
   */
  async waitForAllServing(timeoutMs = 10_000): Promise<boolean> {
    const all = await this.pollStatus(timeoutMs, (st) =>
      this.nodes.filter((n) => this.runtime.isUp(n)).every((n) => st[n] !== undefined && st[n].role !== 'looking') ? true : undefined,
    );
    return all === true;
  }

  /** Asks every node's status until `check` answers (not undefined), for at most `timeoutMs`; undefined then. */
  private async pollStatus<T>(timeoutMs: number, check: (st: Awaited<ReturnType<Cluster['status']>>) => T | undefined): Promise<T | undefined> {
    const t0 = this.runtime.now();
    while (this.runtime.now() - t0 < timeoutMs) {
      const found = check(await this.status(Math.min(statusAskTimeoutMs, timeoutMs)));
      if (found !== undefined) return found;
      await this.runtime.sleep(statusPollPauseMs);
    }
    return undefined;
  }

  /**
   * Open a session on `node` (default: the first node that is up). Connecting is retried while the ensemble has
   * no leader, up to `connectTimeoutMs`.
   */
  async client(opts: { node?: string; sessionTimeoutMs?: number; connectTimeoutMs?: number } = {}): Promise<ZkClient> {
    const node = opts.node ?? this.nodes.find((n) => this.runtime.isUp(n)) ?? this.nodes[0]!;
    return connectZk(this.gateway, node, opts);
  }

  /** The runtime as a ZkClient gateway. */
  get gateway(): ZkGateway {
    const rt = this.runtime;
    return {
      ask: (to, msg, timeoutMs) => rt.ask(to, msg, timeoutMs),
      send: (to, msg) => rt.send(to, msg),
      events$: rt.events$,
      now: () => rt.now(),
      sleep: (ms) => rt.sleep(ms),
    };
  }

  kill(node: string): Promise<void> {
    return this.runtime.kill(node);
  }
  restart(node: string): Promise<void> {
    return this.runtime.restart(node);
  }
  partition(groups: readonly (readonly string[])[]): Promise<void> {
    return this.runtime.partition(groups);
  }
  cut(from: string, to: string): Promise<void> {
    return this.runtime.cut(from, to);
  }
  heal(): Promise<void> {
    return this.runtime.heal();
  }
  slow(node: string, delayMs: number): Promise<void> {
    return this.runtime.slow(node, delayMs);
  }
  drop(ratio: number): Promise<void> {
    return this.runtime.drop(ratio);
  }
  /** Any fault as data (src/protocol/faults.ts); the lab resolves roles into these (src/lab/faults.ts). */
  inject(fault: Fault): Promise<void> {
    return this.runtime.inject(fault);
  }

  async close(): Promise<void> {
    for (const l of this.redis.values()) await l.close();
    for (const m of this.metrics.values()) m.close();
    await this.runtime.close();
    if (this.tempDir !== null) rmSync(this.tempDir, { recursive: true, force: true });
  }
}

/**
 * Open a session on `node` through `gateway`. Connecting is retried while the ensemble has no leader, up to
 * `connectTimeoutMs`.
 */
export async function connectZk(gateway: ZkGateway, node: string, opts: { sessionTimeoutMs?: number; connectTimeoutMs?: number } = {}): Promise<ZkClient> {
  const deadline = gateway.now() + (opts.connectTimeoutMs ?? 15_000);
  for (let attempt = 1; ; attempt++) {
    let reason: string;
    try {
      const r = await gateway.ask<ZkReply>(`${node}/zookeeper`, { type: 'ZkConnect', timeoutMs: opts.sessionTimeoutMs ?? 10_000 }, serviceRequestTimeoutMs + clientAskMarginMs);
      if (r.type === 'ZkConnected') return new ZkClient(gateway, node, r.sessionId, r.timeoutMs);
      reason = r.type === 'ZkFailed' ? r.reason : `unexpected ${r.type}`;
    } catch (e) {
      reason = (e as Error).message;
    }
    if (gateway.now() >= deadline) throw new ZkUnavailableError(`${node}: ${reason} (after ${attempt} attempts)`);
    await gateway.sleep(Math.min(connectRetryMaxMs, 20 * attempt));
  }
}

/** One ensemble member as the actors see it: its server id, every member's id → node name, the voters. */
export interface MemberSpec {
  readonly node: string;
  readonly myId: number;
  /** Server id → node name, this member included. */
  readonly members: Readonly<Record<number, string>>;
  /** Voting server ids (the other members observe). */
  readonly voters: readonly number[];
}

export interface MemberOptions {
  /** ZAB and session tick (default 50 ms). */
  readonly tickMs?: number;
  readonly snapshotEveryTxns?: number;
  /** Snapshots kept (with the log from the oldest of them on); older ones are deleted (default 3). */
  readonly snapshotsRetainMax?: number;
  readonly registry?: Parameters<typeof registryActorSpec>[2];
  /** Session timeouts a client may negotiate; a ZkConnect's timeout is clamped into them. */
  readonly sessionTimeoutMinMs?: number;
  readonly sessionTimeoutMaxMs?: number;
  /** How often the leader reaps empty containers and expired TTL nodes (default 60 s, as ZooKeeper). */
  readonly reapIntervalMs?: number;
  /** zookeeper.extendedTypesEnabled (TTL nodes; default true). Every member must have the same (it decides results). */
  readonly extendedTypesEnabled?: boolean;
}

/** The actors of one ensemble member (storage, election, broadcast, the ZooKeeper service, the registry). */
export function memberActors(m: MemberSpec, opts: MemberOptions = {}): ActorSpec[] {
  const ensemble = { myId: m.myId, members: m.members, voters: m.voters };
  return [
    {
      name: 'storage',
      kind: 'storage',
      args: {
        snapshotEveryTxns: opts.snapshotEveryTxns,
        ...(opts.snapshotsRetainMax !== undefined ? { snapshotsRetainMax: opts.snapshotsRetainMax } : {}),
        ...(opts.extendedTypesEnabled !== undefined ? { extendedTypesEnabled: opts.extendedTypesEnabled } : {}),
      },
    },
    { name: 'election', kind: 'election', args: ensemble },
    { name: 'broadcast', kind: 'broadcast', args: { ...ensemble, roleListeners: frontEndActors, ...(opts.tickMs ? { tickMs: opts.tickMs } : {}) } },
    {
      name: 'zookeeper',
      kind: 'zookeeper',
      args: {
        myId: m.myId,
        members: m.members,
        tickMs: opts.tickMs,
        requestTimeoutMs: serviceRequestTimeoutMs,
        ...(opts.sessionTimeoutMinMs !== undefined ? { sessionTimeoutMinMs: opts.sessionTimeoutMinMs } : {}),
        ...(opts.sessionTimeoutMaxMs !== undefined ? { sessionTimeoutMaxMs: opts.sessionTimeoutMaxMs } : {}),
        ...(opts.reapIntervalMs !== undefined ? { reapIntervalMs: opts.reapIntervalMs } : {}),
      },
    },
    { name: 'redis', kind: 'redis', args: { myId: m.myId, members: m.members, voters: m.voters, requestTimeoutMs: serviceRequestTimeoutMs } },
    registryActorSpec(m.node, Object.values(m.members), opts.registry ?? {}),
  ];
}

/** The actors of every member of an ensemble `n1..nN` with server ids 1..N; the last `observers` of them observe. */
export function ensembleNodes(
  count: number,
  opts: MemberOptions = {},
  observers = 0,
): NodeSpec[] {
  if (!(observers >= 0 && observers < count)) throw new Error(`observers must be in [0, ${count - 1}], got ${observers}`);
  const names = Array.from({ length: count }, (_, i) => `n${i + 1}`);
  const members: Record<number, string> = {};
  names.forEach((n, i) => (members[i + 1] = n));
  const voters = names.slice(0, count - observers).map((_, i) => i + 1);
  return names.map((node, i) => ({ node, actors: memberActors({ node, myId: i + 1, members, voters }, opts) }));
}

export const actorKindsUrl = new URL('../actors/index.js', import.meta.url).href;

export async function createCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const count = opts.nodes ?? 3;
  const nodes = ensembleNodes(count, {
    tickMs: opts.tickMs,
    snapshotEveryTxns: opts.snapshotEveryTxns,
    registry: opts.registry,
    ...(opts.reapIntervalMs !== undefined ? { reapIntervalMs: opts.reapIntervalMs } : {}),
  }, opts.observers ?? 0);
  const kind = opts.runtime ?? 'threads';
  const seed = opts.seed ?? 1;
  if (kind === 'sim') {
    const rt: SimRuntime = await createSimRuntime({ seed, nodes, kindsModule: actorKindsUrl, net: opts.net });
    return new Cluster(rt, null);
  }
  const tempDir = opts.dataDir === undefined ? mkdtempSync(join(tmpdir(), 'conclave-')) : null;
  const dataDir = opts.dataDir ?? tempDir!;
  const rt = kind === 'threads' ? await createThreadsRuntime({ nodes, kindsModule: actorKindsUrl, seed, dataDir }) : await createTcpRuntime({ nodes, kindsModule: actorKindsUrl, seed, dataDir, ...(opts.netns === true ? { netns: true } : {}) });
  const cluster = new Cluster(rt, tempDir, dataDir);
  const quorumSize = cluster.nodes.length - (opts.observers ?? 0);
  // the events since the nodes started (the first election may be over by now), then the live ones
  const events$ = concat(from([...rt.recentEvents()]), rt.events$);
  cluster.metrics = new Map(cluster.nodes.map((node) => [node, new NodeMetrics({ node, quorumSize, events$ })]));
  for (const m of cluster.metrics.values()) m.gauges.actors = () => rt.inspect();
  // subscribed before anything awaits: the first election's lines are in the log
  if (opts.logger !== undefined) logEvents(opts.logger, events$);
  const base = opts.redisBasePort ?? 0;
  if (base !== 'off') {
    const redis = new Map<string, RedisListener>();
    cluster.redis = redis;
    try {
      for (const [i, node] of cluster.nodes.entries()) {
        const f = await startFrontEnds(rt, node, {
          redis: { host: opts.redisHost ?? '127.0.0.1', port: base === 0 ? 0 : base + i },
          metrics: cluster.metrics.get(node)!,
          ...(opts.logger !== undefined ? { logger: opts.logger } : {}),
        });
        redis.set(node, f.listeners.redis!);
      }
    } catch (e) {
      await cluster.close();
      throw e;
    }
  }
  return cluster;
}
