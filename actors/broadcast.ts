/**
 * The `<node>/broadcast` actor: the IO shell around the ZAB machine (src/core/zab). It runs the machine's
 * outputs in order: peer messages to `<peer>/broadcast`, storage commands to `<node>/storage` (one FIFO mailbox,
 * so TruncateLog/AppendLog/CommitTo keep their order), LookForLeader to `<node>/election`, answers to clients,
 * events. Storage replies (EpochsPersisted, Logged, SnapshotTaken) come back as inputs: nothing that depends on
 * durability is sent before them (persist before send). Ticks every `tickMs` drive pings and timeouts.
 *
 * Start: sends StorageRecover to `<node>/storage` and waits for StorageRecovered{boot}; the machine's Boot
 * output then sends LookForLeader to `<node>/election`.
 */
import { defineActor, type Ctx } from '../src/kernel/actor.js';
import { address, type Address } from '../src/protocol/envelope.js';
import type { BroadcastClientReply, BroadcastMsg, StorageRecover } from '../src/protocol/broadcast.js';
import type { EnsembleArgs } from '../src/protocol/election.js';
import type { RoleChanged } from '../src/protocol/zookeeper.js';
import { zabDefaults, zabInit, zabStep, type ZabConfig, type ZabInput, type ZabState } from '../src/core/zab/index.js';

export interface BroadcastArgs extends EnsembleArgs {
  readonly tickMs?: number;
  readonly zab?: Partial<Omit<ZabConfig, 'myId' | 'voters'>>;
  /** Client requests awaiting an answer from the machine, at most. */
  readonly pendingClientsMax?: number;
}

interface Pending {
  readonly to: Address;
  readonly reqId: number;
}

interface BState {
  zab: ZabState<unknown>;
  readonly args: BroadcastArgs;
  readonly tickMs: number;
  /** Our request id → the client's address and its request id. */
  clients: Map<number, Pending>;
  nextReq: number;
  lookingSinceMs: number;
  leader: number;
  epoch: number;
}

const pendingClientsMaxDefault = 100_000;

