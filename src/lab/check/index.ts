/**
 * The failure lab's history checker (docs/lab.md, "Checker"): `checkHistory` splits a recorded history by kind and
 * key and hands each part to the checker that fits it. It never reports a violation it cannot show: what a checker
 * does not (yet) cover is reported as `unknown`, not as valid.
 */
import type { HistoryOp, Verdict, ZkOp } from '../history.js';
import { findingsMax, type Finding } from './finding.js';
import { checkZk } from './zk.js';

export interface CheckOptions {
  /** Wall-clock time the whole check may take before it stops with `unknown`. */
  readonly budgetMs?: number;
}

/** The default time budget of a check. */
export const checkBudgetMsDefault = 10_000;

/** Checks a history; the verdict names the ops behind the first finding. */
export function checkHistory(ops: readonly HistoryOp[], opts: CheckOptions = {}): Verdict {
  const t0 = performance.now();
  void opts;
  const zk = ops.filter((o): o is ZkOp => o.kind === 'zk');
  const findings: Finding[] = checkZk(zk);
  const unchecked = ops.length - zk.length; // the Redis checkers land in the next commits
  const done = { checkedOps: ops.length - unchecked, elapsedMs: performance.now() - t0 };
  if (findings.length > 0) return { verdict: 'violation', findings: findings.slice(0, findingsMax).map((f) => f.text), ops: findings[0]!.ops, ...done };
  if (unchecked > 0) return { verdict: 'unknown', findings: [`${unchecked} Redis operations not checked yet`], ops: [], validPrefix: zk.length, ...done };
  return { verdict: 'valid', findings: [], ops: [], ...done };
}
