/**
 * A brute-force linearizability checker for the checker tests: tries every order of the ops that respects real
 * time (an op that returned before another was called comes first), with ops of unknown outcome taking effect
 * anywhere after their call or not at all, against a plain sequential model. Exponential: small histories only.
 */
import type { RedisOp } from '../../src/lab/history.js';

/** The state after `op`, or undefined when `op` cannot happen in `state`. */
export type Step<S> = (state: S, op: RedisOp) => S | undefined;

export function bruteLinearizable<S>(ops: readonly RedisOp[], init: S, step: Step<S>): boolean {
  const live = ops.filter((o) => (o.op === 'get' || o.op === 'lrange' ? o.outcome === 'ok' : o.outcome !== 'fail'));
  const ret = (o: RedisOp) => (o.outcome === 'ok' && o.returnMs !== null ? o.returnMs : Infinity);
  const go = (left: readonly RedisOp[], state: S): boolean => {
    if (left.every((o) => o.outcome !== 'ok')) return true; // the rest may never have happened
    for (const o of left) {
      if (left.some((p) => p !== o && ret(p) < o.callMs)) continue; // p must come before o
      const rest = left.filter((p) => p !== o);
      const s = step(state, o);
      if (s !== undefined && go(rest, s)) return true;
      if (o.outcome === 'unknown' && go(rest, state)) return true; // o never took effect
    }
    return false;
  };
  return go(live, init);
}

export const registerStep: Step<string | null> = (s, o) => (o.op === 'set' ? String(o.value) : (o.value ?? null) === s ? s : undefined);
export const counterStep: Step<number> = (s, o) => (o.op === 'incr' ? (o.outcome !== 'ok' || Number(o.value) === s + 1 ? s + 1 : undefined) : Number(o.value ?? 0) === s ? s : undefined);
export const listStep: Step<readonly string[]> = (s, o) => {
  if (o.op === 'rpush') return o.outcome !== 'ok' || o.length === s.length + 1 ? [...s, String(o.value)] : undefined;
  const l = o.list ?? [];
  return l.length === s.length && l.every((e, i) => e === s[i]) ? s : undefined;
};
