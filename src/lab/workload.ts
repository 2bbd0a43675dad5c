/**
 * The lab's workload generators: ZooKeeper and Redis clients that run against a cluster and record every
 * operation they issue as a `HistoryOp` (src/lab/history.ts). Values written are unique (client name and a
 * counter), so a read names its writer. Each client runs its operations one after another; the workload stops
 * after `opsMax` operations in all or when told to. Clients work on every runtime: ZooKeeper sessions through the
 * cluster's gateway (`ZkClient`), Redis through the RESP front end's keyspace backend (the same code a RESP
 * connection runs, without the socket) — so the simulator runs them too. Eureka clients are instances that
 * register, renew, cancel and query a node's registry actor directly (what the Eureka HTTP front end asks it).
 */
import type { Cluster, ZkClient, ZkGateway } from '../cluster.js';
import type { RegistryReply, RegistryRequest } from '../core/registry/messages.js';
import type { InstanceInfo, RegistryConfig } from '../core/registry/types.js';
import { defaultRegistryConfig } from '../core/registry/types.js';
import { ZkError, connectZk } from '../cluster.js';
import { Rng } from '../core/rng.js';
import type { Reply } from '../protocol/resp.js';
import type { Stat } from '../protocol/txn.js';
import { OPEN_ACL_UNSAFE } from '../protocol/txn.js';
import { zxidHex } from '../protocol/zxid.js';
import type { RedisBackend, RedisClientContext } from '../servers/redis/connection.js';
import { keyspaceBackend, keyspaceCommandTable } from '../servers/redis/keyspace.js';
import type { BlockingTimers } from '../servers/redis/blocking.js';
import { type PubsubSink, nodePubsub } from '../servers/redis/pubsub.js';
import type { EurekaOp, HistoryOp, RedisOp, ZkOp } from './history.js';

/** What a scenario's `workload:` says. */
export interface WorkloadSpec {
  /** ZooKeeper client sessions (each on its own node, round robin). */
  readonly zkClients: number;
  readonly redisClients: number;
  /** Znodes / Redis registers the clients share. */
  readonly keys: number;
  /** Operations in all, at most. */
  readonly opsMax: number;
  /** Each client's pause between two operations (ms). */
  readonly thinkMs: number;
  /** How long a client waits for an answer before it records the outcome as unknown and moves to another node. */
  readonly requestTimeoutMs: number;
  /** Relative weights of the operations (absent: 0). ZooKeeper: setData, getData, syncGetData, create. */
  readonly zkMix: Readonly<Partial<Record<'setData' | 'getData' | 'syncGetData' | 'create', number>>>;
  /**
   * Redis: set, get, incr, rpush, lrange, multi; cas (a counter incremented by WATCH, GET, MULTI, SET, EXEC); and
   * queues: qpush (RPUSH to a queue key), lpop, blpop (BLPOP with a `blpopTimeoutS` timeout: a blocked client is
   * woken by its node's ready-key reports, polled as a RESP front end polls them). With pops in the mix, every queue
   * key is read once more after the faults are undone (a `final` LRANGE: the queue's end state).
   */
  readonly redisMix: Readonly<Partial<Record<RedisMixOp, number>>>;
  /** Eureka instances (one client each, homed on the nodes round robin). */
  readonly eurekaClients: number;
  /**
   * A Eureka client renews every `renewMs`; after each renewal it queries its node's registry with probability
   * `query` and cancels (then registers as a new instance) with probability `cancel`.
   */
  readonly eureka: { readonly renewMs: number; readonly query: number; readonly cancel: number };
}

export type RedisMixOp = 'set' | 'get' | 'incr' | 'cas' | 'rpush' | 'lrange' | 'multi' | 'qpush' | 'lpop' | 'blpop';
export const redisMixOps: readonly RedisMixOp[] = ['set', 'get', 'incr', 'cas', 'rpush', 'lrange', 'multi', 'qpush', 'lpop', 'blpop'];
/** The timeout of a `blpop` (seconds, as BLPOP takes it). */
export const blpopTimeoutS = 0.2;

