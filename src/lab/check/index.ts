/**
 * The failure lab's history checker (docs/lab.md, "Checker"): `checkHistory` splits a recorded history by kind and
 * key and hands each part to the checker that fits it:
 *
 *  - ZooKeeper ops, all paths together (zxids order writes across paths): zk.ts, from the stamps, O(n log n);
 *  - Redis keys touched by a MULTI, with the plain list ops on them: txn.ts, Elle-style list-append inference;
 *  - Redis counters (INCR): counter.ts and lists (RPUSH/LRANGE): list.ts, from the answers' stamps, O(n log n);
 *  - Redis queues (RPUSH with LPOP/BLPOP): queue.ts, by sweeps, O(n log n);
 *  - Redis registers (SET/GET): register.ts, by zones where values are unique, else by search under the budget;
 *  - Eureka clients' operations, all nodes together: registry.ts (no mass eviction, convergence at the final sweep).
 *
 * It never reports a violation it cannot show: a search that runs out of budget, or a key whose ops fit no
 * checker, makes the verdict `unknown` (with how much was shown valid), never `valid`.
 */
import type { EurekaOp, HistoryOp, RedisOp, Verdict, ZkOp } from '../history.js';
import { checkCounter } from './counter.js';
import { findingsMax, type Finding } from './finding.js';
import { checkList } from './list.js';
import { checkQueue } from './queue.js';
import { checkRegister } from './register.js';
import { checkRegistry } from './registry.js';
import { checkTxns } from './txn.js';
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
  const deadlineMs = t0 + (opts.budgetMs ?? checkBudgetMsDefault);
  const findings: Finding[] = [];
  const open: string[] = [];
  let shown = 0;

  const zk = ops.filter((o): o is ZkOp => o.kind === 'zk');
  findings.push(...checkZk(zk));
  shown += zk.length;

  const eureka = ops.filter((o): o is EurekaOp => o.kind === 'eureka');
  if (eureka.length > 0) {
    findings.push(...checkRegistry(eureka));
    shown += eureka.length;
  }

  const redis = ops.filter((o): o is RedisOp => o.kind === 'redis');
  const txnKeys = new Set<string>();
  for (const o of redis) if (o.op === 'multi') for (const [, k] of o.txn ?? []) txnKeys.add(k);
  const txnOps = redis.filter((o) => o.op === 'multi' || txnKeys.has(o.key));
  if (txnOps.length > 0) {
    findings.push(...checkTxns(txnOps));
    shown += txnOps.length;
  }
  const byKey = new Map<string, RedisOp[]>();
  for (const o of redis) {
    if (o.op === 'multi' || txnKeys.has(o.key)) continue;
    const list = byKey.get(o.key);
    if (list === undefined) byKey.set(o.key, [o]);
    else list.push(o);
  }
  const searches: [string, RedisOp[]][] = [];
  for (const [key, kops] of byKey) {
    const kinds = new Set(kops.map((o) => o.op));
    if ([...kinds].every((k) => k === 'incr' || k === 'cas' || k === 'get') && (kinds.has('incr') || kinds.has('cas'))) findings.push(...checkCounter(key, kops));
    else if ([...kinds].every((k) => k === 'rpush' || k === 'lrange' || k === 'lpop' || k === 'blpop') && (kinds.has('lpop') || kinds.has('blpop'))) findings.push(...checkQueue(key, kops));
    else if ([...kinds].every((k) => k === 'rpush' || k === 'lrange')) findings.push(...checkList(key, kops));
    else if ([...kinds].every((k) => k === 'set' || k === 'get')) {
      searches.push([key, kops]); // registers last: they may spend the budget
      continue;
    } else {
      open.push(`${key}: ${[...kinds].join('/')} on one key is not checked`);
      continue;
    }
    shown += kops.length;
  }
  for (const [key, kops] of searches) {
    if (findings.length >= findingsMax) break;
    const r = checkRegister(key, kops, deadlineMs);
    findings.push(...r.findings);
    if (r.timedOut) open.push(`${key}: the search ran out of budget after linearizing ${r.linearized} of ${r.ops} ops`);
    shown += r.timedOut ? r.linearized : kops.length;
  }

  const done = { checkedOps: ops.length, elapsedMs: performance.now() - t0 };
  if (findings.length > 0) return { verdict: 'violation', findings: findings.slice(0, findingsMax).map((f) => f.text), ops: [...new Set(findings[0]!.ops)], ...done };
  if (open.length > 0) return { verdict: 'unknown', findings: open.slice(0, findingsMax), ops: [], validPrefix: shown, ...done };
  return { verdict: 'valid', findings: [], ops: [], ...done };
}
