/**
 * What the history checkers report: findings in words, each with the ids of the operations that explain it.
 */
import type { HistoryOp } from '../history.js';

export interface Finding {
  readonly text: string;
  readonly ops: readonly number[];
}

/** Findings a checker reports at most (the first ones tell the story). */
export const findingsMax = 10;

const ms = (t: number | null): string => (t === null ? '∞' : t.toFixed(1));

/** An operation in words: `#12 c3 setData /k = "v7" [1.0..3.5 ms]`. */
export function describeOp(o: HistoryOp): string {
  const where = o.kind === 'zk' ? o.path : o.kind === 'redis' ? o.key : `${o.node ?? '-'}${o.instance === '' ? '' : ` ${o.instance}`}`;
  const what =
    o.kind === 'eureka'
      ? o.instances !== undefined ? ` -> ${o.instances.length} instances` : o.code !== undefined ? ` -> ${o.code}` : ''
      : o.kind === 'redis' && o.op === 'lrange' ? ` -> [${(o.list ?? []).join(',')}]${o.final === true ? ' (final)' : ''}` : o.value !== undefined ? ` ${JSON.stringify(o.value)}` : '';
  const out = o.outcome === 'ok' ? '' : ` (${o.outcome})`;
  return `#${o.id} ${o.client} ${o.op} ${where}${what} [${ms(o.callMs)}..${ms(o.returnMs)} ms]${out}`;
}
