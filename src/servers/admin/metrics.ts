/**
 * A node's metrics in Prometheus text format (prom-client), served as `/metrics` on the admin port and on zoo.cfg's
 * `metricsProvider.httpPort` (as ZooKeeper 3.6+'s PrometheusMetricsProvider). ZooKeeper's own metric names where
 * they exist (znode_count, watch_count, ephemerals_count, outstanding_requests, num_alive_connections, quorum_size,
 * election_time, commit_count, learners …); conclave's others are `conclave_*` with their units in the name.
 *
 * Three sources: the front ends' request hooks (a latency histogram per front end and operation), the node's
 * events (elections, syncs, commits, sessions expired, actor restarts, Eureka's registry), and gauges read when
 * the page is scraped (connections, the ZooKeeper port's status, ephemerals, Redis clients). Every series has a
 * `node` label.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Observable, Subscription } from 'rxjs';
import type { ClusterEvent } from '../../protocol/events.js';
import { zxidCounter, zxidEpoch } from '../../protocol/zxid.js';
import type { ZkPortGauges } from '../zookeeper/serve.js';
import type { RegistryStats } from '../../core/registry/machine.js';
import type { ActorInspect } from '../../runtime/driver.js';

/** The front ends whose requests are timed. */
export type TimedFrontEnd = 'zookeeper' | 'redis' | 'eureka';

/** What the scrape-time gauges read (each may be absent: that front end does not run on this node). */
export interface MetricsGauges {
  /** The ZooKeeper port: connections, outstanding requests, role, zxid, znodes, watches, sessions, latency. */
  zookeeper?(): ZkPortGauges | null;
  /** Ephemeral znodes held by the node's sessions (asked of the node; null if it does not answer). */
  ephemerals?(): Promise<number | null>;
  /** The RESP port's connected clients. */
  redis?(): { readonly clients: number } | null;
  /** The node's keyspace: keys (all databases) and keys expired so far (asked of the node). */
  keyspace?(): Promise<{ readonly keys: number; readonly expiredKeys: number } | null>;
  /** The node's Eureka registry (asked of its registry actor). */
  eureka?(): Promise<RegistryStats | null>;
  /** The node's actors: mailbox depth, restarts, messages sent, inspected state (the runtime's inspect). */
  actors?(): Promise<readonly ActorInspect[]>;
}

/** Scrape-time answers are reused this long (one scrape reads several gauges from one answer). */
const scrapeAnswerReuseMs = 500;

/** `read` at most once per `scrapeAnswerReuseMs`: the gauges of one scrape share one ask. */
function sharedRead<T>(read: () => Promise<T>): () => Promise<T> {
  let at = -Infinity;
  let last: Promise<T> | null = null;
  return () => {
    if (last === null || Date.now() - at > scrapeAnswerReuseMs) {
      at = Date.now();
      last = read();
    }
    return last;
  };
}

/** Event types the metrics count: a node that filters its events must let these through. */
export const metricsEventTypes = [
  'ElectionStarted',
  'LeaderElected',
  'FollowingLeader',
  'LeaderSteppedDown',
  'LeaderLost',
  'SyncStarted',
  'Proposed',
  'Committed',
  'SessionExpired',
  'ActorRestarted',
  'DeadLetter',
  'InstanceRegistered',
  'InstanceRenewed',
  'InstanceCancelled',
  'InstanceEvicted',
  'SelfPreservationEntered',
  'SelfPreservationLeft',
  'ReplicationFailed',
  'LogFsynced',
] as const satisfies readonly ClusterEvent['type'][];

export interface NodeMetricsOptions {
  readonly node: string;
  /** Voters in the ensemble (ZooKeeper's quorum_size). */
  readonly quorumSize: number;
  /** The node's events (others' events are ignored by their `node`). */
  readonly events$: Observable<ClusterEvent>;
  /** Also the process's own metrics (CPU, memory, event loop lag, GC): once per process. */
  readonly processMetrics?: boolean;
}

/** Request latency buckets (seconds): 0.1 ms to 10 s. */
const latencyBucketsSeconds = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Fsync and proposal latency buckets (ms, ZooKeeper's unit for fsynctime and proposal_latency). */
const msBuckets = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500];
/** Proposals awaiting their commit, tracked for proposal_latency at most (older ones are not timed). */
const proposalsTimedMax = 10_000;
/** Election time buckets (ms, as ZooKeeper's election_time counts). */
const electionBucketsMs = [10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000];
/** Distinct operation labels per front end: commands beyond it count as `other` (a client cannot grow the page). */
export const opLabelsMax = 256;