function assertNever(x: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(x)}`);
}

function reply(s: BState, ctx: Ctx<BroadcastMsg>, reqId: number, msg: (clientReqId: number) => BroadcastClientReply): void {
  const p = s.clients.get(reqId);
  if (!p) return;
  s.clients.delete(reqId);
  ctx.send(p.to, msg(p.reqId));
}

/** The node's ZooKeeper service follows the role (session expiry runs on the leader). */
function tellRole(ctx: Ctx<BroadcastMsg>, msg: RoleChanged): void {
  ctx.send(address(ctx.node, 'zookeeper'), msg);
}

function run(s: BState, input: ZabInput<unknown>, ctx: Ctx<BroadcastMsg>): BState {
  const { state, out } = zabStep(s.zab, input);
  s.zab = state;
  const storage = address(ctx.node, 'storage');
  for (const o of out) {
    switch (o.type) {
      case 'Send': {
        const node = s.args.members[o.to];
        if (node !== undefined) ctx.send(address(node, 'broadcast'), o.msg);
        break;
      }
      case 'Storage':
        ctx.send(storage, o.cmd);
        break;
      case 'LookForLeader':
        if (o.was === 'leading') ctx.emit({ type: 'LeaderSteppedDown', epoch: s.epoch, reason: o.reason });
        else if (o.was === 'following') ctx.emit({ type: 'LeaderLost', leader: s.leader, reason: o.reason });
        s.lookingSinceMs = ctx.now();
        tellRole(ctx, { type: 'RoleChanged', role: 'looking', epoch: s.epoch, leaderNode: null });
        ctx.send(address(ctx.node, 'election'), { type: 'LookForLeader', lastZxid: o.lastZxid, currentEpoch: o.currentEpoch, reason: o.reason });
        break;
      case 'WriteFailed':
        reply(s, ctx, o.reqId, (reqId) => ({ type: 'ClientWriteFailed', reqId, reason: o.reason }));
        break;
      case 'SyncDone':
        reply(s, ctx, o.reqId, (reqId) => ({ type: 'ClientSyncDone', reqId, zxid: o.zxid }));
        break;
      case 'SyncFailed':
        reply(s, ctx, o.reqId, (reqId) => ({ type: 'ClientSyncFailed', reqId, reason: o.reason }));
        break;
      case 'LeaderEstablished':
        s.leader = s.args.myId;
        s.epoch = o.epoch;
        ctx.emit({ type: 'LeaderElected', leader: s.args.myId, epoch: o.epoch, zxid: o.zxid, electionMs: ctx.now() - s.lookingSinceMs });
        tellRole(ctx, { type: 'RoleChanged', role: 'leading', epoch: o.epoch, leaderNode: ctx.node });
        break;
      case 'FollowingLeader':
        s.leader = o.leader;
        s.epoch = o.epoch;
        ctx.emit({ type: 'FollowingLeader', leader: o.leader, epoch: o.epoch, electionMs: ctx.now() - s.lookingSinceMs });
        tellRole(ctx, { type: 'RoleChanged', role: 'following', epoch: o.epoch, leaderNode: s.args.members[o.leader] ?? null });
        break;
      case 'SyncStarted':
        ctx.emit({ type: 'SyncStarted', peer: o.peer, mode: o.mode, fromZxid: o.fromZxid, toZxid: o.toZxid });
        break;
      case 'Proposed':
        ctx.emit({ type: 'Proposed', zxid: o.zxid });
        break;
      case 'Committed':
        ctx.emit({ type: 'Committed', zxid: o.zxid });
        break;
      default:
        assertNever(o);
    }
  }
  return s;
}

function track(s: BState, ctx: Ctx<BroadcastMsg>, clientReqId: number, onFull: BroadcastClientReply): number | null {
  if (s.clients.size >= (s.args.pendingClientsMax ?? pendingClientsMaxDefault)) {
    if (ctx.sender) ctx.send(ctx.sender, onFull);
    return null;
  }
  const id = ++s.nextReq;
  if (ctx.sender) s.clients.set(id, { to: ctx.sender, reqId: clientReqId });
  return id;
}

export const broadcast = defineActor<BState, BroadcastMsg, BroadcastArgs>({
  init(ctx, args) {
    const cfg: ZabConfig = {
      myId: args.myId,
      voters: args.voters,
      syncLimitTicks: args.zab?.syncLimitTicks ?? zabDefaults.syncLimitTicks,
      initLimitTicks: args.zab?.initLimitTicks ?? zabDefaults.initLimitTicks,
      handshakeRetryTicks: args.zab?.handshakeRetryTicks ?? zabDefaults.handshakeRetryTicks,
      reconnectsMax: args.zab?.reconnectsMax ?? zabDefaults.reconnectsMax,
      logWindowMax: args.zab?.logWindowMax ?? zabDefaults.logWindowMax,
      pipelineMax: args.zab?.pipelineMax ?? zabDefaults.pipelineMax,
      pendingRequestsMax: args.zab?.pendingRequestsMax ?? zabDefaults.pendingRequestsMax,
      pendingSyncsMax: args.zab?.pendingSyncsMax ?? zabDefaults.pendingSyncsMax,
    };
    const tickMs = args.tickMs ?? zabDefaults.tickMs;
    const recover: StorageRecover = { type: 'StorageRecover', logTailMax: cfg.logWindowMax };
    ctx.send(address(ctx.node, 'storage'), recover);
    ctx.schedule('zab-tick', tickMs, { type: 'BroadcastTick' });
    return { zab: zabInit(cfg), args, tickMs, clients: new Map(), nextReq: 0, lookingSinceMs: ctx.now(), leader: -1, epoch: 0 };
  },
  receive(s, m, ctx) {
    switch (m.type) {
      case 'StorageRecovered':
        return run(s, { type: 'Boot', boot: m.boot }, ctx);
      case 'BroadcastTick':
        ctx.schedule('zab-tick', s.tickMs, { type: 'BroadcastTick' });
        return run(s, { type: 'Tick' }, ctx);
      case 'ElectionDecided':
        if (m.role === 'OBSERVING') return s; // observers: not yet (ZAB has no observer role so far)
        return run(s, { type: 'Elected', role: m.role, leader: m.leader }, ctx);
      case 'EpochsPersisted':
      case 'Logged':
      case 'SnapshotTaken':
        return run(s, { type: 'Storage', reply: m }, ctx);
      case 'ClientWrite': {
        const id = track(s, ctx, m.reqId, { type: 'ClientWriteFailed', reqId: m.reqId, reason: 'too many pending requests' });
        if (id === null) return s;
        run(s, { type: 'Write', reqId: id, txn: m.txn }, ctx);
        // A write that did not fail at once is answered by storage when it applies the txn.
        s.clients.delete(id);
        return s;
      }
      case 'ClientSync': {
        const id = track(s, ctx, m.reqId, { type: 'ClientSyncFailed', reqId: m.reqId, reason: 'too many pending requests' });
        if (id === null) return s;
        return run(s, { type: 'Sync', reqId: id }, ctx);
      }
      case 'FollowerInfo':
      case 'NewEpoch':
      case 'AckEpoch':
      case 'NewLeader':
      case 'AckNewLeader':
      case 'UpToDate':
      case 'Proposal':
      case 'Ack':
      case 'Commit':
      case 'Request':
      case 'RequestFailed':
      case 'SyncMarker':
      case 'SyncMarkerDone':
      case 'Ping':
      case 'PingAck':
      case 'NotLeader':
        return run(s, { type: 'Receive', msg: m }, ctx);
      default:
        return assertNever(m);
    }
  },
});
