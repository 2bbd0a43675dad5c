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
import { zxidHex } from '../src/protocol/zxid.js';
import { address, type Address } from '../src/protocol/envelope.js';
import type { BroadcastClientReply, BroadcastMsg, LogEntry, StorageCommand, StorageRecover, ZabBatchMsg, ZabPeerMsg } from '../src/protocol/broadcast.js';
import type { EnsembleArgs } from '../src/protocol/election.js';
import type { RoleChanged } from '../src/protocol/zookeeper.js';
import { zabDefaults, zabInit, zabStep, type ZabConfig, type ZabInput, type ZabState } from '../src/core/zab/index.js';
import { assertNever } from '../src/core/never.js';

export interface BroadcastArgs extends EnsembleArgs {
  readonly tickMs?: number;
  readonly zab?: Partial<Omit<ZabConfig, 'myId' | 'voters' | 'observers'>>;
  /** Client requests awaiting an answer from the machine, at most. */
  readonly pendingClientsMax?: number;
  /** The node's front-end actors told of every role change (default: `zookeeper`). */
  readonly roleListeners?: readonly string[];
}

interface Pending {
  readonly to: Address;
  readonly reqId: number;
}

/** Entries (or requests) merged into one message, at most; a longer run goes as several. */
export const mergedEntriesMax = 1_024;
/**
 * Approximate bytes of the txns merged into one message, at most (one entry larger than this goes alone): a
 * peer receives, logs and acknowledges large values a piece at a time instead of in one long turn.
 */
export const mergedBytesMax = 1024 * 1024;

/** Approximate encoded size of a txn: its byte arrays and strings, plus a little per field (bounded walk). */
export function approxBytes(v: unknown, depth = 0): number {
  if (v instanceof Uint8Array) return v.length;
  if (typeof v === 'string') return v.length;
  if (typeof v !== 'object' || v === null || depth > approxDepthMax) return 8;
  let n = 8;
  if (Array.isArray(v)) for (const x of v) n += approxBytes(x, depth + 1);
  else for (const k in v) n += 8 + approxBytes((v as Record<string, unknown>)[k], depth + 1);
  return n;
}
/** Nesting `approxBytes` follows (txns are a few levels deep). */
const approxDepthMax = 8;

type Proposal = Extract<ZabPeerMsg, { type: 'Proposal' }>;
type Request = Extract<ZabPeerMsg, { type: 'Request' }>;
type AppendLog = Extract<StorageCommand, { type: 'AppendLog' }>;

/** The message being gathered for one destination: later ones of the same kind merge into it. */
type Open =
  | { readonly kind: 'proposals'; readonly first: Proposal; readonly entries: LogEntry[]; bytes: number }
  | { readonly kind: 'requests'; readonly first: Request; readonly items: { reqId: number; txn: unknown }[]; bytes: number }
  | { readonly kind: 'append'; readonly gen: number; readonly entries: LogEntry[]; bytes: number }
  /** Cumulative (Commit to a peer, CommitTo to storage): only the newest counts. */
  | { readonly kind: 'cumulative'; msg: StorageCommand | ZabPeerMsg };

/**
 * The machine's peer and storage messages of one run of turns, merged where that changes nothing: consecutive
 * Proposals to one follower go as one `Proposals`, consecutive Requests to the leader as one `Requests`,
 * consecutive AppendLogs to storage as one AppendLog, consecutive cumulative Commits/CommitTos as the newest.
 * Any other message to that destination sends what is open first, so each destination's order is kept. Sent
 * when the actor's mailbox run ends (`drained`), so nothing waits longer than the messages already queued.
 */
class Outbox {
  private readonly open = new Map<string, Open>();

  constructor(private readonly ctx: Ctx<BroadcastMsg>) {}