export class NodeMetrics {
  readonly registry = new Registry();
  private readonly latency: Histogram<'front_end' | 'op'>;
  private readonly redisCommands: Counter<'command'>;
  private readonly ops = new Map<TimedFrontEnd, Set<string>>();
  private readonly subscription: Subscription;
  /** Filled in by the front ends as they start (startFrontEnds). */
  readonly gauges: MetricsGauges = {};

  constructor(o: NodeMetricsOptions) {
    const r = this.registry;
    r.setDefaultLabels({ node: o.node });
    if (o.processMetrics === true) collectDefaultMetrics({ register: r });
    const g = this.gauges;

    this.latency = new Histogram({
      name: 'conclave_request_latency_seconds',
      help: 'Time from a request read to its answer, per front end and operation',
      labelNames: ['front_end', 'op'],
      buckets: latencyBucketsSeconds,
      registers: [r],
    });

    this.redisCommands = new Counter({ name: 'conclave_redis_commands_total', help: 'RESP commands answered, per command', labelNames: ['command'], registers: [r] });

    // ---- read when scraped ----
    new Gauge({ name: 'quorum_size', help: 'Voting members of the ensemble', registers: [r] }).set(o.quorumSize);
    /** A gauge read when the page is scraped; null (its front end does not run here) leaves it unset. */
    const scraped = (name: string, help: string, read: () => number | null | Promise<number | null>): void => {
      new Gauge({
        name,
        help,
        registers: [r],
        async collect() {
          const v = await read();
          if (v !== null) this.set(v);
          else this.reset();
        },
      });
    };
    const zk = (): ZkPortGauges | null => g.zookeeper?.() ?? null;
    const zkGauge = (name: string, help: string, read: (s: ZkPortGauges) => number): void => {
      scraped(name, help, () => {
        const s = zk();
        return s === null ? null : read(s);
      });
    };
    zkGauge('num_alive_connections', 'Open ZooKeeper client connections', (s) => s.connections);
    zkGauge('outstanding_requests', 'ZooKeeper requests read and not yet answered', (s) => s.outstanding);
    zkGauge('znode_count', 'Znodes in the tree', (s) => s.znodes);
    zkGauge('approximate_data_size', 'Path and data bytes of every znode summed (bytes)', (s) => s.approximateDataSize);
    zkGauge('watch_count', 'Watches set by the sessions of this node', (s) => s.watches);
    zkGauge('global_sessions', 'Sessions the ensemble tracks', (s) => s.sessions);
    zkGauge('last_zxid', 'Newest zxid applied on this node', (s) => s.lastZxid);
    zkGauge('min_latency', 'Shortest ZooKeeper request latency since start (ms)', (s) => s.latency.minMs);
    zkGauge('avg_latency', 'Mean ZooKeeper request latency since start (ms)', (s) => s.latency.avgMs);
    zkGauge('max_latency', 'Longest ZooKeeper request latency since start (ms)', (s) => s.latency.maxMs);
    new Gauge({
      name: 'server_state',
      help: "1 for this node's role as srvr's Mode names it (leader, follower, observer, standalone)",
      labelNames: ['state'],
      registers: [r],
      collect() {
        this.reset();
        const s = zk();
        if (s !== null) this.set({ state: s.state }, 1);
      },
    });
    scraped('ephemerals_count', 'Ephemeral znodes', () => g.ephemerals?.() ?? null);
    scraped('conclave_redis_connected_clients', 'Open RESP connections', () => g.redis?.()?.clients ?? null);
    scraped('conclave_redis_blocked_clients', 'RESP clients blocked in a command (BLPOP, ...)', () => (g.redis?.() === undefined || g.redis() === null ? null : 0));
    const keyspace = sharedRead(() => g.keyspace?.().catch(() => null) ?? Promise.resolve(null));
    scraped('conclave_redis_keys', 'Keys in the keyspace (all databases)', async () => (await keyspace())?.keys ?? null);
    scraped('conclave_redis_expired_keys_total', 'Keys expired since the node started', async () => (await keyspace())?.expiredKeys ?? null);
    const registry = sharedRead(() => g.eureka?.().catch(() => null) ?? Promise.resolve(null));
    scraped('conclave_eureka_registered_instances', 'Instances in this node\'s registry', async () => (await registry())?.instances ?? null);
    scraped('conclave_eureka_renewals_last_minute', 'Renewals in the last renewal window (a minute by default)', async () => (await registry())?.renewsLastWindow ?? null);
    scraped('conclave_eureka_renewal_threshold', 'Renewals per window below which self-preservation engages', async () => (await registry())?.renewsThreshold ?? null);
    scraped('conclave_eureka_self_preservation', '1 while self-preservation holds evictions back', async () => {
      const r = await registry();
      return r === null ? null : r.selfPreservation ? 1 : 0;
    });
    const actors = sharedRead(() => g.actors?.().then((a) => a.filter((x) => x.node === o.node)).catch(() => null) ?? Promise.resolve(null));
    const kindOf = (addr: string): string => addr.slice(addr.indexOf('/') + 1);
    /** A gauge per actor kind, from the runtime's inspection of the node's actors. */
    const actorGauge = (name: string, help: string, read: (a: ActorInspect) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ['actor'],
        registers: [r],
        async collect() {
          this.reset();
          for (const a of (await actors()) ?? []) this.set({ actor: kindOf(a.addr) }, read(a));
        },
      });
    };
    actorGauge('conclave_actor_mailbox_depth', 'Messages waiting in the actor\'s mailbox', (a) => a.mailbox);
    actorGauge('conclave_actor_messages_sent_total', 'Envelopes the actor sent since it started', (a) => Object.values(a.sentTo).reduce((x, y) => x + y, 0));
    actorGauge('conclave_actor_restarts', 'Supervisor restarts of the actor in this incarnation of the node', (a) => a.restarts);
    /** The broadcast actor's leader-side counts (0 when not leading). */
    const broadcastCount = (name: string, help: string, key: string): void => {
      scraped(name, help, async () => {
        const a = await actors();
        if (a === null) return null;
        const v = a.find((x) => kindOf(x.addr) === 'broadcast')?.state?.[key];
        return typeof v === 'number' ? v : null;
      });
    };
    broadcastCount('learners', 'Learners connected to this leader', 'learners');
    broadcastCount('synced_followers', 'Followers of this leader past their sync (NewLeader acknowledged)', 'syncedFollowers');
    broadcastCount('pending_syncs', 'Learners this leader is still syncing', 'pendingSyncs');

    // ---- counted from events ----
    const electionTime = new Histogram({ name: 'election_time', help: 'Milliseconds from entering election to leading or following (ZooKeeper\'s name and unit)', buckets: electionBucketsMs, registers: [r] });
    const elections = new Counter({ name: 'conclave_elections_total', help: 'Elections this node entered', registers: [r] });
    const leaderChanges = new Counter({ name: 'conclave_leader_lost_total', help: 'Times this node gave up its leader or its leadership', labelNames: ['was'], registers: [r] });
    const syncs = new Counter({ name: 'conclave_learner_syncs_total', help: 'Followers synchronized by this leader, per mode', labelNames: ['mode'], registers: [r] });
    const commits = new Counter({ name: 'commit_count', help: 'Txns committed on this node', registers: [r] });
    const proposals = new Counter({ name: 'conclave_proposals_total', help: 'Txns this node proposed as leader', registers: [r] });
    const expired = new Counter({ name: 'conclave_sessions_expired_total', help: 'ZooKeeper sessions expired by this leader', registers: [r] });
    const restarts = new Counter({ name: 'conclave_actor_restarts_total', help: 'Supervision decisions, per actor kind and directive', labelNames: ['actor', 'directive'], registers: [r] });
    const deadLetters = new Counter({ name: 'conclave_dead_letters_total', help: 'Messages to an actor that was not there', registers: [r] });
    const eureka = new Counter({ name: 'conclave_eureka_instance_events_total', help: 'Registry changes, per kind and whether a peer replicated them', labelNames: ['kind', 'replication'], registers: [r] });
    const selfPreservationSwitches = new Counter({ name: 'conclave_eureka_self_preservation_switches_total', help: 'Times self-preservation was entered or left', labelNames: ['to'], registers: [r] });
    const fsyncTime = new Histogram({ name: 'fsynctime', help: 'Milliseconds one fsync of the write-ahead log took (ZooKeeper\'s name and unit)', buckets: msBuckets, registers: [r] });
    const proposalLatency = new Histogram({ name: 'proposal_latency', help: 'Milliseconds from proposing a txn to committing it, on the leader (ZooKeeper\'s name and unit)', buckets: msBuckets, registers: [r] });
    /** The leader's proposals not yet committed: zxid and when proposed (ms), ascending. */
    const proposedAt: [number, number][] = [];
    const replicationFailed = new Counter({ name: 'conclave_eureka_replication_failures_total', help: 'Replication batches to a peer that failed', labelNames: ['retried'], registers: [r] });
    let proposedZxid = 0;
    let committedZxid = 0;
    /** Txns between two zxids of a node's stream (a new epoch counts from its first txn). */
    const txnsBetween = (from: number, to: number): number => (to <= from ? 0 : zxidEpoch(to) === zxidEpoch(from) ? zxidCounter(to) - zxidCounter(from) : zxidCounter(to));
    this.subscription = o.events$.subscribe((ev) => {
      if (ev.node !== o.node) return;
      switch (ev.type) {
        case 'ElectionStarted':
          elections.inc();
          return;
        case 'LeaderElected':
        case 'FollowingLeader':
          electionTime.observe(ev.electionMs);
          return;
        case 'LeaderLost':
          leaderChanges.inc({ was: 'following' });
          return;
        case 'SyncStarted':
          syncs.inc({ mode: ev.mode });
          return;
        case 'Proposed':
          if (proposedAt.length < proposalsTimedMax && ev.zxid > (proposedAt[proposedAt.length - 1]?.[0] ?? 0)) proposedAt.push([ev.zxid, ev.time]);
          if (proposedZxid > 0) proposals.inc(txnsBetween(proposedZxid, ev.zxid));
          proposedZxid = Math.max(proposedZxid, ev.zxid);
          return;
        case 'Committed':
          while (proposedAt.length > 0 && proposedAt[0]![0] <= ev.zxid) proposalLatency.observe(ev.time - proposedAt.shift()![1]);
          if (committedZxid > 0) commits.inc(txnsBetween(committedZxid, ev.zxid));
          committedZxid = Math.max(committedZxid, ev.zxid);
          return;
        case 'SessionExpired':
          expired.inc();
          return;
        case 'ActorRestarted':
          restarts.inc({ actor: ev.actor.slice(ev.actor.indexOf('/') + 1), directive: ev.directive });
          return;
        case 'DeadLetter':
          deadLetters.inc();
          return;
        case 'InstanceRegistered':
          eureka.inc({ kind: 'registered', replication: String(ev.replication) });
          return;
        case 'InstanceRenewed':
          eureka.inc({ kind: 'renewed', replication: String(ev.replication) });
          return;
        case 'InstanceCancelled':
          eureka.inc({ kind: 'cancelled', replication: String(ev.replication) });
          return;
        case 'InstanceEvicted':
          eureka.inc({ kind: 'evicted', replication: 'false' });
          return;
        case 'SelfPreservationEntered':
        case 'SelfPreservationLeft':
          selfPreservationSwitches.inc({ to: ev.type === 'SelfPreservationEntered' ? 'on' : 'off' });
          return;
        case 'LogFsynced':
          fsyncTime.observe(ev.ms);
          return;
        case 'LeaderSteppedDown':
          leaderChanges.inc({ was: 'leading' });
          proposedAt.length = 0;
          return;
        case 'ReplicationFailed':
          replicationFailed.inc({ retried: String(ev.willRetry) });
          return;
        default:
          return;
      }
    });
  }

  /** A front end answered a request `op` after `latencyMs`. */
  observe(frontEnd: TimedFrontEnd, op: string, latencyMs: number): void {
    let seen = this.ops.get(frontEnd);
    if (seen === undefined) this.ops.set(frontEnd, (seen = new Set()));
    if (!seen.has(op)) {
      if (seen.size >= opLabelsMax) op = 'other';
      else seen.add(op);
    }
    this.latency.observe({ front_end: frontEnd, op }, latencyMs / 1000);
    if (frontEnd === 'redis') this.redisCommands.inc({ command: op });
  }

  /** The page, in Prometheus text format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  close(): void {
    this.subscription.unsubscribe();
    this.registry.clear();
  }
}