/** The Redis key of each register, counter, list and queue `k` of a workload. */
export const redisKeyOf = {
  register: (k: number) => `r${k}`,
  counter: (k: number) => `c${k}`,
  list: (k: number) => `l${k}`,
  queue: (k: number) => `q${k}`,
};

/** Clients of one kind in a scenario, at most. */
export const workloadClientsMax = 64;
/** Operations one run may record, at most. */
export const workloadOpsMax = 100_000;
/** Keys a workload may use, at most. */
export const workloadKeysMax = 1_000;
/** A client's pause after an operation that failed for want of a node, before it tries again (another node). */
export const clientRetryPauseMs = 50;
/** How long a ZooKeeper client waits for its session, per attempt. */
const zkConnectTimeoutMs = 5_000;
/** How long the cluster may take to elect and serve its first client before a run gives up. */
export const clusterReadyTimeoutMs = 30_000;
/** Session timeout the lab's ZooKeeper clients ask for. */
const zkSessionTimeoutMs = 10_000;

export const defaultWorkload: WorkloadSpec = {
  zkClients: 3,
  redisClients: 3,
  keys: 3,
  opsMax: 2_000,
  thinkMs: 20,
  requestTimeoutMs: 2_000,
  zkMix: { setData: 3, getData: 3, syncGetData: 2, create: 1 },
  redisMix: { set: 3, get: 3, incr: 1, rpush: 1, lrange: 1, multi: 1 },
  eurekaClients: 0,
  eureka: { renewMs: 200, query: 0.3, cancel: 0.01 },
};

/** The znode every ZooKeeper key lives under. */
export const zkRoot = '/lab';
const zkPath = (k: number) => `${zkRoot}/k${k}`;

/** The history as it is recorded: ops in invocation order, completed in place when they return. */
export class HistoryRecorder {
  readonly ops: HistoryOp[] = [];
  constructor(private readonly now: () => number) {}

  /** Starts an op; `done` completes it (once). */
  begin<T extends HistoryOp>(op: Omit<T, 'id' | 'callMs' | 'returnMs' | 'outcome'>): (outcome: HistoryOp['outcome'], result?: Partial<T>) => void {
    const i = this.ops.length;
    const callMs = this.now();
    this.ops.push({ ...op, id: i, callMs, returnMs: null, outcome: 'unknown' } as T);
    let settled = false;
    return (outcome, result = {}) => {
      if (settled) return;
      settled = true;
      this.ops[i] = { ...this.ops[i]!, ...result, outcome, returnMs: outcome === 'unknown' ? null : this.now() } as HistoryOp;
    };
  }
}

/** How the workload waits (virtual time in the simulator, without driving its clock). */
export interface WorkloadClock {
  now(): number;
  wait(ms: number): Promise<void>;
}

interface Ctx {
  readonly cluster: Cluster;
  /** The registries' configuration (lease expiry of the Eureka clients' instances). */
  readonly registry: RegistryConfig;
  /** The cluster's gateway with every ask bounded by the workload's request timeout and waits on the workload's clock. */
  readonly gateway: ZkGateway;
  readonly spec: WorkloadSpec;
  readonly rec: HistoryRecorder;
  readonly clock: WorkloadClock;
  readonly stopped: () => boolean;
  /** The RESP front end of a node the Redis clients share (one per node, as on a real node). */
  readonly backendOf: (node: string) => RedisBackend;
}

function pickWeighted<K extends string>(rng: Rng, mix: Readonly<Partial<Record<K, number>>>): K | null {
  const entries = Object.entries(mix).filter(([, w]) => typeof w === 'number' && w > 0) as [K, number][];
  const total = entries.reduce((a, [, w]) => a + w, 0);
  if (total === 0) return null;
  let x = rng.next() * total;
  for (const [k, w] of entries) if ((x -= w) < 0) return k;
  return entries[entries.length - 1]![0];
}

const dec = new TextDecoder();