  send(to: string, msg: ZabPeerMsg | StorageCommand): void {
    const cur = this.open.get(to);
    if (msg.type === 'Proposal') {
      const b = approxBytes(msg.entry.txn);
      if (cur?.kind === 'proposals' && cur.first.conn === msg.conn && cur.first.epoch === msg.epoch && fits(cur.entries.length, cur.bytes, b)) {
        cur.entries.push(msg.entry);
        cur.bytes += b;
        return;
      }
      this.flush(to);
      this.open.set(to, { kind: 'proposals', first: msg, entries: [msg.entry], bytes: b });
    } else if (msg.type === 'Request') {
      const b = approxBytes(msg.txn);
      if (cur?.kind === 'requests' && cur.first.conn === msg.conn && fits(cur.items.length, cur.bytes, b)) {
        cur.items.push({ reqId: msg.reqId, txn: msg.txn });
        cur.bytes += b;
        return;
      }
      this.flush(to);
      this.open.set(to, { kind: 'requests', first: msg, items: [{ reqId: msg.reqId, txn: msg.txn }], bytes: b });
    } else if (msg.type === 'AppendLog') {
      const b = msg.entries.reduce((n, e) => n + approxBytes(e.txn), 0);
      if (cur?.kind === 'append' && cur.gen === msg.gen && fits(cur.entries.length, cur.bytes, b)) {
        for (const e of msg.entries) cur.entries.push(e);
        cur.bytes += b;
        return;
      }
      this.flush(to);
      this.open.set(to, { kind: 'append', gen: msg.gen, entries: [...msg.entries], bytes: b });
    } else if (msg.type === 'Commit' || msg.type === 'CommitTo') {
      if (cur?.kind === 'cumulative' && cur.msg.type === msg.type && (msg.type === 'CommitTo' || sameStream(cur.msg, msg))) {
        cur.msg = msg;
        return;
      }
      this.flush(to);
      this.open.set(to, { kind: 'cumulative', msg });
    } else {
      this.flush(to);
      this.ctx.send(to, msg);
    }
  }

  flush(to: string): void {
    const o = this.open.get(to);
    if (o === undefined) return;
    this.open.delete(to);
    this.ctx.send(to, toMessage(o));
  }

  flushAll(): void {
    for (const to of [...this.open.keys()]) this.flush(to);
  }
}

const fits = (count: number, bytes: number, more: number): boolean => count < mergedEntriesMax && bytes + more <= mergedBytesMax;

function sameStream(a: StorageCommand | ZabPeerMsg, b: Extract<ZabPeerMsg, { type: 'Commit' }>): boolean {
  return a.type === 'Commit' && a.conn === b.conn && a.epoch === b.epoch && a.from === b.from;
}

function toMessage(o: Open): ZabPeerMsg | ZabBatchMsg | StorageCommand {
  switch (o.kind) {
    case 'proposals':
      return o.entries.length === 1 ? o.first : { type: 'Proposals', from: o.first.from, conn: o.first.conn, epoch: o.first.epoch, entries: o.entries };
    case 'requests':
      return o.items.length === 1 ? o.first : { type: 'Requests', from: o.first.from, conn: o.first.conn, items: o.items };
    case 'append':
      return { type: 'AppendLog', gen: o.gen, entries: o.entries };
    case 'cumulative':
      return o.msg;
  }
}

