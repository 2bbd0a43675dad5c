/**
 * The `<node>/election` actor: the IO shell around the Fast Leader Election machine (src/core/fle). It runs
 * the machine's outputs: notifications to `<peer>/election`, timers as messages to itself, the decision to
 * `<node>/broadcast`. It starts idle; `<node>/broadcast` sends LookForLeader once storage has recovered (so the
 * first vote carries the real last zxid and epoch), and again whenever ZAB gives up a leader.
 */
import { defineActor, type Ctx } from '../src/kernel/actor.js';
import { address } from '../src/protocol/envelope.js';
import type { ElectionDecided, ElectionMsg, EnsembleArgs } from '../src/protocol/election.js';
import { fleDefaults, fleInit, fleStep, type FleInput, type FleState } from '../src/core/fle/index.js';
import { assertNever } from '../src/core/never.js';

export interface ElectionArgs extends EnsembleArgs {
  readonly finalizeWaitMs?: number;
  readonly notifyIntervalMinMs?: number;
  readonly notifyIntervalMaxMs?: number;
}

function run(s: FleState, input: FleInput, ctx: Ctx<ElectionMsg>, args: ElectionArgs, reason: string): FleState {
  const { state, out } = fleStep(s, input);
  for (const o of out) {
    switch (o.type) {
      case 'Send': {
        const node = args.members[o.to];
        if (node !== undefined) ctx.send(address(node, 'election'), o.msg);
        break;
      }
      case 'SetTimer':
        ctx.schedule(`fle-${o.key}`, o.delayMs, { type: 'ElectionTimer', key: o.key });
        break;
      case 'CancelTimer':
        ctx.cancel(`fle-${o.key}`);
        break;
      case 'ElectionStarted':
        ctx.emit({ type: 'ElectionStarted', electionEpoch: o.electionEpoch, zxid: o.vote.zxid, reason });
        break;
      case 'Decided': {
        ctx.emit({ type: 'ElectionDecided', role: o.role, leader: o.leader, electionEpoch: o.electionEpoch });
        const msg: ElectionDecided = {
          type: 'ElectionDecided',
          role: o.role,
          leader: o.leader,
          electionEpoch: o.electionEpoch,
          peerEpoch: o.peerEpoch,
          zxid: o.zxid,
        };
        ctx.send(address(ctx.node, 'broadcast'), msg);
        break;
      }
      default:
        assertNever(o);
    }
  }
  return state;
}

export const election = defineActor<{ fle: FleState; args: ElectionArgs }, ElectionMsg, ElectionArgs>({
  init(_ctx, args) {
    const peers = Object.keys(args.members)
      .map(Number)
      .filter((id) => id !== args.myId);
    const fle = fleInit({
      myId: args.myId,
      voters: args.voters,
      peers,
      finalizeWaitMs: args.finalizeWaitMs ?? fleDefaults.finalizeWaitMs,
      notifyIntervalMinMs: args.notifyIntervalMinMs ?? fleDefaults.notifyIntervalMinMs,
      notifyIntervalMaxMs: args.notifyIntervalMaxMs ?? fleDefaults.notifyIntervalMaxMs,
    });
    return { fle, args };
  },
  receive(s, m, ctx) {
    switch (m.type) {
      case 'Notification':
        return { ...s, fle: run(s.fle, { type: 'Receive', msg: m }, ctx, s.args, '') };
      case 'ElectionTimer':
        return { ...s, fle: run(s.fle, { type: 'TimerFired', key: m.key }, ctx, s.args, '') };
      case 'LookForLeader':
        return { ...s, fle: run(s.fle, { type: 'Start', lastZxid: m.lastZxid, currentEpoch: m.currentEpoch }, ctx, s.args, m.reason) };
      default:
        return assertNever(m);
    }
  },
});