/** One ZooKeeper client: a session on a node, moving to the next node when its node fails it. */
async function zkClient(ctx: Ctx, name: string, index: number, rng: Rng): Promise<void> {
  const nodes = ctx.cluster.nodes;
  let nodeIx = index % nodes.length;
  let client: ZkClient | null = null;
  let counter = 0;
  while (!ctx.stopped() && ctx.rec.ops.length < ctx.spec.opsMax) {
    if (client === null) {
      try {
        client = await connectZk(ctx.gateway, nodes[nodeIx]!, { sessionTimeoutMs: zkSessionTimeoutMs, connectTimeoutMs: zkConnectTimeoutMs });
      } catch {
        nodeIx = (nodeIx + 1) % nodes.length;
        await ctx.clock.wait(clientRetryPauseMs);
        continue;
      }
    }
    const op = pickWeighted(rng, ctx.spec.zkMix);
    if (op === null) return;
    const session = client.sessionId.toString(16);
    const base = { kind: 'zk' as const, client: name, node: client.node, session };
    const stamp = (s: Stat) => ({ zxid: zxidHex(s.mzxid), version: s.version });
    const c = client;
    let lost = false;
    const fail = (done: (o: HistoryOp['outcome'], r?: Partial<ZkOp>) => void, e: unknown, write: boolean) => {
      if (e instanceof ZkError) return done('fail', { error: e.message });
      lost = true;
      done(write ? 'unknown' : 'fail', { error: (e as Error).message });
    };
    if (op === 'setData' || op === 'create') {
      const value = `${name}-${++counter}`;
      const path = op === 'create' ? `${zkRoot}/${name}-${counter}` : zkPath(rng.int(0, ctx.spec.keys - 1));
      const done = ctx.rec.begin<ZkOp>({ ...base, op, path, value });
      try {
        const req = op === 'create' ? { type: 'Create' as const, path, data: new TextEncoder().encode(value), acl: OPEN_ACL_UNSAFE, mode: 0 } : { type: 'SetData' as const, path, data: new TextEncoder().encode(value), version: -1 };
        const { zxid, result } = await c.write(req);
        if (result.type === 'Error') throw new ZkError(result.err, `${op} ${path}`);
        done('ok', result.type === 'SetData' ? stamp(result.stat) : { zxid: zxidHex(zxid), version: 0 });
      } catch (e) {
        fail(done, e, true);
      }
    } else {
      const path = zkPath(rng.int(0, ctx.spec.keys - 1));
      const done = ctx.rec.begin<ZkOp>({ ...base, op, path });
      try {
        if (op === 'syncGetData') await c.sync();
        const { result } = await c.read({ type: 'GetData', path });
        if (result.type === 'Error') throw new ZkError(result.err, `getData ${path}`);
        const r = result as { data: Uint8Array; stat: Stat };
        done('ok', { value: dec.decode(r.data), ...stamp(r.stat) });
      } catch (e) {
        fail(done, e, false);
      }
    }
    if (lost) {
      client = null;
      nodeIx = (nodeIx + 1) % nodes.length;
    }
    await ctx.clock.wait(lost ? clientRetryPauseMs : ctx.spec.thinkMs);
  }
}

const enc = new TextEncoder();
const argv = (...a: (string | number)[]) => a.map((x) => enc.encode(String(x)));
const table = keyspaceCommandTable();

async function run(backend: RedisBackend, client: RedisClientContext, ...a: (string | number)[]): Promise<Reply> {
  const v = argv(...a);
  const spec = table.byName.get(String(a[0]).toLowerCase());
  if (spec === undefined) throw new Error(`no command ${a[0]}`);
  return backend.execute(client, v, spec);
}

/**
 * Lists: RPUSH/LRANGE where the keyspace has them; otherwise APPEND/GET of fixed-width elements on a string (the
 * same list-append semantics: APPEND is atomic, and the length it returns counts whole elements).
 */
const nativeLists = table.byName.has('rpush');
/** The width of one element of an emulated list (values are padded with spaces to it). */
export const listElementBytes = 24;
const listPush = (b: RedisBackend, c: RedisClientContext, key: string, v: string) =>
  nativeLists ? run(b, c, 'RPUSH', key, v) : run(b, c, 'APPEND', key, v.padEnd(listElementBytes, ' '));
