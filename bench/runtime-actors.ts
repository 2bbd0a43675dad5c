/** Actor kinds for the runtime benchmark (loaded by URL in the worker threads). */
import type { Address } from '../src/protocol/envelope.js';
import type { ActorKinds, ReplyToken } from '../src/kernel/actor.js';
import { defineActor } from '../src/kernel/actor.js';

/** Messages a blaster sends per turn before continuing with a message to itself. */
export const blastChunkMax = 100;

type BlastMsg =
  | { readonly type: 'Blast'; readonly to: Address; readonly count: number }
  | { readonly type: 'More' }
  | { readonly type: 'Rtt'; readonly to: Address; readonly rounds: number }
  | { readonly type: 'Pong'; readonly sentMs: number };

interface BlastState {
  readonly to: Address | null;
  readonly left: number;
  readonly rttLeft: number;
  readonly rtts: number[];
  readonly rttAsker: ReplyToken | null;
}

/** Sends `count` small messages to `to` in chunks; or measures `rounds` round trips to a sink. */
export const blaster = defineActor<BlastState, BlastMsg>({
  init: () => ({ to: null, left: 0, rttLeft: 0, rtts: [], rttAsker: null }),
  receive(s, m, ctx) {
    switch (m.type) {
      case 'Blast':
        ctx.send(ctx.self, { type: 'More' });
        return { ...s, to: m.to, left: m.count };
      case 'More': {
        if (s.to === null) return s;
        const n = Math.min(blastChunkMax, s.left);
        for (let i = 0; i < n; i++) ctx.send(s.to, { type: 'Item', i });
        if (s.left - n > 0) ctx.send(ctx.self, { type: 'More' });
        return { ...s, left: s.left - n };
      }
      case 'Rtt':
        ctx.send(m.to, { type: 'Ping', sentMs: ctx.now() });
        return { ...s, to: m.to, rttLeft: m.rounds, rtts: [], rttAsker: ctx.replyToken() };
      case 'Pong': {
        const rtts = s.rtts;
        rtts.push(ctx.now() - m.sentMs); // state owned by this actor alone
        if (s.rttLeft > 1 && s.to !== null) {
          ctx.send(s.to, { type: 'Ping', sentMs: ctx.now() });
          return { ...s, rttLeft: s.rttLeft - 1 };
        }
        if (s.rttAsker !== null) ctx.respond(s.rttAsker, { type: 'RttDone', rtts });
        return { ...s, rttLeft: 0, rttAsker: null };
      }
    }
  },
});

type SinkMsg =
  | { readonly type: 'Item'; readonly i: number }
  | { readonly type: 'Ping'; readonly sentMs: number }
  | { readonly type: 'Await'; readonly count: number };

/** Counts items; answers an `Await` once it has seen `count` of them; returns pings. */
export const sink = defineActor<{ seen: number; want: number; asker: ReplyToken | null }, SinkMsg>({
  init: () => ({ seen: 0, want: 0, asker: null }),
  receive(s, m, ctx) {
    switch (m.type) {
      case 'Item': {
        const seen = s.seen + 1;
        if (s.asker !== null && seen >= s.want) {
          ctx.respond(s.asker, { type: 'Seen', seen });
          return { seen, want: 0, asker: null };
        }
        return { ...s, seen };
      }
      case 'Ping':
        if (ctx.sender !== null) ctx.send(ctx.sender, { type: 'Pong', sentMs: m.sentMs });
        return s;
      case 'Await':
        if (s.seen >= m.count) {
          ctx.reply({ type: 'Seen', seen: s.seen });
          return s;
        }
        return { ...s, want: m.count, asker: ctx.replyToken() };
    }
  },
  mailboxCapacity: 1_000_000,
});

export const kinds: ActorKinds = { blaster, sink };
