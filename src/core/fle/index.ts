/**
 * Fast Leader Election as a pure machine: `step(state, input) -> { state, out }`. No IO, clock or randomness;
 * time enters as timer-fired inputs the shell schedules from `SetTimer` outputs. Facts from the ZooKeeper spec
 * (§16): votes (leader, zxid, peerEpoch) with a round (logicalclock); the total order peerEpoch, then zxid, then
 * id; higher rounds reset, lower rounds are answered; a quorum of voters agreeing starts the finalize wait;
 * FOLLOWING/LEADING notifications let late joiners follow an established leader once a quorum agrees on it.
 *
 * Failover tuning (why we may decide faster than ZooKeeper's 200 ms finalize wait, safely):
 *  - Safety (one leader per epoch, no lost commits) never rests on FLE: ZAB discovery needs a quorum to accept
 *    the new epoch, and a leader that meets a more up-to-date follower in its discovery quorum abandons. The
 *    finalize wait only avoids electing a stale leader that would then abandon (a wasted round).
 *  - When EVERY voter's latest vote in this round equals our proposal, no better vote exists in the round: each
 *    voter's proposal is at least its own initial vote, so our proposal is the maximum of all initial votes.
 *    We decide immediately (no wait at all).
 *  - With a mere quorum we wait `finalizeWaitMs` (default 20 ms: tens of message delays on one host or a LAN)
 *    for a better vote from the voters not yet heard; any better vote cancels the wait.
 *  - Re-sends back off exponentially from `notifyIntervalMinMs` (50) to `notifyIntervalMaxMs` (1600), not
 *    ZooKeeper's 60 s, so a healed partition rejoins quickly (ZooKeeper complaint #83: 400→6400 ms).
 */
import type { ElectionTimerKey, Notification, PeerState, Vote } from '../../protocol/election.js';
import type { Zxid } from '../../protocol/zxid.js';
import { assertNever } from '../never.js';

export interface FleConfig {
  readonly myId: number;
  /** Voting members (may or may not include myId: a node not in it is an observer). */
  readonly voters: readonly number[];
  /** Every other member to notify (voters and observers), without myId. */
  readonly peers: readonly number[];
  readonly finalizeWaitMs: number;
  readonly notifyIntervalMinMs: number;
  readonly notifyIntervalMaxMs: number;
}

export const fleDefaults = { finalizeWaitMs: 20, notifyIntervalMinMs: 50, notifyIntervalMaxMs: 1_600 } as const;

export type FleTimerKey = ElectionTimerKey;

/** A vote we received, with the state and round of its sender. */
export interface SeenVote extends Vote {
  readonly state: PeerState;
  readonly electionEpoch: number;
}

export interface FleState {
  readonly cfg: FleConfig;
  readonly state: PeerState;
  readonly logicalclock: number;
  readonly initVote: Vote;
  readonly proposal: Vote;
  /** Votes in my current round, by sender (my own included). */
  readonly recvset: Readonly<Record<number, SeenVote>>;
  /** FOLLOWING/LEADING notifications of any round, by sender: how a late joiner finds an established leader. */
  readonly outofelection: Readonly<Record<number, SeenVote>>;
  readonly notifyIntervalMs: number;
  readonly finalizing: boolean;
}

export type FleInput =
  /** Enter (or re-enter) the election with this node's last logged zxid and current epoch. */
  | { readonly type: 'Start'; readonly lastZxid: Zxid; readonly currentEpoch: number }
  | { readonly type: 'Receive'; readonly msg: Notification }
  | { readonly type: 'TimerFired'; readonly key: FleTimerKey };

export type FleRole = 'LEADING' | 'FOLLOWING' | 'OBSERVING';

export type FleOutput =
  | { readonly type: 'Send'; readonly to: number; readonly msg: Notification }
  | { readonly type: 'SetTimer'; readonly key: FleTimerKey; readonly delayMs: number }
  | { readonly type: 'CancelTimer'; readonly key: FleTimerKey }
  | { readonly type: 'ElectionStarted'; readonly electionEpoch: number; readonly vote: Vote }
  | {
      readonly type: 'Decided';
      readonly role: FleRole;
      readonly leader: number;
      readonly peerEpoch: number;
      readonly zxid: Zxid;
      readonly electionEpoch: number;
    };

export interface FleStep {
  readonly state: FleState;
  readonly out: readonly FleOutput[];
}

/** The total order on votes: does `a` beat `b`? Non-voters never win. */
export function voteBeats(a: Vote, b: Vote, voters: readonly number[]): boolean {
  if (!voters.includes(a.leader)) return false;
  if (a.peerEpoch !== b.peerEpoch) return a.peerEpoch > b.peerEpoch;
  if (a.zxid !== b.zxid) return a.zxid > b.zxid;
  return a.leader > b.leader;
}