const listRead = (b: RedisBackend, c: RedisClientContext, key: string) => (nativeLists ? run(b, c, 'LRANGE', key, 0, -1) : run(b, c, 'GET', key));
const pushedLength = (r: Reply): number => (nativeLists ? int(r) : int(r) / listElementBytes);
function readList(r: Reply): string[] {
  if (nativeLists) return list(r);
  const s = bulk(r) ?? '';
  const out: string[] = [];
  for (let o = 0; o < s.length; o += listElementBytes) out.push(s.slice(o, o + listElementBytes).trimEnd());
  return out;
}

/** The answer of a write that may still have applied: TRYAGAIN (no answer, leader change) leaves it unknown. */
class RedisReplyError extends Error {}

const bulk = (r: Reply): string | null => (r.kind === 'Bulk' ? dec.decode(r.bytes) : r.kind === 'Null' ? null : unexpected(r));
const int = (r: Reply): number => (r.kind === 'Int' ? Number(r.value) : unexpected(r));
const list = (r: Reply): string[] => (r.kind === 'Array' ? r.items.map((i) => bulk(i) ?? '') : unexpected(r));
function unexpected(r: Reply): never {
  throw new RedisReplyError(r.kind === 'Error' ? r.text : `unexpected ${r.kind} reply`);
}

/** One Redis client: a connection's state on one node's front end, moving on when its node fails it. */
async function redisClient(ctx: Ctx, name: string, index: number, rng: Rng): Promise<void> {
  const nodes = ctx.cluster.nodes;
  let nodeIx = index % nodes.length;
  const conn: RedisClientContext = { id: index + 1, db: 0, resp: 2, name, user: 'default' };
  let counter = 0;
  while (!ctx.stopped() && ctx.rec.ops.length < ctx.spec.opsMax) {
    const node = nodes[nodeIx]!;
    const backend = ctx.backendOf(node);
    const op = pickWeighted(rng, ctx.spec.redisMix);
    if (op === null) return;
    const k = rng.int(0, ctx.spec.keys - 1);
    const base = { kind: 'redis' as const, client: name, node };
    const value = `${name}-${++counter}`;
    const write = op !== 'get' && op !== 'lrange';
    const key = op === 'set' || op === 'get' ? redisKeyOf.register(k) : op === 'incr' || op === 'cas' ? redisKeyOf.counter(k) : op === 'qpush' || op === 'lpop' || op === 'blpop' ? redisKeyOf.queue(k) : redisKeyOf.list(k);
    // multi: append to one list and read another, atomically (Elle's list-append)
    const other = redisKeyOf.list(rng.int(0, ctx.spec.keys - 1));
    const txn = [['append', key, value] as const, ['read', other, null] as const];
    const recorded = op === 'qpush' ? 'rpush' : op;
    const done = ctx.rec.begin<RedisOp>({ ...base, op: recorded, key, ...(op === 'set' || op === 'rpush' || op === 'qpush' ? { value } : {}), ...(op === 'multi' ? { txn } : {}) });
    try {
      switch (op) {
        case 'set': {
          const r = await run(backend, conn, 'SET', key, value);
          if (r.kind !== 'Simple') unexpected(r);
          done('ok');
          break;
        }
        case 'get':
          done('ok', { value: bulk(await run(backend, conn, 'GET', key)) });
          break;
        case 'incr':
          done('ok', { value: int(await run(backend, conn, 'INCR', key)) });
          break;
        case 'rpush':
          done('ok', { length: pushedLength(await listPush(backend, conn, key, value)) });
          break;
        case 'cas': {
          const watched = await run(backend, conn, 'WATCH', key);
          if (watched.kind !== 'Simple') unexpected(watched);
          const seen = bulk(await run(backend, conn, 'GET', key));
          const count = seen === null ? 1 : Number(seen) + 1;
          await run(backend, conn, 'MULTI');
          await run(backend, conn, 'SET', key, count);
          const r = await run(backend, conn, 'EXEC');
          if (r.kind === 'NullArray') done('fail', { error: 'WATCH aborted the EXEC' });
          else if (r.kind === 'Array' && r.items.length === 1 && r.items[0]!.kind === 'Simple') done('ok', { value: count });
          else unexpected(r);
          break;
        }
        case 'qpush':
          done('ok', { length: int(await run(backend, conn, 'RPUSH', key, value)) });
          break;
        case 'lpop':
          done('ok', { value: bulk(await run(backend, conn, 'LPOP', key)) });
          break;
        case 'blpop': {
          const r = await run(backend, conn, 'BLPOP', key, blpopTimeoutS);
          if (r.kind === 'NullArray') done('ok', { value: null });
          else if (r.kind === 'Array' && r.items.length === 2) done('ok', { value: bulk(r.items[1]!) });
          else unexpected(r);
          break;
        }
        case 'lrange':
          done('ok', { list: readList(await listRead(backend, conn, key)) });
          break;
        case 'multi': {
          await run(backend, conn, 'MULTI');
          await listPush(backend, conn, key, value);
          await listRead(backend, conn, other);
          const r = await run(backend, conn, 'EXEC');
          if (r.kind !== 'Array' || r.items.length !== 2) unexpected(r);
          done('ok', { txnResults: [pushedLength(r.items[0]!), readList(r.items[1]!)] });
          break;
        }
      }
    } catch (e) {
      const text = (e as Error).message;
      // a refusal the keyspace states (WRONGTYPE, EXECABORT) took no effect; anything else may have
      const refused = e instanceof RedisReplyError && !text.startsWith('TRYAGAIN');
      done(refused || !write ? 'fail' : 'unknown', { error: text });
      // the front end is shared by the client's later ops: leave no MULTI or WATCH behind
      await run(backend, conn, 'DISCARD').catch(() => undefined);
      await run(backend, conn, 'UNWATCH').catch(() => undefined);
      if (!refused) {
        nodeIx = (nodeIx + 1) % nodes.length;
        await ctx.clock.wait(clientRetryPauseMs);
      }
    }
    await ctx.clock.wait(ctx.spec.thinkMs);
  }
}