interface BState {
  zab: ZabState<unknown>;
  readonly outbox: Outbox;
  /** The newest zxid proposed / committed in this mailbox run, not yet told as an event (0: none). */
  proposed: number;
  committed: number;
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

function reply(s: BState, ctx: Ctx<BroadcastMsg>, reqId: number, msg: (clientReqId: number) => BroadcastClientReply): void {
  const p = s.clients.get(reqId);
  if (!p) return;
  s.clients.delete(reqId);
  ctx.send(p.to, msg(p.reqId));
}

/** The node's front ends follow the role (session expiry and key expiry run on the leader). */
function tellRole(s: BState, ctx: Ctx<BroadcastMsg>, msg: RoleChanged): void {
  for (const name of s.args.roleListeners ?? ['zookeeper']) ctx.send(address(ctx.node, name), msg);
}

function run(s: BState, input: ZabInput<unknown>, ctx: Ctx<BroadcastMsg>): BState {
  const { state, out } = zabStep(s.zab, input);
  s.zab = state;
  const storage = address(ctx.node, 'storage');
  for (const o of out) {
    switch (o.type) {
      case 'Send': {
        const node = s.args.members[o.to];
        if (node !== undefined) s.outbox.send(address(node, 'broadcast'), o.msg);
        break;
      }
      case 'Storage':
        s.outbox.send(storage, o.cmd);
        break;
      case 'LookForLeader':
        if (o.was === 'leading') ctx.emit({ type: 'LeaderSteppedDown', epoch: s.epoch, reason: o.reason });
        else if (o.was === 'following') ctx.emit({ type: 'LeaderLost', leader: s.leader, reason: o.reason });
        s.lookingSinceMs = ctx.now();
        tellRole(s, ctx, { type: 'RoleChanged', role: 'looking', epoch: s.epoch, leaderNode: null, zxid: 0 });
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
        tellRole(s, ctx, { type: 'RoleChanged', role: 'leading', epoch: o.epoch, leaderNode: ctx.node, zxid: o.zxid });
        break;
      case 'FollowingLeader':
        s.leader = o.leader;
        s.epoch = o.epoch;
        ctx.emit({ type: 'FollowingLeader', leader: o.leader, epoch: o.epoch, electionMs: ctx.now() - s.lookingSinceMs });
        tellRole(s, ctx, { type: 'RoleChanged', role: 'following', epoch: o.epoch, leaderNode: s.args.members[o.leader] ?? null, zxid: o.zxid });
        break;
      case 'SyncStarted':
        ctx.emit({ type: 'SyncStarted', peer: o.peer, mode: o.mode, fromZxid: o.fromZxid, toZxid: o.toZxid });
        break;
      case 'Proposed':
        s.proposed = o.zxid; // one event per mailbox run, for the newest (see drained)
        break;
      case 'Committed':
        s.committed = o.zxid;
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
      // every member that does not vote observes
      observers: Object.keys(args.members)
        .map(Number)
        .filter((id) => !args.voters.includes(id)),
      syncLimitTicks: args.zab?.syncLimitTicks ?? zabDefaults.syncLimitTicks,
      initLimitTicks: args.zab?.initLimitTicks ?? zabDefaults.initLimitTicks,
      handshakeRetryTicks: args.zab?.handshakeRetryTicks ?? zabDefaults.handshakeRetryTicks,
      reconnectsMax: args.zab?.reconnectsMax ?? zabDefaults.reconnectsMax,
      logWindowMax: args.zab?.logWindowMax ?? zabDefaults.logWindowMax,
      pipelineMax: args.zab?.pipelineMax ?? zabDefaults.pipelineMax,
      pendingRequestsMax: args.zab?.pendingRequestsMax ?? zabDefaults.pendingRequestsMax,
      pendingSyncsMax: args.zab?.pendingSyncsMax ?? zabDefaults.pendingSyncsMax,
      ...(args.zab?.testFaults !== undefined ? { testFaults: args.zab.testFaults } : {}),
    };
    const tickMs = args.tickMs ?? zabDefaults.tickMs;
    const recover: StorageRecover = { type: 'StorageRecover', logTailMax: cfg.logWindowMax };
    ctx.send(address(ctx.node, 'storage'), recover);
    ctx.schedule('zab-tick', tickMs, { type: 'BroadcastTick' });
    return { zab: zabInit(cfg), outbox: new Outbox(ctx), proposed: 0, committed: 0, args, tickMs, clients: new Map(), nextReq: 0, lookingSinceMs: ctx.now(), leader: -1, epoch: 0 };
  },
  receive(s, m, ctx) {
    switch (m.type) {
      case 'StorageRecovered':
        return run(s, { type: 'Boot', boot: m.boot }, ctx);
      case 'BroadcastTick':
        ctx.schedule('zab-tick', s.tickMs, { type: 'BroadcastTick' });
        return run(s, { type: 'Tick' }, ctx);
      case 'PeerActive':
      case 'PeerGone': {
        const id = Object.keys(s.args.members).find((k) => s.args.members[Number(k)] === m.node);
        return id === undefined ? s : run(s, { type: m.type, from: Number(id) }, ctx);
      }
      case 'ElectionDecided':
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
      case 'Proposals':
        for (const entry of m.entries) run(s, { type: 'Receive', msg: { type: 'Proposal', from: m.from, conn: m.conn, epoch: m.epoch, entry } }, ctx);
        return s;
      case 'Requests':
        for (const it of m.items) run(s, { type: 'Receive', msg: { type: 'Request', from: m.from, conn: m.conn, reqId: it.reqId, txn: it.txn } }, ctx);
        return s;
      default:
        return assertNever(m);
    }
  },
  drained(s, ctx) {
    s.outbox.flushAll();
    if (s.proposed > 0) ctx.emit({ type: 'Proposed', zxid: s.proposed });
    if (s.committed > 0) ctx.emit({ type: 'Committed', zxid: s.committed });
    s.proposed = 0;
    s.committed = 0;
    return s;
  },
  inspect: (s) => ({
    ...learnerCounts(s.zab.role),
    role: s.zab.role.kind,
    epoch: s.zab.currentEpoch,
    proposed: zxidHex(s.zab.lastAppended),
    logged: zxidHex(s.zab.lastLogged),
    committed: zxidHex(s.zab.committed),
    pendingClients: s.clients.size,
  }),
});

/**
 * A leader's learners as ZooKeeper's metrics count them: connected (learners), up to date (synced_followers: voters
 * past NewLeader's ack) and still syncing (pending_syncs). Zero when not leading.
 */
function learnerCounts(role: ZabState<unknown>['role']): { learners: number; syncedFollowers: number; pendingSyncs: number } {
  if (role.kind !== 'leading') return { learners: 0, syncedFollowers: 0, pendingSyncs: 0 };
  const fs = Object.values(role.followers);
  const synced = fs.filter((f) => f.phase === 'newleader' || f.phase === 'active').length;
  return { learners: fs.length, syncedFollowers: synced, pendingSyncs: fs.length - synced };
}