export function sameVote(a: Vote, b: Vote): boolean {
  return a.leader === b.leader && a.zxid === b.zxid && a.peerEpoch === b.peerEpoch;
}

export function quorumSize(voters: readonly number[]): number {
  return Math.floor(voters.length / 2) + 1;
}

export function isVoter(cfg: FleConfig): boolean {
  return cfg.voters.includes(cfg.myId);
}

export function fleInit(cfg: FleConfig): FleState {
  const v: Vote = { leader: cfg.myId, zxid: 0, peerEpoch: 0 };
  return {
    cfg,
    state: 'LOOKING',
    logicalclock: 0,
    initVote: v,
    proposal: v,
    recvset: {},
    outofelection: {},
    notifyIntervalMs: cfg.notifyIntervalMinMs,
    finalizing: false,
  };
}

function note(s: FleState): Notification {
  return {
    type: 'Notification',
    from: s.cfg.myId,
    state: s.state,
    leader: s.proposal.leader,
    zxid: s.proposal.zxid,
    peerEpoch: s.proposal.peerEpoch,
    electionEpoch: s.logicalclock,
  };
}

function broadcast(s: FleState, out: FleOutput[]): void {
  const msg = note(s);
  for (const p of s.cfg.peers) out.push({ type: 'Send', to: p, msg });
}

function seen(v: Vote, state: PeerState, electionEpoch: number): SeenVote {
  return { leader: v.leader, zxid: v.zxid, peerEpoch: v.peerEpoch, state, electionEpoch };
}

/**
 * How many voters in `votes` agree with `v`: the full vote while looking; for an established leader
 * (`established`) only the leader id, whatever round each follower decided in. A follower may have rejoined the
 * same leader after a reconnect without a new election (or the leader re-won a later round), so rounds differ; as
 * in ZooKeeper (ZOOKEEPER-1732) FOLLOWING/LEADING votes compare leaders only. checkLeader still demands the leader
 * itself says LEADING, and ZAB discovery decides whether it really leads a quorum.
 */
function agreeing(votes: Readonly<Record<number, SeenVote>>, v: Vote, voters: readonly number[], established = false): number {
  let n = 0;
  for (const id of voters) {
    const w = votes[id];
    if (!w) continue;
    if (established ? w.leader === v.leader && w.state !== 'LOOKING' : sameVote(w, v)) n++;
  }
  return n;
}

/** ZooKeeper's checkLeader: someone else must be heard LEADING; myself only if it is my current round. */
function checkLeader(s: FleState, votes: Readonly<Record<number, SeenVote>>, leader: number, electionEpoch: number): boolean {
  if (leader !== s.cfg.myId) return votes[leader]?.state === 'LEADING';
  return s.logicalclock === electionEpoch;
}

function decide(s: FleState, v: Vote, electionEpoch: number, out: FleOutput[]): FleState {
  const role: FleRole = v.leader === s.cfg.myId ? 'LEADING' : isVoter(s.cfg) ? 'FOLLOWING' : 'OBSERVING';
  out.push({ type: 'CancelTimer', key: 'notify' }, { type: 'CancelTimer', key: 'finalize' });
  out.push({ type: 'Decided', role, leader: v.leader, peerEpoch: v.peerEpoch, zxid: v.zxid, electionEpoch });
  return {
    ...s,
    state: role,
    logicalclock: electionEpoch,
    proposal: { leader: v.leader, zxid: v.zxid, peerEpoch: v.peerEpoch },
    finalizing: false,
  };
}

/** After the recvset changed: decide now (all voters agree), start the finalize wait (a quorum), or keep going. */
function evaluate(s: FleState, out: FleOutput[]): FleState {
  if (!isVoter(s.cfg)) return s;
  const n = agreeing(s.recvset, s.proposal, s.cfg.voters);
  if (n === s.cfg.voters.length) return decide(s, s.proposal, s.logicalclock, out);
  if (n >= quorumSize(s.cfg.voters)) {
    if (s.finalizing) return s;
    out.push({ type: 'SetTimer', key: 'finalize', delayMs: s.cfg.finalizeWaitMs });
    return { ...s, finalizing: true };
  }
  if (s.finalizing) {
    out.push({ type: 'CancelTimer', key: 'finalize' });
    return { ...s, finalizing: false };
  }
  return s;
}

function start(s: FleState, lastZxid: Zxid, currentEpoch: number, out: FleOutput[]): FleState {
  const voter = isVoter(s.cfg);
  // An observer proposes nobody (leader -1, which no voter adopts): it only learns an established leader.
  const initVote: Vote = { leader: voter ? s.cfg.myId : -1, zxid: lastZxid, peerEpoch: currentEpoch };
  const logicalclock = s.logicalclock + 1;
  let t: FleState = {
    ...s,
    state: 'LOOKING',
    logicalclock,
    initVote,
    proposal: initVote,
    recvset: voter ? { [s.cfg.myId]: seen(initVote, 'LOOKING', logicalclock) } : {},
    outofelection: {},
    notifyIntervalMs: s.cfg.notifyIntervalMinMs,
    finalizing: false,
  };
  out.push({ type: 'CancelTimer', key: 'finalize' });
  out.push({ type: 'ElectionStarted', electionEpoch: logicalclock, vote: initVote });
  broadcast(t, out);
  out.push({ type: 'SetTimer', key: 'notify', delayMs: t.notifyIntervalMs });
  t = evaluate(t, out); // a one-voter ensemble decides at once
  return t;
}