/**
 * The queues' end state: once the Redis clients are done (the faults undone), each queue key read once, through
 * the nodes in turn until one answers, recorded as a `final` LRANGE.
 */
async function queueSweep(ctx: Ctx): Promise<void> {
  const conn: RedisClientContext = { id: 0, db: 0, resp: 2, name: '$sweep', user: 'default' };
  const nodes = ctx.cluster.nodes;
  for (let k = 0; k < ctx.spec.keys; k++) {
    const key = redisKeyOf.queue(k);
    for (let attempt = 0; attempt < queueSweepAttemptsMax; attempt++) {
      const node = nodes[attempt % nodes.length]!;
      const done = ctx.rec.begin<RedisOp>({ kind: 'redis', client: '$sweep', node, op: 'lrange', key, final: true });
      try {
        done('ok', { list: list(await run(ctx.backendOf(node), conn, 'LRANGE', key, 0, -1)) });
        break;
      } catch (e) {
        done('fail', { error: (e as Error).message });
        await ctx.clock.wait(clientRetryPauseMs);
      }
    }
  }
}
/** Tries of one queue's final read (over the nodes in turn). */
const queueSweepAttemptsMax = 20;

/** The application every lab Eureka instance belongs to. */
export const eurekaApp = 'LAB';

/** A lab Eureka instance (lease duration: the registry's default). */
function labInstance(id: string, nowMs: number): InstanceInfo {
  const t = Math.floor(nowMs);
  return {
    instanceId: id,
    hostName: id,
    app: eurekaApp,
    ipAddr: '127.0.0.1',
    status: 'UP',
    overriddenStatus: 'UNKNOWN',
    port: 8080,
    portEnabled: true,
    securePort: 443,
    securePortEnabled: false,
    countryId: 1,
    dataCenterInfo: { className: 'com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo', name: 'MyOwn' },
    leaseInfo: { renewalIntervalInSecs: 0, durationInSecs: 0, registrationTimestamp: 0, lastRenewalTimestamp: 0, evictionTimestamp: 0, serviceUpTimestamp: 0 },
    metadata: {},
    vipAddress: 'lab',
    isCoordinatingDiscoveryServer: false,
    lastUpdatedTimestamp: t,
    lastDirtyTimestamp: t,
  };
}

/** A registry query recorded as a Eureka op: the instances the node lists. */
async function eurekaQuery(ctx: Ctx, name: string, node: string, final: boolean): Promise<boolean> {
  const done = ctx.rec.begin<EurekaOp>({ kind: 'eureka', client: name, node, op: 'query', instance: '', ...(final ? { final } : {}) });
  try {
    const r = await ctx.gateway.ask<RegistryReply>(`${node}/registry`, { type: 'EurekaRead', key: { kind: 'apps' } } satisfies RegistryRequest, ctx.spec.requestTimeoutMs);
    if (r.type !== 'EurekaReadResult' || r.code !== 200 || r.apps === undefined) {
      done('fail', { error: `registry answered ${r.type} ${'code' in r ? r.code : ''}` });
      return true;
    }
    done('ok', { instances: r.apps.applications.flatMap((a) => a.instances.map((i) => `${a.name}/${i.instanceId}`)).sort() });
    return true;
  } catch (e) {
    done('fail', { error: (e as Error).message });
    return false;
  }
}

/**
 * One Eureka instance's client: registers on its node, renews every `renewMs` (a 404 makes it register again),
 * sometimes queries the node or cancels and comes back as a new instance; moves to the next node when its node
 * does not answer.
 */
async function eurekaClient(ctx: Ctx, name: string, index: number, rng: Rng, swept: () => boolean): Promise<void> {
  const nodes = ctx.cluster.nodes;
  let nodeIx = index % nodes.length;
  let generation = 0;
  let registered = false;
  const expiryMs = ctx.registry.leaseDurationMs * (ctx.registry.leaseExpiryDoubledCompat ? 2 : 1);
  // renewing goes on until the sweep is done (so that every lease it may list is alive), without cancels after the stop
  while (!swept() && ctx.rec.ops.length < ctx.spec.opsMax) {
    const node = nodes[nodeIx]!;
    const id = `${name}-${generation}`;
    const base = { kind: 'eureka' as const, client: name, node, instance: `${eurekaApp}/${id}` };
    const cancel = registered && rng.chance(ctx.spec.eureka.cancel) && !ctx.stopped();
    const op: EurekaOp['op'] = !registered ? 'register' : cancel ? 'cancel' : 'renew';
    const msg: RegistryRequest =
      op === 'register' ? { type: 'EurekaRegister', info: labInstance(id, ctx.cluster.runtime.now()) } : { type: op === 'cancel' ? 'EurekaCancel' : 'EurekaRenew', app: eurekaApp, id };
    const done = ctx.rec.begin<EurekaOp>({ ...base, op });
    let lost = false;
    let again = false;
    try {
      const r: RegistryReply = await ctx.gateway.ask<RegistryReply>(`${node}/registry`, msg, ctx.spec.requestTimeoutMs);
      const code: number = r.type === 'EurekaReply' ? r.code : 500;
      done('ok', { code, ...(op === 'cancel' ? {} : { expiryMs }) });
      if (op === 'register') registered = code === 204;
      else if (op === 'renew' && code === 404) {
        registered = false;
        again = true;
      }
    } catch (e) {
      done('unknown', { error: (e as Error).message });
      lost = true;
    }
    if (cancel) {
      generation++;
      registered = false;
    }
    if (!lost && rng.chance(ctx.spec.eureka.query)) lost = !(await eurekaQuery(ctx, name, node, false));
    if (lost) nodeIx = (nodeIx + 1) % nodes.length;
    // a renewal answered 404 registers again at once, as Eureka's clients do
    if (!again) await ctx.clock.wait(lost ? clientRetryPauseMs : ctx.spec.eureka.renewMs);
  }
}

/** After the stop, how long the sweep lets replication settle before it queries (peers batch for 500 ms). */
export const eurekaSweepSettleMs = 1_000;

/**
 * The convergence sweep: once the run stops (every fault undone) and `eurekaSweepSettleMs` later, one query of every
 * node, marked `final`.
 */
async function eurekaSweep(ctx: Ctx): Promise<void> {
  while (!ctx.stopped()) await ctx.clock.wait(ctx.spec.eureka.renewMs);
  await ctx.clock.wait(eurekaSweepSettleMs);
  for (const node of ctx.cluster.nodes) await eurekaQuery(ctx, '$sweep', node, true);
}

/**
 * Creates the znodes the ZooKeeper clients share before the workload starts, each with a unique first value,
 * recorded in the history as creates (so that reads of those values have their writer).
 */