function receiveLooking(s: FleState, n: Notification, out: FleOutput[]): FleState {
  const voters = s.cfg.voters;
  const nv: Vote = { leader: n.leader, zxid: n.zxid, peerEpoch: n.peerEpoch };
  const fromVoter = voters.includes(n.from);
  if (n.state === 'LOOKING' || n.state === 'OBSERVING') {
    if (!fromVoter || n.state === 'OBSERVING') return s; // non-voters do not vote
    let t = s;
    if (n.electionEpoch > s.logicalclock) {
      const proposal = voteBeats(nv, s.initVote, voters) ? nv : s.initVote;
      t = { ...s, logicalclock: n.electionEpoch, recvset: {}, proposal };
      if (t.finalizing) {
        out.push({ type: 'CancelTimer', key: 'finalize' });
        t = { ...t, finalizing: false };
      }
      broadcast(t, out);
    } else if (n.electionEpoch < s.logicalclock) {
      // A peer in an older round: tell it ours so it catches up.
      out.push({ type: 'Send', to: n.from, msg: note(s) });
      return s;
    } else if (voteBeats(nv, s.proposal, voters)) {
      t = { ...s, proposal: nv };
      broadcast(t, out);
    }
    if (!isVoter(t.cfg)) return t;
    t = {
      ...t,
      recvset: {
        ...t.recvset,
        [n.from]: seen(nv, n.state, n.electionEpoch),
        [t.cfg.myId]: seen(t.proposal, 'LOOKING', t.logicalclock),
      },
    };
    return evaluate(t, out);
  }
  // FOLLOWING or LEADING: someone already decided.
  const sv = seen(nv, n.state, n.electionEpoch);
  let t = s;
  if (fromVoter && n.electionEpoch === s.logicalclock) {
    t = { ...t, recvset: { ...t.recvset, [n.from]: sv } };
    if (
      isVoter(t.cfg) &&
      agreeing(t.recvset, nv, voters) >= quorumSize(voters) &&
      checkLeader(t, t.recvset, n.leader, n.electionEpoch)
    ) {
      return decide(t, nv, n.electionEpoch, out);
    }
  }
  if (!fromVoter) return t;
  t = { ...t, outofelection: { ...t.outofelection, [n.from]: sv } };
  if (
    agreeing(t.outofelection, nv, voters, true) >= quorumSize(voters) &&
    checkLeader(t, t.outofelection, n.leader, n.electionEpoch)
  ) {
    return decide(t, nv, n.electionEpoch, out);
  }
  return t;
}

export function fleStep(s: FleState, input: FleInput): FleStep {
  const out: FleOutput[] = [];
  switch (input.type) {
    case 'Start':
      return { state: start(s, input.lastZxid, input.currentEpoch, out), out };
    case 'Receive': {
      const n = input.msg;
      if (n.from === s.cfg.myId) return { state: s, out };
      // Not started yet (round 0: ZAB has not recovered the log, so our vote's zxid is unknown): stay out. Voting
      // now could make us the choice of peers while our ZAB cannot lead yet; they would wait on us in vain.
      if (s.logicalclock === 0) return { state: s, out };
      if (s.state === 'LOOKING') return { state: receiveLooking(s, n, out), out };
      // Decided: answer a looking peer with our decided vote, so it can join fast.
      if (n.state === 'LOOKING') out.push({ type: 'Send', to: n.from, msg: note(s) });
      return { state: s, out };
    }
    case 'TimerFired': {
      if (s.state !== 'LOOKING') return { state: s, out };
      switch (input.key) {
        case 'notify': {
          broadcast(s, out);
          const notifyIntervalMs = Math.min(s.notifyIntervalMs * 2, s.cfg.notifyIntervalMaxMs);
          out.push({ type: 'SetTimer', key: 'notify', delayMs: notifyIntervalMs });
          return { state: { ...s, notifyIntervalMs }, out };
        }
        case 'finalize': {
          if (!s.finalizing) return { state: s, out };
          const t = { ...s, finalizing: false };
          if (agreeing(t.recvset, t.proposal, t.cfg.voters) >= quorumSize(t.cfg.voters)) {
            return { state: decide(t, t.proposal, t.logicalclock, out), out };
          }
          return { state: t, out };
        }
        default:
          return assertNever(input.key);
      }
    }
    default:
      return assertNever(input);
  }
}