export async function prepareWorkload(cluster: Cluster, spec: WorkloadSpec, rec: HistoryRecorder): Promise<void> {
  if (spec.zkClients === 0) return;
  const c = await cluster.client({ connectTimeoutMs: clusterReadyTimeoutMs });
  await c.create(zkRoot, '').catch((e) => {
    if (!(e instanceof ZkError)) throw e;
  });
  for (let k = 0; k < spec.keys; k++) {
    const path = zkPath(k);
    const value = `init-${k}`;
    const done = rec.begin<ZkOp>({ kind: 'zk', client: 'init', node: c.node, session: c.sessionId.toString(16), op: 'create', path, value });
    const { zxid, result } = await c.write({ type: 'Create', path, data: new TextEncoder().encode(value), acl: OPEN_ACL_UNSAFE, mode: 0 });
    if (result.type === 'Error') throw new ZkError(result.err, `create ${path}`);
    done('ok', { zxid: zxidHex(zxid), version: 0 });
  }
  await c.close();
}

/**
 * Runs the workload's clients until `stopped()` or `opsMax`; resolves when every client's last operation settled.
 * `seed` draws every choice the clients make.
 */
export function runWorkload(
  cluster: Cluster,
  spec: WorkloadSpec,
  rec: HistoryRecorder,
  clock: WorkloadClock,
  seed: number,
  stopped: () => boolean,
  registry: Partial<RegistryConfig> = {},
): Promise<void> {
  const rt = cluster.runtime;
  const gateway: ZkGateway = {
    ...cluster.gateway,
    ask: (to, msg, timeoutMs) => rt.ask(to, msg, Math.min(timeoutMs, spec.requestTimeoutMs)),
    sleep: (ms) => clock.wait(ms),
  };
  // one front end per node, on the workload's clock; with blpop in the mix it polls the node's ready keys
  const backends = new Map<string, RedisBackend>();
  const polls: (() => void)[] = [];
  const timers: BlockingTimers = {
    after(ms, fn) {
      let on = true;
      void clock.wait(ms).then(() => on && fn());
      return () => (on = false);
    },
  };
  const backendOf = (node: string): RedisBackend => {
    let b = backends.get(node);
    if (b !== undefined) return b;
    const backend = keyspaceBackend(gateway, node, () => rt.now(), timers);
    backends.set(node, backend);
    if ((spec.redisMix.blpop ?? 0) > 0) {
      const sink: PubsubSink = { subscriber: () => undefined, subscribers: () => [], notifyFlags: () => '', ready: (keys) => backend.keysReady?.(keys), readyLost: () => backend.keysLost?.() };
      polls.push(nodePubsub(cluster.gateway, node).start(sink));
    }
    return backend;
  };
  const ctx: Ctx = { cluster, registry: { ...defaultRegistryConfig, ...registry }, gateway, spec, rec, clock, stopped, backendOf };
  const clients: Promise<void>[] = [];
  for (let i = 0; i < spec.zkClients; i++) clients.push(zkClient(ctx, `zk${i + 1}`, i, new Rng((seed ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0)));
  const redis: Promise<void>[] = [];
  for (let i = 0; i < spec.redisClients; i++) redis.push(redisClient(ctx, `redis${i + 1}`, i, new Rng((seed ^ Math.imul(i + 101, 0xc2b2ae35)) >>> 0)));
  const pops = (spec.redisMix.lpop ?? 0) + (spec.redisMix.blpop ?? 0) > 0;
  clients.push((pops ? Promise.all(redis).then(() => queueSweep(ctx)) : Promise.all(redis).then(() => undefined)).finally(() => polls.forEach((stop) => stop())));
  if (spec.eurekaClients > 0) {
    let swept = false;
    for (let i = 0; i < spec.eurekaClients; i++) clients.push(eurekaClient(ctx, `eureka${i + 1}`, i, new Rng((seed ^ Math.imul(i + 201, 0x27d4eb2f)) >>> 0), () => swept));
    clients.push(eurekaSweep(ctx).finally(() => (swept = true)));
  }
  return Promise.all(clients).then(() => undefined);
}
